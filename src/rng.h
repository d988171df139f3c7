/* rng.h -- seeded, counter-based random numbers; no global state.
 *
 * A stream is (key, counter); its i-th number is a SplitMix64 hash of
 * key + i * golden-ratio, so any stream can be re-created from the model seed
 * and a few integers naming its purpose (initialisation of layer 3, shuffle of
 * epoch 7 of training call 2, ...), with no state carried between uses. */
#ifndef AE_RNG_H
#define AE_RNG_H

#include <stdint.h>

typedef struct ae_rng {
  uint64_t key;
  uint64_t counter;
} ae_rng;

/* What a stream is used for; part of its key, so purposes never collide. */
enum ae_rng_purpose {
  AE_RNG_INIT = 1,       /* index: layer */
  AE_RNG_SHUFFLE = 2,    /* index: (training call << 32) | epoch */
  AE_RNG_SPLIT = 3,      /* index: training call */
  AE_RNG_NOISE = 4,      /* index: training call */
  AE_RNG_PROBE = 5,      /* index: training call (contractive probes) */
  AE_RNG_EPS = 6,        /* index: training call (VAE reparameterization) */
  AE_RNG_SAMPLE = 7      /* index: caller's seed (ae_sample, sampled codes) */
};

ae_rng ae_rng_stream(uint64_t seed, uint64_t purpose, uint64_t index);
uint64_t ae_rng_next(ae_rng *r);
/* Uniform in [0, 1) with 24 random bits. */
float ae_rng_uniform(ae_rng *r);
/* Uniform integer in [0, n), n >= 1, without modulo bias. */
uint64_t ae_rng_below(ae_rng *r, uint64_t n);
/* Standard normal (Box-Muller on two uniforms; never log(0)). */
float ae_rng_normal(ae_rng *r);
/* Fisher-Yates shuffle of idx[0..n). */
void ae_rng_shuffle(ae_rng *r, int64_t *idx, int64_t n);

#endif
