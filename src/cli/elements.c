/* elements.c -- byte-order-independent conversion of binary values to float. */
#define AE_CLI_ELEMENTS_IMPL /* defines elem_read_error: no analyzer macro */
#include "elements.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

#define CHUNK_BYTES (1 << 16)
#define FIRST_BYTES ((size_t)1 << 24) /* the first allocation of a matrix, at most */

size_t elem_size(elem_type type) {
  switch (type) {
  case ELEM_U8:
  case ELEM_I8: return 1;
  case ELEM_I16_BE: return 2;
  case ELEM_I32_BE:
  case ELEM_F32_BE:
  case ELEM_F32_LE: return 4;
  case ELEM_F64_BE:
  case ELEM_F64_LE: return 8;
  }
  return 1;
}

static uint64_t load_be(const unsigned char *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
  return v;
}

static uint64_t load_le(const unsigned char *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;) v = v << 8 | p[i];
  return v;
}

static float bits_to_float(uint32_t bits) {
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static double bits_to_double(uint64_t bits) {
  double d;
  memcpy(&d, &bits, sizeof d);
  return d;
}

/* Converts n values of `type` at src; scale multiplies each. */
static void convert(elem_type type, const unsigned char *src, size_t n, float scale,
                    float *dst) {
  size_t s = elem_size(type);
  for (size_t i = 0; i < n; i++, src += s) {
    float v = 0;
    switch (type) {
    case ELEM_U8: v = (float)src[0]; break;
    case ELEM_I8: v = (float)(int8_t)src[0]; break;
    case ELEM_I16_BE: v = (float)(int16_t)load_be(src, 2); break;
    case ELEM_I32_BE: v = (float)(int32_t)load_be(src, 4); break;
    case ELEM_F32_BE: v = bits_to_float((uint32_t)load_be(src, 4)); break;
    case ELEM_F32_LE: v = bits_to_float((uint32_t)load_le(src, 4)); break;
    case ELEM_F64_BE: v = (float)bits_to_double(load_be(src, 8)); break;
    case ELEM_F64_LE: v = (float)bits_to_double(load_le(src, 8)); break;
    }
    dst[i] = scale == 1.0f ? v : v * scale;
  }
}

int elem_read_error(gzFile f, const char *path) {
  int code;
  const char *what = gzerror(f, &code);
  if (code == Z_ERRNO) what = strerror(errno);
  return msg_error("cannot read '%s': %s", path, what);
}

/* Reads values first .. first + count of a file that should hold `total`,
 * into dst; the message of a short file counts from the first value. */
static int read_values(gzFile f, const char *path, elem_type type, int64_t first,
                       int64_t count, int64_t total, float scale, float *dst) {
  unsigned char buf[CHUNK_BYTES];
  size_t s = elem_size(type);
  size_t per_chunk = CHUNK_BYTES / s;
  int64_t done = 0;
  while (done < count) {
    size_t n = count - done < (int64_t)per_chunk ? (size_t)(count - done) : per_chunk;
    int got = gzread(f, buf, (unsigned)(n * s));
    if (got < 0) return elem_read_error(f, path);
    if ((size_t)got < n * s) {
      return msg_error("'%s' is truncated: it ends after %lld of %lld values", path,
                       (long long)(first + done + (int64_t)((size_t)got / s)),
                       (long long)total);
    }
    convert(type, buf, n, scale, dst + done);
    done += (int64_t)n;
  }
  return CLI_OK;
}

int elem_read(gzFile f, const char *path, elem_type type, int64_t count, float scale,
              float *dst) {
  return read_values(f, path, type, 0, count, count, scale, dst);
}

static int expect_end(gzFile f, const char *path) {
  unsigned char extra;
  int got = gzread(f, &extra, 1);
  if (got < 0) return elem_read_error(f, path);
  if (got > 0) return msg_error("'%s' has bytes after its data (not the size its header says)", path);
  return CLI_OK;
}

int elem_read_matrix(gzFile f, const char *path, elem_type type, const int64_t *dims,
                     int ndim, const data_options *opt, cli_data *out) {
  if (ndim < 1) return msg_error("'%s' holds a single value, not rows of data", path);
  int64_t rows = dims[0], cols = 1;
  for (int i = 1; i < ndim; i++) {
    if (dims[i] != 0 && cols > INT64_MAX / dims[i]) return msg_error("'%s' is too large", path);
    cols *= dims[i];
  }
  if (rows == 0 || cols == 0) return msg_error("'%s' holds no values", path);
  int64_t keep = opt->max_rows > 0 && opt->max_rows < rows ? opt->max_rows : rows;
  if (keep > (int64_t)(SIZE_MAX / sizeof(float)) / cols) {
    return msg_error("'%s': %lld x %lld values do not fit in memory", path, (long long)keep,
                     (long long)cols);
  }
  /* The header's sizes are not trusted with the first allocation: a damaged
   * file of a few bytes can claim billions of values, and must be reported as
   * truncated, not make us allocate gigabytes first. Room for FIRST_BYTES of
   * values, then doubling as values arrive (realloc of large blocks moves
   * pages, not bytes), so memory follows the data actually there. */
  int64_t total = keep * cols;
  int64_t cap = (int64_t)(FIRST_BYTES / sizeof(float));
  if (cap > total) cap = total;
  if (data_alloc(out, path, 1, cap) != CLI_OK) return CLI_FAIL;
  if (ndim == 3) {
    out->height = dims[1];
    out->width = dims[2];
  }
  out->u8 = type == ELEM_U8;
  float scale = out->u8 && opt->scale_u8 ? 1.0f / 255.0f : 1.0f;
  int rc = CLI_OK;
  for (int64_t done = 0; rc == CLI_OK && done < total; done = cap) {
    if (done == cap) {
      int64_t grown = total - cap < cap ? total : 2 * cap;
      float *x = realloc(out->x, (size_t)grown * sizeof(float));
      if (!x) {
        rc = msg_error("out of memory for the %lld x %lld values of '%s'", (long long)keep,
                       (long long)cols, path);
        break;
      }
      out->x = x;
      cap = grown;
    }
    rc = read_values(f, path, type, done, cap - done, total, scale, out->x + done);
  }
  out->rows = keep;
  out->cols = cols;
  out->file_rows = rows;
  if (rc == CLI_OK && keep == rows) rc = expect_end(f, path);
  if (rc != CLI_OK) data_free(out);
  return rc;
}
