#include "optim.h"

/* Parameters per part of an update: big enough that a part outlasts waking
 * a worker, small enough to spread 0.1M parameters over a few threads. */
#define UPDATE_GRAIN 16384

int64_t ae_optim_state_floats(ae_optimizer_kind kind, int64_t n) {
  return kind == AE_OPTIMIZER_ADAM ? 2 * n : n;
}

typedef struct update {
  const ae_optim_config *cfg;
  float *params, *state;
  const float *grads;
  int64_t n, step;
} update;

/* Parameters [begin, end); returns 1 when one of them or its state became
 * Inf or NaN. */
static double update_range(void *ctx, int64_t begin, int64_t end) {
  const update *u = ctx;
  int64_t count = end - begin;
  float *p = u->params + begin, *s = u->state + begin;
  const float *g = u->grads + begin;
  int finite = u->cfg->kind == AE_OPTIMIZER_ADAM
                   ? ae_adam_step(u->cfg, p, g, s, s + u->n, count, u->step)
                   : ae_sgd_step(u->cfg, p, g, s, count);
  return finite ? 0.0 : 1.0;
}

int ae_optim_step(ae_workers *w, const ae_optim_config *cfg, float *params, const float *grads,
                  float *state, int64_t n, int64_t step) {
  update u = {cfg, params, state, grads, n, step};
  return ae_parallel(w, n, UPDATE_GRAIN, update_range, &u) == 0.0;
}
