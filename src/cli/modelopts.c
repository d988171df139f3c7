/* modelopts.c -- command-line flags for the library's training options. */
#include "modelopts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "msg.h"

static const modelopt_name optimizers[] = {
    {"sgd", AE_OPTIMIZER_SGD}, {"adam", AE_OPTIMIZER_ADAM}, {NULL, 0}};
static const modelopt_name losses[] = {{"mse", AE_LOSS_MSE}, {"bce", AE_LOSS_BCE}, {NULL, 0}};
static const modelopt_name reductions[] = {
    {"mean", AE_REDUCTION_MEAN}, {"sum", AE_REDUCTION_SUM}, {NULL, 0}};

/* One line per AE_OPT_*, in the order of ae.h. */
static const modelopt table[] = {
    {"epochs", AE_OPT_EPOCHS, "N", "passes over the training data", NULL},
    {"batch-size", AE_OPT_BATCH_SIZE, "N", "samples per optimizer step", NULL},
    {"shuffle", AE_OPT_SHUFFLE, "0|1", "reshuffle the training rows every epoch", NULL},
    {"validation-split", AE_OPT_VALIDATION_SPLIT, "F",
     "fraction of the training rows held out to measure a validation loss after every epoch",
     NULL},
    {"patience", AE_OPT_PATIENCE, "N",
     "early stopping: stop after N epochs without a better validation loss and keep the best "
     "weights (needs --validation-split); 0 = off",
     NULL},
    {"progress-every", AE_OPT_PROGRESS_EVERY, "N",
     "update the progress display every N steps as well as at each epoch's end; without this "
     "flag ae asks for about 50 updates per epoch (0: epoch ends only)",
     NULL},
    {"optimizer", AE_OPT_OPTIMIZER, "NAME", "adam, or sgd (with momentum)", optimizers},
    {"lr", AE_OPT_LEARNING_RATE, "X", "learning rate", NULL},
    {"momentum", AE_OPT_MOMENTUM, "X", "SGD momentum", NULL},
    {"beta1", AE_OPT_ADAM_BETA1, "X", "Adam's first-moment decay", NULL},
    {"beta2", AE_OPT_ADAM_BETA2, "X", "Adam's second-moment decay", NULL},
    {"adam-epsilon", AE_OPT_ADAM_EPSILON, "X", "Adam's epsilon", NULL},
    {"loss", AE_OPT_LOSS, "NAME",
     "reconstruction loss, per value: mse, or bce (binary cross-entropy; data in [0, 1])",
     losses},
    {"loss-reduction", AE_OPT_LOSS_REDUCTION, "NAME",
     "mean: losses per value (as PyTorch's default); sum: per row, the unit of the sparse, "
     "contractive and variational literature (a variational model's default)",
     reductions},
    {"l2", AE_OPT_L2, "X", "L2 weight decay: adds X/2 * sum(W^2) over the weights to the loss",
     NULL},
};

#define N_TABLE (sizeof table / sizeof table[0])
_Static_assert(N_TABLE <= MODELOPT_MAX, "raise MODELOPT_MAX");

size_t modelopt_count(void) { return N_TABLE; }

const modelopt *modelopt_at(size_t i) { return &table[i]; }

int modelopt_find(const char *flag) {
  for (size_t i = 0; i < N_TABLE; i++) {
    if (!strcmp(table[i].flag, flag)) return (int)i;
  }
  return -1;
}

int modelopt_find_option(ae_option option) {
  for (size_t i = 0; i < N_TABLE; i++) {
    if (table[i].option == option) return (int)i;
  }
  return -1;
}

int modelopt_parse(size_t i, const char *text, double *value) {
  const modelopt *o = &table[i];
  if (o->names) {
    for (const modelopt_name *n = o->names; n->name; n++) {
      if (!strcmp(n->name, text)) {
        *value = n->value;
        return CLI_OK;
      }
    }
    char names[128] = "";
    for (const modelopt_name *n = o->names; n->name; n++) {
      strncat(names, n->name, sizeof names - strlen(names) - 1);
      if (n[1].name) strncat(names, ", ", sizeof names - strlen(names) - 1);
    }
    return msg_usage("--%s: '%s' is not one of %s", o->flag, text, names);
  }
  char *end;
  double v = strtod(text, &end);
  if (end == text || *end || !isfinite(v)) {
    return msg_usage("--%s: '%s' is not a number", o->flag, text);
  }
  *value = v;
  return CLI_OK;
}

int modelopt_apply(ae_model *model, const modelopt_values *values) {
  for (size_t i = 0; i < N_TABLE; i++) {
    if (!values->given[i]) continue;
    ae_status st = ae_set_option(model, table[i].option, values->value[i]);
    if (st == AE_OK) continue;
    char text[32];
    modelopt_format(i, values->value[i], text, sizeof text);
    char context[64];
    snprintf(context, sizeof context, "--%s %s", table[i].flag, text);
    msg_ae(st, context);
    return st == AE_ERR_INVALID_ARGUMENT ? CLI_USAGE : CLI_FAIL;
  }
  return CLI_OK;
}

const char *modelopt_format(size_t i, double value, char *buf, size_t size) {
  if (table[i].names) {
    for (const modelopt_name *n = table[i].names; n->name; n++) {
      if (n->value == value) {
        snprintf(buf, size, "%s", n->name);
        return buf;
      }
    }
  }
  snprintf(buf, size, "%.10g", value);
  return buf;
}

void modelopt_help(FILE *out) {
  fprintf(out, "\nTraining options (saved in the model; `ae info` shows them):\n");
  for (size_t i = 0; i < N_TABLE; i++) {
    const modelopt *o = &table[i];
    double lo, hi, def;
    char names[64], help[512], value[32];
    snprintf(names, sizeof names, "--%s %s", o->flag, o->metavar);
    if (ae_option_bounds(o->option, &lo, &hi, &def) != AE_OK) {
      snprintf(help, sizeof help, "%s", o->help); /* an option this libae lacks */
    } else if (o->names) {
      snprintf(help, sizeof help, "%s (default %s)", o->help,
               modelopt_format(i, def, value, sizeof value));
    } else {
      snprintf(help, sizeof help, "%s (default %.10g; %.10g to %.10g)", o->help, def, lo, hi);
    }
    args_print_option(out, names, help);
  }
}
