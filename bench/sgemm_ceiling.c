/* sgemm_ceiling.c -- the BLAS ceiling of one training step of a dense
 * autoencoder: times exactly the cblas_sgemm calls libae's dense layers make
 * (src/layers/dense.c), with the same shapes, transposes and betas, and
 * nothing else. Its samples/s is what training could reach if everything but
 * the matrix products were free.
 *
 *   sgemm_ceiling [--batch B] [--widths 784,512,128,32,128,512,784]
 *                 [--steps N] [--reps R] [--tag TEXT] [--workload NAME]
 *                 [--forward 1]
 *
 * --forward 1 times the forward products alone: the ceiling of inference
 * (W5's encoder, widths 784,512,128,32, at libae's 256-row inference chunks).
 *
 * Per dense layer (in -> out) and step, row-major:
 *   forward   z (B, out) = x (B, in) W^T   + z   (bias pre-filled: beta 1)
 *   backward  dW (out, in) = dz^T x        + dW  (beta 1)
 *             dx (B, in) = dz (B, out) W         (beta 0; not for the first layer)
 * The BLAS thread count is OpenBLAS's (OPENBLAS_NUM_THREADS). Prints one JSON
 * line. Links OpenBLAS directly (openblas_get_config names the build): this
 * is not a libae program. */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_time.h"

enum { MAX_LAYERS = 32 };

typedef struct layer {
  int in, out;
  float *w, *dw, *z, *dz, *dx;
} layer;

static float *filled(size_t n, float v) {
  float *p = malloc(n * sizeof *p);
  if (!p) {
    fprintf(stderr, "sgemm_ceiling: out of memory\n");
    exit(1);
  }
  for (size_t i = 0; i < n; i++) p[i] = v * (float)((i * 2654435761u) % 1000) / 1000.0f;
  return p;
}

int main(int argc, char **argv) {
  int batch = 256, steps = 100, reps = 7, forward_only = 0;
  const char *widths = "784,512,128,32,128,512,784", *tag = "", *workload = "sgemm";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--widths")) widths = argv[i + 1];
    else if (!strcmp(argv[i], "--steps")) steps = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--tag")) tag = argv[i + 1];
    else if (!strcmp(argv[i], "--workload")) workload = argv[i + 1];
    else if (!strcmp(argv[i], "--forward")) forward_only = atoi(argv[i + 1]);
    else {
      fprintf(stderr,
              "usage: %s [--batch B] [--widths a,b,c] [--steps N] [--reps R] [--forward 1]\n",
              argv[0]);
      return 2;
    }
  }
  int w[MAX_LAYERS + 1], nw = 0;
  for (const char *p = widths; *p && nw <= MAX_LAYERS; nw++) {
    w[nw] = (int)strtol(p, (char **)&p, 10);
    if (*p == ',') p++;
  }
  int nl = nw - 1;
  if (nl < 1 || batch < 1 || steps < 1 || reps < 1) return 2;
  layer L[MAX_LAYERS];
  float *x0 = filled((size_t)batch * w[0], 1.0f);
  for (int i = 0; i < nl; i++) {
    L[i].in = w[i];
    L[i].out = w[i + 1];
    L[i].w = filled((size_t)L[i].out * L[i].in, 0.01f);
    L[i].dw = filled((size_t)L[i].out * L[i].in, 0.0f);
    L[i].z = filled((size_t)batch * L[i].out, 0.0f);
    L[i].dz = filled((size_t)batch * L[i].out, 0.01f);
    L[i].dx = filled((size_t)batch * L[i].in, 0.0f);
  }
  double *per_rep = malloc((size_t)reps * sizeof *per_rep);
  double flops = 0;
  for (int i = 0; i < nl; i++) {
    flops += 2.0 * batch * L[i].in * L[i].out * (forward_only ? 1 : i ? 3 : 2);
  }
  for (int r = -1; r < reps; r++) { /* rep -1 warms up */
    double spent = 0;
    for (int s = 0; s < steps; s++) {
      double t0 = now();
      for (int i = 0; i < nl; i++) {
        const float *x = i ? L[i - 1].z : x0;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, L[i].out, L[i].in, 1.0f,
                    x, L[i].in, L[i].w, L[i].in, 1.0f, L[i].z, L[i].out);
      }
      for (int i = forward_only ? -1 : nl - 1; i >= 0; i--) {
        const float *x = i ? L[i - 1].z : x0;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L[i].out, L[i].in, batch, 1.0f,
                    L[i].dz, L[i].out, x, L[i].in, 1.0f, L[i].dw, L[i].in);
        if (i > 0) {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, L[i].in, L[i].out,
                      1.0f, L[i].dz, L[i].out, L[i].w, L[i].in, 0.0f, L[i].dx, L[i].in);
        }
      }
      spent += now() - t0;
      /* keep the values bounded (the forward accumulates into z); untimed */
      for (int i = 0; i < nl; i++) memset(L[i].z, 0, (size_t)batch * L[i].out * sizeof(float));
    }
    if (r >= 0) per_rep[r] = spent / steps;
  }
  qsort(per_rep, (size_t)reps, sizeof *per_rep, cmp_double);
  double step_s = per_rep[reps / 2];
  const char *threads = getenv("OPENBLAS_NUM_THREADS");
  char load[128] = "";
  FILE *f = fopen("/proc/loadavg", "r");
  if (f) {
    if (fgets(load, sizeof load, f)) load[strcspn(load, "\n")] = '\0';
    fclose(f);
  }
  printf("{\"impl\": \"sgemm\", \"workload\": \"%s\", \"tag\": \"%s\", \"widths\": \"%s\", "
         "\"forward_only\": %d, \"batch\": %d, \"threads\": %s, \"steps\": %d, \"reps\": %d, \"step_ms_median\": %.4f, "
         "\"step_ms_min\": %.4f, \"gflops\": %.2f, \"samples_per_s\": %.1f, "
         "\"openblas_config\": \"%s\", \"openblas_core\": \"%s\", \"loadavg_end\": \"%s\"}\n",
         workload, tag, widths, forward_only, batch, threads && *threads ? threads : "null", steps, reps, 1e3 * step_s,
         1e3 * per_rep[0], flops / step_s * 1e-9, batch / step_s, openblas_get_config(),
         openblas_get_corename(), load);
  return 0;
}
