/* output.h -- output files that never half-exist and never replace a file by
 * surprise: data go to a temporary file beside the target, which is synced
 * and renamed over it only when complete; an existing target is an error
 * unless --force. */
#ifndef AE_CLI_OUTPUT_H
#define AE_CLI_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

typedef struct cli_output {
  char *path; /* the target; owned copy */
  char *tmp;  /* the temporary file beside it */
  FILE *f;    /* open on tmp */
} cli_output;

/* Fails with a message when `path` exists and force is 0, or when its
 * directory does not exist. For checking every output before long work.
 * NULL (an output not asked for) passes. */
int output_check(const char *path, int force);

/* Checks `path` as output_check does, then opens a temporary file beside it. */
int output_open(cli_output *o, const char *path, int force);

/* Completes the file: flush, sync, close, rename onto the target. On any
 * failure the temporary file is removed, the target untouched, and a message
 * printed. Frees o's fields either way. */
int output_commit(cli_output *o);

/* Gives up: removes the temporary file and frees o's fields. */
void output_abort(cli_output *o);

/* Whether `path` asks for CSV: the --csv flag or a name ending in ".csv". */
int output_is_csv(const char *path, int csv_flag);

/* Writes a float matrix, rows x cols (1-D when one_d), as .npy or CSV. */
int output_matrix(const char *path, int force, int csv, const float *x, int64_t rows,
                  int64_t cols, int one_d);

/* Writes n 0/1 flags, as a uint8 .npy or a CSV column. */
int output_flags(const char *path, int force, int csv, const unsigned char *flags, int64_t n);

#endif
