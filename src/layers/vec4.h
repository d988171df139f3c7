/* vec4.h -- four floats in one register, for the convolution paths' inner
 * loops. GCC's and Clang's vector types compile to SSE on x86-64 (and to
 * whatever the target has elsewhere); memcpy loads and stores them
 * unaligned. */
#ifndef AE_VEC4_H
#define AE_VEC4_H

#include <stdint.h>
#include <string.h>

typedef float vec4 __attribute__((vector_size(16)));
typedef int32_t ivec4 __attribute__((vector_size(16)));

/* Lanes i, j, k, l of the eight of (a, b): Clang and GCC 12 spell it
 * __builtin_shufflevector, older GCC __builtin_shuffle. */
#if defined(__clang__) || __GNUC__ >= 12
#define AE_SHUFFLE4(a, b, i, j, k, l) __builtin_shufflevector(a, b, i, j, k, l)
#else
#define AE_SHUFFLE4(a, b, i, j, k, l) __builtin_shuffle(a, b, (ivec4){i, j, k, l})
#endif

static inline vec4 load4(const float *p) {
  vec4 v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline void store4(float *p, vec4 v) { memcpy(p, &v, sizeof v); }

/* The first n (0..4) lanes of v to p; constant sizes, so that each case is
 * one or two moves. */
static inline void store_lanes(float *p, vec4 v, int64_t n) {
  switch (n) {
  case 4:
    memcpy(p, &v, 4 * sizeof(float));
    break;
  case 3:
    memcpy(p, &v, 3 * sizeof(float));
    break;
  case 2:
    memcpy(p, &v, 2 * sizeof(float));
    break;
  case 1:
    memcpy(p, &v, sizeof(float));
    break;
  default:
    break;
  }
}

#endif
