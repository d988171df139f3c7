/* test_pca.c -- a linear autoencoder trained with the public API reaches the
 * reconstruction error of PCA.
 *
 * PCA with k components is the best rank-k affine reconstruction in squared
 * error (Eckart-Young), and a linear autoencoder "input d; code k linear;
 * dense d linear" spans exactly the rank-k affine maps, so once trained its
 * error must come within a few percent of PCA's and can never be clearly below
 * it. The data have known rank k plus small isotropic noise (so that PCA's
 * error is not zero) and a non-zero mean (so that the biases matter). PCA is
 * computed here independently: the covariance of the centred data in double,
 * its eigenvectors by LAPACKE_dsyev, and the reconstruction written out and
 * measured exactly as the autoencoder's (ae_reconstruct) is. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lapacke.h>

#include "ae.h"
#include "testutil.h"

enum { N = 600, D = 12, K = 3 };

#define NOISE_SIGMA 0.1
#define TWO_PI 6.283185307179586

/* Standard normal values by Box-Muller from tu_fill_uniform's uniforms. */
static void fill_normal(double *v, int64_t n, uint64_t seed) {
  float *u = malloc((size_t)(n + 1) * 2 * sizeof(float));
  assert_non_null(u);
  tu_fill_uniform(u, (n + 1) * 2, 0.0f, 1.0f, seed);
  for (int64_t i = 0; i < n; i += 2) {
    double u1 = 1.0 - (double)u[i]; /* in (0, 1]: log is finite */
    double u2 = (double)u[i + 1];
    double r = sqrt(-2.0 * log(u1));
    v[i] = r * cos(TWO_PI * u2);
    if (i + 1 < n) v[i + 1] = r * sin(TWO_PI * u2);
  }
  free(u);
}

/* x (N, D) = mean + z (N, K) diag(scale) A (K, D) + noise. */
static void make_data(float *x) {
  double *z = malloc(N * K * sizeof(double));
  double *noise = malloc(N * D * sizeof(double));
  assert_non_null(z);
  assert_non_null(noise);
  float a[K * D], mean[D];
  static const double scale[K] = {3.0, 2.0, 1.0}; /* distinct factor variances */
  tu_fill_uniform(a, K * D, -1.0f, 1.0f, 11);
  tu_fill_uniform(mean, D, -2.0f, 2.0f, 12);
  fill_normal(z, N * K, 13);
  fill_normal(noise, N * D, 14);
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < D; j++) {
      double v = mean[j] + NOISE_SIGMA * noise[i * D + j];
      for (int f = 0; f < K; f++) v += scale[f] * z[i * K + f] * a[f * D + j];
      x[i * D + j] = (float)v;
    }
  }
  free(z);
  free(noise);
}

/* Mean over every element of (y - x)^2, in double. */
static double mse(const float *y, const float *x, int64_t count) {
  double s = 0.0;
  for (int64_t i = 0; i < count; i++) {
    double d = (double)y[i] - (double)x[i];
    s += d * d;
  }
  return s / (double)count;
}

/* PCA with K components: writes the reconstruction into out (N, D) and
 * returns the sum of the discarded eigenvalues of the covariance (normalised
 * by N), so that the caller can cross-check the reconstruction's error. */
static double pca_reconstruct(const float *x, float *out) {
  double mean[D] = {0};
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < D; j++) mean[j] += x[i * D + j];
  }
  for (int j = 0; j < D; j++) mean[j] /= N;
  /* cov (D, D), symmetric, so row- and column-major agree */
  double cov[D * D] = {0};
  for (int i = 0; i < N; i++) {
    double c[D];
    for (int j = 0; j < D; j++) c[j] = x[i * D + j] - mean[j];
    for (int j = 0; j < D; j++) {
      for (int k = 0; k < D; k++) cov[j * D + k] += c[j] * c[k];
    }
  }
  for (int j = 0; j < D * D; j++) cov[j] /= N;

  double w[D];
  assert_int_equal(LAPACKE_dsyev(LAPACK_COL_MAJOR, 'V', 'U', D, cov, D, w), 0);
  /* Eigenvalues ascend; column c of the column-major result (cov + c * D) is
   * the eigenvector of w[c]. The top K are columns D-K .. D-1. */
  for (int c = 1; c < D; c++) assert_true(w[c - 1] <= w[c]);
  double discarded = 0.0;
  for (int c = 0; c < D - K; c++) discarded += w[c];
  /* A clear gap between signal and noise: the rank is really K. */
  assert_true(w[D - K] > 20.0 * w[D - K - 1]);

  for (int i = 0; i < N; i++) {
    double c[D], r[D];
    for (int j = 0; j < D; j++) {
      c[j] = x[i * D + j] - mean[j];
      r[j] = mean[j];
    }
    for (int e = D - K; e < D; e++) {
      const double *v = cov + e * D;
      double proj = 0.0;
      for (int j = 0; j < D; j++) proj += v[j] * c[j];
      for (int j = 0; j < D; j++) r[j] += proj * v[j];
    }
    for (int j = 0; j < D; j++) out[i * D + j] = (float)r[j];
  }
  return discarded;
}

static void test_linear_ae_matches_pca(void **state) {
  (void)state;
  float *x = malloc(N * D * sizeof(float));
  float *pca_out = malloc(N * D * sizeof(float));
  float *ae_out = malloc(N * D * sizeof(float));
  assert_true(x && pca_out && ae_out);
  make_data(x);

  double discarded = pca_reconstruct(x, pca_out);
  double pca_mse = mse(pca_out, x, N * D);
  /* The explicit reconstruction agrees with the eigenvalues: per element, the
   * discarded variance over D columns. */
  assert_true(fabs(pca_mse - discarded / D) <= 1e-4 * pca_mse);
  /* about (D - K) / D * sigma^2, and clearly above zero */
  assert_true(pca_mse > 0.5 * (D - K) * NOISE_SIGMA * NOISE_SIGMA / D);
  assert_true(pca_mse < 1.5 * (D - K) * NOISE_SIGMA * NOISE_SIGMA / D);

  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, "input 12; code 3 linear; dense 12 linear", 7));
  assert_ok(ae_set_option(m, AE_OPT_OPTIMIZER, AE_OPTIMIZER_ADAM));
  assert_ok(ae_set_option(m, AE_OPT_LOSS, AE_LOSS_MSE));
  assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, 16));
  /* A step schedule through the public API: training continues across calls
   * (Adam's state carries over), each call at a lower rate. At a constant
   * rate Adam keeps hovering 2-10 % above PCA's error; the final calls at
   * 1e-3 and 1e-4 settle it within 0.1 % (measured over model seeds 1..10;
   * the whole schedule takes about 0.1 s). */
  static const struct { double lr; double epochs; } schedule[] = {
      {1e-2, 200}, {3e-3, 100}, {1e-3, 100}, {1e-4, 50}};
  for (size_t s = 0; s < sizeof schedule / sizeof schedule[0]; s++) {
    assert_ok(ae_set_option(m, AE_OPT_LEARNING_RATE, schedule[s].lr));
    assert_ok(ae_set_option(m, AE_OPT_EPOCHS, schedule[s].epochs));
    assert_ok(ae_train(m, x, N, D, NULL, 0));
    if (getenv("AE_PCA_VERBOSE")) {
      assert_ok(ae_reconstruct(m, x, N, D, ae_out, D));
      fprintf(stderr, "after lr %g: ae mse %.6g, pca mse %.6g, ratio %.4f\n", schedule[s].lr,
              mse(ae_out, x, N * D), pca_mse, mse(ae_out, x, N * D) / pca_mse);
    }
  }
  assert_ok(ae_reconstruct(m, x, N, D, ae_out, D));
  double ae_mse = mse(ae_out, x, N * D);
  double ratio = ae_mse / pca_mse;
  fprintf(stderr, "linear AE %.6g vs PCA %.6g mean squared error per element: ratio %.4f\n",
          ae_mse, pca_mse, ratio);

  /* The training's own figure is the same quantity, on the last epoch. */
  double stat = NAN;
  assert_ok(ae_train_stat(m, AE_STAT_RECONSTRUCTION, &stat));
  assert_true(fabs(stat - ae_mse) <= 0.05 * ae_mse);

  assert_true(ratio <= 1.05); /* reaches PCA */
  assert_true(ratio >= 0.98); /* and cannot beat it: else the measure is wrong */

  ae_model_free(m);
  free(x);
  free(pca_out);
  free(ae_out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_linear_ae_matches_pca),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
