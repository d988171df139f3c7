#include "gaussian.h"

#include <math.h>
#include <string.h>

#include "dense.h"

/* The two heads as one dense layer of 2N outputs. */
static ae_layer heads(const ae_layer *l) {
  ae_layer h = *l;
  h.out = 2 * l->out;
  h.act = AE_ACT_LINEAR;
  h.transposed = 0;
  return h;
}

int64_t ae_gaussian_param_count(int64_t in, int64_t n) {
  return ae_dense_param_count(in, 2 * n, 0);
}

void ae_gaussian_init(const ae_layer *l, float *params, ae_rng *rng) {
  ae_layer h = heads(l);
  ae_dense_init(&h, params, rng);
}

void ae_gaussian_forward(const ae_layer *l, const float *params, const float *x,
                         float *stats, const float *eps, float *z, int64_t batch) {
  ae_layer h = heads(l);
  int64_t n = l->out;
  ae_dense_forward(&h, params, x, stats, batch);
  for (int64_t b = 0; b < batch; b++) {
    const float *mu = stats + b * 2 * n;
    float *lv = stats + b * 2 * n + n;
    float *zb = z + b * n;
    for (int64_t j = 0; j < n; j++) {
      /* NaN-safe clamp: a NaN log var stays NaN and is caught as divergence */
      if (lv[j] < AE_LOGVAR_MIN) lv[j] = AE_LOGVAR_MIN;
      if (lv[j] > AE_LOGVAR_MAX) lv[j] = AE_LOGVAR_MAX;
      zb[j] = eps ? mu[j] + expf(0.5f * lv[j]) * eps[b * n + j] : mu[j];
    }
  }
}

void ae_gaussian_backward(const ae_layer *l, const float *params, float *grads,
                          const float *x, const float *stats, const float *eps,
                          const float *dz, float *dstats, float *dx, const float *ones,
                          int64_t batch) {
  int64_t n = l->out;
  for (int64_t b = 0; b < batch; b++) {
    const float *lv = stats + b * 2 * n + n;
    float *dmu = dstats + b * 2 * n;
    float *dlv = dstats + b * 2 * n + n;
    for (int64_t j = 0; j < n; j++) {
      float g = dz[b * n + j];
      dmu[j] += g;
      int clamped = lv[j] <= AE_LOGVAR_MIN || lv[j] >= AE_LOGVAR_MAX;
      if (eps && !clamped) dlv[j] += g * eps[b * n + j] * 0.5f * expf(0.5f * lv[j]);
      if (clamped) dlv[j] = 0.0f;
    }
  }
  ae_layer h = heads(l);
  ae_dense_backward(&h, params, grads, x, dstats, dx, ones, batch);
}
