#define _POSIX_C_SOURCE 200809L
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* Creates PATH.tmp-XXXXXX exclusively, with mode 0666 less the process's
 * umask (applied by the kernel), and returns its descriptor, or -1 with errno.
 * Not mkstemp: its file is 0600, and widening that needs the umask, which can
 * only be read by setting it -- a process-wide change that two saves on two
 * threads would interleave into leaving the umask 0 for good. */
static int create_temporary(const char *path, size_t len, char *tmp) {
  static _Atomic unsigned long counter;
  static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  uint64_t x = (uint64_t)getpid() * 0x9e3779b97f4a7c15u ^ (uint64_t)now.tv_nsec ^
               ((uint64_t)now.tv_sec << 30) ^ (uint64_t)(uintptr_t)tmp;
  for (int attempt = 0; attempt < 100; attempt++) {
    x += (uint64_t)atomic_fetch_add(&counter, 1) * 0xbf58476d1ce4e5b9u + 0x94d049bb133111ebu;
    uint64_t y = x ^ (x >> 31);
    memcpy(tmp, path, len);
    memcpy(tmp + len, ".tmp-", 5);
    for (int i = 0; i < 6; i++, y /= 62) tmp[len + 5 + (size_t)i] = digits[y % 62];
    tmp[len + 11] = '\0';
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

ae_status ae_write_file_atomic(const char *path, const void *data, size_t size,
                               const char *caller) {
  size_t len = strlen(path);
  char *tmp = ae_malloc(len + 16, 1);
  if (!tmp) return ae_fail(AE_ERR_NO_MEMORY, "%s: out of memory", caller);
  int fd = create_temporary(path, len, tmp);
  if (fd < 0) {
    ae_status st = io_fail(caller, "create a temporary file beside", path, errno);
    ae_free(tmp);
    return st;
  }
  /* A file replaced keeps its permission bits, not set-id or sticky ones
   * (best effort, as cp does for an existing destination: a failure leaves
   * the new file's default mode). */
  struct stat old;
  if (stat(path, &old) == 0 && S_ISREG(old.st_mode)) (void)fchmod(fd, old.st_mode & 0777);
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
