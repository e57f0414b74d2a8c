/*
 * test_replay.c - histories as a workload: the scenario key (relative path,
 * bad rows refused with the history's file and line, skip_bad_rows), a small
 * replay's schedule worked by hand under fifo on A100 and H100 (speed-up
 * rule), --scale counts (k = 2 doubles exactly, k = 2.5 and 0.5 within
 * binomial bounds, copies jittered within the window), cancelled jobs, the
 * training model for rows with model and tokens, and `fleetsim replay` end
 * to end (original ids and teams in the database, per-team view, exit 2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/history.h"
#include "fleetsim/run.h"
#include "fleetsim/scenario.h"
#include "fleetsim/workload.h"
#include "testutil.h"

/* Four jobs on one node of 8 GPUs (worked below). */
static const char small_csv[] = "submit_s,duration_s,gpus,name,team\n"
				"0,100,4,a,vision\n"
				"10,50,8,b,nlp\n"
				"20,30,4,c,vision\n"
				"25,40,2,d,nlp\n";

static const char *scenario(const char *name, const char *gpu, const char *history_group)
{
	static char text[1024];

	snprintf(text, sizeof(text),
		 "name = \"replay-test\";\nhorizon_days = 1;\nscheduler = \"fifo\";\n"
		 "fleets = ( { name = \"one-node\"; gpu = \"%s\"; nodes = 1; } );\n"
		 "training = { history = %s; };\n", gpu, history_group);
	return tu_write(name, text);
}

static void run_one(const struct fs_scenario *sc, uint64_t seed, struct fs_workload *w,
		    struct fs_run_result *r)
{
	struct fs_error e;

	fs_error_clear(&e);
	assert_int_equal(fs_workload_generate(sc, seed, w, &e), FS_OK);
	assert_int_equal(fs_run_fleet_workload(sc, w, 0, seed, r, &e), FS_OK);
}

/*
 * Strict FIFO by hand on 8 GPUs: a (4) runs 0-100; b (8) waits for a whole
 * node, 100-150; c (4) and d (2) are behind b: c 150-180, d 150-190.
 * Waits 0, 90, 130, 125 (mean 86.25 s).
 */
static void test_replay_fifo_by_hand(void **state)
{
	struct fs_scenario sc;
	struct fs_workload w;
	struct fs_run_result r;
	struct fs_error e;
	static const double start[] = { 0, 100, 150, 150 }, end[] = { 100, 150, 180, 190 };

	(void)state;
	tu_write("small.csv", small_csv);
	/* relative to the scenario file's directory, not the working directory */
	assert_int_equal(fs_scenario_load(scenario("replay_a100.cfg", "A100-SXM4-80GB",
						   "{ file = \"small.csv\"; }"), &sc, &e), FS_OK);
	assert_non_null(sc.history);
	assert_int_equal(sc.history->n_jobs, 4);
	run_one(&sc, 1, &w, &r);
	assert_int_equal(r.n_jobs, 4);
	for (int i = 0; i < 4; i++) {
		assert_float_equal(r.jobs[i].start_s, start[i], 1e-6);
		assert_float_equal(r.jobs[i].end_s, end[i], 1e-6);
	}
	assert_float_equal(r.sum.mean_wait_s, 86.25, 1e-6);
	{
		char name[96];
		assert_string_equal(fs_workload_job_name(&sc, r.jobs[1].source, r.jobs[1].seq, name,
							 sizeof(name)), "b");
		assert_string_equal(fs_workload_kind(&sc, r.jobs[1].source), "history");
		assert_string_equal(sc.history->teams[r.jobs[1].team], "nlp");
	}
	fs_run_result_fini(&r);
	fs_workload_fini(&w);
	fs_scenario_fini(&sc);
}

/*
 * The same on H100: every duration x 0.338176 (test_history). a ends at
 * 33.8176, b 33.8176-50.7264, c 50.7264-60.8717, d 50.7264-64.2534.
 */
static void test_replay_h100_speedup(void **state)
{
	struct fs_scenario sc;
	struct fs_workload w;
	struct fs_run_result r;
	struct fs_error e;
	const double k = 0.338176;

	(void)state;
	tu_write("small.csv", small_csv);
	assert_int_equal(fs_scenario_load(scenario("replay_h100.cfg", "H100-SXM5-80GB",
						   "{ file = \"small.csv\"; }"), &sc, &e), FS_OK);
	run_one(&sc, 1, &w, &r);
	assert_float_equal(r.jobs[0].end_s, 100 * k, 1e-4);
	assert_float_equal(r.jobs[1].start_s, 100 * k, 1e-4);
	assert_float_equal(r.jobs[1].end_s, 150 * k, 1e-4);
	assert_float_equal(r.jobs[3].end_s, 150 * k + 40 * k, 1e-4);
	fs_run_result_fini(&r);
	fs_workload_fini(&w);
	fs_scenario_fini(&sc);
}

static void test_replay_bad_history_refused(void **state)
{
	struct fs_scenario sc;
	struct fs_error e;

	(void)state;
	tu_write("bad.csv", "submit_s,duration_s,gpus\n0,10,1\n1,10,0\n2,10,1\n");
	fs_error_clear(&e);
	assert_int_equal(fs_scenario_load(scenario("replay_bad.cfg", "A100-SXM4-80GB",
						   "{ file = \"bad.csv\"; }"), &sc, &e),
			 FS_ERR_INPUT);
	assert_non_null(strstr(e.file, "bad.csv"));
	assert_int_equal(e.line, 3);
	assert_int_equal(fs_scenario_load(scenario("replay_skip.cfg", "A100-SXM4-80GB",
						   "{ file = \"bad.csv\"; skip_bad_rows = true; }"),
					  &sc, &e), FS_OK);
	assert_int_equal(sc.history->n_skipped, 1);
	assert_int_equal(sc.history->n_jobs, 2);
	fs_scenario_fini(&sc);
	/* a missing file names the scenario's key and line */
	assert_int_equal(fs_scenario_load(scenario("replay_missing.cfg", "A100-SXM4-80GB",
						   "{ file = \"nope.csv\"; }"), &sc, &e),
			 FS_ERR_INPUT);
	assert_non_null(strstr(e.file, "replay_missing.cfg"));
	assert_string_equal(e.key, "training.history.file");
	assert_int_equal(fs_scenario_load(scenario("replay_fmt.cfg", "A100-SXM4-80GB",
						   "{ file = \"small.csv\"; format = \"lsf\"; }"),
					  &sc, &e), FS_ERR_INPUT);
	assert_string_equal(e.key, "training.history.format");
}

/* n jobs of one GPU, one a second apart. */
static const char *many_jobs(int n)
{
	size_t cap = (size_t)n * 32 + 64, o = 0;
	char *t = malloc(cap);
	const char *path;

	o += (size_t)snprintf(t, cap, "submit_s,duration_s,gpus\n");
	for (int i = 0; i < n; i++)
		o += (size_t)snprintf(t + o, cap - o, "%d,60,1\n", i * 1000);
	path = tu_write("many.csv", t);
	free(t);
	return path;
}

static size_t arrivals_at_scale(const char *k, uint64_t seed, double *max_shift)
{
	char group[128];
	struct fs_scenario sc;
	struct fs_workload w;
	struct fs_error e;
	size_t n;

	snprintf(group, sizeof(group), "{ file = \"many.csv\"; scale = %s; }", k);
	assert_int_equal(fs_scenario_load(scenario("replay_scale.cfg", "A100-SXM4-80GB", group),
					  &sc, &e), FS_OK);
	assert_int_equal(fs_workload_generate(&sc, seed, &w, &e), FS_OK);
	n = w.n;
	*max_shift = 0;
	for (size_t i = 0; i < w.n; i++) {
		/* rows are 1000 s apart: the shift from the row's time is submit mod 1000 */
		double shift = fmod(w.jobs[i].submit_s, 1000.0);
		*max_shift = fmax(*max_shift, shift);
		assert_true(w.jobs[i].duration_s == 60.0);
	}
	fs_workload_fini(&w);
	fs_scenario_fini(&sc);
	return n;
}

/*
 * 2000 rows: k = 2 gives exactly 4000 (floor(k) copies each); k = 2.5 gives
 * 4000 + Binomial(2000, 0.5): mean 5000, sd 22.4; k = 0.5 Binomial(2000,
 * 0.5): mean 1000, sd 22.4. Bounds at 4.5 sd. Copies shift by less than
 * FS_HISTORY_JITTER_S; k = 1 shifts nothing.
 */
static void test_replay_scale_counts(void **state)
{
	double shift;
	size_t n;

	(void)state;
	many_jobs(2000);
	assert_int_equal(arrivals_at_scale("1.0", 7, &shift), 2000);
	assert_true(shift == 0.0);
	assert_int_equal(arrivals_at_scale("2.0", 7, &shift), 4000);
	assert_true(shift > 0 && shift < FS_HISTORY_JITTER_S);
	n = arrivals_at_scale("2.5", 7, &shift);
	assert_true(n > 4900 && n < 5100);
	n = arrivals_at_scale("0.5", 7, &shift);
	assert_true(n > 900 && n < 1100);
	assert_true(shift == 0.0);
	/* same seed, same draw */
	assert_int_equal(arrivals_at_scale("0.5", 7, &shift), n);
}

/* A cancelled row is submitted marked cancelled; a row with model and tokens takes the model's time. */
static void test_replay_cancelled_and_model_rows(void **state)
{
	struct fs_scenario sc;
	struct fs_workload w;
	struct fs_error e;

	(void)state;
	tu_write("slurm.txt",
		 "JobID|Submit|Start|End|Elapsed|AllocTRES|State|Account\n"
		 "1|2024-05-01T00:00:00|2024-05-01T00:00:00|2024-05-01T01:00:00|01:00:00|"
		 "gres/gpu=4|COMPLETED|a\n"
		 "2|2024-05-01T00:10:00|Unknown|2024-05-01T00:20:00|00:00:00||CANCELLED by 7|a\n");
	assert_int_equal(fs_scenario_load(scenario("replay_slurm.cfg", "A100-SXM4-80GB",
						   "{ file = \"slurm.txt\"; format = \"slurm\"; }"),
					  &sc, &e), FS_OK);
	assert_int_equal(sc.history->n_cancelled, 1);
	assert_int_equal(fs_workload_generate(&sc, 1, &w, &e), FS_OK);
	assert_int_equal(w.n, 2);
	assert_true(w.jobs[0].duration_s == 3600.0);
	assert_false(w.jobs[0].cancelled);
	assert_string_equal(w.jobs[0].ref_gpu->name, FS_HISTORY_DEFAULT_GPU);
	assert_true(w.jobs[1].cancelled);
	assert_true(w.jobs[1].submit_s == 600.0);
	fs_workload_fini(&w);
	fs_scenario_fini(&sc);

	tu_write("model.csv", "submit_s,duration_s,gpus,model,tokens\n0,999,8,llama3-8b,1e9\n");
	assert_int_equal(fs_scenario_load(scenario("replay_model.cfg", "A100-SXM4-80GB",
						   "{ file = \"model.csv\"; }"), &sc, &e), FS_OK);
	assert_int_equal(fs_workload_generate(&sc, 1, &w, &e), FS_OK);
	assert_non_null(w.jobs[0].model);
	assert_true(w.jobs[0].duration_s == 0.0);
	assert_true(w.jobs[0].tokens == 1e9);
	fs_workload_fini(&w);
	fs_scenario_fini(&sc);
}

/* The text of a one-cell query on db ("" when NULL), into out. */
static const char *cell(const char *db, const char *sql, char *out, size_t n)
{
	sqlite3 *h;
	sqlite3_stmt *st;

	out[0] = '\0';
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

static void test_replay_cli(void **state)
{
	char args[1024], out[8192];

	(void)state;
	tu_write("small.csv", small_csv);
	remove(tu_path("replay.db"));
	snprintf(args, sizeof(args), "replay %s --fleet A100-SXM4-80GB:8 --fleet H100-SXM5-80GB:16 "
		 "--db %s --output csv", tu_path("small.csv"), tu_path("replay.db"));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	{
		const char *db = tu_path("replay.db");
		char v[256];
		/* original ids and teams; the A100 fleet's schedule by hand (fifo test) */
		assert_string_equal(cell(db, "SELECT group_concat(name || ':' || team || ':' || start_s, ' ')"
					 " FROM (SELECT * FROM jobs WHERE run_id = 1 ORDER BY job_idx)",
					 v, sizeof(v)),
				    "a:vision:0.0 b:nlp:100.0 c:vision:150.0 d:nlp:150.0");
		/* per team: vision waits 0 + 130 s, GPU-hours 4 x 100 + 4 x 30 s */
		assert_string_equal(cell(db, "SELECT n_jobs || ' ' || round(mean_wait_h * 3600, 6) || ' '"
					 " || round(gpu_hours * 3600, 6) FROM team_months"
					 " WHERE run_id = 1 AND team = 'vision' AND month = 0", v,
					 sizeof(v)), "2 65.0 520.0");
		assert_string_equal(cell(db, "SELECT format || ' ' || n_jobs || ' ' || scale FROM"
					 " run_histories WHERE run_id = 2", v, sizeof(v)),
				    "csv 4 1.0");
	}
	/* not whole nodes; no fleet; a bad history: exit 2 */
	snprintf(args, sizeof(args), "replay %s --fleet A100-SXM4-80GB:7", tu_path("small.csv"));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	snprintf(args, sizeof(args), "replay %s", tu_path("small.csv"));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	tu_write("bad2.csv", "submit_s,duration_s,gpus\n0,10,1\n1,x,1\n");
	snprintf(args, sizeof(args), "replay %s --fleet A100-SXM4-80GB:8 --db %s",
		 tu_path("bad2.csv"), tu_path("replay.db"));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "bad2.csv:3"));
}

/*
 * A Slurm export with a job cancelled before it started, on one node of 8
 * A100s (the default GPU: durations as given) under fifo. By hand: 10 (4
 * GPUs) runs 0-100; 11 is cancelled at its submit time 10 (start = end =
 * 10, no GPU time); 12 (8) waits for the whole node, 100-150; 13 (4) is
 * behind it, 150-180. Waits of the jobs that ran 0, 80, 125: mean 205/3 s;
 * GPU-hours (4 x 100 + 8 x 50 + 4 x 30) / 3600. Stored: status 'cancelled',
 * no times, 0 GPU-hours.
 */
static const char cancelled_slurm[] =
	"JobID|Submit|Start|End|Elapsed|AllocTRES|State|Account\n"
	"10|2024-05-01T00:00:00|2024-05-01T00:00:00|2024-05-01T00:01:40|00:01:40|"
	"gres/gpu=4|COMPLETED|a\n"
	"11|2024-05-01T00:00:10|Unknown|2024-05-01T00:05:00|00:00:00||CANCELLED by 7|b\n"
	"12|2024-05-01T00:00:20|2024-05-01T00:00:20|2024-05-01T00:01:10|00:00:50|"
	"gres/gpu=8|COMPLETED|a\n"
	"13|2024-05-01T00:00:25|2024-05-01T00:00:25|2024-05-01T00:00:55|00:00:30|"
	"gres/gpu=4|COMPLETED|b\n";

static void test_replay_cancelled_kept(void **state)
{
	struct fs_scenario sc;
	struct fs_workload w;
	struct fs_run_result r;
	struct fs_error e;
	static const double start[] = { 0, 10, 100, 150 }, end[] = { 100, 10, 150, 180 };
	char args[1024], out[8192], v[256];
	const char *db = tu_path("cancel.db");

	(void)state;
	tu_write("cancel.txt", cancelled_slurm);
	assert_int_equal(fs_scenario_load(scenario("replay_cancel.cfg", "A100-SXM4-80GB",
						   "{ file = \"cancel.txt\"; format = \"slurm\"; }"),
					  &sc, &e), FS_OK);
	run_one(&sc, 1, &w, &r);
	assert_int_equal(r.n_jobs, 4);
	for (int i = 0; i < 4; i++) {
		assert_float_equal(r.jobs[i].start_s, start[i], 1e-6);
		assert_float_equal(r.jobs[i].end_s, end[i], 1e-6);
		assert_int_equal(r.jobs[i].status, i == 1 ? FS_JOB_CANCELLED : FS_JOB_DONE);
	}
	assert_true(r.jobs[1].gpu_hours == 0.0 && r.jobs[1].wait_s == 0.0);
	assert_int_equal(r.jobs[1].pool, -1);
	assert_int_equal(r.sum.n_jobs, 4);
	assert_int_equal(r.sum.n_cancelled, 1);
	assert_int_equal(r.sum.n_infeasible, 0);
	assert_float_equal(r.sum.mean_wait_s, 205.0 / 3.0, 1e-6);
	assert_float_equal(r.sum.gpu_hours, 920.0 / 3600.0, 1e-9);
	assert_float_equal(r.sum.makespan_s, 180.0, 1e-6);
	fs_run_result_fini(&r);
	fs_workload_fini(&w);
	fs_scenario_fini(&sc);

	remove(db);
	snprintf(args, sizeof(args), "replay %s --format slurm --fleet A100-SXM4-80GB:8 --db %s",
		 tu_path("cancel.txt"), db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	assert_string_equal(cell(db, "SELECT group_concat(name || ':' || status || ':' ||"
				 " COALESCE(start_s, '-') || ':' || gpu_hours, ' ')"
				 " FROM (SELECT * FROM jobs ORDER BY job_idx)", v, sizeof(v)),
			    "10:done:0.0:0.111111111111111 11:cancelled:-:0.0 "
			    "12:done:100.0:0.111111111111111 13:done:150.0:0.0333333333333333");
	assert_string_equal(cell(db, "SELECT n_jobs || ' ' || n_ran || ' ' || round(mean_wait_h * 3600, 6)"
				 " FROM team_months WHERE team = 'b'", v, sizeof(v)), "2 1 125.0");
	assert_string_equal(cell(db, "SELECT n_jobs || ' ' || n_infeasible || ' ' || n_ran"
				 " FROM job_months WHERE kind = '(all)'", v, sizeof(v)), "4 0 3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_fifo_by_hand),
		cmocka_unit_test(test_replay_h100_speedup),
		cmocka_unit_test(test_replay_bad_history_refused),
		cmocka_unit_test(test_replay_scale_counts),
		cmocka_unit_test(test_replay_cancelled_and_model_rows),
		cmocka_unit_test(test_replay_cli),
		cmocka_unit_test(test_replay_cancelled_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
