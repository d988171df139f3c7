#include <cblas.h>

#include "reg.h"

static double l2_apply(const ae_graph *g, const float *params, float *grads,
                       double strength) {
  double penalty = 0.0;
  for (int32_t i = 0; i < g->n_layers; i++) {
    const ae_layer *l = &g->layers[i];
    if (l->transposed) continue; /* its encoder twin already counted the matrix */
    int64_t heads = l->kind == AE_LAYER_GAUSSIAN ? 2 : 1; /* mu and log var */
    int n = (int)(heads * l->out * l->in);
    const float *w = params + l->w_off;
    penalty += 0.5 * strength * cblas_dsdot(n, w, 1, w, 1);
    if (grads) cblas_saxpy(n, (float)strength, w, 1, grads + l->w_off, 1);
  }
  return penalty;
}

const ae_param_regularizer ae_reg_l2 = {"l2", l2_apply};
