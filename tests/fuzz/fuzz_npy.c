/* fuzz_npy.c -- the `ae` command's .npy reader (src/cli/npy.c). */
#include "fuzz_data.h"

#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_read_data(data, size, npy_read, 0, fuzz_flags(data, size));
  return 0;
}
