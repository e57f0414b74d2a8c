/*
 * cli.h - the command-line subcommands. Each parses its own arguments,
 * calls the library, prints, and returns the process exit code:
 * 0 ok, 1 simulation or database failure, 2 bad input (usage or scenario).
 */
#ifndef FLEETSIM_CLI_H
#define FLEETSIM_CLI_H

#include <stdio.h>

#include "fleetsim/error.h"

int fs_cli_check(int argc, char **argv);
int fs_cli_run(int argc, char **argv);
int fs_cli_runs(int argc, char **argv);
int fs_cli_show(int argc, char **argv);
int fs_cli_estimate_train(int argc, char **argv);
int fs_cli_validate_train(int argc, char **argv);
int fs_cli_estimate_serve(int argc, char **argv);
int fs_cli_validate_serve(int argc, char **argv);

/* Prints "fleetsim: <formatted error>" to stderr and returns the exit code. */
int fs_cli_report(const struct fs_error *e);

/* Prints a usage error ("fleetsim CMD: msg; see 'fleetsim CMD --help'") and returns 2. */
int fs_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* true when argv holds -h or --help. */
int fs_cli_wants_help(int argc, char **argv);

#endif
