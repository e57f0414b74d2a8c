/*
 * cli.h - the command-line subcommands. Each declares its options in one
 * table (opt.h; --help is generated from it), calls the library, prints rows
 * through the emitter (emit.h) and returns the process exit code:
 * 0 ok, 1 simulation or database failure, 2 bad input (usage or scenario).
 * A new option is a row in its command's table; a new output format is a
 * row in emit.c's registry.
 */
#ifndef FLEETSIM_CLI_H
#define FLEETSIM_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fleetsim/emit.h"
#include "fleetsim/error.h"
#include "fleetsim/opt.h"

int fs_cli_check(int argc, char **argv);
int fs_cli_run(int argc, char **argv);
int fs_cli_runs(int argc, char **argv);
int fs_cli_show(int argc, char **argv);
int fs_cli_outgrow(int argc, char **argv);
int fs_cli_analysis(int argc, char **argv);
int fs_cli_report_cmd(int argc, char **argv);   /* report (cmd_report.c) */
int fs_cli_compare(int argc, char **argv);
int fs_cli_estimate_train(int argc, char **argv);
int fs_cli_validate_train(int argc, char **argv);
int fs_cli_estimate_serve(int argc, char **argv);
int fs_cli_validate_serve(int argc, char **argv);
int fs_cli_replay(int argc, char **argv);        /* replay (cmd_replay.c) */
int fs_cli_sweep(int argc, char **argv);         /* sweep (cmd_sweep.c) */
int fs_cli_merge(int argc, char **argv);         /* merge (cmd_sweep.c) */

struct fs_scenario;

/* What `run` and `replay` share once a scenario is loaded (cmd_run.c). */
struct fs_cli_run_args {
	const char *db;
	bool seed_set;
	uint64_t seed;
	const struct fs_emit_format *format;
	double max_job_runs;
	bool progress;
};

/*
 * Simulates every fleet option of sc (loaded; released here), stores the
 * runs under the command line argv and prints the summary. The exit code.
 */
int fs_cli_run_scenario(struct fs_scenario *sc, const struct fs_cli_run_args *a, int argc,
			char **argv);

/* Prints "fleetsim: <formatted error>" to stderr and returns the exit code. */
int fs_cli_report(const struct fs_error *e);

/* Prints a usage error ("fleetsim CMD: msg; see 'fleetsim CMD --help'") and returns 2. */
int fs_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* true when argv holds -h or --help. */
int fs_cli_wants_help(int argc, char **argv);

/* The --format row shared by every command that prints rows: the emitter's registry. */
#define FS_CLI_OPT_FORMAT                                                                        \
	{ .name = "format", .type = FS_OPT_ENUM, .metavar = "F", .choices_of = fs_emit_format_names,   \
	  .def = "table", .help = "output format" }

/*
 * The model rows shared by `estimate train` and `estimate serve`: a catalog
 * model, or a custom shape. The including command's option enum must name
 * O_MODEL, O_LAYERS, O_HIDDEN, O_HEADS, O_KV_HEADS, O_FFN, O_VOCAB, O_PARAMS
 * and O_GATED_FFN.
 */
#define FS_CLI_SHAPE_INT(idx, nm, help_)                                                          \
	[idx] = { .name = nm, .type = FS_OPT_INT, .imin = 1, .imax = 1 << 24, .help = help_ }
#define FS_CLI_OPTS_SHAPE                                                                         \
	[O_MODEL] = { .name = "model", .type = FS_OPT_STRING, .metavar = "NAME",                  \
		      .help = "catalog model (or give a custom shape below)" },                   \
	FS_CLI_SHAPE_INT(O_LAYERS, "layers", "custom shape: transformer layers"),               \
	FS_CLI_SHAPE_INT(O_HIDDEN, "hidden", "custom shape: hidden size"),                      \
	FS_CLI_SHAPE_INT(O_HEADS, "heads", "custom shape: attention heads"),                    \
	FS_CLI_SHAPE_INT(O_KV_HEADS, "kv-heads", "custom shape: key/value heads; default --heads"), \
	FS_CLI_SHAPE_INT(O_FFN, "ffn", "custom shape: feed-forward size; default 4 x --hidden"),  \
	FS_CLI_SHAPE_INT(O_VOCAB, "vocab", "custom shape: vocabulary size"),                    \
	[O_PARAMS] = { .name = "params", .type = FS_OPT_DOUBLE, .metavar = "P", .min_open = true,  \
		       .si_suffix = true,                                                          \
		       .help = "custom shape: total parameters (plain values below 1e6 are billions); "\
			       "default from the shape" },                                         \
	[O_GATED_FFN] = { .name = "gated-ffn", .aliases = "gated", .type = FS_OPT_FLAG,            \
			  .help = "custom shape: gated (SwiGLU) feed-forward" }

/* The columns of a training plan, shared by estimate train and validate train. */
#define FS_CLI_N_PLAN_COLS 9
#define FS_CLI_PLAN_COLS                                                                          \
	{ .name = "tp", .type = FS_EMIT_INT }, { .name = "pp", .type = FS_EMIT_INT },             \
	{ .name = "cp", .type = FS_EMIT_INT }, { .name = "dp", .type = FS_EMIT_INT },             \
	{ .name = "vp", .type = FS_EMIT_INT }, { .name = "micro_batch", .type = FS_EMIT_INT },    \
	{ .name = "global_batch", .type = FS_EMIT_INT }, { .name = "recompute", .type = FS_EMIT_STR }, \
	{ .name = "zero", .type = FS_EMIT_INT }

struct fs_train_plan;

/* Writes the FS_CLI_N_PLAN_COLS values of plan p into out (cmd_train.c). */
void fs_cli_plan_vals(const struct fs_train_plan *p, struct fs_emit_val *out);

/* Billions of parameters from a --params value: plain values below 10^6 are already billions. */
double fs_cli_params_b(double v);

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
