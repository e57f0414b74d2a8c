/*
 * main.c - fleetsim command line: dispatches to a subcommand. Parsing and
 * printing only; all work is done by the library.
 */
#include "cli.h"

#include "fleetsim/dispatch.h"

#include <gsl/gsl_errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <string.h>

static const char usage[] =
	"usage: fleetsim <command> [options]\n"
	"\n"
	"commands:\n"
	"  check SCENARIO                 validate a scenario file and print what was understood\n"
	"  run SCENARIO [--db PATH] [--seed N]\n"
	"                                 simulate every fleet option, store the runs, print a summary\n"
	"  replay HISTORY --fleet GPU:N [--fleet ...] [--scheduler NAME] [--scale K]\n"
	"                                 re-run a job history (CSV, Slurm) on other fleets\n"
	"  runs [--db PATH]               list the stored runs\n"
	"  show RUN [--db PATH]           print one stored run's summary\n"
	"  outgrow SCENARIO [--db PATH] [--replications R] [--jobs J] [--month M]\n"
	"                                 when and at what demand each fleet option fails its criteria\n"
	"                                 (J worker processes; or mpirun -n P fleetsim outgrow ...)\n"
	"  analysis ID [--db PATH]        print a stored outgrow analysis\n"
	"  sweep SWEEP [--db PATH] [--jobs J] [--shard K/N]\n"
	"                                 run a sweep file's items (or a shard); merge OUT.db PART.db...\n"
	"  report RUN|analysis:ID --out DIR [--db PATH]\n"
	"                                 text, CSV, charts and an offline HTML page from the database\n"
	"  compare RUN_A RUN_B [--db PATH] two runs side by side: differences, which is better\n"
	"  estimate train ...             training step time, memory and plan for one job\n"
	"  estimate serve ...             serving latency, throughput and capacity of one replica\n"
	"  validate train|serve           model against the published calibration measurements\n"
	"\n"
	"Every command takes --help. Exit codes: 0 ok, 1 simulation or database failure,\n"
	"2 bad input (usage or scenario).\n";

int fs_cli_report(const struct fs_error *e)
{
	char buf[2048];

	fs_error_format(e, buf, sizeof(buf));
	fprintf(stderr, "fleetsim: %s\n", buf);
	return fs_status_exit_code(e->code);
}

int fs_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fleetsim %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see 'fleetsim %s --help'\n", cmd);
	return 2;
}

int fs_cli_wants_help(int argc, char **argv)
{
	return fs_opt_wants_help(argc, argv);
}

int fs_cli_parse(const char *cmd, const struct fs_opt *opts, int n_opts, int argc, char **argv,
		 struct fs_opt_val *vals, const char **pos, int max_pos, int *n_pos)
{
	struct fs_error e;

	fs_error_clear(&e);
	if (fs_opt_parse(opts, n_opts, argc, argv, vals, pos, max_pos, n_pos, &e))
		return fs_cli_usage_error(cmd, "%s", e.msg);
	return 0;
}

void fs_cli_help(const char *head, const struct fs_opt *opts, int n_opts)
{
	fputs(head, stdout);
	if (n_opts == 0)
		return;
	fputs("\noptions:\n", stdout);
	fs_opt_help(stdout, opts, n_opts);
}

double fs_cli_params_b(double v)
{
	return v < 1e6 ? v : v / 1e9;
}

const struct fs_emit_format *fs_cli_format(const struct fs_opt_val *v)
{
	const struct fs_emit_format *f = fs_emit_format_find(v->set ? v->s : "table");

	return f ? f : fs_emit_format_find("table");
}

/* `estimate train|serve` and `validate train|serve`. */
static int estimate_or_validate(int argc, char **argv)
{
	int est = argv[0][0] == 'e';

	if (argc >= 2 && strcmp(argv[1], "train") == 0)
		return est ? fs_cli_estimate_train(argc - 1, argv + 1)
			   : fs_cli_validate_train(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return est ? fs_cli_estimate_serve(argc - 1, argv + 1)
			   : fs_cli_validate_serve(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: fleetsim %s train|serve [options]; see 'fleetsim %s train --help'\n",
		       argv[0], argv[0]);
		return 0;
	}
	fprintf(stderr, "fleetsim %s: expected 'train' or 'serve'\n", argv[0]);
	return 2;
}

/*
 * The commands. `mpi`: the command hands its work to the dispatcher
 * (dispatch.h), so under mpirun every rank runs it (rank 0 writes, the others
 * work); every other command runs on rank 0 alone and the other ranks exit 0
 * at once, so that no two ranks write one database or print twice.
 */
static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	bool mpi;
} commands[] = {
	{ "check", fs_cli_check, false },
	{ "run", fs_cli_run, false },
	{ "replay", fs_cli_replay, false },
	{ "runs", fs_cli_runs, false },
	{ "show", fs_cli_show, false },
	{ "outgrow", fs_cli_outgrow, true },
	{ "analysis", fs_cli_analysis, false },
	{ "report", fs_cli_report_cmd, false },
	{ "compare", fs_cli_compare, false },
	{ "sweep", fs_cli_sweep, true },
	{ "merge", fs_cli_merge, false },
	{ "estimate", estimate_or_validate, false },
	{ "validate", estimate_or_validate, false },
};

static int run_command(int argc, char **argv, bool *mpi)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("fleetsim %s\n", FLEETSIM_VERSION);
		return 0;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (strcmp(argv[1], commands[k].name) != 0)
			continue;
		*mpi = commands[k].mpi;
		if (fs_dispatch_rank() != 0 && !commands[k].mpi)
			return 0;
		return commands[k].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "fleetsim: unknown command '%s'\n\n%s", argv[1], usage);
	return 2;
}

int main(int argc, char **argv)
{
	bool mpi = false;
	int rc;

	/* Library code checks every GSL status; never let GSL abort the process. */
	gsl_set_error_handler_off();
	fs_dispatch_init(&argc, &argv);
	/* MPI worker ranks never print: rank 0 reports for the job */
	if (fs_dispatch_rank() != 0 && (!freopen("/dev/null", "w", stdout) ||
					 !freopen("/dev/null", "w", stderr)))
		rc = 1;
	else
		rc = run_command(argc, argv, &mpi);
	/* a rank failing a command that every rank runs ends the job, so that no
	 * rank waits for it in the dispatcher */
	if (rc && mpi)
		fs_dispatch_abort(rc);
	fs_dispatch_finalize();
	return rc;
}
