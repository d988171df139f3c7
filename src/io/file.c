#define _POSIX_C_SOURCE 200809L
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../alloc.h"
#include "../error.h"

static ae_status io_fail(const char *caller, const char *what, const char *path, int err) {
  return ae_fail(AE_ERR_IO, "%s: cannot %s '%s': %s", caller, what, path, strerror(err));
}

static int write_all(int fd, const unsigned char *p, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    size -= (size_t)n;
  }
  return 0;
}

/* Syncs the directory holding `path`, so that the rename itself is durable. */
static void sync_parent_dir(const char *path, char *scratch) {
  strcpy(scratch, path);
  char *slash = strrchr(scratch, '/');
  const char *dir = ".";
  if (slash == scratch) {
    dir = "/";
  } else if (slash) {
    *slash = '\0';
    dir = scratch;
  }
  int fd = open(dir, O_RDONLY);
  if (fd >= 0) {
    fsync(fd); /* best effort: some file systems refuse fsync on directories */
    close(fd);
  }
}

ae_status ae_write_file_atomic(const char *path, const void *data, size_t size,
                               const char *caller) {
  size_t len = strlen(path);
  char *tmp = ae_malloc(len + 16, 1);
  if (!tmp) return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory", caller);
  memcpy(tmp, path, len);
  memcpy(tmp + len, ".tmp-XXXXXX", 12);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    ae_status st = io_fail(caller, "create a temporary file beside", path, errno);
    ae_free(tmp);
    return st;
  }
  /* mkstemp makes the file 0600; give it the permissions a new file gets. */
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  const char *failed = NULL;
  if (write_all(fd, data, size) != 0) failed = "write";
  else if (fsync(fd) != 0) failed = "sync";
  int err = errno;
  if (close(fd) != 0 && !failed) {
    failed = "close";
    err = errno;
  }
  if (!failed && rename(tmp, path) != 0) {
    failed = "rename a temporary file onto";
    err = errno;
  }
  if (failed) {
    unlink(tmp);
    ae_free(tmp);
    return io_fail(caller, failed, path, err);
  }
  sync_parent_dir(path, tmp);
  ae_free(tmp);
  return AE_OK;
}

ae_status ae_read_file(const char *path, void **data, size_t *size, const char *caller) {
  *data = NULL;
  *size = 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return io_fail(caller, "open", path, errno);
  struct stat info;
  if (fstat(fd, &info) != 0) {
    int err = errno;
    close(fd);
    return io_fail(caller, "stat", path, err);
  }
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    return ae_fail(AE_ERR_IO, "%s: '%s' is not a regular file", caller, path);
  }
  size_t total = (size_t)info.st_size;
  unsigned char *buf = ae_malloc(total ? total : 1, 1);
  if (!buf) {
    close(fd);
    return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory reading %zu bytes of '%s'", caller,
                   total, path);
  }
  size_t got = 0;
  while (got < total) {
    ssize_t n = read(fd, buf + got, total - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      close(fd);
      ae_free(buf);
      return io_fail(caller, "read", path, err);
    }
    got += (size_t)n;
  }
  close(fd);
  *data = buf;
  *size = total;
  return AE_OK;
}
