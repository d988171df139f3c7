/* rows.h -- choosing rows in place: by class label, and a seeded random
 * held-out part. Labels (when not NULL) move with their rows. */
#ifndef AE_CLI_ROWS_H
#define AE_CLI_ROWS_H

#include <stdint.h>

#include "data.h"

/* Whether label is one of classes[0..n_classes). */
int rows_in_classes(int64_t label, const int64_t *classes, int n_classes);

/* Keeps, in order, the rows whose label is one of classes[0..n_classes).
 * Fails with a message naming `path` when none is left. */
int rows_keep_classes(cli_data *d, int64_t *labels, const int64_t *classes, int n_classes,
                      const char *path);

/* Moves a random n_test of the rows, chosen by `seed`, to the end of d (and of
 * labels); the others stay in front. CLI_FAIL when out of memory. */
int rows_split(cli_data *d, int64_t *labels, int64_t n_test, uint64_t seed);

#endif
