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

static void pool_forward(const ae_layer *l, const float *params, const float *x, float *z,
                         int64_t batch, ae_layer_scratch *s) {
  (void)params;
  const ae_window *win = &l->window;
  int64_t h = l->in_shape.h, w = l->in_shape.w, oh = l->out_shape.h, ow = l->out_shape.w;
  for (int64_t b = 0; b < batch; b++) {
    for (int64_t c = 0; c < l->in_shape.c; c++) {
      const float *plane = x + b * l->in + c * h * w;
      for (int64_t oy = 0; oy < oh; oy++) {
        for (int64_t ox = 0; ox < ow; ox++) {
          float best = -INFINITY;
          int64_t best_at = -1;
          for (int64_t ky = 0; ky < win->k; ky++) {
            int64_t y = oy * win->stride - win->pad_top + ky;
            if (y < 0 || y >= h) continue;
            for (int64_t kx = 0; kx < win->k; kx++) {
              int64_t xx = ox * win->stride - win->pad_left + kx;
              if (xx < 0 || xx >= w) continue;
              /* the first maximum wins; NaN never does, so NaN inputs
               * propagate through best_at == -1 only if all are NaN */
              if (best_at < 0 || plane[y * w + xx] > best) {
                best = plane[y * w + xx];
                best_at = y * w + xx;
              }
            }
          }
          int64_t o = (c * oh + oy) * ow + ox;
          z[b * l->out + o] = best;
          s->argmax[b * l->out + o] = (int32_t)(c * h * w + best_at);
        }
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
                           const float *ones) {
  (void)l, (void)grads, (void)dz, (void)batch, (void)ones;
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
