/* gaussian.h -- the code layer of a variational autoencoder.
 *
 * One dense map from the layer input h (B, in) to the statistics
 * s (B, 2N) = [mu | log var] (W (2N, in) at w_off, b (2N) at b_off), then the
 * code z (B, N) = mu + exp(log var / 2) * eps when sampling (training, with
 * eps ~ N(0, I): the reparameterization trick), or z = mu.
 *
 * log var is clamped to [AE_LOGVAR_MIN, AE_LOGVAR_MAX], so var = e^(log var)
 * stays within [1e-13, 5e8] and never overflows; the gradient is 0 where the
 * clamp holds. */
#ifndef AE_GAUSSIAN_H
#define AE_GAUSSIAN_H

#include "../rng.h"
#include "layer.h"

#define AE_LOGVAR_MIN (-30.0f)
#define AE_LOGVAR_MAX 20.0f

int64_t ae_gaussian_param_count(int64_t in, int64_t n);
void ae_gaussian_init(const ae_layer *l, float *params, ae_rng *rng);

/* stats (B, 2N) and z (B, N) from x (B, in); eps (B, N), or NULL for z = mu. */
void ae_gaussian_forward(const ae_layer *l, const float *params, const float *x,
                         float *stats, const float *eps, float *z, int64_t batch);

/* Given dz (B, N) = dL/dz and dstats (B, 2N) already holding any gradient
 * with respect to the statistics (the KL term's), adds the reparameterized
 * path's dL/dmu = dz and dL/dlog var = dz * eps * exp(log var / 2) / 2 to
 * dstats, then ADDS the heads' parameter gradients to grads and, if dx is not
 * NULL, writes dx (B, in). eps NULL: z was mu. */
void ae_gaussian_backward(const ae_layer *l, const float *params, float *grads,
                          const float *x, const float *stats, const float *eps,
                          const float *dz, float *dstats, float *dx, const float *ones,
                          int64_t batch);

#endif
