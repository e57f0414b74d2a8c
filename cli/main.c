/*
 * main.c - fleetsim command line: dispatches to a subcommand. Parsing and
 * printing only; all work is done by the library.
 */
#include "cli.h"

#include <gsl/gsl_errno.h>
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

int main(int argc, char **argv)
{
	/* Library code checks every GSL status; never let GSL abort the process. */
	gsl_set_error_handler_off();

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("fleetsim %s\n", FLEETSIM_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "check") == 0)
		return fs_cli_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") == 0)
		return fs_cli_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "replay") == 0)
		return fs_cli_replay(argc - 1, argv + 1);
	if (strcmp(argv[1], "runs") == 0)
		return fs_cli_runs(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return fs_cli_show(argc - 1, argv + 1);
	if (strcmp(argv[1], "outgrow") == 0 || strcmp(argv[1], "analysis") == 0)
		return argv[1][0] == 'o' ? fs_cli_outgrow(argc - 1, argv + 1)
					 : fs_cli_analysis(argc - 1, argv + 1);
	if (strcmp(argv[1], "sweep") == 0 || strcmp(argv[1], "merge") == 0)
		return (argv[1][0] == 's' ? fs_cli_sweep : fs_cli_merge)(argc - 1, argv + 1);
	if (strcmp(argv[1], "report") == 0 || strcmp(argv[1], "compare") == 0)
		return (argv[1][0] == 'r' ? fs_cli_report_cmd : fs_cli_compare)(argc - 1, argv + 1);
	if (strcmp(argv[1], "estimate") == 0 || strcmp(argv[1], "validate") == 0) {
		int est = argv[1][0] == 'e';
		if (argc >= 3 && strcmp(argv[2], "train") == 0)
			return est ? fs_cli_estimate_train(argc - 2, argv + 2)
				   : fs_cli_validate_train(argc - 2, argv + 2);
		if (argc >= 3 && strcmp(argv[2], "serve") == 0)
			return est ? fs_cli_estimate_serve(argc - 2, argv + 2)
				   : fs_cli_validate_serve(argc - 2, argv + 2);
		if (argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
			printf("usage: fleetsim %s train|serve [options]; see 'fleetsim %s train --help'\n",
			       argv[1], argv[1]);
			return 0;
		}
		fprintf(stderr, "fleetsim %s: expected 'train' or 'serve'\n", argv[1]);
		return 2;
	}
	fprintf(stderr, "fleetsim: unknown command '%s'\n\n%s", argv[1], usage);
	return 2;
}
