#include "vmath.h"

#include <math.h>

#if AE_HAVE_LIBMVEC
#include <emmintrin.h>

/* glibc's libmvec, 4 floats (SSE) per call; named by their vector ABI
 * symbols (libm links it: libm.so and libm.a pull libmvec in). */
__m128 ae_mvec_expf4(__m128 x) __asm__("_ZGVbN4v_expf");
__m128 ae_mvec_log1pf4(__m128 x) __asm__("_ZGVbN4v_log1pf");
#define VECTOR_PART(fn4, x, y, n, i)                                   \
  for (; (i) + 4 <= (n); (i) += 4) _mm_storeu_ps((y) + (i), fn4(_mm_loadu_ps((x) + (i))))
#else
#define VECTOR_PART(fn4, x, y, n, i) ((void)0)
#endif

void ae_vexpf(const float *x, float *y, int64_t n) {
  int64_t i = 0;
  VECTOR_PART(ae_mvec_expf4, x, y, n, i);
  for (; i < n; i++) y[i] = expf(x[i]);
}

void ae_vlog1pf(const float *x, float *y, int64_t n) {
  int64_t i = 0;
  VECTOR_PART(ae_mvec_log1pf4, x, y, n, i);
  for (; i < n; i++) y[i] = log1pf(x[i]);
}
