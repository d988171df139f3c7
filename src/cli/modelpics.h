/* modelpics.h -- the pictures of a model at work, over pictures.h: rows over
 * their reconstructions (for a denoising model: clean, corrupted, denoised),
 * new rows drawn from a variational model, codes as a scatter plot. */
#ifndef AE_CLI_MODELPICS_H
#define AE_CLI_MODELPICS_H

#include <stdint.h>

#include "ae.h"

/* How many images a grid shows. */
#define MODELPICS_IMAGES 32

/* The first rows of x (n, d; images h x w) over their reconstructions. With
 * show_noise and a denoising model, the rows corrupted as in training (seeded
 * by `seed`) go between, and the reconstructions are of the corrupted rows. */
int modelpics_reconstructions(const char *path, int force, const ae_model *model, const float *x,
                              int64_t n, int64_t d, int64_t h, int64_t w, int show_noise,
                              uint64_t seed);

/* MODELPICS_IMAGES rows drawn by ae_sample from `seed` (variational models). */
int modelpics_samples(const char *path, int force, const ae_model *model, int64_t h, int64_t w,
                      uint64_t seed);

/* The 2-value codes of x (n, d), coloured by labels (may be NULL). */
int modelpics_codes(const char *path, int force, const ae_model *model, const float *x,
                    int64_t n, int64_t d, const int64_t *labels);

#endif
