#include "contractive.h"

#include <cblas.h>

#include "../layers/ops.h"

/* L = 0, exact. h is (B, out); W is (out, in).
 *   P     = lambda/B sum_b sum_j g_bj^2 r_j,   r_j = |W_j|^2
 *   dP/dz = lambda/B * 2 g g' r_j            (through g = f'(z))
 *   dP/dW_j (direct, through r_j) = 2 lambda/B (sum_b g_bj^2) W_j */
static double exact(const ae_layer *l, const float *params, float *grads, ae_workspace *ws,
                    int64_t batch, double lambda) {
  const float *w = params + l->w_off;
  float *d1 = ws->scratch[0];          /* (B, out) f'(z) */
  float *d2 = ws->cz[0];               /* (B, out) f''(z), then dP/dz in place */
  float *r = ws->scratch[1];           /* (out) row norms */
  float *s = ws->scratch[1] + l->out;  /* (out) sum over the batch of g^2 */
  ae_activation_derivatives(l->act, ws->out[0], d1, d2, batch * l->out);
  for (int64_t j = 0; j < l->out; j++) {
    r[j] = cblas_sdot((int)l->in, w + j * l->in, 1, w + j * l->in, 1);
    s[j] = 0.0f;
  }
  const float k = (float)(2.0 * lambda / (double)batch);
  double penalty = 0.0;
  for (int64_t b = 0; b < batch; b++) {
    for (int64_t j = 0; j < l->out; j++) {
      float g = d1[b * l->out + j];
      penalty += (double)(g * g) * r[j];
      s[j] += g * g;
      d2[b * l->out + j] = k * g * d2[b * l->out + j] * r[j];
    }
  }
  for (int64_t j = 0; j < l->out; j++) {
    cblas_saxpy((int)l->in, k * s[j], w + j * l->in, 1, grads + l->w_off + j * l->in, 1);
  }
  return lambda * penalty / (double)batch;
}

/* L > 0, one Gaussian probe per sample; see contractive.h. */
static double stochastic(const ae_graph *g, const float *params, float *grads,
                         ae_workspace *ws, int64_t batch, int32_t last, double lambda) {
  float *d1 = ws->scratch[0], *d2 = ws->scratch[1];
  /* forward tangents: u_i = t_{i-1} W_i^T, t_i = f'(z_i) * u_i */
  const float *t_prev = ws->probe;
  for (int32_t i = 0; i <= last; i++) {
    const ae_layer *l = &g->layers[i];
    int64_t count = batch * l->out;
    ae_layer_scratch s = ae_layer_scratch_of(ws, i);
    ae_layer_ops_of(l->kind)->apply(l, params, t_prev, ws->tan_u[i], batch, &s);
    ae_activation_derivatives(l->act, ws->out[i], d1, NULL, count);
    for (int64_t k = 0; k < count; k++) ws->tan_t[i][k] = d1[k] * ws->tan_u[i][k];
    t_prev = ws->tan_t[i];
  }
  int64_t width = g->layers[last].out, code_count = batch * width;
  const float *t_last = ws->tan_t[last];
  double penalty = 0.0; /* row by row: code_count may pass INT_MAX, a width never does */
  for (int64_t b = 0; b < batch; b++) {
    penalty += cblas_dsdot((int)width, t_last + b * width, 1, t_last + b * width, 1);
  }
  /* backward through the tangents, from T = dP/dt_L = 2 lambda/B t_L */
  int cur = 0;
  float *T = ws->tback[cur];
  for (int64_t k = 0; k < code_count; k++) T[k] = (float)(2.0 * lambda / (double)batch) * t_last[k];
  for (int32_t i = last; i >= 0; i--) {
    const ae_layer *l = &g->layers[i];
    int64_t count = batch * l->out;
    T = ws->tback[cur];
    ae_activation_derivatives(l->act, ws->out[i], d1, d2, count);
    for (int64_t k = 0; k < count; k++) {
      ws->cz[i][k] = T[k] * ws->tan_u[i][k] * d2[k]; /* through f'(z_i) */
      T[k] *= d1[k];                                 /* now dP/du_i */
    }
    const ae_layer_ops *ops = ae_layer_ops_of(l->kind);
    ae_layer_scratch s = ae_layer_scratch_of(ws, i);
    ops->weight_grad(l, grads, i > 0 ? ws->tan_t[i - 1] : ws->probe, T, batch, &s);
    if (i > 0) ops->input_grad(l, params, T, ws->tback[1 - cur], batch, &s);
    cur = 1 - cur;
  }
  return lambda * penalty / (double)batch;
}

double ae_contractive_prepare(const ae_graph *g, const float *params, float *grads,
                              ae_workspace *ws, int64_t batch) {
  int32_t last = g->contractive_layer;
  double lambda = g->layers[last].penalties.contractive;
  if (g->contractive_exact) return exact(&g->layers[0], params, grads, ws, batch, lambda);
  return stochastic(g, params, grads, ws, batch, last, lambda);
}
