#include "options.h"

#include <math.h>

#include "error.h"

static const ae_option_info table[AE_N_OPTIONS] = {
    /* id                       name                        min   max     default excl-min excl-max int */
    {AE_OPT_EPOCHS,             "AE_OPT_EPOCHS",             1,    1e6,      10,   0, 0, 1},
    {AE_OPT_BATCH_SIZE,         "AE_OPT_BATCH_SIZE",         1,    1048576,  64,   0, 0, 1},
    {AE_OPT_SHUFFLE,            "AE_OPT_SHUFFLE",            0,    1,        1,    0, 0, 1},
    {AE_OPT_VALIDATION_SPLIT,   "AE_OPT_VALIDATION_SPLIT",   0,    0.9,      0,    0, 0, 0},
    {AE_OPT_PATIENCE,           "AE_OPT_PATIENCE",           0,    1e6,      0,    0, 0, 1},
    {AE_OPT_PROGRESS_EVERY,     "AE_OPT_PROGRESS_EVERY",     0,    1e9,      0,    0, 0, 1},
    {AE_OPT_OPTIMIZER,          "AE_OPT_OPTIMIZER",          0,    1,        AE_OPTIMIZER_ADAM, 0, 0, 1},
    {AE_OPT_LEARNING_RATE,      "AE_OPT_LEARNING_RATE",      0,    10,       1e-3, 1, 0, 0},
    {AE_OPT_MOMENTUM,           "AE_OPT_MOMENTUM",           0,    1,        0.9,  0, 1, 0},
    {AE_OPT_ADAM_BETA1,         "AE_OPT_ADAM_BETA1",         0,    1,        0.9,  0, 1, 0},
    {AE_OPT_ADAM_BETA2,         "AE_OPT_ADAM_BETA2",         0,    1,        0.999, 0, 1, 0},
    {AE_OPT_ADAM_EPSILON,       "AE_OPT_ADAM_EPSILON",       0,    1,        1e-8, 1, 0, 0},
    {AE_OPT_LOSS,               "AE_OPT_LOSS",               0,    1,        AE_LOSS_MSE, 0, 0, 1},
    {AE_OPT_LOSS_REDUCTION,     "AE_OPT_LOSS_REDUCTION",     0,    1,        AE_REDUCTION_MEAN, 0, 0, 1},
    {AE_OPT_L2,                 "AE_OPT_L2",                 0,    1e3,      0,    0, 0, 0},
};

const ae_option_info *ae_option_find(ae_option id, int *slot) {
  for (int i = 0; i < AE_N_OPTIONS; i++) {
    if (table[i].id == id) {
      if (slot) *slot = i;
      return &table[i];
    }
  }
  return NULL;
}

const ae_option_info *ae_option_at(int i) { return &table[i]; }

void ae_options_default(ae_options *o) {
  for (int i = 0; i < AE_N_OPTIONS; i++) o->value[i] = table[i].default_value;
}

ae_status ae_option_validate(const ae_option_info *info, double value, const char *caller) {
  int below = info->min_exclusive ? !(value > info->min) : !(value >= info->min);
  int above = info->max_exclusive ? !(value < info->max) : !(value <= info->max);
  if (below || above || isnan(value)) {
    return ae_fail(AE_ERR_INVALID_ARGUMENT, "%s: %s = %g is outside %c%g, %g%c", caller,
                   info->name, value, info->min_exclusive ? '(' : '[', info->min,
                   info->max, info->max_exclusive ? ')' : ']');
  }
  if (info->integer && value != floor(value)) {
    return ae_fail(AE_ERR_INVALID_ARGUMENT, "%s: %s = %g must be a whole number", caller,
                   info->name, value);
  }
  return AE_OK;
}

double ae_options_get(const ae_options *o, ae_option id) {
  int slot = 0;
  ae_option_find(id, &slot);
  return o->value[slot];
}
