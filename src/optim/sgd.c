#include "../finite.h"
#include "optim.h"

/* PyTorch's form: v = mu v + g; w -= lr v (no dampening, no Nesterov). */
int ae_sgd_step(const ae_optim_config *cfg, float *restrict params,
                const float *restrict grads, float *restrict velocity, int64_t n) {
  const float mu = cfg->momentum, lr = cfg->learning_rate;
  uint32_t bad = 0;
  for (int64_t i = 0; i < n; i++) {
    velocity[i] = mu * velocity[i] + grads[i];
    params[i] -= lr * velocity[i];
    bad |= ae_nonfinite_bit(params[i]) | ae_nonfinite_bit(velocity[i]); /* every value written */
  }
  return bad == 0;
}
