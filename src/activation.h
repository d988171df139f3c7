/* activation.h -- element-wise activation functions and their derivatives.
 *
 * Layers compute a pre-activation z and the graph applies the activation in
 * place, y = f(z). Every derivative here is written in terms of the output y
 * (f'(z) = g(y)), so backward passes need only the stored outputs. */
#ifndef AE_ACTIVATION_H
#define AE_ACTIVATION_H

#include <stdint.h>

/* Values are stored in model files: never renumber. */
typedef enum ae_activation {
  AE_ACT_LINEAR = 0,
  AE_ACT_SIGMOID = 1,
  AE_ACT_TANH = 2,
  AE_ACT_RELU = 3,
  AE_ACT_LEAKY_RELU = 4, /* slope AE_LEAKY_SLOPE below 0 */
  AE_ACT_ELU = 5,        /* alpha 1 */
  AE_ACT_SOFTPLUS = 6,
  AE_ACT_COUNT
} ae_activation;

#define AE_LEAKY_SLOPE 0.01f

const char *ae_activation_name(ae_activation act);
/* Returns 0 and sets *out when `name` (of `len` bytes) names an activation. */
int ae_activation_parse(const char *name, int64_t len, ae_activation *out);
/* Whether He initialisation suits it (ReLU family) rather than Xavier. */
int ae_activation_uses_he_init(ae_activation act);

/* v[0..count) = f(v), in place. */
void ae_activation_forward(ae_activation act, float *v, int64_t count);
/* d1[i] = f'(z_i) and, when d2 is not NULL, d2[i] = f''(z_i), from
 * y[i] = f(z_i); the contractive penalty needs both. Kinks (ReLU at 0) take
 * the one-sided value of the y <= 0 side. */
void ae_activation_derivatives(ae_activation act, const float *y, float *d1, float *d2,
                               int64_t count);
/* d[i] *= f'(z_i), computed from y[i] = f(z_i). */
void ae_activation_backward(ae_activation act, const float *y, float *d,
                            int64_t count);

#endif
