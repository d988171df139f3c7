/* test_workers.c -- the training thread pool (src/workers.h):
 *
 * - ae_parallel visits every item exactly once, for pools of 1 to 5 threads
 *   and every kind of cut (fewer items than a grain, more parts than
 *   threads, the part cap), and returns bit for bit the sum without a pool;
 * - thousands of short loops in a row (the claim protocol under churn; run
 *   under ThreadSanitizer by .ci/run);
 * - a forward and backward pass of a graph with every kind of layer the pool
 *   touches (convolutions on frames, direct, by Winograd's transforms and
 *   im2col, pooling, upsampling, activations, the loss) gives the same bits
 *   with a pool as without. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "loss/loss.h"
#include "spec.h"
#include "testutil.h"
#include "workers.h"

/* Items [begin, end): counts each visit and returns a sum that depends on
 * the order of addition (terms of very different sizes). */
typedef struct visits {
  int *count; /* (n) */
} visits;

static double visit_range(void *ctx, int64_t begin, int64_t end) {
  const visits *v = ctx;
  double sum = 0.0;
  for (int64_t i = begin; i < end; i++) {
    v->count[i]++;
    sum += 1.0 / (double)(i + 1) + (i % 3 == 0 ? 1e8 : 0.0);
  }
  return sum;
}

static ae_workers *start(int threads) {
  ae_workers *w = NULL;
  assert_int_equal(ae_workers_start(threads, &w), AE_OK);
  if (threads > 1) assert_non_null(w); /* this machine starts threads */
  return w;
}

static void test_every_item_once(void **state) {
  (void)state;
  const int64_t sizes[] = {0, 1, 7, 63, 64, 65, 1000, 100003};
  const int64_t grains[] = {0, 1, 10, 4096};
  for (int threads = 1; threads <= 5; threads++) {
    ae_workers *w = start(threads);
    for (size_t a = 0; a < sizeof sizes / sizeof *sizes; a++) {
      for (size_t b = 0; b < sizeof grains / sizeof *grains; b++) {
        int64_t n = sizes[a];
        int *serial = calloc((size_t)n + 1, sizeof(int)), *pooled = calloc((size_t)n + 1, sizeof(int));
        assert_true(serial && pooled);
        visits vs = {serial}, vp = {pooled};
        double expect = ae_parallel(NULL, n, grains[b], visit_range, &vs);
        double got = ae_parallel(w, n, grains[b], visit_range, &vp);
        assert_memory_equal(&got, &expect, sizeof got);
        for (int64_t i = 0; i < n; i++) {
          if (pooled[i] != 1) fail_msg("item %lld of %lld visited %d times", (long long)i, (long long)n, pooled[i]);
        }
        free(serial);
        free(pooled);
      }
    }
    ae_workers_stop(w);
  }
}

static void test_single_thread_is_no_pool(void **state) {
  (void)state;
  ae_workers *w = (ae_workers *)&w; /* overwritten */
  assert_int_equal(ae_workers_start(1, &w), AE_OK);
  assert_null(w);
  ae_workers_stop(NULL);
  assert_true(ae_workers_default_threads() >= 1);
  assert_true(ae_workers_default_threads() <= AE_MAX_PARTS);
}

/* Adds item values into a shared array, part by part. */
typedef struct adder {
  float *v;
  float add;
} adder;

static double add_range(void *ctx, int64_t begin, int64_t end) {
  const adder *a = ctx;
  for (int64_t i = begin; i < end; i++) a->v[i] += a->add;
  return (double)(end - begin);
}

static void test_many_short_loops(void **state) {
  (void)state;
  enum { N = 257, LOOPS = 20000 };
  ae_workers *w = start(4);
  float v[N] = {0};
  for (int r = 0; r < LOOPS; r++) {
    adder a = {v, r % 2 ? -1.0f : 1.0f}; /* +1, -1, +1, ... */
    /* results: the items done; a loop returns only after all of them */
    assert_true(ae_parallel(w, N, 1 + r % 9, add_range, &a) == (double)N);
    float expect = r % 2 ? 0.0f : 1.0f;
    for (int i = 0; i < N; i++) assert_true(v[i] == expect);
  }
  for (int i = 0; i < N; i++) assert_true(v[i] == 0.0f);
  float big[100000];
  for (int i = 0; i < 100000; i++) big[i] = 1.0f;
  ae_parallel_zero(w, big, 100000);
  for (int i = 0; i < 100000; i++) assert_true(big[i] == 0.0f);
  ae_workers_stop(w);
}

/* ---- a whole graph with and without a pool ---- */

#define SPEC                                                                                   \
  "input 1x12x12; conv 32 3 relu; maxpool 2; conv 32 3 tanh; code; upsample 2; conv 5 3 elu; " \
  "conv 1 3 tanh; conv 4 3 relu stride=2; dense 40 softplus; dense 144 sigmoid"
#define BATCH 128

typedef struct pass_result {
  float *out, *grads, *dx;
  double loss;
} pass_result;

/* Forward, BCE from logits, backward on x; with `threads` helping. */
static pass_result run_pass(const ae_graph *g, const float *params, const float *x,
                            const float *t, int threads) {
  ae_workspace ws;
  assert_int_equal(ae_workspace_init(&ws, g, BATCH, 1, "test"), AE_OK);
  ws.workers = start(threads);
  int32_t last = g->n_layers - 1;
  int64_t in = g->layers[0].in, out = g->layers[last].out;
  pass_result r;
  r.out = calloc((size_t)(BATCH * out), sizeof(float));
  r.grads = calloc((size_t)g->n_params, sizeof(float));
  r.dx = calloc((size_t)(BATCH * in), sizeof(float));
  assert_true(r.out && r.grads && r.dx);
  ae_graph_forward(g, params, &ws, x, BATCH, 0, last, 1);
  memcpy(r.out, ws.out[last], (size_t)(BATCH * out) * sizeof(float));
  r.loss = ae_loss_eval(ws.workers, AE_LOSS_BCE, 1, ws.out[last], t, BATCH * out, ws.delta[0],
                        1.0f / (float)(BATCH * out));
  ae_penalty_sums pen = {0, 0, 0, 0};
  ae_graph_backward(g, params, r.grads, &ws, x, BATCH, last, 1, r.dx, &pen);
  ae_workers_stop(ws.workers);
  ae_workspace_free(&ws);
  return r;
}

static void test_graph_same_with_pool(void **state) {
  (void)state;
  ae_spec spec;
  ae_graph g;
  assert_int_equal(ae_spec_parse(SPEC, "test", &spec), AE_OK);
  assert_int_equal(ae_graph_build(&spec, "test", &g), AE_OK);
  int64_t in = g.layers[0].in, out = g.layers[g.n_layers - 1].out;
  float *params = malloc((size_t)g.n_params * sizeof(float));
  float *x = malloc((size_t)(BATCH * in) * sizeof(float));
  float *t = malloc((size_t)(BATCH * out) * sizeof(float));
  assert_true(params && x && t);
  ae_graph_init_params(&g, params, 7);
  tu_fill_uniform(x, BATCH * in, -1.0f, 1.0f, 11);
  tu_fill_uniform(t, BATCH * out, 0.0f, 1.0f, 13);
  pass_result serial = run_pass(&g, params, x, t, 1);
  double grad_norm = 0.0;
  for (int64_t i = 0; i < g.n_params; i++) grad_norm += fabs((double)serial.grads[i]);
  assert_true(grad_norm > 0.0);
  for (int threads = 2; threads <= 4; threads++) {
    pass_result pooled = run_pass(&g, params, x, t, threads);
    assert_memory_equal(pooled.out, serial.out, (size_t)(BATCH * out) * sizeof(float));
    assert_memory_equal(pooled.grads, serial.grads, (size_t)g.n_params * sizeof(float));
    assert_memory_equal(pooled.dx, serial.dx, (size_t)(BATCH * in) * sizeof(float));
    assert_memory_equal(&pooled.loss, &serial.loss, sizeof(double));
    free(pooled.out);
    free(pooled.grads);
    free(pooled.dx);
  }
  free(serial.out);
  free(serial.grads);
  free(serial.dx);
  free(params);
  free(x);
  free(t);
  ae_graph_free(&g);
  ae_spec_free(&spec);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_item_once),
      cmocka_unit_test(test_single_thread_is_no_pool),
      cmocka_unit_test(test_many_short_loops),
      cmocka_unit_test(test_graph_same_with_pool),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
