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

static void up_apply(const ae_layer *l, const float *params, const float *x, float *z,
                     int64_t batch, ae_layer_scratch *s) {
  (void)params, (void)s;
  int64_t k = l->window.k, h = l->in_shape.h, w = l->in_shape.w, ow = l->out_shape.w;
  for (int64_t b = 0; b < batch; b++) {
    for (int64_t c = 0; c < l->in_shape.c; c++) {
      const float *src = x + b * l->in + c * h * w;
      float *dst = z + b * l->out + c * l->out_shape.h * ow;
      for (int64_t y = 0; y < l->out_shape.h; y++) {
        const float *row = src + (y / k) * w;
        for (int64_t xx = 0; xx < ow; xx++) dst[y * ow + xx] = row[xx / k];
      }
    }
  }
}

static void up_weight_grad(const ae_layer *l, float *grads, const float *x, const float *dz,
                           int64_t batch, ae_layer_scratch *s) {
  (void)l, (void)grads, (void)x, (void)dz, (void)batch, (void)s;
}

static void up_bias_grad(const ae_layer *l, float *grads, const float *dz, int64_t batch,
                         const float *ones) {
  (void)l, (void)grads, (void)dz, (void)batch, (void)ones;
}

static void up_input_grad(const ae_layer *l, const float *params, const float *dz, float *dx,
                          int64_t batch, ae_layer_scratch *s) {
  (void)params, (void)s;
  int64_t k = l->window.k, h = l->in_shape.h, w = l->in_shape.w, ow = l->out_shape.w;
  memset(dx, 0, (size_t)(batch * l->in) * sizeof(float));
  for (int64_t b = 0; b < batch; b++) {
    for (int64_t c = 0; c < l->in_shape.c; c++) {
      const float *src = dz + b * l->out + c * l->out_shape.h * ow;
      float *dst = dx + b * l->in + c * h * w;
      for (int64_t y = 0; y < l->out_shape.h; y++) {
        float *row = dst + (y / k) * w;
        for (int64_t xx = 0; xx < ow; xx++) row[xx / k] += src[y * ow + xx];
      }
    }
  }
}

/* forward = apply: no bias */
const ae_layer_ops ae_upsample_ops = {up_param_count, up_init,        up_apply,
                                      up_apply,       up_weight_grad, up_bias_grad,
                                      up_input_grad,  up_scratch};
