/*
 * test_report.c - reports and comparisons made from the results database
 * alone: a report from a database copied elsewhere (files, a well-formed
 * self-contained HTML page with one chart per section, each with its data
 * points), the same report twice byte for byte, a report without gnuplot,
 * bad ids, the views' percentiles on hand-made jobs, and compare.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleetsim/report.h"
#include "testutil.h"

#define EXAMPLE FLEETSIM_SOURCE_DIR "/scenarios/example.cfg"

static char out[1 << 16];

static void contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		print_error("output does not contain '%s':\n%.2000s\n", needle, hay);
		fail();
	}
}

/* The example's four runs in a database that was then copied elsewhere (the original removed). */
static const char *copied_db(void)
{
	static char copy[512];
	char args[1024];

	if (copy[0])
		return copy;
	snprintf(args, sizeof(args), "run %s --db %s", EXAMPLE, tu_path("orig.db"));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	mkdir(tu_path("elsewhere"), 0777);
	snprintf(copy, sizeof(copy), "%s", tu_path("elsewhere/copy.db"));
	snprintf(args, sizeof(args), "cp %s %s && rm %s", tu_path("orig.db"), copy, tu_path("orig.db"));
	assert_int_equal(system(args), 0);
	return copy;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;
	char *s;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

static bool exists(const char *dir, const char *name)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, R_OK) == 0;
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Opening and closing tags of each kind the report writes are balanced and nested. */
static void assert_well_formed(const char *html)
{
	static const char *const kinds[] = { "html", "head", "body", "section", "figure", "table",
					     "tr", "h1", "h2", "p", "pre", "svg", "div", "style",
					     "title" };
	char open[32], open_sp[32], close[32];

	for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
		snprintf(open, sizeof(open), "<%s>", kinds[k]);
		snprintf(open_sp, sizeof(open_sp), "<%s ", kinds[k]);
		snprintf(close, sizeof(close), "</%s>", kinds[k]);
		if (count(html, open) + count(html, open_sp) != count(html, close)) {
			print_error("<%s> opened %d times, closed %d times\n", kinds[k],
				    count(html, open) + count(html, open_sp), count(html, close));
			fail();
		}
	}
	/* sections do not nest: each closes before the next opens */
	for (const char *p = strstr(html, "<section"); p; p = strstr(p + 1, "<section")) {
		const char *end = strstr(p, "</section>"), *next = strstr(p + 1, "<section");
		assert_non_null(end);
		assert_true(!next || end < next);
	}
	assert_non_null(strstr(html, "<!DOCTYPE html>"));
}

/* Each chart section holds one figure (one SVG with drawn paths when rendered) and data rows. */
static int check_sections(const char *html, bool rendered)
{
	int n = 0;

	for (const char *p = strstr(html, "<section class=\"chart\""); p;
	     p = strstr(p + 1, "<section class=\"chart\"")) {
		const char *end = strstr(p, "</section>");
		size_t len = (size_t)(end - p);
		char *sec = strndup(p, len);

		assert_int_equal(count(sec, "<figure>"), 1);
		assert_int_equal(count(sec, "<h2>"), 1);
		if (rendered) {
			assert_int_equal(count(sec, "<svg"), 1);
			assert_true(count(sec, "<path") >= 2);
		} else {
			assert_int_equal(count(sec, "<svg"), 0);
			contains(sec, "gnuplot not found");
		}
		/* the data points: a header row and at least two rows of numbers */
		assert_true(count(sec, "<tr><td>") >= 2);
		free(sec);
		n++;
	}
	return n;
}

static void test_report_from_copied_database(void **state)
{
	const char *db = copied_db();
	const char *dir = tu_path("rep1");
	char args[1024];
	char *html;
	int n;

	(void)state;
	snprintf(args, sizeof(args), "report 1 --out %s --db %s", dir, db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	contains(out, "5 charts (5 rendered), 7 CSV files");
	for (size_t i = 0; i < 10; i++) {
		static const char *const files[] = { "summary.txt", "report.html", "series.csv",
						     "job_months.csv", "util_months.csv",
						     "cost_months.csv", "utilization.gp",
						     "utilization.dat", "utilization.svg",
						     "tts_by_month.svg" };
		if (!exists(dir, files[i])) {
			print_error("missing %s\n", files[i]);
			fail();
		}
	}
	/* no chart kind without data: the example has no services */
	assert_false(exists(dir, "attainment.dat"));
	html = slurp(tu_path("rep1/report.html"));
	assert_well_formed(html);
	/* nothing from the network: no link, script or image source at all */
	assert_null(strstr(html, "http"));
	assert_null(strstr(html, " src="));
	assert_null(strstr(html, "<link"));
	n = check_sections(html, true);
	assert_int_equal(n, 5);
	contains(html, "id=\"utilization\"");
	contains(html, "id=\"tts_by_month\"");
	free(html);
	/* the summary's figures are the run's (run_summary): 7211 jobs, 409.4 h mean wait */
	html = slurp(tu_path("rep1/summary.txt"));
	contains(html, "jobs submitted                               7211");
	contains(html, "queue wait, mean ");
	contains(html, " 409.4 h\n");
	free(html);
}

static void test_report_deterministic(void **state)
{
	static const char *const files[] = { "summary.txt", "series.csv", "job_months.csv",
					     "cost_months.csv", "utilization.dat", "utilization.gp",
					     "wait_by_month.dat", "report.html" };
	const char *db = copied_db();
	char args[1024], a[65], b[65], pa[1024], pb[1024];

	(void)state;
	snprintf(args, sizeof(args), "report run:2 --out %s --db %s", tu_path("d1"), db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	snprintf(args, sizeof(args), "report 2 --out %s --db %s", tu_path("d2"), db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		snprintf(pa, sizeof(pa), "%s/%s", tu_path("d1"), files[i]);
		snprintf(pb, sizeof(pb), "%s/%s", tu_path("d2"), files[i]);
		tu_file_hash(pa, a);
		tu_file_hash(pb, b);
		assert_string_not_equal(a, "missing");
		assert_string_equal(a, b);
	}
}

static void test_report_without_gnuplot(void **state)
{
	const char *db = copied_db();
	const char *dir = tu_path("nognuplot");
	char args[1024], *path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	char *html;
	int rc;

	(void)state;
	snprintf(args, sizeof(args), "report 3 --out %s --db %s", dir, db);
	setenv("PATH", tu_path("empty-path"), 1);
	rc = tu_fleetsim(args, out, sizeof(out));
	setenv("PATH", path, 1);
	free(path);
	assert_int_equal(rc, 0);
	contains(out, "gnuplot (gnuplot) was not found on PATH: no charts were rendered");
	contains(out, "5 charts (0 rendered), 7 CSV files");
	assert_true(exists(dir, "summary.txt") && exists(dir, "series.csv") &&
		    exists(dir, "job_months.csv") && exists(dir, "utilization.gp") &&
		    exists(dir, "utilization.dat") && exists(dir, "report.html"));
	assert_false(exists(dir, "utilization.svg"));
	html = slurp(tu_path("nognuplot/report.html"));
	assert_well_formed(html);
	contains(html, "was not found on PATH");
	assert_int_equal(check_sections(html, false), 5);
	free(html);
}

static void test_report_bad_ids(void **state)
{
	const char *db = copied_db();
	char args[1024];

	(void)state;
	snprintf(args, sizeof(args), "report 999 --out %s --db %s", tu_path("bad"), db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	contains(out, "no run with id 999");
	assert_false(exists(tu_path("bad"), "summary.txt"));
	snprintf(args, sizeof(args), "report analysis:4 --out %s --db %s", tu_path("bad"), db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	contains(out, "no analysis with id 4");
	snprintf(args, sizeof(args), "report run:x --out %s --db %s", tu_path("bad"), db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	contains(out, "'run:x' is not a run id");
	snprintf(args, sizeof(args), "report 1 --db %s", db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	contains(out, "missing --out DIR");
	snprintf(args, sizeof(args), "compare 1 999 --db %s", db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	contains(out, "no run with id 999");
	snprintf(args, sizeof(args), "compare 1 --db %s", db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	snprintf(args, sizeof(args), "report 1 --out %s --db %s", tu_path("bad"), tu_path("none.db"));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	contains(out, "no such database");
}

static void exec_sql(sqlite3 *h, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK) {
		print_error("%s: %s\n", sql, err);
		fail();
	}
}

static double one(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st;
	double v = NAN;

	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * job_months on hand-made jobs: ten jobs submitted in month 0 waiting 1..10 h
 * (in scrambled order) and running 2 days each. p50 interpolates between the
 * 5th and 6th (index 4.5): 5.5 h; p90 at index 8.1: 9 + 0.1 x 1 = 9.1 h; time to
 * solution adds 2 days. One infeasible job is counted but has no times. A job in
 * month 2 (day 70) is a month of its own.
 */
static void test_views_percentiles_by_hand(void **state)
{
	char args[1024], sql[512];
	const char *db = tu_path("hand.db");
	static const int waits[10] = { 7, 2, 10, 1, 5, 9, 3, 8, 6, 4 };
	sqlite3 *h;

	(void)state;
	snprintf(args, sizeof(args), "cp %s %s", copied_db(), db);
	assert_int_equal(system(args), 0);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	exec_sql(h, "DELETE FROM run_jobs WHERE run_id = 1");
	for (int i = 0; i < 10; i++) {
		double submit = 3600.0 * (i + 1), start = submit + 3600.0 * waits[i];
		snprintf(sql, sizeof(sql),
			 "INSERT INTO run_jobs(run_id, job_idx, source_id, seq, model_id, gpus, tokens,"
			 " submit_s, start_s, end_s, status, restarts) SELECT 1, %d, MIN(id), 0, 1, 8,"
			 " 1e9, %.17g, %.17g, %.17g, 0, 0 FROM job_sources WHERE run_id = 1",
			 i, submit, start, start + 2 * 86400.0);
		exec_sql(h, sql);
	}
	exec_sql(h, "INSERT INTO run_jobs(run_id, job_idx, source_id, seq, model_id, gpus, tokens,"
		    " submit_s, start_s, end_s, status, restarts) SELECT 1, 10, MIN(id), 0, 1, 8, 1e9,"
		    " 100.0, NULL, NULL, 1, 0 FROM job_sources WHERE run_id = 1");
	exec_sql(h, "INSERT INTO run_jobs(run_id, job_idx, source_id, seq, model_id, gpus, tokens,"
		    " submit_s, start_s, end_s, status, restarts) SELECT 1, 11, MIN(id), 0, 1, 8, 1e9,"
		    " 70 * 86400.0, 70 * 86400.0 + 1800, 71 * 86400.0, 0, 0 FROM job_sources"
		    " WHERE run_id = 1");
#define JM(col, m) "SELECT " col " FROM job_months WHERE run_id = 1 AND kind = '(all)' AND month = " #m
	assert_true(one(h, JM("n_jobs", 0)) == 11);
	assert_true(one(h, JM("n_infeasible", 0)) == 1);
	assert_true(one(h, JM("n_ran", 0)) == 10);
	assert_true(fabs(one(h, JM("p50_wait_h", 0)) - 5.5) < 1e-12);
	assert_true(fabs(one(h, JM("p90_wait_h", 0)) - 9.1) < 1e-12);
	assert_true(fabs(one(h, JM("mean_wait_h", 0)) - 5.5) < 1e-12);
	assert_true(fabs(one(h, JM("p90_tts_days", 0)) - (2 + 9.1 / 24)) < 1e-12);
	assert_true(fabs(one(h, JM("p50_wait_h", 2)) - 0.5) < 1e-12);  /* one job: itself */
	assert_true(fabs(one(h, JM("p90_tts_days", 2)) - 1.0) < 1e-12);
	assert_true(isnan(one(h, JM("p50_wait_h", 1))));                 /* no row for month 1 */
#undef JM
	/* the other views of the review questions answer for the example's runs */
	assert_true(one(h, "SELECT COUNT(*) FROM fleet_months WHERE run_id = 2") == 13);
	assert_true(one(h, "SELECT COUNT(*) FROM fleet_months WHERE run_id = 2"
			   " AND in_horizon") == 12);
	/* a month's utilization is its GPU-time in use over its installed GPU-time */
	assert_true(fabs(one(h, "SELECT util_frac FROM fleet_months WHERE run_id = 2"
				" AND month = 3") -
			 one(h, "SELECT SUM(gpus_busy + gpus_serving) / SUM(gpus_installed) FROM series"
				" WHERE run_id = 2 AND t_s >= 3 * 2629800 AND t_s < 4 * 2629800")) < 1e-12);
	/* its queue over the month: the series' samples of that month (equal intervals) */
	assert_true(fabs(one(h, "SELECT jobs_queued FROM fleet_months WHERE run_id = 1 AND month = 4") -
			 one(h, "SELECT AVG(jobs_queued) FROM series WHERE run_id = 1"
				" AND t_s >= 4 * 2629800 AND t_s < 5 * 2629800")) < 1e-9);
	/* fleets side by side: the four options of the one command, ranked */
	assert_true(one(h, "SELECT COUNT(*) FROM fleet_comparison WHERE invocation_id = 1") == 4);
	assert_true(one(h, "SELECT run_id FROM fleet_comparison WHERE cost_rank = 1") ==
		    one(h, "SELECT id FROM runs ORDER BY fleet_cost_usd LIMIT 1"));
	assert_true(one(h, "SELECT MIN(cost_vs_cheapest) FROM fleet_comparison") == 1.0);
	assert_true(one(h, "SELECT run_id FROM fleet_comparison WHERE p90_tts_rank = 1") ==
		    one(h, "SELECT id FROM runs ORDER BY p90_tts_s LIMIT 1"));
	sqlite3_close(h);
}

/*
 * A hand-made analysis on the tables of `fleetsim outgrow`
 * (tests/data/outgrow_tables.sql): two fleet options of the example, one
 * replication each. a100-512 first fails in month index 4.5 on average
 * (CI 3.9 to 5.1) and at month 6 at scale 0.8; h100-512 holds.
 */
static void test_report_analysis(void **state)
{
	const char *db = tu_path("analysis.db");
	const char *dir = tu_path("arep");
	char args[1024], *sql, *html;
	sqlite3 *h;

	(void)state;
	snprintf(args, sizeof(args), "cp %s %s", copied_db(), db);
	assert_int_equal(system(args), 0);
	sql = slurp(FLEETSIM_SOURCE_DIR "/tests/data/outgrow_tables.sql");
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	/* a fleetsim that makes the analysis tables itself needs no fixture */
	if (one(h, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'analyses'") == 0)
		exec_sql(h, sql);
	free(sql);
	exec_sql(h, "INSERT INTO analyses VALUES(7, 1, 1, 'outgrow', 6, 12, 1, 42, 8.0, 0.02, 2,"
		    " 20, 3.5, '2026-11-28T00:00:00Z', 4.0, 'A100 is enough until month 5.')");
	exec_sql(h, "INSERT INTO analysis_runs VALUES(7, 1, 0, 1.0, 4, 'tts-p90', 0.8, 0, 8, 1.0),"
		    " (7, 3, 0, 1.0, NULL, NULL, 1.9, 0, 8, 1.0)");
	exec_sql(h, "INSERT INTO outgrow VALUES(7, 'a100-512', 'A100', 512, 'tts-p90', 1, 4.5, 3.9,"
		    " 5.1, 4, 5, 0, 0.8, 0.7, 0.9, 0.7, 0.9, 0, 700000, 1200, NULL, 0, 0, 0, 1),"
		    " (7, 'h100-512', 'H100', 512, NULL, 0, 12, 12, 12, 12, 12, 1, 1.9, 1.7, 2.1,"
		    " 1.7, 2.1, 0, 1100000, 1900, NULL, 1, 0, 1, 0)");
	exec_sql(h, "INSERT INTO criteria_monthly VALUES(1, 'tts-p90', 'tts', 4, 12.5, 10, 0)");
	sqlite3_close(h);
	snprintf(args, sizeof(args), "report a7 --out %s --db %s", dir, db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	contains(out, "2 charts (2 rendered), 5 CSV files");
	assert_true(exists(dir, "outgrow.csv") && exists(dir, "analysis_runs.csv") &&
		    exists(dir, "criteria_monthly.csv") && exists(dir, "fleets_side_by_side.csv") &&
		    exists(dir, "months_held.svg") && exists(dir, "fleet_utilization.svg"));
	html = slurp(tu_path("arep/summary.txt"));
	/* months from 0, as the outgrow analysis counts them */
	contains(html, "a100-512             tts-p90                          4.5 [3.9, 5.1]"
		       "        0.80 [0.70, 0.90]");
	contains(html, "h100-512             (none)                     holds to the horizon");
	contains(html, "A100 is enough until month 5.");
	free(html);
	/* the outgrow month is marked on the a100's utilization (day 4.5 x 30.4375), not the h100's */
	html = slurp(tu_path("arep/fleet_utilization.gp"));
	contains(html, "set arrow from 136.969, graph 0");
	contains(html, "a100-512 outgrown\" at 136.969, graph 0.06");
	assert_null(strstr(html, "h100-512 outgrown"));
	free(html);
	html = slurp(tu_path("arep/months_held.dat"));
	contains(html, "scale a100-512 scale_lo scale_hi months_lo months_hi\n1 4.5 1 1 3.9 5.1\n"
		       "0.8 6 0.7 0.9 6 6\n");
	free(html);
	html = slurp(tu_path("arep/report.html"));
	assert_well_formed(html);
	assert_null(strstr(html, "http"));
	assert_int_equal(check_sections(html, true), 2);
	free(html);
	snprintf(args, sizeof(args), "report analysis:8 --out %s --db %s", dir, db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	contains(out, "no analysis with id 8");
	/* analysis 8: the a100s hold half a month longer and cost 10 % more per training run */
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	exec_sql(h, "INSERT INTO analyses SELECT 8, invocation_id, scenario_id, kind, month, n_months,"
		    " replications, 43, scale_max, scale_tol_frac, jobs, points, points_wall_s,"
		    " started_at, wall_s, '' FROM analyses WHERE id = 7");
	exec_sql(h, "INSERT INTO outgrow SELECT 8, fleet, gpu, gpus, criterion, criterion_replications,"
		    " first_fail_month_mean + 0.5, first_fail_month_lo, first_fail_month_hi,"
		    " first_fail_month_min, first_fail_month_max, n_held, scale_at_month_mean,"
		    " scale_at_month_ci_lo, scale_at_month_ci_hi, scale_at_month_min, scale_at_month_max,"
		    " n_scale_bound, usd_per_month, usd_per_training_run * 1.1, usd_per_mtok, budget_group,"
		    " gpu_group, longest_in_budget, longest_in_gpus FROM outgrow WHERE analysis_id = 7"
		    " AND fleet = 'a100-512'");
	sqlite3_close(h);
	snprintf(args, sizeof(args), "compare a7 analysis:8 --db %s --format csv", db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	contains(out, "fleet,metric,unit,better_is,a,b,b_minus_a,better\n"
		      "a100-512,first_fail_month_mean,month,higher,4.5,5,0.5,b\n");
	contains(out, "a100-512,scale_at_month_mean,x demand,higher,0.8,0.8,0,same\n");
	contains(out, "a100-512,usd_per_training_run,USD,lower,1200,1320");
	assert_null(strstr(out, "h100-512"));  /* only in analysis 7 */
	snprintf(args, sizeof(args), "compare a7 a9 --db %s", db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	contains(out, "no analysis with id 9");
	assert_null(strstr(out, "better:"));
	snprintf(args, sizeof(args), "compare a7 3 --db %s", db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	contains(out, "not one of each");
}

static void test_compare(void **state)
{
	const char *db = copied_db();
	char args[1024];
	const struct fs_compare_metric *m;
	int n;

	(void)state;
	/* run 1: 512 A100s, run 3: 512 H100s; the H100s wait less and cost more */
	snprintf(args, sizeof(args), "compare 1 3 --db %s --format csv", db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	contains(out, "metric,unit,better_is,a,b,b_minus_a,b_vs_a_pct,better\n");
	contains(out, "mean_wait_h,h,lower,");
	contains(out, "gpus,GPUs,-,512,512,0,0,-\n");
	/* the winners follow from the two runs' rows */
	{
		char *p = strstr(out, "\nmean_wait_h,");
		assert_non_null(p);
		p = strchr(p + 1, '\n');
		assert_memory_equal(p - 2, ",b", 2);
		p = strstr(out, "\nfleet_cost_usd,");
		assert_non_null(p);
		p = strchr(p + 1, '\n');
		assert_memory_equal(p - 2, ",a", 2);
	}
	snprintf(args, sizeof(args), "compare 1 3 --db %s", db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	contains(out, "better: lower wait");
	m = fs_compare_metrics(&n);
	assert_true(n >= 10);
	for (int i = 0; i < n; i++) {
		if (strcmp(m[i].name, "p90_tts_days") == 0) {
			assert_string_equal(fs_compare_winner(&m[i], 2.5, 3.0), "a");
			assert_string_equal(fs_compare_winner(&m[i], 3.0, 2.5), "b");
			assert_string_equal(fs_compare_winner(&m[i], 2.5, 2.5), "same");
			assert_string_equal(fs_compare_winner(&m[i], NAN, 2.5), "-");
		}
		if (strcmp(m[i].name, "serve_attainment_frac") == 0) {
			assert_int_equal(m[i].better, FS_BETTER_HIGHER);
			assert_string_equal(fs_compare_winner(&m[i], 0.97, 0.99), "b");
		}
		if (strcmp(m[i].name, "mean_util_frac") == 0)
			assert_string_equal(fs_compare_winner(&m[i], 0.5, 0.9), "-");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_from_copied_database),
		cmocka_unit_test(test_report_deterministic),
		cmocka_unit_test(test_report_without_gnuplot),
		cmocka_unit_test(test_report_bad_ids),
		cmocka_unit_test(test_views_percentiles_by_hand),
		cmocka_unit_test(test_report_analysis),
		cmocka_unit_test(test_compare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
