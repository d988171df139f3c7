#include <cblas.h>
#include <math.h>

#include "reg.h"

#define RHO_HAT_MIN 1e-6f

double ae_reg_kl_sparsity(const float *h, float *dh, int64_t batch, int64_t n,
                          double rho, double beta, float *rho_hat) {
  /* rho_hat (n) = h^T (n, B) 1 (B) / B, as a column mean: sum the rows. */
  for (int64_t j = 0; j < n; j++) rho_hat[j] = 0.0f;
  for (int64_t b = 0; b < batch; b++) cblas_saxpy((int)n, 1.0f, h + b * n, 1, rho_hat, 1);
  double penalty = 0.0;
  for (int64_t j = 0; j < n; j++) {
    double q = rho_hat[j] / (double)batch;
    if (q < RHO_HAT_MIN) q = RHO_HAT_MIN;
    if (q > 1.0 - RHO_HAT_MIN) q = 1.0 - RHO_HAT_MIN;
    penalty += rho * log(rho / q) + (1.0 - rho) * log((1.0 - rho) / (1.0 - q));
    /* reuse rho_hat[j] for the per-element gradient, the same for every row */
    rho_hat[j] = (float)(beta / (double)batch * ((1.0 - rho) / (1.0 - q) - rho / q));
  }
  for (int64_t b = 0; b < batch; b++) cblas_saxpy((int)n, 1.0f, rho_hat, 1, dh + b * n, 1);
  return beta * penalty;
}
