/*
 * cmd_outgrow.c - outgrow (when and at what demand each fleet option stops
 * meeting the scenario's criteria) and analysis (an analysis read back).
 * Parsing and printing only: the work is fs_outgrow_run (outgrow.h).
 */
#include "cli.h"

#include "fleetsim/dispatch.h"
#include "fleetsim/outgrow.h"
#include "fleetsim/report.h"
#include "fleetsim/progress.h"
#include "fleetsim/scenario.h"
#include "fleetsim/store.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_DB "output/fleetsim.db"
#define SUMMARY_MAX 8192

static const struct fs_opt outgrow_opts[] = {
	{ .name = "db", .type = FS_OPT_STRING, .metavar = "PATH", .def = DEFAULT_DB,
	  .help = "results database" },
	{ .name = "replications", .aliases = "r", .type = FS_OPT_INT, .imin = 2, .imax = 10000,
	  .def = "the scenario's outgrow.replications, else 20",
	  .help = "seeded replications per fleet option and per scale point" },
	{ .name = "jobs", .aliases = "j", .type = FS_OPT_INT, .imin = 1, .imax = 1024,
	  .def = "the number of cores",
	  .help = "worker processes (under mpirun with more than one rank, the ranks work instead)" },
	{ .name = "month", .type = FS_OPT_INT, .imin = 0, .imax = 1200,
	  .def = "the scenario's outgrow.month, else the horizon's last",
	  .help = "month (0 = the first) by which the scale search asks for a failure" },
	{ .name = "seed", .type = FS_OPT_INT, .imin = 0, .imax = INT64_MAX,
	  .def = "the scenario's 'seed'", .help = "master seed of the replications" },
	{ .name = "report", .type = FS_OPT_STRING, .metavar = "DIR",
	  .help = "also write summary.txt, outgrow.csv and criteria_monthly.csv into DIR" },
	{ .name = "quiet", .aliases = "q", .type = FS_OPT_FLAG,
	  .help = "no progress line (it is shown only on a terminal anyway)" },
	FS_CLI_OPT_FORMAT,
};
enum { O_DB, O_REPS, O_JOBS, O_MONTH, O_SEED, O_REPORT, O_QUIET, O_FORMAT, N_OUTGROW_OPTS };

static const struct fs_opt analysis_opts[] = {
	{ .name = "db", .type = FS_OPT_STRING, .metavar = "PATH", .def = DEFAULT_DB,
	  .help = "results database" },
	FS_CLI_OPT_FORMAT,
};
enum { A_DB, A_FORMAT, N_ANALYSIS_OPTS };

static const char outgrow_help[] =
	"usage: fleetsim outgrow SCENARIO [--db PATH] [--replications R] [--jobs J]\n"
	"                        [--month M] [--report DIR] [--quiet]\n"
	"\n"
	"For every fleet option of SCENARIO, under its criteria (docs/SCENARIO.md,\n"
	"\"Criteria\"): the first month a criterion fails under the scenario's growth\n"
	"and which, over R seeded replications (mean, 95 % interval, range); the\n"
	"demand scale at which a criterion fails by month M (bracketed and bisected\n"
	"per replication; mean with its 95 % t-interval); a verdict at equal budget\n"
	"and equal GPU count with costs until the failure; and a decision summary.\n"
	"The replications' runs at scale 1 and the analysis are stored in one\n"
	"transaction. Progress goes to stderr when it is a terminal.\n"
	"\n"
	"Each (replication, fleet option) is one item handed to whichever worker is\n"
	"free: J local worker processes, or the MPI ranks under 'mpirun -n P' (a build\n"
	"with -DFLEETSIM_MPI=ON; rank 0 writes and prints). The results do not depend\n"
	"on J or P. A worker that dies has its item run again (said on stderr).\n";

static const char analysis_help[] =
	"usage: fleetsim analysis ID [--db PATH]\n"
	"\n"
	"Prints a stored outgrow analysis: its outgrow table and decision summary.\n";

/* The outgrow table's columns: the names of the database's outgrow table. */
static const struct fs_emit_col cols[] = {
	{ .name = "fleet", .type = FS_EMIT_STR, .width = -12 },
	{ .name = "gpus", .type = FS_EMIT_INT, .width = 5 },
	{ .name = "first_fail_month_mean", .type = FS_EMIT_NUM, .width = 6, .header = "fail_m",
	  .tfmt = "%.1f" },
	{ .name = "first_fail_month_lo", .type = FS_EMIT_NUM, .width = 6, .header = "ci_lo",
	  .tfmt = "%.1f" },
	{ .name = "first_fail_month_hi", .type = FS_EMIT_NUM, .width = 6, .header = "ci_hi",
	  .tfmt = "%.1f" },
	{ .name = "first_fail_month_min", .type = FS_EMIT_NUM, .width = 4, .header = "min",
	  .tfmt = "%.0f" },
	{ .name = "first_fail_month_max", .type = FS_EMIT_NUM, .width = 4, .header = "max",
	  .tfmt = "%.0f" },
	{ .name = "n_held", .type = FS_EMIT_INT, .width = 4, .header = "held" },
	{ .name = "criterion", .type = FS_EMIT_STR, .width = -14 },
	{ .name = "scale_at_month_mean", .type = FS_EMIT_NUM, .width = 6, .header = "scale",
	  .tfmt = "%.2f" },
	{ .name = "scale_at_month_ci_lo", .type = FS_EMIT_NUM, .width = 6, .header = "ci_lo",
	  .tfmt = "%.2f" },
	{ .name = "scale_at_month_ci_hi", .type = FS_EMIT_NUM, .width = 6, .header = "ci_hi",
	  .tfmt = "%.2f" },
	{ .name = "usd_per_month", .type = FS_EMIT_NUM, .width = 10, .header = "usd/month",
	  .tfmt = "%.0f" },
	{ .name = "usd_per_training_run", .type = FS_EMIT_NUM, .width = 8, .header = "usd/run",
	  .tfmt = "%.0f" },
	{ .name = "usd_per_mtok", .type = FS_EMIT_NUM, .width = 8, .header = "usd/Mtok",
	  .tfmt = "%.3f" },
	{ .name = "longest_in_budget", .type = FS_EMIT_BOOL, .width = 7, .header = "best$" },
	{ .name = "longest_in_gpus", .type = FS_EMIT_BOOL, .width = 7, .header = "bestGPU" },
};
#define N_COLS ((int)(sizeof(cols) / sizeof(cols[0])))

static struct fs_emit_val flag(int b)
{
	return fs_emit_int(b != 0);
}

static void row_vals(const struct fs_outgrow_row *r, struct fs_emit_val *v)
{
	int k = 0;

	v[k++] = fs_emit_str(r->fleet);
	v[k++] = fs_emit_int(r->gpus);
	v[k++] = fs_emit_num(r->first_fail_month_mean);
	v[k++] = fs_emit_num(r->first_fail_month_lo);
	v[k++] = fs_emit_num(r->first_fail_month_hi);
	v[k++] = fs_emit_num(r->first_fail_month_min);
	v[k++] = fs_emit_num(r->first_fail_month_max);
	v[k++] = fs_emit_int(r->n_held);
	v[k++] = fs_emit_str(r->criterion[0] ? r->criterion : NULL);
	v[k++] = fs_emit_num(r->scale_mean);
	v[k++] = fs_emit_num(r->scale_lo);
	v[k++] = fs_emit_num(r->scale_hi);
	v[k++] = fs_emit_num(r->usd_per_month);
	v[k++] = fs_emit_num(r->usd_per_training_run);
	v[k++] = fs_emit_num(r->usd_per_mtok);
	v[k++] = flag(r->longest_in_budget);
	v[k++] = flag(r->longest_in_gpus);
}

/* The row of fleet f of an analysis in memory, as the database holds it. */
static void fleet_row(const struct fs_outgrow_result *r, size_t f, struct fs_outgrow_row *row)
{
	const struct fs_outgrow_fleet *fl = &r->fleets[f];
	const struct fs_fleet_opt *fo = &r->sc->fleets[f];

	memset(row, 0, sizeof(*row));
	snprintf(row->fleet, sizeof(row->fleet), "%s", fo->name);
	snprintf(row->gpu, sizeof(row->gpu), "%s", fo->gpu->name);
	row->gpus = fo->n_gpus;
	if (fl->criterion >= 0)
		snprintf(row->criterion, sizeof(row->criterion), "%s",
			 r->sc->criteria[fl->criterion].name);
	row->first_fail_month_mean = fl->first_fail_month.mean;
	row->first_fail_month_lo = fl->first_fail_month.lo;
	row->first_fail_month_hi = fl->first_fail_month.hi;
	row->first_fail_month_min = fl->first_fail_month.min;
	row->first_fail_month_max = fl->first_fail_month.max;
	row->n_held = fl->n_held;
	row->scale_mean = fl->scale.mean;
	row->scale_lo = fl->scale.lo;
	row->scale_hi = fl->scale.hi;
	row->n_scale_bound = fl->n_scale_bound;
	row->usd_per_month = fl->usd_per_month;
	row->usd_per_training_run = fl->usd_per_training_run;
	row->usd_per_mtok = fl->usd_per_mtok;
	row->longest_in_budget = fl->longest_in_budget;
	row->longest_in_gpus = fl->longest_in_gpus;
}

/* A worker died and its unit was run again: say so on stderr. */
static void note_cb(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "fleetsim outgrow: %s\n", msg);
}

static void progress_cb(void *ctx, size_t done, size_t total)
{
	struct fs_progress *p = ctx;

	p->total = (double)total;
	fs_progress_update(p, (double)done);
}

static int parse_id(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 1)
		return -1;
	*out = v;
	return 0;
}

/*
 * The analysis's report from the database, as `fleetsim report analysis:ID`
 * writes it (summary, CSV, charts, report.html): 0, or the exit code.
 */
static int write_report(struct fs_store *store, int64_t aid, const char *dir)
{
	struct fs_report_opts o = { .out_dir = dir };
	struct fs_report_info info;
	struct fs_error e;

	fs_error_clear(&e);
	if (fs_report_analysis(store, aid, &o, &info, &e))
		return fs_cli_report(&e);
	if (info.note[0])
		fprintf(stderr, "fleetsim outgrow: %s\n", info.note);
	fprintf(stderr, "fleetsim outgrow: report in %s/report.html (%d charts, %d CSV files)\n", dir,
		info.n_sections, info.n_csv);
	return 0;
}

static void print_criteria(const struct fs_scenario *sc)
{
	printf("criteria (evaluated per 30.4375-day month; month 0 is the first)\n");
	for (size_t c = 0; c < sc->n_criteria; c++) {
		const struct fs_criterion *cr = &sc->criteria[c];
		printf("  %-16s %-16s %s %g", cr->name, fs_criterion_kind_name(cr->kind),
		       cr->kind == FS_CRIT_ATTAINMENT ? ">=" : "<=", cr->limit);
		if (cr->kind == FS_CRIT_ATTAINMENT)
			printf(" of intervals at >= %g, %s", cr->hour_min_frac,
			       cr->service < 0 ? "every service"
					       : sc->serving.services[cr->service].name);
		else if (cr->kind != FS_CRIT_UTILIZATION)
			printf(", %s", cr->job_class == FS_CRIT_ALL_JOBS ? "all jobs"
				       : cr->job_class == FS_CRIT_EXPLICIT_JOBS
					       ? "explicit jobs"
					       : sc->streams[cr->job_class].name);
		printf("\n");
	}
}

int fs_cli_outgrow(int argc, char **argv)
{
	struct fs_opt_val vals[N_OUTGROW_OPTS];
	const char *file = NULL, *db;
	struct fs_scenario sc;
	struct fs_outgrow_params p;
	struct fs_outgrow_result res;
	struct fs_progress prog;
	struct fs_store *store = NULL;
	struct fs_invocation inv;
	struct fs_emitter em;
	struct fs_emit_val v[N_COLS];
	struct fs_error e;
	char *summary = NULL;
	int64_t aid = 0;
	int n_pos = 0, rc, n_months;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	/* under mpirun only rank 0 opens the database and prints */
	bool writer = fs_dispatch_rank() == 0;

	if (fs_cli_wants_help(argc, argv)) {
		fs_cli_help(outgrow_help, outgrow_opts, N_OUTGROW_OPTS);
		return 0;
	}
	if ((rc = fs_cli_parse("outgrow", outgrow_opts, N_OUTGROW_OPTS, argc, argv, vals, &file, 1,
			       &n_pos)))
		return rc;
	if (n_pos == 0)
		return fs_cli_usage_error("outgrow", "missing scenario file");
	fs_error_clear(&e);
	if (fs_scenario_load(file, &sc, &e))
		return fs_cli_report(&e);
	n_months = fs_criteria_n_months(&sc);
	if (sc.n_criteria == 0) {
		fs_error_set(&e, FS_ERR_INPUT, sc.file, 0, "criteria",
			     "the scenario has no criteria; expected a 'criteria' list "
			     "(docs/SCENARIO.md, \"Criteria\")");
		fs_scenario_fini(&sc);
		return fs_cli_report(&e);
	}
	if (vals[O_MONTH].set && vals[O_MONTH].i >= n_months) {
		fs_scenario_fini(&sc);
		return fs_cli_usage_error("outgrow", "--month %lld is past the horizon's last month "
					  "%d (month 0 is the first)", vals[O_MONTH].i, n_months - 1);
	}
	memset(&p, 0, sizeof(p));
	p.replications = vals[O_REPS].set ? (int)vals[O_REPS].i : sc.outgrow.replications;
	p.jobs = vals[O_JOBS].set ? (int)vals[O_JOBS].i : (int)(cores > 0 ? cores : 1);
	p.month = vals[O_MONTH].set ? (int)vals[O_MONTH].i
		  : sc.outgrow.month >= 0 ? sc.outgrow.month : n_months - 1;
	p.scale_max = sc.outgrow.scale_max;
	p.scale_tol_frac = sc.outgrow.scale_tol_frac;
	p.seed = vals[O_SEED].set ? (uint64_t)vals[O_SEED].i : sc.seed;
	p.progress = writer ? progress_cb : NULL;
	p.note = writer ? note_cb : NULL;
	p.progress_ctx = &prog;
	if (!writer) {
		rc = fs_outgrow_run(&sc, &p, &res, &e);
		fs_outgrow_result_fini(&res);
		fs_scenario_fini(&sc);
		return rc ? fs_status_exit_code(e.code) : 0;
	}
	db = vals[O_DB].set ? vals[O_DB].s : DEFAULT_DB;
	if (strcmp(db, DEFAULT_DB) == 0)
		mkdir("output", 0777);
	/* a bad database fails before the simulations, not after them */
	if (fs_store_open(db, FS_STORE_WRITE, &store, &e)) {
		fs_scenario_fini(&sc);
		return fs_cli_report(&e);
	}
	fs_progress_begin(&prog, stderr, vals[O_QUIET].set, "outgrow",
			  (double)p.replications * (double)sc.n_fleets);
	rc = fs_outgrow_run(&sc, &p, &res, &e);
	fs_progress_end(&prog);
	if (rc) {
		fs_store_close(store);
		fs_scenario_fini(&sc);
		return fs_cli_report(&e);
	}
	if (!(summary = malloc(SUMMARY_MAX))) {
		rc = 1;
		fprintf(stderr, "fleetsim: out of memory\n");
		goto out;
	}
	fs_outgrow_summary(&res, summary, SUMMARY_MAX);
	fs_invocation_init(&inv, "fleetsim", argc, argv, FLEETSIM_VERSION);
	if (fs_store_write_outgrow(store, &res, &inv, summary, &aid, &e)) {
		rc = fs_cli_report(&e);
		goto out;
	}
	if (fs_cli_format(&vals[O_FORMAT]) == fs_emit_format_find("table")) {
		printf("scenario '%s', %d replications x %zu fleet options, master seed %" PRIu64
		       ", scale search by month %d -> %s, analysis %" PRId64 "\n\n", sc.name,
		       p.replications, sc.n_fleets, p.seed, p.month, db, aid);
		print_criteria(&sc);
		printf("\n");
	}
	fs_emit_begin(&em, stdout, fs_cli_format(&vals[O_FORMAT]), cols, N_COLS, false);
	for (size_t f = 0; f < res.n_fleets; f++) {
		struct fs_outgrow_row row;
		fleet_row(&res, f, &row);
		row_vals(&row, v);
		fs_emit_row(&em, v);
	}
	fs_emit_end(&em);
	if (fs_cli_format(&vals[O_FORMAT]) == fs_emit_format_find("table")) {
		printf("\nfail_m: first month a criterion fails (mean; a replication that holds counts "
		       "as %d), 95 %% t-interval, range;\nheld: replications meeting every criterion to "
		       "the horizon; scale: demand x today's at which a criterion fails by month %d;\n"
		       "costs until the first failure; best$/bestGPU: holds longest among options of "
		       "equal budget (+-10 %%) / equal GPU count.\n\n", n_months, p.month);
		printf("decision summary\n%s\n", summary);
		printf("%zu simulations in %.2f s (%.1f ms per scale point, summed over %d worker%s, "
		       "%s); wall %.2f s\n", res.n_points, res.points_wall_s,
		       1e3 * res.points_wall_s / (double)(res.n_points ? res.n_points : 1),
		       res.params.jobs, res.params.jobs == 1 ? "" : "s", res.dispatch.backend,
		       res.wall_s);
		if (res.dispatch.n_dead)
			printf("%d worker%s died; %zu unit%s run again\n", res.dispatch.n_dead,
			       res.dispatch.n_dead == 1 ? "" : "s", res.dispatch.n_reissued,
			       res.dispatch.n_reissued == 1 ? "" : "s");
	}
	rc = vals[O_REPORT].set ? write_report(store, aid, vals[O_REPORT].s) : 0;
out:
	free(summary);
	fs_outgrow_result_fini(&res);
	fs_store_close(store);
	fs_scenario_fini(&sc);
	return rc;
}

struct rows_ctx {
	struct fs_emitter em;
};

static int print_row(void *ctx, const struct fs_outgrow_row *row)
{
	struct rows_ctx *c = ctx;
	struct fs_emit_val v[N_COLS];

	row_vals(row, v);
	fs_emit_row(&c->em, v);
	return 0;
}

int fs_cli_analysis(int argc, char **argv)
{
	struct fs_opt_val vals[N_ANALYSIS_OPTS];
	const char *id_text = NULL;
	struct fs_store *store = NULL;
	struct fs_analysis_row *a;
	struct rows_ctx ctx;
	struct fs_error e;
	int64_t id;
	int n_pos = 0, rc;

	if (fs_cli_wants_help(argc, argv)) {
		fs_cli_help(analysis_help, analysis_opts, N_ANALYSIS_OPTS);
		return 0;
	}
	if ((rc = fs_cli_parse("analysis", analysis_opts, N_ANALYSIS_OPTS, argc, argv, vals,
			       &id_text, 1, &n_pos)))
		return rc;
	if (n_pos == 0)
		return fs_cli_usage_error("analysis", "missing analysis id");
	if (parse_id(id_text, &id))
		return fs_cli_usage_error("analysis", "'%s' is not an analysis id (a positive "
					  "integer)", id_text);
	fs_error_clear(&e);
	if (fs_store_open(vals[A_DB].set ? vals[A_DB].s : DEFAULT_DB, FS_STORE_READ, &store, &e))
		return fs_cli_report(&e);
	if (!(a = malloc(sizeof(*a)))) {
		fs_store_close(store);
		fprintf(stderr, "fleetsim: out of memory\n");
		return 1;
	}
	if (fs_store_get_analysis(store, id, a, &e)) {
		rc = fs_cli_report(&e);
		goto out;
	}
	if (fs_cli_format(&vals[A_FORMAT]) == fs_emit_format_find("table"))
		printf("analysis %" PRId64 ": %s of '%s', %d replications, master seed %" PRId64
		       ", scale search by month %d of %d, %s, %.2f s, %" PRId64 " simulations\n\n",
		       a->id, a->kind, a->scenario, a->replications, a->seed, a->month, a->n_months,
		       a->started_at, a->wall_s, a->points);
	fs_emit_begin(&ctx.em, stdout, fs_cli_format(&vals[A_FORMAT]), cols, N_COLS, false);
	if (fs_store_outgrow_rows(store, id, print_row, &ctx, &e)) {
		rc = fs_cli_report(&e);
		goto out;
	}
	fs_emit_end(&ctx.em);
	if (fs_cli_format(&vals[A_FORMAT]) == fs_emit_format_find("table"))
		printf("\ndecision summary\n%s", a->summary);
	rc = 0;
out:
	free(a);
	fs_store_close(store);
	return rc;
}
