/* csv.h -- numeric CSV: one row per line, values separated by commas (or
 * semicolons, tabs, spaces), an optional header line, '#' comment lines. */
#ifndef AE_CLI_CSV_H
#define AE_CLI_CSV_H

#include <stdint.h>
#include <stdio.h>
#include <zlib.h>

#include "data.h"

/* Whether the first n bytes of a file can start a CSV file (text). */
int csv_looks_like_text(const unsigned char *head, int n);

/* Reads the CSV file at f in two passes (count, then fill), so the matrix is
 * allocated once at its size. Every row must have as many values as the
 * first; values must be finite numbers. A first line that is not numbers is
 * a header and is skipped. */
int csv_read(gzFile f, const char *path, const data_options *opt, cli_data *out);

/* Writes rows x cols values, one row per line. Returns 0 or -1 (see ferror). */
int csv_write(FILE *f, const float *x, int64_t rows, int64_t cols);

#endif
