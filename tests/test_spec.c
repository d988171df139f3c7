/* test_spec.c -- the architecture spec grammar of ae.h: what parses, what the
 * canonical text looks like, how many parameters a spec makes, and every error
 * with its status, NULL *out and a message naming the problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ae.h"
#include "alloc.h"
#include "spec.h"
#include "testutil.h"

/* Params of a dense layer in -> out: weights + biases. */
static int64_t dense_params(int64_t in, int64_t out) { return in * out + out; }

/* Creates a model from `spec`, checks the widths, the parameter count and the
 * canonical text, then re-creates it from the canonical text and checks that
 * the second model prints the same text and has the same parameter count. */
static void check_model(const char *spec, int64_t in, int64_t code, int64_t out,
                        int64_t params, const char *canonical) {
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, spec, 7));
  assert_non_null(m);
  assert_int_equal(ae_input_size(m), in);
  assert_int_equal(ae_code_size(m), code);
  assert_int_equal(ae_output_size(m), out);
  assert_int_equal(ae_param_count(m), params);
  assert_int_equal(ae_epochs_trained(m), 0);
  assert_string_equal(ae_model_spec(m), canonical);

  ae_model *again = NULL;
  assert_ok(ae_model_create(&again, ae_model_spec(m), 8));
  assert_string_equal(ae_model_spec(again), canonical);
  assert_int_equal(ae_param_count(again), params);
  assert_int_equal(ae_input_size(again), in);
  assert_int_equal(ae_code_size(again), code);
  assert_int_equal(ae_output_size(again), out);
  ae_model_free(again);
  ae_model_free(m);
}

static void test_minimal(void **state) {
  (void)state;
  check_model("input 4; code 2 linear; dense 4 linear", 4, 2, 4,
              dense_params(4, 2) + dense_params(2, 4),
              "input 4; code 2 linear; dense 4 linear");
}

static void test_every_activation(void **state) {
  (void)state;
  const char *spec =
      "input 5; dense 6 linear; dense 7 sigmoid; dense 8 tanh; code 3 relu; "
      "dense 4 leaky_relu; dense 9 elu; dense 5 softplus";
  int64_t p = dense_params(5, 6) + dense_params(6, 7) + dense_params(7, 8) +
              dense_params(8, 3) + dense_params(3, 4) + dense_params(4, 9) +
              dense_params(9, 5);
  check_model(spec, 5, 3, 5, p, spec);
}

static void test_layout_comments_newlines_spaces(void **state) {
  (void)state;
  const char *spec =
      "# a small model\n"
      "   input    10   # ten features\n"
      "\n"
      ";;  dense\t8  tanh ;\r\n"
      "code 3 linear;;# the bottleneck; code 9 relu is commented out\n"
      "\t dense 8 tanh\n"
      "dense 10 sigmoid   ;  \n"
      "# trailing comment";
  check_model(spec, 10, 3, 10,
              dense_params(10, 8) + dense_params(8, 3) + dense_params(3, 8) +
                  dense_params(8, 10),
              "input 10; dense 8 tanh; code 3 linear; dense 8 tanh; dense 10 sigmoid");
}

static void test_mirror_is_expanded(void **state) {
  (void)state;
  /* The example of ae.h, with its parameter count worked out by hand:
   * 784*512+512 + 512*128+128 + 128*32+32 + 32*128+128 + 128*512+512 + 512*784+784 */
  const char *canonical =
      "input 784; dense 512 relu; dense 128 relu; code 32 linear; "
      "dense 128 relu; dense 512 relu; dense 784 sigmoid";
  int64_t p = 401920 + 65664 + 4128 + 4224 + 66048 + 402192;
  check_model("input 784; dense 512 relu; dense 128 relu; code 32 linear; mirror sigmoid",
              784, 32, 784, p, canonical);
  check_model(canonical, 784, 32, 784, p, canonical);

  /* mirror with no encoder layer before the code: one final layer. */
  check_model("input 6; code 2 tanh; mirror linear", 6, 2, 6,
              dense_params(6, 2) + dense_params(2, 6),
              "input 6; code 2 tanh; dense 6 linear");
  /* activations are mirrored with their layers, in reverse order */
  check_model("input 9; dense 7 elu; dense 5 softplus; code 2 linear; mirror tanh", 9, 2, 9,
              dense_params(9, 7) + dense_params(7, 5) + dense_params(5, 2) +
                  dense_params(2, 5) + dense_params(5, 7) + dense_params(7, 9),
              "input 9; dense 7 elu; dense 5 softplus; code 2 linear; dense 5 softplus; "
              "dense 7 elu; dense 9 tanh");
}

static void test_output_width(void **state) {
  (void)state;
  check_model("input 6; output 3; dense 5 tanh; code 2 linear; dense 4 relu; dense 3 linear",
              6, 2, 3,
              dense_params(6, 5) + dense_params(5, 2) + dense_params(2, 4) + dense_params(4, 3),
              "input 6; output 3; dense 5 tanh; code 2 linear; dense 4 relu; dense 3 linear");
  /* output right after input, then mirror: the last layer has the output width */
  check_model("input 6\noutput 11\ndense 5 tanh\ncode 2 linear\nmirror sigmoid", 6, 2, 11,
              dense_params(6, 5) + dense_params(5, 2) + dense_params(2, 5) + dense_params(5, 11),
              "input 6; output 11; dense 5 tanh; code 2 linear; dense 5 tanh; dense 11 sigmoid");
  /* output equal to the input is the default and is not printed */
  check_model("input 4; output 4; code 2 linear; mirror linear", 4, 2, 4,
              dense_params(4, 2) + dense_params(2, 4), "input 4; code 2 linear; dense 4 linear");
}

static void test_width_limits(void **state) {
  (void)state;
  /* Width 1 everywhere is allowed. */
  check_model("input 1; code 1 linear; dense 1 linear", 1, 1, 1, 4,
              "input 1; code 1 linear; dense 1 linear");
  /* 1 << 24 is the largest width: parse it without building weights. */
  ae_spec spec;
  assert_ok(ae_spec_parse("input 16777216; code 1 linear; dense 16777216 linear", "t", &spec));
  assert_int_equal(spec.input_size, 16777216);
  assert_int_equal(spec.output_size, 16777216);
  assert_int_equal(spec.n_layers, 2);
  assert_int_equal(spec.code_layer, 0);
  char *text = ae_spec_format(&spec);
  assert_non_null(text);
  assert_string_equal(text, "input 16777216; code 1 linear; dense 16777216 linear");
  ae_free(text);
  ae_spec_free(&spec);
  /* Leading zeros are still a decimal number. */
  check_model("input 004; code 02 linear; dense 4 linear", 4, 2, 4, 10 + 12,
              "input 4; code 2 linear; dense 4 linear");
}

/* ---- errors ---- */

static void expect_spec_error(const char *spec, const char *needle) {
  ae_model *m = (ae_model *)(uintptr_t)1; /* must be overwritten with NULL */
  ae_status st = ae_model_create(&m, spec, 1);
  if (st != AE_ERR_SPEC || m != NULL || !strstr(ae_last_error(), needle)) {
    fprintf(stderr, "spec \"%s\": got %s, message \"%s\", expected a message with \"%s\"\n",
            spec, ae_status_string(st), ae_last_error(), needle);
  }
  assert_int_equal(st, AE_ERR_SPEC);
  assert_null(m);
  assert_non_null(strstr(ae_last_error(), needle));
  /* Every message says who failed. */
  assert_non_null(strstr(ae_last_error(), "ae_model_create"));
}

/* At most AE_MAX_PARAMS (INT_MAX) parameters: refused before any weight is
 * allocated, and before the count can wrap around int64. */
static void test_error_too_many_params(void **state) {
  (void)state;
  expect_spec_error("input 46341; code 46341 linear; dense 46341 linear",
                    "the model has more than 2147483647 parameters (layer 1 alone has "
                    "2147534622); narrow its layers");
  /* the total, not only one layer: 1,225,035,000 twice */
  expect_spec_error("input 35000; dense 35000 relu; code 35000 linear; dense 35000 linear",
                    "more than 2147483647 parameters (layer 2 alone has 1225035000)");
  char deep[1024] = "input 16777216x1x1; ";
  for (int i = 0; i < 15; i++) strcat(deep, "conv 16777216 64 linear; ");
  strcat(deep, "code; conv 16777216 64 linear");
  expect_spec_error(deep, "more than 2147483647 parameters (layer 1 alone");
}

static void test_error_empty(void **state) {
  (void)state;
  expect_spec_error("", "the spec is empty");
  expect_spec_error("   \n\t ;; ;\n", "the spec is empty");
  expect_spec_error("# just a comment\n# and another", "the spec is empty");
}

static void test_error_input(void **state) {
  (void)state;
  expect_spec_error("code 2 linear; dense 4 linear", "must start with 'input N'");
  expect_spec_error("dense 8 relu; input 4; code 2 linear; dense 4 linear",
                    "must start with 'input N'");
  expect_spec_error("input 4; code 2 linear; input 4; dense 4 linear",
                    "'input' must be the first statement");
  expect_spec_error("input 4; input 4; code 2 linear; dense 4 linear",
                    "spec statement 2 ('input ...'): 'input' must be the first statement");
  expect_spec_error("input; code 2 linear; dense 4 linear", "expected 'input N or input CxHxW'");
}

static void test_error_widths(void **state) {
  (void)state;
  expect_spec_error("input 0; code 2 linear; dense 4 linear", "width 0 is not between 1 and 16777216");
  expect_spec_error("input -1; code 2 linear; dense 4 linear", "not a positive integer");
  expect_spec_error("input +4; code 2 linear; dense 4 linear", "not a positive integer");
  expect_spec_error("input 1e3; code 2 linear; dense 1000 linear", "not a positive integer");
  expect_spec_error("input 12x; code 2 linear; dense 12 linear", "not a positive integer");
  expect_spec_error("input 4.0; code 2 linear; dense 4 linear", "not a positive integer");
  expect_spec_error("input 16777217; code 2 linear; dense 4 linear",
                    "width 16777217 is not between 1 and 16777216");
  expect_spec_error("input 99999999999999999999; code 2 linear; dense 4 linear",
                    "not a positive integer");
  expect_spec_error("input 123456789012345678901234567890123456; code 2 linear",
                    "width is not a number");
  expect_spec_error("input 4; dense 0 relu; code 2 linear; mirror linear",
                    "spec statement 2 ('dense ...'): width 0");
  expect_spec_error("input 4; code -1 linear; dense 4 linear",
                    "spec statement 2 ('code ...'): width is not a positive integer");
  expect_spec_error("input 4; code 2 linear; dense 12x linear", "spec statement 3");
  expect_spec_error("input 4; output 0; code 2 linear; dense 4 linear", "width 0");
  expect_spec_error("input 4; output 16777217; code 2 linear; dense 4 linear",
                    "width 16777217");
}

static void test_error_activation(void **state) {
  (void)state;
  expect_spec_error("input 4; dense 3 relux; code 2 linear; mirror linear",
                    "spec statement 2 ('dense ...'): unknown activation");
  expect_spec_error("input 4; code 2 Linear; dense 4 linear", "unknown activation");
  expect_spec_error("input 4; code 2 linear; mirror softmax", "unknown activation");
  expect_spec_error("input 4; code 2 linear; dense 4 gelu", "unknown activation");
}

static void test_error_statement(void **state) {
  (void)state;
  expect_spec_error("input 4; convolve 3 relu; code 2 linear; dense 4 linear",
                    "spec statement 2 ('convolve ...'): unknown statement");
  expect_spec_error("input 4; code 2 linear; Dense 4 linear", "unknown statement");
  expect_spec_error("input 4; code 2 linear; decoder; dense 4 linear", "unknown statement");
}

static void test_error_code_layer(void **state) {
  (void)state;
  expect_spec_error("input 4; dense 2 relu; dense 4 linear", "no 'code N ACT' layer");
  expect_spec_error("input 4", "no 'code N ACT' layer");
  expect_spec_error("input 4; code 2 linear; code 3 linear; dense 4 linear",
                    "only one 'code' layer");
  expect_spec_error("input 4; code 2 linear", "no decoder");
  expect_spec_error("input 4; dense 3 relu; code 2 linear # dense 4 linear", "no decoder");
}

static void test_error_decoder_width(void **state) {
  (void)state;
  expect_spec_error("input 4; code 2 linear; dense 3 linear",
                    "the decoder ends with 3 units but the output has 4");
  expect_spec_error("input 4; output 6; code 2 linear; dense 4 linear",
                    "the decoder ends with 4 units but the output has 6");
  expect_spec_error("input 4; code 2 linear; dense 4 relu; dense 5 linear",
                    "ends with 5 units");
}

static void test_error_mirror(void **state) {
  (void)state;
  expect_spec_error("input 4; dense 3 relu; mirror linear", "'mirror' needs a 'code' layer");
  expect_spec_error("input 4; mirror linear", "'mirror' needs a 'code' layer");
  expect_spec_error("input 4; code 2 linear; mirror linear; dense 4 linear",
                    "nothing but 'tied' may follow 'mirror'");
  expect_spec_error("input 4; code 2 linear; mirror linear; mirror linear",
                    "nothing but 'tied' may follow 'mirror'");
  expect_spec_error("input 4; code 2 linear; dense 3 relu; mirror linear",
                    "'mirror' cannot follow decoder layers");
  expect_spec_error("input 4; code 2 linear; mirror", "expected 'mirror ACT'");
}

static void test_error_output_placement(void **state) {
  (void)state;
  expect_spec_error("input 4; code 2 linear; output 4; dense 4 linear",
                    "'output' must come before 'code'");
  expect_spec_error("input 4; code 2 linear; dense 3 relu; output 3",
                    "'output' must come before 'code'");
  expect_spec_error("input 4; code 2 linear; mirror linear; output 4",
                    "nothing but 'tied' may follow 'mirror'");
}

static void test_error_word_counts(void **state) {
  (void)state;
  expect_spec_error("input 4 5; code 2 linear; dense 4 linear", "expected 'input N or input CxHxW'");
  expect_spec_error("input 4; output 2 3; code 2 linear; dense 2 linear", "expected 'output N or output CxHxW'");
  expect_spec_error("input 4; dense 3; code 2 linear; mirror linear", "expected 'dense N ACT'");
  expect_spec_error("input 4; dense 3 relu relu; code 2 linear; mirror linear",
                    "expected KEY=VALUE after the activation");
  expect_spec_error("input 4; code 2 linear extra; dense 4 linear",
                    "expected KEY=VALUE after the activation");
  expect_spec_error("input 4; code 2 linear; mirror linear sigmoid", "expected 'mirror ACT'");
  expect_spec_error("input 4; dense 1 2 3 4 5 6 7 8 9 10 11 12; code 2 linear; mirror linear",
                    "spec statement 2 ('dense ...'): too many words");
}

static void test_error_too_many_layers(void **state) {
  (void)state;
  /* 300 encoder layers of width 1 exceed the 256 layer limit. */
  size_t cap = 64 + 300 * 20;
  char *spec = malloc(cap);
  assert_non_null(spec);
  size_t len = (size_t)snprintf(spec, cap, "input 1");
  for (int i = 0; i < 300; i++) len += (size_t)snprintf(spec + len, cap - len, "; dense 1 relu");
  snprintf(spec + len, cap - len, "; code 1 linear; mirror linear");
  expect_spec_error(spec, "too many layers");
  free(spec);
}

static void test_null_arguments(void **state) {
  (void)state;
  ae_model *m = (ae_model *)(uintptr_t)1;
  assert_status(ae_model_create(&m, NULL, 1), AE_ERR_NULL_ARGUMENT);
  assert_null(m);
  assert_non_null(strstr(ae_last_error(), "spec is NULL"));
  assert_status(ae_model_create(NULL, "input 4; code 2 linear; dense 4 linear", 1),
                AE_ERR_NULL_ARGUMENT);
  assert_non_null(strstr(ae_last_error(), "out is NULL"));
  /* Introspection of NULL. */
  assert_int_equal(ae_input_size(NULL), 0);
  assert_int_equal(ae_code_size(NULL), 0);
  assert_int_equal(ae_output_size(NULL), 0);
  assert_int_equal(ae_param_count(NULL), 0);
  assert_int_equal(ae_epochs_trained(NULL), 0);
  assert_string_equal(ae_model_spec(NULL), "");
  ae_model_free(NULL);
}

static void test_success_clears_message(void **state) {
  (void)state;
  expect_spec_error("input 4; code 2 linear", "no decoder");
  ae_model *m = NULL;
  assert_ok(ae_model_create(&m, "input 4; code 2 linear; dense 4 linear", 1));
  assert_string_equal(ae_last_error(), "");
  ae_model_free(m);
}

/* ---- issue 3: penalties, noise, tied weights ---- */

static void test_penalty_attributes(void **state) {
  (void)state;
  /* penalties print in a fixed order, kl always with its weight (default 3),
   * and values in the shortest text that reads back the same */
  check_model("input 8; dense 6 tanh l1=1e-4 contractive=0.1; code 3 sigmoid kl=0.05; "
              "mirror linear",
              8, 3, 8,
              dense_params(8, 6) + dense_params(6, 3) + dense_params(3, 6) + dense_params(6, 8),
              "input 8; dense 6 tanh l1=0.0001 contractive=0.1; code 3 sigmoid kl=0.05 "
              "kl_weight=3; dense 6 tanh; dense 8 linear");
  check_model("input 8; code 3 sigmoid kl_weight=0.5 kl=0.2 l1=0.3; dense 8 linear", 8, 3, 8,
              dense_params(8, 3) + dense_params(3, 8),
              "input 8; code 3 sigmoid l1=0.3 kl=0.2 kl_weight=0.5; dense 8 linear");
  /* the limits themselves, tiny values, and values needing 17 digits */
  check_model("input 4; dense 3 sigmoid l1=1000 kl=0.5 kl_weight=1e3; "
              "code 2 relu contractive=1E+3; dense 4 linear",
              4, 2, 4, dense_params(4, 3) + dense_params(3, 2) + dense_params(2, 4),
              "input 4; dense 3 sigmoid l1=1000 kl=0.5 kl_weight=1000; code 2 relu "
              "contractive=1000; dense 4 linear");
  check_model("input 4; code 2 tanh l1=2.5e-7 contractive=0.30000000000000004; dense 4 linear", 4,
              2, 4, dense_params(4, 2) + dense_params(2, 4),
              "input 4; code 2 tanh l1=2.5e-07 contractive=0.30000000000000004; dense 4 linear");
  /* penalties on decoder hidden layers (not contractive), and on a layer
   * before the code */
  check_model("input 6; dense 5 elu l1=0.01; code 2 linear; dense 5 sigmoid kl=0.1 l1=0.2; "
              "dense 6 linear",
              6, 2, 6,
              dense_params(6, 5) + dense_params(5, 2) + dense_params(2, 5) + dense_params(5, 6),
              "input 6; dense 5 elu l1=0.01; code 2 linear; dense 5 sigmoid l1=0.2 kl=0.1 "
              "kl_weight=3; dense 6 linear");
  /* the parsed values */
  ae_spec spec;
  assert_ok(ae_spec_parse("input 4; dense 3 sigmoid l1=0.1 kl=0.05; code 2 tanh contractive=1e-4; "
                          "dense 4 linear",
                          "t", &spec));
  assert_true(spec.layers[0].penalties.l1 == 0.1);
  assert_true(spec.layers[0].penalties.kl_rho == 0.05);
  assert_true(spec.layers[0].penalties.kl_beta == 3.0);
  assert_true(spec.layers[0].penalties.contractive == 0.0);
  assert_true(spec.layers[1].penalties.contractive == 1e-4);
  assert_true(spec.layers[2].penalties.l1 == 0.0);
  ae_spec_free(&spec);
}

static void test_noise_statement(void **state) {
  (void)state;
  int64_t p = dense_params(8, 3) + dense_params(3, 8);
  check_model("input 8; noise mask 0.25; code 3 linear; dense 8 linear", 8, 3, 8, p,
              "input 8; noise mask 0.25; code 3 linear; dense 8 linear");
  check_model("input 8\nnoise gaussian 1e-4 clip\ncode 3 linear\ndense 8 linear", 8, 3, 8, p,
              "input 8; noise gaussian 0.0001 clip; code 3 linear; dense 8 linear");
  check_model("input 8; noise gaussian 1000; code 3 linear; dense 8 linear", 8, 3, 8, p,
              "input 8; noise gaussian 1000; code 3 linear; dense 8 linear");
  check_model("input 8; noise salt_pepper 0.1; code 3 linear; dense 8 linear", 8, 3, 8, p,
              "input 8; noise salt_pepper 0.1; code 3 linear; dense 8 linear");
  /* noise before output: printed after it */
  check_model("input 8; noise mask 0.5; output 4; code 3 linear; dense 4 linear", 8, 3, 4,
              dense_params(8, 3) + dense_params(3, 4),
              "input 8; output 4; noise mask 0.5; code 3 linear; dense 4 linear");
  ae_spec spec;
  assert_ok(ae_spec_parse("input 8; noise gaussian 0.1 clip; code 3 linear; dense 8 linear", "t",
                          &spec));
  assert_int_equal(spec.noise.kind, AE_NOISE_GAUSSIAN);
  assert_true(spec.noise.level == 0.1);
  assert_int_equal(spec.noise.clip, 1);
  ae_spec_free(&spec);
  assert_ok(ae_spec_parse("input 8; code 3 linear; dense 8 linear", "t", &spec));
  assert_int_equal(spec.noise.kind, AE_NOISE_NONE);
  ae_spec_free(&spec);
}

static void test_tied_statement(void **state) {
  (void)state;
  /* half the weights: the decoder has its own biases only */
  int64_t tied = 8 * 6 + 6 * 3 + (6 + 3) + (6 + 8);
  check_model("input 8; dense 6 tanh; code 3 linear; mirror sigmoid; tied", 8, 3, 8, tied,
              "input 8; dense 6 tanh; code 3 linear; dense 6 tanh; dense 8 sigmoid; tied");
  /* anywhere after input; an explicit decoder of the mirrored shape, with
   * other activations */
  check_model("input 8; tied; dense 6 tanh; code 3 linear; dense 6 relu; dense 8 linear", 8, 3, 8,
              tied, "input 8; dense 6 tanh; code 3 linear; dense 6 relu; dense 8 linear; tied");
  check_model("input 5; code 2 tanh; dense 5 linear; tied", 5, 2, 5, 5 * 2 + 2 + 5,
              "input 5; code 2 tanh; dense 5 linear; tied");
  /* every new feature at once */
  check_model("input 8; noise gaussian 0.1 clip; dense 6 tanh l1=1e-4 contractive=0.1; "
              "code 3 sigmoid kl=0.05 kl_weight=2; mirror linear; tied",
              8, 3, 8, tied,
              "input 8; noise gaussian 0.1 clip; dense 6 tanh l1=0.0001 contractive=0.1; "
              "code 3 sigmoid kl=0.05 kl_weight=2; dense 6 tanh; dense 8 linear; tied");
}

/* Every bad value of a penalty or of the noise level. */
static void test_error_values(void **state) {
  (void)state;
  static const struct {
    const char *word, *needle;
  } bad[] = {
      {"l1=0", "l1 = 0 is outside (0, 1000]"},
      {"l1=-1", "l1 = -1 is outside (0, 1000]"},
      {"l1=1000.5", "l1 = 1000.5 is outside (0, 1000]"},
      {"l1=nan", "l1 = nan is outside"},
      {"l1=inf", "l1 = inf is outside"},
      {"l1=1e-400", "l1 = 0 is outside"},
      {"l1=abc", "l1 is not a number"},
      {"l1=", "l1 is not a number"},
      {"l1=0.1x", "l1 is not a number"},
      {"kl=0", "kl = 0 is outside (0, 0.5]"},
      {"kl=0.6", "kl = 0.6 is outside (0, 0.5]"},
      {"kl=-0.1", "kl = -0.1 is outside (0, 0.5]"},
      {"kl=nan", "kl = nan is outside"},
      {"kl=abc", "kl is not a number"},
      {"kl=0.1 kl_weight=0", "kl_weight = 0 is outside (0, 1000]"},
      {"kl=0.1 kl_weight=-3", "kl_weight = -3 is outside (0, 1000]"},
      {"kl=0.1 kl_weight=1001", "kl_weight = 1001 is outside (0, 1000]"},
      {"kl=0.1 kl_weight=NaN", "kl_weight = nan is outside"},
      {"kl=0.1 kl_weight=abc", "kl_weight is not a number"},
      {"kl_weight=2", "kl_weight needs kl=RHO"},
      {"contractive=0", "contractive = 0 is outside (0, 1000]"},
      {"contractive=-0.5", "contractive = -0.5 is outside (0, 1000]"},
      {"contractive=1e4", "contractive = 10000 is outside (0, 1000]"},
      {"contractive=nan", "contractive = nan is outside"},
      {"contractive=abc", "contractive is not a number"},
      {"l2=0.1", "expected KEY=VALUE after the activation, with KEY one of l1, kl, kl_weight, "
                 "contractive"},
      {"L1=0.1", "expected KEY=VALUE"},
      {"sparse", "expected KEY=VALUE"},
      {"=0.1", "expected KEY=VALUE"},
  };
  char spec[200];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(spec, sizeof spec, "input 4; dense 3 sigmoid %s; code 2 linear; mirror linear",
             bad[i].word);
    expect_spec_error(spec, "spec statement 2 ('dense ...')");
    expect_spec_error(spec, bad[i].needle);
  }
  static const struct {
    const char *level, *needle;
  } bad_noise[] = {
      {"mask 0", "fraction = 0 is outside (0, 1]"},
      {"mask -0.1", "fraction = -0.1 is outside"},
      {"mask 1", "fraction must be below 1"},
      {"mask 1.5", "fraction = 1.5 is outside"},
      {"mask nan", "fraction = nan is outside"},
      {"mask abc", "fraction is not a number"},
      {"salt_pepper 0", "fraction = 0 is outside"},
      {"salt_pepper 1", "fraction must be below 1"},
      {"salt_pepper -1", "fraction = -1 is outside"},
      {"gaussian 0", "sigma = 0 is outside (0, 1000]"},
      {"gaussian -1", "sigma = -1 is outside (0, 1000]"},
      {"gaussian 1001", "sigma = 1001 is outside (0, 1000]"},
      {"gaussian nan", "sigma = nan is outside"},
      {"gaussian inf", "sigma = inf is outside"},
      {"gaussian abc", "sigma is not a number"},
      {"gaussian 0.1 clap", "expected 'noise gaussian SIGMA [clip]'"},
      {"gaussian 0.1 clip clip", "expected 'noise gaussian SIGMA [clip]'"},
      {"mask 0.1 clip", "expected 'noise mask|salt_pepper FRACTION'"},
      {"salt_pepper 0.1 0.2", "expected 'noise mask|salt_pepper FRACTION'"},
      {"blur 0.1", "unknown noise (expected mask, gaussian or salt_pepper)"},
      {"Mask 0.1", "unknown noise"},
      {"mask", "expected 'noise mask|gaussian|salt_pepper LEVEL [clip]'"},
      {"", "expected 'noise mask|gaussian|salt_pepper LEVEL [clip]'"},
  };
  for (size_t i = 0; i < sizeof bad_noise / sizeof bad_noise[0]; i++) {
    snprintf(spec, sizeof spec, "input 4; noise %s; code 2 linear; dense 4 linear",
             bad_noise[i].level);
    expect_spec_error(spec, "spec statement 2 ('noise");
    expect_spec_error(spec, bad_noise[i].needle);
  }
}

/* Penalties where they cannot go, and misplaced or repeated statements. */
static void test_error_placement(void **state) {
  (void)state;
  expect_spec_error("input 4; dense 3 tanh kl=0.1; code 2 linear; mirror linear",
                    "spec statement 2 ('dense ...'): kl sparsity needs a sigmoid layer");
  expect_spec_error("input 4; code 2 relu kl=0.1 kl_weight=2; dense 4 linear",
                    "kl sparsity needs a sigmoid layer");
  expect_spec_error("input 4; code 2 softplus kl=0.1; dense 4 linear",
                    "kl sparsity needs a sigmoid layer");
  expect_spec_error("input 4; code 2 linear; dense 3 tanh contractive=0.1; dense 4 linear",
                    "spec statement 3 ('dense ...'): contractive applies to encoder layers "
                    "(up to 'code')");
  expect_spec_error("input 4; code 2 linear; dense 4 linear contractive=0.1",
                    "contractive applies to encoder layers");
  expect_spec_error("input 4; code 2 linear; dense 4 sigmoid l1=0.1",
                    "penalties attach to hidden layers, not the output layer");
  expect_spec_error("input 4; code 2 linear; dense 3 tanh; dense 4 sigmoid kl=0.1",
                    "penalties attach to hidden layers, not the output layer");
  expect_spec_error("input 4; dense 3 tanh contractive=0.1; code 2 tanh contractive=0.2; "
                    "mirror linear",
                    "spec statement 3 ('code ...'): contractive may be attached to one layer only");
  expect_spec_error("input 4; code 2 tanh l1=0.1 l1=0.2; dense 4 linear",
                    "spec statement 2 ('code ...'): l1 is given twice");
  expect_spec_error("input 4; code 2 sigmoid kl=0.1 kl_weight=1 kl_weight=2; dense 4 linear",
                    "kl_weight is given twice");
  expect_spec_error("input 4; code 2 linear; noise mask 0.1; dense 4 linear",
                    "spec statement 3 ('noise ...'): 'noise' must come once, before the first "
                    "layer");
  expect_spec_error("input 4; noise mask 0.1; noise gaussian 0.1; code 2 linear; dense 4 linear",
                    "spec statement 3 ('noise ...'): 'noise' must come once");
  expect_spec_error("input 4; code 2 linear; mirror linear; noise mask 0.1",
                    "nothing but 'tied' may follow 'mirror'");
  expect_spec_error("noise mask 0.1; input 4; code 2 linear; dense 4 linear",
                    "must start with 'input N'");
  expect_spec_error("input 4; code 2 linear; mirror linear; tied; tied",
                    "spec statement 5 ('tied'): 'tied' appears twice");
  expect_spec_error("input 4; tied; code 2 linear; tied; dense 4 linear", "'tied' appears twice");
  expect_spec_error("input 4; code 2 linear; mirror linear; tied yes", "expected 'tied'");
  expect_spec_error("tied; input 4; code 2 linear; mirror linear", "must start with 'input N'");
}

/* tied needs the decoder to mirror the encoder's shapes. */
static void test_error_tied_shape(void **state) {
  (void)state;
  /* output != input: the last decoder layer cannot be the first encoder
   * layer's transpose */
  expect_spec_error("input 8; output 6; dense 5 tanh; code 3 linear; mirror linear; tied",
                    "'tied' needs a mirrored decoder: decoder layer 2 has 6 units, the input of "
                    "encoder layer 1 has 8");
  /* an explicit decoder of other widths */
  expect_spec_error("input 8; dense 5 tanh; code 3 linear; dense 4 tanh; dense 8 linear; tied",
                    "'tied' needs a mirrored decoder: decoder layer 1 has 4 units, the input of "
                    "encoder layer 2 has 5");
  /* as many decoder layers as encoder layers */
  expect_spec_error("input 8; dense 5 tanh; code 3 linear; dense 8 linear; tied",
                    "'tied' needs a mirrored decoder: 2 encoder layers but 1 decoder layers");
  expect_spec_error("input 8; code 3 linear; dense 5 tanh; dense 8 linear; tied",
                    "'tied' needs a mirrored decoder: 1 encoder layers but 2 decoder layers");
}

/* ---- convolutional layers (issue 5) ---- */

/* Params of a conv or deconv of f filters of k x k over c channels. */
static int64_t conv_params(int64_t c, int64_t f, int64_t k) { return f * c * k * k + f; }

/* Image inputs, conv / maxpool / upsample / deconv / reshape, `code` alone:
 * sizes, parameter counts by hand, the canonical text (stride and pad
 * spelled out, K for KxK, reshape only where a shape changes) and its round
 * trip. */
static void test_conv_canonical_text(void **state) {
  (void)state;
  check_model("input 1x5x7; conv 2 3x3 tanh; maxpool 2; code; upsample 2; "
              "conv 1 2 sigmoid pad=valid",
              35, 2 * 3 * 4, 35, conv_params(1, 2, 3) + conv_params(2, 1, 2),
              "input 1x5x7; conv 2 3 tanh stride=1 pad=same; maxpool 2 stride=2 pad=same; code; "
              "upsample 2; conv 1 2 sigmoid stride=1 pad=valid");
  check_model("input 2x6x6; conv 3 3 relu stride=2 pad=1 l1=0.01; code; "
              "deconv 2 3x3 sigmoid stride=2 pad=1 outpad=1",
              72, 27, 72, conv_params(2, 3, 3) + conv_params(3, 2, 3),
              "input 2x6x6; conv 3 3 relu stride=2 pad=1 l1=0.01; code; "
              "deconv 2 3 sigmoid stride=2 pad=1 outpad=1");
  /* a dense layer flattens a conv's output; reshape gives a dense output a shape */
  check_model("input 1x4x4; conv 2 3 tanh; dense 5 tanh; code 3 linear; dense 8 relu; "
              "reshape 2x2x2; upsample 2; conv 1 3 sigmoid",
              16, 3, 16,
              conv_params(1, 2, 3) + dense_params(32, 5) + dense_params(5, 3) +
                  dense_params(3, 8) + conv_params(2, 1, 3),
              "input 1x4x4; conv 2 3 tanh stride=1 pad=same; dense 5 tanh; code 3 linear; "
              "dense 8 relu; reshape 2x2x2; upsample 2; conv 1 3 sigmoid stride=1 pad=same");
  /* a flat input read as an image; a decoder ending in an image of the
   * output's size */
  check_model("input 16; reshape 1x4x4; conv 1 3 linear; code; conv 1 3 linear", 16, 16, 16,
              2 * conv_params(1, 1, 3),
              "input 16; reshape 1x4x4; conv 1 3 linear stride=1 pad=same; code; "
              "conv 1 3 linear stride=1 pad=same");
  /* every penalty on a conv: ten words in canonical form */
  check_model("input 1x4x4; conv 2 3 sigmoid contractive=0.1 kl=0.05 l1=0.01 kl_weight=2; code; "
              "conv 1 3 linear pad=1",
              16, 32, 16, conv_params(1, 2, 3) + conv_params(2, 1, 3),
              "input 1x4x4; conv 2 3 sigmoid stride=1 pad=same l1=0.01 kl=0.05 kl_weight=2 "
              "contractive=0.1; code; conv 1 3 linear stride=1 pad=1");
  check_model("input 1x4x4; conv 2 3 tanh stride=2; gaussian 3 kl_weight=0.5; dense 8 tanh; "
              "reshape 2x2x2; deconv 1 3 sigmoid stride=2",
              16, 3, 16,
              conv_params(1, 2, 3) + 2 * dense_params(8, 3) + dense_params(3, 8) +
                  conv_params(2, 1, 3),
              "input 1x4x4; conv 2 3 tanh stride=2 pad=same; gaussian 3 kl_weight=0.5; "
              "dense 8 tanh; reshape 2x2x2; deconv 1 3 sigmoid stride=2 pad=same");
  check_model("input 1x4x4; output 2x2x2; conv 2 3 tanh; maxpool 2; code; conv 2 1 linear", 16,
              8, 8, conv_params(1, 2, 3) + conv_params(2, 2, 1),
              "input 1x4x4; output 2x2x2; conv 2 3 tanh stride=1 pad=same; "
              "maxpool 2 stride=2 pad=same; code; conv 2 1 linear stride=1 pad=same");
  /* pooling without parameters; a strided valid deconv back to 7x7 */
  check_model("input 3x7x7; maxpool 3 stride=2 pad=valid; code; deconv 3 3 linear stride=2 pad=valid",
              147, 27, 147, conv_params(3, 3, 3),
              "input 3x7x7; maxpool 3 stride=2 pad=valid; code; "
              "deconv 3 3 linear stride=2 pad=valid");
  /* (5 + 4 - 5) / 3 + 1 = 2, then (2 - 1) 3 + 5 - 4 + 1 = 5 */
  check_model("input 2x5x5; conv 4 5 elu stride=3 pad=2; code; deconv 2 5 softplus stride=3 pad=2 "
              "outpad=1",
              50, 4 * 2 * 2, 50, conv_params(2, 4, 5) + conv_params(4, 2, 5),
              "input 2x5x5; conv 4 5 elu stride=3 pad=2; code; "
              "deconv 2 5 softplus stride=3 pad=2 outpad=1");
  /* dense autoencoders of images mirror and tie as flat ones do */
  check_model("input 1x4x4; dense 8 tanh; code 3 linear; mirror sigmoid", 16, 3, 16,
              dense_params(16, 8) + dense_params(8, 3) + dense_params(3, 8) + dense_params(8, 16),
              "input 1x4x4; dense 8 tanh; code 3 linear; dense 8 tanh; dense 16 sigmoid");
  check_model("input 1x4x4; dense 8 tanh; code 3 linear; mirror sigmoid; tied", 16, 3, 16,
              dense_params(16, 8) + dense_params(8, 3) + 8 + 16,
              "input 1x4x4; dense 8 tanh; code 3 linear; dense 8 tanh; dense 16 sigmoid; tied");
}

/* Shapes that cannot be: each an AE_ERR_SPEC naming the statement (or the
 * decoder's last layer) and the sizes. */
static void test_conv_error_shapes(void **state) {
  (void)state;
  expect_spec_error("input 1x4x4; conv 2 5 relu pad=valid; code; conv 1 1 linear",
                    "spec statement 2 ('conv ...'): a 5x5 kernel does not fit the 1x4x4 input");
  expect_spec_error("input 1x4x4; conv 2 7 relu pad=1; code; conv 1 1 linear",
                    "spec statement 2 ('conv ...'): a 7x7 kernel does not fit the 1x4x4 input");
  expect_spec_error("input 2x3x3; maxpool 4 pad=valid; code; upsample 4",
                    "spec statement 2 ('maxpool ...'): a 4x4 kernel does not fit the 2x3x3 input");
  expect_spec_error("input 1x8x8; conv 2 3 relu stride=2 pad=valid; conv 2 5 relu pad=valid; code; "
                    "conv 1 1 linear",
                    "spec statement 3 ('conv ...'): a 5x5 kernel does not fit the 2x3x3 input");
  expect_spec_error("input 1x2x2; deconv 1 3 linear pad=3; code; conv 1 1 linear",
                    "spec statement 2 ('deconv ...'): pad=3 crops away the whole output of the "
                    "transposed convolution of the 1x2x2 input");
  /* a decoder that misses the output's shape: 16 -> 14 by a valid conv, x2 */
  expect_spec_error("input 1x28x28; conv 4 3 relu; maxpool 2; code; upsample 2; "
                    "conv 1 3 sigmoid pad=valid",
                    "the decoder's last layer (layer 4) gives 1x26x26 but the output is 1x28x28");
  expect_spec_error("input 1x28x28; conv 4 3 relu; maxpool 2; code; upsample 2; conv 2 3 sigmoid",
                    "the decoder's last layer (layer 4) gives 2x28x28 but the output is 1x28x28");
  expect_spec_error("input 1x4x4; output 2x2x2; conv 2 3 tanh; code; conv 2 3 linear",
                    "gives 2x4x4 but the output is 2x2x2");
  expect_spec_error("input 1x4x4; conv 2 3 tanh; code; dense 15 sigmoid",
                    "the decoder ends with 15 units but the output has 16");
  expect_spec_error("input 1x5x5; conv 2 3 tanh stride=2; code; deconv 1 3 sigmoid stride=2",
                    "gives 1x6x6 but the output is 1x5x5");
  /* reshape keeps the number of values */
  expect_spec_error("input 1x4x4; dense 8 relu; code 3 linear; dense 8 relu; reshape 2x2x3; "
                    "conv 1 3 linear",
                    "spec statement 5 ('reshape ...'): 8 values cannot be reshaped to 2x2x3");
  expect_spec_error("input 1x4x4; reshape 2x2x2; conv 1 3 linear; code; conv 1 3 linear",
                    "spec statement 2 ('reshape ...'): 16 values cannot be reshaped to 2x2x2");
  expect_spec_error("input 1x4x4; dense 8 relu; code 3 linear; reshape 2x2; dense 16 linear",
                    "spec statement 4 ('reshape ...'): expected N or CxHxW");
  expect_spec_error("input 1x4x4; dense 8 relu; code 3 linear; reshape; dense 16 linear",
                    "spec statement 4 ('reshape'): expected 'reshape CxHxW'");
  expect_spec_error("input 2x64x64; upsample 64; code; maxpool 64",
                    "spec statement 2 ('upsample ...'): the output 2x4096x4096 has more than "
                    "16777216 values");
}

/* The words of conv, deconv, maxpool and upsample. */
static void test_conv_error_words(void **state) {
  (void)state;
  /* square kernels, 1 to 64, written K or KxK */
  expect_spec_error("input 1x8x8; conv 2 3x5 relu; code; conv 1 3 linear",
                    "spec statement 2 ('conv ...'): kernels are square: K or KxK");
  expect_spec_error("input 1x8x8; maxpool 2x3; code; upsample 2",
                    "spec statement 2 ('maxpool ...'): kernels are square: K or KxK");
  expect_spec_error("input 1x8x8; conv 2 3x3x3 relu; code; conv 1 3 linear",
                    "kernel size is not K or KxK");
  expect_spec_error("input 1x8x8; conv 2 x3 relu; code; conv 1 3 linear", "kernel size is not K or KxK");
  expect_spec_error("input 1x8x8; conv 2 3x relu; code; conv 1 3 linear", "kernel size is not K or KxK");
  expect_spec_error("input 1x8x8; conv 2 -3 relu; code; conv 1 3 linear", "kernel size is not K or KxK");
  expect_spec_error("input 1x8x8; conv 2 3.0 relu; code; conv 1 3 linear", "kernel size is not K or KxK");
  expect_spec_error("input 1x8x8; conv 2 0 relu; code; conv 1 3 linear", "kernel sizes go from 1 to 64");
  expect_spec_error("input 1x8x8; conv 2 65x65 relu; code; conv 1 3 linear",
                    "kernel sizes go from 1 to 64");
  expect_spec_error("input 1x8x8; upsample 99999999999999999; code; maxpool 2",
                    "kernel size is not K or KxK");
  /* fixed words */
  expect_spec_error("input 1x8x8; conv 4 3; code; conv 1 3 linear",
                    "spec statement 2 ('conv ...'): expected 'conv F K ACT [stride=S] "
                    "[pad=same|valid|P]'");
  expect_spec_error("input 1x8x8; conv 4 3 relu; code; deconv 1",
                    "expected 'deconv F K ACT [stride=S] [pad=same|valid|P] [outpad=A]'");
  expect_spec_error("input 1x8x8; maxpool; code; upsample 2",
                    "expected 'maxpool K [stride=S] [pad=same|valid]'");
  expect_spec_error("input 1x8x8; maxpool 2; code; upsample", "expected 'upsample K'");
  expect_spec_error("input 1x8x8; maxpool 2; code; upsample 2 stride=2", "expected 'upsample K'");
  expect_spec_error("input 1x8x8; conv 4 3 swish; code; conv 1 3 linear",
                    "spec statement 2 ('conv ...'): unknown activation 'swish'");
  expect_spec_error("input 1x8x8; conv 0 3 relu; code; conv 1 3 linear",
                    "width 0 is not between 1 and 16777216");
  /* keys and values */
  expect_spec_error("input 1x8x8; conv 2 3 relu outpad=1; code; conv 1 3 linear",
                    "with KEY one of l1, kl, kl_weight, contractive, stride, pad");
  expect_spec_error("input 1x8x8; maxpool 2 l1=0.1; code; upsample 2", "with KEY one of stride, pad");
  expect_spec_error("input 1x8x8; conv 2 3 relu stride=0; code; conv 1 3 linear",
                    "stride = 0 is outside [1, 64]");
  expect_spec_error("input 1x8x8; conv 2 3 relu stride=1.5; code; conv 1 3 linear",
                    "stride must be a whole number");
  expect_spec_error("input 1x8x8; conv 2 3 relu pad=-1; code; conv 1 3 linear",
                    "pad (same, valid or rows) = -1 is outside [0, 1024]");
  expect_spec_error("input 1x8x8; conv 2 3 relu pad=full; code; conv 1 3 linear",
                    "pad (same, valid or rows) is not a number");
  expect_spec_error("input 1x8x8; conv 2 3 relu stride=2 stride=2; code; conv 1 3 linear",
                    "stride is given twice");
  /* outpad: below the stride, not with pad=same (given or by default) */
  expect_spec_error("input 1x4x4; conv 2 3 relu; code; deconv 1 3 linear stride=2 pad=1 outpad=2",
                    "spec statement 4 ('deconv ...'): outpad must be smaller than the stride");
  expect_spec_error("input 1x4x4; conv 2 3 relu; code; deconv 1 3 linear pad=valid outpad=1",
                    "outpad must be smaller than the stride");
  expect_spec_error("input 1x4x4; conv 2 3 relu; code; deconv 1 3 linear stride=2 pad=same outpad=1",
                    "outpad goes with pad=valid or pad=P; pad=same sets the size itself");
  expect_spec_error("input 1x4x4; conv 2 3 relu; code; deconv 1 3 linear stride=2 outpad=1",
                    "outpad goes with pad=valid or pad=P");
  /* max pooling pads with -inf, same or valid only */
  expect_spec_error("input 1x4x4; maxpool 2 pad=1; code; upsample 2",
                    "spec statement 2 ('maxpool ...'): maxpool takes pad=same or pad=valid");
  /* KL sparsity needs mean activations in (0, 1) */
  expect_spec_error("input 1x4x4; conv 2 3 relu kl=0.1; code; conv 1 3 linear",
                    "spec statement 2 ('conv ...'): kl sparsity needs a sigmoid layer");
  expect_spec_error("input 1x4x4; conv 2 3 sigmoid; code; deconv 1 3 tanh kl=0.1",
                    "kl sparsity needs a sigmoid layer");
}

/* Where conv statements may go, and what does not combine with them. */
static void test_conv_error_placement(void **state) {
  (void)state;
  expect_spec_error("input 1x4x4; conv 2 3 tanh; code 3 linear; mirror sigmoid",
                    "spec statement 4 ('mirror ...'): 'mirror' mirrors dense encoders; write a "
                    "convolutional decoder out");
  expect_spec_error("input 1x4x4; conv 2 3 tanh; code; mirror sigmoid",
                    "'mirror' mirrors dense encoders");
  expect_spec_error("input 1x4x4; maxpool 2; code; mirror sigmoid", "'mirror' mirrors dense encoders");
  expect_spec_error("input 1x4x4; conv 2 3 tanh; code; conv 1 3 linear; tied",
                    "'tied' applies to dense autoencoders only");
  expect_spec_error("input 1x4x4; dense 8 tanh; code 3 linear; dense 8 tanh; reshape 2x2x2; "
                    "upsample 2; conv 1 1 linear; tied",
                    "'tied' applies to dense autoencoders only");
  expect_spec_error("input 1x4x4; code; conv 1 3 linear",
                    "spec statement 2 ('code'): 'code' alone marks the layer before it; there is none");
  expect_spec_error("input 1x4x4; conv 2 3 tanh; code; conv 2 3 tanh; code; conv 1 3 linear",
                    "spec statement 5 ('code'): only one code layer is allowed");
  expect_spec_error("input 1x4x4; conv 2 3 tanh; code 3 linear; code; dense 16 linear",
                    "only one code layer is allowed");
  expect_spec_error("input 1x4x4; conv 2 3 tanh; code; conv 1 3 sigmoid l1=0.1",
                    "penalties attach to hidden layers, not the output layer");
  expect_spec_error("input 1x4x4; conv 2 3 tanh; code; conv 2 3 tanh contractive=0.1; "
                    "conv 1 3 linear",
                    "spec statement 4 ('conv ...'): contractive applies to encoder layers");
  expect_spec_error("input 1x4x4; conv 2 3 tanh contractive=0.1; conv 2 3 tanh contractive=0.1; "
                    "code; conv 1 3 linear",
                    "contractive may be attached to one layer only");
  expect_spec_error("input 1x4x4; conv 2 3 tanh; code; output 1x4x4; conv 1 3 linear",
                    "'output' must come before 'code'");
  expect_spec_error("input 1x4x4; conv 2 3 tanh; noise mask 0.1; code; conv 1 3 linear",
                    "'noise' must come once, before the first layer");
  expect_spec_error("input 1x4x4; conv 2 3 tanh; code", "the spec has no decoder");
  expect_spec_error("input 1x4x4; conv 2 3 tanh; conv 1 3 linear", "the spec has no 'code N ACT' layer");
  expect_spec_error("input 1x4; conv 2 3 tanh; code; conv 1 3 linear",
                    "spec statement 1 ('input ...'): expected N or CxHxW");
  /* pooling and upsampling alone: no parameters (found by fuzz_spec) */
  expect_spec_error("input 1x4x4; maxpool 2; code; upsample 2",
                    "the spec has no layer with weights (dense, code N, gaussian, conv or deconv)");
  expect_spec_error("input 2; maxpool 2; maxpool 2; code; upsample 1",
                    "the spec has no layer with weights");
  ae_model *m = NULL; /* one 1x1 convolution is enough: a weight and a bias */
  assert_ok(ae_model_create(&m, "input 1x4x4; maxpool 2; code; upsample 2; conv 1 1 linear", 7));
  assert_int_equal(ae_param_count(m), 2);
  ae_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_minimal),
      cmocka_unit_test(test_every_activation),
      cmocka_unit_test(test_layout_comments_newlines_spaces),
      cmocka_unit_test(test_mirror_is_expanded),
      cmocka_unit_test(test_output_width),
      cmocka_unit_test(test_width_limits),
      cmocka_unit_test(test_error_too_many_params),
      cmocka_unit_test(test_error_empty),
      cmocka_unit_test(test_error_input),
      cmocka_unit_test(test_error_widths),
      cmocka_unit_test(test_error_activation),
      cmocka_unit_test(test_error_statement),
      cmocka_unit_test(test_error_code_layer),
      cmocka_unit_test(test_error_decoder_width),
      cmocka_unit_test(test_error_mirror),
      cmocka_unit_test(test_error_output_placement),
      cmocka_unit_test(test_error_word_counts),
      cmocka_unit_test(test_error_too_many_layers),
      cmocka_unit_test(test_null_arguments),
      cmocka_unit_test(test_success_clears_message),
      cmocka_unit_test(test_penalty_attributes),
      cmocka_unit_test(test_noise_statement),
      cmocka_unit_test(test_tied_statement),
      cmocka_unit_test(test_error_values),
      cmocka_unit_test(test_error_placement),
      cmocka_unit_test(test_error_tied_shape),
      cmocka_unit_test(test_conv_canonical_text),
      cmocka_unit_test(test_conv_error_shapes),
      cmocka_unit_test(test_conv_error_words),
      cmocka_unit_test(test_conv_error_placement),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
