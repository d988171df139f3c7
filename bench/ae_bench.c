/* ae_bench.c -- the libae side of the benchmarks (bench/run.sh runs it next to
 * bench/torch_bench.py, which does the same work in PyTorch).
 *
 *   ae_bench WORKLOAD [--seed S] [--epochs E] [--train-rows N] [--test-rows N]
 *                     [--batch B] [--widths A,B,C] [--data DIR] [--tag TEXT]
 *
 * --batch and --widths (the encoder widths of the W1 model: input 784; dense
 * A relu; dense B relu; code C linear; mirror sigmoid) vary a workload for
 * the scaling study.
 *
 * Prints one JSON object per line on stdout (progress goes to stderr); the
 * fields are those of torch_bench.py, so bench/report.py can put both side by
 * side. Uses the public API (ae.h) only, plus zlib for the IDX files.
 *
 * A workload is one row of WORKLOADS below: a spec, a loss, a batch size, a
 * default epoch count and what to measure. Adding one is a row here and the
 * same row in torch_bench.py. */
#define _POSIX_C_SOURCE 200809L
#include <ae.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "bench_time.h"

#define W1_SPEC "input 784; dense 512 relu; dense 128 relu; code 32 linear; mirror sigmoid"
#define VAE_SPEC "input 784; dense 400 relu; gaussian 20; mirror sigmoid"
/* The seed convolutional autoencoder of issue 5, denoising: Gaussian noise of
 * standard deviation 0.5 clipped to [0, 1] (Keras' denoising example). */
#define W3_SPEC                                                                            \
  "input 1x28x28; noise gaussian 0.5 clip; conv 64 3 relu; maxpool 2; conv 32 3 relu; "     \
  "maxpool 2; conv 16 3 relu; maxpool 2; code; conv 16 3 relu; upsample 2; conv 32 3 relu; " \
  "upsample 2; conv 64 3 relu pad=valid; upsample 2; conv 1 3 sigmoid"

typedef enum measure {
  TRAIN_EVAL, /* train E epochs, time each epoch, score the test set */
  INFER       /* train 1 epoch (untimed), then time encode and load */
} measure;

typedef struct workload {
  const char *name;
  const char *spec;
  int batch;
  int epochs; /* default */
  measure what;
  int variational; /* report the test negative ELBO */
} workload;

/* Every model here: BCE loss (per-element mean; the gaussian model's default
 * reduction is the per-image sum), Adam, learning rate 1e-3. */
static const workload WORKLOADS[] = {
    {"vae", VAE_SPEC, 128, 10, TRAIN_EVAL, 1},
    {"w1", W1_SPEC, 256, 10, TRAIN_EVAL, 0},
    {"w2", W1_SPEC, 32, 1, TRAIN_EVAL, 0},
    {"w3", W3_SPEC, 128, 1, TRAIN_EVAL, 0},
    {"w5", W1_SPEC, 256, 1, INFER, 0},
};

typedef struct options {
  const char *data_dir, *tag;
  uint64_t seed;
  int epochs;        /* 0: the workload's default */
  int64_t train_rows; /* 0: all */
  int64_t test_rows;  /* 0: all */
} options;

/* ---- small helpers ---- */

static int check(ae_status st, const char *what) {
  if (st == AE_OK) return 0;
  fprintf(stderr, "ae_bench: %s failed: %s\n  %s\n", what, ae_status_string(st),
          ae_last_error());
  return 1;
}

/* A line of /proc/self/status, e.g. "VmHWM", in kB; -1 if absent. */
static long proc_status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long value = -1;
  size_t k = strlen(key);
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, key, k) && line[k] == ':') {
      value = strtol(line + k + 1, NULL, 10);
      break;
    }
  }
  fclose(f);
  return value;
}

static long max_rss_kb(void) {
  struct rusage u;
  return getrusage(RUSAGE_SELF, &u) == 0 ? u.ru_maxrss : -1;
}

static void loadavg(char *buf, size_t size) {
  buf[0] = '\0';
  FILE *f = fopen("/proc/loadavg", "r");
  if (!f) return;
  if (fgets(buf, (int)size, f)) buf[strcspn(buf, "\n")] = '\0';
  fclose(f);
}

/* The median of v[0..n) (sorts v). */
static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Reads an IDX image file into floats in [0, 1], (*rows, 784). */
static float *read_images(const char *dir, const char *name, int64_t *rows) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  gzFile f = gzopen(path, "rb");
  if (!f) {
    fprintf(stderr, "ae_bench: cannot open %s: %s\n", path, strerror(errno));
    return NULL;
  }
  unsigned char h[16];
  float *x = NULL;
  unsigned char *bytes = NULL;
  if (gzread(f, h, 16) != 16) goto bad;
  uint32_t dim[4];
  for (int i = 0; i < 4; i++) {
    dim[i] = (uint32_t)h[4 * i] << 24 | (uint32_t)h[4 * i + 1] << 16 |
             (uint32_t)h[4 * i + 2] << 8 | h[4 * i + 3];
  }
  if (dim[0] != 0x803 || dim[2] != 28 || dim[3] != 28 || dim[1] == 0 || dim[1] > 1000000) {
    goto bad;
  }
  size_t count = (size_t)dim[1] * 784;
  bytes = malloc(count);
  x = malloc(count * sizeof *x);
  if (!bytes || !x || gzread(f, bytes, (unsigned)count) != (int)count) goto bad;
  for (size_t i = 0; i < count; i++) x[i] = (float)bytes[i] / 255.0f;
  free(bytes);
  gzclose(f);
  *rows = dim[1];
  return x;
bad:
  fprintf(stderr, "ae_bench: %s is not a readable 28x28 IDX image file\n", path);
  free(bytes);
  free(x);
  gzclose(f);
  return NULL;
}

/* ---- the JSON line ---- */

static void json_begin(const workload *w, const options *o, int epochs, int64_t train_rows) {
  char load[128];
  loadavg(load, sizeof load);
  const char *threads = getenv("OPENBLAS_NUM_THREADS");
  printf("{\"impl\": \"libae\", \"version\": \"%s\", \"workload\": \"%s\", \"tag\": \"%s\", "
         "\"spec\": \"%s\", \"seed\": %llu, \"threads\": %s, \"batch\": %d, \"epochs\": %d, "
         "\"train_rows\": %lld, \"loadavg_start\": \"%s\"",
         ae_version_string(), w->name, o->tag, w->spec, (unsigned long long)o->seed,
         threads && *threads ? threads : "null", w->batch, epochs, (long long)train_rows,
         load);
}

static void json_end(void) {
  char load[128];
  loadavg(load, sizeof load);
  printf(", \"loadavg_end\": \"%s\", \"rss_peak_kb\": %ld, \"vm_hwm_kb\": %ld}\n", load,
         max_rss_kb(), proc_status_kb("VmHWM"));
  fflush(stdout);
}

/* ---- training ---- */

typedef struct epoch_clock {
  double last;
  double *seconds; /* (epochs) */
  int count, capacity;
} epoch_clock;

static int on_progress(void *user, int64_t epoch, int64_t step, int64_t steps, double loss) {
  epoch_clock *c = user;
  double t = now();
  if (step == steps && c->count < c->capacity) {
    c->seconds[c->count++] = t - c->last;
    fprintf(stderr, "  epoch %lld: loss %.4f, %.2f s\n", (long long)epoch, loss, t - c->last);
  }
  c->last = t;
  return 0;
}

static ae_status configure(ae_model *m, const workload *w, int epochs) {
  ae_status st = ae_set_option(m, AE_OPT_LOSS, AE_LOSS_BCE);
  if (st == AE_OK) st = ae_set_option(m, AE_OPT_EPOCHS, epochs);
  if (st == AE_OK) st = ae_set_option(m, AE_OPT_BATCH_SIZE, w->batch);
  if (st == AE_OK) st = ae_set_option(m, AE_OPT_OPTIMIZER, AE_OPTIMIZER_ADAM);
  if (st == AE_OK) st = ae_set_option(m, AE_OPT_LEARNING_RATE, 1e-3);
  return st;
}

/* Test-set quality: for a VAE, the mean one-sample negative ELBO per image
 * (nats) and the reconstruction error of the mean code; otherwise the
 * reconstruction error, MSE and BCE per pixel. */
static int evaluate(const ae_model *m, int variational, const float *test, int64_t n_test,
                    uint64_t seed) {
  float *recon = malloc((size_t)n_test * 784 * sizeof *recon);
  float *per_row = malloc((size_t)n_test * sizeof *per_row);
  int failed = !recon || !per_row;
  if (!failed) failed = check(ae_reconstruct(m, test, n_test, 784, recon, 784), "ae_reconstruct");
  if (!failed) {
    double se = 0;
    for (int64_t i = 0; i < n_test * 784; i++) {
      double d = (double)recon[i] - test[i];
      se += d * d;
    }
    printf(", \"test_mse_per_pixel\": %.6f", se / (double)(n_test * 784));
  }
  if (!failed) failed = check(ae_score(m, test, n_test, 784, per_row), "ae_score");
  if (!failed) {
    /* ae_score is in the model's reduction: per pixel (mean), or per image (sum). */
    double sum = 0;
    for (int64_t i = 0; i < n_test; i++) sum += per_row[i];
    double per_image = variational ? sum / (double)n_test : sum / (double)n_test * 784.0;
    printf(", \"test_bce_per_pixel\": %.6f, \"test_bce_per_image\": %.4f", per_image / 784.0,
           per_image);
  }
  if (!failed && variational) {
    failed = check(ae_negative_elbo(m, test, n_test, 784, seed + 1000, per_row),
                   "ae_negative_elbo");
    if (!failed) {
      double sum = 0;
      for (int64_t i = 0; i < n_test; i++) sum += per_row[i];
      printf(", \"test_neg_elbo\": %.4f", sum / (double)n_test);
    }
  }
  free(recon);
  free(per_row);
  return failed;
}

/* A few steps of a throwaway model of the same spec, as torch_bench.py
 * warms PyTorch up: OpenBLAS's threads and buffers and the allocator's
 * pages then exist before the clock starts, so a one-epoch measurement is
 * not mostly start-up. */
static int warm_up(const workload *w, const float *train, int64_t n_train) {
  ae_model *m = NULL;
  int64_t rows = 3 * (int64_t)w->batch < n_train ? 3 * (int64_t)w->batch : n_train;
  if (check(ae_model_create(&m, w->spec, 0), "ae_model_create")) return 1;
  int failed = check(configure(m, w, 1), "ae_set_option") ||
               check(ae_train(m, train, rows, 784, NULL, 0), "ae_train");
  ae_model_free(m);
  return failed;
}

static int train_eval(const workload *w, const options *o, const float *train, int64_t n_train,
                      const float *test, int64_t n_test) {
  int epochs = o->epochs > 0 ? o->epochs : w->epochs;
  if (warm_up(w, train, n_train)) return 1;
  ae_model *m = NULL;
  if (check(ae_model_create(&m, w->spec, o->seed), "ae_model_create")) return 1;
  double seconds[1024];
  epoch_clock clock = {0, seconds, 0, epochs < 1024 ? epochs : 1024};
  int failed = check(configure(m, w, epochs), "ae_set_option") ||
               check(ae_set_progress(m, on_progress, &clock), "ae_set_progress");
  long rss_before = proc_status_kb("VmRSS");
  double t0 = now();
  clock.last = t0;
  if (!failed) failed = check(ae_train(m, train, n_train, 784, NULL, 0), "ae_train");
  double train_s = now() - t0;
  if (failed) {
    ae_model_free(m);
    return 1;
  }
  json_begin(w, o, epochs, n_train);
  printf(", \"params\": %lld, \"train_seconds\": %.4f, \"epoch_seconds\": [",
         (long long)ae_param_count(m), train_s);
  for (int i = 0; i < clock.count; i++) printf("%s%.4f", i ? ", " : "", seconds[i]);
  double med = median(seconds, clock.count);
  double loss = NAN;
  ae_loss_history(m, ae_epochs_trained(m), &loss, NULL);
  printf("], \"samples_per_s\": %.1f, \"samples_per_s_total\": %.1f, \"final_train_loss\": %.6f, "
         "\"rss_before_train_kb\": %ld",
         (double)n_train / med, (double)n_train * epochs / train_s, loss, rss_before);
  double e0 = now();
  failed = evaluate(m, w->variational, test, n_test, o->seed);
  printf(", \"eval_seconds\": %.3f", now() - e0);
  json_end();
  ae_model_free(m);
  return failed;
}

/* ---- inference ---- */

static int infer(const workload *w, const options *o, const float *train, int64_t n_train,
                 const float *test, int64_t n_test) {
  ae_model *m = NULL;
  if (check(ae_model_create(&m, w->spec, o->seed), "ae_model_create")) return 1;
  int failed = check(configure(m, w, 1), "ae_set_option") ||
               check(ae_train(m, train, n_train, 784, NULL, 0), "ae_train");
  int64_t code = ae_code_size(m);
  float *codes = malloc((size_t)n_test * (size_t)code * sizeof *codes);
  enum { CALLS = 5000, REPS = 7, LOADS = 50 };
  static double lat[CALLS];
  double reps[REPS], loads[LOADS];
  failed = failed || !codes;
  /* Single-sample latency: one row per call, cycling through the test set. */
  for (int i = 0; !failed && i < 200; i++) {
    failed = check(ae_encode(m, test + (size_t)(i % n_test) * 784, 1, 784, codes, code),
                   "ae_encode");
  }
  for (int i = 0; !failed && i < CALLS; i++) {
    double t = now();
    failed = check(ae_encode(m, test + (size_t)(i % n_test) * 784, 1, 784, codes, code),
                   "ae_encode");
    lat[i] = now() - t;
  }
  /* Throughput: the whole test set in one call. */
  for (int i = 0; !failed && i < REPS; i++) {
    double t = now();
    failed = check(ae_encode(m, test, n_test, 784, codes, code), "ae_encode");
    reps[i] = now() - t;
  }
  /* Model load time: from a file in the page cache. */
  char path[64];
  snprintf(path, sizeof path, "/tmp/ae_bench_%ld.ae", (long)getpid());
  if (!failed) failed = check(ae_save(m, path, 0), "ae_save");
  for (int i = 0; !failed && i < LOADS; i++) {
    ae_model *l = NULL;
    double t = now();
    failed = check(ae_load(&l, path), "ae_load");
    loads[i] = now() - t;
    ae_model_free(l);
  }
  FILE *f = fopen(path, "rb");
  long file_bytes = -1;
  if (f) {
    fseek(f, 0, SEEK_END);
    file_bytes = ftell(f);
    fclose(f);
  }
  remove(path);
  if (!failed) {
    double lat_sorted[CALLS];
    memcpy(lat_sorted, lat, sizeof lat);
    qsort(lat_sorted, CALLS, sizeof *lat_sorted, cmp_double);
    json_begin(w, o, 1, n_train);
    double tput = median(reps, REPS);
    printf(", \"encode_latency_us_median\": %.2f, \"encode_latency_us_p90\": %.2f, "
           "\"encode_calls\": %d, \"encode_10k_seconds\": %.5f, \"encode_samples_per_s\": %.1f, "
           "\"load_ms_median\": %.4f, \"model_file_bytes\": %ld",
           1e6 * lat_sorted[CALLS / 2], 1e6 * lat_sorted[CALLS * 9 / 10], CALLS, tput,
           (double)n_test / tput, 1e3 * median(loads, LOADS), file_bytes);
    json_end();
  }
  free(codes);
  ae_model_free(m);
  return failed;
}

int main(int argc, char **argv) {
  options o = {"/usr/share/datasets/fashion-mnist", "", 1, 0, 0, 0};
  const workload *w = NULL;
  for (size_t i = 0; argc > 1 && i < sizeof WORKLOADS / sizeof *WORKLOADS; i++) {
    if (!strcmp(argv[1], WORKLOADS[i].name)) w = &WORKLOADS[i];
  }
  int bad = w == NULL;
  workload varied = w ? *w : WORKLOADS[0];
  char spec[256];
  for (int i = 2; !bad && i < argc; i += 2) {
    if (i + 1 >= argc) bad = 1;
    else if (!strcmp(argv[i], "--seed")) o.seed = strtoull(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--epochs")) o.epochs = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--train-rows")) o.train_rows = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--test-rows")) o.test_rows = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--batch")) varied.batch = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--widths")) {
      int a, b, c, end = 0;
      bad = strcmp(varied.spec, W1_SPEC) != 0 ||
            sscanf(argv[i + 1], "%d,%d,%d%n", &a, &b, &c, &end) != 3 || argv[i + 1][end];
      if (!bad) {
        snprintf(spec, sizeof spec,
                 "input 784; dense %d relu; dense %d relu; code %d linear; mirror sigmoid", a, b,
                 c);
        varied.spec = spec;
      }
    }
    else if (!strcmp(argv[i], "--data")) o.data_dir = argv[i + 1];
    else if (!strcmp(argv[i], "--tag")) o.tag = argv[i + 1];
    else bad = 1;
  }
  if (bad || varied.batch < 1) {
    fprintf(stderr, "usage: %s {vae|w1|w2|w3|w5} [--seed S] [--epochs E] [--train-rows N] "
                    "[--test-rows N] [--batch B] [--widths A,B,C (w1, w2, w5)] [--data DIR] [--tag TEXT]\n", argv[0]);
    return 2;
  }
  int64_t n_train = 0, n_test = 0;
  float *train = read_images(o.data_dir, "train-images-idx3-ubyte.gz", &n_train);
  float *test = train ? read_images(o.data_dir, "t10k-images-idx3-ubyte.gz", &n_test) : NULL;
  if (!test) {
    free(train);
    return 1;
  }
  if (o.train_rows > 0 && o.train_rows < n_train) n_train = o.train_rows;
  if (o.test_rows > 0 && o.test_rows < n_test) n_test = o.test_rows;
  int failed = w->what == INFER ? infer(&varied, &o, train, n_train, test, n_test)
                                : train_eval(&varied, &o, train, n_train, test, n_test);
  free(train);
  free(test);
  return failed;
}
