/* modelpics.c -- running a model for its pictures. */
#include "modelpics.h"

#include <stdlib.h>

#include "msg.h"
#include "noise.h"
#include "pictures.h"

int modelpics_reconstructions(const char *path, int force, const ae_model *model, const float *x,
                              int64_t n, int64_t d, int64_t h, int64_t w, int show_noise,
                              uint64_t seed) {
  if (n > MODELPICS_IMAGES) n = MODELPICS_IMAGES;
  noise_def noise = noise_from_spec(ae_model_spec(model));
  int noisy = show_noise && noise.kind != NOISE_NONE;
  float *y = malloc((size_t)(n * d) * sizeof *y);
  float *corrupted = noisy ? malloc((size_t)(n * d) * sizeof *corrupted) : NULL;
  if (!y || (noisy && !corrupted)) {
    free(y);
    free(corrupted);
    return msg_no_memory("for a picture");
  }
  if (noisy) noise_apply(&noise, x, n, d, seed, corrupted);
  ae_status st = ae_reconstruct(model, noisy ? corrupted : x, n, d, y, d);
  int rc;
  if (st != AE_OK) {
    rc = msg_ae(st, path);
  } else if (noisy) {
    const float *sets[3] = {x, corrupted, y};
    rc = picture_grid(path, force, sets, 3, n, h, w);
  } else {
    const float *sets[2] = {x, y};
    rc = picture_grid(path, force, sets, 2, n, h, w);
  }
  free(y);
  free(corrupted);
  return rc;
}

int modelpics_samples(const char *path, int force, const ae_model *model, int64_t h, int64_t w,
                      uint64_t seed) {
  int64_t d = ae_output_size(model);
  float *y = malloc((size_t)(MODELPICS_IMAGES * d) * sizeof *y);
  if (!y) return msg_no_memory("for a picture");
  ae_status st = ae_sample(model, MODELPICS_IMAGES, seed, y, d);
  const float *sets[1] = {y};
  int rc = st == AE_OK ? picture_grid(path, force, sets, 1, MODELPICS_IMAGES, h, w)
                       : msg_ae(st, path);
  free(y);
  return rc;
}

int modelpics_codes(const char *path, int force, const ae_model *model, const float *x,
                    int64_t n, int64_t d, const int64_t *labels) {
  float *codes = malloc((size_t)n * 2 * sizeof *codes);
  if (!codes) return msg_no_memory("for a picture");
  ae_status st = ae_encode(model, x, n, d, codes, 2);
  int rc = st == AE_OK ? picture_scatter(path, force, codes, n, labels) : msg_ae(st, path);
  free(codes);
  return rc;
}
