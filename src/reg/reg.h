/* reg.h -- regularizers: penalties added to the loss, with their gradients.
 *
 * Layers know nothing of penalties. Two kinds attach to the graph:
 * - parameter regularizers read the parameter arena and add their gradient to
 *   the gradient arena (L2 weight decay);
 * - activity regularizers read one layer's output h (B, n) during the
 *   backward pass and add their gradient to dL/dh (L1, KL sparsity).
 * The contractive penalty, which needs the encoder's Jacobian, has its own
 * module (contractive.h). Every penalty is per sample, averaged over the
 * batch, and is added to the reconstruction loss in its reduction. */
#ifndef AE_REG_H
#define AE_REG_H

#include <stdint.h>

#include "../graph.h"

typedef struct ae_param_regularizer {
  const char *name;
  /* Returns the penalty at params and ADDS its gradient to grads. */
  double (*apply)(const ae_graph *g, const float *params, float *grads,
                  double strength);
} ae_param_regularizer;

/* strength/2 * sum of W^2 over every weight matrix (biases excluded; a tied
 * matrix counts once). */
extern const ae_param_regularizer ae_reg_l2;

/* lambda/B * sum |h|; adds lambda/B * sign(h) to dh (0 at h = 0). */
double ae_reg_l1_activity(const float *h, float *dh, int64_t batch, int64_t n,
                          double lambda);

/* beta * sum_j KL(rho || rho_hat_j), rho_hat_j the mean of h[:, j] over the
 * batch (clamped to [1e-6, 1 - 1e-6]); adds its gradient
 * beta/B * ((1 - rho)/(1 - rho_hat_j) - rho/rho_hat_j) to dh[:, j].
 * rho_hat is scratch of n floats. */
double ae_reg_kl_sparsity(const float *h, float *dh, int64_t batch, int64_t n,
                          double rho, double beta, float *rho_hat);

/* The VAE's KL term, beta * KL(N(mu, var) || N(0, I)) per sample =
 * -beta/2 * sum_j (1 + lv_j - mu_j^2 - e^lv_j), averaged over the batch, from
 * stats (B, 2N) = [mu | lv]; ADDS its gradient beta/B * mu and
 * beta/(2B) * (e^lv - 1) to dstats (B, 2N). */
double ae_kl_gaussian(const float *stats, float *dstats, int64_t batch, int64_t n,
                      double beta);
/* KL(N(mu, var) || N(0, I)) of one sample, stats (2N) = [mu | lv]. */
double ae_kl_gaussian_row(const float *stats, int64_t n);

#endif
