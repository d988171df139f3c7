/* idx.c -- IDX: a magic number (0, 0, type, number of dimensions), one
 * big-endian uint32 per dimension, then the values, big-endian. */
#include "idx.h"

#include "elements.h"
#include "msg.h"

static int type_of(unsigned char code, elem_type *type) {
  switch (code) {
  case 0x08: *type = ELEM_U8; return 1;
  case 0x09: *type = ELEM_I8; return 1;
  case 0x0B: *type = ELEM_I16_BE; return 1;
  case 0x0C: *type = ELEM_I32_BE; return 1;
  case 0x0D: *type = ELEM_F32_BE; return 1;
  case 0x0E: *type = ELEM_F64_BE; return 1;
  }
  return 0;
}

int idx_magic(const unsigned char *head) {
  elem_type t;
  return head[0] == 0 && head[1] == 0 && type_of(head[2], &t) && head[3] >= 1 && head[3] <= 4;
}

int idx_read(gzFile f, const char *path, const data_options *opt, cli_data *out) {
  unsigned char head[4 + 4 * 4];
  if (gzread(f, head, 4) != 4 || !idx_magic(head)) return msg_error("'%s' is not an IDX file", path);
  elem_type type = ELEM_U8;
  type_of(head[2], &type);
  int ndim = head[3];
  if (gzread(f, head + 4, (unsigned)(4 * ndim)) != 4 * ndim) {
    return msg_error("'%s': IDX header is truncated", path);
  }
  int64_t dims[4];
  for (int i = 0; i < ndim; i++) {
    const unsigned char *p = head + 4 + 4 * i;
    dims[i] = (int64_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
  }
  return elem_read_matrix(f, path, type, dims, ndim, opt, out);
}
