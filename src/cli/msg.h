/* msg.h -- the one place the `ae` program talks to the user about problems:
 * one-line messages on stderr, prefixed by the command ("ae train: ..."), and
 * the exit codes that go with them. */
#ifndef AE_CLI_MSG_H
#define AE_CLI_MSG_H

#include "ae.h"

/* Exit codes of every command. */
enum {
  CLI_OK = 0,    /* done */
  CLI_FAIL = 1,  /* bad input, a library failure, a file that cannot be written */
  CLI_USAGE = 2  /* a command line that cannot be understood */
};

#if defined(__GNUC__)
#  define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#  define CLI_PRINTF(f, a)
#endif

/* Names the running command ("train"), for the message prefix. Borrowed. */
void msg_set_command(const char *name);
/* "ae train" or "ae" before a command is known. Static storage. */
const char *msg_prefix(void);

/* Prints "ae CMD: <message>" on stderr; returns CLI_FAIL. */
int msg_error(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Prints "ae CMD: <message> (see 'ae CMD --help')"; returns CLI_USAGE. */
int msg_usage(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Prints "ae CMD: warning: <message>" on stderr. */
void msg_warn(const char *fmt, ...) CLI_PRINTF(1, 2);
/* For a failed libae call: prints "ae CMD: <context>: <detail>", the detail
 * being ae_last_error() (or the status name when empty), so call it before
 * any other libae call. Returns CLI_FAIL. */
int msg_ae(ae_status status, const char *context);
/* Out of memory while doing `what`; returns CLI_FAIL. */
int msg_no_memory(const char *what);

/* For the static analyzer only (clang-tidy defines __clang_analyzer__): it
 * sees one file at a time and cannot know what these return, so it explores
 * paths where a failure "succeeds"; spelling the result out removes those
 * false reports. Compiled code is unchanged. */
#if defined(__clang_analyzer__) && !defined(AE_CLI_MSG_IMPL)
#define msg_error(...) (msg_error(__VA_ARGS__), CLI_FAIL)
#define msg_usage(...) (msg_usage(__VA_ARGS__), CLI_USAGE)
#define msg_ae(status, context) (msg_ae((status), (context)), CLI_FAIL)
#define msg_no_memory(what) (msg_no_memory(what), CLI_FAIL)
#endif

#endif
