/* modelfile.c -- loading and saving models for the commands. */
#define _POSIX_C_SOURCE 200809L
#include "modelfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "msg.h"

static uint64_t hash_of(const void *bytes, size_t size) {
  const unsigned char *p = bytes;
  uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, 64 bits */
  for (size_t i = 0; i < size; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

/* Reads the whole file at path into a new buffer. */
static int read_all(const char *path, void **data, size_t *size) {
  struct stat info;
  FILE *f = fopen(path, "rb");
  if (!f) return msg_error("cannot open model '%s': %s", path, strerror(errno));
  if (fstat(fileno(f), &info) != 0 || !S_ISREG(info.st_mode)) {
    fclose(f);
    return msg_error("model '%s' is not a regular file", path);
  }
  *size = (size_t)info.st_size;
  *data = malloc(*size ? *size : 1);
  if (!*data) {
    fclose(f);
    return msg_no_memory("reading a model");
  }
  size_t got = fread(*data, 1, *size, f);
  int err = errno;
  fclose(f);
  if (got != *size) {
    free(*data);
    return msg_error("cannot read model '%s': %s", path, strerror(err));
  }
  return CLI_OK;
}

int model_load(const char *path, ae_model **model, uint64_t *hash) {
  void *data = NULL;
  size_t size = 0;
  *model = NULL;
  if (read_all(path, &data, &size) != CLI_OK) return CLI_FAIL;
  ae_status st = ae_load_buffer(model, data, size);
  int rc = CLI_OK;
  if (st != AE_OK) {
    char context[256];
    snprintf(context, sizeof context, "model '%s'", path);
    rc = msg_ae(st, context);
  } else if (hash) {
    *hash = hash_of(data, size);
  }
  free(data);
  return rc;
}

int model_save(const ae_model *model, const char *path, uint64_t *hash) {
  ae_status st = ae_save(model, path, 0);
  if (st != AE_OK) return msg_ae(st, "saving the model");
  size_t size = 0;
  void *data = NULL;
  st = ae_save_buffer(model, 0, NULL, 0, &size);
  if (st == AE_OK) {
    data = malloc(size);
    st = data ? ae_save_buffer(model, 0, data, size, &size) : AE_ERR_NO_MEMORY;
  }
  if (st == AE_OK) *hash = hash_of(data, size);
  free(data);
  return st == AE_OK ? CLI_OK : msg_ae(st, "serialising the model");
}

int model_check_width(const ae_model *model, const char *model_path, int64_t cols,
                      const char *data_path, int codes) {
  int64_t want = codes ? ae_code_size(model) : ae_input_size(model);
  if (cols == want) return CLI_OK;
  return msg_error("'%s' has %lld values per row; model '%s' takes %s of %lld", data_path,
                   (long long)cols, model_path, codes ? "codes" : "rows", (long long)want);
}
