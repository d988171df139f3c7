#include "dense.h"

#include "ops.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

int64_t ae_dense_param_count(int64_t in, int64_t out, int transposed) {
  return (transposed ? 0 : out * in) + out;
}

void ae_init_uniform(float *w, int64_t count, ae_activation act, int64_t fan_in,
                     int64_t fan_out, ae_rng *rng) {
  float limit = ae_activation_uses_he_init(act) ? sqrtf(6.0f / (float)fan_in)
                                                : sqrtf(6.0f / (float)(fan_in + fan_out));
  for (int64_t i = 0; i < count; i++) w[i] = (2.0f * ae_rng_uniform(rng) - 1.0f) * limit;
}

void ae_dense_init(const ae_layer *l, float *params, ae_rng *rng) {
  if (!l->transposed) ae_init_uniform(params + l->w_off, l->out * l->in, l->act, l->in, l->out, rng);
  memset(params + l->b_off, 0, (size_t)l->out * sizeof(float));
}

/* u (B, out) = t (B, in) W^T + beta u. W is (out, in), or (in, out) when
 * transposed, in which case t W^T of the layer is t W of the matrix. */
static void times_weights(const ae_layer *l, const float *params, const float *t, float *u,
                          int64_t batch, float beta) {
  const float *w = params + l->w_off;
  if (batch == 1) {
    /* One row: sgemv, which reads W in place; sgemm would first pack all of
     * W, most of the time of a single-sample encode. */
    cblas_sgemv(CblasRowMajor, l->transposed ? CblasTrans : CblasNoTrans,
                l->transposed ? (int)l->in : (int)l->out, l->transposed ? (int)l->out : (int)l->in,
                1.0f, w, l->transposed ? (int)l->out : (int)l->in, t, 1, beta, u, 1);
    return;
  }
  if (l->transposed) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch, (int)l->out,
                (int)l->in, 1.0f, t, (int)l->in, w, (int)l->out, beta, u, (int)l->out);
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)l->out,
                (int)l->in, 1.0f, t, (int)l->in, w, (int)l->in, beta, u, (int)l->out);
  }
}

void ae_dense_forward(const ae_layer *l, const float *params, const float *x,
                      float *z, int64_t batch) {
  const float *b = params + l->b_off;
  /* z starts as the bias in every row; the product is then added (beta = 1). */
  for (int64_t r = 0; r < batch; r++) memcpy(z + r * l->out, b, (size_t)l->out * sizeof(float));
  times_weights(l, params, x, z, batch, 1.0f);
}

void ae_dense_apply_weights(const ae_layer *l, const float *params, const float *t,
                            float *u, int64_t batch) {
  times_weights(l, params, t, u, batch, 0.0f);
}

void ae_dense_weight_grad(const ae_layer *l, float *grads, const float *x,
                          const float *dz, int64_t batch) {
  float *dw = grads + l->w_off;
  if (l->transposed) {
    /* dW (in, out) += x^T (in, B) dz (B, out) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)l->in, (int)l->out,
                (int)batch, 1.0f, x, (int)l->in, dz, (int)l->out, 1.0f, dw, (int)l->out);
  } else {
    /* dW (out, in) += dz^T (out, B) x (B, in) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)l->out, (int)l->in,
                (int)batch, 1.0f, dz, (int)l->out, x, (int)l->in, 1.0f, dw, (int)l->in);
  }
}

void ae_dense_input_grad(const ae_layer *l, const float *params, const float *dz,
                         float *dx, int64_t batch) {
  const float *w = params + l->w_off;
  /* dx (B, in) = dz (B, out) W (out, in), or dz W^T for the (in, out) matrix */
  cblas_sgemm(CblasRowMajor, CblasNoTrans, l->transposed ? CblasTrans : CblasNoTrans,
              (int)batch, (int)l->in, (int)l->out, 1.0f, dz, (int)l->out, w,
              l->transposed ? (int)l->out : (int)l->in, 0.0f, dx, (int)l->in);
}

void ae_dense_backward(const ae_layer *l, const float *params, float *grads,
                       const float *x, const float *dz, float *dx,
                       const float *ones, int64_t batch) {
  ae_dense_weight_grad(l, grads, x, dz, batch);
  /* db (out) += dz^T (out, B) 1 (B) */
  cblas_sgemv(CblasRowMajor, CblasTrans, (int)batch, (int)l->out, 1.0f, dz,
              (int)l->out, ones, 1, 1.0f, grads + l->b_off, 1);
  if (dx) ae_dense_input_grad(l, params, dz, dx, batch);
}

/* ---- the dense layer behind the common layer interface (ops.h) ---- */

static int64_t ops_param_count(const ae_layer *l) {
  return ae_dense_param_count(l->in, l->out, l->transposed);
}

static void ops_forward(const ae_layer *l, const float *params, const float *x, float *z,
                        int64_t batch, ae_layer_scratch *s) {
  (void)s;
  ae_dense_forward(l, params, x, z, batch);
}

static void ops_apply(const ae_layer *l, const float *params, const float *t, float *u,
                      int64_t batch, ae_layer_scratch *s) {
  (void)s;
  ae_dense_apply_weights(l, params, t, u, batch);
}

static void ops_weight_grad(const ae_layer *l, float *grads, const float *x, const float *dz,
                            int64_t batch, ae_layer_scratch *s) {
  (void)s;
  ae_dense_weight_grad(l, grads, x, dz, batch);
}

static void ops_bias_grad(const ae_layer *l, float *grads, const float *dz, int64_t batch,
                          const ae_layer_scratch *s) {
  /* db (out) += dz^T (out, B) 1 (B) */
  cblas_sgemv(CblasRowMajor, CblasTrans, (int)batch, (int)l->out, 1.0f, dz, (int)l->out, s->ones,
              1, 1.0f, grads + l->b_off, 1);
}

static void ops_input_grad(const ae_layer *l, const float *params, const float *dz, float *dx,
                           int64_t batch, ae_layer_scratch *s) {
  (void)s;
  ae_dense_input_grad(l, params, dz, dx, batch);
}

static void ops_scratch(const ae_layer *l, int64_t rows, int64_t *cols, int64_t *tmp) {
  (void)l, (void)rows;
  *cols = *tmp = 0;
}

const ae_layer_ops ae_dense_ops = {ops_param_count, ae_dense_init,   ops_forward,
                                   ops_apply,       ops_weight_grad, ops_bias_grad,
                                   ops_input_grad,  ops_scratch, NULL};
