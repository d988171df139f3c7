/* npy.c -- the .npy format: a magic string, a version, a header that is a
 * Python dict literal ({'descr': '<f4', 'fortran_order': False, 'shape':
 * (n, d), }) padded to a multiple of 64 bytes, then the raw values. */
#include "npy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elements.h"
#include "msg.h"

#define MAX_HEADER (1 << 20)
#define MAX_DIMS 8

static int host_is_little_endian(void) {
  const uint16_t one = 1;
  unsigned char first;
  memcpy(&first, &one, 1);
  return first == 1;
}

/* The value of key `key` in the header dict: a pointer just after "'key':"
 * and any spaces, or NULL. */
static const char *find_key(const char *header, const char *key) {
  char quoted[32];
  snprintf(quoted, sizeof quoted, "'%s'", key);
  const char *p = strstr(header, quoted);
  if (!p) {
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    p = strstr(header, quoted);
  }
  if (!p) return NULL;
  p += strlen(quoted);
  while (*p == ' ') p++;
  if (*p++ != ':') return NULL;
  while (*p == ' ') p++;
  return p;
}

static int parse_descr(const char *path, const char *header, elem_type *type) {
  const char *p = find_key(header, "descr");
  if (!p || (*p != '\'' && *p != '"')) return msg_error("'%s': .npy header has no dtype", path);
  char quote = *p++;
  const char *end = strchr(p, quote);
  if (!end || end - p > 16) return msg_error("'%s': .npy header has a damaged dtype", path);
  char descr[20];
  memcpy(descr, p, (size_t)(end - p));
  descr[end - p] = '\0';
  static const struct {
    const char *descr;
    elem_type type;
  } known[] = {{"<f4", ELEM_F32_LE}, {">f4", ELEM_F32_BE}, {"<f8", ELEM_F64_LE},
               {">f8", ELEM_F64_BE}, {"|u1", ELEM_U8},     {"<u1", ELEM_U8},
               {">u1", ELEM_U8},     {"u1", ELEM_U8}};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    if (!strcmp(descr, known[i].descr)) {
      *type = known[i].type;
      return CLI_OK;
    }
  }
  return msg_error("'%s': .npy dtype '%s' is not supported (float32 '<f4', float64 '<f8' or "
                   "uint8 '|u1')", path, descr);
}

static int parse_shape(const char *path, const char *header, int64_t *dims, int *ndim) {
  const char *p = find_key(header, "shape");
  if (!p || *p++ != '(') return msg_error("'%s': .npy header has no shape", path);
  *ndim = 0;
  for (;;) {
    while (*p == ' ') p++;
    if (*p == ')') break;
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    if (end == p || errno || v < 0 || *ndim >= MAX_DIMS) {
      return msg_error("'%s': .npy header has a damaged shape", path);
    }
    dims[(*ndim)++] = v;
    p = end;
    while (*p == ' ') p++;
    if (*p == ',') p++;
  }
  return CLI_OK;
}

/* Reads the preamble and header dict into a new string. */
static int read_header(gzFile f, const char *path, char **header) {
  unsigned char pre[12];
  int got = gzread(f, pre, 10);
  if (got < 0) return elem_read_error(f, path);
  if (got < 10 || memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
    return msg_error("'%s' is not a .npy file", path);
  }
  int major = pre[6];
  uint32_t len;
  if (major == 1) {
    len = (uint32_t)pre[8] | (uint32_t)pre[9] << 8;
  } else if (major == 2 || major == 3) {
    if (gzread(f, pre + 10, 2) != 2) return msg_error("'%s': .npy header is truncated", path);
    len = (uint32_t)pre[8] | (uint32_t)pre[9] << 8 | (uint32_t)pre[10] << 16 |
          (uint32_t)pre[11] << 24;
  } else {
    return msg_error("'%s': .npy format version %d is not supported (1 to 3)", path, major);
  }
  if (len > MAX_HEADER) return msg_error("'%s': .npy header is too long", path);
  *header = malloc(len + 1);
  if (!*header) return msg_no_memory("reading a .npy header");
  if (gzread(f, *header, len) != (int)len) {
    free(*header);
    *header = NULL;
    return msg_error("'%s': .npy header is truncated", path);
  }
  (*header)[len] = '\0';
  return CLI_OK;
}

int npy_read(gzFile f, const char *path, const data_options *opt, cli_data *out) {
  char *header = NULL;
  if (read_header(f, path, &header) != CLI_OK) return CLI_FAIL;
  elem_type type = ELEM_U8;
  int64_t dims[MAX_DIMS];
  int ndim = 0;
  int rc = parse_descr(path, header, &type);
  if (rc == CLI_OK) rc = parse_shape(path, header, dims, &ndim);
  const char *order = rc == CLI_OK ? find_key(header, "fortran_order") : NULL;
  if (rc == CLI_OK && (!order || (strncmp(order, "False", 5) && strncmp(order, "True", 4)))) {
    rc = msg_error("'%s': .npy header has no fortran_order", path);
  } else if (rc == CLI_OK && !strncmp(order, "True", 4) && ndim > 1) {
    rc = msg_error("'%s': .npy array is in Fortran order; write it in C order "
                   "(numpy.ascontiguousarray) and try again", path);
  }
  free(header);
  if (rc != CLI_OK) return rc;
  return elem_read_matrix(f, path, type, dims, ndim, opt, out);
}

int npy_write(FILE *f, npy_type type, const void *data, int64_t rows, int64_t cols, int one_d) {
  const char *descr = type == NPY_U8 ? "|u1" : host_is_little_endian() ? "<f4" : ">f4";
  size_t size = type == NPY_U8 ? 1 : 4;
  char dict[160];
  int len;
  if (one_d) {
    len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%lld,), }",
                   descr, (long long)rows);
  } else {
    len = snprintf(dict, sizeof dict,
                   "{'descr': '%s', 'fortran_order': False, 'shape': (%lld, %lld), }", descr,
                   (long long)rows, (long long)cols);
  }
  /* Version 1.0: 10 bytes of preamble; pad with spaces and a newline so that
   * the data start on a multiple of 64 bytes. */
  int total = (10 + len + 1 + 63) / 64 * 64;
  int header_len = total - 10;
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(header_len & 0xff),
                           (unsigned char)(header_len >> 8)};
  fwrite(pre, 1, sizeof pre, f);
  fwrite(dict, 1, (size_t)len, f);
  for (int i = 10 + len; i < total - 1; i++) fputc(' ', f);
  fputc('\n', f);
  size_t count = (size_t)rows * (size_t)cols;
  if (fwrite(data, size, count, f) != count) return -1;
  return ferror(f) ? -1 : 0;
}
