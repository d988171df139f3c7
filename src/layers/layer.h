/* layer.h -- one layer of the graph: what it is and where its parameters live.
 *
 * A layer computes a pre-activation z from its input x; the graph applies the
 * activation y = f(z) in place (activation.h). Parameters are not owned by the
 * layer: w_off and b_off are offsets into the model's one parameter arena, and
 * the same offsets index the gradient arena, the optimizer's moment arrays and
 * the model file. */
#ifndef AE_LAYER_H
#define AE_LAYER_H

#include <stdint.h>

#include "../activation.h"
#include "../spec.h"

typedef struct ae_layer {
  ae_layer_kind kind;
  int64_t in;          /* input width per sample: in_shape.c * .h * .w */
  int64_t out;         /* output width per sample */
  ae_shape in_shape, out_shape;
  ae_window window;    /* conv, deconv, maxpool, upsample */
  ae_activation act;
  int64_t w_off;       /* weights in the arena */
  int64_t b_off;       /* biases in the arena */
  int transposed;      /* tied: W is another layer's (in, out) matrix, used as W^T */
  ae_layer_penalties penalties; /* on this layer's output; applied by the graph */
} ae_layer;

#endif
