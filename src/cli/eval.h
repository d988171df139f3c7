/* eval.h -- reconstruction errors of a model on data, a chunk of rows at a
 * time so memory stays small whatever the number of rows. */
#ifndef AE_CLI_EVAL_H
#define AE_CLI_EVAL_H

#include <stdint.h>

#include "ae.h"

/* Over x (n, d): *mse, the mean squared error per value of the
 * reconstruction, and *loss, the model's own loss per value (AE_OPT_LOSS, as
 * ae_score computes it). CLI_FAIL with a message. */
int eval_errors(const ae_model *model, const float *x, int64_t n, int64_t d, double *mse,
                double *loss);

/* errors (n, d): each value's reconstruction error under the model's loss:
 * (y - x)^2 for MSE, -(x log y + (1 - x) log(1 - y)) for BCE with y clamped
 * to [1e-7, 1 - 1e-7]. The row means are ae_score's scores (up to rounding). */
int eval_per_value(const ae_model *model, const float *x, int64_t n, int64_t d, float *errors);

#endif
