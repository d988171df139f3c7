/* testutil.h -- small helpers shared by the test binaries. */
#ifndef AE_TESTUTIL_H
#define AE_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ae.h"

/* Asserts a status, printing the library's detail message when it differs. */
#define assert_status(expr, expected)                                              \
  do {                                                                             \
    ae_status st_ = (expr);                                                        \
    if (st_ != (expected)) {                                                       \
      fprintf(stderr, "%s:%d: %s gave %s (%s), expected %s\n", __FILE__, __LINE__, \
              #expr, ae_status_string(st_), ae_last_error(),                       \
              ae_status_string(expected));                                         \
    }                                                                              \
    assert_int_equal(st_, (expected));                                             \
  } while (0)

#define assert_ok(expr) assert_status(expr, AE_OK)

/* Deterministic uniform values in [lo, hi) from a 64-bit LCG; tests must not
 * depend on rand(). */
static inline void tu_fill_uniform(float *v, int64_t n, float lo, float hi, uint64_t seed) {
  uint64_t s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (int64_t i = 0; i < n; i++) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    v[i] = lo + (hi - lo) * (float)((s >> 40) * (1.0 / 16777216.0));
  }
}

/* A path for a scratch file under the build's test directory (or /tmp). */
static inline void tu_temp_path(char *buf, size_t size, const char *name) {
  const char *dir = getenv("AE_TEST_TMPDIR");
  snprintf(buf, size, "%s/%s", dir && *dir ? dir : "/tmp", name);
}

/* A model's bytes as ae_save_buffer writes them, optimizer state included:
 * equal snapshots mean equal weights, options, history and optimizer state.
 * Needs <cmocka.h> before this header. */
typedef struct tu_snapshot {
  unsigned char *bytes; /* malloc'd; tu_snapshot_free */
  size_t size;
} tu_snapshot;

static inline tu_snapshot tu_take_snapshot(const ae_model *m) {
  tu_snapshot s = {NULL, 0};
  assert_ok(ae_save_buffer(m, AE_SAVE_OPTIMIZER_STATE, NULL, 0, &s.size));
  s.bytes = malloc(s.size);
  assert_non_null(s.bytes);
  size_t again = 0;
  assert_ok(ae_save_buffer(m, AE_SAVE_OPTIMIZER_STATE, s.bytes, s.size, &again));
  assert_int_equal(again, s.size);
  return s;
}

static inline int tu_same_snapshot(const tu_snapshot *a, const tu_snapshot *b) {
  return a->size == b->size && memcmp(a->bytes, b->bytes, a->size) == 0;
}

static inline void tu_snapshot_free(tu_snapshot *s) {
  free(s->bytes);
  s->bytes = NULL;
}

/* Asserts that m's bytes still equal `expected`. */
static inline void tu_assert_snapshot(const ae_model *m, const tu_snapshot *expected) {
  tu_snapshot now = tu_take_snapshot(m);
  assert_true(tu_same_snapshot(expected, &now));
  tu_snapshot_free(&now);
}

/* A model of `spec`, asserting that creation succeeds. */
static inline ae_model *tu_create(const char *spec, uint64_t seed) {
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, spec, seed));
  assert_non_null(m);
  return m;
}

static inline void tu_set(ae_model *m, ae_option option, double value) {
  assert_ok(ae_set_option(m, option, value));
}

/* A training figure, asserting that it can be read. */
static inline double tu_stat(const ae_model *m, ae_stat s) {
  double v = -12345.0;
  assert_ok(ae_train_stat(m, s, &v));
  return v;
}

#endif
