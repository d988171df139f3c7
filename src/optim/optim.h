/* optim.h -- optimizers: one flat loop over the parameter arena.
 *
 * The state (momentum, or Adam's two moments) is one float array laid out
 * like the parameters, so the model file stores it as-is. */
#ifndef AE_OPTIM_H
#define AE_OPTIM_H

#include <stdint.h>

#include "ae.h"
#include "../workers.h"

typedef struct ae_optim_config {
  ae_optimizer_kind kind;
  float learning_rate;
  float momentum;      /* SGD */
  float beta1, beta2;  /* Adam */
  float epsilon;       /* Adam */
} ae_optim_config;

/* Floats of state per optimizer for n parameters: SGD n, Adam 2n. */
int64_t ae_optim_state_floats(ae_optimizer_kind kind, int64_t n);

/* One update of params (n) from grads (n), split over the workers (NULL:
 * on the caller). state starts zeroed; step is the 1-based count of updates
 * made with this state (Adam's bias correction). Returns 1 when every
 * updated parameter and state value is finite, 0 otherwise (checked in the
 * same pass: they are not read again). */
int ae_optim_step(ae_workers *w, const ae_optim_config *cfg, float *params, const float *grads,
                  float *state, int64_t n, int64_t step);

/* The updates of n parameters, as ae_optim_step; velocity (n). */
int ae_sgd_step(const ae_optim_config *cfg, float *restrict params,
                const float *restrict grads, float *restrict velocity, int64_t n);
/* m, v (n): first and second moments. */
int ae_adam_step(const ae_optim_config *cfg, float *restrict params,
                 const float *restrict grads, float *restrict m, float *restrict v,
                 int64_t n, int64_t step);

#endif
