#include "rng.h"

#include <math.h>

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

#define GOLDEN 0x9e3779b97f4a7c15ULL

ae_rng ae_rng_stream(uint64_t seed, uint64_t purpose, uint64_t index) {
  ae_rng r;
  r.key = mix64(mix64(seed + GOLDEN) ^ mix64(purpose * GOLDEN + index));
  r.counter = 0;
  return r;
}

uint64_t ae_rng_next(ae_rng *r) {
  r->counter++;
  return mix64(r->key + r->counter * GOLDEN);
}

float ae_rng_uniform(ae_rng *r) {
  return (float)(ae_rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

uint64_t ae_rng_below(ae_rng *r, uint64_t n) {
  /* Rejection sampling: draw until the value falls below the largest multiple
   * of n, so every residue is equally likely. */
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t v;
  do {
    v = ae_rng_next(r);
  } while (v >= limit);
  return v % n;
}

void ae_rng_shuffle(ae_rng *r, int64_t *idx, int64_t n) {
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)ae_rng_below(r, (uint64_t)i + 1);
    int64_t t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
}

float ae_rng_normal(ae_rng *r) {
  /* u1 in (0, 1]: 53 random bits plus one half step keep it away from 0. */
  double u1 = ((double)(ae_rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
  double u2 = (double)(ae_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
  return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}
