/*
 * test_sweep.c - sweep files, the work list and its seeds, bad sweep files,
 * `fleetsim sweep` (reproduction with `fleetsim run`, shards, resume, Slurm
 * variables, the sbatch script) and `fleetsim merge`.
 *
 * Expected values are worked by hand from the sweep files below; rows of a
 * sweep are compared with rows of `fleetsim run` and of other sweeps, never
 * with numbers copied from the program's output.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fleetsim/dispatch.h"
#include "fleetsim/store.h"
#include "fleetsim/sweep.h"
#include "fleetsim/util.h"
#include "testutil.h"

#define DATA FLEETSIM_SOURCE_DIR "/tests/data/"
#define SMALL DATA "sweep-small.cfg"

/* The columns of an item that are results (wall_s and shard are not). */
#define ITEM_COLS                                                                                  \
	"item, point, fleet, fleet_idx, replication, seed, horizon_s, n_months, n_jobs,"            \
	" n_done_in_horizon, n_infeasible, n_preemptions, mean_wait_s, p90_wait_s, mean_tts_s,"     \
	" p90_tts_s, mean_util_frac, gpu_hours, fleet_cost_usd, usd_per_month,"                     \
	" serve_attainment_frac, usd_per_training_job, usd_per_mtok_served, n_criteria,"            \
	" first_fail_month, first_fail_criterion, events"

/* Rows of a's sweep_items not in b's and the other way round (result columns only): 0 when equal. */
static long long items_differ(const char *a, const char *b)
{
	char sql[2048];
	sqlite3 *h;
	sqlite3_stmt *st;
	long long n = -1;

	assert_int_equal(sqlite3_open(a, &h), SQLITE_OK);
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS b", b);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql),
		 "SELECT (SELECT COUNT(*) FROM (SELECT " ITEM_COLS " FROM main.sweep_items EXCEPT"
		 " SELECT " ITEM_COLS " FROM b.sweep_items)) + (SELECT COUNT(*) FROM (SELECT " ITEM_COLS
		 " FROM b.sweep_items EXCEPT SELECT " ITEM_COLS " FROM main.sweep_items))");
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static void run_ok(const char *args)
{
	char out[8192];
	int rc = tu_fleetsim(args, out, sizeof(out));
	if (rc != 0)
		fprintf(stderr, "fleetsim %s -> %d:\n%s\n", args, rc, out);
	assert_int_equal(rc, 0);
}

/* A sweep over chat-team-short.cfg with the given body after `base`. */
static const char *sweep_file(const char *name, const char *body)
{
	char text[4096];

	snprintf(text, sizeof(text), "base = \"%schat-team-short.cfg\";\n%s", DATA, body);
	return tu_write(name, text);
}

/*
 * Two varied keys (3 values x a 3-step range), two fleets, two
 * replications: 9 points, 36 items. By the documented order (replication
 * fastest, then fleet, then point; the last key fastest among the points):
 * item 0 = (point 0, fleet 0, rep 0), item 1 = (0, 0, 1), item 2 = (0, 1, 0),
 * item 4 = (1, 0, 0), item 35 = (8, 1, 1); point 1 = (0.1, 20),
 * point 3 = (0.2, 10), point 8 = (0.3, 30).
 */
static void test_sweep_order_and_seeds(void **state)
{
	const char *path = sweep_file("order.cfg",
		"vary = (\n"
		"  { key = \"serving.services.[0].demand.growth_per_month\"; values = [0.1, 0.2, 0.3]; },\n"
		"  { key = \"serving.services.[0].demand.rps\"; range = { from = 10.0; to = 30.0; steps = 3; }; }\n"
		");\n"
		"fleets = [\"h100-same-count\", \"a100-512\"];\n"
		"replications = 2;\n"
		"seed = 11;\n");
	struct fs_sweep sw;
	struct fs_sweep_item it;
	struct fs_error e;
	double v[FS_SWEEP_MAX_PARAMS];
	char *text, name[64];

	(void)state;
	assert_int_equal(fs_sweep_load(path, &sw, &e), FS_OK);
	assert_int_equal(sw.n_params, 2);
	assert_int_equal(sw.n_points, 9);
	assert_int_equal(sw.n_fleets, 2);
	assert_int_equal(sw.n_items, 36);
	/* fleets in the sweep's order, indices into the scenario's (a100-512 is its first) */
	assert_int_equal(sw.fleet_idx[0], 2);
	assert_int_equal(sw.fleet_idx[1], 0);
	fs_sweep_item_at(&sw, 0, &it);
	assert_true(it.point == 0 && it.fleet == 0 && it.replication == 0 && it.fleet_idx == 2);
	fs_sweep_item_at(&sw, 1, &it);
	assert_true(it.point == 0 && it.fleet == 0 && it.replication == 1);
	fs_sweep_item_at(&sw, 2, &it);
	assert_true(it.point == 0 && it.fleet == 1 && it.replication == 0 && it.fleet_idx == 0);
	fs_sweep_item_at(&sw, 4, &it);
	assert_true(it.point == 1 && it.fleet == 0 && it.replication == 0);
	fs_sweep_item_at(&sw, 35, &it);
	assert_true(it.point == 8 && it.fleet == 1 && it.replication == 1);
	fs_sweep_point_values(&sw, 1, v);
	assert_true(v[0] == 0.1 && v[1] == 20.0);
	fs_sweep_point_values(&sw, 3, v);
	assert_true(v[0] == 0.2 && v[1] == 10.0);
	fs_sweep_point_values(&sw, 8, v);
	assert_true(v[0] == 0.3 && v[1] == 30.0);
	/* seeds: the project's mixing of (master, "sweep:<point>:<rep>"), 63 bits; fleets share */
	fs_sweep_item_at(&sw, 4 * 7 + 3, &it); /* point 7, fleet 1, rep 1 */
	assert_true(it.point == 7 && it.fleet == 1 && it.replication == 1);
	assert_true(it.seed == (fs_seed_mix(11, "sweep:7:1") & (uint64_t)INT64_MAX));
	{
		struct fs_sweep_item a, b;
		fs_sweep_item_at(&sw, 0, &a);
		fs_sweep_item_at(&sw, 2, &b);
		assert_true(a.seed == b.seed);
		fs_sweep_item_at(&sw, 1, &b);
		assert_true(a.seed != b.seed);
	}
	snprintf(name, sizeof(name), "sweep:%d:%d", 0, 0);
	assert_true(fs_sweep_item_seed(11, 0, 0) == (fs_seed_mix(11, name) & (uint64_t)INT64_MAX));
	/* point 3's text: the two values in place, the rest of the base unchanged */
	assert_int_equal(fs_sweep_point_text(&sw, 3, &text, &e), FS_OK);
	assert_non_null(strstr(text, "        growth_per_month = 0.2;\n"));
	assert_non_null(strstr(text, "        rps = 10.0;\n"));
	assert_non_null(strstr(text, "growth_per_month = 0.15;")); /* a stream's, not varied */
	assert_int_equal(strlen(text), strlen(sw.base_text) - strlen("0.20") + strlen("0.2") -
					       strlen("30.0") + strlen("10.0"));
	free(text);
	fs_sweep_fini(&sw);

	/* step and log ranges */
	path = sweep_file("ranges.cfg",
		"vary = (\n"
		"  { key = \"serving.services.[0].demand.growth_per_month\"; range = { from = 0.05; to = 0.3; step = 0.05; }; },\n"
		"  { key = \"serving.services.[0].demand.rps\"; range = { from = 1.0; to = 100.0; steps = 3; scale = \"log\"; }; }\n"
		");\n");
	assert_int_equal(fs_sweep_load(path, &sw, &e), FS_OK);
	assert_int_equal(sw.params[0].n_values, 6);
	assert_true(sw.params[0].values[5] > 0.2999 && sw.params[0].values[5] < 0.3001);
	assert_int_equal(sw.params[1].n_values, 3);
	assert_true(sw.params[1].values[0] == 1.0 && sw.params[1].values[2] == 100.0);
	assert_true(sw.params[1].values[1] > 9.999999 && sw.params[1].values[1] < 10.000001);
	assert_int_equal(sw.n_fleets, 3); /* all the base's options */
	assert_int_equal(sw.replications, 1);
	fs_sweep_fini(&sw);
}

struct bad_case {
	const char *body;
	int line;       /* in the sweep file (base is line 1) */
	const char *key;
	const char *msg; /* part of the message */
};

static void test_sweep_bad_files(void **state)
{
	static const struct bad_case cases[] = {
		{ "vary = ( { key = \"serving.services.[0].demand.growth\"; values = [0.1]; } );\n", 2,
		  "serving.services.[0].demand.growth", "no such setting" },
		{ "vary = ( { key = \"serving.services.[0].model\"; values = [1.0]; } );\n", 2,
		  "serving.services.[0].model", "expected a numeric key" },
		{ "vary = ( { key = \"serving.services.[0].demand.rps\";\n  values = []; } );\n", 3,
		  "vary.[0].values", "empty values" },
		{ "vary = ( { key = \"horizon_days\"; range = { from = 30.0; to = 60.0; steps = 1; }; } );\n",
		  2, "vary.[0].range", "steps = 1" },
		{ "vary = ( { key = \"horizon_days\"; range = { from = 30.0; to = 30.0; steps = 3; }; } );\n",
		  2, "vary.[0].range", "from = to" },
		{ "vary = ( { key = \"horizon_days\"; range = { from = 30.0; to = 60.0; step = -5.0; }; } );\n",
		  2, "vary.[0].range", "step = -5" },
		{ "vary = ( { key = \"horizon_days\"; values = [\"long\"]; } );\n", 2, "vary.[0].values",
		  "expected a finite number" },
		{ "vary = ( { key = \"serving.services.[0].demand.growth_per_month\";\n"
		  "  values = [0.1, -5.0]; } );\n", 2, "serving.services.[0].demand.growth_per_month",
		  "point 1" },
		{ "fleets = [\"a100-512\", \"b200\"];\n", 2, "fleets", "unknown fleet option 'b200'" },
		{ "replication = 3;\n", 2, "replication", "did you mean 'replications'" },
		{ "replications = 0;\n", 2, "replications", "expected an integer from 1" },
		{ "analysis = \"outgrow\";\n", 2, "analysis", "not supported yet" },
	};
	char args[1024], out[8192], hash0[65], hash1[65], db[512];

	(void)state;
	/* a copy: tu_path's buffers are reused after 8 calls */
	snprintf(db, sizeof(db), "%s", tu_path("bad.db"));
	/* an existing database stays byte for byte as it was */
	snprintf(args, sizeof(args), "sweep %s --db %s --quiet --shard 0/12", SMALL, db);
	run_ok(args);
	tu_file_hash(db, hash0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = sweep_file("bad.cfg", cases[i].body);
		struct fs_sweep sw;
		struct fs_error e;

		assert_int_equal(fs_sweep_load(path, &sw, &e), FS_ERR_INPUT);
		if (strcmp(e.file, path) != 0 || e.line != cases[i].line ||
		    strcmp(e.key, cases[i].key) != 0 || !strstr(e.msg, cases[i].msg))
			fprintf(stderr, "case %zu: %s:%d: %s: %s\n", i, e.file, e.line, e.key, e.msg);
		assert_string_equal(e.file, path);
		assert_int_equal(e.line, cases[i].line);
		assert_string_equal(e.key, cases[i].key);
		assert_non_null(strstr(e.msg, cases[i].msg));
		snprintf(args, sizeof(args), "sweep %s --db %s", path, db);
		assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
		assert_non_null(strstr(out, path));
		tu_file_hash(db, hash1);
		if (strcmp(hash0, hash1) != 0)
			fprintf(stderr, "case %zu changed the database\n", i);
		assert_string_equal(hash0, hash1);
	}
	/* a missing base, and no base at all */
	{
		const char *path = tu_write("nobase.cfg", "base = \"nope.cfg\";\n");
		struct fs_sweep sw;
		struct fs_error e;
		assert_int_equal(fs_sweep_load(path, &sw, &e), FS_ERR_INPUT);
		assert_int_equal(e.line, 1);
		assert_string_equal(e.key, "base");
		assert_non_null(strstr(e.msg, "nope.cfg"));
		path = tu_write("nobase.cfg", "replications = 2;\n");
		assert_int_equal(fs_sweep_load(path, &sw, &e), FS_ERR_INPUT);
		assert_string_equal(e.key, "base");
		assert_non_null(strstr(e.msg, "missing required key 'base'"));
		snprintf(args, sizeof(args), "sweep %s --db %s", path, tu_path("never.db"));
		assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
		assert_int_equal(access(tu_path("never.db"), F_OK), -1);
	}
	/* bad shard options */
	snprintf(args, sizeof(args), "sweep %s --db %s --shard 3/3", SMALL, db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	tu_file_hash(db, hash1);
	assert_string_equal(hash0, hash1);
}

/* An item's row equals the row of `fleetsim run` on the printed scenario and seed. */
static void test_sweep_reproduce(void **state)
{
	const char *db = tu_path("repro.db"), *rdb = tu_path("repro-run.db"),
		   *cfg = tu_path("item9.cfg");
	char args[2048], out[8192], sql[1024];
	const char *seed;
	struct fs_sweep sw;
	struct fs_sweep_item it;
	struct fs_error e;

	(void)state;
	snprintf(args, sizeof(args), "sweep %s --db %s --quiet", SMALL, db);
	run_ok(args);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM sweep_items"), 12);
	/* item 9 = point 1, fleet 1 (h100-same-usd), replication 1 */
	assert_int_equal(fs_sweep_load(SMALL, &sw, &e), FS_OK);
	fs_sweep_item_at(&sw, 9, &it);
	assert_true(it.point == 1 && it.fleet == 1 && it.replication == 1);
	snprintf(args, sizeof(args), "sweep %s --item 9 --print-scenario 2>%s.err >%s; cat %s.err",
		 SMALL, cfg, cfg, cfg);
	run_ok(args);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	seed = strstr(out, "--seed ");
	assert_non_null(seed);
	assert_int_equal(strtoull(seed + 7, NULL, 10), it.seed);
	snprintf(args, sizeof(args), "run %s --seed %llu --db %s --format csv", cfg,
		 (unsigned long long)it.seed, rdb);
	run_ok(args);
	snprintf(sql, sizeof(sql),
		 "SELECT COUNT(*) FROM runs r, sweep.sweep_items i WHERE i.item = 9"
		 " AND r.fleet = 'h100-same-usd' AND r.seed = i.seed AND r.n_jobs = i.n_jobs"
		 " AND r.n_done_in_horizon = i.n_done_in_horizon AND r.mean_util_frac = i.mean_util_frac"
		 " AND r.fleet_cost_usd = i.fleet_cost_usd AND r.gpu_hours = i.gpu_hours"
		 " AND r.mean_wait_s IS i.mean_wait_s AND r.p90_tts_s IS i.p90_tts_s"
		 " AND r.serve_attainment_frac IS i.serve_attainment_frac AND r.events = i.events");
	{
		sqlite3 *h;
		sqlite3_stmt *st;
		char att[600];
		assert_int_equal(sqlite3_open(rdb, &h), SQLITE_OK);
		snprintf(att, sizeof(att), "ATTACH '%s' AS sweep", db);
		assert_int_equal(sqlite3_exec(h, att, NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), 1);
		sqlite3_finalize(st);
		sqlite3_close(h);
	}
	fs_sweep_fini(&sw);
}

/* Workers plan the services in parallel and share the plans: the rows of
 * --jobs 2 and 3 equal those of --jobs 1 (whose item 9 `fleetsim run`
 * reproduces, test_sweep_reproduce), and in process a cache warmed by two
 * workers runs every item to the same outcome as one warmed serially. */
static void test_sweep_jobs_identical(void **state)
{
	const char *one = tu_path("jobs1.db");
	char args[2048], db[1024];
	struct fs_sweep sw;
	struct fs_sweep_cache serial, parallel;
	struct fs_dispatch_params dp;
	struct fs_error e;

	(void)state;
	snprintf(args, sizeof(args), "sweep %s --db %s --quiet", SMALL, one);
	run_ok(args);
	for (int j = 2; j <= 3; j++) {
		snprintf(db, sizeof(db), "%s/jobs%d.db", tu_tmpdir(), j);
		snprintf(args, sizeof(args), "sweep %s --db %s --jobs %d --quiet", SMALL, db, j);
		run_ok(args);
		assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM sweep_items"), 12);
		assert_int_equal(items_differ(one, db), 0);
	}

	assert_int_equal(fs_sweep_load(SMALL, &sw, &e), FS_OK);
	memset(&serial, 0, sizeof(serial));
	memset(&parallel, 0, sizeof(parallel));
	fs_dispatch_params_init(&dp);
	dp.jobs = 2;
	assert_int_equal(fs_sweep_cache_warm(&sw, &serial, 0, &e), FS_OK);
	assert_int_equal(fs_sweep_cache_warm_jobs(&sw, &parallel, 0, &dp, &e), FS_OK);
	for (size_t i = 0; i < sw.n_items; i++) {
		struct fs_sweep_outcome a, b;
		assert_int_equal(fs_sweep_run_item(&sw, &serial, i, &a, &e), FS_OK);
		assert_int_equal(fs_sweep_run_item(&sw, &parallel, i, &b, &e), FS_OK);
		a.wall_s = b.wall_s = 0;
		assert_memory_equal(&a, &b, sizeof(a));
	}
	fs_sweep_cache_fini(&serial);
	fs_sweep_cache_fini(&parallel);
	fs_sweep_fini(&sw);
}

/* Shards 0/3, 1/3, 2/3 merged equal the unsharded sweep row for row; merging is idempotent. */
static void test_sweep_shards_merge(void **state)
{
	const char *whole = tu_path("whole.db"), *merged = tu_path("merged.db");
	char args[2048], out[8192], h0[65], h1[65];

	(void)state;
	snprintf(args, sizeof(args), "sweep %s --db %s --quiet", SMALL, whole);
	run_ok(args);
	for (int k = 0; k < 3; k++) {
		snprintf(args, sizeof(args), "sweep %s --db %s/part%d.db --shard %d/3 --quiet", SMALL,
			 tu_tmpdir(), k, k);
		run_ok(args);
		snprintf(args, sizeof(args), "%s/part%d.db", tu_tmpdir(), k);
		assert_int_equal(tu_sql_int(args, "SELECT COUNT(*) FROM sweep_items"), 4);
		snprintf(out, sizeof(out), "SELECT COUNT(*) FROM sweep_items WHERE item %% 3 <> %d", k);
		assert_int_equal(tu_sql_int(args, out), 0);
	}
	snprintf(args, sizeof(args), "merge %s %s/part0.db %s/part1.db %s/part2.db", merged,
		 tu_tmpdir(), tu_tmpdir(), tu_tmpdir());
	run_ok(args);
	assert_int_equal(tu_sql_int(merged, "SELECT COUNT(*) FROM sweep_items"), 12);
	assert_int_equal(tu_sql_int(merged, "SELECT COUNT(*) FROM sweeps"), 1);
	assert_int_equal(items_differ(whole, merged), 0);
	assert_int_equal(tu_sql_int(merged, "SELECT COUNT(*) FROM sweep_points"), 2);
	/* the same shard again adds nothing */
	snprintf(args, sizeof(args), "merge %s %s/part1.db", merged, tu_tmpdir());
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, ": 0 items added"));
	assert_int_equal(tu_sql_int(merged, "SELECT COUNT(*) FROM sweep_items"), 12);
	assert_int_equal(tu_sql_int(merged, "SELECT COUNT(*) FROM sweeps"), 1);
	/* a shard of another sweep (another seed) is refused, the output unchanged */
	{
		const char *other = tu_write("other.cfg", "base = \"" DATA "chat-team-short.cfg\";\n"
							  "replications = 2;\nseed = 8;\n");
		snprintf(args, sizeof(args), "sweep %s --db %s/other.db --shard 0/6 --quiet", other,
			 tu_tmpdir());
		run_ok(args);
		tu_file_hash(merged, h0);
		snprintf(args, sizeof(args), "merge %s %s/other.db", merged, tu_tmpdir());
		assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
		assert_non_null(strstr(out, "different sweep"));
		snprintf(args, sizeof(args), "merge %s %s/part0.db %s/other.db", tu_path("m2.db"),
			 tu_tmpdir(), tu_tmpdir());
		assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
		assert_non_null(strstr(out, "different sweep"));
		assert_int_equal(access(tu_path("m2.db"), F_OK), -1);
		tu_file_hash(merged, h1);
		assert_string_equal(h0, h1);
	}
	/* a part of an older schema is refused and left as it was (not migrated) */
	{
		const char *old = tu_path("v6.db");
		char *sql = NULL, hold[65], hold1[65];
		size_t len = 0;
		FILE *f = fopen(DATA "schema_v6.sql", "rb");
		sqlite3 *h;
		assert_non_null(f);
		assert_true(getdelim(&sql, &len, '\0', f) > 0);
		fclose(f);
		assert_int_equal(sqlite3_open(old, &h), SQLITE_OK);
		assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 6", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(h);
		free(sql);
		tu_file_hash(old, hold);
		snprintf(args, sizeof(args), "merge %s %s", merged, old);
		assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
		assert_non_null(strstr(out, "schema version 6"));
		tu_file_hash(old, hold1);
		assert_string_equal(hold, hold1);
		tu_file_hash(merged, h1);
		assert_string_equal(h0, h1);
	}
}

/* A rerun skips the items already stored; the result equals one whole run. */
static void test_sweep_resume(void **state)
{
	const char *db = tu_path("resume.db"), *whole = tu_path("resume-whole.db");
	char args[2048], out[8192];

	(void)state;
	snprintf(args, sizeof(args), "sweep %s --db %s --shard 1/2 --quiet", SMALL, db);
	run_ok(args);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM sweep_items"), 6);
	snprintf(args, sizeof(args), "sweep %s --db %s", SMALL, db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "6 stored before, 6 run now"));
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM sweep_items"), 12);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM sweep_items WHERE shard = '1/2'"), 6);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM sweeps"), 1);
	/* once more: nothing to do */
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "12 stored before, 0 run now"));
	snprintf(args, sizeof(args), "sweep %s --db %s --quiet", SMALL, whole);
	run_ok(args);
	assert_int_equal(items_differ(db, whole), 0);
	/* items committed in groups (--commit-s) are the same rows */
	snprintf(args, sizeof(args), "sweep %s --db %s --quiet --commit-s 60", SMALL,
		 tu_path("grouped.db"));
	run_ok(args);
	assert_int_equal(tu_sql_int(tu_path("grouped.db"), "SELECT COUNT(*) FROM sweep_items"), 12);
	assert_int_equal(items_differ(tu_path("grouped.db"), whole), 0);
}

static void test_sweep_slurm_env(void **state)
{
	struct fs_error e;
	size_t k, n;
	bool found;
	char args[2048], out[8192];

	(void)state;
	assert_int_equal(fs_sweep_shard_slurm(NULL, NULL, NULL, NULL, &k, &n, &found, &e), FS_OK);
	assert_true(!found && k == 0 && n == 1);
	/* --array=0-2 */
	assert_int_equal(fs_sweep_shard_slurm("2", "0", NULL, "3", &k, &n, &found, &e), FS_OK);
	assert_true(found && k == 2 && n == 3);
	/* --array=1-4: task 3 is shard 2 of 4 */
	assert_int_equal(fs_sweep_shard_slurm("3", "1", NULL, "4", &k, &n, &found, &e), FS_OK);
	assert_true(k == 2 && n == 4);
	/* no MIN: ids taken as they are */
	assert_int_equal(fs_sweep_shard_slurm("1", NULL, NULL, "3", &k, &n, &found, &e), FS_OK);
	assert_true(k == 1 && n == 3);
	/* --array=1-5:2 (tasks 1, 3, 5): task 5 is shard 2 of 3 */
	assert_int_equal(fs_sweep_shard_slurm("5", "1", "2", "3", &k, &n, &found, &e), FS_OK);
	assert_true(k == 2 && n == 3);
	assert_int_equal(fs_sweep_shard_slurm("x", NULL, NULL, "3", &k, &n, &found, &e), FS_ERR_INPUT);
	assert_string_equal(e.key, "SLURM_ARRAY_TASK_ID");
	assert_int_equal(fs_sweep_shard_slurm("4", "0", NULL, "4", &k, &n, &found, &e), FS_ERR_INPUT);
	assert_int_equal(fs_sweep_shard_slurm("1", "0", NULL, "-2", &k, &n, &found, &e), FS_ERR_INPUT);
	assert_string_equal(e.key, "SLURM_ARRAY_TASK_COUNT");
	/* the command takes them when --shard is not given, and --shard wins */
	snprintf(args, sizeof(args), "--help >/dev/null; "
		 "SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=3 %s sweep %s "
		 "--db %s", FLEETSIM_BIN, SMALL, tu_path("slurm.db"));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "shard 1/3: 0 stored before, 4 run now"));
	assert_int_equal(tu_sql_int(tu_path("slurm.db"),
			       "SELECT COUNT(*) FROM sweep_items WHERE item % 3 = 1 AND shard = '1/3'"), 4);
	snprintf(args, sizeof(args), "--help >/dev/null; SLURM_ARRAY_TASK_ID=9 SLURM_ARRAY_TASK_COUNT=3 "
		 "%s sweep %s --db %s", FLEETSIM_BIN, SMALL, tu_path("bad-slurm.db"));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "SLURM_ARRAY_TASK_ID"));
	assert_int_equal(access(tu_path("bad-slurm.db"), F_OK), -1);
}

/*
 * scripts/slurm-sweep.sbatch without Slurm: its body run as an array of 3
 * (SLURM_ARRAY_TASK_ID = 0, 1, 2; COUNT 3; MIN 0), then its merge step; the
 * result equals the unsharded sweep.
 */
static void test_sweep_sbatch_shim(void **state)
{
	char cmd[4096];
	const char *dir = tu_path("slurm");
	const char *merged = tu_path("slurm/sweep.db"), *whole = tu_path("shim-whole.db");
	char args[1024];

	(void)state;
	snprintf(cmd, sizeof(cmd),
		 "set -e; mkdir -p %s; for k in 0 1 2; do "
		 "FLEETSIM=%s SWEEP=%s OUT_DIR=%s SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_MIN=0 "
		 "SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_JOB_ID=77 sh %s/scripts/slurm-sweep.sbatch "
		 ">/dev/null 2>&1; done; "
		 "FLEETSIM=%s OUT_DIR=%s SLURM_ARRAY_JOB_ID=77 sh %s/scripts/slurm-sweep.sbatch merge "
		 ">/dev/null 2>&1",
		 dir, FLEETSIM_BIN, SMALL, dir, FLEETSIM_SOURCE_DIR, FLEETSIM_BIN, dir,
		 FLEETSIM_SOURCE_DIR);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(tu_sql_int(merged, "SELECT COUNT(*) FROM sweep_items"), 12);
	assert_int_equal(tu_sql_int(merged, "SELECT COUNT(DISTINCT shard) FROM sweep_items"), 3);
	snprintf(args, sizeof(args), "sweep %s --db %s --quiet", SMALL, whole);
	run_ok(args);
	assert_int_equal(items_differ(whole, merged), 0);
}

/*
 * sweep_outcomes against a hand computation over the stored items: mean,
 * and the 95 % half-width t(0.975, n - 1) x sd / sqrt(n) with n = 2,
 * t(0.975, 1) = 12.706 (printed tables).
 */
static void test_sweep_outcomes_view(void **state)
{
	const char *db = tu_path("view.db");
	char args[1024];
	sqlite3 *h;
	sqlite3_stmt *st;
	double u[2], mean, sd, half, vmean, vhalf;
	int k = 0;

	(void)state;
	snprintf(args, sizeof(args), "sweep %s --db %s --quiet", SMALL, db);
	run_ok(args);
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT mean_util_frac FROM sweep_items WHERE point = 1"
				       " AND fleet = 'a100-512' ORDER BY replication", -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && k < 2)
		u[k++] = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	assert_int_equal(k, 2);
	mean = (u[0] + u[1]) / 2;
	sd = fabs(u[0] - u[1]) / sqrt(2.0); /* sample sd of two values */
	half = 12.7062047 * sd / sqrt(2.0);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT util_mean, util_ci95, n, n_held, n_months,"
				       " fail_month_mean FROM sweep_outcomes WHERE point = 1"
				       " AND fleet = 'a100-512'", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	vmean = sqlite3_column_double(st, 0);
	vhalf = sqlite3_column_double(st, 1);
	assert_true(fabs(vmean - mean) < 1e-12);
	assert_true(fabs(vhalf - half) < 1e-6 * half + 1e-9);
	assert_int_equal(sqlite3_column_int(st, 2), 2);
	/* 61 days are ceil(61 / 30.4375) = 3 months; a replication that holds counts as 3 */
	assert_int_equal(sqlite3_column_int(st, 4), 3);
	if (sqlite3_column_int(st, 3) == 2)
		assert_true(sqlite3_column_double(st, 5) == 3.0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	/* the report from the database alone */
	snprintf(args, sizeof(args), "report --sweep 1 --db %s --out %s", db, tu_path("rep"));
	run_ok(args);
	snprintf(args, sizeof(args), "%s/sweep_outcomes.csv", tu_path("rep"));
	assert_int_equal(access(args, F_OK), 0);
	snprintf(args, sizeof(args), "%s/sweep_fail_month.dat", tu_path("rep"));
	assert_int_equal(access(args, F_OK), 0);
	snprintf(args, sizeof(args), "report sweep:2 --db %s --out %s", db, tu_path("rep"));
	assert_int_equal(tu_fleetsim(args, NULL, 0), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sweep_order_and_seeds),
		cmocka_unit_test(test_sweep_bad_files),
		cmocka_unit_test(test_sweep_reproduce),
		cmocka_unit_test(test_sweep_jobs_identical),
		cmocka_unit_test(test_sweep_shards_merge),
		cmocka_unit_test(test_sweep_resume),
		cmocka_unit_test(test_sweep_slurm_env),
		cmocka_unit_test(test_sweep_sbatch_shim),
		cmocka_unit_test(test_sweep_outcomes_view),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
