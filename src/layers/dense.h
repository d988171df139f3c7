/* dense.h -- fully connected layer: z = x W^T + b over a whole batch.
 *
 * Shapes (row-major): x is (B, in), z is (B, out), b is (out) at
 * params + b_off. W at params + w_off is (out, in); for a tied (transposed)
 * layer it is the (in, out) matrix of its encoder twin, used as W^T. Every
 * product is one cblas_sgemm over the batch. */
#ifndef AE_DENSE_H
#define AE_DENSE_H

#include "../rng.h"
#include "layer.h"

/* Parameters the layer owns: weights and biases, or biases alone when tied. */
int64_t ae_dense_param_count(int64_t in, int64_t out, int transposed);

/* w[0..count) uniform in +-limit: He, sqrt(6 / fan_in), for the ReLU family,
 * else Xavier/Glorot, sqrt(6 / (fan_in + fan_out)). */
void ae_init_uniform(float *w, int64_t count, ae_activation act, int64_t fan_in,
                     int64_t fan_out, ae_rng *rng);

/* Xavier/Glorot uniform, or He uniform for the ReLU family; biases 0. A tied
 * layer initialises only its biases. */
void ae_dense_init(const ae_layer *l, float *params, ae_rng *rng);

/* z (B, out) = x (B, in) W^T + b */
void ae_dense_forward(const ae_layer *l, const float *params, const float *x,
                      float *z, int64_t batch);

/* u (B, out) = t (B, in) W^T: the weights alone, for tangents (no bias). */
void ae_dense_apply_weights(const ae_layer *l, const float *params, const float *t,
                            float *u, int64_t batch);

/* grads[W] += dz^T x (the weight gradient for this layer's orientation). */
void ae_dense_weight_grad(const ae_layer *l, float *grads, const float *x,
                          const float *dz, int64_t batch);

/* dx (B, in) = dz (B, out) W */
void ae_dense_input_grad(const ae_layer *l, const float *params, const float *dz,
                         float *dx, int64_t batch);

/* Given dz (B, out) = dL/dz, ADDS dL/dW and dL/db = dz^T 1 to grads (same
 * offsets as params), and if dx is not NULL writes dx = dz W. ones is a
 * vector of at least B ones. */
void ae_dense_backward(const ae_layer *l, const float *params, float *grads,
                       const float *x, const float *dz, float *dx,
                       const float *ones, int64_t batch);

#endif
