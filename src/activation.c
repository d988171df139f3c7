#include "activation.h"

#include <math.h>
#include <string.h>

static const char *const names[AE_ACT_COUNT] = {
    "linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus"};

const char *ae_activation_name(ae_activation act) {
  return (unsigned)act < AE_ACT_COUNT ? names[act] : "unknown";
}

int ae_activation_parse(const char *name, int64_t len, ae_activation *out) {
  for (int i = 0; i < AE_ACT_COUNT; i++) {
    if ((int64_t)strlen(names[i]) == len && memcmp(names[i], name, (size_t)len) == 0) {
      *out = (ae_activation)i;
      return 0;
    }
  }
  return -1;
}

int ae_activation_uses_he_init(ae_activation act) {
  return act == AE_ACT_RELU || act == AE_ACT_LEAKY_RELU || act == AE_ACT_ELU;
}

/* Stable for any z: never evaluates exp of a large positive number. */
static float sigmoidf(float z) {
  if (z >= 0) return 1.0f / (1.0f + expf(-z));
  float e = expf(z);
  return e / (1.0f + e);
}

void ae_activation_forward(ae_activation act, float *v, int64_t count) {
  switch (act) {
    case AE_ACT_LINEAR: break;
    case AE_ACT_SIGMOID:
      for (int64_t i = 0; i < count; i++) v[i] = sigmoidf(v[i]);
      break;
    case AE_ACT_TANH:
      for (int64_t i = 0; i < count; i++) v[i] = tanhf(v[i]);
      break;
    case AE_ACT_RELU:
      for (int64_t i = 0; i < count; i++) v[i] = v[i] > 0 ? v[i] : 0.0f;
      break;
    case AE_ACT_LEAKY_RELU:
      for (int64_t i = 0; i < count; i++) v[i] = v[i] > 0 ? v[i] : AE_LEAKY_SLOPE * v[i];
      break;
    case AE_ACT_ELU:
      for (int64_t i = 0; i < count; i++) v[i] = v[i] > 0 ? v[i] : expm1f(v[i]);
      break;
    case AE_ACT_SOFTPLUS:
      /* log(1 + e^z) = max(z, 0) + log1p(e^-|z|), exact and overflow-free */
      for (int64_t i = 0; i < count; i++) {
        float z = v[i];
        v[i] = (z > 0 ? z : 0.0f) + log1pf(expf(-fabsf(z)));
      }
      break;
    case AE_ACT_COUNT: break;
  }
}

void ae_activation_backward(ae_activation act, const float *y, float *d,
                            int64_t count) {
  switch (act) {
    case AE_ACT_LINEAR: break;
    case AE_ACT_SIGMOID: /* f' = y (1 - y) */
      for (int64_t i = 0; i < count; i++) d[i] *= y[i] * (1.0f - y[i]);
      break;
    case AE_ACT_TANH: /* f' = 1 - y^2 */
      for (int64_t i = 0; i < count; i++) d[i] *= 1.0f - y[i] * y[i];
      break;
    case AE_ACT_RELU: /* y > 0 exactly when z > 0 */
      for (int64_t i = 0; i < count; i++) d[i] = y[i] > 0 ? d[i] : 0.0f;
      break;
    case AE_ACT_LEAKY_RELU:
      for (int64_t i = 0; i < count; i++) d[i] *= y[i] > 0 ? 1.0f : AE_LEAKY_SLOPE;
      break;
    case AE_ACT_ELU: /* z <= 0: y = e^z - 1, so f' = e^z = y + 1 */
      for (int64_t i = 0; i < count; i++) d[i] *= y[i] > 0 ? 1.0f : y[i] + 1.0f;
      break;
    case AE_ACT_SOFTPLUS: /* f' = sigmoid(z) = 1 - e^-y */
      for (int64_t i = 0; i < count; i++) d[i] *= -expm1f(-y[i]);
      break;
    case AE_ACT_COUNT: break;
  }
}

void ae_activation_derivatives(ae_activation act, const float *y, float *d1, float *d2,
                               int64_t count) {
  for (int64_t i = 0; i < count; i++) {
    float v = y[i], first = 1.0f, second = 0.0f;
    switch (act) {
      case AE_ACT_LINEAR: break;
      case AE_ACT_SIGMOID:
        first = v * (1.0f - v);
        second = first * (1.0f - 2.0f * v);
        break;
      case AE_ACT_TANH:
        first = 1.0f - v * v;
        second = -2.0f * v * first;
        break;
      case AE_ACT_RELU: first = v > 0 ? 1.0f : 0.0f; break;
      case AE_ACT_LEAKY_RELU: first = v > 0 ? 1.0f : AE_LEAKY_SLOPE; break;
      case AE_ACT_ELU: /* z <= 0: f' = f'' = e^z = y + 1 */
        first = v > 0 ? 1.0f : v + 1.0f;
        second = v > 0 ? 0.0f : v + 1.0f;
        break;
      case AE_ACT_SOFTPLUS: { /* f' = sigmoid(z) = 1 - e^-y, f'' = f' (1 - f') */
        float s = -expm1f(-v);
        first = s;
        second = s * (1.0f - s);
        break;
      }
      case AE_ACT_COUNT: break;
    }
    d1[i] = first;
    if (d2) d2[i] = second;
  }
}
