#include <math.h>

#include "../finite.h"
#include "optim.h"

/* Kingma & Ba, Algorithm 1, with the bias corrections folded into the step
 * size and epsilon as PyTorch does:
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps) */
int ae_adam_step(const ae_optim_config *cfg, float *restrict params,
                 const float *restrict grads, float *restrict m, float *restrict v,
                 int64_t n, int64_t step) {
  const float b1 = cfg->beta1, b2 = cfg->beta2, eps = cfg->epsilon;
  const float step_size = (float)(cfg->learning_rate / (1.0 - pow(b1, (double)step)));
  const float inv_sqrt_c2 = (float)(1.0 / sqrt(1.0 - pow(b2, (double)step)));
  uint32_t bad = 0;
  for (int64_t i = 0; i < n; i++) {
    float g = grads[i];
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    params[i] -= step_size * m[i] / (sqrtf(v[i]) * inv_sqrt_c2 + eps);
    /* every value written: a finite g past ~1.8e19 (5.8e20 at the first
     * step) makes v Inf while w stays finite (its step is then 0), a state
     * that would freeze that weight and make the saved file unloadable */
    bad |= ae_nonfinite_bit(params[i]) | ae_nonfinite_bit(m[i]) | ae_nonfinite_bit(v[i]);
  }
  return bad == 0;
}
