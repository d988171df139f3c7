/* report.h -- pieces of the reports that more than one command prints: a
 * model's settings and loss history, as text or JSON. */
#ifndef AE_CLI_REPORT_H
#define AE_CLI_REPORT_H

#include <stdio.h>

#include "ae.h"
#include "json.h"

/* The name of the model's loss ("mse", "bce"). Static storage. */
const char *report_loss_name(const ae_model *model);

/* The unit of the model's losses: "per value" (mean reduction) or "per row"
 * (sum). Static storage. */
const char *report_loss_unit(const ae_model *model);

/* Every training option (the table of modelopts.h), read by ae_get_option. */
void report_options_text(FILE *out, const ae_model *model);
void report_options_json(json *j, const ae_model *model);

/* The loss of every epoch trained (ae_loss_history). */
void report_history_text(FILE *out, const ae_model *model);
void report_history_json(json *j, const ae_model *model);

#endif
