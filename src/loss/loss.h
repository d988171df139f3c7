/* loss.h -- reconstruction losses: value and gradient w.r.t. the output.
 *
 * Every function returns the SUM of the per-element loss over `count`
 * elements (in double), and if grad is not NULL writes
 * grad[i] = scale * d(loss_i)/d(y_i), so the caller picks the reduction
 * (scale = 1 / count gives the per-element mean that training reports). */
#ifndef AE_LOSS_H
#define AE_LOSS_H

#include <stdint.h>

#include "ae.h"
#include "../workers.h"

/* Outputs of the BCE on probabilities are clamped to [AE_BCE_EPS, 1 - AE_BCE_EPS]. */
#define AE_BCE_EPS 1e-7f

/* (y - t)^2 */
double ae_mse(const float *y, const float *t, int64_t count, float *grad, float scale);
/* -(t log y + (1 - t) log(1 - y)), y clamped; the gradient is 0 where clamped. */
double ae_bce(const float *y, const float *t, int64_t count, float *grad, float scale);
/* The same loss of y = sigmoid(z), computed from the logits z without
 * overflow: max(z, 0) - z t + log(1 + e^-|z|); the gradient is w.r.t. z:
 * sigmoid(z) - t. */
double ae_bce_logits(const float *z, const float *t, int64_t count, float *grad, float scale);

/* Whether training computes `kind` from the logits of an output layer with
 * activation `act` (BCE after a sigmoid). */
int ae_loss_uses_logits(ae_loss_kind kind, int output_is_sigmoid);

/* Dispatch on kind; `from_logits` as ae_loss_uses_logits says. The values
 * are split over the workers (NULL: the caller) in parts fixed by count, so
 * the sum is the same whoever computes it. */
double ae_loss_eval(ae_workers *w, ae_loss_kind kind, int from_logits, const float *y,
                    const float *t, int64_t count, float *grad, float scale);

#endif
