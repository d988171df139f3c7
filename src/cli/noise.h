/* noise.h -- the corruption of a denoising model's spec (`noise KIND LEVEL`),
 * applied by the program itself to draw corrupted rows beside their
 * denoised reconstructions. Training corrupts inside libae; this is only for
 * pictures. */
#ifndef AE_CLI_NOISE_H
#define AE_CLI_NOISE_H

#include <stdint.h>

typedef enum noise_kind { NOISE_NONE, NOISE_MASK, NOISE_GAUSSIAN, NOISE_SALT_PEPPER } noise_kind;

typedef struct noise_def {
  noise_kind kind;
  double level; /* mask and salt_pepper: a fraction; gaussian: sigma */
  int clip;     /* gaussian: stay within the data's [min, max] */
} noise_def;

/* The noise statement of a spec; kind NOISE_NONE when it has none (or one
 * this program does not know). */
noise_def noise_from_spec(const char *spec);

/* out (n, d) = x (n, d) corrupted as def says, with draws from `seed`. The
 * data's minimum and maximum (for clip and salt_pepper) are x's. */
void noise_apply(const noise_def *def, const float *x, int64_t n, int64_t d, uint64_t seed,
                 float *out);

#endif
