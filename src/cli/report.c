/* report.c -- model settings and history for reports. */
#include "report.h"

#include <math.h>

#include "modelopts.h"

const char *report_loss_name(const ae_model *model) {
  static char name[32];
  double loss = 0;
  ae_get_option(model, AE_OPT_LOSS, &loss);
  int i = modelopt_find_option(AE_OPT_LOSS);
  return i < 0 ? "loss" : modelopt_format((size_t)i, loss, name, sizeof name);
}

const char *report_loss_unit(const ae_model *model) {
  double reduction = AE_REDUCTION_MEAN;
  ae_get_option(model, AE_OPT_LOSS_REDUCTION, &reduction);
  return reduction == AE_REDUCTION_SUM ? "per row" : "per value";
}

void report_options_text(FILE *out, const ae_model *model) {
  for (size_t i = 0; i < modelopt_count(); i++) {
    const modelopt *o = modelopt_at(i);
    double value;
    char text[32];
    if (ae_get_option(model, o->option, &value) != AE_OK) continue; /* not in this libae */
    fprintf(out, "  --%-18s %s\n", o->flag, modelopt_format(i, value, text, sizeof text));
  }
}

void report_options_json(json *j, const ae_model *model) {
  json_object(j, "options");
  for (size_t i = 0; i < modelopt_count(); i++) {
    const modelopt *o = modelopt_at(i);
    double value;
    char text[32];
    if (ae_get_option(model, o->option, &value) != AE_OK) continue;
    if (o->names) json_string(j, o->flag, modelopt_format(i, value, text, sizeof text));
    else json_number(j, o->flag, value);
  }
  json_object_end(j);
}

void report_history_text(FILE *out, const ae_model *model) {
  int64_t epochs = ae_epochs_trained(model);
  fprintf(out, "  %5s  %12s  %12s\n", "epoch", "train loss", "validation");
  for (int64_t e = 1; e <= epochs; e++) {
    double train = NAN, val = NAN;
    if (ae_loss_history(model, e, &train, &val) != AE_OK) break;
    fprintf(out, "  %5lld  %12.6f", (long long)e, train);
    if (isnan(val)) fprintf(out, "  %12s\n", "-");
    else fprintf(out, "  %12.6f\n", val);
  }
}

void report_history_json(json *j, const ae_model *model) {
  int64_t epochs = ae_epochs_trained(model);
  json_array(j, "history");
  for (int64_t e = 1; e <= epochs; e++) {
    double train = NAN, val = NAN;
    if (ae_loss_history(model, e, &train, &val) != AE_OK) break;
    json_object(j, NULL);
    json_int(j, "epoch", e);
    json_number(j, "train_loss", train);
    json_number(j, "validation_loss", val);
    json_object_end(j);
  }
  json_array_end(j);
}
