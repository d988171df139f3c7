#include "optim.h"

int64_t ae_optim_state_floats(ae_optimizer_kind kind, int64_t n) {
  return kind == AE_OPTIMIZER_ADAM ? 2 * n : n;
}

int ae_optim_step(const ae_optim_config *cfg, float *params, const float *grads,
                  float *state, int64_t n, int64_t step) {
  if (cfg->kind == AE_OPTIMIZER_ADAM) return ae_adam_step(cfg, params, grads, state, n, step);
  return ae_sgd_step(cfg, params, grads, state, n);
}
