#include "loss.h"

/* Values per part: a part of BCE from logits takes about 10 us. */
#define LOSS_GRAIN 8192

int ae_loss_uses_logits(ae_loss_kind kind, int output_is_sigmoid) {
  return kind == AE_LOSS_BCE && output_is_sigmoid;
}

typedef struct loss_job {
  ae_loss_kind kind;
  int from_logits;
  const float *y, *t;
  float *grad, scale;
} loss_job;

static double loss_range(void *ctx, int64_t begin, int64_t end) {
  const loss_job *j = ctx;
  const float *y = j->y + begin, *t = j->t + begin;
  float *grad = j->grad ? j->grad + begin : NULL;
  int64_t count = end - begin;
  if (j->kind == AE_LOSS_BCE) {
    return j->from_logits ? ae_bce_logits(y, t, count, grad, j->scale)
                          : ae_bce(y, t, count, grad, j->scale);
  }
  return ae_mse(y, t, count, grad, j->scale);
}

double ae_loss_eval(ae_workers *w, ae_loss_kind kind, int from_logits, const float *y,
                    const float *t, int64_t count, float *grad, float scale) {
  loss_job j = {kind, from_logits, y, t, grad, scale};
  return ae_parallel(w, count, LOSS_GRAIN, loss_range, &j);
}
