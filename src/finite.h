/* finite.h -- finiteness by exponent bits, for loops over whole arrays.
 *
 * isfinite() is a floating-point compare per value; testing the exponent
 * bits and OR-ing the results keeps such loops vectorizable (and fusable
 * into other loops, like the optimizers' updates). */
#ifndef AE_FINITE_H
#define AE_FINITE_H

#include <stdint.h>
#include <string.h>

/* 1 when v is Inf or NaN (all exponent bits set), else 0. */
static inline uint32_t ae_nonfinite_bit(float v) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  return (uint32_t)((bits & 0x7f800000u) == 0x7f800000u);
}

#endif
