/* fuzz_model.c -- model files: ae_load_buffer on any bytes.
 *
 * The input is tried twice: as it is, and with its header's payload length
 * and its CRC-32 recomputed, so that mutations get past the checksum and
 * reach the chunk readers. A model that loads must then survive what a user
 * would do with it: every getter, a save/load round trip that gives the same
 * bytes, and, when it is small enough to run quickly, every inference call
 * and one epoch of training. */
#include "fuzz.h"

#include "ae.h"
#include "fuzz_graph.h"
#include "model.h"

#define HEADER_BYTES 24
#define CRC_BYTES 4
#define MAX_WORK (1 << 18) /* floats per sample, for running a loaded model */

static int one_of(ae_status st, ae_status a, ae_status b, ae_status c) {
  return st == a || st == b || st == c;
}

static void run_inference(const ae_model *m) {
  enum { N = 3 };
  int64_t in = ae_input_size(m), code = ae_code_size(m), out = ae_output_size(m);
  float *x = malloc((size_t)(N * in) * sizeof(float));
  float *c = malloc((size_t)(N * code) * sizeof(float));
  float *y = malloc((size_t)(N * out) * sizeof(float));
  float e[N];
  FUZZ_CHECK(x && c && y);
  for (int64_t i = 0; i < N * in; i++) x[i] = (float)(i % 7) / 6.0f;
  FUZZ_STATUS(ae_encode(m, x, N, in, c, code), AE_OK);
  /* finite weights can still overflow to an Inf code, which ae_decode would
   * refuse as input: decode fixed codes instead */
  for (int64_t i = 0; i < N * code; i++) c[i] = (float)(i % 3) - 1.0f;
  FUZZ_STATUS(ae_decode(m, c, N, code, y, out), AE_OK);
  FUZZ_STATUS(ae_reconstruct(m, x, N, in, y, out), AE_OK);
  /* scoring needs output width == input width; BCE needs x in [0, 1] (it is) */
  ae_status st = ae_score(m, x, N, in, e);
  FUZZ_CHECK(st == (in == out ? AE_OK : AE_ERR_SHAPE));
  if ((double)work_per_sample(&m->graph) * (double)code < (double)MAX_WORK * 4) {
    FUZZ_STATUS(ae_jacobian_norm(m, x, N, in, e), AE_OK);
  }
  int vae = m->graph.variational;
  ae_status want = vae ? AE_OK : AE_ERR_INVALID_ARGUMENT;
  FUZZ_STATUS(ae_encode_distribution(m, x, N, in, AE_CODE_MEAN, 1, c, code), AE_OK);
  FUZZ_STATUS(ae_encode_distribution(m, x, N, in, AE_CODE_LOG_VARIANCE, 1, c, code), want);
  FUZZ_STATUS(ae_encode_distribution(m, x, N, in, AE_CODE_SAMPLE, 1, c, code), want);
  FUZZ_STATUS(ae_sample(m, N, 7, y, out), want);
  st = ae_negative_elbo(m, x, N, in, 7, e);
  FUZZ_CHECK(vae && in == out ? st == AE_OK
                              : st == AE_ERR_INVALID_ARGUMENT || st == AE_ERR_SHAPE);
  free(x);
  free(c);
  free(y);
}

static void run_training(ae_model *m) {
  enum { N = 4 };
  int64_t in = ae_input_size(m);
  float *x = malloc((size_t)(N * in) * sizeof(float));
  FUZZ_CHECK(x);
  for (int64_t i = 0; i < N * in; i++) x[i] = (float)(i % 5) / 4.0f;
  FUZZ_STATUS(ae_set_option(m, AE_OPT_EPOCHS, 1), AE_OK);
  FUZZ_STATUS(ae_set_option(m, AE_OPT_BATCH_SIZE, 2), AE_OK);
  FUZZ_STATUS(ae_set_option(m, AE_OPT_PATIENCE, 0), AE_OK);
  FUZZ_STATUS(ae_set_option(m, AE_OPT_VALIDATION_SPLIT, 0), AE_OK);
  int64_t epochs = ae_epochs_trained(m);
  ae_status st = ae_train(m, x, N, in, NULL, 0);
  /* needs output == input without a target; a file's weights may diverge */
  FUZZ_CHECK(one_of(st, AE_OK, AE_ERR_DIVERGED, AE_ERR_SHAPE));
  if (st == AE_OK) FUZZ_CHECK(ae_epochs_trained(m) == epochs + 1);
  free(x);
}

static void exercise(ae_model *m) {
  /* getters */
  FUZZ_CHECK(ae_model_spec(m)[0] != '\0');
  FUZZ_CHECK(ae_input_size(m) >= 1 && ae_code_size(m) >= 1 && ae_output_size(m) >= 1);
  FUZZ_CHECK(ae_param_count(m) >= 1);
  int64_t epochs = ae_epochs_trained(m);
  FUZZ_CHECK(epochs >= 0);
  double t, v;
  if (epochs > 0) {
    FUZZ_STATUS(ae_loss_history(m, 1, &t, &v), AE_OK);
    FUZZ_STATUS(ae_loss_history(m, epochs, &t, &v), AE_OK);
  }
  FUZZ_CHECK(ae_loss_history(m, epochs + 1, &t, &v) == AE_ERR_INVALID_ARGUMENT);
  for (int i = 0; i < 9; i++) FUZZ_STATUS(ae_train_stat(m, (ae_stat)i, &v), AE_OK);

  /* save, load, save: the same bytes */
  size_t size = 0, again = 0;
  FUZZ_STATUS(ae_save_buffer(m, AE_SAVE_OPTIMIZER_STATE, NULL, 0, &size), AE_OK);
  unsigned char *a = malloc(size), *b = malloc(size);
  FUZZ_CHECK(a && b);
  FUZZ_STATUS(ae_save_buffer(m, AE_SAVE_OPTIMIZER_STATE, a, size, &again), AE_OK);
  FUZZ_CHECK(again == size);
  ae_model *copy = NULL;
  FUZZ_STATUS(ae_load_buffer(&copy, a, size), AE_OK);
  FUZZ_STATUS(ae_save_buffer(copy, AE_SAVE_OPTIMIZER_STATE, b, size, &again), AE_OK);
  FUZZ_CHECK(again == size && memcmp(a, b, size) == 0);
  free(a);
  free(b);

  if (ae_param_count(m) < MAX_WORK && work_per_sample(&m->graph) < MAX_WORK) {
    run_inference(m);
    run_training(copy);
  }
  ae_model_free(copy);
}

static void try_load(const uint8_t *data, size_t size) {
  ae_model *m = (ae_model *)(uintptr_t)1;
  ae_status st = ae_load_buffer(&m, data, size);
  if (st != AE_OK) {
    FUZZ_CHECK(m == NULL);
    FUZZ_CHECK(ae_last_error()[0] != '\0');
    FUZZ_CHECK(st == AE_ERR_FORMAT || st == AE_ERR_CHECKSUM || st == AE_ERR_VERSION ||
               st == AE_ERR_SPEC || st == AE_ERR_NO_MEMORY);
    return;
  }
  FUZZ_CHECK(m != NULL);
  exercise(m);
  ae_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try_load(data, size);
  if (size < HEADER_BYTES + CRC_BYTES) return 0;
  /* the same bytes with a consistent payload length and checksum */
  uint8_t *fixed = malloc(size);
  FUZZ_CHECK(fixed);
  memcpy(fixed, data, size);
  uint64_t payload = size - HEADER_BYTES - CRC_BYTES;
  for (int i = 0; i < 8; i++) fixed[16 + i] = (uint8_t)(payload >> (8 * i));
  uint32_t crc = (uint32_t)crc32_z(0, fixed, size - CRC_BYTES);
  for (int i = 0; i < 4; i++) fixed[size - CRC_BYTES + (size_t)i] = (uint8_t)(crc >> (8 * i));
  try_load(fixed, size);
  free(fixed);
  return 0;
}
