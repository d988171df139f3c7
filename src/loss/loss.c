#include "loss.h"

int ae_loss_uses_logits(ae_loss_kind kind, int output_is_sigmoid) {
  return kind == AE_LOSS_BCE && output_is_sigmoid;
}

double ae_loss_eval(ae_loss_kind kind, int from_logits, const float *y,
                    const float *t, int64_t count, float *grad, float scale) {
  if (kind == AE_LOSS_BCE) {
    return from_logits ? ae_bce_logits(y, t, count, grad, scale)
                       : ae_bce(y, t, count, grad, scale);
  }
  return ae_mse(y, t, count, grad, scale);
}
