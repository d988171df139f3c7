/* deconv.c -- 2-D transposed convolution over NCHW samples, forward next to
 * backward: the adjoint of a convolution's input gradient.
 *
 * x (B, C, H, W) -> z (B, F, OH, OW); W (C, F*k*k) at w_off (PyTorch's
 * ConvTranspose2d layout), b (F). The kernel positions are the input's grid
 * and the image is the output. Per chunk of n samples: x' = x channel-major
 * (C, n*H*W), cols (F*k*k, n*H*W) = W^T x', col2im into z, plus the bias.
 * Backward: cols = im2col(dz), dW += x' cols^T, dx' = W cols. */
#include <cblas.h>
#include <string.h>

#include "dense.h"
#include "im2col.h"
#include "ops.h"

static ae_patches patches_of(const ae_layer *l) {
  ae_patches p = {l->out_shape.c, l->out_shape.h, l->out_shape.w,
                  l->in_shape.h, l->in_shape.w, l->window};
  return p;
}

static int64_t fkk(const ae_layer *l) { return l->out_shape.c * l->window.k * l->window.k; }
static int64_t grid(const ae_layer *l) { return l->in_shape.h * l->in_shape.w; }

static int64_t deconv_param_count(const ae_layer *l) {
  return l->in_shape.c * fkk(l) + l->out_shape.c;
}

static void deconv_init(const ae_layer *l, float *params, ae_rng *rng) {
  int64_t kk = l->window.k * l->window.k, s2 = l->window.stride * l->window.stride;
  /* each output sees about C k^2 / stride^2 inputs */
  int64_t fan_in = l->in_shape.c * kk / s2 > 0 ? l->in_shape.c * kk / s2 : 1;
  ae_init_uniform(params + l->w_off, l->in_shape.c * fkk(l), l->act, fan_in,
                  l->out_shape.c * kk, rng);
  memset(params + l->b_off, 0, (size_t)l->out_shape.c * sizeof(float));
}

static void deconv_scratch(const ae_layer *l, int64_t rows, int64_t *cols, int64_t *tmp) {
  int64_t n = ae_chunk_samples(rows, fkk(l) * grid(l), AE_PATCH_BUDGET);
  *cols = n * fkk(l) * grid(l);
  *tmp = n * l->in_shape.c * grid(l);
}

/* samples per chunk: the same count deconv_scratch sized the buffers for */
static int64_t chunk_of(const ae_layer *l, int64_t batch) {
  return ae_chunk_samples(batch, fkk(l) * grid(l), AE_PATCH_BUDGET);
}

static void deconv_map(const ae_layer *l, const float *params, const float *x, float *z,
                       int64_t batch, ae_layer_scratch *s, const float *bias) {
  ae_patches p = patches_of(l);
  int64_t g = grid(l), c = l->in_shape.c, k = fkk(l), chunk = chunk_of(l, batch);
  int64_t plane = l->out_shape.h * l->out_shape.w;
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    int64_t n = batch - b0 < chunk ? batch - b0 : chunk;
    int64_t ld = n * g;
    ae_to_channel_major(x + b0 * l->in, n, c, g, s->tmp);
    /* cols (FKK, ld) = W^T (FKK, C) x' (C, ld) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)ld, (int)c, 1.0f,
                params + l->w_off, (int)k, s->tmp, (int)ld, 0.0f, s->cols, (int)ld);
    for (int64_t i = 0; i < n; i++) {
      float *zi = z + (b0 + i) * l->out;
      memset(zi, 0, (size_t)l->out * sizeof(float));
      ae_col2im(&p, s->cols + i * g, ld, zi);
      if (!bias) continue;
      for (int64_t f = 0; f < l->out_shape.c; f++) {
        for (int64_t q = 0; q < plane; q++) zi[f * plane + q] += bias[f];
      }
    }
  }
}

static void deconv_forward(const ae_layer *l, const float *params, const float *x, float *z,
                           int64_t batch, ae_layer_scratch *s) {
  deconv_map(l, params, x, z, batch, s, params + l->b_off);
}

static void deconv_apply(const ae_layer *l, const float *params, const float *t, float *u,
                         int64_t batch, ae_layer_scratch *s) {
  deconv_map(l, params, t, u, batch, s, NULL);
}

/* cols (FKK, n*G) = im2col of dz's samples b0 .. b0+n */
static void gather_patches(const ae_layer *l, const float *dz, int64_t b0, int64_t n,
                           ae_layer_scratch *s) {
  ae_patches p = patches_of(l);
  int64_t g = grid(l);
  for (int64_t i = 0; i < n; i++) ae_im2col(&p, dz + (b0 + i) * l->out, s->cols + i * g, n * g);
}

static void deconv_weight_grad(const ae_layer *l, float *grads, const float *x, const float *dz,
                               int64_t batch, ae_layer_scratch *s) {
  int64_t g = grid(l), c = l->in_shape.c, k = fkk(l), chunk = chunk_of(l, batch);
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    int64_t n = batch - b0 < chunk ? batch - b0 : chunk;
    int64_t ld = n * g;
    gather_patches(l, dz, b0, n, s);
    ae_to_channel_major(x + b0 * l->in, n, c, g, s->tmp);
    /* dW (C, FKK) += x' (C, ld) cols^T (ld, FKK) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)c, (int)k, (int)ld, 1.0f,
                s->tmp, (int)ld, s->cols, (int)ld, 1.0f, grads + l->w_off, (int)k);
  }
}

static void deconv_bias_grad(const ae_layer *l, float *grads, const float *dz, int64_t batch,
                             const ae_layer_scratch *s) {
  ae_channel_sums(s->workers, dz, batch, l->out_shape.c, l->out_shape.h * l->out_shape.w,
                  grads + l->b_off);
}

static void deconv_input_grad(const ae_layer *l, const float *params, const float *dz,
                              float *dx, int64_t batch, ae_layer_scratch *s) {
  int64_t g = grid(l), c = l->in_shape.c, k = fkk(l), chunk = chunk_of(l, batch);
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    int64_t n = batch - b0 < chunk ? batch - b0 : chunk;
    int64_t ld = n * g;
    gather_patches(l, dz, b0, n, s);
    /* dx' (C, ld) = W (C, FKK) cols (FKK, ld) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)c, (int)ld, (int)k, 1.0f,
                params + l->w_off, (int)k, s->cols, (int)ld, 0.0f, s->tmp, (int)ld);
    ae_from_channel_major(s->tmp, n, c, g, NULL, dx + b0 * l->in);
  }
}

const ae_layer_ops ae_deconv_ops = {deconv_param_count, deconv_init,       deconv_forward,
                                    deconv_apply,       deconv_weight_grad, deconv_bias_grad,
                                    deconv_input_grad,  deconv_scratch, NULL};
