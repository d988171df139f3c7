/* msg.c -- one-line error messages and exit codes. */
#define AE_CLI_MSG_IMPL /* defines the msg_ functions: no analyzer macros */
#include "msg.h"

#include <stdarg.h>
#include <stdio.h>

static const char *command; /* set once by main before any work */
static char prefix[64];

void msg_set_command(const char *name) { command = name; }

const char *msg_prefix(void) {
  snprintf(prefix, sizeof prefix, "ae%s%s", command ? " " : "", command ? command : "");
  return prefix;
}

static void vprint(const char *tag, const char *fmt, va_list ap) {
  fprintf(stderr, "%s: %s", msg_prefix(), tag);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

int msg_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprint("", fmt, ap);
  va_end(ap);
  return CLI_FAIL;
}

int msg_usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", msg_prefix());
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (see '%s --help')\n", msg_prefix());
  va_end(ap);
  return CLI_USAGE;
}

void msg_warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprint("warning: ", fmt, ap);
  va_end(ap);
}

int msg_ae(ae_status status, const char *context) {
  const char *detail = ae_last_error();
  if (!detail[0]) detail = ae_status_string(status);
  return msg_error("%s: %s", context, detail);
}

int msg_no_memory(const char *what) { return msg_error("out of memory %s", what); }
