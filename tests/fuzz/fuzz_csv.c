/* fuzz_csv.c -- the `ae` command's CSV reader (src/cli/csv.c). */
#include "fuzz_data.h"

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_read_data(data, size, csv_read, 1, fuzz_flags(data, size));
  return 0;
}
