/* threads.h -- --threads: how many threads the BLAS library may use. */
#ifndef AE_CLI_THREADS_H
#define AE_CLI_THREADS_H

#include <stdint.h>

/* Sets the BLAS thread count (n > 0; 0 leaves the default). OpenBLAS reads
 * OPENBLAS_NUM_THREADS only when it is loaded, before main, so this calls
 * openblas_set_num_threads (or BLIS's bli_thread_set_num_threads), declared
 * here as weak symbols: found at run time in whichever BLAS the library was
 * linked with, absent (and --threads refused) with any other. No private
 * header of libae is involved. CLI_USAGE with a message when n is out of
 * range or the BLAS has no such call. */
int threads_set(int64_t n);

#endif
