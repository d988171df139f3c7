/* trainset.h -- the data of `ae train`: training rows and held-out test rows,
 * each with labels when known. Test rows come from --test, from the default
 * data set's test file, or from a seeded random part of the training file
 * (--test-split). --classes keeps the rows of some labels only. */
#ifndef AE_CLI_TRAINSET_H
#define AE_CLI_TRAINSET_H

#include <stdint.h>

#include "data.h"

#define TRAINSET_MAX_CLASSES 1024

typedef struct trainset_options {
  const char *data;        /* NULL: Fashion-MNIST's training images */
  const char *labels;      /* NULL: none, or Fashion-MNIST's with the default data */
  const char *test;        /* NULL: Fashion-MNIST's test images, or a split */
  const char *test_labels;
  const int64_t *classes;  /* keep these labels only; n_classes 0 = all */
  int n_classes;
  double test_split;       /* fraction of the training file held out without --test */
  uint64_t seed;
  int64_t train_rows, test_rows; /* read at most this many; 0 = all */
  int scale_u8;
} trainset_options;

typedef struct trainset {
  cli_data train, test;    /* test.x points into train.x when split */
  int64_t *train_labels, *test_labels; /* NULL when unknown */
  int split;               /* test rows are the end of the training file */
  char train_path[4096], test_path[4096];
} trainset;

/* Reads, selects and splits. CLI_OK or CLI_FAIL/CLI_USAGE after a message. */
int trainset_load(const trainset_options *opt, trainset *s);
void trainset_free(trainset *s);

#endif
