/* upsample.c -- nearest-neighbour upsampling by an integer factor k, NCHW.
 *
 * x (B, C, H, W) -> z (B, C, k H, k W), z[c][y][x] = x[c][y / k][x / k]. The
 * backward pass sums each k x k block. Linear, no parameters. */
#include <string.h>

#include "ops.h"

static int64_t up_param_count(const ae_layer *l) {
  (void)l;
  return 0;
}

static void up_init(const ae_layer *l, float *params, ae_rng *rng) {
  (void)l, (void)params, (void)rng;
}

static void up_scratch(const ae_layer *l, int64_t rows, int64_t *cols, int64_t *tmp) {
  (void)l, (void)rows;
  *cols = *tmp = 0;
}

/* Each input row becomes one output row with every value repeated k times,
 * then k - 1 copies of that row: no division per output value. */
static void up_apply(const ae_layer *l, const float *params, const float *x, float *z,
                     int64_t batch, ae_layer_scratch *s) {
  (void)params, (void)s;
  int64_t k = l->window.k, w = l->in_shape.w, ow = l->out_shape.w;
  int64_t rows = batch * l->in_shape.c * l->in_shape.h; /* input rows, all planes */
  for (int64_t r = 0; r < rows; r++) {
    const float *src = x + r * w;
    float *dst = z + r * k * ow;
    if (k == 2) { /* the usual factor, with a loop the compiler can unroll */
      for (int64_t xx = 0; xx < w; xx++) dst[2 * xx] = dst[2 * xx + 1] = src[xx];
    } else {
      for (int64_t xx = 0; xx < w; xx++) {
        for (int64_t j = 0; j < k; j++) dst[xx * k + j] = src[xx];
      }
    }
    for (int64_t j = 1; j < k; j++) memcpy(dst + j * ow, dst, (size_t)ow * sizeof(float));
  }
}

static void up_weight_grad(const ae_layer *l, float *grads, const float *x, const float *dz,
                           int64_t batch, ae_layer_scratch *s) {
  (void)l, (void)grads, (void)x, (void)dz, (void)batch, (void)s;
}

static void up_bias_grad(const ae_layer *l, float *grads, const float *dz, int64_t batch,
                         const ae_layer_scratch *s) {
  (void)l, (void)grads, (void)dz, (void)batch, (void)s;
}

/* dx[row][xx] = the sum of the k x k block it was copied to. */
static void up_input_grad(const ae_layer *l, const float *params, const float *dz, float *dx,
                          int64_t batch, ae_layer_scratch *s) {
  (void)params, (void)s;
  int64_t k = l->window.k, w = l->in_shape.w, ow = l->out_shape.w;
  int64_t rows = batch * l->in_shape.c * l->in_shape.h;
  for (int64_t r = 0; r < rows; r++) {
    const float *block = dz + r * k * ow; /* k output rows of ow */
    float *dst = dx + r * w;
    if (k == 2) { /* the same sums in the same order as below */
      const float *b0 = block, *b1 = block + ow;
      for (int64_t xx = 0; xx < w; xx++) {
        dst[xx] = b0[2 * xx] + b0[2 * xx + 1] + b1[2 * xx] + b1[2 * xx + 1];
      }
      continue;
    }
    for (int64_t xx = 0; xx < w; xx++) {
      float sum = 0.0f;
      for (int64_t i = 0; i < k; i++) {
        for (int64_t j = 0; j < k; j++) sum += block[i * ow + xx * k + j];
      }
      dst[xx] = sum;
    }
  }
}

/* forward = apply: no bias */
const ae_layer_ops ae_upsample_ops = {up_param_count, up_init,        up_apply,
                                      up_apply,       up_weight_grad, up_bias_grad,
                                      up_input_grad,  up_scratch, NULL};
