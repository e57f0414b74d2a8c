/*
 * cmd_replay.c - `fleetsim replay HISTORY --fleet GPU:N ...`: a scenario
 * built in memory from a history and fleet options, then run like `run`.
 */
#include "cli.h"

#include "fleetsim/builtin.h"
#include "fleetsim/history.h"
#include "fleetsim/scenario.h"
#include "fleetsim/sched.h"
#include "fleetsim/util.h"
#include "fleetsim/workload.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FLEETS 16

static const char *const history_formats[] = { "csv", "slurm", NULL };

static const struct fs_opt replay_opts[] = {
	{ .name = "fleet", .type = FS_OPT_STRING, .metavar = "GPU:N",
	  .help = "a fleet option of N GPUs of catalog type GPU in nodes of its gpus_per_node; "
		  "repeat for more (at least one)" },
	{ .name = "scheduler", .type = FS_OPT_STRING, .metavar = "NAME", .def = "fifo",
	  .help = "scheduling policy" },
	{ .name = "scale", .type = FS_OPT_DOUBLE, .metavar = "K", .dmin = 0, .min_open = true,
	  .dmax = 100, .def = "1",
	  .help = "arrivals x K: K < 1 thins, K > 1 replicates (seeded; docs/REPLAY.md)" },
	{ .name = "format", .type = FS_OPT_ENUM, .metavar = "F", .choices = history_formats,
	  .def = "csv", .help = "history format" },
	{ .name = "db", .type = FS_OPT_STRING, .metavar = "PATH", .def = "output/fleetsim.db",
	  .help = "results database" },
	{ .name = "seed", .type = FS_OPT_INT, .imin = 0, .imax = INT64_MAX, .def = "1",
	  .help = "master seed (scale draws, failures)" },
	{ .name = "skip-bad-rows", .type = FS_OPT_FLAG,
	  .help = "skip bad rows (counted, printed, stored) instead of refusing the history" },
	{ .name = "output", .type = FS_OPT_STRING, .metavar = "F", .def = "table",
	  .help = "output format of the summary (table, csv, json)" },
};
enum { P_FLEET, P_SCHED, P_SCALE, P_FORMAT, P_DB, P_SEED, P_SKIP, P_OUTPUT, N_REPLAY_OPTS };

static const char replay_help[] =
	"usage: fleetsim replay HISTORY --fleet GPU:N [--fleet GPU:N ...] [options]\n"
	"\n"
	"Re-runs a measured job history (plain CSV or a Slurm sacct --parsable2 export,\n"
	"docs/REPLAY.md) on each fleet option: a job whose model and tokens are known\n"
	"takes the training model's time on the fleet's GPU, any other its measured\n"
	"duration x the catalog's per-generation ratio (durations without a gpu_type are\n"
	"taken as measured on " FS_HISTORY_DEFAULT_GPU "). The horizon is the history's span.\n"
	"Stores every run like 'fleetsim run'.\n";

/* Appends s to the libconfig string being built, escaped; false when it does not fit. */
static bool put_quoted(char *buf, size_t n, size_t *o, const char *s)
{
	if (*o + 1 >= n)
		return false;
	buf[(*o)++] = '"';
	for (; *s; s++) {
		if (*o + 3 >= n)
			return false;
		if (*s == '"' || *s == '\\')
			buf[(*o)++] = '\\';
		buf[(*o)++] = *s;
	}
	buf[(*o)++] = '"';
	buf[*o] = '\0';
	return true;
}

static bool put(char *buf, size_t n, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool put(char *buf, size_t n, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(buf + *o, n - *o, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= n - *o)
		return false;
	*o += (size_t)w;
	return true;
}

/* Takes every --fleet out of argv (into fleets) so the table parser sees one at most. */
static int take_fleets(int argc, char **argv, char **rest, int *n_rest, const char **fleets,
		       int *n_fleets)
{
	*n_rest = 0;
	*n_fleets = 0;
	for (int i = 0; i < argc; i++) {
		const char *v = NULL;
		if (i > 0 && strcmp(argv[i], "--fleet") == 0) {
			if (i + 1 >= argc)
				return fs_cli_usage_error("replay", "--fleet needs GPU:N");
			v = argv[++i];
		} else if (i > 0 && strncmp(argv[i], "--fleet=", 8) == 0) {
			v = argv[i] + 8;
		}
		if (!v) {
			rest[(*n_rest)++] = argv[i];
			continue;
		}
		if (*n_fleets == MAX_FLEETS)
			return fs_cli_usage_error("replay", "more than %d --fleet options", MAX_FLEETS);
		fleets[(*n_fleets)++] = v;
	}
	return 0;
}

/* "GPU:N" against the built-in catalog: the name, GPUs and nodes. */
static int parse_fleet(const char *arg, const struct fs_catalog *cat, char *gpu, size_t gn,
		       long *nodes)
{
	const char *colon = strrchr(arg, ':');
	const struct fs_gpu *g;
	char *end;
	long n;

	if (!colon || colon == arg || (size_t)(colon - arg) >= gn)
		return fs_cli_usage_error("replay", "--fleet '%s'; expected GPU:N", arg);
	memcpy(gpu, arg, (size_t)(colon - arg));
	gpu[colon - arg] = '\0';
	errno = 0;
	n = strtol(colon + 1, &end, 10);
	if (errno || *end || n < 1 || n > 10000000)
		return fs_cli_usage_error("replay", "--fleet '%s': N '%s'; expected GPUs from 1 to "
					  "10,000,000", arg, colon + 1);
	if (!(g = fs_catalog_gpu(cat, gpu)))
		return fs_cli_usage_error("replay", "--fleet '%s': no GPU '%s' in the catalog", arg,
					  gpu);
	if (n % g->gpus_per_node)
		return fs_cli_usage_error("replay", "--fleet '%s': %ld GPUs are not whole nodes of %d; "
					  "expected a multiple of %d", arg, n, g->gpus_per_node,
					  g->gpus_per_node);
	fs_strlcpy(gpu, g->name, gn);
	*nodes = n / g->gpus_per_node;
	return 0;
}

int fs_cli_replay(int argc, char **argv)
{
	struct fs_opt_val vals[N_REPLAY_OPTS];
	const char *hist = NULL, *fleets[MAX_FLEETS];
	char **rest = NULL, *text = NULL, abs[4096];
	struct fs_catalog cat;
	struct fs_scenario sc;
	struct fs_error e;
	struct fs_cli_run_args a;
	const struct fs_emit_format *fmt;
	size_t cap = 8192 + MAX_FLEETS * 256 + sizeof(abs) * 2, o = 0;
	int n_rest, n_fleets, n_pos = 0, rc;
	bool ok;

	fs_error_clear(&e);
	fs_catalog_init(&cat);
	if (fs_cli_wants_help(argc, argv)) {
		fs_cli_help(replay_help, replay_opts, N_REPLAY_OPTS);
		return 0;
	}
	if (!(rest = calloc((size_t)argc + 1, sizeof(*rest))) || !(text = malloc(cap))) {
		fs_error_set(&e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		rc = fs_cli_report(&e);
		goto out;
	}
	if ((rc = take_fleets(argc, argv, rest, &n_rest, fleets, &n_fleets)) ||
	    (rc = fs_cli_parse("replay", replay_opts, N_REPLAY_OPTS, n_rest, rest, vals, &hist, 1,
			       &n_pos)))
		goto out;
	if (n_pos == 0) {
		rc = fs_cli_usage_error("replay", "missing history file");
		goto out;
	}
	if (n_fleets == 0) {
		rc = fs_cli_usage_error("replay", "missing --fleet GPU:N");
		goto out;
	}
	if (!(fmt = fs_emit_format_find(vals[P_OUTPUT].set ? vals[P_OUTPUT].s : "table"))) {
		rc = fs_cli_usage_error("replay", "--output '%s'; expected table, csv or json",
					vals[P_OUTPUT].s);
		goto out;
	}
	if (vals[P_SCHED].set && !fs_sched_find(vals[P_SCHED].s)) {
		char known[256];
		rc = fs_cli_usage_error("replay", "--scheduler '%s'; expected one of %s",
					vals[P_SCHED].s, fs_sched_names(known, sizeof(known)));
		goto out;
	}
	if (fs_catalog_load_builtin(&cat, &e)) {
		rc = fs_cli_report(&e);
		goto out;
	}
	/* the history is named relative to the working directory, the scenario has none */
	if (hist[0] == '/' || !getcwd(abs, sizeof(abs) - strlen(hist) - 2))
		fs_strlcpy(abs, hist, sizeof(abs));
	else
		strcat(strcat(abs, "/"), hist);
	/* horizon: a placeholder, replaced below by the history's span */
	ok = put(text, cap, &o, "name = \"replay\";\nseed = %lld;\nhorizon_days = 1;\n"
		 "train_model = \"first_order\";\nscheduler = \"%s\";\nfleets = (\n",
		 vals[P_SEED].set ? vals[P_SEED].i : 1LL,
		 vals[P_SCHED].set ? vals[P_SCHED].s : fs_sched_default()->name);
	for (int f = 0; ok && f < n_fleets; f++) {
		char gpu[FS_NAME_MAX];
		long nodes = 0;
		if ((rc = parse_fleet(fleets[f], &cat, gpu, sizeof(gpu), &nodes)))
			goto out;
		ok = put(text, cap, &o, "  { name = \"%s x %ld\"; gpu = \"%s\"; nodes = %ld; }%s\n",
			 gpu, nodes * fs_catalog_gpu(&cat, gpu)->gpus_per_node, gpu, nodes,
			 f + 1 < n_fleets ? "," : "");
	}
	ok = ok && put(text, cap, &o, ");\ntraining = { history = { file = ") &&
	     put_quoted(text, cap, &o, abs) &&
	     put(text, cap, &o, "; format = \"%s\"; skip_bad_rows = %s; scale = %.17g; }; };\n",
		 vals[P_FORMAT].set ? vals[P_FORMAT].s : "csv", vals[P_SKIP].set ? "true" : "false",
		 vals[P_SCALE].set ? vals[P_SCALE].d : 1.0);
	if (!ok) {
		rc = fs_cli_usage_error("replay", "the history path is too long");
		goto out;
	}
	if (fs_scenario_load_text(text, "replay", &sc, &e)) {
		rc = fs_cli_report(&e);
		goto out;
	}
	/* the history's span, whole series intervals */
	sc.horizon_s = fmax(sc.series_interval_s,
			    ceil(sc.history->span_s / sc.series_interval_s) * sc.series_interval_s);
	a = (struct fs_cli_run_args){ .db = vals[P_DB].set ? vals[P_DB].s : "output/fleetsim.db",
				      .seed_set = false, .format = fmt,
				      .max_job_runs = FS_WORKLOAD_MAX_JOB_RUNS_DEFAULT,
				      .progress = isatty(STDERR_FILENO) };
	rc = fs_cli_run_scenario(&sc, &a, argc, argv);
out:
	fs_catalog_fini(&cat);
	free(rest);
	free(text);
	return rc;
}
