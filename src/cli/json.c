/* json.c -- the JSON writer. */
#include "json.h"

#include <math.h>

static void put_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
    else if (*p == '\n') fputs("\\n", out);
    else if (*p == '\t') fputs("\\t", out);
    else if (*p < 0x20) fprintf(out, "\\u%04x", *p);
    else fputc(*p, out);
  }
  fputc('"', out);
}

/* The separator and key before a value. */
static void member(json *j, const char *key) {
  if (j->count[j->depth]++ > 0) fputs(", ", j->out);
  if (key) {
    put_string(j->out, key);
    fputs(": ", j->out);
  }
}

static void begin_container(json *j, const char *key, char bracket) {
  member(j, key);
  fputc(bracket, j->out);
  if (j->depth + 1 < JSON_MAX_DEPTH) j->depth++;
  j->count[j->depth] = 0;
}

static void end_container(json *j, char bracket) {
  fputc(bracket, j->out);
  if (j->depth > 0) j->depth--;
}

void json_begin(json *j, FILE *out) {
  j->out = out;
  j->depth = 0;
  j->count[0] = 0;
  fputc('{', out);
  j->depth = 1;
  j->count[1] = 0;
}

void json_end(json *j) {
  fputs("}\n", j->out);
  fflush(j->out);
}

void json_object(json *j, const char *key) { begin_container(j, key, '{'); }
void json_object_end(json *j) { end_container(j, '}'); }
void json_array(json *j, const char *key) { begin_container(j, key, '['); }
void json_array_end(json *j) { end_container(j, ']'); }

void json_string(json *j, const char *key, const char *value) {
  member(j, key);
  put_string(j->out, value);
}

void json_number(json *j, const char *key, double value) {
  member(j, key);
  if (isfinite(value)) fprintf(j->out, "%.9g", value);
  else fputs("null", j->out);
}

void json_int(json *j, const char *key, int64_t value) {
  member(j, key);
  fprintf(j->out, "%lld", (long long)value);
}

void json_bool(json *j, const char *key, int value) {
  member(j, key);
  fputs(value ? "true" : "false", j->out);
}
