/* random.h -- seeded random numbers for the program's own draws (test
 * splits, corruption for pictures): splitmix64, no global state. */
#ifndef AE_CLI_RANDOM_H
#define AE_CLI_RANDOM_H

#include <stdint.h>

/* The next 64 random bits; advances *state. */
uint64_t random_next(uint64_t *state);
/* Uniform in [0, 1). */
double random_uniform(uint64_t *state);
/* Standard normal (Box-Muller). */
double random_normal(uint64_t *state);

#endif
