#include <math.h>

#include "../vmath.h"
#include "loss.h"

double ae_bce(const float *y, const float *t, int64_t count, float *grad, float scale) {
  double sum = 0.0;
  for (int64_t i = 0; i < count; i++) {
    float p = y[i];
    int clamped = !(p >= AE_BCE_EPS && p <= 1.0f - AE_BCE_EPS);
    if (clamped) p = p < AE_BCE_EPS ? AE_BCE_EPS : 1.0f - AE_BCE_EPS;
    sum -= (double)t[i] * log((double)p) + (1.0 - (double)t[i]) * log1p(-(double)p);
    if (grad) grad[i] = clamped ? 0.0f : scale * (p - t[i]) / (p * (1.0f - p));
  }
  return sum;
}

/* From logits z: per value max(z, 0) - z t + log1p(exp(-|z|)), the sum in
 * double; the gradient scale * (sigmoid(z) - t). exp and log1p go over
 * blocks of values at once (vmath.h). */
double ae_bce_logits(const float *z, const float *t, int64_t count, float *grad, float scale) {
  enum { BLOCK = 256 };
  float e[BLOCK], softplus[BLOCK]; /* exp(-|z|) in (0, 1]: never overflows */
  double sum = 0.0;
  for (int64_t i0 = 0; i0 < count; i0 += BLOCK) {
    int64_t n = count - i0 < BLOCK ? count - i0 : BLOCK;
    const float *zb = z + i0, *tb = t + i0;
    for (int64_t i = 0; i < n; i++) e[i] = -fabsf(zb[i]);
    ae_vexpf(e, e, n);
    ae_vlog1pf(e, softplus, n);
    for (int64_t i = 0; i < n; i++) {
      float zi = zb[i];
      sum += (double)((zi > 0 ? zi : 0.0f) - zi * tb[i] + softplus[i]);
    }
    if (grad) {
      for (int64_t i = 0; i < n; i++) {
        float sig = zb[i] >= 0 ? 1.0f / (1.0f + e[i]) : e[i] / (1.0f + e[i]);
        grad[i0 + i] = scale * (sig - tb[i]);
      }
    }
  }
  return sum;
}
