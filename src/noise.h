/* noise.h -- input corruption for denoising autoencoders (the spec's
 * `noise` statement), applied afresh to each training minibatch. */
#ifndef AE_NOISE_H
#define AE_NOISE_H

#include <stdint.h>

#include "rng.h"
#include "spec.h"

/* Corrupts x[0..count) in place. lo and hi are the training data's minimum
 * and maximum: salt-and-pepper sets values to them, and clipped Gaussian
 * noise stays within them. */
void ae_corrupt(const ae_noise_spec *noise, float *x, int64_t count, float lo, float hi,
                ae_rng *rng);

#endif
