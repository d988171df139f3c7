/* options.h -- the training options: table of ranges and defaults, storage. */
#ifndef AE_OPTIONS_H
#define AE_OPTIONS_H

#include "ae.h"

#define AE_N_OPTIONS 15

typedef struct ae_option_info {
  ae_option id;
  const char *name;     /* as in ae.h, for messages */
  double min, max, default_value;
  int min_exclusive;    /* the range is (min, max] */
  int max_exclusive;    /* the range is [min, max) */
  int integer;          /* the value must be whole */
} ae_option_info;

/* Values indexed like the table (ae_option_slot), not by enum value. */
typedef struct ae_options {
  double value[AE_N_OPTIONS];
} ae_options;

/* The table entry for `id`, NULL if unknown. slot receives its index. */
const ae_option_info *ae_option_find(ae_option id, int *slot);
/* The i-th entry of the table, i in [0, AE_N_OPTIONS). */
const ae_option_info *ae_option_at(int i);

void ae_options_default(ae_options *o);
/* AE_OK if value is allowed for `info`; otherwise AE_ERR_INVALID_ARGUMENT with
 * a message, prefixed by caller, that gives the range. */
ae_status ae_option_validate(const ae_option_info *info, double value, const char *caller);
/* The value of a known option. */
double ae_options_get(const ae_options *o, ae_option id);

#endif
