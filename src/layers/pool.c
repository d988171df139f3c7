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
  memset(dx, 0, (size_t)(batch * l->in) * sizeof(float));
  for (int64_t b = 0; b < batch; b++) {
    for (int64_t o = 0; o < l->out; o++) dx[b * l->in + s->argmax[b * l->out + o]] += dz[b * l->out + o];
  }
}

const ae_layer_ops ae_maxpool_ops = {pool_param_count, pool_init,       pool_forward,
                                     pool_apply,       pool_weight_grad, pool_bias_grad,
                                     pool_input_grad,  pool_scratch};
