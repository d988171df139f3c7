/* im2col.h -- the patch matrix that turns a convolution into one sgemm.
 *
 * An image (C, ih, iw) and a grid of kernel positions (gh, gw) with window
 * (k, stride, pad_top, pad_left): grid position (gy, gx), kernel offset
 * (ky, kx) and channel c read image pixel (gy*stride - pad_top + ky,
 * gx*stride - pad_left + kx); positions outside the image read 0 (im2col) or
 * are dropped (col2im). The columns are (C*k*k, gh*gw), row r = (c*k + ky)*k
 * + kx, column gy*gw + gx; `ld` is the row stride, so several samples' blocks
 * can sit side by side in one matrix. */
#ifndef AE_IM2COL_H
#define AE_IM2COL_H

#include <stdint.h>

#include "../spec.h"
#include "../workers.h"

typedef struct ae_patches {
  int64_t channels, ih, iw; /* the image */
  int64_t gh, gw;           /* the grid */
  ae_window window;
} ae_patches;

/* cols[r * ld + col] = the image pixel that (r, col) reads, or 0. */
void ae_im2col(const ae_patches *p, const float *image, float *cols, int64_t ld);

/* image[pixel] += cols[r * ld + col] for every (r, col) reading that pixel. */
void ae_col2im(const ae_patches *p, const float *cols, int64_t ld, float *image);

/* NCHW samples <-> one channel-major matrix: t (C, n*G) holds sample i's
 * channel c, (G) values, at t[c * n*G + i*G]. x is (n, C, G). */
void ae_to_channel_major(const float *x, int64_t n, int64_t channels, int64_t g, float *t);
/* x[i][c][:] = t[c][i*G ..] + (bias ? bias[c] : 0) */
void ae_from_channel_major(const float *t, int64_t n, int64_t channels, int64_t g,
                           const float *bias, float *x);
/* grads_b[c] += the sum over samples and positions of dz (n, C, G) */
void ae_channel_sums(ae_workers *w, const float *dz, int64_t n, int64_t channels, int64_t g,
                     float *grads_b);

/* dst (sh, sw) = the plane src (h, w) at row `top`, column `left`, zeros
 * around it; sh >= top + h, sw >= left + w. */
void ae_pad_plane(const float *src, int64_t h, int64_t w, float *dst, int64_t sh, int64_t sw,
                  int64_t top, int64_t left);

/* dst (h, w) = the plane src (sh, sw) from row `top`, column `left`: the
 * inverse of ae_pad_plane. */
void ae_crop_plane(const float *src, int64_t sw, int64_t top, int64_t left, float *dst, int64_t h,
                   int64_t w);

/* About 16 MB of patch columns per chunk: large enough for efficient sgemm,
 * small enough that wide layers on big batches stay in memory. */
#define AE_PATCH_BUDGET ((int64_t)1 << 22)

/* How many samples of `per_sample` floats fit `budget` floats (>= 1, at most
 * rows). */
int64_t ae_chunk_samples(int64_t rows, int64_t per_sample, int64_t budget);

#endif
