/* elements.h -- typed binary values streamed from a file into floats, for the
 * .npy and IDX readers. */
#ifndef AE_CLI_ELEMENTS_H
#define AE_CLI_ELEMENTS_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "data.h"

typedef enum elem_type {
  ELEM_U8,
  ELEM_I8,
  ELEM_I16_BE,
  ELEM_I32_BE,
  ELEM_F32_BE,
  ELEM_F64_BE,
  ELEM_F32_LE,
  ELEM_F64_LE
} elem_type;

size_t elem_size(elem_type type);

/* Reads `count` values of `type` from f into dst as floats, each multiplied by
 * `scale`, a chunk at a time. CLI_FAIL with a message naming `path` when the
 * file ends early or cannot be read. */
int elem_read(gzFile f, const char *path, elem_type type, int64_t count, float scale,
              float *dst);

/* Reads an array of shape dims[0..ndim) of `type` values into `out`, the
 * first dimension being the rows, the others flattened into columns (a 3-D
 * array also gives the image shape). Honours opt->max_rows and
 * opt->scale_u8; with all rows read, the file must end there. */
int elem_read_matrix(gzFile f, const char *path, elem_type type, const int64_t *dims,
                     int ndim, const data_options *opt, cli_data *out);

/* The message for a failed gzread; returns CLI_FAIL. */
int elem_read_error(gzFile f, const char *path);

/* For the static analyzer, as in msg.h: what it returns, spelled out. */
#if defined(__clang_analyzer__) && !defined(AE_CLI_ELEMENTS_IMPL)
#define elem_read_error(f, path) (elem_read_error((f), (path)), CLI_FAIL)
#endif

#endif
