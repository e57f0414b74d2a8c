/*
 * cmd_report.c - `fleetsim report` (a run's or an analysis's report
 * directory) and `fleetsim compare` (two runs side by side). Options and
 * printing only: the work is in sim/report.c, reading the database alone.
 */
#include "cli.h"

#include "fleetsim/report.h"
#include "fleetsim/store.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DB "output/fleetsim.db"

#define OPT_DB { .name = "db", .type = FS_OPT_STRING, .metavar = "PATH", .def = DEFAULT_DB, \
		 .help = "results database" }

static const struct fs_opt report_opts[] = {
	{ .name = "out", .type = FS_OPT_STRING, .metavar = "DIR",
	  .help = "report directory (made when missing; files in it are replaced)" },
	OPT_DB,
	{ .name = "sweep", .type = FS_OPT_INT, .imin = 1, .imax = INT64_MAX, .metavar = "ID",
	  .help = "the report of sweep ID instead of a run (same as the argument sweep:ID)" },
};
enum { P_OUT, P_DB, P_SWEEP, N_REPORT_OPTS };

static const struct fs_opt compare_opts[] = { OPT_DB, FS_CLI_OPT_FORMAT };
enum { C_DB, C_FORMAT, N_COMPARE_OPTS };

static const char report_help[] =
	"usage: fleetsim report RUN|analysis:ID|sweep:ID --out DIR [--db PATH]\n"
	"       fleetsim report --sweep ID --out DIR [--db PATH]\n"
	"\n"
	"Writes a planning-review report of a stored run (RUN: its id, or run:ID) or of an\n"
	"analysis of 'fleetsim outgrow' (analysis:ID or aID), read from the results database\n"
	"alone: summary.txt, a CSV of every series and monthly table, charts (NAME.gp +\n"
	"NAME.dat, rendered to NAME.svg by gnuplot when it is on PATH) and report.html, a\n"
	"self-contained page (charts inline, no network) with each chart's data points.\n"
	"Without gnuplot the text, CSV, data and scripts are still written. A sweep's\n"
	"report (sweep:ID or --sweep ID; docs/SCALE.md) draws heat maps of the first\n"
	"failing month, cost and utilization over the varied values and fleet options.\n";

static const char compare_help[] =
	"usage: fleetsim compare RUN_A RUN_B | analysis:A analysis:B [--db PATH] [--format F]\n"
	"\n"
	"Two stored runs side by side: each summary metric of A and B, the difference\n"
	"B - A, and which is better. Lower is better for wait, time to solution,\n"
	"infeasible jobs, GPU-hours lost, cost and energy; higher is better for jobs\n"
	"finished and service attainment; utilization, GPUs and GPU-hours have no\n"
	"better direction ('-'). Two analyses (analysis:N or aN) are compared fleet by\n"
	"fleet: months held and the demand scale at the analysis month (higher better),\n"
	"cost per month, per training run and per million tokens (lower better).\n";

/* What a RUN|ANALYSIS|SWEEP argument names. */
struct target {
	bool analysis;
	bool sweep;
	int64_t id;
};

/* "12", "run:12", "analysis:3", "a3": 0, or -1 when it is none of those. */
static int parse_target(const char *s, struct target *t)
{
	const char *num = s;
	char *end;
	long long v;

	t->analysis = false;
	t->sweep = false;
	if (strncmp(s, "sweep:", 6) == 0) {
		num = s + 6;
		t->sweep = true;
	} else if (strncmp(s, "run:", 4) == 0) {
		num = s + 4;
	} else if (strncmp(s, "analysis:", 9) == 0) {
		num = s + 9;
		t->analysis = true;
	} else if (s[0] == 'a') {
		num = s + 1;
		t->analysis = true;
	}
	if (*num < '0' || *num > '9')
		return -1;
	errno = 0;
	v = strtoll(num, &end, 10);
	if (errno || *end || v < 1)
		return -1;
	t->id = v;
	return 0;
}

static int open_read(const struct fs_opt_val *db, struct fs_store **s, struct fs_error *e)
{
	if (fs_store_open(db->set ? db->s : DEFAULT_DB, FS_STORE_READ, s, e))
		return fs_cli_report(e);
	return 0;
}

int fs_cli_report_cmd(int argc, char **argv)
{
	struct fs_opt_val vals[N_REPORT_OPTS];
	const char *pos[1];
	struct fs_report_opts o = { 0 };
	struct fs_report_info info;
	struct fs_store *s;
	struct fs_error e;
	struct target t;
	int n_pos = 0, rc;

	fs_error_clear(&e);
	if (fs_cli_wants_help(argc, argv)) {
		fs_cli_help(report_help, report_opts, N_REPORT_OPTS);
		return 0;
	}
	if ((rc = fs_cli_parse("report", report_opts, N_REPORT_OPTS, argc, argv, vals, pos, 1,
			       &n_pos)))
		return rc;
	if (vals[P_SWEEP].set) {
		if (n_pos)
			return fs_cli_usage_error("report", "--sweep and '%s' both name a report; "
						  "expected one", pos[0]);
		t.sweep = true;
		t.analysis = false;
		t.id = vals[P_SWEEP].i;
	} else if (n_pos == 0) {
		return fs_cli_usage_error("report", "missing run or analysis id");
	} else if (parse_target(pos[0], &t))
		return fs_cli_usage_error("report", "'%s' is not a run id (N or run:N), an analysis "
					  "id (analysis:N or aN) or a sweep id (sweep:N)", pos[0]);
	if (!vals[P_OUT].set || !vals[P_OUT].s[0])
		return fs_cli_usage_error("report", "missing --out DIR");
	o.out_dir = vals[P_OUT].s;
	if ((rc = open_read(&vals[P_DB], &s, &e)))
		return rc;
	if (t.sweep)
		rc = fs_report_sweep(s, t.id, &o, &info, &e);
	else if (t.analysis)
		rc = fs_report_analysis(s, t.id, &o, &info, &e);
	else
		rc = fs_report_run(s, t.id, &o, &info, &e);
	fs_store_close(s);
	if (rc)
		return fs_cli_report(&e);
	if (info.note[0])
		fprintf(stderr, "fleetsim report: %s\n", info.note);
	printf("%s/report.html: %d charts (%d rendered), %d CSV files, summary.txt\n", o.out_dir,
	       info.n_sections, info.n_rendered, info.n_csv);
	return 0;
}

static const struct fs_emit_col compare_cols[] = {
	{ .name = "metric", .type = FS_EMIT_STR, .width = -22 },
	{ .name = "unit", .type = FS_EMIT_STR, .width = -9 },
	{ .name = "better_is", .type = FS_EMIT_STR, .width = -9, .header = "better_is" },
	{ .name = "a", .type = FS_EMIT_NUM, .width = 14, .tfmt = "%.8g" },
	{ .name = "b", .type = FS_EMIT_NUM, .width = 14, .tfmt = "%.8g" },
	{ .name = "b_minus_a", .type = FS_EMIT_NUM, .width = 14, .tfmt = "%+.8g" },
	{ .name = "b_vs_a_pct", .type = FS_EMIT_NUM, .width = 10, .header = "b/a-1 %", .tfmt = "%+.1f" },
	{ .name = "better", .type = FS_EMIT_STR, .width = -6 },
};
#define N_COMPARE_COLS ((int)(sizeof(compare_cols) / sizeof(compare_cols[0])))

static const char *better_is(enum fs_better b)
{
	switch (b) {
	case FS_BETTER_LOWER:
		return "lower";
	case FS_BETTER_HIGHER:
		return "higher";
	case FS_BETTER_NONE:
		return "-";
	}
	return "-";
}

static const struct fs_emit_col compare_a_cols[] = {
	{ .name = "fleet", .type = FS_EMIT_STR, .width = -16 },
	{ .name = "metric", .type = FS_EMIT_STR, .width = -22 },
	{ .name = "unit", .type = FS_EMIT_STR, .width = -9 },
	{ .name = "better_is", .type = FS_EMIT_STR, .width = -9 },
	{ .name = "a", .type = FS_EMIT_NUM, .width = 12, .tfmt = "%.8g" },
	{ .name = "b", .type = FS_EMIT_NUM, .width = 12, .tfmt = "%.8g" },
	{ .name = "b_minus_a", .type = FS_EMIT_NUM, .width = 12, .tfmt = "%+.8g" },
	{ .name = "better", .type = FS_EMIT_STR, .width = -6 },
};
#define N_COMPARE_A_COLS ((int)(sizeof(compare_a_cols) / sizeof(compare_a_cols[0])))

static int analysis_row(void *ctx, const char *fleet, const struct fs_compare_metric *m, double a,
			double b)
{
	struct fs_emit_val v[N_COMPARE_A_COLS] = {
		fs_emit_str(fleet), fs_emit_str(m->name), fs_emit_str(m->unit),
		fs_emit_str(better_is(m->better)), fs_emit_num(a), fs_emit_num(b), fs_emit_num(b - a),
		fs_emit_str(fs_compare_winner(m, a, b)),
	};

	fs_emit_row(ctx, v);
	return 0;
}

static int no_row(void *ctx, const char *fleet, const struct fs_compare_metric *m, double a,
		  double b)
{
	(void)ctx, (void)fleet, (void)m, (void)a, (void)b;
	return 0;
}

/* Two analyses, fleet by fleet; closes s. The exit code. */
static int compare_analyses(struct fs_store *s, int64_t a, int64_t b, const struct fs_opt_val *fmt)
{
	struct fs_emitter em;
	struct fs_error e;
	int rc;

	fs_error_clear(&e);
	/* a bad id fails before anything is printed */
	if (fs_compare_analyses(s, a, b, no_row, NULL, &e)) {
		fs_store_close(s);
		return fs_cli_report(&e);
	}
	if (!fmt->set || strcmp(fmt->s, "table") == 0)
		printf("a = analysis %lld, b = analysis %lld; first_fail_month_mean counts from 0 (a "
		       "replication that holds counts as the horizon)\nbetter: more months held, a "
		       "higher demand scale, lower cost\n\n", (long long)a, (long long)b);
	fs_emit_begin(&em, stdout, fs_cli_format(fmt), compare_a_cols, N_COMPARE_A_COLS, false);
	rc = fs_compare_analyses(s, a, b, analysis_row, &em, &e);
	fs_emit_end(&em);
	fs_store_close(s);
	return rc ? fs_cli_report(&e) : 0;
}

int fs_cli_compare(int argc, char **argv)
{
	struct fs_opt_val vals[N_COMPARE_OPTS];
	const char *pos[2];
	struct fs_run_row r[2];
	const struct fs_compare_metric *m;
	struct fs_emitter em;
	struct fs_store *s;
	struct fs_error e;
	struct target t[2];
	bool table;
	int n_pos = 0, n_m, rc;

	fs_error_clear(&e);
	if (fs_cli_wants_help(argc, argv)) {
		fs_cli_help(compare_help, compare_opts, N_COMPARE_OPTS);
		return 0;
	}
	if ((rc = fs_cli_parse("compare", compare_opts, N_COMPARE_OPTS, argc, argv, vals, pos, 2,
			       &n_pos)))
		return rc;
	if (n_pos < 2)
		return fs_cli_usage_error("compare", "give two run ids, RUN_A RUN_B");
	for (int k = 0; k < 2; k++) {
		if (parse_target(pos[k], &t[k]) || t[k].sweep)
			return fs_cli_usage_error("compare", "'%s' is not a run id (N or run:N) or an "
						  "analysis id (analysis:N or aN)", pos[k]);
	}
	if (t[0].analysis != t[1].analysis)
		return fs_cli_usage_error("compare", "compare two runs or two analyses, not one of each");
	if ((rc = open_read(&vals[C_DB], &s, &e)))
		return rc;
	if (t[0].analysis)
		return compare_analyses(s, t[0].id, t[1].id, &vals[C_FORMAT]);
	for (int k = 0; k < 2; k++)
		if (fs_store_get_run(s, t[k].id, &r[k], &e)) {
			fs_store_close(s);
			return fs_cli_report(&e);
		}
	fs_store_close(s);
	table = !vals[C_FORMAT].set || strcmp(vals[C_FORMAT].s, "table") == 0;
	if (table)
		printf("a = run %lld: fleet '%s' (%d x %s), scenario '%s', seed %lld\n"
		       "b = run %lld: fleet '%s' (%d x %s), scenario '%s', seed %lld\n"
		       "better: lower wait, time to solution, cost; higher attainment and jobs "
		       "finished; '-' = no better direction or a value missing\n\n",
		       (long long)r[0].id, r[0].fleet, r[0].gpus, r[0].gpu, r[0].scenario,
		       (long long)r[0].seed, (long long)r[1].id, r[1].fleet, r[1].gpus, r[1].gpu,
		       r[1].scenario, (long long)r[1].seed);
	m = fs_compare_metrics(&n_m);
	fs_emit_begin(&em, stdout, fs_cli_format(&vals[C_FORMAT]), compare_cols, N_COMPARE_COLS,
		      false);
	for (int i = 0; i < n_m; i++) {
		double a = m[i].get(&r[0]), b = m[i].get(&r[1]);
		struct fs_emit_val v[N_COMPARE_COLS] = {
			fs_emit_str(m[i].name), fs_emit_str(m[i].unit), fs_emit_str(better_is(m[i].better)),
			fs_emit_num(a), fs_emit_num(b), fs_emit_num(b - a),
			fs_emit_num(a != 0 ? 100.0 * (b / a - 1.0) : NAN),
			fs_emit_str(fs_compare_winner(&m[i], a, b)),
		};
		fs_emit_row(&em, v);
	}
	fs_emit_end(&em);
	return 0;
}
