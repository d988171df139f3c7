/* synthdata.h -- small synthetic data sets, and models trained on them, for
 * the behaviour tests of test_penalties.c and test_denoise.c. Needs
 * <cmocka.h> before this header. */
#ifndef AE_SYNTHDATA_H
#define AE_SYNTHDATA_H

#include <stdint.h>
#include <stdlib.h>

#include "testutil.h"

/* x (n, d): rank `rank` structure plus a little noise, every column with its
 * own offset in [0.3, 0.7]:
 *   x[i][j] = offset[j] + sum_f z[i][f] a[f][j] / rank + noise * u[i][j],
 * z, a and u uniform in [-1, 1). The same seed gives the same structure
 * (offsets and loadings a); `rows_seed` picks the rows, so training and
 * held-out sets share a manifold. Values stay within about [-0.8, 1.8]. */
static inline void sd_lowrank(float *x, int64_t n, int64_t d, int64_t rank, float noise,
                              uint64_t seed, uint64_t rows_seed) {
  float *a = malloc((size_t)(rank * d) * sizeof(float));
  float *offset = malloc((size_t)d * sizeof(float));
  float *z = malloc((size_t)(n * rank) * sizeof(float));
  float *u = malloc((size_t)(n * d) * sizeof(float));
  assert_true(a && offset && z && u);
  tu_fill_uniform(a, rank * d, -1.0f, 1.0f, seed);
  tu_fill_uniform(offset, d, 0.3f, 0.7f, seed + 1);
  tu_fill_uniform(z, n * rank, -1.0f, 1.0f, rows_seed * 3 + 100);
  tu_fill_uniform(u, n * d, -1.0f, 1.0f, rows_seed * 3 + 101);
  for (int64_t i = 0; i < n; i++) {
    for (int64_t j = 0; j < d; j++) {
      float v = offset[j] + noise * u[i * d + j];
      for (int64_t f = 0; f < rank; f++) v += z[i * rank + f] * a[f * d + j] / (float)rank;
      x[i * d + j] = v;
    }
  }
  free(a);
  free(offset);
  free(z);
  free(u);
}

/* Training and held-out rows of width d from one manifold (sd_lowrank with
 * the same structure seed, different rows). */
typedef struct sd_data {
  float *train, *held_out; /* (n_train, d), (n_held, d) */
  int64_t n_train, n_held, d;
} sd_data;

static inline sd_data sd_data_make(int64_t n_train, int64_t n_held, int64_t d, int64_t rank,
                                   float noise, uint64_t seed) {
  sd_data s = {malloc((size_t)(n_train * d) * sizeof(float)),
               malloc((size_t)(n_held * d) * sizeof(float)), n_train, n_held, d};
  assert_true(s.train && s.held_out);
  sd_lowrank(s.train, n_train, d, rank, noise, seed, 1);
  sd_lowrank(s.held_out, n_held, d, rank, noise, seed, 2);
  return s;
}

static inline void sd_data_free(sd_data *s) {
  free(s->train);
  free(s->held_out);
  s->train = s->held_out = NULL;
}

/* A model of `spec` (seed) trained with Adam at lr, batches of 32, for
 * `epochs` on x (n, d), towards target (n, d) or, when NULL, x itself. */
static inline ae_model *sd_train(const char *spec, uint64_t seed, const float *x,
                                 const float *target, int64_t n, int64_t d, int epochs,
                                 double lr) {
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, spec, seed));
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, epochs));
  assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, 32));
  assert_ok(ae_set_option(m, AE_OPT_LEARNING_RATE, lr));
  assert_ok(ae_train(m, x, n, d, target, target ? d : 0));
  return m;
}

/* Mean over every element of (a - b)^2, in double. */
static inline double sd_mse(const float *a, const float *b, int64_t count) {
  double s = 0.0;
  for (int64_t i = 0; i < count; i++) {
    double e = (double)a[i] - (double)b[i];
    s += e * e;
  }
  return s / (double)count;
}

#endif
