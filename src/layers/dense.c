#include "dense.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

int64_t ae_dense_param_count(int64_t in, int64_t out) { return out * in + out; }

void ae_dense_init(const ae_layer *l, float *params, ae_rng *rng) {
  float *w = params + l->w_off;
  float limit = ae_activation_uses_he_init(l->act)
                    ? sqrtf(6.0f / (float)l->in)
                    : sqrtf(6.0f / (float)(l->in + l->out));
  for (int64_t i = 0; i < l->out * l->in; i++) {
    w[i] = (2.0f * ae_rng_uniform(rng) - 1.0f) * limit;
  }
  memset(params + l->b_off, 0, (size_t)l->out * sizeof(float));
}

void ae_dense_forward(const ae_layer *l, const float *params, const float *x,
                      float *z, int64_t batch) {
  const float *w = params + l->w_off;
  const float *b = params + l->b_off;
  /* z starts as the bias in every row; the product is then added (beta = 1). */
  for (int64_t r = 0; r < batch; r++) memcpy(z + r * l->out, b, (size_t)l->out * sizeof(float));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)l->out,
              (int)l->in, 1.0f, x, (int)l->in, w, (int)l->in, 1.0f, z, (int)l->out);
}

void ae_dense_backward(const ae_layer *l, const float *params, float *grads,
                       const float *x, const float *dz, float *dx,
                       const float *ones, int64_t batch) {
  /* dW (out, in) += dz^T (out, B) x (B, in) */
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)l->out, (int)l->in,
              (int)batch, 1.0f, dz, (int)l->out, x, (int)l->in, 1.0f,
              grads + l->w_off, (int)l->in);
  /* db (out) += dz^T (out, B) 1 (B) */
  cblas_sgemv(CblasRowMajor, CblasTrans, (int)batch, (int)l->out, 1.0f, dz,
              (int)l->out, ones, 1, 1.0f, grads + l->b_off, 1);
  if (dx) {
    /* dx (B, in) = dz (B, out) W (out, in) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch, (int)l->in,
                (int)l->out, 1.0f, dz, (int)l->out, params + l->w_off, (int)l->in,
                0.0f, dx, (int)l->in);
  }
}
