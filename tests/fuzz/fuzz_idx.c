/* fuzz_idx.c -- the `ae` command's IDX reader (src/cli/idx.c), on plain or
 * gzip-compressed bytes (zlib tells them apart, as for a real file). Built a
 * second time as fuzz_idx_gz with FUZZ_GZIP, which gzip-compresses every input
 * before reading it: the fuzzer then mutates the IDX bytes and the reader
 * always goes through inflate. */
#include "fuzz_data.h"

#include "idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
#ifdef FUZZ_GZIP
  /* gzip framing: deflateInit2 with windowBits 16 + 15 */
  z_stream z;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
  uLong cap = deflateBound(&z, (uLong)size);
  uint8_t *gz = malloc(cap);
  FUZZ_CHECK(gz);
  z.next_in = (Bytef *)(uintptr_t)data;
  z.avail_in = (uInt)size;
  z.next_out = gz;
  z.avail_out = (uInt)cap;
  FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
  size_t gz_size = (size_t)z.total_out;
  deflateEnd(&z);
  fuzz_read_data(gz, gz_size, idx_read, 0, fuzz_flags(data, size));
  free(gz);
#else
  fuzz_read_data(data, size, idx_read, 0, fuzz_flags(data, size));
#endif
  return 0;
}
