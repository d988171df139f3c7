/* conv_direct.h -- stride-1 convolutions with one input or one output channel,
 * summed directly (see conv_direct.c). conv.c uses these when
 * ae_direct_applies(); the results are those of the other paths up to the
 * order of the float sums. */
#ifndef AE_CONV_DIRECT_H
#define AE_CONV_DIRECT_H

#include <stdint.h>

#include "ops.h"

/* The largest kernel this path takes (its weight-gradient accumulators live
 * on the stack: k*k rows of 8). */
#define AE_DIRECT_MAX_K 7

/* Whether conv layer l takes this path: stride 1, one input or one output
 * channel, k <= AE_DIRECT_MAX_K. */
int ae_direct_applies(const ae_layer *l);

/* Scratch for up to `rows` samples: cols for padded planes, tmp for the
 * regrouped kernels. */
void ae_direct_scratch(const ae_layer *l, int64_t rows, int64_t *cols, int64_t *tmp);

/* z (B, F, oh, ow) = conv(x) (+ bias[f] when bias is not NULL) */
void ae_direct_forward(const ae_layer *l, const float *params, const float *x, float *z,
                       int64_t batch, ae_layer_scratch *s, const float *bias);
/* grads[W] += the kernel gradient of <dz, conv(x)> */
void ae_direct_weight_grad(const ae_layer *l, float *grads, const float *x, const float *dz,
                           int64_t batch, ae_layer_scratch *s);
/* dx (B, C, h, w) = conv^T(dz) */
void ae_direct_input_grad(const ae_layer *l, const float *params, const float *dz, float *dx,
                          int64_t batch, ae_layer_scratch *s);

#endif
