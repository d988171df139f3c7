#include <math.h>

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

double ae_bce_logits(const float *z, const float *t, int64_t count, float *grad, float scale) {
  double sum = 0.0;
  for (int64_t i = 0; i < count; i++) {
    float zi = z[i];
    float e = expf(-fabsf(zi)); /* in (0, 1]: never overflows */
    /* each term in float (log1pf is exact to an ulp), the sum in double */
    sum += (double)((zi > 0 ? zi : 0.0f) - zi * t[i] + log1pf(e));
    if (grad) {
      float sig = zi >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
      grad[i] = scale * (sig - t[i]);
    }
  }
  return sum;
}
