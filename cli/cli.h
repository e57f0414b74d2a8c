/*
 * cli.h - the command-line subcommands. Each parses its own arguments,
 * calls the library, prints, and returns the process exit code:
 * 0 ok, 1 simulation or database failure, 2 bad input (usage or scenario).
 */
#ifndef FLEETSIM_CLI_H
#define FLEETSIM_CLI_H

#include <stdio.h>

#include "fleetsim/emit.h"
#include "fleetsim/error.h"
#include "fleetsim/opt.h"

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

/* The output formats every command offers (the emitter's registry), for FS_OPT_ENUM. */
extern const char *const fs_cli_format_names[];

/* The --format row shared by every command that prints rows. */
#define FS_CLI_OPT_FORMAT                                                                        \
	{ .name = "format", .type = FS_OPT_ENUM, .metavar = "F", .choices = fs_cli_format_names,   \
	  .def = "table", .help = "output format" }

/*
 * Parses argv with the command's option table (opt.h); on bad input prints
 * the usage error naming the option and returns 2, else 0.
 */
int fs_cli_parse(const char *cmd, const struct fs_opt *opts, int n_opts, int argc, char **argv,
		 struct fs_opt_val *vals, const char **pos, int max_pos, int *n_pos);

/* Prints head (usage and description), then "options:" generated from the table. */
void fs_cli_help(const char *head, const struct fs_opt *opts, int n_opts);

/* The emitter format chosen by a --format value (table when not given). */
const struct fs_emit_format *fs_cli_format(const struct fs_opt_val *v);

#endif
