/*
 * test_store.c - the results database: round trip, schema version checks,
 * and a failing write leaving nothing behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fleetsim/run.h"
#include "fleetsim/scenario.h"
#include "fleetsim/store.h"
#include "testutil.h"

/* An invocation with no command line, for writes that only need a version. */
#define INV(v) (&(struct fs_invocation){ .version = (v) })

static const char text[] =
	"name = \"st\"; seed = 3; horizon_days = 20.0;\n"
	"fleets = ( { name = \"a\"; gpu = \"A100\"; nodes = 2; },\n"
	"           { name = \"h\"; gpu = \"H100\"; nodes = 1; } );\n"
	"training = { streams = ( { name = \"s\"; rate_per_day = 3.0; model = \"Llama-2-7B\";\n"
	"  tokens = { dist = \"uniform\"; min = 1e9; max = 3e9; }; gpus = { dist = \"choice\"; values = [1, 8]; }; } ); };\n";

static void run_both(struct fs_scenario *sc, struct fs_run_result r[2])
{
	struct fs_error e;

	assert_int_equal(fs_scenario_load_text(text, "st.cfg", sc, &e), FS_OK);
	assert_int_equal(fs_run_fleet(sc, 0, sc->seed, &r[0], &e), FS_OK);
	assert_int_equal(fs_run_fleet(sc, 1, sc->seed, &r[1], &e), FS_OK);
}

static void test_store_round_trip(void **state)
{
	struct fs_scenario sc;
	struct fs_run_result r[2];
	struct fs_store *s;
	struct fs_error e;
	struct fs_run_row row;
	int64_t ids[2];
	const char *db = tu_path("rt.db");

	(void)state;
	run_both(&sc, r);
	assert_int_equal(fs_store_open(db, FS_STORE_WRITE, &s, &e), FS_OK);
	assert_int_equal(fs_store_write_runs(s, &sc, r, 2, INV("test"), ids, &e), FS_OK);
	/* the same scenario text is stored once */
	assert_int_equal(fs_store_write_runs(s, &sc, r, 2, INV("test"), ids, &e), FS_OK);
	assert_int_equal(fs_store_get_run(s, ids[1], &row, &e), FS_OK);
	assert_string_equal(row.fleet, "h");
	assert_string_equal(row.gpu, "H100-SXM5-80GB");
	assert_int_equal(row.gpus, 8);
	assert_int_equal(row.seed, 3);
	assert_int_equal(row.sum.n_jobs, r[1].n_jobs);
	assert_true(row.sum.mean_tts_s == r[1].sum.mean_tts_s); /* REAL round-trips exactly */
	assert_true(row.sum.mean_util_frac == r[1].sum.mean_util_frac);
	assert_int_equal(fs_store_get_run(s, 999, &row, &e), FS_ERR_INPUT);
	fs_store_close(s);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM scenarios"), 1);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM runs"), 4);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM jobs WHERE run_id = 1"), (long long)r[0].n_jobs);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM series WHERE run_id = 2"), (long long)r[1].n_series);
	assert_int_equal(tu_sql_int(db, "PRAGMA user_version"), FS_STORE_SCHEMA_VERSION);
	/* the views answer */
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM run_summary"), 4);
	assert_true(tu_sql_int(db, "SELECT COUNT(*) FROM daily_utilization WHERE run_id = 1") >= 20);
	fs_run_result_fini(&r[0]);
	fs_run_result_fini(&r[1]);
	fs_scenario_fini(&sc);
}

static void test_store_refuses_newer_schema(void **state)
{
	const char *db = tu_path("newer.db");
	struct fs_store *s;
	struct fs_error e;
	sqlite3 *h;

	(void)state;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "CREATE TABLE runs(x); PRAGMA user_version = 99;", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(fs_store_open(db, FS_STORE_WRITE, &s, &e), FS_ERR_INPUT);
	assert_non_null(strstr(e.msg, "newer"));
	assert_null(s);
	assert_int_equal(fs_store_open(db, FS_STORE_READ, &s, &e), FS_ERR_INPUT);
}

static void test_store_rejects_other_files(void **state)
{
	struct fs_store *s;
	struct fs_error e;
	const char *junk = tu_write("junk.db", "this is not a database, just some text that is long enough");

	(void)state;
	assert_int_equal(fs_store_open(junk, FS_STORE_WRITE, &s, &e), FS_ERR_INPUT);
	assert_int_equal(fs_store_open(tu_path("no-such-dir/x.db"), FS_STORE_WRITE, &s, &e), FS_ERR_INPUT);
	assert_int_equal(fs_store_open(tu_path("absent.db"), FS_STORE_READ, &s, &e), FS_ERR_INPUT);
}

/* A run whose rows violate a constraint half-way fails, and nothing of it stays. */
static void test_store_failed_write_leaves_nothing(void **state)
{
	struct fs_scenario sc;
	struct fs_run_result r[2];
	struct fs_store *s;
	struct fs_error e;
	int64_t ids[2];
	const char *db = tu_path("atomic.db");
	char before[65], after[65];

	(void)state;
	run_both(&sc, r);
	assert_int_equal(fs_store_open(db, FS_STORE_WRITE, &s, &e), FS_OK);
	assert_int_equal(fs_store_write_runs(s, &sc, r, 1, INV("test"), ids, &e), FS_OK);
	fs_store_close(s);
	tu_file_hash(db, before);
	/* a job of no GPUs in the second run breaks the CHECK(gpus >= 1) of its last row */
	assert_true(r[1].n_jobs > 3);
	r[1].jobs[r[1].n_jobs - 1].gpus = 0;
	assert_int_equal(fs_store_open(db, FS_STORE_WRITE, &s, &e), FS_OK);
	assert_int_equal(fs_store_write_runs(s, &sc, r, 2, INV("test"), ids, &e), FS_ERR_DB);
	fs_store_close(s);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM runs"), 1);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM jobs WHERE run_id > 1"), 0);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM series WHERE run_id > 1"), 0);
	tu_file_hash(db, after);
	assert_string_equal(before, after);
	fs_run_result_fini(&r[0]);
	fs_run_result_fini(&r[1]);
	fs_scenario_fini(&sc);
}

/*
 * A writer killed at an arbitrary moment leaves either the whole run or
 * none of it, and a database that passes SQLite's integrity check. The
 * kill lands at a different point each try; the invariant holds for all.
 */
static void test_store_killed_writer_leaves_all_or_nothing(void **state)
{
	struct fs_scenario sc;
	struct fs_run_result r[2];
	/* -1: no kill, the writer finishes and the run must be there whole */
	const int delays_ms[] = { 0, 2, 5, 10, 20, 40, 80, 160, -1 };

	(void)state;
	run_both(&sc, r);
	/* a big run so the write takes a while: replicate the jobs */
	{
		size_t n = 200000;
		struct fs_job_result *big = calloc(n, sizeof(*big));
		assert_non_null(big);
		for (size_t i = 0; i < n; i++) {
			big[i] = r[0].jobs[i % r[0].n_jobs];
		}
		free(r[0].jobs);
		r[0].jobs = big;
		r[0].n_jobs = n;
	}
	for (size_t k = 0; k < sizeof(delays_ms) / sizeof(delays_ms[0]); k++) {
		char name[32];
		const char *db;
		pid_t pid;
		int status;
		long long runs, jobs;

		snprintf(name, sizeof(name), "killed%zu.db", k);
		db = tu_path(name);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct fs_store *s;
			struct fs_error e;
			int64_t id;
			if (fs_store_open(db, FS_STORE_WRITE, &s, &e) ||
			    fs_store_write_runs(s, &sc, r, 1, INV("test"), &id, &e))
				_exit(3);
			_exit(0);
		}
		if (delays_ms[k] >= 0) {
			struct timespec ts = { 0, delays_ms[k] * 1000000L };
			nanosleep(&ts, NULL);
			kill(pid, SIGKILL);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (delays_ms[k] < 0) {
			assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM runs"), 1);
		}
		if (access(db, F_OK) != 0)
			continue; /* killed before the file existed */
		{
			sqlite3 *h;
			sqlite3_stmt *st;
			/* a read-write open rolls back a hot journal left by the kill */
			assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
			assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
			if (sqlite3_step(st) == SQLITE_ROW)
				assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
			sqlite3_finalize(st);
			sqlite3_close(h);
		}
		if (tu_sql_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'runs'") == 0)
			continue; /* killed before the schema was committed */
		runs = tu_sql_int(db, "SELECT COUNT(*) FROM runs");
		jobs = tu_sql_int(db, "SELECT COUNT(*) FROM jobs");
		assert_true(runs == 0 || runs == 1);
		assert_int_equal(jobs, runs ? (long long)r[0].n_jobs : 0);
		assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM series"), runs ? (long long)r[0].n_series : 0);
	}
	fs_run_result_fini(&r[0]);
	fs_run_result_fini(&r[1]);
	fs_scenario_fini(&sc);
}

/* The text of tests/data/<name> (heap; the caller frees). */
static char *read_data(const char *name)
{
	char path[512];
	FILE *f;
	long n;
	char *buf;

	snprintf(path, sizeof(path), "%s/tests/data/%s", FLEETSIM_SOURCE_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A database at path made from tests/data/<schema> and then the rows sql. */
static void make_old(const char *db, const char *schema, const char *rows)
{
	sqlite3 *h;
	char *sql = read_data(schema);

	unlink(db);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, rows, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	free(sql);
}

/*
 * Rows as a version-1 fleetsim wrote them: two runs; an explicit job, two
 * jobs of stream "ft", an infeasible job, and a name that only looks like a
 * stream's ("ft-007" is not "ft-7", so it keeps its own name). Times are
 * chosen so wait = 6, tts = 16 and GPU-hours = 8 * 10 / 3600 exactly.
 */
static const char rows_v1[] =
	"INSERT INTO scenarios VALUES(1, 'old', 'name = \"old\";', 'abc', '2026-01-01T00:00:00Z');"
	"INSERT INTO runs VALUES(1, 1, 'a', 'A100-SXM4-80GB', 8, 3, 'ok', '2026-01-01T00:00:00Z', 0.5,"
	"  '0.9', 864000, 5, 4, 1, 0, 6, 6, 16, 16, 0.1, 100, 1, 2, 10);"
	"INSERT INTO runs VALUES(2, 1, 'h', 'H100-SXM5-80GB', 8, 3, 'ok', '2026-01-01T00:00:00Z', 0.5,"
	"  '0.9', 864000, 1, 1, 0, 0, 6, 6, 16, 16, 0.1, 100, 1, 2, 10);"
	"INSERT INTO jobs VALUES(1, 'pretrain', 'job', 'Llama-3-8B', 8, 1e9, 4, 10, 20, 6, 16,"
	"  0.022222222222222223, 'done', 0);"
	"INSERT INTO jobs VALUES(1, 'ft-1', 'ft', 'Llama-2-7B', 8, 2e9, 4, 10, 20, 6, 16,"
	"  0.022222222222222223, 'done', 2);"
	"INSERT INTO jobs VALUES(1, 'big', 'job', 'Llama-3-405B', 8, 1e9, 5, NULL, NULL, NULL, NULL,"
	"  0, 'infeasible', 0);"
	"INSERT INTO jobs VALUES(1, 'ft-2', 'ft', 'Llama-2-7B', 16, 3e9, 4, 10, 20, 6, 16,"
	"  0.044444444444444446, 'done', 0);"
	"INSERT INTO jobs VALUES(1, 'ft-007', 'ft', 'Llama-2-7B', 8, 2e9, 4, 10, 20, 6, 16,"
	"  0.022222222222222223, 'done', 0);"
	"INSERT INTO jobs VALUES(2, 'ft-1', 'ft', 'Llama-2-7B', 8, 2e9, 4, 10, 20, 6, 16,"
	"  0.022222222222222223, 'done', 1);"
	"INSERT INTO series VALUES(1, 0, 8, 4.5, 1, 0);"
	"PRAGMA user_version = 1;";

static void make_v1(const char *db)
{
	make_old(db, "schema_v1.sql", rows_v1);
}

static int kind_row(void *ctx, const struct fs_kind_row *row)
{
	char *out = ctx;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%s:%lld:%lld:%lld;", row->kind, (long long)row->n_jobs,
		 (long long)row->n_infeasible, (long long)row->restarts);
	return 0;
}

/* A version-1 database is migrated on open and reads the same through the `jobs` view. */
static void test_store_migrates_v1(void **state)
{
	const char *db = tu_path("v1.db");
	const char *expect[] = {
		"1|0|pretrain|job|Llama-3-8B|8|1000000000.0|4.0|10.0|20.0|6.0|16.0|1|done|0",
		"1|1|ft-1|ft|Llama-2-7B|8|2000000000.0|4.0|10.0|20.0|6.0|16.0|1|done|2",
		"1|2|big|job|Llama-3-405B|8|1000000000.0|5.0|NULL|NULL|NULL|NULL|1|infeasible|0",
		"1|3|ft-2|ft|Llama-2-7B|16|3000000000.0|4.0|10.0|20.0|6.0|16.0|1|done|0",
		"1|4|ft-007|ft|Llama-2-7B|8|2000000000.0|4.0|10.0|20.0|6.0|16.0|1|done|0",
		"2|0|ft-1|ft|Llama-2-7B|8|2000000000.0|4.0|10.0|20.0|6.0|16.0|1|done|1",
	};
	struct fs_store *s;
	struct fs_error e;
	sqlite3 *h;
	sqlite3_stmt *st;
	char kinds[256] = "";
	size_t k = 0;

	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		/* readers migrate too: the views need the new tables */
		make_v1(db);
		assert_int_equal(fs_store_open(db, mode ? FS_STORE_READ : FS_STORE_WRITE, &s, &e), FS_OK);
		fs_store_close(s);
		assert_int_equal(tu_sql_int(db, "PRAGMA user_version"), FS_STORE_SCHEMA_VERSION);
	}
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	/* gpu_hours compared with the hand value (8 or 16 GPUs x 10 s / 3600) as a flag */
	assert_int_equal(sqlite3_prepare_v2(h,
		"SELECT run_id, job_idx, name, kind, model, gpus, quote(tokens),"
		" quote(submit_s), quote(start_s), quote(end_s),"
		" quote(wait_s), quote(tts_s),"
		" gpu_hours = gpus * 10.0 / 3600.0 OR (status = 'infeasible' AND gpu_hours = 0),"
		" status, restarts FROM jobs ORDER BY run_id, job_idx", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char line[512] = "";
		for (int c = 0; c < 15; c++) {
			const unsigned char *t = sqlite3_column_text(st, c);
			size_t n = strlen(line);
			snprintf(line + n, sizeof(line) - n, "%s%s", c ? "|" : "", t ? (const char *)t : "");
		}
		assert_true(k < sizeof(expect) / sizeof(expect[0]));
		assert_string_equal(line, expect[k]);
		k++;
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	assert_int_equal(k, 6);
	/* the other tables are untouched */
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM runs"), 2);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM series"), 1);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'jobs' AND type = 'view'"), 1);
	/* through version 2 to 3: both runs were one command, each the latest of its fleet */
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM invocations"), 1);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM latest_runs"), 2);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM run_prices WHERE pool = 0"), 2);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM jobs WHERE pool = 0"), 5);
	/* the per-kind statistics read through the view, first-seen order */
	assert_int_equal(fs_store_open(db, FS_STORE_READ, &s, &e), FS_OK);
	assert_int_equal(fs_store_job_kinds(s, 1, kind_row, kinds, &e), FS_OK);
	assert_string_equal(kinds, "job:2:1:0;ft:3:0:2;");
	fs_store_close(s);
}

/*
 * Rows as a version-2 fleetsim wrote them: runs 1 and 2 of one command
 * (same version and second), run 3 a rerun of run 1's scenario, fleet and
 * seed a month later. Costs are GPUs x 240 h x price: 16 x 240 x 1.75 =
 * 6720 and 8 x 240 x 2.5 = 4800.
 */
static const char rows_v2[] =
	"INSERT INTO scenarios VALUES(1, 'old', 'name = \"old\";', 'abc', '2026-01-01T00:00:00Z');"
	"INSERT INTO runs VALUES(1, 1, 'a', 'A100-SXM4-80GB', 16, 3, 'ok', '2026-01-01T00:00:00Z',"
	"  0.5, '0.9', 864000, 3, 2, 1, 2, 6, 6, 16, 16, 0.1, 100, 1, 6720, 10);"
	"INSERT INTO runs VALUES(2, 1, 'h', 'H100-SXM5-80GB', 8, 3, 'ok', '2026-01-01T00:00:00Z',"
	"  0.5, '0.9', 864000, 0, 0, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 4800, 0);"
	"INSERT INTO runs VALUES(3, 1, 'a', 'A100-SXM4-80GB', 16, 3, 'ok', '2026-02-01T00:00:00Z',"
	"  0.5, '0.9', 864000, 1, 1, 0, 1, 6, 6, 16, 16, 0.1, 100, 1, 6720, 10);"
	"INSERT INTO models VALUES(1, 'Llama-3-8B'), (2, 'Llama-2-7B');"
	"INSERT INTO job_sources VALUES(1, 1, 'job', 'pretrain'), (2, 1, 'ft', NULL),"
	"  (3, 3, 'ft', NULL);"
	"INSERT INTO run_jobs VALUES(1, 0, 1, 0, 1, 8, 1e9, 4, 10, 20, 0, 0),"
	"  (1, 1, 2, 1, 2, 16, 2e9, 4, 10, 20, 0, 2), (1, 2, 2, 2, 2, 8, 1e9, 5, NULL, NULL, 1, 0),"
	"  (3, 0, 3, 1, 2, 8, 2e9, 4, 10, 20, 0, 1);"
	"INSERT INTO series VALUES(1, 0, 16, 4.5, 1, 0), (1, 3600, 16, 16, 1, 2);"
	"PRAGMA user_version = 2;";

/* Every row of a query, columns quoted and joined: two dumps compare as strings. */
static char *dump(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	size_t cap = 4096, len = 0;
	char *out = malloc(cap);

	assert_non_null(out);
	out[0] = '\0';
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			char cell[128];
			const unsigned char *t = sqlite3_column_text(st, c);
			int n = snprintf(cell, sizeof(cell), "%s%s", c ? "|" : "",
					 t ? (const char *)t : "NULL");
			if (sqlite3_column_type(st, c) == SQLITE_FLOAT)
				n = snprintf(cell, sizeof(cell), "%s%.17g", c ? "|" : "",
					     sqlite3_column_double(st, c));
			while (len + (size_t)n + 2 > cap) {
				cap *= 2;
				out = realloc(out, cap);
				assert_non_null(out);
			}
			memcpy(out + len, cell, (size_t)n);
			len += (size_t)n;
		}
		out[len++] = '\n';
		out[len] = '\0';
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

/* What a version-2 reader saw: every table's and view's version-2 columns. */
static const char *const v2_reads[] = {
	"SELECT * FROM scenarios ORDER BY id",
	"SELECT id, scenario_id, fleet, gpu, gpus, seed, status, started_at, wall_s, version,"
	" horizon_s, n_jobs, n_done_in_horizon, n_infeasible, n_failures, mean_wait_s, p90_wait_s,"
	" mean_tts_s, p90_tts_s, mean_util_frac, makespan_s, gpu_hours, fleet_cost_usd, events"
	" FROM runs ORDER BY id",
	"SELECT run_id, t_s, gpus_total, gpus_busy, jobs_running, jobs_queued FROM series"
	" ORDER BY run_id, t_s",
	"SELECT * FROM models ORDER BY id",
	"SELECT * FROM job_sources ORDER BY id",
	"SELECT run_id, job_idx, source_id, seq, model_id, gpus, tokens, submit_s, start_s, end_s,"
	" status, restarts FROM run_jobs ORDER BY run_id, job_idx",
	"SELECT run_id, name, kind, model, gpus, tokens, submit_s, start_s, end_s, wait_s, tts_s,"
	" gpu_hours, status, restarts, job_idx FROM jobs ORDER BY run_id, job_idx",
	"SELECT run_id, scenario, fleet, gpu, gpus, seed, n_jobs, n_done_in_horizon, n_infeasible,"
	" n_failures, mean_wait_h, p90_wait_h, mean_tts_days, p90_tts_days, mean_util_frac,"
	" gpu_hours, fleet_cost_usd, started_at FROM run_summary ORDER BY run_id",
	"SELECT * FROM daily_utilization ORDER BY run_id, day",
};

/*
 * A version-2 database is migrated on open (readers too) and keeps every
 * row: each version-2 read gives the same text before and after. What
 * version 2 implies is filled in; a later write lands beside the old runs.
 */
static void test_store_migrates_v2(void **state)
{
	const size_t n_reads = sizeof(v2_reads) / sizeof(v2_reads[0]);
	const char *db = tu_path("v2.db");
	char *before[sizeof(v2_reads) / sizeof(v2_reads[0])];
	struct fs_store *s;
	struct fs_error e;
	struct fs_run_row row;

	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		make_old(db, "schema_v2.sql", rows_v2);
		for (size_t q = 0; q < n_reads; q++)
			before[q] = dump(db, v2_reads[q]);
		assert_int_equal(fs_store_open(db, mode ? FS_STORE_READ : FS_STORE_WRITE, &s, &e), FS_OK);
		fs_store_close(s);
		assert_int_equal(tu_sql_int(db, "PRAGMA user_version"), FS_STORE_SCHEMA_VERSION);
		for (size_t q = 0; q < n_reads; q++) {
			char *after = dump(db, v2_reads[q]);
			assert_string_equal(before[q], after);
			free(after);
			free(before[q]);
		}
	}
	/* one pool, no services, no node failures, cloud rent at the price charged */
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM jobs WHERE pool = 0 AND gpu = 'A100-SXM4-80GB'"
				   " AND priority = 0 AND preemptions = 0 AND gpu_hours_lost IS NULL"), 3);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM jobs WHERE status = 'infeasible'"
				   " AND pool IS NULL AND gpu IS NULL"), 1);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM series WHERE gpus_installed = 16"
				   " AND gpus_down = 0 AND gpus_serving = 0 AND cost_usd IS NULL"
				   " AND gpus_idle = 16 - gpus_busy"), 2);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM run_prices WHERE cost_mode = 'cloud' AND ("
				   " (run_id IN (1, 3) AND usd_per_gpu_hour = 1.75) OR"
				   " (run_id = 2 AND usd_per_gpu_hour = 2.5))"), 3);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM runs WHERE rent_usd = fleet_cost_usd"
				   " AND power_usd = 0 AND n_preemptions = 0 AND n_node_failures = 0"
				   " AND serve_attainment_frac IS NULL"), 3);
	/* runs 1 and 2 were one command; run 3 its rerun, the latest of (scenario, 'a', 3) */
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM invocations WHERE command_line IS NULL"), 2);
	assert_int_equal(tu_sql_int(db, "SELECT group_concat(invocation_id, '') FROM"
				   " (SELECT invocation_id FROM runs ORDER BY id)"), 113);
	assert_int_equal(tu_sql_int(db, "SELECT group_concat(run_id, '') FROM"
				   " (SELECT run_id FROM latest_runs ORDER BY run_id)"), 23);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM service_series"), 0);
	/* a new write after the old runs: its own invocation, now the latest of its key */
	{
		struct fs_scenario sc;
		struct fs_run_result r[2];
		int64_t ids[2];
		char *argv[] = { (char *)"run", (char *)"st.cfg" };
		struct fs_invocation inv;

		run_both(&sc, r);
		fs_invocation_init(&inv, "fleetsim", 2, argv, "test");
		assert_int_equal(fs_store_open(db, FS_STORE_WRITE, &s, &e), FS_OK);
		assert_int_equal(fs_store_write_runs(s, &sc, r, 2, &inv, ids, &e), FS_OK);
		assert_int_equal(ids[0], 4);
		assert_int_equal(fs_store_get_run(s, 4, &row, &e), FS_OK);
		assert_true(row.invocation_id > 3);
		assert_int_equal(fs_store_get_run(s, 1, &row, &e), FS_OK);
		assert_int_equal(row.invocation_id, 1);
		assert_true(isnan(row.sum.gpu_hours_lost));
		fs_store_close(s);
		assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM invocations WHERE id ="
					   " (SELECT invocation_id FROM runs WHERE id = 5)"
					   " AND command_line = 'fleetsim run st.cfg' AND version = 'test'"), 1);
		assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM latest_runs"), 4);
		fs_run_result_fini(&r[0]);
		fs_run_result_fini(&r[1]);
		fs_scenario_fini(&sc);
	}
}

/* argv joined so that a POSIX shell gives back the same words. */
static void test_store_invocation_quoting(void **state)
{
	char *argv[] = { (char *)"run", (char *)"my scenario.cfg", (char *)"it's", (char *)"",
			 (char *)"--seed=3", (char *)"$HOME", (char *)"a/b_c.d,e@f%g+h:i" };
	const char *expect = "run 'my scenario.cfg' 'it'\\''s' '' --seed=3 '$HOME' a/b_c.d,e@f%g+h:i";
	char out[128], small[8];

	(void)state;
	assert_int_equal(fs_invocation_join(7, argv, out, sizeof(out)), strlen(expect));
	assert_string_equal(out, expect);
	/* cut short, still terminated, the length it needs returned */
	assert_int_equal(fs_invocation_join(7, argv, small, sizeof(small)), strlen(expect));
	assert_string_equal(small, "run 'my");
	assert_int_equal(fs_invocation_join(0, argv, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

/*
 * The schema-3 fields of a run result reach their columns: series GPUs,
 * power and cost parts, a job's pool, priority, preemptions and GPU-hours
 * held apart from its times, the services' points, an owned fleet's prices.
 * The values are set by hand here (the run code fills them elsewhere).
 */
static void test_store_writes_v3_fields(void **state)
{
	struct fs_scenario sc;
	struct fs_run_result r[2];
	struct fs_service_spec svc[2];
	struct fs_service_point pts[3];
	struct fs_store *s;
	struct fs_error e;
	struct fs_run_row row;
	int64_t ids[2];
	const char *db = tu_path("v3.db");
	struct fs_job_result *j;
	size_t k;
	char sql[256];

	(void)state;
	run_both(&sc, r);
	unlink(db);
	memset(svc, 0, sizeof(svc));
	snprintf(svc[0].name, sizeof(svc[0].name), "chat");
	snprintf(svc[1].name, sizeof(svc[1].name), "code");
	svc[0].model = svc[1].model = r[0].jobs[0].model;
	svc[0].ttft_p99_s = 0.5;
	svc[0].tpot_p99_s = 0.05;
	svc[1].reserved_gpus = 16;
	svc[1].priority = 3;
	sc.serving.services = svc;
	sc.serving.n_services = 2;
	/* two intervals of chat on pool 0, one of code with nothing granted */
	pts[0] = (struct fs_service_point){ 0, 0.0, 12.5, 0, 4, 3, 2, 10.0, 0.8, 10.0, 3.6e6 };
	pts[1] = (struct fs_service_point){ 0, 3600.0, 8.0, 0, 4, 2, 2, 10.0, 1.0, 8.0, 2.9e6 };
	pts[2] = (struct fs_service_point){ 1, 0.0, 0.0, -1, 8, 0, 0, 0.0, NAN, 0.0, 0.0 };
	r[0].svc = pts;
	r[0].n_svc = 3;
	r[0].usd_per_gpu_hour[0] = 1.75;
	r[0].series[0].gpus_installed = 16;
	r[0].series[0].gpus_down = 1.5;
	r[0].series[0].gpus_serving = 4.25;
	r[0].series[0].gpus_idle = 16 - 1.5 - 4.25 - r[0].series[0].gpus_busy;
	r[0].series[0].power_kw = 7.125;
	r[0].series[0].cost = (struct fs_cost_parts){ 24.5, 0, 0, 0, 0 };
	r[0].series[0].cost_usd = 24.5;
	for (k = 0; r[0].jobs[k].status != FS_JOB_DONE; k++)
		assert_true(k + 1 < r[0].n_jobs);
	j = &r[0].jobs[k];
	j->pool = 0;
	j->priority = 2;
	j->preemptions = 1;
	j->gpu_hours = 1.25;
	j->gpu_hours_lost = 0.375;
	r[0].sum.n_preemptions = 1;
	r[0].sum.cost = (struct fs_cost_parts){ 100.0, 0, 0, 0, 0 };
	r[0].sum.serve_attainment_frac = 0.9;
	r[0].sum.serve_output_tokens = 6.5e6;
	r[1].sum.serve_attainment_frac = NAN; /* no demand: no attainment */
	/* the H100 fleet owned: its parameters stored, no cloud price */
	((struct fs_fleet_opt *)r[1].fleet)->cost = (struct fs_cost_spec){
		FS_COST_OWNED, false, NAN, 4.0, 1.3, 0.08, 150.0, 0.3, 0 };
	assert_int_equal(fs_store_open(db, FS_STORE_WRITE, &s, &e), FS_OK);
	assert_int_equal(fs_store_write_runs(s, &sc, r, 2, INV("test"), ids, &e), FS_OK);
	assert_int_equal(fs_store_get_run(s, ids[0], &row, &e), FS_OK);
	assert_true(row.sum.serve_attainment_frac == 0.9);
	assert_true(row.sum.cost.rent_usd == 100.0);
	assert_int_equal(row.sum.n_preemptions, 1);
	assert_int_equal(fs_store_get_run(s, ids[1], &row, &e), FS_OK);
	assert_true(isnan(row.sum.serve_attainment_frac)); /* stored NULL, read as NaN */
	fs_store_close(s);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM series WHERE run_id = 1 AND t_s = 0"
				   " AND gpus_installed = 16 AND gpus_down = 1.5 AND gpus_serving = 4.25"
				   " AND abs(gpus_busy + gpus_serving + gpus_idle + gpus_down - 16) < 1e-12"
				   " AND power_kw = 7.125 AND cost_usd = 24.5 AND rent_usd = 24.5"), 1);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM jobs WHERE run_id = 1 AND job_idx = %zu"
		 " AND pool = 0 AND gpu = 'A100-SXM4-80GB' AND priority = 2 AND preemptions = 1"
		 " AND gpu_hours = 1.25 AND gpu_hours_lost = 0.375", k);
	assert_int_equal(tu_sql_int(db, sql), 1);
	/* other jobs keep their derived GPU-hours (nothing stored) */
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM run_jobs WHERE gpu_hours IS NOT NULL"), 1);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM run_services WHERE run_id = 1 AND"
				   " ((service = 0 AND name = 'chat' AND ttft_p99_s = 0.5) OR"
				   " (service = 1 AND name = 'code' AND reserved_gpus = 16 AND priority = 3))"), 2);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM service_series WHERE run_id = 1"), 3);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM service_series WHERE run_id = 1"
				   " AND service = 1 AND pool IS NULL AND gpu IS NULL"
				   " AND attainment_frac IS NULL AND tp = 8"), 1);
	/* day 0 of chat: (10 + 8) / (12.5 + 8) of the requests within objectives */
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM service_days WHERE run_id = 1 AND service = 0"
				   " AND day = 0 AND abs(attainment_frac - 18.0 / 20.5) < 1e-15"
				   " AND output_tokens = 6.5e6 AND service_name = 'chat'"), 1);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM run_prices WHERE run_id = 1 AND"
				   " cost_mode = 'cloud' AND term = 'on-demand' AND usd_per_gpu_hour = 1.75"
				   " AND nodes = 2 AND gpus_per_node = 8"), 1);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM run_prices WHERE run_id = 2 AND"
				   " cost_mode = 'owned' AND term IS NULL AND usd_per_gpu_hour IS NULL"
				   " AND depreciation_years = 4 AND pue = 1.3 AND usd_per_kwh = 0.08"
				   " AND hosting_usd_per_kw_month = 150 AND idle_power_frac = 0.3"
				   " AND capex_usd_per_gpu > 0"), 1);
	r[0].svc = NULL;
	r[0].n_svc = 0;
	sc.serving.services = NULL;
	sc.serving.n_services = 0;
	fs_run_result_fini(&r[0]);
	fs_run_result_fini(&r[1]);
	fs_scenario_fini(&sc);
}

/*
 * A version-5 database (tests/data/schema_v5.sql, rows of one replay as
 * fleetsim 5 wrote them in rows_v5.sql) is migrated on open: run_jobs is
 * rebuilt with status 2 allowed, every row and view reads the same, and a
 * cancelled row then shows as 'cancelled' with no times and no GPU-hours.
 */
static void test_store_migrates_v5(void **state)
{
	static const char *const reads[] = {
		"SELECT * FROM jobs ORDER BY run_id, job_idx",
		"SELECT * FROM run_jobs ORDER BY run_id, job_idx",
		"SELECT * FROM team_months ORDER BY run_id, team, month",
		"SELECT * FROM job_months ORDER BY run_id, kind, month",
		"SELECT * FROM run_summary",
	};
	const size_t n_reads = sizeof(reads) / sizeof(reads[0]);
	const char *db = tu_path("v5.db");
	char *before[sizeof(reads) / sizeof(reads[0])], *rows = read_data("rows_v5.sql");
	struct fs_store *s;
	struct fs_error e;
	sqlite3 *h;

	(void)state;
	make_old(db, "schema_v5.sql", rows);
	free(rows);
	assert_int_equal(tu_sql_int(db, "PRAGMA user_version"), 5);
	for (size_t q = 0; q < n_reads; q++)
		before[q] = dump(db, reads[q]);
	assert_int_equal(fs_store_open(db, FS_STORE_WRITE, &s, &e), FS_OK);
	fs_store_close(s);
	assert_int_equal(tu_sql_int(db, "PRAGMA user_version"), FS_STORE_SCHEMA_VERSION);
	for (size_t q = 0; q < n_reads; q++) {
		char *after = dump(db, reads[q]);
		assert_string_equal(before[q], after);
		free(after);
		free(before[q]);
	}
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM run_jobs"), 3);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'run_jobs_v6'"), 0);
	/* status 2 is accepted now, 3 still refused */
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "INSERT INTO run_jobs(run_id, job_idx, source_id, seq,"
				      " model_id, gpus, tokens, submit_s, start_s, end_s, status,"
				      " restarts, name, team) VALUES(1, 3, 1, 4, 1, 1, 0, 40, NULL, NULL,"
				      " 2, 0, 'x', 'nlp')", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(h, "INSERT INTO run_jobs(run_id, job_idx, source_id, seq,"
					  " model_id, gpus, tokens, submit_s, status, restarts)"
					  " VALUES(1, 4, 1, 5, 1, 1, 0, 40, 3, 0)", NULL, NULL, NULL),
			     SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM jobs WHERE name = 'x' AND status = 'cancelled'"
				   " AND start_s IS NULL AND wait_s IS NULL AND gpu_hours = 0"), 1);
	/* counted as a job of its team and month, neither ran nor infeasible */
	assert_int_equal(tu_sql_int(db, "SELECT n_jobs * 10 + n_ran FROM team_months WHERE team = 'nlp'"), 21);
	assert_int_equal(tu_sql_int(db, "SELECT n_jobs * 100 + n_infeasible * 10 + n_ran FROM job_months"
				   " WHERE kind = '(all)'"), 403);
}

/*
 * A version-6 database (tests/data/schema_v6.sql with the rows of
 * rows_v5.sql) is migrated to 7 on open: every row and view reads the same,
 * and the sweep tables, the t table and the sweep_outcomes view are there.
 * The t quantiles are checked against the printed table (two-sided 95 %,
 * df 1: 12.706, df 9: 2.262, df 30: 2.042; e.g. NIST/SEMATECH e-Handbook of
 * Statistical Methods, 1.3.6.7.2).
 */
static void test_store_migrates_v6(void **state)
{
	static const char *const reads[] = {
		"SELECT * FROM jobs ORDER BY run_id, job_idx",
		"SELECT * FROM run_jobs ORDER BY run_id, job_idx",
		"SELECT * FROM team_months ORDER BY run_id, team, month",
		"SELECT * FROM job_months ORDER BY run_id, kind, month",
		"SELECT * FROM run_summary",
	};
	const size_t n_reads = sizeof(reads) / sizeof(reads[0]);
	const char *db = tu_path("v6.db");
	char *before[sizeof(reads) / sizeof(reads[0])], *rows5 = read_data("rows_v5.sql"), *rows;
	struct fs_store *s;
	struct fs_error e;

	(void)state;
	rows = malloc(strlen(rows5) + 64);
	assert_non_null(rows);
	sprintf(rows, "%s\nPRAGMA user_version = 6;", rows5);
	make_old(db, "schema_v6.sql", rows);
	free(rows);
	free(rows5);
	assert_int_equal(tu_sql_int(db, "PRAGMA user_version"), 6);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'sweep%'"), 0);
	for (size_t q = 0; q < n_reads; q++)
		before[q] = dump(db, reads[q]);
	assert_int_equal(fs_store_open(db, FS_STORE_WRITE, &s, &e), FS_OK);
	fs_store_close(s);
	assert_int_equal(tu_sql_int(db, "PRAGMA user_version"), 7);
	for (size_t q = 0; q < n_reads; q++) {
		char *after = dump(db, reads[q]);
		assert_string_equal(before[q], after);
		free(after);
		free(before[q]);
	}
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('sweeps',"
				   " 'sweep_params', 'sweep_points', 'sweep_fleets', 'sweep_items',"
				   " 'sweep_t975', 'sweep_outcomes')"), 7);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM sweep_outcomes"), 0);
	assert_int_equal(tu_sql_int(db, "SELECT CAST(round(t * 1000) AS INTEGER) FROM sweep_t975 WHERE df = 1"),
			 12706);
	assert_int_equal(tu_sql_int(db, "SELECT CAST(round(t * 1000) AS INTEGER) FROM sweep_t975 WHERE df = 9"),
			 2262);
	assert_int_equal(tu_sql_int(db, "SELECT CAST(round(t * 1000) AS INTEGER) FROM sweep_t975 WHERE df = 30"),
			 2042);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_round_trip),
		cmocka_unit_test(test_store_migrates_v6),
		cmocka_unit_test(test_store_refuses_newer_schema),
		cmocka_unit_test(test_store_rejects_other_files),
		cmocka_unit_test(test_store_failed_write_leaves_nothing),
		cmocka_unit_test(test_store_killed_writer_leaves_all_or_nothing),
		cmocka_unit_test(test_store_migrates_v1),
		cmocka_unit_test(test_store_migrates_v2),
		cmocka_unit_test(test_store_migrates_v5),
		cmocka_unit_test(test_store_invocation_quoting),
		cmocka_unit_test(test_store_writes_v3_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
