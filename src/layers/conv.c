/* conv.c -- 2-D convolution over NCHW samples, forward next to backward.
 *
 * x (B, C, H, W) -> z (B, F, OH, OW); W (F, C*k*k) at w_off, b (F) at b_off.
 * 3x3 kernels at stride 1 with at least 32 channels on both sides go
 * through conv_winograd.c (F(2x2, 3x3) transforms, 16 products); other
 * stride-1 kernels with several input channels through conv_frame.c (k*k
 * products over zero-padded frames), one channel on a side through
 * conv_direct.c. Otherwise, per chunk of n samples: cols (C*k*k, n*OH*OW) =
 * im2col(x), then one sgemm t (F, n*OH*OW) = W cols, reordered to NCHW with
 * the bias added. Backward: dW += dz' cols^T and dcols = W^T dz' (dz' = dz
 * channel-major), col2im. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "conv_direct.h"
#include "conv_frame.h"
#include "conv_winograd.h"
#include "dense.h"
#include "im2col.h"
#include "ops.h"

static ae_patches patches_of(const ae_layer *l) {
  ae_patches p = {l->in_shape.c, l->in_shape.h, l->in_shape.w,
                  l->out_shape.h, l->out_shape.w, l->window};
  return p;
}

static int64_t ckk(const ae_layer *l) { return l->in_shape.c * l->window.k * l->window.k; }
static int64_t grid(const ae_layer *l) { return l->out_shape.h * l->out_shape.w; }

static int64_t conv_param_count(const ae_layer *l) {
  return l->out_shape.c * ckk(l) + l->out_shape.c;
}

static void conv_init(const ae_layer *l, float *params, ae_rng *rng) {
  int64_t kk = l->window.k * l->window.k;
  ae_init_uniform(params + l->w_off, l->out_shape.c * ckk(l), l->act,
                  l->in_shape.c * kk, l->out_shape.c * kk, rng);
  memset(params + l->b_off, 0, (size_t)l->out_shape.c * sizeof(float));
}

static void conv_scratch(const ae_layer *l, int64_t rows, int64_t *cols, int64_t *tmp) {
  if (ae_direct_applies(l)) {
    ae_direct_scratch(l, rows, cols, tmp);
    return;
  }
  if (ae_winograd_applies(l)) {
    ae_winograd_scratch(l, rows, cols, tmp);
    return;
  }
  if (ae_frame_applies(l)) {
    ae_frame_scratch(l, rows, cols, tmp);
    return;
  }
  int64_t n = ae_chunk_samples(rows, ckk(l) * grid(l), AE_PATCH_BUDGET);
  *cols = n * ckk(l) * grid(l);
  *tmp = n * l->out_shape.c * grid(l);
}

/* z = W im2col(x) (+ b when bias is not NULL), chunk by chunk. */
static void conv_map(const ae_layer *l, const float *params, const float *x, float *z,
                     int64_t batch, ae_layer_scratch *s, const float *bias) {
  if (ae_direct_applies(l)) {
    ae_direct_forward(l, params, x, z, batch, s, bias);
    return;
  }
  if (ae_winograd_applies(l)) {
    ae_winograd_forward(l, params, x, z, batch, s, bias);
    return;
  }
  if (ae_frame_applies(l)) {
    ae_frame_forward(l, params, x, z, batch, s, bias);
    return;
  }
  ae_patches p = patches_of(l);
  int64_t g = grid(l), f = l->out_shape.c, k = ckk(l);
  int64_t chunk = ae_chunk_samples(batch, k * g, AE_PATCH_BUDGET);
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    int64_t n = batch - b0 < chunk ? batch - b0 : chunk;
    int64_t ld = n * g;
    for (int64_t i = 0; i < n; i++) ae_im2col(&p, x + (b0 + i) * l->in, s->cols + i * g, ld);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)f, (int)ld, (int)k, 1.0f,
                params + l->w_off, (int)k, s->cols, (int)ld, 0.0f, s->tmp, (int)ld);
    ae_from_channel_major(s->tmp, n, f, g, bias, z + b0 * l->out);
  }
}

static void conv_forward(const ae_layer *l, const float *params, const float *x, float *z,
                         int64_t batch, ae_layer_scratch *s) {
  conv_map(l, params, x, z, batch, s, params + l->b_off);
}

static void conv_apply(const ae_layer *l, const float *params, const float *t, float *u,
                       int64_t batch, ae_layer_scratch *s) {
  conv_map(l, params, t, u, batch, s, NULL);
}

static void conv_weight_grad(const ae_layer *l, float *grads, const float *x, const float *dz,
                             int64_t batch, ae_layer_scratch *s) {
  if (ae_direct_applies(l)) {
    ae_direct_weight_grad(l, grads, x, dz, batch, s);
    return;
  }
  if (ae_winograd_applies(l)) {
    ae_winograd_backward(l, NULL, grads, x, dz, NULL, batch, s);
    return;
  }
  if (ae_frame_applies(l)) {
    ae_frame_weight_grad(l, grads, x, dz, batch, s);
    return;
  }
  ae_patches p = patches_of(l);
  int64_t g = grid(l), f = l->out_shape.c, k = ckk(l);
  int64_t chunk = ae_chunk_samples(batch, k * g, AE_PATCH_BUDGET);
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    int64_t n = batch - b0 < chunk ? batch - b0 : chunk;
    int64_t ld = n * g;
    for (int64_t i = 0; i < n; i++) ae_im2col(&p, x + (b0 + i) * l->in, s->cols + i * g, ld);
    ae_to_channel_major(dz + b0 * l->out, n, f, g, s->tmp);
    /* dW (F, CKK) += dz' (F, ld) cols^T (ld, CKK) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)f, (int)k, (int)ld, 1.0f,
                s->tmp, (int)ld, s->cols, (int)ld, 1.0f, grads + l->w_off, (int)k);
  }
}

static void conv_bias_grad(const ae_layer *l, float *grads, const float *dz, int64_t batch,
                           const ae_layer_scratch *s) {
  ae_channel_sums(s->workers, dz, batch, l->out_shape.c, grid(l), grads + l->b_off);
}

static void conv_input_grad(const ae_layer *l, const float *params, const float *dz, float *dx,
                            int64_t batch, ae_layer_scratch *s) {
  if (ae_direct_applies(l)) {
    ae_direct_input_grad(l, params, dz, dx, batch, s);
    return;
  }
  if (ae_winograd_applies(l)) {
    ae_winograd_backward(l, params, NULL, NULL, dz, dx, batch, s);
    return;
  }
  if (ae_frame_applies(l)) {
    ae_frame_input_grad(l, params, dz, dx, batch, s);
    return;
  }
  ae_patches p = patches_of(l);
  int64_t g = grid(l), f = l->out_shape.c, k = ckk(l);
  int64_t chunk = ae_chunk_samples(batch, k * g, AE_PATCH_BUDGET);
  memset(dx, 0, (size_t)(batch * l->in) * sizeof(float));
  for (int64_t b0 = 0; b0 < batch; b0 += chunk) {
    int64_t n = batch - b0 < chunk ? batch - b0 : chunk;
    int64_t ld = n * g;
    ae_to_channel_major(dz + b0 * l->out, n, f, g, s->tmp);
    /* dcols (CKK, ld) = W^T (CKK, F) dz' (F, ld) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)ld, (int)f, 1.0f,
                params + l->w_off, (int)k, s->tmp, (int)ld, 0.0f, s->cols, (int)ld);
    for (int64_t i = 0; i < n; i++) ae_col2im(&p, s->cols + i * g, ld, dx + (b0 + i) * l->in);
  }
}

/* Both gradients: the Winograd path transforms dz once for the two. */
static void conv_weight_and_input_grad(const ae_layer *l, const float *params, float *grads,
                                       const float *x, const float *dz, float *dx,
                                       int64_t batch, ae_layer_scratch *s) {
  if (ae_winograd_applies(l)) {
    ae_winograd_backward(l, params, grads, x, dz, dx, batch, s);
    return;
  }
  conv_weight_grad(l, grads, x, dz, batch, s);
  conv_input_grad(l, params, dz, dx, batch, s);
}

const ae_layer_ops ae_conv_ops = {conv_param_count, conv_init,        conv_forward,
                                  conv_apply,       conv_weight_grad, conv_bias_grad,
                                  conv_input_grad,  conv_scratch,     conv_weight_and_input_grad};
