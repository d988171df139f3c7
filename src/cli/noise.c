/* noise.c -- masking, Gaussian and salt-and-pepper corruption. */
#include "noise.h"

#include <stdio.h>
#include <string.h>

#include "kinds.h"
#include "random.h"

noise_def noise_from_spec(const char *spec) {
  noise_def def = {NOISE_NONE, 0, 0};
  const char *s = spec_statement(spec, "noise");
  char kind[16], extra[8] = "";
  double level;
  if (!s || sscanf(s, "noise %15s %lf %7[a-z]", kind, &level, extra) < 2) return def;
  if (!strcmp(kind, "mask")) def.kind = NOISE_MASK;
  else if (!strcmp(kind, "gaussian")) def.kind = NOISE_GAUSSIAN;
  else if (!strcmp(kind, "salt_pepper")) def.kind = NOISE_SALT_PEPPER;
  def.level = level;
  def.clip = !strcmp(extra, "clip");
  return def;
}

void noise_apply(const noise_def *def, const float *x, int64_t n, int64_t d, uint64_t seed,
                 float *out) {
  int64_t count = n * d;
  float lo = x[0], hi = x[0];
  for (int64_t i = 1; i < count; i++) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  uint64_t state = seed ^ 0x9015Eu;
  for (int64_t i = 0; i < count; i++) {
    float v = x[i];
    switch (def->kind) {
    case NOISE_MASK:
      if (random_uniform(&state) < def->level) v = 0;
      break;
    case NOISE_GAUSSIAN:
      v += (float)(def->level * random_normal(&state));
      if (def->clip) v = v < lo ? lo : v > hi ? hi : v;
      break;
    case NOISE_SALT_PEPPER:
      if (random_uniform(&state) < def->level) v = random_uniform(&state) < 0.5 ? lo : hi;
      break;
    case NOISE_NONE:
      break;
    }
    out[i] = v;
  }
}
