/* threads.c -- the BLAS thread count through weak references. */
#include "threads.h"

#include "msg.h"

/* Provided by OpenBLAS and by BLIS respectively; NULL when not loaded. */
extern void openblas_set_num_threads(int n) __attribute__((weak));
extern void bli_thread_set_num_threads(int64_t n) __attribute__((weak));

int threads_set(int64_t n) {
  if (n == 0) return CLI_OK;
  if (n < 0 || n > 1024) return msg_usage("--threads %lld is outside 1 to 1024", (long long)n);
  if (openblas_set_num_threads) {
    openblas_set_num_threads((int)n);
  } else if (bli_thread_set_num_threads) {
    bli_thread_set_num_threads(n);
  } else {
    return msg_usage("--threads: the BLAS library in use has no call to set its threads");
  }
  return CLI_OK;
}
