/* pca.h -- the baseline an autoencoder should beat: PCA with k components,
 * fitted on the training rows (eigenvectors of the centred covariance by
 * LAPACKE_dsyevd), its error measured on held-out rows as the autoencoder's
 * is: mean squared error per value. */
#ifndef AE_CLI_PCA_H
#define AE_CLI_PCA_H

#include <stdint.h>

/* Wider data are not worth a d x d covariance matrix (4096^2 doubles is
 * 128 MiB); callers skip PCA above this. */
#define PCA_MAX_COLS 4096

/* The mean squared error per value of reconstructing test (n_test, d) from
 * its projection on the top k principal components of train (n_train, d).
 * CLI_OK, or CLI_FAIL with a message. */
int pca_error(const float *train, int64_t n_train, const float *test, int64_t n_test,
              int64_t d, int64_t k, double *mse);

#endif
