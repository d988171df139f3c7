/* conv_frame.h -- stride-1 convolutions without a patch matrix (see
 * conv_frame.c). conv.c uses these when ae_frame_applies(), im2col otherwise;
 * the results are the same up to the order of the float sums. */
#ifndef AE_CONV_FRAME_H
#define AE_CONV_FRAME_H

#include <stdint.h>

#include "ops.h"

/* Floats of frames and grids per chunk of samples (about 4 MB): small
 * enough that the k*k products over them run from cache. */
#define AE_FRAME_BUDGET ((int64_t)1 << 20)

/* Whether layer l (a conv layer) takes this path: stride 1, more than one
 * input channel. */
int ae_frame_applies(const ae_layer *l);

/* Scratch for up to `rows` samples: cols (C, ld), tmp (F, ld) + (k*k, F, C). */
void ae_frame_scratch(const ae_layer *l, int64_t rows, int64_t *cols, int64_t *tmp);

/* z (B, F, oh, ow) = conv(x) (+ bias[f] when bias is not NULL) */
void ae_frame_forward(const ae_layer *l, const float *params, const float *x, float *z,
                      int64_t batch, ae_layer_scratch *s, const float *bias);
/* grads[W] += the kernel gradient of <dz, conv(x)> */
void ae_frame_weight_grad(const ae_layer *l, float *grads, const float *x, const float *dz,
                          int64_t batch, ae_layer_scratch *s);
/* dx (B, C, h, w) = conv^T(dz) */
void ae_frame_input_grad(const ae_layer *l, const float *params, const float *dz, float *dx,
                         int64_t batch, ae_layer_scratch *s);

#endif
