/* ops.h -- what the graph asks of every layer kind.
 *
 * A layer maps x (B, in) to a pre-activation z (B, out) = A(x) + b, with A
 * linear in x for every kind but max pooling (piecewise linear: A routes each
 * output to its window's arg-max, fixed by the last forward pass). The graph
 * applies the activation. Backward is split so that the contractive penalty
 * and the Jacobian measurement can use the parts on their own. */
#ifndef AE_OPS_H
#define AE_OPS_H

#include <stdint.h>

#include "../rng.h"
#include "../workers.h"
#include "layer.h"

/* Buffers a layer may use during one call (owned by the workspace). */
typedef struct ae_layer_scratch {
  float *cols;       /* im2col columns, as scratch_size asked */
  float *tmp;        /* channel-major reorder buffer, as scratch_size asked */
  int32_t *argmax;   /* max pooling: (B, out) arg-max per output, or NULL */
  const float *ones; /* (B) ones, for dense bias gradients (backward only) */
  ae_workers *workers; /* for loops between the products, or NULL */
} ae_layer_scratch;

typedef struct ae_layer_ops {
  int64_t (*param_count)(const ae_layer *l);
  void (*init)(const ae_layer *l, float *params, ae_rng *rng);
  /* z (B, out) = A(x) + b */
  void (*forward)(const ae_layer *l, const float *params, const float *x, float *z,
                  int64_t batch, ae_layer_scratch *s);
  /* u (B, out) = A(t): the linear part alone, for tangents */
  void (*apply)(const ae_layer *l, const float *params, const float *t, float *u,
                int64_t batch, ae_layer_scratch *s);
  /* grads[W] += the gradient of <dz, A_W(x)> with respect to W */
  void (*weight_grad)(const ae_layer *l, float *grads, const float *x, const float *dz,
                      int64_t batch, ae_layer_scratch *s);
  /* grads[b] += the sum of dz over the batch (and positions) */
  void (*bias_grad)(const ae_layer *l, float *grads, const float *dz, int64_t batch,
                    const ae_layer_scratch *s);
  /* dx (B, in) = A^T(dz) */
  void (*input_grad)(const ae_layer *l, const float *params, const float *dz, float *dx,
                     int64_t batch, ae_layer_scratch *s);
  /* scratch this layer needs for up to `rows` samples; a call on `batch`
   * samples processes them in chunks of ae_chunk_samples(batch, ...) */
  void (*scratch_size)(const ae_layer *l, int64_t rows, int64_t *cols_floats,
                       int64_t *tmp_floats);
  /* weight_grad and input_grad in one call, for kinds where the two share
   * work (the same results); NULL: the graph calls the two */
  void (*weight_and_input_grad)(const ae_layer *l, const float *params, float *grads,
                                const float *x, const float *dz, float *dx, int64_t batch,
                                ae_layer_scratch *s);
} ae_layer_ops;

/* The ops of a kind. A gaussian layer gets the dense ops of its mean head
 * (the first N rows of its matrix), which is what Jacobians of the code see. */
const ae_layer_ops *ae_layer_ops_of(ae_layer_kind kind);

/* How many weights (parameters other than biases) the layer keeps at w_off:
 * what L2 weight decay covers. A gaussian layer's two heads; 0 for a tied
 * layer (its matrix is its encoder twin's), max pooling and upsampling. */
int64_t ae_layer_weight_count(const ae_layer *l);

extern const ae_layer_ops ae_dense_ops, ae_conv_ops, ae_deconv_ops, ae_maxpool_ops,
    ae_upsample_ops;

#endif
