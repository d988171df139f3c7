#include "reg.h"

double ae_reg_l1_activity(const float *h, float *dh, int64_t batch, int64_t n,
                          double lambda) {
  const float step = (float)(lambda / (double)batch);
  double sum = 0.0;
  for (int64_t i = 0; i < batch * n; i++) {
    float v = h[i];
    sum += v > 0 ? v : -v;
    dh[i] += v > 0 ? step : (v < 0 ? -step : 0.0f);
  }
  return lambda * sum / (double)batch;
}
