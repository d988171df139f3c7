/* modelfile.h -- model files as the commands use them: loading with a hash
 * of the file's bytes (which ties MODEL.stats to the model), and the checks
 * that data fit a model. The hash is 64-bit FNV-1a: a CRC-32 would not do,
 * since a model file ends with the CRC-32 of what precedes it, which makes
 * the CRC-32 of every whole model file the same constant. */
#ifndef AE_CLI_MODELFILE_H
#define AE_CLI_MODELFILE_H

#include <stdint.h>

#include "ae.h"

/* Loads the model at `path`; *hash receives the hash of its bytes (may be
 * NULL). CLI_FAIL with a message naming the file on any failure. */
int model_load(const char *path, ae_model **model, uint64_t *hash);

/* Saves the model at `path` atomically (ae_save) and gives the hash of the
 * bytes written. The caller has checked --force beforehand. */
int model_save(const ae_model *model, const char *path, uint64_t *hash);

/* Fails with a message naming both files when rows of `cols` values do not fit
 * the model's input (or, with codes != 0, its code). */
int model_check_width(const ae_model *model, const char *model_path, int64_t cols,
                      const char *data_path, int codes);

#endif
