/* pool.c -- k x k max pooling over NCHW samples, forward next to backward.
 *
 * x (B, C, H, W) -> z (B, C, OH, OW): each output is the largest input in its
 * window (rows oy*stride - pad_top .. + k, likewise columns; padding never
 * wins). The forward pass records each output's arg-max (an index into the
 * sample's input); the backward pass routes gradients there, and the linear
 * part used for tangents routes the same way. No parameters. */
#include <math.h>
#include <string.h>

#include "ops.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static int64_t pool_param_count(const ae_layer *l) {
  (void)l;
  return 0;
}

static void pool_init(const ae_layer *l, float *params, ae_rng *rng) {
  (void)l;
  (void)params;
  (void)rng;
}

static void pool_scratch(const ae_layer *l, int64_t rows, int64_t *cols, int64_t *tmp) {
  (void)l;
  (void)rows;
  *cols = *tmp = 0;
}

/* [*lo, *hi): the rows (or columns) of the window at output position o that
 * lie inside an axis of n pixels. */
static void window_span(int64_t o, int64_t stride, int64_t pad, int64_t k, int64_t n,
                        int64_t *lo, int64_t *hi) {
  int64_t first = o * stride - pad;
  *lo = first < 0 ? 0 : first;
  *hi = first + k < n ? first + k : n;
}

#ifdef __SSE2__
/* Keeps (v, off) where v > best: v wins only when strictly greater, as in
 * the general loop (a NaN compares false, so it never displaces a value). */
static inline void keep_greater(__m128 v, __m128i off, __m128 *best, __m128i *at) {
  __m128 gt = _mm_cmpgt_ps(v, *best);
  __m128i gti = _mm_castps_si128(gt);
  *best = _mm_or_ps(_mm_and_ps(gt, v), _mm_andnot_ps(gt, *best));
  *at = _mm_or_si128(_mm_and_si128(gti, off), _mm_andnot_si128(gti, *at));
}
#endif

/* Output row out (ow) of a 2 x 2, stride-2 window whose rows r0 and r1 (w
 * pixels each, r0 at index at0 of the sample) hold every window whole. The
 * same comparisons in the same order as the general loop, four windows at a
 * time with selects: which pixel wins is data, and branches on it mispredict
 * about every other window. */
static void pool_rows_2x2(const float *r0, const float *r1, int64_t ow, int64_t w, int32_t at0,
                          float *out, int32_t *arg) {
  int64_t ox = 0;
#ifdef __SSE2__
  const __m128i one = _mm_set1_epi32(1), eight = _mm_set1_epi32(8), wide = _mm_set1_epi32((int)w);
  __m128i left = _mm_add_epi32(_mm_set1_epi32(at0), _mm_set_epi32(6, 4, 2, 0));
  for (; ox + 4 <= ow; ox += 4) {
    __m128 u0 = _mm_loadu_ps(r0 + 2 * ox), u1 = _mm_loadu_ps(r0 + 2 * ox + 4);
    __m128 v0 = _mm_loadu_ps(r1 + 2 * ox), v1 = _mm_loadu_ps(r1 + 2 * ox + 4);
    /* even pixels are each window's left column, odd ones its right */
    __m128 a = _mm_shuffle_ps(u0, u1, _MM_SHUFFLE(2, 0, 2, 0));
    __m128 b = _mm_shuffle_ps(u0, u1, _MM_SHUFFLE(3, 1, 3, 1));
    __m128 c = _mm_shuffle_ps(v0, v1, _MM_SHUFFLE(2, 0, 2, 0));
    __m128 d = _mm_shuffle_ps(v0, v1, _MM_SHUFFLE(3, 1, 3, 1));
    __m128 best = a;
    __m128i at = left, below = _mm_add_epi32(left, wide);
    keep_greater(b, _mm_add_epi32(left, one), &best, &at);
    keep_greater(c, below, &best, &at);
    keep_greater(d, _mm_add_epi32(below, one), &best, &at);
    _mm_storeu_ps(out + ox, best);
    _mm_storeu_si128((__m128i *)(void *)(arg + ox), at);
    left = _mm_add_epi32(left, eight);
  }
#endif
  for (; ox < ow; ox++) {
    int64_t c = 2 * ox, at = c;
    float best = r0[c];
    if (r0[c + 1] > best) best = r0[c + 1], at = c + 1;
    if (r1[c] > best) best = r1[c], at = w + c;
    if (r1[c + 1] > best) best = r1[c + 1], at = w + c + 1;
    out[ox] = best;
    arg[ox] = at0 + (int32_t)at;
  }
}

static void pool_forward(const ae_layer *l, const float *params, const float *x, float *z,
                         int64_t batch, ae_layer_scratch *s) {
  (void)params;
  const ae_window *win = &l->window;
  int64_t h = l->in_shape.h, w = l->in_shape.w, oh = l->out_shape.h, ow = l->out_shape.w;
  int64_t planes = batch * l->in_shape.c;
  for (int64_t pl = 0; pl < planes; pl++) {
    const float *plane = x + pl * h * w;
    float *out = z + pl * oh * ow;
    /* arg-max as an index into the sample's input: plane pl is channel
     * pl % C of sample pl / C, and samples are l->in apart */
    int32_t *arg = s->argmax + pl * oh * ow;
    int32_t plane_at = (int32_t)((pl % l->in_shape.c) * h * w);
    if (win->k == 2 && win->stride == 2 && win->pad_top == 0 && win->pad_left == 0 &&
        2 * oh <= h && 2 * ow <= w) {
      for (int64_t oy = 0; oy < oh; oy++) {
        const float *r0 = plane + 2 * oy * w;
        pool_rows_2x2(r0, r0 + w, ow, w, plane_at + (int32_t)(2 * oy * w), out + oy * ow,
                      arg + oy * ow);
      }
      continue;
    }
    for (int64_t oy = 0; oy < oh; oy++) {
      int64_t y0, y1;
      window_span(oy, win->stride, win->pad_top, win->k, h, &y0, &y1);
      for (int64_t ox = 0; ox < ow; ox++) {
        int64_t x0, x1;
        window_span(ox, win->stride, win->pad_left, win->k, w, &x0, &x1);
        /* the first maximum wins; a NaN wins only as the window's first
         * pixel (nothing compares greater than it) */
        int64_t best_at = y0 * w + x0;
        float best = plane[best_at];
        for (int64_t y = y0; y < y1; y++) {
          for (int64_t xx = x0; xx < x1; xx++) {
            if (plane[y * w + xx] > best) {
              best = plane[y * w + xx];
              best_at = y * w + xx;
            }
          }
        }
        out[oy * ow + ox] = best;
        arg[oy * ow + ox] = plane_at + (int32_t)best_at;
      }
    }
  }
}

static void pool_apply(const ae_layer *l, const float *params, const float *t, float *u,
                       int64_t batch, ae_layer_scratch *s) {
  (void)params;
  for (int64_t b = 0; b < batch; b++) {
    for (int64_t o = 0; o < l->out; o++) u[b * l->out + o] = t[b * l->in + s->argmax[b * l->out + o]];
  }
}

static void pool_weight_grad(const ae_layer *l, float *grads, const float *x, const float *dz,
                             int64_t batch, ae_layer_scratch *s) {
  (void)l, (void)grads, (void)x, (void)dz, (void)batch, (void)s;
}

static void pool_bias_grad(const ae_layer *l, float *grads, const float *dz, int64_t batch,
                           const ae_layer_scratch *s) {
  (void)l, (void)grads, (void)dz, (void)batch, (void)s;
}

static void pool_input_grad(const ae_layer *l, const float *params, const float *dz, float *dx,
                            int64_t batch, ae_layer_scratch *s) {
  (void)params;
  for (int64_t b = 0; b < batch; b++) {
    /* sample by sample, so that the scatter finds the zeros in cache */
    memset(dx + b * l->in, 0, (size_t)l->in * sizeof(float));
    for (int64_t o = 0; o < l->out; o++) dx[b * l->in + s->argmax[b * l->out + o]] += dz[b * l->out + o];
  }
}

const ae_layer_ops ae_maxpool_ops = {pool_param_count, pool_init,       pool_forward,
                                     pool_apply,       pool_weight_grad, pool_bias_grad,
                                     pool_input_grad,  pool_scratch, NULL};
