/* test_model_file.c -- the model file (docs/FORMAT.md): ae_save, ae_load and
 * their buffer forms. Round trips must be bit-identical, optimizer state must
 * let training resume exactly, every damaged or foreign input must be refused
 * with the right status (never AE_OK, never a crash), and saving must be
 * atomic. Crafted files are rebuilt from a real one by the tf_* helpers below,
 * with a correct CRC-32, so that the checks behind the checksum are reached.
 * The chunks of a full file: SPEC SEED OPTS HIST LOSS SCAL PARM OPTM. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "ae.h"
#include "testutil.h"

/* ------------------------------------------------------------------------ */
/* Data, models                                                              */
/* ------------------------------------------------------------------------ */

#define SPEC_A "input 12; dense 8 tanh; code 3 linear; mirror sigmoid"
#define SPEC_B "input 12; code 5 relu; dense 12 sigmoid"
#define ROWS 64
#define COLS 12
#define HEADER_BYTES 24

static float g_x[ROWS * COLS];

/* Every option; the writer stores them all, so OPTS holds N_ALL_OPTIONS. */
static const ae_option ALL_OPTIONS[] = {
    AE_OPT_EPOCHS,        AE_OPT_BATCH_SIZE,     AE_OPT_SHUFFLE,    AE_OPT_VALIDATION_SPLIT,
    AE_OPT_PATIENCE,      AE_OPT_PROGRESS_EVERY, AE_OPT_OPTIMIZER,  AE_OPT_LEARNING_RATE,
    AE_OPT_MOMENTUM,      AE_OPT_ADAM_BETA1,     AE_OPT_ADAM_BETA2, AE_OPT_ADAM_EPSILON,
    AE_OPT_LOSS,          AE_OPT_LOSS_REDUCTION, AE_OPT_L2};
#define N_ALL_OPTIONS ((int)(sizeof ALL_OPTIONS / sizeof ALL_OPTIONS[0]))

/* A value different from every option's default, inside its range. */
static const double NON_DEFAULT[N_ALL_OPTIONS] = {
    3,    16,   0,           0.25,   2,    5, AE_OPTIMIZER_SGD, 0.02, 0.8, 0.85, 0.99,
    1e-7, AE_LOSS_BCE, AE_REDUCTION_SUM, 1e-4};

static int group_setup(void **state) {
  (void)state;
  tu_fill_uniform(g_x, ROWS * COLS, 0.0f, 1.0f, 42);
  return 0;
}

/* A standardisation of g_x's 12 columns (values in [0, 1]). */
static void scaling_values(float *mean, float *scale) {
  for (int j = 0; j < COLS; j++) {
    mean[j] = 0.4f + 0.01f * (float)j;
    scale[j] = 0.2f + 0.03f * (float)j;
  }
}

static void set_scaling(ae_model *m) {
  float mean[COLS], scale[COLS];
  scaling_values(mean, scale);
  assert_ok(ae_set_input_scaling(m, mean, scale, COLS));
}

/* A model of `spec` trained `epochs` epochs on g_x with `optimizer`; with
 * `scaled`, it standardises its inputs (so its file has every chunk). */
static ae_model *trained_model_with(const char *spec, ae_optimizer_kind optimizer, int epochs,
                                    uint64_t seed, int scaled) {
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, spec, seed));
  if (scaled) set_scaling(m);
  assert_ok(ae_set_option(m, AE_OPT_OPTIMIZER, optimizer));
  assert_ok(ae_set_option(m, AE_OPT_LEARNING_RATE, optimizer == AE_OPTIMIZER_SGD ? 0.05 : 0.01));
  assert_ok(ae_set_option(m, AE_OPT_BATCH_SIZE, 16));
  assert_ok(ae_set_option(m, AE_OPT_EPOCHS, epochs));
  assert_ok(ae_train(m, g_x, ROWS, COLS, NULL, 0));
  assert_int_equal(ae_epochs_trained(m), epochs);
  return m;
}

static ae_model *trained_model(const char *spec, ae_optimizer_kind optimizer, int epochs,
                               uint64_t seed) {
  return trained_model_with(spec, optimizer, epochs, seed, 0);
}

/* Trained one epoch with Adam and standardised: saved with
 * AE_SAVE_OPTIMIZER_STATE its file has all eight chunks. */
static ae_model *full_model(void) { return trained_model_with(SPEC_A, AE_OPTIMIZER_ADAM, 1, 5, 1); }

/* The model's bytes as ae_save_buffer writes them (malloc'd). */
static unsigned char *save_bytes(const ae_model *m, uint32_t flags, size_t *size) {
  size_t need = 0;
  assert_ok(ae_save_buffer(m, flags, NULL, 0, &need));
  assert_true(need > HEADER_BYTES + 4);
  unsigned char *buf = malloc(need);
  assert_non_null(buf);
  size_t got = 0;
  assert_ok(ae_save_buffer(m, flags, buf, need, &got));
  assert_int_equal(got, need);
  *size = need;
  return buf;
}

/* Loads `size` bytes from an exactly sized heap copy (so that a sanitizer
 * sees any read past the end) and checks the status; a failure must leave
 * *out NULL. Returns the model on success (the caller frees it). */
static ae_model *load_expect(const void *data, size_t size, ae_status expected,
                             const char *what) {
  unsigned char *copy = malloc(size ? size : 1);
  assert_non_null(copy);
  if (size) memcpy(copy, data, size);
  ae_model *m = (ae_model *)(uintptr_t)1; /* must be overwritten */
  ae_status st = ae_load_buffer(&m, copy, size);
  free(copy);
  if (st != expected) {
    fprintf(stderr, "%s: ae_load_buffer gave %s (%s), expected %s\n", what,
            ae_status_string(st), ae_last_error(), ae_status_string(expected));
  }
  assert_int_equal(st, expected);
  if (st != AE_OK) {
    assert_null(m);
    assert_true(strlen(ae_last_error()) > 0);
    return NULL;
  }
  assert_non_null(m);
  return m;
}

/* Runs every inference entry point on g_x. */
typedef struct outputs {
  float code[ROWS * 8];
  float decoded[ROWS * COLS];
  float recon[ROWS * COLS];
  float score[ROWS];
} outputs;

static void infer(const ae_model *m, outputs *o) {
  memset(o, 0, sizeof *o);
  int64_t code = ae_code_size(m);
  assert_true(code >= 1 && code <= 8);
  assert_ok(ae_encode(m, g_x, ROWS, COLS, o->code, code));
  assert_ok(ae_decode(m, o->code, ROWS, code, o->decoded, COLS));
  assert_ok(ae_reconstruct(m, g_x, ROWS, COLS, o->recon, COLS));
  assert_ok(ae_score(m, g_x, ROWS, COLS, o->score));
}

/* Everything observable through the API is the same, bit for bit. */
static void assert_same_model(const ae_model *a, const ae_model *b) {
  assert_string_equal(ae_model_spec(a), ae_model_spec(b));
  assert_int_equal(ae_input_size(a), ae_input_size(b));
  assert_int_equal(ae_code_size(a), ae_code_size(b));
  assert_int_equal(ae_output_size(a), ae_output_size(b));
  assert_int_equal(ae_param_count(a), ae_param_count(b));
  assert_int_equal(ae_epochs_trained(a), ae_epochs_trained(b));
  for (int i = 0; i < N_ALL_OPTIONS; i++) {
    double va = -1, vb = -2;
    assert_ok(ae_get_option(a, ALL_OPTIONS[i], &va));
    assert_ok(ae_get_option(b, ALL_OPTIONS[i], &vb));
    assert_memory_equal(&va, &vb, sizeof va);
  }
  /* The loss history, bit for bit (NaN validation losses included). */
  for (int64_t e = 1; e <= ae_epochs_trained(a); e++) {
    double ta = -1, va = -1, tb = -2, vb = -2;
    assert_ok(ae_loss_history(a, e, &ta, &va));
    assert_ok(ae_loss_history(b, e, &tb, &vb));
    assert_memory_equal(&ta, &tb, sizeof ta);
    assert_memory_equal(&va, &vb, sizeof va);
  }
  assert_status(ae_loss_history(b, ae_epochs_trained(b) + 1, NULL, NULL),
                AE_ERR_INVALID_ARGUMENT);
  /* The input standardisation (0 and 1 without one). */
  float ma[COLS], sa[COLS], mb[COLS], sb[COLS];
  assert_int_equal(ae_input_size(a), COLS);
  assert_ok(ae_get_input_scaling(a, ma, sa, COLS));
  assert_ok(ae_get_input_scaling(b, mb, sb, COLS));
  assert_memory_equal(ma, mb, sizeof ma);
  assert_memory_equal(sa, sb, sizeof sa);
  static outputs oa, ob;
  infer(a, &oa);
  infer(b, &ob);
  assert_memory_equal(oa.code, ob.code, sizeof oa.code);
  assert_memory_equal(oa.decoded, ob.decoded, sizeof oa.decoded);
  assert_memory_equal(oa.recon, ob.recon, sizeof oa.recon);
  assert_memory_equal(oa.score, ob.score, sizeof oa.score);
}

/* Both models serialise to the same bytes (weights, options, history and,
 * with the flag, optimizer state). */
static void assert_same_bytes(const ae_model *a, const ae_model *b, uint32_t flags) {
  size_t na, nb;
  unsigned char *ba = save_bytes(a, flags, &na);
  unsigned char *bb = save_bytes(b, flags, &nb);
  assert_int_equal(na, nb);
  assert_memory_equal(ba, bb, na);
  free(ba);
  free(bb);
}

/* ------------------------------------------------------------------------ */
/* Crafting files                                                            */
/* ------------------------------------------------------------------------ */

static void put_le32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put_le64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const unsigned char *p) {
  return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* Recomputes the CRC-32 in the last 4 bytes over every byte before them. */
static void fix_crc(unsigned char *buf, size_t size) {
  assert_true(size >= 4);
  put_le32(buf + size - 4, (uint32_t)crc32(0L, buf, (uInt)(size - 4)));
}

/* A file as a list of chunks; data point into buffers the test owns. */
typedef struct tchunk {
  char tag[4];
  const unsigned char *data;
  uint64_t len;
} tchunk;

typedef struct tfile {
  tchunk c[16];
  int n;
} tfile;

/* Splits a valid file into its chunks, checking the framing on the way. */
static void tf_split(tfile *f, const unsigned char *buf, size_t size) {
  static const unsigned char magic[8] = {0x89, 'A', 'E', 'M', '\r', '\n', 0x1a, '\n'};
  assert_true(size >= HEADER_BYTES + 4);
  assert_memory_equal(buf, magic, 8);
  assert_int_equal(get_le32(buf + 8), 1);
  assert_int_equal(get_le32(buf + 12), 0x01020304u);
  uint64_t payload = get_le64(buf + 16);
  assert_int_equal(HEADER_BYTES + payload + 4, size);
  f->n = 0;
  size_t pos = HEADER_BYTES;
  while (pos < HEADER_BYTES + payload) {
    assert_true(f->n < 16);
    tchunk *c = &f->c[f->n++];
    memcpy(c->tag, buf + pos, 4);
    c->len = get_le64(buf + pos + 4);
    c->data = buf + pos + 12;
    pos += 12 + c->len;
    assert_true(pos <= HEADER_BYTES + payload);
  }
}

static int tf_find(const tfile *f, const char *tag) {
  for (int i = 0; i < f->n; i++) {
    if (memcmp(f->c[i].tag, tag, 4) == 0) return i;
  }
  fail_msg("no '%.4s' chunk", tag);
  return -1;
}

static void tf_insert(tfile *f, int at, const char *tag, const void *data, uint64_t len) {
  assert_true(f->n < 16 && at >= 0 && at <= f->n);
  memmove(&f->c[at + 1], &f->c[at], (size_t)(f->n - at) * sizeof f->c[0]);
  memcpy(f->c[at].tag, tag, 4);
  f->c[at].data = data;
  f->c[at].len = len;
  f->n++;
}

static void tf_remove(tfile *f, int at) {
  assert_true(at >= 0 && at < f->n);
  memmove(&f->c[at], &f->c[at + 1], (size_t)(f->n - at - 1) * sizeof f->c[0]);
  f->n--;
}

static void tf_replace(tfile *f, int at, const void *data, uint64_t len) {
  assert_true(at >= 0 && at < f->n);
  f->c[at].data = data;
  f->c[at].len = len;
}

/* Assembles header, chunks and a correct CRC-32 (malloc'd). */
static unsigned char *tf_build(const tfile *f, uint32_t version, uint32_t bom, size_t *size) {
  static const unsigned char magic[8] = {0x89, 'A', 'E', 'M', '\r', '\n', 0x1a, '\n'};
  uint64_t payload = 0;
  for (int i = 0; i < f->n; i++) payload += 12 + f->c[i].len;
  size_t total = HEADER_BYTES + (size_t)payload + 4;
  unsigned char *buf = malloc(total);
  assert_non_null(buf);
  memcpy(buf, magic, 8);
  put_le32(buf + 8, version);
  put_le32(buf + 12, bom);
  put_le64(buf + 16, payload);
  size_t pos = HEADER_BYTES;
  for (int i = 0; i < f->n; i++) {
    memcpy(buf + pos, f->c[i].tag, 4);
    put_le64(buf + pos + 4, f->c[i].len);
    if (f->c[i].len) memcpy(buf + pos + 12, f->c[i].data, (size_t)f->c[i].len);
    pos += 12 + (size_t)f->c[i].len;
  }
  fix_crc(buf, total);
  *size = total;
  return buf;
}

/* Builds f as a version 1 file and checks how it loads. */
static ae_model *tf_load_expect(const tfile *f, ae_status expected, const char *what) {
  size_t size;
  unsigned char *buf = tf_build(f, 1, 0x01020304u, &size);
  ae_model *m = load_expect(buf, size, expected, what);
  free(buf);
  return m;
}

/* ------------------------------------------------------------------------ */
/* Scratch directories                                                       */
/* ------------------------------------------------------------------------ */

/* A fresh directory of our own under the test directory: other test binaries
 * may save files beside ours at the same time. */
static void make_scratch_dir(char *dir, size_t size) {
  tu_temp_path(dir, size, "model_file-XXXXXX");
  assert_non_null(mkdtemp(dir));
}

static void join(char *out, size_t size, const char *dir, const char *name) {
  int n = snprintf(out, size, "%s/%s", dir, name);
  assert_true(n > 0 && (size_t)n < size);
}

/* Entries of dir whose name has ".tmp-" in it (atomic save's temporaries). */
static int count_temp_files(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int count = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strstr(e->d_name, ".tmp-")) {
      fprintf(stderr, "leftover temporary file %s/%s\n", dir, e->d_name);
      count++;
    }
  }
  closedir(d);
  return count;
}

/* Removes dir and what it holds (files, and empty or flat subdirectories). */
static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[1024];
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    join(path, sizeof path, dir, e->d_name);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
      remove_tree(path);
    } else {
      unlink(path);
    }
  }
  closedir(d);
  rmdir(dir);
}

static void write_file(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  if (size) assert_int_equal(fwrite(data, 1, size, f), size);
  assert_int_equal(fclose(f), 0);
}

static unsigned char *read_whole_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  long len = ftell(f);
  assert_true(len >= 0);
  rewind(f);
  unsigned char *buf = malloc((size_t)len + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  *size = (size_t)len;
  return buf;
}

/* ae_load with the status checked; on failure *out must be NULL. */
static ae_model *load_file_expect(const char *path, ae_status expected) {
  ae_model *m = (ae_model *)(uintptr_t)1;
  ae_status st = ae_load(&m, path);
  if (st != expected) {
    fprintf(stderr, "ae_load(%s) gave %s (%s), expected %s\n", path, ae_status_string(st),
            ae_last_error(), ae_status_string(expected));
  }
  assert_int_equal(st, expected);
  if (st != AE_OK) {
    assert_null(m);
    return NULL;
  }
  assert_non_null(m);
  return m;
}

/* ------------------------------------------------------------------------ */
/* Round trips                                                               */
/* ------------------------------------------------------------------------ */

static void round_trip(uint32_t flags) {
  ae_model *a = trained_model(SPEC_A, AE_OPTIMIZER_ADAM, 3, 7);
  /* Every option away from its default, so that each one must round-trip. */
  for (int i = 0; i < N_ALL_OPTIONS; i++) {
    double def = 0;
    assert_ok(ae_option_bounds(ALL_OPTIONS[i], NULL, NULL, &def));
    assert_true(NON_DEFAULT[i] != def);
    assert_ok(ae_set_option(a, ALL_OPTIONS[i], NON_DEFAULT[i]));
  }

  char dir[512], path[600];
  make_scratch_dir(dir, sizeof dir);
  join(path, sizeof path, dir, "a.aem");
  assert_ok(ae_save(a, path, flags));
  ae_model *from_file = load_file_expect(path, AE_OK);

  size_t size;
  unsigned char *buf = save_bytes(a, flags, &size);
  ae_model *from_buffer = load_expect(buf, size, AE_OK, "round trip");

  /* The file holds the same bytes as the buffer. */
  size_t file_size;
  unsigned char *file_bytes = read_whole_file(path, &file_size);
  assert_int_equal(file_size, size);
  assert_memory_equal(file_bytes, buf, size);

  assert_int_equal(ae_epochs_trained(from_file), 3);
  for (int i = 0; i < N_ALL_OPTIONS; i++) {
    double v = 0;
    assert_ok(ae_get_option(from_file, ALL_OPTIONS[i], &v));
    assert_true(v == NON_DEFAULT[i]);
  }
  assert_same_model(a, from_file);
  assert_same_model(a, from_buffer);
  /* Saving a loaded model gives the same bytes again (weights, history and,
   * with the flag, the optimizer state all came back). */
  assert_same_bytes(a, from_file, flags);
  assert_same_bytes(a, from_buffer, flags);

  /* The weights come from the file, not from the seed: a fresh model of the
   * same spec and seed reconstructs differently. */
  ae_model *fresh = NULL;
  assert_ok(ae_model_create(&fresh, SPEC_A, 7));
  static float r1[ROWS * COLS], r2[ROWS * COLS];
  assert_ok(ae_reconstruct(fresh, g_x, ROWS, COLS, r1, COLS));
  assert_ok(ae_reconstruct(from_file, g_x, ROWS, COLS, r2, COLS));
  assert_true(memcmp(r1, r2, sizeof r1) != 0);

  ae_model_free(fresh);
  free(file_bytes);
  free(buf);
  ae_model_free(from_buffer);
  ae_model_free(from_file);
  ae_model_free(a);
  remove_tree(dir);
}

static void test_round_trip(void **state) {
  (void)state;
  round_trip(0);
}

static void test_round_trip_with_optimizer_state(void **state) {
  (void)state;
  round_trip(AE_SAVE_OPTIMIZER_STATE);
}

static void test_save_buffer_sizes(void **state) {
  (void)state;
  ae_model *a = trained_model(SPEC_A, AE_OPTIMIZER_ADAM, 1, 3);
  size_t need = 0;
  assert_ok(ae_save_buffer(a, 0, NULL, 0, &need));
  /* Header 24 + SPEC + SEED 20 + OPTS + HIST 28 + LOSS (one epoch) + PARM +
   * CRC 4. */
  const size_t loss_one_epoch = 12 + 8 + 16;
  size_t expected = 24 + 12 + strlen(ae_model_spec(a)) + 20 + 12 + 4 + N_ALL_OPTIONS * 12 + 28 +
                    loss_one_epoch + 12 + 8 + 4 * (size_t)ae_param_count(a) + 4;
  assert_int_equal(need, expected);

  unsigned char *buf = malloc(need + 16);
  assert_non_null(buf);
  size_t size = 0;
  assert_status(ae_save_buffer(a, 0, buf, need - 1, &size), AE_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(size, need);
  size = 0;
  assert_status(ae_save_buffer(a, 0, buf, 0, &size), AE_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(size, need);
  assert_non_null(strstr(ae_last_error(), "bytes"));

  size = 0;
  assert_ok(ae_save_buffer(a, 0, buf, need, &size));
  assert_int_equal(size, need);
  unsigned char *again = malloc(need + 16);
  assert_non_null(again);
  memset(again, 0xa5, need + 16);
  size = 0;
  assert_ok(ae_save_buffer(a, 0, again, need + 16, &size)); /* room to spare */
  assert_int_equal(size, need);
  assert_memory_equal(buf, again, need);
  for (size_t i = need; i < need + 16; i++) assert_int_equal(again[i], 0xa5);

  /* Optimizer state adds one OPTM chunk: 12 + kind 4 + steps 8 + count 8 +
   * Adam's two moments per parameter. */
  size_t with_state = 0;
  assert_ok(ae_save_buffer(a, AE_SAVE_OPTIMIZER_STATE, NULL, 0, &with_state));
  assert_int_equal(with_state, need + 12 + 20 + 8 * (size_t)ae_param_count(a));

  /* An untrained model has no optimizer state: the flag changes nothing. It
   * has no LOSS chunk either. */
  ae_model *fresh = NULL;
  assert_ok(ae_model_create(&fresh, SPEC_A, 3));
  size_t plain = 0, flagged = 0;
  assert_ok(ae_save_buffer(fresh, 0, NULL, 0, &plain));
  assert_ok(ae_save_buffer(fresh, AE_SAVE_OPTIMIZER_STATE, NULL, 0, &flagged));
  assert_int_equal(plain, flagged);
  assert_int_equal(plain, need - loss_one_epoch);

  /* LOSS grows by 16 bytes an epoch, over every ae_train call. */
  assert_ok(ae_set_option(a, AE_OPT_EPOCHS, 2));
  assert_ok(ae_train(a, g_x, ROWS, COLS, NULL, 0));
  size_t three_epochs = 0;
  assert_ok(ae_save_buffer(a, 0, NULL, 0, &three_epochs));
  assert_int_equal(three_epochs, need + 2 * 16);

  /* SCAL: 12 + cols 8 + 12 means and 12 scales, trained or not; removing
   * the standardisation removes the chunk. */
  const size_t scal = 12 + 8 + 2 * 4 * COLS;
  size_t scaled = 0;
  set_scaling(fresh);
  assert_ok(ae_save_buffer(fresh, 0, NULL, 0, &scaled));
  assert_int_equal(scaled, plain + scal);
  set_scaling(a);
  assert_ok(ae_save_buffer(a, 0, NULL, 0, &scaled));
  assert_int_equal(scaled, three_epochs + scal);
  assert_ok(ae_set_input_scaling(a, NULL, NULL, 0));
  assert_ok(ae_save_buffer(a, 0, NULL, 0, &scaled));
  assert_int_equal(scaled, three_epochs);

  ae_model_free(fresh);
  free(again);
  free(buf);
  ae_model_free(a);
}

/* ------------------------------------------------------------------------ */
/* Optimizer state                                                           */
/* ------------------------------------------------------------------------ */

static void resume_exactly(ae_optimizer_kind kind) {
  ae_model *a = trained_model(SPEC_A, kind, 2, 11);
  assert_ok(ae_set_option(a, AE_OPT_EPOCHS, 1));

  char dir[512], path[600];
  make_scratch_dir(dir, sizeof dir);
  join(path, sizeof path, dir, "state.aem");
  assert_ok(ae_save(a, path, AE_SAVE_OPTIMIZER_STATE));
  ae_model *b = load_file_expect(path, AE_OK);

  size_t size_state, size_plain;
  unsigned char *with_state = save_bytes(a, AE_SAVE_OPTIMIZER_STATE, &size_state);
  unsigned char *plain = save_bytes(a, 0, &size_plain);
  assert_true(size_plain < size_state);
  int64_t state_floats = (kind == AE_OPTIMIZER_ADAM ? 2 : 1) * ae_param_count(a);
  assert_int_equal(size_state - size_plain, 12 + 20 + 4 * (size_t)state_floats);
  ae_model *c = load_expect(plain, size_plain, AE_OK, "without optimizer state");
  assert_same_model(a, c);

  /* One more epoch each. */
  assert_ok(ae_train(a, g_x, ROWS, COLS, NULL, 0));
  assert_ok(ae_train(b, g_x, ROWS, COLS, NULL, 0));
  assert_ok(ae_train(c, g_x, ROWS, COLS, NULL, 0));
  assert_int_equal(ae_epochs_trained(b), 3);

  /* With the state, B continued exactly as A did. */
  assert_same_bytes(a, b, AE_SAVE_OPTIMIZER_STATE);
  assert_same_model(a, b);

  /* Without it, C restarted the optimizer: its weights differ (this is what
   * makes the check above meaningful). */
  size_t na, nc;
  unsigned char *ba = save_bytes(a, 0, &na);
  unsigned char *bc = save_bytes(c, 0, &nc);
  assert_int_equal(na, nc);
  assert_true(memcmp(ba, bc, na) != 0);

  free(ba);
  free(bc);
  free(with_state);
  free(plain);
  ae_model_free(c);
  ae_model_free(b);
  ae_model_free(a);
  remove_tree(dir);
}

static void test_resume_adam(void **state) {
  (void)state;
  resume_exactly(AE_OPTIMIZER_ADAM);
}

static void test_resume_sgd(void **state) {
  (void)state;
  resume_exactly(AE_OPTIMIZER_SGD);
}

/* ------------------------------------------------------------------------ */
/* Damaged and foreign files                                                 */
/* ------------------------------------------------------------------------ */

static void truncate_at_every_length(ae_model *a) {
  size_t size;
  unsigned char *buf = save_bytes(a, AE_SAVE_OPTIMIZER_STATE, &size);
  for (size_t len = 0; len < size; len++) {
    unsigned char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, buf, len);
    ae_model *m = (ae_model *)(uintptr_t)1;
    ae_status st = ae_load_buffer(&m, copy, len);
    free(copy);
    if (st != AE_ERR_FORMAT && st != AE_ERR_CHECKSUM) {
      fail_msg("truncated to %zu of %zu bytes: %s (%s)", len, size, ae_status_string(st),
               ae_last_error());
    }
    assert_null(m);
  }
  /* A few of them through real files too. */
  char dir[512], path[600];
  make_scratch_dir(dir, sizeof dir);
  join(path, sizeof path, dir, "cut.aem");
  const size_t cuts[] = {0, 1, 7, 8, 23, 24, 36, size / 2, size - 4, size - 1};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    write_file(path, buf, cuts[i]);
    ae_model *m = (ae_model *)(uintptr_t)1;
    ae_status st = ae_load(&m, path);
    assert_true(st == AE_ERR_FORMAT || st == AE_ERR_CHECKSUM);
    assert_null(m);
  }
  ae_model_free(load_expect(buf, size, AE_OK, "the whole file")); /* the control */
  remove_tree(dir);
  free(buf);
  ae_model_free(a);
}

static void test_truncated_at_every_length(void **state) {
  (void)state;
  truncate_at_every_length(trained_model(SPEC_A, AE_OPTIMIZER_ADAM, 1, 5));
  truncate_at_every_length(full_model()); /* with LOSS and SCAL */
}

/* The status a flip of the byte at `offset` with `mask` must give. */
static ae_status expected_for_flip(size_t offset, unsigned char mask) {
  if (offset < 8) return AE_ERR_FORMAT;                /* magic */
  if (offset < 12) {                                   /* version */
    uint32_t version = 1u ^ ((uint32_t)mask << (8 * (offset - 8)));
    return version == 0 ? AE_ERR_FORMAT : AE_ERR_VERSION;
  }
  if (offset < 16) return AE_ERR_FORMAT;               /* byte-order mark */
  if (offset < HEADER_BYTES) return AE_ERR_FORMAT;     /* payload length */
  return AE_ERR_CHECKSUM;                              /* chunks and the CRC */
}

static void flip_every_byte(ae_model *a) {
  size_t size;
  unsigned char *buf = save_bytes(a, AE_SAVE_OPTIMIZER_STATE, &size);
  unsigned char *copy = malloc(size);
  assert_non_null(copy);
  const unsigned char masks[] = {0xff, 0x01};
  for (int k = 0; k < 2; k++) {
    for (size_t off = 0; off < size; off++) {
      memcpy(copy, buf, size);
      copy[off] ^= masks[k];
      ae_model *m = (ae_model *)(uintptr_t)1;
      ae_status st = ae_load_buffer(&m, copy, size);
      ae_status want = expected_for_flip(off, masks[k]);
      if (st != want) {
        fail_msg("byte %zu of %zu xor 0x%02x: %s (%s), expected %s", off, size, masks[k],
                 ae_status_string(st), ae_last_error(), ae_status_string(want));
      }
      assert_null(m);
    }
  }
  free(copy);
  free(buf);
  ae_model_free(a);
}

static void test_every_byte_flipped(void **state) {
  (void)state;
  flip_every_byte(trained_model(SPEC_A, AE_OPTIMIZER_SGD, 1, 5));
  flip_every_byte(trained_model_with(SPEC_A, AE_OPTIMIZER_SGD, 2, 5, 1)); /* LOSS, SCAL */
}

static void test_foreign_files(void **state) {
  (void)state;
  static const unsigned char png[] = {0x89, 'P',  'N',  'G',  '\r', '\n', 0x1a, '\n',
                                      0,    0,    0,    13,   'I',  'H',  'D',  'R',
                                      0,    0,    0,    1,    0,    0,    0,    1,
                                      8,    6,    0,    0,    0,    0x1f, 0x15, 0xc4,
                                      0x89};
  static const char text[] =
      "input 12; dense 8 tanh; code 3 linear; mirror sigmoid\n"
      "this is a text file, not a model, though it is long enough to have a header\n";
  load_expect(png, sizeof png, AE_ERR_FORMAT, "PNG");
  load_expect(text, sizeof text - 1, AE_ERR_FORMAT, "text");
  load_expect(text, 0, AE_ERR_FORMAT, "empty");

  char dir[512], path[600];
  make_scratch_dir(dir, sizeof dir);
  join(path, sizeof path, dir, "image.png");
  write_file(path, png, sizeof png);
  load_file_expect(path, AE_ERR_FORMAT);
  join(path, sizeof path, dir, "notes.txt");
  write_file(path, text, sizeof text - 1);
  load_file_expect(path, AE_ERR_FORMAT);
  join(path, sizeof path, dir, "empty.aem");
  write_file(path, "", 0);
  load_file_expect(path, AE_ERR_FORMAT);
  remove_tree(dir);
}

static void test_header_fields(void **state) {
  (void)state;
  ae_model *a = trained_model(SPEC_A, AE_OPTIMIZER_ADAM, 1, 5);
  size_t size;
  unsigned char *buf = save_bytes(a, 0, &size);
  unsigned char *copy = malloc(size + 8);
  assert_non_null(copy);

  /* The helpers themselves: split then build gives the very same bytes. */
  tfile f;
  tf_split(&f, buf, size);
  assert_int_equal(f.n, 6); /* SPEC SEED OPTS HIST LOSS PARM */
  size_t rebuilt_size;
  unsigned char *rebuilt = tf_build(&f, 1, 0x01020304u, &rebuilt_size);
  assert_int_equal(rebuilt_size, size);
  assert_memory_equal(rebuilt, buf, size);
  free(rebuilt);

  /* A future format version, with a valid CRC. */
  memcpy(copy, buf, size);
  put_le32(copy + 8, 2);
  fix_crc(copy, size);
  load_expect(copy, size, AE_ERR_VERSION, "version 2");
  assert_non_null(strstr(ae_last_error(), "version"));
  put_le32(copy + 8, 0xffffffffu);
  fix_crc(copy, size);
  load_expect(copy, size, AE_ERR_VERSION, "version 2^32-1");
  /* Version 0 never existed. */
  put_le32(copy + 8, 0);
  fix_crc(copy, size);
  load_expect(copy, size, AE_ERR_FORMAT, "version 0");

  /* A byte-order mark written by a big-endian writer, or garbage. */
  memcpy(copy, buf, size);
  put_le32(copy + 12, 0x04030201u);
  fix_crc(copy, size);
  load_expect(copy, size, AE_ERR_FORMAT, "big-endian mark");
  put_le32(copy + 12, 0);
  fix_crc(copy, size);
  load_expect(copy, size, AE_ERR_FORMAT, "zero mark");

  /* Trailing bytes after the CRC, with or without a CRC over them. */
  memcpy(copy, buf, size);
  copy[size] = 0;
  load_expect(copy, size + 1, AE_ERR_FORMAT, "one trailing byte");
  memset(copy + size, 0, 8);
  load_expect(copy, size + 8, AE_ERR_FORMAT, "eight trailing bytes");
  fix_crc(copy, size + 8);
  load_expect(copy, size + 8, AE_ERR_FORMAT, "trailing bytes with a CRC");

  /* A payload length that disagrees with the file size. */
  memcpy(copy, buf, size);
  put_le64(copy + 16, get_le64(buf + 16) + 1);
  fix_crc(copy, size);
  load_expect(copy, size, AE_ERR_FORMAT, "payload length + 1");
  put_le64(copy + 16, UINT64_MAX);
  fix_crc(copy, size);
  load_expect(copy, size, AE_ERR_FORMAT, "payload length 2^64-1");

  /* A wrong CRC over intact data. */
  memcpy(copy, buf, size);
  copy[size - 1] ^= 0x80;
  load_expect(copy, size, AE_ERR_CHECKSUM, "wrong CRC");

  free(copy);
  free(buf);
  ae_model_free(a);
}

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void test_huge_spec_rejected_quickly(void **state) {
  (void)state;
  ae_model *a = trained_model(SPEC_A, AE_OPTIMIZER_ADAM, 1, 5);
  size_t size;
  unsigned char *buf = save_bytes(a, 0, &size);
  tfile f;
  tf_split(&f, buf, size);

  /* About 5.6e14 parameters (2.25 petabytes) claimed by a 70-byte spec. */
  static const char huge[] = "input 16777216; code 16777216 linear; dense 16777216 linear";
  tf_replace(&f, tf_find(&f, "SPEC"), huge, sizeof huge - 1);
  double t0 = seconds_now();
  tf_load_expect(&f, AE_ERR_FORMAT, "huge widths");
  double elapsed = seconds_now() - t0;
  assert_non_null(strstr(ae_last_error(), "parameters"));
  assert_true(elapsed < 1.0);

  /* A smaller spec that the PARM chunk does not match either way. */
  static const char fewer[] = "input 12; code 2 linear; dense 12 sigmoid";
  static const char more[] = "input 12; code 9 linear; dense 12 sigmoid";
  static const char invalid[] = "input 12; conv 3";
  tf_replace(&f, tf_find(&f, "SPEC"), fewer, sizeof fewer - 1);
  tf_load_expect(&f, AE_ERR_FORMAT, "fewer parameters");
  tf_replace(&f, tf_find(&f, "SPEC"), more, sizeof more - 1);
  tf_load_expect(&f, AE_ERR_FORMAT, "more parameters");
  /* And a spec that does not parse. */
  tf_replace(&f, tf_find(&f, "SPEC"), invalid, sizeof invalid - 1);
  tf_load_expect(&f, AE_ERR_FORMAT, "invalid spec");
  /* A valid spec followed by a NUL and more bytes: a reader that stopped at
   * the NUL would accept it. */
  char with_nul[256];
  size_t spec_len = strlen(ae_model_spec(a));
  assert_true(spec_len + 8 < sizeof with_nul);
  memcpy(with_nul, ae_model_spec(a), spec_len);
  memcpy(with_nul + spec_len, "\0; junk", 8);
  tf_replace(&f, tf_find(&f, "SPEC"), with_nul, spec_len + 8);
  tf_load_expect(&f, AE_ERR_FORMAT, "NUL in spec");
  tf_replace(&f, tf_find(&f, "SPEC"), with_nul, spec_len);
  ae_model_free(tf_load_expect(&f, AE_OK, "the spec without the NUL")); /* control */

  free(buf);
  ae_model_free(a);
}

static void test_unknown_critical_chunk(void **state) {
  (void)state;
  ae_model *a = full_model();
  size_t size;
  unsigned char *buf = save_bytes(a, AE_SAVE_OPTIMIZER_STATE, &size);
  static const unsigned char data[] = "critical data a reader must understand";
  tfile f;
  tf_split(&f, buf, size);
  assert_int_equal(f.n, 8);
  /* At every position, including before SPEC, around LOSS and SCAL, and
   * after OPTM. */
  for (int at = 0; at <= 8; at++) {
    tfile g = f;
    tf_insert(&g, at, "ZZZZ", data, sizeof data);
    tf_load_expect(&g, AE_ERR_FORMAT, "critical chunk");
    g = f;
    tf_insert(&g, at, "Note", data, 0);
    tf_load_expect(&g, AE_ERR_FORMAT, "empty critical chunk");
  }
  free(buf);
  ae_model_free(a);
}

static void test_ancillary_chunks_are_skipped(void **state) {
  (void)state;
  ae_model *a = trained_model(SPEC_A, AE_OPTIMIZER_ADAM, 1, 5);
  static const unsigned char note[] = "written by a future libae; safe to ignore";
  const uint32_t all_flags[] = {0, AE_SAVE_OPTIMIZER_STATE};
  for (int k = 0; k < 2; k++) {
    size_t size;
    unsigned char *buf = save_bytes(a, all_flags[k], &size);
    tfile f;
    tf_split(&f, buf, size);
    tfile g = f;
    tf_insert(&g, tf_find(&g, "PARM"), "note", note, sizeof note);
    ae_model *m = tf_load_expect(&g, AE_OK, "ancillary chunk before PARM");
    assert_same_model(a, m);
    assert_same_bytes(a, m, all_flags[k]); /* dropped on the next save */
    ae_model_free(m);
    /* Every other position, several at once, and an empty one. */
    for (int at = 0; at <= f.n; at++) {
      g = f;
      tf_insert(&g, at, "note", note, sizeof note);
      tf_insert(&g, at, "xtra", note, 0);
      m = tf_load_expect(&g, AE_OK, "ancillary chunks");
      assert_same_bytes(a, m, all_flags[k]);
      ae_model_free(m);
    }
    free(buf);
  }
  ae_model_free(a);
}

/* g with chunks i and j swapped. */
static void tf_swap(tfile *g, int i, int j) {
  tchunk t = g->c[i];
  g->c[i] = g->c[j];
  g->c[j] = t;
}

static void test_inconsistent_chunks(void **state) {
  (void)state;
  ae_model *a = full_model();
  size_t size;
  unsigned char *buf = save_bytes(a, AE_SAVE_OPTIMIZER_STATE, &size);
  tfile f, g;
  tf_split(&f, buf, size);
  assert_int_equal(f.n, 8);
  int spec = tf_find(&f, "SPEC"), seed = tf_find(&f, "SEED"), opts = tf_find(&f, "OPTS");
  int hist = tf_find(&f, "HIST"), loss = tf_find(&f, "LOSS"), scal = tf_find(&f, "SCAL");
  int parm = tf_find(&f, "PARM"), optm = tf_find(&f, "OPTM");
  assert_int_equal(spec, 0);
  assert_int_equal(seed, 1);
  assert_int_equal(opts, 2);
  assert_int_equal(hist, 3);
  assert_int_equal(loss, 4);
  assert_int_equal(scal, 5);
  assert_int_equal(parm, 6);
  assert_int_equal(optm, 7);
  ae_model_free(tf_load_expect(&f, AE_OK, "the whole file")); /* the control */

  /* Each required chunk missing (LOSS is required of a trained model). */
  const int required[] = {spec, seed, opts, hist, loss, parm};
  for (int i = 0; i < 6; i++) {
    g = f;
    tf_remove(&g, required[i]);
    tf_load_expect(&g, AE_ERR_FORMAT, "missing chunk");
  }
  /* Without OPTM is fine (that is a file saved without the flag), and so is
   * a file without SCAL: a model that does not standardise. */
  g = f;
  tf_remove(&g, optm);
  ae_model_free(tf_load_expect(&g, AE_OK, "no OPTM"));
  g = f;
  tf_remove(&g, scal);
  ae_model *m = tf_load_expect(&g, AE_OK, "no SCAL");
  float mean[COLS], scale[COLS];
  assert_ok(ae_get_input_scaling(m, mean, scale, COLS));
  for (int j = 0; j < COLS; j++) assert_true(mean[j] == 0.0f && scale[j] == 1.0f);
  ae_model_free(m);
  g = f;
  tf_remove(&g, optm);
  tf_remove(&g, scal);
  ae_model_free(tf_load_expect(&g, AE_OK, "neither SCAL nor OPTM"));
  /* Chunks out of order. */
  const int swaps[][2] = {{spec, seed}, {opts, hist}, {hist, loss}, {loss, scal},
                          {scal, parm}, {parm, optm}, {loss, parm}};
  for (size_t i = 0; i < sizeof swaps / sizeof swaps[0]; i++) {
    g = f;
    tf_swap(&g, swaps[i][0], swaps[i][1]);
    tf_load_expect(&g, AE_ERR_FORMAT, "two chunks swapped");
  }
  /* SCAL moved to the end, after OPTM. */
  g = f;
  tf_remove(&g, scal);
  tf_insert(&g, g.n, "SCAL", f.c[scal].data, f.c[scal].len);
  tf_load_expect(&g, AE_ERR_FORMAT, "SCAL last");
  /* A chunk repeated, right after itself. */
  const int repeated[] = {hist, loss, scal, optm};
  for (int i = 0; i < 4; i++) {
    int c = repeated[i];
    g = f;
    tf_insert(&g, c + 1, f.c[c].tag, f.c[c].data, f.c[c].len);
    tf_load_expect(&g, AE_ERR_FORMAT, "a chunk twice");
  }
  g = f;
  tf_insert(&g, parm, "HIST", f.c[hist].data, f.c[hist].len);
  tf_load_expect(&g, AE_ERR_FORMAT, "HIST again before PARM");

  /* Every fixed-size chunk one byte short and one byte long. */
  static unsigned char longer[1 << 16];
  const int fixed[] = {seed, opts, hist, loss, scal, parm, optm};
  for (int i = 0; i < 7; i++) {
    int c = fixed[i];
    assert_true(f.c[c].len + 1 <= sizeof longer);
    g = f;
    tf_replace(&g, c, f.c[c].data, f.c[c].len - 1);
    tf_load_expect(&g, AE_ERR_FORMAT, "chunk one byte short");
    memcpy(longer, f.c[c].data, (size_t)f.c[c].len);
    longer[f.c[c].len] = 0;
    g = f;
    tf_replace(&g, c, longer, f.c[c].len + 1);
    tf_load_expect(&g, AE_ERR_FORMAT, "chunk one byte long");
  }

  /* OPTS: an unknown option, a value out of range, a count beyond the data. */
  unsigned char opts_copy[4 + N_ALL_OPTIONS * 12];
  assert_int_equal(f.c[opts].len, sizeof opts_copy);
  memcpy(opts_copy, f.c[opts].data, sizeof opts_copy);
  assert_int_equal(get_le32(opts_copy), N_ALL_OPTIONS);
  g = f;
  tf_replace(&g, opts, opts_copy, sizeof opts_copy);
  put_le32(opts_copy + 4, 999);
  tf_load_expect(&g, AE_ERR_FORMAT, "unknown option");
  memcpy(opts_copy, f.c[opts].data, sizeof opts_copy);
  double bad_rate = -1.0;
  uint64_t bits;
  memcpy(&bits, &bad_rate, 8);
  for (int i = 0; i < N_ALL_OPTIONS; i++) {
    if (get_le32(opts_copy + 4 + 12 * i) == AE_OPT_LEARNING_RATE) {
      put_le64(opts_copy + 8 + 12 * i, bits);
    }
  }
  tf_load_expect(&g, AE_ERR_FORMAT, "learning rate out of range");
  memcpy(opts_copy, f.c[opts].data, sizeof opts_copy);
  put_le32(opts_copy, 0xffffffffu);
  tf_load_expect(&g, AE_ERR_FORMAT, "option count 2^32-1");

  /* HIST beyond int64. */
  unsigned char hist_copy[16];
  memcpy(hist_copy, f.c[hist].data, 16);
  put_le64(hist_copy, UINT64_MAX);
  g = f;
  tf_replace(&g, hist, hist_copy, 16);
  tf_load_expect(&g, AE_ERR_FORMAT, "epochs 2^64-1");
  /* calls: at most 2^62, so that training on cannot overflow the count */
  memcpy(hist_copy, f.c[hist].data, 16);
  put_le64(hist_copy + 8, (uint64_t)INT64_MAX);
  tf_load_expect(&g, AE_ERR_FORMAT, "calls 2^63-1");
  put_le64(hist_copy + 8, (uint64_t)1 << 62);
  ae_model_free(tf_load_expect(&g, AE_OK, "calls 2^62"));

  /* OPTM: unknown optimizer, a count that does not fit the model. */
  unsigned char *optm_copy = malloc((size_t)f.c[optm].len);
  assert_non_null(optm_copy);
  memcpy(optm_copy, f.c[optm].data, (size_t)f.c[optm].len);
  g = f;
  tf_replace(&g, optm, optm_copy, f.c[optm].len);
  put_le32(optm_copy, 7);
  tf_load_expect(&g, AE_ERR_FORMAT, "optimizer kind 7");
  put_le32(optm_copy, AE_OPTIMIZER_SGD); /* SGD keeps half of Adam's state */
  tf_load_expect(&g, AE_ERR_FORMAT, "SGD with Adam's state size");
  memcpy(optm_copy, f.c[optm].data, (size_t)f.c[optm].len);
  put_le64(optm_copy + 12, UINT64_MAX / 2);
  tf_load_expect(&g, AE_ERR_FORMAT, "huge state count");
  memcpy(optm_copy, f.c[optm].data, (size_t)f.c[optm].len);
  put_le64(optm_copy + 4, UINT64_MAX);
  tf_load_expect(&g, AE_ERR_FORMAT, "steps 2^64-1");
  put_le64(optm_copy + 4, (uint64_t)INT64_MAX);
  tf_load_expect(&g, AE_ERR_FORMAT, "steps 2^63-1");
  put_le64(optm_copy + 4, (uint64_t)1 << 62);
  ae_model_free(tf_load_expect(&g, AE_OK, "steps 2^62"));
  free(optm_copy);

  /* PARM with a count that disagrees with the spec. */
  unsigned char *parm_copy = malloc((size_t)f.c[parm].len);
  assert_non_null(parm_copy);
  memcpy(parm_copy, f.c[parm].data, (size_t)f.c[parm].len);
  put_le64(parm_copy, get_le64(parm_copy) - 1);
  g = f;
  tf_replace(&g, parm, parm_copy, f.c[parm].len - 4);
  tf_load_expect(&g, AE_ERR_FORMAT, "one parameter fewer");
  free(parm_copy);

  /* An ancillary chunk last whose length runs past the payload. */
  g = f;
  tf_insert(&g, g.n, "note", f.c[hist].data, f.c[hist].len);
  size_t note_size;
  unsigned char *with_note = tf_build(&g, 1, 0x01020304u, &note_size);
  ae_model_free(load_expect(with_note, note_size, AE_OK, "ancillary chunk last"));
  put_le64(with_note + note_size - 4 - f.c[hist].len - 8, f.c[hist].len + 1);
  fix_crc(with_note, note_size);
  load_expect(with_note, note_size, AE_ERR_FORMAT, "ancillary chunk past the end");
  free(with_note);

  /* A chunk length running past the payload, behind a valid CRC. */
  size_t crafted_size;
  unsigned char *crafted = tf_build(&f, 1, 0x01020304u, &crafted_size);
  put_le64(crafted + HEADER_BYTES + 4, UINT64_MAX - 3);
  fix_crc(crafted, crafted_size);
  load_expect(crafted, crafted_size, AE_ERR_FORMAT, "chunk length 2^64-4");
  free(crafted);

  free(buf);
  ae_model_free(a);
}

/* ------------------------------------------------------------------------ */
/* LOSS and SCAL                                                             */
/* ------------------------------------------------------------------------ */

/* A HIST chunk of `epochs` epochs and f's call count, into out[16]. */
static void hist_with_epochs(const tfile *f, uint64_t epochs, unsigned char *out) {
  int hist = tf_find(f, "HIST");
  assert_int_equal(f->c[hist].len, 16);
  memcpy(out, f->c[hist].data, 16);
  put_le64(out, epochs);
}

/* Loads g, which must fail with AE_ERR_FORMAT and a message naming `chunk`. */
static void expect_format_naming(const tfile *g, const char *chunk, const char *what) {
  tf_load_expect(g, AE_ERR_FORMAT, what);
  if (!strstr(ae_last_error(), chunk)) {
    fail_msg("%s: message \"%s\" does not name %s", what, ae_last_error(), chunk);
  }
}

static void test_loss_chunk(void **state) {
  (void)state;
  ae_model *a = trained_model(SPEC_A, AE_OPTIMIZER_ADAM, 3, 5);
  size_t size;
  unsigned char *buf = save_bytes(a, 0, &size);
  tfile f, g;
  tf_split(&f, buf, size);
  int hist = tf_find(&f, "HIST"), loss = tf_find(&f, "LOSS");
  assert_int_equal(loss, hist + 1);
  assert_int_equal(f.c[loss].len, 8 + 3 * 16);
  assert_int_equal(get_le64(f.c[loss].data), 3);
  /* The pairs are the history, training loss then validation loss (NaN). */
  for (int e = 1; e <= 3; e++) {
    double t, v, stored_t, stored_v;
    assert_ok(ae_loss_history(a, e, &t, &v));
    uint64_t bt = get_le64(f.c[loss].data + 8 + 16 * (e - 1));
    uint64_t bv = get_le64(f.c[loss].data + 16 + 16 * (e - 1));
    memcpy(&stored_t, &bt, 8);
    memcpy(&stored_v, &bv, 8);
    assert_memory_equal(&t, &stored_t, 8);
    assert_true(isnan(v) && isnan(stored_v));
  }

  static unsigned char body[8 + 16 * 8];
  unsigned char hist_copy[16];

  /* Missing on a trained model. */
  g = f;
  tf_remove(&g, loss);
  expect_format_naming(&g, "LOSS", "no LOSS after 3 epochs");

  /* A count that disagrees with HIST, the data sized for the count or not. */
  const uint64_t counts[] = {0, 1, 2, 4, 5};
  for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    uint64_t count = counts[i];
    memset(body, 0, sizeof body);
    memcpy(body, f.c[loss].data, (size_t)f.c[loss].len);
    put_le64(body, count);
    g = f;
    tf_replace(&g, loss, body, 8 + 16 * count);
    expect_format_naming(&g, "LOSS", "LOSS count != epochs, sized for the count");
    g = f;
    tf_replace(&g, loss, body, f.c[loss].len);
    expect_format_naming(&g, "LOSS", "LOSS count != epochs, sized for the epochs");
  }
  /* The right count with data one byte, half a pair, a pair short or long. */
  const int64_t deltas[] = {-16, -8, -1, 1, 8, 16};
  memset(body, 0, sizeof body);
  memcpy(body, f.c[loss].data, (size_t)f.c[loss].len);
  for (size_t i = 0; i < sizeof deltas / sizeof deltas[0]; i++) {
    g = f;
    tf_replace(&g, loss, body, (uint64_t)((int64_t)f.c[loss].len + deltas[i]));
    expect_format_naming(&g, "LOSS", "LOSS truncated or extended");
  }
  /* Too short to hold its count. */
  const uint64_t stubs[] = {0, 4, 7, 8};
  for (size_t i = 0; i < sizeof stubs / sizeof stubs[0]; i++) {
    g = f;
    tf_replace(&g, loss, body, stubs[i]);
    tf_load_expect(&g, AE_ERR_FORMAT, "LOSS stub");
  }

  /* HIST that disagrees with LOSS. */
  const uint64_t epochs[] = {1, 2, 4, 1000};
  for (size_t i = 0; i < sizeof epochs / sizeof epochs[0]; i++) {
    hist_with_epochs(&f, epochs[i], hist_copy);
    g = f;
    tf_replace(&g, hist, hist_copy, 16);
    expect_format_naming(&g, "LOSS", "HIST epochs != LOSS count");
  }
  /* An untrained model must not have LOSS... */
  hist_with_epochs(&f, 0, hist_copy);
  g = f;
  tf_replace(&g, hist, hist_copy, 16);
  tf_load_expect(&g, AE_ERR_FORMAT, "LOSS with 0 epochs");
  /* ...and without it, it loads with no history. */
  tf_remove(&g, loss);
  ae_model *m = tf_load_expect(&g, AE_OK, "0 epochs, no LOSS");
  assert_int_equal(ae_epochs_trained(m), 0);
  assert_status(ae_loss_history(m, 1, NULL, NULL), AE_ERR_INVALID_ARGUMENT);
  ae_model_free(m);

  /* Huge counts, matched by HIST, whose pairs the data cannot hold: refused
   * as damaged (never an allocation of 2^64 bytes, never a wrapped size). */
  const uint64_t huge[] = {(UINT64_C(1) << 60) + 1, UINT64_C(1) << 60, UINT64_C(1) << 62,
                           ((UINT64_C(1) << 62) | 1), (uint64_t)INT64_MAX, 1000000};
  for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
    hist_with_epochs(&f, huge[i], hist_copy);
    memcpy(body, f.c[loss].data, (size_t)f.c[loss].len);
    put_le64(body, huge[i]);
    for (int k = 0; k < 2; k++) {
      g = f;
      tf_replace(&g, hist, hist_copy, 16);
      tf_replace(&g, loss, body, k == 0 ? f.c[loss].len : 8 + 16);
      expect_format_naming(&g, "LOSS", "huge LOSS count");
    }
  }
  /* A count beyond int64 is refused in HIST already. */
  hist_with_epochs(&f, UINT64_MAX, hist_copy);
  put_le64(body, UINT64_MAX);
  g = f;
  tf_replace(&g, hist, hist_copy, 16);
  tf_replace(&g, loss, body, f.c[loss].len);
  tf_load_expect(&g, AE_ERR_FORMAT, "LOSS count 2^64-1");

  /* A consistent history of another length loads, pair by pair, in order,
   * whatever the values (they are taken as stored). */
  const double values[8][2] = {{1.5, NAN}, {0.25, 0.5}, {-0.0, INFINITY}, {1e300, 3.0},
                               {2.0, NAN}, {0.125, 0.0625}, {7.0, 8.0}, {9.0, NAN}};
  put_le64(body, 8);
  for (int e = 0; e < 8; e++) {
    for (int k = 0; k < 2; k++) {
      uint64_t bits;
      memcpy(&bits, &values[e][k], 8);
      put_le64(body + 8 + 16 * e + 8 * k, bits);
    }
  }
  hist_with_epochs(&f, 8, hist_copy);
  g = f;
  tf_replace(&g, hist, hist_copy, 16);
  tf_replace(&g, loss, body, 8 + 16 * 8);
  m = tf_load_expect(&g, AE_OK, "8 epochs");
  assert_int_equal(ae_epochs_trained(m), 8);
  for (int e = 1; e <= 8; e++) {
    double t = -1, v = -1;
    assert_ok(ae_loss_history(m, e, &t, &v));
    assert_memory_equal(&t, &values[e - 1][0], 8);
    assert_memory_equal(&v, &values[e - 1][1], 8);
  }
  assert_status(ae_loss_history(m, 9, NULL, NULL), AE_ERR_INVALID_ARGUMENT);
  /* and it saves the same chunk again */
  size_t again_size;
  unsigned char *again = save_bytes(m, 0, &again_size);
  tfile h;
  tf_split(&h, again, again_size);
  int l = tf_find(&h, "LOSS");
  assert_int_equal(h.c[l].len, 8 + 16 * 8);
  assert_memory_equal(h.c[l].data, body, 8 + 16 * 8);
  free(again);
  ae_model_free(m);

  free(buf);
  ae_model_free(a);
}

/* A copy of f's SCAL data with float `index` (0: the first mean, COLS: the
 * first scale) set to the bit pattern `bits`. */
static void scal_with_float(const tfile *f, int index, uint32_t bits, unsigned char *out) {
  int scal = tf_find(f, "SCAL");
  assert_int_equal(f->c[scal].len, 8 + 8 * COLS);
  memcpy(out, f->c[scal].data, 8 + 8 * COLS);
  put_le32(out + 8 + 4 * index, bits);
}

static uint32_t float_bits(float v) {
  uint32_t b;
  memcpy(&b, &v, 4);
  return b;
}

static void test_scal_chunk(void **state) {
  (void)state;
  ae_model *a = full_model();
  size_t size;
  unsigned char *buf = save_bytes(a, 0, &size);
  tfile f, g;
  tf_split(&f, buf, size);
  int scal = tf_find(&f, "SCAL");
  assert_int_equal(scal, tf_find(&f, "LOSS") + 1);
  assert_int_equal(tf_find(&f, "PARM"), scal + 1);
  /* u64 cols, the means, the scales */
  float mean[COLS], scale[COLS];
  scaling_values(mean, scale);
  assert_int_equal(f.c[scal].len, 8 + 8 * COLS);
  assert_int_equal(get_le64(f.c[scal].data), COLS);
  for (int j = 0; j < COLS; j++) {
    assert_int_equal(get_le32(f.c[scal].data + 8 + 4 * j), float_bits(mean[j]));
    assert_int_equal(get_le32(f.c[scal].data + 8 + 4 * (COLS + j)), float_bits(scale[j]));
  }

  static unsigned char body[8 + 8 * (COLS + 4)];
  memset(body, 0, sizeof body);
  memcpy(body, f.c[scal].data, (size_t)f.c[scal].len);

  /* A width other than the model's input width, the data sized for it. */
  const uint64_t widths[] = {0, 1, COLS - 1, COLS + 1, COLS + 4};
  for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
    put_le64(body, widths[i]);
    g = f;
    tf_replace(&g, scal, body, 8 + 8 * widths[i]);
    expect_format_naming(&g, "SCAL", "SCAL of another width");
    g = f;
    tf_replace(&g, scal, body, f.c[scal].len);
    tf_load_expect(&g, AE_ERR_FORMAT, "SCAL of another width, sized for 12");
  }
  const uint64_t huge[] = {UINT64_C(1) << 61, (UINT64_C(1) << 61) + COLS, UINT64_MAX};
  for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
    put_le64(body, huge[i]);
    g = f;
    tf_replace(&g, scal, body, f.c[scal].len);
    expect_format_naming(&g, "SCAL", "huge SCAL width");
  }
  put_le64(body, COLS);
  /* Truncated or extended: a byte, a float, a mean and scale pair. */
  const int64_t deltas[] = {-8, -4, -1, 1, 4, 8};
  for (size_t i = 0; i < sizeof deltas / sizeof deltas[0]; i++) {
    g = f;
    tf_replace(&g, scal, body, (uint64_t)((int64_t)f.c[scal].len + deltas[i]));
    expect_format_naming(&g, "SCAL", "SCAL truncated or extended");
  }
  const uint64_t stubs[] = {0, 4, 7, 8, 8 + 4 * COLS};
  for (size_t i = 0; i < sizeof stubs / sizeof stubs[0]; i++) {
    g = f;
    tf_replace(&g, scal, body, stubs[i]);
    tf_load_expect(&g, AE_ERR_FORMAT, "SCAL stub");
  }

  /* A non-finite mean, at the first, a middle and the last column. */
  unsigned char changed[8 + 8 * COLS];
  const uint32_t nonfinite[] = {0x7fc00000u /* NaN */, 0xffc00000u /* -NaN */,
                                0x7f800001u /* signalling NaN */, 0x7f800000u /* +Inf */,
                                0xff800000u /* -Inf */};
  const int columns[] = {0, COLS / 2, COLS - 1};
  for (size_t i = 0; i < sizeof nonfinite / sizeof nonfinite[0]; i++) {
    for (size_t c = 0; c < 3; c++) {
      scal_with_float(&f, columns[c], nonfinite[i], changed);
      g = f;
      tf_replace(&g, scal, changed, sizeof changed);
      expect_format_naming(&g, "SCAL", "non-finite mean");
      /* ... or scale */
      scal_with_float(&f, COLS + columns[c], nonfinite[i], changed);
      g = f;
      tf_replace(&g, scal, changed, sizeof changed);
      expect_format_naming(&g, "SCAL", "non-finite scale");
    }
  }
  /* A scale that is not > 0. */
  const float not_positive[] = {0.0f, -0.0f, -1.0f, -FLT_MIN, -FLT_TRUE_MIN, -FLT_MAX};
  for (size_t i = 0; i < sizeof not_positive / sizeof not_positive[0]; i++) {
    for (size_t c = 0; c < 3; c++) {
      scal_with_float(&f, COLS + columns[c], float_bits(not_positive[i]), changed);
      g = f;
      tf_replace(&g, scal, changed, sizeof changed);
      expect_format_naming(&g, "SCAL", "scale <= 0");
    }
  }
  /* The extremes that are valid load, and come back as stored: the reader
   * accepts what ae_set_input_scaling accepts. */
  scal_with_float(&f, 0, float_bits(-FLT_MAX), changed);
  put_le32(changed + 8 + 4 * (COLS - 1), float_bits(FLT_MAX));
  put_le32(changed + 8 + 4 * COLS, float_bits(FLT_TRUE_MIN));
  put_le32(changed + 8 + 4 * (2 * COLS - 1), float_bits(FLT_MAX));
  g = f;
  tf_replace(&g, scal, changed, sizeof changed);
  ae_model *m = tf_load_expect(&g, AE_OK, "extreme but valid scaling");
  float got_mean[COLS], got_scale[COLS];
  assert_ok(ae_get_input_scaling(m, got_mean, got_scale, COLS));
  assert_memory_equal(got_mean, changed + 8, 4 * COLS);
  assert_memory_equal(got_scale, changed + 8 + 4 * COLS, 4 * COLS);
  ae_model *set_by_api = NULL;
  assert_ok(ae_model_create(&set_by_api, SPEC_A, 5));
  assert_ok(ae_set_input_scaling(set_by_api, got_mean, got_scale, COLS));
  ae_model_free(set_by_api);
  ae_model_free(m);

  free(buf);
  ae_model_free(a);
}

/* Standardisation and loss history survive saving and loading bit for bit,
 * and training goes on from the loaded model exactly as from the original. */
static void test_round_trip_scaling_history(void **state) {
  (void)state;
  ae_model *a = NULL;
  assert_ok(ae_model_create(&a, SPEC_A, 21));
  float mean[COLS], scale[COLS];
  for (int j = 0; j < COLS; j++) {
    mean[j] = -0.3f + 0.1f * (float)j;
    scale[j] = 0.01f * (float)(j + 1) + 0.001f;
  }
  assert_ok(ae_set_input_scaling(a, mean, scale, COLS));
  assert_ok(ae_set_option(a, AE_OPT_BATCH_SIZE, 16));
  assert_ok(ae_set_option(a, AE_OPT_LEARNING_RATE, 0.01));
  /* 2 epochs with a validation split, then 3 without: both kinds of pair. */
  assert_ok(ae_set_option(a, AE_OPT_VALIDATION_SPLIT, 0.25));
  assert_ok(ae_set_option(a, AE_OPT_EPOCHS, 2));
  assert_ok(ae_train(a, g_x, ROWS, COLS, NULL, 0));
  assert_ok(ae_set_option(a, AE_OPT_VALIDATION_SPLIT, 0));
  assert_ok(ae_set_option(a, AE_OPT_EPOCHS, 3));
  assert_ok(ae_train(a, g_x, ROWS, COLS, NULL, 0));
  assert_int_equal(ae_epochs_trained(a), 5);

  const uint32_t all_flags[] = {0, AE_SAVE_OPTIMIZER_STATE};
  char dir[512], path[600];
  make_scratch_dir(dir, sizeof dir);
  join(path, sizeof path, dir, "scaled.aem");
  for (int k = 0; k < 2; k++) {
    assert_ok(ae_save(a, path, all_flags[k]));
    ae_model *from_file = load_file_expect(path, AE_OK);
    size_t size;
    unsigned char *buf = save_bytes(a, all_flags[k], &size);
    ae_model *from_buffer = load_expect(buf, size, AE_OK, "scaled round trip");
    const ae_model *loaded[2] = {from_file, from_buffer};
    for (int i = 0; i < 2; i++) {
      const ae_model *b = loaded[i];
      assert_int_equal(ae_epochs_trained(b), 5);
      for (int64_t e = 1; e <= 5; e++) {
        double ta, va, tb, vb;
        assert_ok(ae_loss_history(a, e, &ta, &va));
        assert_ok(ae_loss_history(b, e, &tb, &vb));
        assert_memory_equal(&ta, &tb, 8);
        assert_memory_equal(&va, &vb, 8);
        assert_true(isfinite(tb));
        assert_true(e <= 2 ? isfinite(vb) : isnan(vb));
      }
      float got_mean[COLS], got_scale[COLS];
      assert_ok(ae_get_input_scaling(b, got_mean, got_scale, COLS));
      assert_memory_equal(got_mean, mean, sizeof mean);
      assert_memory_equal(got_scale, scale, sizeof scale);
      assert_same_model(a, b);
      assert_same_bytes(a, b, all_flags[k]);
      assert_same_bytes(a, b, 0);
    }

    /* Training on: with the optimizer state the loaded model follows the
     * original exactly, its history growing past what it was loaded with. */
    if (all_flags[k] == AE_SAVE_OPTIMIZER_STATE) {
      ae_model *c = NULL;
      assert_ok(ae_load_buffer(&c, buf, size));
      ae_model *d = NULL;
      assert_ok(ae_load_buffer(&d, buf, size));
      assert_ok(ae_set_option(d, AE_OPT_VALIDATION_SPLIT, 0.25));
      assert_ok(ae_set_option(d, AE_OPT_EPOCHS, 2));
      assert_ok(ae_train(d, g_x, ROWS, COLS, NULL, 0));
      assert_ok(ae_set_option(c, AE_OPT_VALIDATION_SPLIT, 0.25));
      assert_ok(ae_set_option(c, AE_OPT_EPOCHS, 2));
      assert_ok(ae_train(c, g_x, ROWS, COLS, NULL, 0));
      assert_int_equal(ae_epochs_trained(c), 7);
      assert_same_model(c, d);
      assert_same_bytes(c, d, AE_SAVE_OPTIMIZER_STATE);
      /* the first five epochs are still those of `a` */
      for (int64_t e = 1; e <= 5; e++) {
        double ta, va, tc, vc;
        assert_ok(ae_loss_history(a, e, &ta, &va));
        assert_ok(ae_loss_history(c, e, &tc, &vc));
        assert_memory_equal(&ta, &tc, 8);
        assert_memory_equal(&va, &vc, 8);
      }
      double t6, v6;
      assert_ok(ae_loss_history(c, 6, &t6, &v6));
      assert_true(isfinite(t6) && isfinite(v6));
      ae_model_free(d);
      ae_model_free(c);
    }
    free(buf);
    ae_model_free(from_buffer);
    ae_model_free(from_file);
  }

  /* An untrained model with a standardisation: SCAL without LOSS. */
  ae_model *fresh = NULL;
  assert_ok(ae_model_create(&fresh, SPEC_A, 21));
  assert_ok(ae_set_input_scaling(fresh, mean, scale, COLS));
  size_t size;
  unsigned char *buf = save_bytes(fresh, AE_SAVE_OPTIMIZER_STATE, &size);
  tfile f;
  tf_split(&f, buf, size);
  assert_int_equal(f.n, 6); /* SPEC SEED OPTS HIST SCAL PARM */
  assert_int_equal(tf_find(&f, "SCAL"), 4);
  ae_model *m = load_expect(buf, size, AE_OK, "untrained, scaled");
  assert_same_model(fresh, m);
  assert_same_bytes(fresh, m, 0);
  ae_model_free(m);
  free(buf);
  ae_model_free(fresh);

  remove_tree(dir);
  ae_model_free(a);
}

/* ------------------------------------------------------------------------ */
/* Arguments and I/O errors                                                  */
/* ------------------------------------------------------------------------ */

static void test_load_io_errors(void **state) {
  (void)state;
  char dir[512], path[600];
  make_scratch_dir(dir, sizeof dir);
  join(path, sizeof path, dir, "no-such-model.aem");
  load_file_expect(path, AE_ERR_IO);
  assert_non_null(strstr(ae_last_error(), path));
  load_file_expect(dir, AE_ERR_IO);
  assert_non_null(strstr(ae_last_error(), dir));
  join(path, sizeof path, dir, "missing-dir/model.aem");
  load_file_expect(path, AE_ERR_IO);
  assert_non_null(strstr(ae_last_error(), path));
  remove_tree(dir);
}

static void test_null_arguments_and_flags(void **state) {
  (void)state;
  ae_model *a = trained_model(SPEC_A, AE_OPTIMIZER_ADAM, 1, 5);
  char dir[512], path[600];
  make_scratch_dir(dir, sizeof dir);
  join(path, sizeof path, dir, "a.aem");
  assert_ok(ae_save(a, path, 0));
  size_t size;
  unsigned char *buf = save_bytes(a, 0, &size);

  ae_model *m = (ae_model *)(uintptr_t)1;
  assert_status(ae_load(NULL, path), AE_ERR_NULL_ARGUMENT);
  assert_status(ae_load(&m, NULL), AE_ERR_NULL_ARGUMENT);
  assert_null(m);
  assert_status(ae_load_buffer(NULL, buf, size), AE_ERR_NULL_ARGUMENT);
  m = (ae_model *)(uintptr_t)1;
  assert_status(ae_load_buffer(&m, NULL, size), AE_ERR_NULL_ARGUMENT);
  assert_null(m);
  assert_status(ae_save(NULL, path, 0), AE_ERR_NULL_ARGUMENT);
  assert_status(ae_save(a, NULL, 0), AE_ERR_NULL_ARGUMENT);
  size_t need = 0;
  assert_status(ae_save_buffer(NULL, 0, NULL, 0, &need), AE_ERR_NULL_ARGUMENT);
  assert_status(ae_save_buffer(a, 0, buf, size, NULL), AE_ERR_NULL_ARGUMENT);
  assert_status(ae_save_buffer(a, 0, NULL, 0, NULL), AE_ERR_NULL_ARGUMENT);

  /* Unknown flags, alone or beside the known one; nothing is written. */
  const uint32_t unknown[] = {2u, 0x80000000u, AE_SAVE_OPTIMIZER_STATE | 4u, 0xffffffffu};
  char other[600];
  join(other, sizeof other, dir, "never-written.aem");
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    assert_status(ae_save(a, other, unknown[i]), AE_ERR_INVALID_ARGUMENT);
    assert_int_equal(access(other, F_OK), -1);
    assert_status(ae_save_buffer(a, unknown[i], NULL, 0, &need), AE_ERR_INVALID_ARGUMENT);
    assert_status(ae_save_buffer(a, unknown[i], buf, size, &need), AE_ERR_INVALID_ARGUMENT);
  }
  assert_int_equal(count_temp_files(dir), 0);
  /* The arguments were the problem, not the model or the file. */
  ae_model_free(load_file_expect(path, AE_OK));
  ae_model_free(load_expect(buf, size, AE_OK, "control"));

  free(buf);
  ae_model_free(a);
  remove_tree(dir);
}

/* ------------------------------------------------------------------------ */
/* Atomic saving                                                             */
/* ------------------------------------------------------------------------ */

static void test_save_replaces_existing(void **state) {
  (void)state;
  ae_model *a = trained_model(SPEC_A, AE_OPTIMIZER_ADAM, 1, 5);
  ae_model *b = trained_model(SPEC_B, AE_OPTIMIZER_SGD, 2, 6);
  char dir[512], path[600];
  make_scratch_dir(dir, sizeof dir);
  join(path, sizeof path, dir, "model.aem");

  assert_ok(ae_save(a, path, 0));
  ae_model *m = load_file_expect(path, AE_OK);
  assert_same_model(a, m);
  ae_model_free(m);

  assert_ok(ae_save(b, path, AE_SAVE_OPTIMIZER_STATE));
  m = load_file_expect(path, AE_OK);
  assert_string_equal(ae_model_spec(m), ae_model_spec(b));
  assert_same_model(b, m);
  assert_same_bytes(b, m, AE_SAVE_OPTIMIZER_STATE);
  ae_model_free(m);
  assert_int_equal(count_temp_files(dir), 0);

  /* And back to A, which is smaller: nothing of B's longer file remains. */
  assert_ok(ae_save(a, path, 0));
  size_t file_size, size;
  unsigned char *file_bytes = read_whole_file(path, &file_size);
  unsigned char *buf = save_bytes(a, 0, &size);
  assert_int_equal(file_size, size);
  assert_memory_equal(file_bytes, buf, size);
  assert_int_equal(count_temp_files(dir), 0);

  /* The new file gets ordinary permissions, not mkstemp's 0600. */
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  mode_t mask = umask(0);
  umask(mask);
  assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
  /* A file replaced keeps its own. */
  assert_int_equal(chmod(path, 0604), 0); /* no umask gives that */
  assert_ok(ae_save(b, path, 0));
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0604);
  ae_model_free(load_file_expect(path, AE_OK));

  free(file_bytes);
  free(buf);
  ae_model_free(a);
  ae_model_free(b);
  remove_tree(dir);
}

static void test_failed_saves_leave_nothing(void **state) {
  (void)state;
  ae_model *a = trained_model(SPEC_A, AE_OPTIMIZER_ADAM, 1, 5);
  ae_model *b = trained_model(SPEC_B, AE_OPTIMIZER_ADAM, 1, 6);
  char dir[512], path[600], target[600];
  make_scratch_dir(dir, sizeof dir);

  /* Into a directory that does not exist. */
  join(path, sizeof path, dir, "missing/model.aem");
  assert_status(ae_save(a, path, 0), AE_ERR_IO);
  assert_non_null(strstr(ae_last_error(), path));
  assert_int_equal(count_temp_files(dir), 0);

  /* Onto a path that is a directory: the rename fails; the directory stays. */
  join(target, sizeof target, dir, "occupied");
  assert_int_equal(mkdir(target, 0777), 0);
  assert_status(ae_save(a, target, 0), AE_ERR_IO);
  assert_non_null(strstr(ae_last_error(), target));
  struct stat st;
  assert_int_equal(stat(target, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  assert_int_equal(count_temp_files(dir), 0);

  /* A write that fails half-way (the file size limit, which binds root too):
   * the old model at the path survives intact, no temporary is left. */
  join(path, sizeof path, dir, "model.aem");
  assert_ok(ae_save(a, path, 0));
  size_t old_size;
  unsigned char *old_bytes = read_whole_file(path, &old_size);
  struct rlimit saved;
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
  if (saved.rlim_cur == RLIM_INFINITY || saved.rlim_cur > 200) {
    void (*previous)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = saved;
    small.rlim_cur = 100;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    ae_status st_save = ae_save(b, path, AE_SAVE_OPTIMIZER_STATE);
    char message[1024];
    snprintf(message, sizeof message, "%s", ae_last_error());
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, previous);
    if (st_save != AE_ERR_IO) {
      fprintf(stderr, "ae_save gave %s: %s\n", ae_status_string(st_save), message);
    }
    assert_int_equal(st_save, AE_ERR_IO);
    assert_non_null(strstr(message, path));
    size_t now_size;
    unsigned char *now_bytes = read_whole_file(path, &now_size);
    assert_int_equal(now_size, old_size);
    assert_memory_equal(now_bytes, old_bytes, old_size);
    free(now_bytes);
    assert_int_equal(count_temp_files(dir), 0);
    ae_model *m = load_file_expect(path, AE_OK);
    assert_same_model(a, m);
    ae_model_free(m);
  }

  /* Failed argument checks leave the old file as well. */
  assert_status(ae_save(b, path, 0x10), AE_ERR_INVALID_ARGUMENT);
  size_t after_size;
  unsigned char *after = read_whole_file(path, &after_size);
  assert_int_equal(after_size, old_size);
  assert_memory_equal(after, old_bytes, old_size);
  free(after);

  /* Then a successful save of B over A: it loads as B, nothing left over. */
  assert_ok(ae_save(b, path, 0));
  ae_model *m = load_file_expect(path, AE_OK);
  assert_same_model(b, m);
  ae_model_free(m);
  assert_int_equal(count_temp_files(dir), 0);

  free(old_bytes);
  ae_model_free(a);
  ae_model_free(b);
  remove_tree(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_round_trip_with_optimizer_state),
      cmocka_unit_test(test_save_buffer_sizes),
      cmocka_unit_test(test_resume_adam),
      cmocka_unit_test(test_resume_sgd),
      cmocka_unit_test(test_truncated_at_every_length),
      cmocka_unit_test(test_every_byte_flipped),
      cmocka_unit_test(test_foreign_files),
      cmocka_unit_test(test_header_fields),
      cmocka_unit_test(test_huge_spec_rejected_quickly),
      cmocka_unit_test(test_unknown_critical_chunk),
      cmocka_unit_test(test_ancillary_chunks_are_skipped),
      cmocka_unit_test(test_inconsistent_chunks),
      cmocka_unit_test(test_loss_chunk),
      cmocka_unit_test(test_scal_chunk),
      cmocka_unit_test(test_round_trip_scaling_history),
      cmocka_unit_test(test_load_io_errors),
      cmocka_unit_test(test_null_arguments_and_flags),
      cmocka_unit_test(test_save_replaces_existing),
      cmocka_unit_test(test_failed_saves_leave_nothing),
  };
  return cmocka_run_group_tests(tests, group_setup, NULL);
}
