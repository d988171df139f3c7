/* file.h -- whole-file reads and atomic whole-file writes. */
#ifndef AE_FILE_H
#define AE_FILE_H

#include <stddef.h>

#include "ae.h"

/* Writes size bytes to a temporary file beside `path`, syncs it, renames it
 * over `path` and syncs the directory: readers see the old file or the new
 * one, never a mixture, even after a crash. On failure the temporary file is
 * removed, `path` is untouched, and AE_ERR_IO says which step failed. */
ae_status ae_write_file_atomic(const char *path, const void *data, size_t size,
                               const char *caller);

/* Reads the whole file into *data (ae_malloc, the caller frees) and its
 * length into *size. AE_ERR_IO or AE_ERR_NO_MEMORY on failure. */
ae_status ae_read_file(const char *path, void **data, size_t *size,
                       const char *caller);

#endif
