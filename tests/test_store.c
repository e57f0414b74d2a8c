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

static const char text[] =
	"name = \"st\"; seed = 3; horizon_days = 20.0;\n"
	"fleets = ( { name = \"a\"; gpu = \"A100\"; nodes = 2; },\n"
	"           { name = \"h\"; gpu = \"H100\"; nodes = 1; } );\n"
	"training = { streams = ( { name = \"s\"; rate_per_day = 3.0; model = \"Llama-2-7B\";\n"
	"  tokens = { dist = \"uniform\"; min = 1e9; max = 3e9; }; gpus = { dist = \"choice\"; values = [1, 8]; }; } ); };\n";

static long long count(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long n = -1;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

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
	assert_int_equal(fs_store_write_runs(s, &sc, r, 2, "test", ids, &e), FS_OK);
	/* the same scenario text is stored once */
	assert_int_equal(fs_store_write_runs(s, &sc, r, 2, "test", ids, &e), FS_OK);
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
	assert_int_equal(count(db, "SELECT COUNT(*) FROM scenarios"), 1);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM runs"), 4);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM jobs WHERE run_id = 1"), (long long)r[0].n_jobs);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM series WHERE run_id = 2"), (long long)r[1].n_series);
	assert_int_equal(count(db, "PRAGMA user_version"), FS_STORE_SCHEMA_VERSION);
	/* the views answer */
	assert_int_equal(count(db, "SELECT COUNT(*) FROM run_summary"), 4);
	assert_true(count(db, "SELECT COUNT(*) FROM daily_utilization WHERE run_id = 1") >= 20);
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
	assert_int_equal(fs_store_write_runs(s, &sc, r, 1, "test", ids, &e), FS_OK);
	fs_store_close(s);
	tu_file_hash(db, before);
	/* a job of no GPUs in the second run breaks the CHECK(gpus >= 1) of its last row */
	assert_true(r[1].n_jobs > 3);
	r[1].jobs[r[1].n_jobs - 1].gpus = 0;
	assert_int_equal(fs_store_open(db, FS_STORE_WRITE, &s, &e), FS_OK);
	assert_int_equal(fs_store_write_runs(s, &sc, r, 2, "test", ids, &e), FS_ERR_DB);
	fs_store_close(s);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM runs"), 1);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM jobs WHERE run_id > 1"), 0);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM series WHERE run_id > 1"), 0);
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
			    fs_store_write_runs(s, &sc, r, 1, "test", &id, &e))
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
			assert_int_equal(count(db, "SELECT COUNT(*) FROM runs"), 1);
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
		if (count(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'runs'") == 0)
			continue; /* killed before the schema was committed */
		runs = count(db, "SELECT COUNT(*) FROM runs");
		jobs = count(db, "SELECT COUNT(*) FROM jobs");
		assert_true(runs == 0 || runs == 1);
		assert_int_equal(jobs, runs ? (long long)r[0].n_jobs : 0);
		assert_int_equal(count(db, "SELECT COUNT(*) FROM series"), runs ? (long long)r[0].n_series : 0);
	}
	fs_run_result_fini(&r[0]);
	fs_run_result_fini(&r[1]);
	fs_scenario_fini(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_round_trip),
		cmocka_unit_test(test_store_refuses_newer_schema),
		cmocka_unit_test(test_store_rejects_other_files),
		cmocka_unit_test(test_store_failed_write_leaves_nothing),
		cmocka_unit_test(test_store_killed_writer_leaves_all_or_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
