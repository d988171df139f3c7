#include <cblas.h>

#include "reg.h"

#include "../layers/ops.h"

static double l2_apply(const ae_graph *g, const float *params, float *grads,
                       double strength) {
  double penalty = 0.0;
  for (int32_t i = 0; i < g->n_layers; i++) {
    const ae_layer *l = &g->layers[i];
    /* every weight the layer keeps (a gaussian layer's two heads, a conv
     * layer's kernels; none for a tied layer, whose encoder twin already
     * counted the matrix, nor for pooling and upsampling) */
    int n = (int)ae_layer_weight_count(l);
    if (n == 0) continue;
    const float *w = params + l->w_off;
    penalty += 0.5 * strength * cblas_dsdot(n, w, 1, w, 1);
    if (grads) cblas_saxpy(n, (float)strength, w, 1, grads + l->w_off, 1);
  }
  return penalty;
}

const ae_param_regularizer ae_reg_l2 = {"l2", l2_apply};
