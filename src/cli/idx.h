/* idx.h -- IDX files (the MNIST format), plain or gzip-compressed. */
#ifndef AE_CLI_IDX_H
#define AE_CLI_IDX_H

#include <zlib.h>

#include "data.h"

/* Whether the first four bytes are an IDX magic number: two zero bytes, a
 * known type code and a dimension count from 1 to 4. */
int idx_magic(const unsigned char *head);

/* Reads the IDX file at f (positioned at its start). 1-D files are one column
 * (labels), 3-D files (n, h, w) images of h * w columns. */
int idx_read(gzFile f, const char *path, const data_options *opt, cli_data *out);

#endif
