/* conv_winograd.h -- 3x3 stride-1 convolutions by Winograd's F(2x2, 3x3)
 * (see conv_winograd.c). conv.c uses these when ae_winograd_applies(); the
 * results are those of the other paths up to float rounding. */
#ifndef AE_CONV_WINOGRAD_H
#define AE_CONV_WINOGRAD_H

#include <stdint.h>

#include "ops.h"

/* The fewest channels on either side for this path. With fewer, its 16
 * products are too thin for OpenBLAS and the transforms cost more than they
 * save: W3's 32 -> 16 (7x7) and 16 -> 32 (8x8) layers ran 1.3-2x slower than
 * on frames, its 64 <-> 32 layers (14x14) 1.5x faster (1 thread). */
#define AE_WINOGRAD_MIN_CHANNELS 32

/* Whether conv layer l takes this path: stride 1, a 3x3 kernel, at least
 * AE_WINOGRAD_MIN_CHANNELS channels on each side. */
int ae_winograd_applies(const ae_layer *l);

/* Scratch for up to `rows` samples: cols (16, C, T) + a gap + a work area
 * per sample, tmp (16, F, T) + 2 x (16, F, C); T = tiles per chunk. */
void ae_winograd_scratch(const ae_layer *l, int64_t rows, int64_t *cols, int64_t *tmp);

/* z (B, F, oh, ow) = conv(x) (+ bias[f] when bias is not NULL) */
void ae_winograd_forward(const ae_layer *l, const float *params, const float *x, float *z,
                         int64_t batch, ae_layer_scratch *s, const float *bias);
/* grads[W] += the kernel gradient of <dz, conv(x)> unless grads is NULL, and
 * dx (B, C, h, w) = conv^T(dz) unless dx is NULL; with both, dz's transforms
 * serve both (params: for dx; x: for grads). */
void ae_winograd_backward(const ae_layer *l, const float *params, float *grads, const float *x,
                          const float *dz, float *dx, int64_t batch, ae_layer_scratch *s);

#endif
