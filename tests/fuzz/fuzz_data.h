/* fuzz_data.h -- the body of the data-file targets (fuzz_npy, fuzz_idx,
 * fuzz_idx_gz, fuzz_csv): one reader of the `ae` command (src/cli) on the
 * input, opened as the command opens a file. What the reader returns must be a
 * consistent matrix, or a failure with nothing left allocated. The last input
 * byte, when there is one, also picks the reading options (max_rows 0, 1 or 2;
 * scaling of uint8 on or off), as the command's flags would. */

#ifndef AE_FUZZ_DATA_H
#define AE_FUZZ_DATA_H

#include <math.h>

#include "fuzz.h"

#include "data.h"
#include "msg.h"

/* The options byte: the input's last byte (4, scaling on, for no input). */
static inline uint8_t fuzz_flags(const uint8_t *data, size_t size) {
  return size > 0 ? data[size - 1] : 4;
}

typedef int (*fuzz_reader)(gzFile f, const char *path, const data_options *opt, cli_data *out);

/* Reads size bytes at data with `reader`; `flags` picks the options. */
static inline void fuzz_read_data(const uint8_t *data, size_t size, fuzz_reader reader,
                                  int csv, uint8_t flags) {
  data_options opt = {(flags >> 2) & 1, flags % 3};
  gzFile f = fuzz_gzopen_bytes(data, size);
  if (!f) return;
  cli_data d;
  memset(&d, 0, sizeof d); /* as data_read does */
  int rc = reader(f, "fuzz-input", &opt, &d);
  gzclose(f);
  if (rc != CLI_OK) {
    FUZZ_CHECK(rc == CLI_FAIL);
    FUZZ_CHECK(d.x == NULL); /* freed on failure (LeakSanitizer checks it all) */
    return;
  }
  FUZZ_CHECK(d.x != NULL && d.rows >= 1 && d.cols >= 1);
  FUZZ_CHECK(opt.max_rows == 0 || d.rows <= opt.max_rows);
  if (d.height > 0) FUZZ_CHECK(d.height * d.width == d.cols);
  /* every value is there (ASan checks the bounds); CSV promises finite values */
  double sum = 0;
  for (int64_t i = 0; i < d.rows * d.cols; i++) {
    if (csv) FUZZ_CHECK(isfinite(d.x[i]));
    sum += d.x[i];
  }
  (void)sum;
  data_free(&d);
}

#endif
