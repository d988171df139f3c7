/*
 * consumer.c -- a program outside the libae tree, built against an installed
 * libae (pkg-config and CMake's find_package) by tests/check_consumer.sh.
 * It uses only the public header: the version, a small autoencoder trained
 * with MSE on data with two underlying degrees of freedom, reconstruction,
 * and a save/load round trip through a memory buffer.
 * Prints one line; exits non-zero on any failure.
 * No libm function is called, so `pkg-config --libs ae` alone links it.
 */
#include <ae.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 256 /* a 16 x 16 grid over the two degrees of freedom */
#define COLS 8

static int failures = 0;

#define CHECK(cond, ...)                                                 \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "consumer: FAIL line %d: %s: ", __LINE__, #cond);  \
      fprintf(stderr, __VA_ARGS__);                                      \
      fprintf(stderr, "\n");                                             \
      failures++;                                                        \
    }                                                                    \
  } while (0)

/* Checks an ae_status, reporting the library's message; evaluates to 1 on
 * success. */
static int ok(ae_status status, const char *what) {
  if (status == AE_OK) return 1;
  fprintf(stderr, "consumer: FAIL: %s: %s (%s)\n", what,
          ae_status_string(status), ae_last_error());
  failures++;
  return 0;
}

/* Eight smooth functions of (u, v) in [0, 1]^2, each with values in [0, 1]. */
static void make_data(float *x) {
  for (int i = 0; i < ROWS; i++) {
    double u = (double)(i % 16) / 15.0;
    double v = (double)(i / 16) / 15.0;
    float *row = x + (size_t)i * COLS;
    row[0] = (float)u;
    row[1] = (float)v;
    row[2] = (float)(u * v);
    row[3] = (float)(u * u);
    row[4] = (float)(1.0 - v * v);
    row[5] = (float)(0.5 * (u + v));
    row[6] = (float)(u * (1.0 - v));
    row[7] = (float)(0.25 + 0.5 * v * (1.0 - u));
  }
}

/* Mean of the squared differences of n values. */
static double mse(const float *a, const float *b, size_t n) {
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)a[i] - (double)b[i];
    sum += d * d;
  }
  return sum / (double)n;
}

static int all_finite(const float *a, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(a[i])) return 0;
  return 1;
}

int main(void) {
  static float x[ROWS * COLS];
  static float out[ROWS * COLS];
  static float out2[ROWS * COLS];
  static float errors[ROWS];
  const size_t count = (size_t)ROWS * COLS;
  ae_model *model = NULL;
  ae_model *copy = NULL;
  void *buffer = NULL;
  double initial = -1.0, trained = -1.0, final_loss = -1.0;
  size_t size = 0;

  /* The header and the library linked must be the same version. */
  char expected[32];
  snprintf(expected, sizeof expected, "%d.%d.%d", AE_VERSION_MAJOR,
           AE_VERSION_MINOR, AE_VERSION_PATCH);
  CHECK(ae_version() == AE_VERSION_NUMBER, "ae_version() = %lu, header %d",
        (unsigned long)ae_version(), AE_VERSION_NUMBER);
  CHECK(strcmp(ae_version_string(), expected) == 0,
        "ae_version_string() = \"%s\", header %s", ae_version_string(),
        expected);

  make_data(x);

  if (!ok(ae_model_create(&model,
                          "input 8; dense 6 tanh; code 2 linear; mirror sigmoid",
                          42),
          "ae_model_create"))
    goto done;
  CHECK(ae_input_size(model) == COLS, "input size %lld",
        (long long)ae_input_size(model));
  CHECK(ae_code_size(model) == 2, "code size %lld",
        (long long)ae_code_size(model));
  CHECK(ae_output_size(model) == COLS, "output size %lld",
        (long long)ae_output_size(model));
  /* 8*6+6 + 6*2+2 + 2*6+6 + 6*8+8 */
  CHECK(ae_param_count(model) == 142, "param count %lld",
        (long long)ae_param_count(model));

  /* The loss before any training, as the mean per-row score under MSE. */
  if (!ok(ae_score(model, x, ROWS, COLS, errors), "ae_score (untrained)"))
    goto done;
  initial = 0.0;
  for (int i = 0; i < ROWS; i++) initial += errors[i];
  initial /= ROWS;

  if (!ok(ae_set_option(model, AE_OPT_LOSS, AE_LOSS_MSE), "set loss") ||
      !ok(ae_set_option(model, AE_OPT_OPTIMIZER, AE_OPTIMIZER_ADAM),
          "set optimizer") ||
      !ok(ae_set_option(model, AE_OPT_LEARNING_RATE, 0.01), "set rate") ||
      !ok(ae_set_option(model, AE_OPT_BATCH_SIZE, 32), "set batch size") ||
      !ok(ae_set_option(model, AE_OPT_EPOCHS, 300), "set epochs"))
    goto done;
  if (!ok(ae_train(model, x, ROWS, COLS, NULL, 0), "ae_train")) goto done;
  CHECK(ae_epochs_trained(model) == 300, "epochs trained %lld",
        (long long)ae_epochs_trained(model));
  if (!ok(ae_train_stat(model, AE_STAT_LOSS, &final_loss), "ae_train_stat"))
    goto done;
  CHECK(isfinite(final_loss) && final_loss < initial / 10.0,
        "training loss %g, untrained %g", final_loss, initial);

  if (!ok(ae_reconstruct(model, x, ROWS, COLS, out, COLS), "ae_reconstruct"))
    goto done;
  CHECK(all_finite(out, count), "non-finite reconstruction");
  trained = mse(x, out, count);
  CHECK(trained < initial / 10.0 && trained < 0.005,
        "reconstruction MSE %g, untrained %g", trained, initial);

  /* Save to a buffer and load it back: the copy reconstructs identically. */
  if (!ok(ae_save_buffer(model, 0, NULL, 0, &size), "ae_save_buffer (size)"))
    goto done;
  CHECK(size > 0, "saved size %zu", size);
  buffer = malloc(size);
  if (buffer == NULL) {
    fprintf(stderr, "consumer: FAIL: out of memory\n");
    failures++;
    goto done;
  }
  {
    size_t needed = 0;
    CHECK(ae_save_buffer(model, 0, buffer, size - 1, &needed) ==
              AE_ERR_BUFFER_TOO_SMALL && needed == size,
          "a too small buffer was not refused (needed %zu)", needed);
  }
  if (!ok(ae_save_buffer(model, 0, buffer, size, &size), "ae_save_buffer"))
    goto done;
  if (!ok(ae_load_buffer(&copy, buffer, size), "ae_load_buffer")) goto done;
  CHECK(strcmp(ae_model_spec(copy), ae_model_spec(model)) == 0,
        "spec \"%s\" != \"%s\"", ae_model_spec(copy), ae_model_spec(model));
  CHECK(ae_epochs_trained(copy) == ae_epochs_trained(model),
        "loaded epochs %lld", (long long)ae_epochs_trained(copy));
  if (!ok(ae_reconstruct(copy, x, ROWS, COLS, out2, COLS),
          "ae_reconstruct (loaded)"))
    goto done;
  CHECK(memcmp(out, out2, sizeof out) == 0,
        "the loaded model reconstructs differently");
  {
    ae_model *bad = NULL;
    CHECK(ae_load_buffer(&bad, buffer, size / 2) != AE_OK && bad == NULL,
          "a truncated buffer was accepted");
    ae_model_free(bad);
  }

done:
  ae_model_free(copy);
  ae_model_free(model);
  free(buffer);
  printf("consumer: %s: libae %s, %zu-byte model, MSE loss %.4g -> %.4g "
         "(epoch loss %.4g)\n",
         failures ? "FAIL" : "OK", ae_version_string(), size, initial, trained,
         final_loss);
  return failures ? 1 : 0;
}
