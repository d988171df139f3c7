/* json.h -- a small JSON writer for the --json summaries: objects, arrays,
 * strings, numbers (NaN and infinities as null). */
#ifndef AE_CLI_JSON_H
#define AE_CLI_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

typedef struct json {
  FILE *out;
  int depth;
  int count[JSON_MAX_DEPTH]; /* members written at each level */
} json;

/* Starts the top-level object. */
void json_begin(json *j, FILE *out);
/* Ends the top-level object and the line. */
void json_end(json *j);

/* In an object, `key` names the member; in an array pass NULL. */
void json_object(json *j, const char *key);
void json_object_end(json *j);
void json_array(json *j, const char *key);
void json_array_end(json *j);
void json_string(json *j, const char *key, const char *value);
void json_number(json *j, const char *key, double value);
void json_int(json *j, const char *key, int64_t value);
void json_bool(json *j, const char *key, int value);

#endif
