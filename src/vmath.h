/* vmath.h -- elementwise expf and log1pf over arrays.
 *
 * The scalar libm calls cost 20-40 ns each and cannot be vectorized without
 * -ffast-math (which would also drop the NaN/Inf semantics the divergence
 * checks rely on). Where glibc's vector math library is there (x86-64,
 * glibc >= 2.35: AE_HAVE_LIBMVEC), four values go per call, with the scalar
 * functions' special cases and an error of a few ulp; elsewhere, and for the
 * last n % 4 values, the scalar functions. Results are deterministic on one
 * machine, not bit-identical to the scalar functions. y may equal x. */
#ifndef AE_VMATH_H
#define AE_VMATH_H

#include <stdint.h>

void ae_vexpf(const float *x, float *y, int64_t n);
void ae_vlog1pf(const float *x, float *y, int64_t n);

#endif
