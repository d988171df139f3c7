/* graph.h -- the layer sequence, its workspace, and the forward and backward
 * drivers.
 *
 * Layers 0..code_layer form the encoder (the code is the output of
 * code_layer); the rest form the decoder. The drivers run any contiguous range
 * of layers, so encode, decode and reconstruct are ranges of one graph. */
#ifndef AE_GRAPH_H
#define AE_GRAPH_H

#include <stdint.h>

#include "layers/layer.h"
#include "layers/ops.h"
#include "spec.h"
#include "workers.h"

typedef struct ae_graph {
  int32_t n_layers;
  int32_t code_layer;
  ae_layer *layers;     /* n_layers */
  int64_t n_params;     /* size of the parameter (and gradient) arena */
  int64_t max_width;    /* widest of the input and every layer output */
  int32_t contractive_layer; /* the layer carrying a contractive penalty, or -1 */
  int contractive_exact; /* it is the first layer and dense: closed form */
  int variational;      /* the code layer is gaussian (a VAE) */
} ae_graph;

/* Buffers for one batch of up to `rows` samples. */
typedef struct ae_workspace {
  int64_t rows;
  float **out;          /* n_layers buffers: out[i] is layer i's output (rows, layers[i].out) */
  float *delta[2];      /* ping-pong gradient buffers, (rows, max_width) each */
  float *ones;          /* (rows) ones, for bias gradients */
  float *scratch[2];    /* (rows + 2, max_width) each, for penalties */
  float *cols, *tmp;    /* convolution scratch, the largest any layer asks for */
  int32_t **argmax;     /* n_layers: a max pooling layer's (rows, out) arg-max, else NULL */
  /* The contractive penalty's buffers, for layers 0..L = contractive_layer
   * (NULL without one): cz[i] (rows, out_i) its extra dL/dz of layer i;
   * unless exact, also the tangents u[i], t[i] (rows, out_i), the probe
   * (rows, in) and tangent gradients tback[2] (rows, max_width). */
  float **cz, **tan_u, **tan_t;
  float *probe;
  float *tback[2];
  /* A gaussian code layer's statistics (rows, 2N) = [mu | log var] and noise
   * eps (rows, N), N its width (NULL without one). The layer samples
   * z = mu + sigma * eps when `sample` is set (the caller fills eps), and
   * weighs its KL term by vae_beta (the spec's beta times any warm-up). */
  float *stats, *eps;
  int sample;
  double vae_beta;
  float *block;         /* the one allocation behind every float buffer above */
  /* Threads for the element-wise loops of forward and backward (training
   * sets its pool here); NULL: they run on the calling thread. */
  ae_workers *workers;
} ae_workspace;

/* The penalties of one step, each per sample and averaged over the batch. */
typedef struct ae_penalty_sums {
  double l1, kl, contractive, vae_kl;
} ae_penalty_sums;

/* The layers of a parsed spec, with their parameter offsets. Fails with
 * AE_ERR_SPEC when the parameters would number more than AE_MAX_PARAMS, or
 * AE_ERR_NO_MEMORY; messages start with `caller`. */
ae_status ae_graph_build(const ae_spec *spec, const char *caller, ae_graph *out);
/* The scratch a layer's ops use, from the workspace. */
ae_layer_scratch ae_layer_scratch_of(const ae_workspace *ws, int32_t layer);
void ae_graph_free(ae_graph *g);
void ae_graph_init_params(const ae_graph *g, float *params, uint64_t seed);

/* Allocates buffers for `rows` samples; with_gradients adds delta and ones.
 * Returns AE_ERR_NO_MEMORY (with a message naming `caller`) on failure. */
ae_status ae_workspace_init(ae_workspace *ws, const ae_graph *g, int64_t rows,
                            int with_gradients, const char *caller);
void ae_workspace_free(ae_workspace *ws);

/* Runs layers first..last on x, (batch, layers[first].in). Layer i's output
 * goes to ws->out[i]. With logits_last the last layer's activation is left out
 * (ws->out[last] holds its pre-activation), for losses computed from logits. */
void ae_graph_forward(const ae_graph *g, const float *params, ae_workspace *ws,
                      const float *x, int64_t batch, int32_t first,
                      int32_t last, int logits_last);

/* Backpropagates through layers last..0 after ae_graph_forward(first = 0).
 * On entry ws->delta[0] holds dL/d(output of layer last), (batch, out), or
 * dL/d(pre-activation) with logits_last. Adds every parameter gradient into
 * grads (zero it first for a fresh step). If dx is not NULL it receives dL/dx,
 * (batch, in). ws->delta is overwritten. With `penalties` not NULL, the
 * layers' activity and contractive penalties join the gradient and their
 * values are stored there (a deep contractive penalty reads its probe from
 * ws->probe, which the caller fills with N(0, 1) values); with NULL they are
 * left out. */
void ae_graph_backward(const ae_graph *g, const float *params, float *grads,
                       ae_workspace *ws, const float *x, int64_t batch,
                       int32_t last, int logits_last, float *dx,
                       ae_penalty_sums *penalties);

#endif
