/* contractive.h -- the contractive penalty (Rifai et al. 2011):
 * lambda * |J(x)|_F^2 per sample, averaged over the batch, with
 * J = dh_L/dx the Jacobian of layer L's output (L = the graph's
 * contractive_layer) with respect to the network's input.
 *
 * L = 0 and a dense first layer (a one-layer encoder up to that layer):
 * exact. With g = f'(z),
 * J = diag(g) W, so |J|_F^2 = sum_j g_j^2 |W_j|^2, and its gradient is exact.
 *
 * Otherwise (deeper, or through convolutions): an unbiased stochastic
 * estimate of the same quantity. For a probe
 * e ~ N(0, I), E |J e|^2 = |J|_F^2 (Hutchinson), and J e is computed exactly by
 * forward-mode differentiation (t_i = f'(z_i) * A_i(t_{i-1}), t_{-1} = e,
 * A_i the linear part of layer i: its weights, or a pooling's arg-max routing);
 * the penalty lambda |J e|^2 and its exact gradient for that probe are then
 * unbiased for lambda |J|_F^2 and its gradient. One probe per sample and
 * step, drawn from the model's seeded stream. */
#ifndef AE_CONTRACTIVE_H
#define AE_CONTRACTIVE_H

#include <stdint.h>

#include "../graph.h"

/* After ae_graph_forward: returns the penalty of the batch, writes each
 * encoder layer's extra dL/dz into ws->cz[0..L] (added by the backward pass)
 * and ADDS the direct weight gradients to grads. For L > 0 it reads the
 * probe, (batch, in), from ws->probe. */
double ae_contractive_prepare(const ae_graph *g, const float *params, float *grads,
                              ae_workspace *ws, int64_t batch);

#endif
