#include "loss.h"

double ae_mse(const float *y, const float *t, int64_t count, float *grad, float scale) {
  double sum = 0.0;
  for (int64_t i = 0; i < count; i++) {
    float d = y[i] - t[i];
    sum += (double)(d * d);
    if (grad) grad[i] = 2.0f * scale * d;
  }
  return sum;
}
