/* trainset.c -- reading the training and test data of `ae train`. */
#include "trainset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "rows.h"

/* Reads a data file and, when label_path is not NULL, its labels, which must
 * count as many rows. */
static int read_with_labels(const char *path, const char *label_path, int64_t max_rows,
                            int scale_u8, cli_data *d, int64_t **labels) {
  data_options opt = {scale_u8, max_rows};
  *labels = NULL;
  if (data_read(path, &opt, d) != CLI_OK) return CLI_FAIL;
  if (!label_path) return CLI_OK;
  return data_read_labels(label_path, d, path, max_rows, labels);
}

/* Applies --classes to d; label_flag names the option that gives its labels. */
static int keep_classes(const trainset_options *o, cli_data *d, int64_t *labels, const char *path,
                        const char *label_flag) {
  if (o->n_classes == 0) return CLI_OK;
  if (!labels) return msg_usage("--classes needs the labels of '%s' (%s FILE)", path, label_flag);
  return rows_keep_classes(d, labels, o->classes, o->n_classes, path);
}

int trainset_load(const trainset_options *o, trainset *s) {
  memset(s, 0, sizeof *s);
  const char *labels = o->labels, *test = o->test, *test_labels = o->test_labels;
  char fashion_labels[4096], fashion_test[4096], fashion_test_labels[4096];
  if (o->data) {
    snprintf(s->train_path, sizeof s->train_path, "%s", o->data);
  } else {
    data_fashion_path(s->train_path, sizeof s->train_path, "train-images-idx3-ubyte.gz");
    if (!labels) labels = data_fashion_path(fashion_labels, sizeof fashion_labels,
                                            "train-labels-idx1-ubyte.gz");
    if (!test) {
      test = data_fashion_path(fashion_test, sizeof fashion_test, "t10k-images-idx3-ubyte.gz");
      if (!test_labels) test_labels = data_fashion_path(fashion_test_labels,
                                                        sizeof fashion_test_labels,
                                                        "t10k-labels-idx1-ubyte.gz");
    }
  }
  int rc = read_with_labels(s->train_path, labels, o->train_rows, o->scale_u8, &s->train,
                            &s->train_labels);
  if (rc == CLI_OK) rc = keep_classes(o, &s->train, s->train_labels, s->train_path, "--labels");
  if (rc != CLI_OK) return rc;
  if (test) {
    snprintf(s->test_path, sizeof s->test_path, "%s", test);
    rc = read_with_labels(test, test_labels, o->test_rows, o->scale_u8, &s->test,
                          &s->test_labels);
    if (rc == CLI_OK) rc = keep_classes(o, &s->test, s->test_labels, test, "--test-labels");
    if (rc != CLI_OK) return rc;
    if (s->test.cols != s->train.cols) {
      return msg_error("'%s' has %lld values per row, '%s' %lld", test, (long long)s->test.cols,
                       s->train_path, (long long)s->train.cols);
    }
    return CLI_OK;
  }
  /* No test file: hold out part of the training rows. */
  int64_t n_test = (int64_t)(o->test_split * (double)s->train.rows);
  if (o->test_rows > 0 && n_test > o->test_rows) n_test = o->test_rows;
  if (n_test < 1 || n_test >= s->train.rows) {
    return msg_usage("a test split of %g of %lld rows leaves no %s rows; give --test FILE or "
                     "another --test-split", o->test_split, (long long)s->train.rows,
                     n_test < 1 ? "test" : "training");
  }
  if (rows_split(&s->train, s->train_labels, n_test, o->seed) != CLI_OK) return CLI_FAIL;
  s->split = 1;
  s->train.rows -= n_test;
  s->test = s->train;
  s->test.x = s->train.x + s->train.rows * s->train.cols;
  s->test.rows = n_test;
  if (s->train_labels) s->test_labels = s->train_labels + s->train.rows;
  snprintf(s->test_path, sizeof s->test_path, "%s", s->train_path);
  return CLI_OK;
}

void trainset_free(trainset *s) {
  if (!s->split) {
    data_free(&s->test);
    free(s->test_labels);
  }
  data_free(&s->train);
  free(s->train_labels);
  memset(s, 0, sizeof *s);
}
