/* dense.h -- fully connected layer: z = x W^T + b over a whole batch.
 *
 * Shapes (row-major): x is (B, in), z is (B, out), W is (out, in) at
 * params + w_off, b is (out) at params + b_off. Every product is one
 * cblas_sgemm over the batch. */
#ifndef AE_DENSE_H
#define AE_DENSE_H

#include "../rng.h"
#include "layer.h"

int64_t ae_dense_param_count(int64_t in, int64_t out);

/* Xavier/Glorot uniform, or He uniform for the ReLU family; biases 0. */
void ae_dense_init(const ae_layer *l, float *params, ae_rng *rng);

/* z (B, out) = x (B, in) W^T + b */
void ae_dense_forward(const ae_layer *l, const float *params, const float *x,
                      float *z, int64_t batch);

/* Given dz (B, out) = dL/dz, ADDS dL/dW = dz^T x and dL/db = dz^T 1 to grads
 * (same offsets as params), and if dx is not NULL writes dx (B, in) = dz W.
 * ones is a vector of at least B ones. */
void ae_dense_backward(const ae_layer *l, const float *params, float *grads,
                       const float *x, const float *dz, float *dx,
                       const float *ones, int64_t batch);

#endif
