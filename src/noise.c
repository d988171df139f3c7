#include "noise.h"

void ae_corrupt(const ae_noise_spec *noise, float *x, int64_t count, float lo, float hi,
                ae_rng *rng) {
  const float level = (float)noise->level;
  switch (noise->kind) {
    case AE_NOISE_NONE: break;
    case AE_NOISE_MASK:
      for (int64_t i = 0; i < count; i++) {
        if (ae_rng_uniform(rng) < level) x[i] = 0.0f;
      }
      break;
    case AE_NOISE_GAUSSIAN:
      for (int64_t i = 0; i < count; i++) {
        float v = x[i] + level * ae_rng_normal(rng);
        if (noise->clip) v = v < lo ? lo : (v > hi ? hi : v);
        x[i] = v;
      }
      break;
    case AE_NOISE_SALT_PEPPER:
      for (int64_t i = 0; i < count; i++) {
        float u = ae_rng_uniform(rng);
        /* u < level/2: pepper (minimum); level/2 <= u < level: salt (maximum) */
        if (u < level) x[i] = u < 0.5f * level ? lo : hi;
      }
      break;
  }
}
