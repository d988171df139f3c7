/* train_fashion.c -- the main job for now: train a deep dense autoencoder on
 * Fashion-MNIST and report its reconstruction error on the test set.
 *
 *   train_fashion [--data DIR] [--epochs N] [--train-rows N] [--seed S]
 *
 * DIR defaults to /usr/share/datasets/fashion-mnist (Debian's
 * dataset-fashion-mnist). Uses the public API only (ae.h) plus zlib to read
 * the gzip-compressed IDX files. */
#include <ae.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define SPEC "input 784; dense 512 relu; dense 128 relu; code 32 linear; mirror sigmoid"

/* Reads an IDX image file (magic 0x00000803, big-endian u32 dimensions) into
 * floats in [0, 1], (*rows, 784). Returns NULL with a message on failure. */
static float *read_idx_images(const char *path, int64_t *rows) {
  gzFile f = gzopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
    return NULL;
  }
  unsigned char h[16];
  float *x = NULL;
  if (gzread(f, h, 16) != 16) goto bad;
  uint32_t dim[4];
  for (int i = 0; i < 4; i++) {
    dim[i] = (uint32_t)h[4 * i] << 24 | (uint32_t)h[4 * i + 1] << 16 |
             (uint32_t)h[4 * i + 2] << 8 | h[4 * i + 3];
  }
  if (dim[0] != 0x803 || dim[2] != 28 || dim[3] != 28 || dim[1] == 0 || dim[1] > 1000000) goto bad;
  size_t count = (size_t)dim[1] * 784;
  unsigned char *bytes = malloc(count);
  x = malloc(count * sizeof *x);
  if (!bytes || !x || gzread(f, bytes, (unsigned)count) != (int)count) {
    free(bytes);
    free(x);
    x = NULL;
    goto bad;
  }
  for (size_t i = 0; i < count; i++) x[i] = bytes[i] / 255.0f;
  free(bytes);
  *rows = dim[1];
  gzclose(f);
  return x;
bad:
  fprintf(stderr, "%s is not a readable 28x28 IDX image file\n", path);
  gzclose(f);
  return NULL;
}

static int check(ae_status st, const char *what) {
  if (st == AE_OK) return 0;
  fprintf(stderr, "%s failed: %s\n  %s\n", what, ae_status_string(st), ae_last_error());
  return 1;
}

static double seconds(void) {
  struct timespec t;
  timespec_get(&t, TIME_UTC);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int on_epoch(void *start, int64_t epoch, int64_t step, int64_t steps, double loss) {
  (void)step;
  (void)steps;
  printf("epoch %2lld  training BCE %.4f per pixel  (%.0f s)\n", (long long)epoch, loss,
         seconds() - *(double *)start);
  fflush(stdout);
  return 0;
}

/* Mean over every pixel of (reconstruction - x)^2. */
static double mean_squared_error(const float *x, const float *y, int64_t count) {
  double sum = 0;
  for (int64_t i = 0; i < count; i++) sum += (double)(y[i] - x[i]) * (y[i] - x[i]);
  return sum / (double)count;
}

int main(int argc, char **argv) {
  const char *dir = "/usr/share/datasets/fashion-mnist";
  long epochs = 10, train_rows = 0;
  unsigned long long seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--data")) dir = argv[i + 1];
    else if (!strcmp(argv[i], "--epochs")) epochs = strtol(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--train-rows")) train_rows = strtol(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--seed")) seed = strtoull(argv[i + 1], NULL, 10);
    else {
      fprintf(stderr, "usage: %s [--data DIR] [--epochs N] [--train-rows N] [--seed S]\n", argv[0]);
      return 2;
    }
  }
  char path[4096];
  int64_t n_train, n_test;
  snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
  float *train = read_idx_images(path, &n_train);
  snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz", dir);
  float *test = train ? read_idx_images(path, &n_test) : NULL;
  if (!test) return 1;
  if (train_rows > 0 && train_rows < n_train) n_train = train_rows;

  ae_model *model = NULL;
  int failed = check(ae_model_create(&model, SPEC, seed), "ae_model_create");
  double start = seconds();
  if (!failed) {
    printf("libae %s: %s\n%lld parameters; training on %lld images, testing on %lld\n",
           ae_version_string(), ae_model_spec(model), (long long)ae_param_count(model),
           (long long)n_train, (long long)n_test);
    failed = check(ae_set_option(model, AE_OPT_LOSS, AE_LOSS_BCE), "ae_set_option") ||
             check(ae_set_option(model, AE_OPT_EPOCHS, (double)epochs), "ae_set_option") ||
             check(ae_set_option(model, AE_OPT_BATCH_SIZE, 256), "ae_set_option") ||
             check(ae_set_option(model, AE_OPT_LEARNING_RATE, 1e-3), "ae_set_option") ||
             check(ae_set_progress(model, on_epoch, &start), "ae_set_progress") ||
             check(ae_train(model, train, n_train, 784, NULL, 0), "ae_train");
  }
  float *recon = malloc((size_t)n_test * 784 * sizeof *recon);
  float *scores = malloc((size_t)n_test * sizeof *scores);
  if (!failed && recon && scores) {
    failed = check(ae_reconstruct(model, test, n_test, 784, recon, 784), "ae_reconstruct") ||
             check(ae_score(model, test, n_test, 784, scores), "ae_score");
  }
  if (!failed && recon && scores) {
    double bce = 0;
    for (int64_t i = 0; i < n_test; i++) bce += scores[i];
    printf("test reconstruction error: MSE %.4f per pixel, BCE %.4f per pixel "
           "(PCA with 32 components: MSE 0.0151)\n",
           mean_squared_error(test, recon, n_test * 784), bce / (double)n_test);
  }
  ae_model_free(model);
  free(recon);
  free(scores);
  free(train);
  free(test);
  return failed || !recon || !scores;
}
