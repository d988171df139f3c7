/* rows.c -- selecting and splitting rows in place. */
#include "rows.h"

#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "random.h"

int rows_in_classes(int64_t label, const int64_t *classes, int n_classes) {
  for (int i = 0; i < n_classes; i++) {
    if (classes[i] == label) return 1;
  }
  return 0;
}

int rows_keep_classes(cli_data *d, int64_t *labels, const int64_t *classes, int n_classes,
                      const char *path) {
  int64_t kept = 0;
  size_t row_bytes = (size_t)d->cols * sizeof(float);
  for (int64_t i = 0; i < d->rows; i++) {
    if (!rows_in_classes(labels[i], classes, n_classes)) continue;
    if (kept != i) {
      memcpy(d->x + kept * d->cols, d->x + i * d->cols, row_bytes);
      labels[kept] = labels[i];
    }
    kept++;
  }
  if (kept == 0) return msg_error("'%s' has no row of the classes asked for", path);
  d->rows = kept;
  return CLI_OK;
}

int rows_split(cli_data *d, int64_t *labels, int64_t n_test, uint64_t seed) {
  size_t row_bytes = (size_t)d->cols * sizeof(float);
  float *tmp = malloc(row_bytes);
  if (!tmp) return msg_no_memory("splitting rows");
  uint64_t state = seed ^ 0x7E57u; /* not the model's own streams */
  /* A partial Fisher-Yates shuffle from the end: the last n_test rows become a
   * uniform random subset. */
  for (int64_t i = d->rows - 1; i >= d->rows - n_test; i--) {
    int64_t j = (int64_t)(random_next(&state) % (uint64_t)(i + 1));
    if (j == i) continue;
    float *a = d->x + i * d->cols, *b = d->x + j * d->cols;
    memcpy(tmp, a, row_bytes);
    memcpy(a, b, row_bytes);
    memcpy(b, tmp, row_bytes);
    if (labels) {
      int64_t l = labels[i];
      labels[i] = labels[j];
      labels[j] = l;
    }
  }
  free(tmp);
  return CLI_OK;
}
