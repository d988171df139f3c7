/* pca.c -- PCA reconstruction error through BLAS and LAPACKE, in double,
 * a chunk of rows at a time so memory stays at the d x d covariance. */
#include "pca.h"

#include <cblas.h>
#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

#define CHUNK 256

/* c (rows, d) = x (rows, d) - mean, in double. */
static void centre(const float *x, int64_t rows, int64_t d, const double *mean, double *c) {
  for (int64_t i = 0; i < rows; i++) {
    for (int64_t j = 0; j < d; j++) c[i * d + j] = (double)x[i * d + j] - mean[j];
  }
}

/* The column means of x (n, d) into mean (d). */
static void column_means(const float *x, int64_t n, int64_t d, double *mean) {
  memset(mean, 0, (size_t)d * sizeof *mean);
  for (int64_t i = 0; i < n; i++) {
    for (int64_t j = 0; j < d; j++) mean[j] += x[i * d + j];
  }
  for (int64_t j = 0; j < d; j++) mean[j] /= (double)n;
}

/* basis (d, k): the eigenvectors of the k largest eigenvalues of the scatter
 * matrix of train, as columns. */
static int fit(const float *train, int64_t n, int64_t d, int64_t k, const double *mean,
               double *chunk, double *basis) {
  double *cov = calloc((size_t)(d * d), sizeof *cov);
  double *eig = malloc((size_t)d * sizeof *eig);
  if (!cov || !eig) {
    free(cov);
    free(eig);
    return msg_no_memory("for PCA");
  }
  for (int64_t r0 = 0; r0 < n; r0 += CHUNK) {
    int64_t rows = n - r0 < CHUNK ? n - r0 : CHUNK;
    centre(train + r0 * d, rows, d, mean, chunk);
    /* upper triangle of cov (d, d) += chunk^T chunk */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)rows, 1.0, chunk, (int)d,
                1.0, cov, (int)d);
  }
  lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)d, cov, (lapack_int)d, eig);
  if (info == 0) {
    /* Eigenvalues ascend; column c of cov is the eigenvector of eig[c]. */
    for (int64_t j = 0; j < d; j++) {
      for (int64_t c = 0; c < k; c++) basis[j * k + c] = cov[j * d + (d - k + c)];
    }
  }
  free(cov);
  free(eig);
  if (info != 0) return msg_error("PCA: LAPACKE_dsyevd failed (info %d)", (int)info);
  return CLI_OK;
}

int pca_error(const float *train, int64_t n_train, const float *test, int64_t n_test,
              int64_t d, int64_t k, double *mse) {
  *mse = 0;
  if (k >= d) return CLI_OK; /* every direction kept: exact */
  double *mean = malloc((size_t)d * sizeof *mean);
  double *chunk = malloc((size_t)(CHUNK * d) * sizeof *chunk);
  double *basis = malloc((size_t)(d * k) * sizeof *basis);
  double *proj = malloc((size_t)(CHUNK * k) * sizeof *proj);
  int rc = mean && chunk && basis && proj ? CLI_OK : msg_no_memory("for PCA");
  if (rc == CLI_OK) {
    column_means(train, n_train, d, mean);
    rc = fit(train, n_train, d, k, mean, chunk, basis);
  }
  double sum = 0;
  for (int64_t r0 = 0; rc == CLI_OK && r0 < n_test; r0 += CHUNK) {
    int64_t rows = n_test - r0 < CHUNK ? n_test - r0 : CHUNK;
    centre(test + r0 * d, rows, d, mean, chunk);
    /* proj (rows, k) = chunk (rows, d) basis (d, k); the basis is orthonormal,
     * so the residual's square is |c|^2 - |proj|^2 */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)k, (int)d, 1.0, chunk,
                (int)d, basis, (int)k, 0.0, proj, (int)k);
    /* chunk is filled by centre, proj by cblas_dgemm: the analyzer follows
     * neither */
    // NOLINTBEGIN(clang-analyzer-core.UndefinedBinaryOperatorResult)
    for (int64_t i = 0; i < rows * d; i++) sum += chunk[i] * chunk[i];
    for (int64_t i = 0; i < rows * k; i++) sum -= proj[i] * proj[i];
    // NOLINTEND(clang-analyzer-core.UndefinedBinaryOperatorResult)
  }
  if (rc == CLI_OK) *mse = sum / ((double)n_test * (double)d);
  free(mean);
  free(chunk);
  free(basis);
  free(proj);
  return rc;
}
