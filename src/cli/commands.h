/* commands.h -- the subcommands of `ae`. Each takes its own argv (argv[0] is
 * the command's name) and returns the exit code (msg.h). */
#ifndef AE_CLI_COMMANDS_H
#define AE_CLI_COMMANDS_H

int cmd_train(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_reconstruct(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_info(int argc, char **argv);

#endif
