/* random.c -- splitmix64 (Steele, Lea and Flood 2014) and what it gives. */
#include "random.h"

#include <math.h>

uint64_t random_next(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double random_uniform(uint64_t *state) { return (double)(random_next(state) >> 11) * 0x1.0p-53; }

double random_normal(uint64_t *state) {
  double u1 = 1.0 - random_uniform(state); /* in (0, 1]: log is finite */
  double u2 = random_uniform(state);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
