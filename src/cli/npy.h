/* npy.h -- NumPy .npy files: reading float32, float64 and uint8 arrays in C
 * order, writing float32 and uint8 ones. */
#ifndef AE_CLI_NPY_H
#define AE_CLI_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <zlib.h>

#include "data.h"

/* The first bytes of every .npy file. */
#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6

/* Reads the .npy at f (positioned at its start). 1-D arrays are one column,
 * 3-D arrays (n, h, w) images of h * w columns; others flatten after the
 * first dimension. CLI_FAIL with a message on a dtype other than float32,
 * float64 or uint8, on Fortran order, or on a damaged file. */
int npy_read(gzFile f, const char *path, const data_options *opt, cli_data *out);

/* The value types npy_write can write. */
typedef enum npy_type { NPY_F32, NPY_U8 } npy_type;

/* Writes an array of `rows` x `cols` values of `type` (1-D (rows) when
 * one_d). Returns 0, or -1 when a write fails (see ferror). */
int npy_write(FILE *f, npy_type type, const void *data, int64_t rows, int64_t cols, int one_d);

#endif
