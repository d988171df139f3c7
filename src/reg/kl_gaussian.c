#include <math.h>

#include "../layers/gaussian.h"
#include "reg.h"

double ae_kl_gaussian_row(const float *stats, int64_t n) {
  const float *mu = stats, *lv = stats + n;
  double kl = 0.0;
  for (int64_t j = 0; j < n; j++) {
    kl += -0.5 * (1.0 + (double)lv[j] - (double)mu[j] * mu[j] - exp((double)lv[j]));
  }
  return kl;
}

double ae_kl_gaussian(const float *stats, float *dstats, int64_t batch, int64_t n,
                      double beta) {
  const float k = (float)(beta / (double)batch);
  double kl = 0.0;
  for (int64_t b = 0; b < batch; b++) {
    const float *mu = stats + b * 2 * n, *lv = mu + n;
    float *dmu = dstats + b * 2 * n, *dlv = dmu + n;
    kl += ae_kl_gaussian_row(stats + b * 2 * n, n);
    for (int64_t j = 0; j < n; j++) {
      dmu[j] += k * mu[j];
      dlv[j] += 0.5f * k * (expf(lv[j]) - 1.0f);
    }
  }
  return beta * kl / (double)batch;
}
