/* output.c -- atomic output files. */
#define _POSIX_C_SOURCE 200809L
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"
#include "msg.h"
#include "npy.h"

/* The directory part of path ("." when none), in a new string. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return strdup(".");
  if (slash == path) return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

int output_check(const char *path, int force) {
  struct stat info;
  if (!path) return CLI_OK;
  if (!*path) return msg_usage("an output file name is empty");
  if (stat(path, &info) == 0) {
    if (S_ISDIR(info.st_mode)) return msg_error("output '%s' is a directory", path);
    if (!force) return msg_error("'%s' exists; add --force to replace it", path);
    return CLI_OK;
  }
  char *dir = dir_of(path);
  if (!dir) return msg_no_memory("for a file name");
  int rc = CLI_OK;
  if (stat(dir, &info) != 0 || !S_ISDIR(info.st_mode)) {
    rc = msg_error("cannot write '%s': directory '%s' does not exist", path, dir);
  } else if (access(dir, W_OK) != 0) {
    rc = msg_error("cannot write '%s': %s", path, strerror(errno));
  }
  free(dir);
  return rc;
}

int output_open(cli_output *o, const char *path, int force) {
  memset(o, 0, sizeof *o);
  if (output_check(path, force) != CLI_OK) return CLI_FAIL;
  size_t len = strlen(path);
  o->path = strdup(path);
  o->tmp = malloc(len + 16);
  if (!o->path || !o->tmp) {
    output_abort(o);
    return msg_no_memory("for a file name");
  }
  memcpy(o->tmp, path, len);
  memcpy(o->tmp + len, ".tmp-XXXXXX", 12);
  int fd = mkstemp(o->tmp);
  if (fd < 0) {
    int err = errno;
    free(o->tmp);
    o->tmp = NULL;
    output_abort(o);
    return msg_error("cannot create a temporary file beside '%s': %s", path, strerror(err));
  }
  /* mkstemp makes the file 0600; give it the permissions a new file gets. */
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  o->f = fdopen(fd, "wb");
  if (!o->f) {
    close(fd);
    output_abort(o);
    return msg_no_memory("opening an output file");
  }
  return CLI_OK;
}

void output_abort(cli_output *o) {
  if (o->f) fclose(o->f);
  if (o->tmp) unlink(o->tmp);
  free(o->tmp);
  free(o->path);
  memset(o, 0, sizeof *o);
}

int output_commit(cli_output *o) {
  const char *failed = NULL;
  if (fflush(o->f) != 0 || ferror(o->f)) failed = "write";
  else if (fsync(fileno(o->f)) != 0) failed = "sync";
  int err = errno;
  if (fclose(o->f) != 0 && !failed) {
    failed = "close";
    err = errno;
  }
  o->f = NULL;
  if (!failed && rename(o->tmp, o->path) != 0) {
    failed = "rename a temporary file onto";
    err = errno;
  }
  if (failed) {
    msg_error("cannot %s '%s': %s", failed, o->path, strerror(err));
    output_abort(o);
    return CLI_FAIL;
  }
  free(o->tmp);
  free(o->path);
  memset(o, 0, sizeof *o);
  return CLI_OK;
}

int output_is_csv(const char *path, int csv_flag) {
  size_t len = strlen(path);
  return csv_flag || (len >= 4 && !strcmp(path + len - 4, ".csv"));
}

int output_matrix(const char *path, int force, int csv, const float *x, int64_t rows,
                  int64_t cols, int one_d) {
  cli_output o;
  if (output_open(&o, path, force) != CLI_OK) return CLI_FAIL;
  if (output_is_csv(path, csv)) csv_write(o.f, x, rows, cols);
  else npy_write(o.f, NPY_F32, x, rows, cols, one_d);
  return output_commit(&o);
}

int output_flags(const char *path, int force, int csv, const unsigned char *flags, int64_t n) {
  if (!output_is_csv(path, csv)) {
    cli_output o;
    if (output_open(&o, path, force) != CLI_OK) return CLI_FAIL;
    npy_write(o.f, NPY_U8, flags, n, 1, 1);
    return output_commit(&o);
  }
  float *v = malloc((size_t)n * sizeof *v);
  if (!v) return msg_no_memory("writing flags");
  for (int64_t i = 0; i < n; i++) v[i] = flags[i];
  int rc = output_matrix(path, force, 1, v, n, 1, 1);
  free(v);
  return rc;
}
