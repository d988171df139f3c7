/* pictures.h -- the pictures `ae` draws. Each is a layout over canvas.h; a
 * new picture (noisy over denoised, a grid of samples) is a call to
 * picture_grid with other sets, or a new function beside these. */
#ifndef AE_CLI_PICTURES_H
#define AE_CLI_PICTURES_H

#include <stdint.h>

/* Images set over set: sets[s] holds `count` images of height x width values
 * (row-major, one image per row), for example originals and their
 * reconstructions. The images go in bands of up to 16 columns; each band
 * shows set 0, set 1, ... in consecutive rows. Grey levels span set 0's range
 * ([0, 1] when set 0 lies in it), other values are clamped. */
int picture_grid(const char *path, int force, const float *const *sets, int n_sets,
                 int64_t count, int64_t height, int64_t width);

/* A scatter plot of n two-dimensional codes (n, 2), coloured by label (with a
 * legend) when labels is not NULL. */
int picture_scatter(const char *path, int force, const float *codes, int64_t n,
                    const int64_t *labels);

#endif
