/* data.h -- data matrices as the commands see them, and reading them from
 * .npy, IDX (plain or gzip-compressed) and CSV files. The format is told by
 * the file's first bytes, not its name. Every reader converts straight into
 * the float matrix, so a file is held in memory once (plus a small buffer). */
#ifndef AE_CLI_DATA_H
#define AE_CLI_DATA_H

#include <stddef.h>
#include <stdint.h>

typedef struct cli_data {
  float *x;              /* (rows, cols), row-major; owned */
  int64_t rows, cols;
  int64_t height, width; /* the image shape when the file has one (3-D), else 0 */
  int u8;                /* the file held uint8 values */
  int64_t file_rows;     /* the rows the file holds (more than rows under a row
                            limit); 0 when unknown: a CSV read only in part */
} cli_data;

/* How to read. */
typedef struct data_options {
  int scale_u8;     /* divide uint8 values by 255 (the default for commands) */
  int64_t max_rows; /* read at most this many rows; 0 = all */
} data_options;

/* Reads the matrix in `path`. CLI_OK, or CLI_FAIL after a one-line message
 * naming the file and the problem (missing, unreadable, unknown format,
 * unsupported type, truncated, damaged). */
int data_read(const char *path, const data_options *opt, cli_data *out);

/* Reads the integer labels of `data` (read from data_path with the same
 * max_rows) into *labels (data->rows): a file of one column of whole numbers
 * in [0, 2^31) (IDX ubyte labels, a 1-D .npy, a one-column CSV) with as many
 * rows as the data file; CLI_FAIL after a message otherwise. */
int data_read_labels(const char *path, const cli_data *data, const char *data_path,
                     int64_t max_rows, int64_t **labels);

void data_free(cli_data *d);

/* For the readers: allocates d->x for rows x cols, checking that the size
 * fits; CLI_FAIL with a message naming `path` otherwise. */
int data_alloc(cli_data *d, const char *path, int64_t rows, int64_t cols);

/* The image shape for pictures of rows of `cols` values: --image-shape when
 * given (`shape` not NULL), else the file's (file_height x file_width, 0 when
 * unknown), else a square when cols is one. A message and CLI_FAIL or
 * CLI_USAGE when there is none. */
int data_image_shape(int64_t cols, int64_t file_height, int64_t file_width, const char *shape,
                     int64_t *height, int64_t *width);

/* The path of a file of the default data set, Fashion-MNIST from Debian's
 * dataset-fashion-mnist ($AE_FASHION_DIR overrides the directory), e.g.
 * "train-images-idx3-ubyte.gz". Written into buf. */
const char *data_fashion_path(char *buf, size_t size, const char *file);

#endif
