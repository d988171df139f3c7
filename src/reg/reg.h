/* reg.h -- regularizers: penalties added to the loss, with their gradients.
 *
 * Layers know nothing of penalties. A parameter regularizer reads the
 * parameter arena and adds its gradient to the gradient arena; the sparse and
 * contractive penalties of later releases attach to a layer's activations
 * through a second hook of the same shape. */
#ifndef AE_REG_H
#define AE_REG_H

#include "../graph.h"

typedef struct ae_param_regularizer {
  const char *name;
  /* Returns the penalty at params and ADDS its gradient to grads. */
  double (*apply)(const ae_graph *g, const float *params, float *grads,
                  double strength);
} ae_param_regularizer;

/* strength/2 * sum of W^2 over every weight matrix (biases excluded). */
extern const ae_param_regularizer ae_reg_l2;

#endif
