/* data.c -- opening a data file, telling its format, labels. */
#define _POSIX_C_SOURCE 200809L
#include "data.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "args.h"
#include "csv.h"
#include "elements.h"
#include "idx.h"
#include "msg.h"
#include "npy.h"

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"
#define HEAD_BYTES 64

int data_alloc(cli_data *d, const char *path, int64_t rows, int64_t cols) {
  memset(d, 0, sizeof *d);
  if (rows > (int64_t)(SIZE_MAX / sizeof(float)) / cols) {
    return msg_error("'%s': %lld x %lld values do not fit in memory", path, (long long)rows,
                     (long long)cols);
  }
  d->x = malloc((size_t)rows * (size_t)cols * sizeof(float));
  if (!d->x) {
    return msg_error("out of memory for the %lld x %lld values of '%s'", (long long)rows,
                     (long long)cols, path);
  }
  d->rows = rows;
  d->cols = cols;
  return CLI_OK;
}

void data_free(cli_data *d) {
  free(d->x);
  memset(d, 0, sizeof *d);
}

/* Opens `path` for the readers: a regular file, through zlib so that gzip
 * compression is undone transparently. Reads its first bytes into head. */
static gzFile open_data(const char *path, unsigned char *head, int *n_head) {
  struct stat info;
  if (stat(path, &info) != 0) {
    msg_error("cannot open '%s': %s", path, strerror(errno));
    return NULL;
  }
  if (S_ISDIR(info.st_mode)) {
    msg_error("'%s' is a directory, not a data file", path);
    return NULL;
  }
  gzFile f = gzopen(path, "rb");
  if (!f) {
    msg_error("cannot open '%s': %s", path, errno ? strerror(errno) : "out of memory");
    return NULL;
  }
  gzbuffer(f, 1 << 17);
  *n_head = gzread(f, head, HEAD_BYTES);
  if (*n_head < 0 || gzrewind(f) != 0) {
    elem_read_error(f, path);
    gzclose(f);
    return NULL;
  }
  return f;
}

int data_read(const char *path, const data_options *opt, cli_data *out) {
  memset(out, 0, sizeof *out);
  unsigned char head[HEAD_BYTES];
  int n_head = 0;
  gzFile f = open_data(path, head, &n_head);
  if (!f) return CLI_FAIL;
  int rc;
  if (n_head == 0) {
    rc = msg_error("'%s' is empty", path);
  } else if (n_head >= NPY_MAGIC_LEN && !memcmp(head, NPY_MAGIC, NPY_MAGIC_LEN)) {
    rc = npy_read(f, path, opt, out);
  } else if (n_head >= 4 && idx_magic(head)) {
    rc = idx_read(f, path, opt, out);
  } else if (csv_looks_like_text(head, n_head)) {
    rc = csv_read(f, path, opt, out);
  } else {
    rc = msg_error("'%s': unknown format (ae reads .npy, IDX, gzip-compressed IDX and CSV)", path);
  }
  gzclose(f);
  return rc;
}

/* The same rows read and, where both files say how many they hold, the same
 * there: under a row limit the first alone would pass a label file of
 * another length. */
static int labels_match(const char *path, const cli_data *labels, const cli_data *data,
                        const char *data_path) {
  int whole = labels->file_rows && data->file_rows;
  int64_t have = whole ? labels->file_rows : labels->rows;
  int64_t want = whole ? data->file_rows : data->rows;
  if (labels->rows == data->rows && have == want) return CLI_OK;
  return msg_error("'%s' has %lld labels for the %lld rows of '%s'", path, (long long)have,
                   (long long)want, data_path);
}

int data_read_labels(const char *path, const cli_data *data, const char *data_path,
                     int64_t max_rows, int64_t **labels) {
  data_options opt = {0, max_rows};
  cli_data d;
  *labels = NULL;
  if (data_read(path, &opt, &d) != CLI_OK) return CLI_FAIL;
  if (d.cols != 1) {
    data_free(&d);
    return msg_error("'%s' has %lld columns; labels need one", path, (long long)d.cols);
  }
  if (labels_match(path, &d, data, data_path) != CLI_OK) {
    data_free(&d);
    return CLI_FAIL;
  }
  int64_t *l = malloc((size_t)d.rows * sizeof *l);
  if (!l) {
    data_free(&d);
    return msg_no_memory("for labels");
  }
  for (int64_t i = 0; i < d.rows; i++) {
    float v = d.x[i];
    if (!(v >= 0 && v <= 2147483647.0f) || v != floorf(v)) {
      free(l);
      data_free(&d);
      return msg_error("'%s' row %lld: %g is not a label (a whole number >= 0)", path,
                       (long long)i + 1, (double)v);
    }
    l[i] = (int64_t)v;
  }
  *labels = l;
  data_free(&d);
  return CLI_OK;
}

int data_image_shape(int64_t cols, int64_t file_height, int64_t file_width, const char *shape,
                     int64_t *height, int64_t *width) {
  if (shape) {
    if (args_image_shape("--image-shape", shape, height, width) != CLI_OK) return CLI_USAGE;
  } else if (file_height > 0 && file_height * file_width == cols) {
    *height = file_height;
    *width = file_width;
  } else {
    int64_t side = (int64_t)llround(sqrt((double)cols));
    if (side * side != cols) {
      return msg_error("rows of %lld values are not square images; give --image-shape HxW",
                       (long long)cols);
    }
    *height = *width = side;
  }
  if (*height * *width != cols) {
    return msg_usage("--image-shape %lldx%lld does not hold the %lld values of a row",
                     (long long)*height, (long long)*width, (long long)cols);
  }
  return CLI_OK;
}

const char *data_fashion_path(char *buf, size_t size, const char *file) {
  const char *dir = getenv("AE_FASHION_DIR");
  snprintf(buf, size, "%s/%s", dir && *dir ? dir : FASHION_DIR, file);
  return buf;
}
