/* main.c -- `ae`, the command-line program of libae: dispatches to the
 * subcommands, and answers --help and --version. Built on include/ae.h alone. */
#include <stdio.h>
#include <string.h>

#include "ae.h"
#include "args.h"
#include "commands.h"
#include "msg.h"

typedef struct command_entry {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command_entry;

static const command_entry commands[] = {
    {"train", cmd_train, "train an autoencoder on data (default: Fashion-MNIST); save the model"},
    {"encode", cmd_encode, "data in, codes out"},
    {"decode", cmd_decode, "codes in, model outputs out"},
    {"reconstruct", cmd_reconstruct, "data in, reconstructions out"},
    {"score", cmd_score, "anomaly scores, thresholds, flags and ROC AUC"},
    {"sample", cmd_sample, "new rows drawn from a variational model"},
    {"info", cmd_info, "what a model file holds: architecture, options, loss history"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_usage(FILE *out) {
  fprintf(out, "usage: ae COMMAND [ARGS] [options]\n\n"
               "Autoencoders from the command line, on libae %s.\n\nCommands:\n",
          ae_version_string());
  for (size_t i = 0; i < N_COMMANDS; i++) args_print_option(out, commands[i].name, commands[i].summary);
  fprintf(out, "\n'ae COMMAND --help' lists a command's options. Data files are .npy (float32,\n"
               "float64, uint8), IDX (plain or .gz) or CSV; outputs are .npy or CSV.\n"
               "Exit status: 0 done, 1 failed, 2 bad command line. See docs/CLI.md.\n"
               "\nOptions:\n");
  args_print_option(out, "-h, --help", "show this help");
  args_print_option(out, "--version", "show the versions of ae and libae");
}

static int print_version(void) {
  printf("ae %d.%d.%d (libae %s)\n", AE_VERSION_MAJOR, AE_VERSION_MINOR, AE_VERSION_PATCH,
         ae_version_string());
  if (ae_version() != AE_VERSION_NUMBER) {
    msg_warn("built with libae %d.%d.%d headers but running with libae %s", AE_VERSION_MAJOR,
             AE_VERSION_MINOR, AE_VERSION_PATCH, ae_version_string());
  }
  return CLI_OK;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_usage(stderr);
    return CLI_USAGE;
  }
  const char *name = argv[1];
  if (!strcmp(name, "--help") || !strcmp(name, "-h") || (!strcmp(name, "help") && argc == 2)) {
    print_usage(stdout);
    return CLI_OK;
  }
  if (!strcmp(name, "--version")) return print_version();
  if (!strcmp(name, "help") && argc > 2) { /* "ae help train" is "ae train --help" */
    name = argv[2];
    char help_flag[] = "--help";
    char *help_argv[] = {argv[2], help_flag, NULL};
    for (size_t i = 0; i < N_COMMANDS; i++) {
      if (!strcmp(commands[i].name, name)) {
        msg_set_command(commands[i].name);
        return commands[i].run(2, help_argv);
      }
    }
  }
  for (size_t i = 0; i < N_COMMANDS; i++) {
    if (!strcmp(commands[i].name, name)) {
      msg_set_command(commands[i].name);
      return commands[i].run(argc - 1, argv + 1);
    }
  }
  if (name[0] == '-') return msg_usage("unknown option '%s' (options go after the command)", name);
  char known[256] = "";
  for (size_t i = 0; i < N_COMMANDS; i++) {
    strncat(known, commands[i].name, sizeof known - strlen(known) - 1);
    if (i + 1 < N_COMMANDS) strncat(known, ", ", sizeof known - strlen(known) - 1);
  }
  return msg_usage("unknown command '%s' (%s)", name, known);
}
