#include "optim.h"

/* PyTorch's form: v = mu v + g; w -= lr v (no dampening, no Nesterov). */
void ae_sgd_step(const ae_optim_config *cfg, float *params, const float *grads,
                 float *velocity, int64_t n) {
  const float mu = cfg->momentum, lr = cfg->learning_rate;
  for (int64_t i = 0; i < n; i++) {
    velocity[i] = mu * velocity[i] + grads[i];
    params[i] -= lr * velocity[i];
  }
}
