/* fuzz.h -- helpers shared by the libFuzzer targets in this directory.
 *
 * Each target defines LLVMFuzzerTestOneInput. Built with clang and
 * -DAE_FUZZ=ON it links libFuzzer (-fsanitize=fuzzer); in every other build it
 * links standalone.c, a main() that runs the target once on each file of the
 * corpus, so the seeds and every crash ever found (tests/fuzz/corpus/) run
 * under ctest with any compiler and sanitizer. */
#ifndef AE_FUZZ_H
#define AE_FUZZ_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fails loudly: the sanitizers and libFuzzer both report abort() as a crash
 * with a stack, and the standalone driver exits non-zero. */
#define FUZZ_CHECK(cond)                                                           \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                     \
    }                                                                              \
  } while (0)

/* Checks that a libae call returned `want`, printing its message if not. */
#define FUZZ_STATUS(expr, want)                                                      \
  do {                                                                               \
    ae_status st_ = (expr);                                                          \
    if (st_ != (want)) {                                                             \
      fprintf(stderr, "%s:%d: %s gave %s (%s)\n", __FILE__, __LINE__, #expr,         \
              ae_status_string(st_), ae_last_error());                               \
      abort();                                                                       \
    }                                                                                \
  } while (0)

/* Opens `size` bytes at `data` as a zlib stream, the way the `ae` command
 * opens a data file (gzopen reads gzip-compressed and plain bytes alike).
 * The bytes go into an anonymous in-memory file (memfd), so the reader runs on
 * a real descriptor with real seeks and rewinds. NULL when that fails. */
static inline gzFile fuzz_gzopen_bytes(const uint8_t *data, size_t size) {
  int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
  if (fd < 0) return NULL;
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) {
      close(fd);
      return NULL;
    }
    done += (size_t)n;
  }
  if (lseek(fd, 0, SEEK_SET) != 0) {
    close(fd);
    return NULL;
  }
  gzFile f = gzdopen(fd, "rb"); /* gzclose closes fd */
  if (!f) close(fd);
  return f;
}

#endif
