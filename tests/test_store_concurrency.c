/*
 * test_store_concurrency.c - many fleetsim processes on one results
 * database: writers started together on a new file and on an existing one
 * all land; writers killed at random moments among live ones leave all or
 * nothing of their run; a lock held past the wait is reported as busy.
 *
 * Each writer is a forked process calling the library, released together
 * through a pipe so they really contend. A writer is told apart by the
 * version string it stores ("w<k>").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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
	"name = \"cc\"; seed = 5; horizon_days = 15.0;\n"
	"fleets = ( { name = \"a\"; gpu = \"A100\"; nodes = 2; },\n"
	"           { name = \"h\"; gpu = \"H100\"; nodes = 1; } );\n"
	"training = { streams = ( { name = \"s\"; rate_per_day = 2.5; model = \"Llama-2-7B\";\n"
	"  tokens = { dist = \"uniform\"; min = 1e9; max = 3e9; }; gpus = { dist = \"choice\"; values = [1, 8]; }; } ); };\n";

struct fixture {
	struct fs_scenario sc;
	struct fs_run_result r[2];
};

/* PRAGMA integrity_check through a read-write handle (which rolls back a hot journal). */
static void assert_intact(const char *db)
{
	sqlite3 *h;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(h);
}

/* The two fleets simulated once; jobs replicated to n_jobs each so a write takes a while. */
static void setup_runs(struct fixture *fx, size_t n_jobs)
{
	struct fs_error e;

	assert_int_equal(fs_scenario_load_text(text, "cc.cfg", &fx->sc, &e), FS_OK);
	for (size_t f = 0; f < 2; f++) {
		struct fs_run_result *r = &fx->r[f];
		assert_int_equal(fs_run_fleet(&fx->sc, f, fx->sc.seed, r, &e), FS_OK);
		assert_true(r->n_jobs > 0);
		if (n_jobs > r->n_jobs) {
			struct fs_job_result *big = calloc(n_jobs, sizeof(*big));
			assert_non_null(big);
			for (size_t i = 0; i < n_jobs; i++)
				big[i] = r->jobs[i % r->n_jobs];
			free(r->jobs);
			r->jobs = big;
			r->n_jobs = n_jobs;
		}
	}
}

static void teardown_runs(struct fixture *fx)
{
	fs_run_result_fini(&fx->r[0]);
	fs_run_result_fini(&fx->r[1]);
	fs_scenario_fini(&fx->sc);
}

/*
 * Forks n writers that wait on a pipe, then releases them together. Each
 * opens db, writes both runs as version "w<k>" and exits 0, or exits 3
 * after printing its error. pids[k] receives writer k's pid.
 */
static void start_writers(struct fixture *fx, const char *db, int n, pid_t *pids)
{
	int gate[2];

	assert_int_equal(pipe(gate), 0);
	for (int k = 0; k < n; k++) {
		pids[k] = fork();
		assert_true(pids[k] >= 0);
		if (pids[k] == 0) {
			struct fs_store *s;
			struct fs_error e;
			int64_t ids[2];
			char version[16], c;

			close(gate[1]);
			if (read(gate[0], &c, 1) < 0)
				_exit(4);
			snprintf(version, sizeof(version), "w%d", k);
			if (fs_store_open(db, FS_STORE_WRITE, &s, &e) ||
			    fs_store_write_runs(s, &fx->sc, fx->r, 2, INV(version), ids, &e)) {
				fprintf(stderr, "writer %d: %s\n", k, e.msg);
				_exit(3);
			}
			fs_store_close(s);
			_exit(0);
		}
	}
	close(gate[0]);
	close(gate[1]); /* EOF releases every writer at once */
}

static long long writer_rows(const char *db, int k, const char *table)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s WHERE run_id IN "
		 "(SELECT id FROM runs WHERE version = 'w%d')", table, k);
	return tu_sql_int(db, sql);
}

/* Every writer's two runs are there whole. */
static void assert_landed(struct fixture *fx, const char *db, int k)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM runs WHERE version = 'w%d'", k);
	assert_int_equal(tu_sql_int(db, sql), 2);
	assert_int_equal(writer_rows(db, k, "jobs"), (long long)(fx->r[0].n_jobs + fx->r[1].n_jobs));
	assert_int_equal(writer_rows(db, k, "series"),
			 (long long)(fx->r[0].n_series + fx->r[1].n_series));
}

static void run_writers(struct fixture *fx, const char *db, int n)
{
	pid_t pids[16];
	int status;

	assert_true(n <= 16);
	start_writers(fx, db, n, pids);
	for (int k = 0; k < n; k++) {
		assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_intact(db);
	for (int k = 0; k < n; k++)
		assert_landed(fx, db, k);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM scenarios"), 1);
}

/*
 * Ten writers create one new database together: exactly one creates the
 * schema, the others find it under the lock; all twenty runs land.
 */
static void test_store_concurrent_writers_new_database(void **state)
{
	struct fixture fx;
	const char *db = tu_path("new-together.db");

	(void)state;
	setup_runs(&fx, 0);
	for (int trial = 0; trial < 3; trial++) {
		unlink(db);
		run_writers(&fx, db, 10);
		assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM runs"), 20);
		assert_int_equal(tu_sql_int(db, "PRAGMA user_version"), FS_STORE_SCHEMA_VERSION);
	}
	teardown_runs(&fx);
}

/*
 * Eight writers of 2 x 20,000 jobs each on an existing database: each waits
 * for the one before instead of failing "database is locked".
 */
static void test_store_concurrent_large_writers_existing_database(void **state)
{
	struct fixture fx;
	struct fs_store *s;
	struct fs_error e;
	const char *db = tu_path("existing.db");

	(void)state;
	setup_runs(&fx, 20000);
	unlink(db);
	assert_int_equal(fs_store_open(db, FS_STORE_WRITE, &s, &e), FS_OK);
	fs_store_close(s);
	run_writers(&fx, db, 8);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM runs"), 16);
	teardown_runs(&fx);
}

/*
 * Six writers of a large run on a new database, three killed with SIGKILL
 * at different moments while the others write: each killed writer left
 * both its runs or nothing, each survivor's runs are whole, and the file
 * passes the integrity check.
 */
static void test_store_concurrent_writers_killed(void **state)
{
	struct fixture fx;
	const char *db = tu_path("killed-together.db");
	const long kill_ms[] = { 3, 30, 120 };
	pid_t pids[6];
	int status;

	(void)state;
	setup_runs(&fx, 40000);
	unlink(db);
	start_writers(&fx, db, 6, pids);
	for (int k = 0; k < 3; k++) {
		struct timespec ts = { 0, (kill_ms[k] - (k ? kill_ms[k - 1] : 0)) * 1000000L };
		nanosleep(&ts, NULL);
		kill(pids[2 * k], SIGKILL);
	}
	for (int k = 0; k < 6; k++) {
		assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
		if (k % 2)
			assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_intact(db);
	for (int k = 0; k < 6; k++) {
		char sql[128];
		long long runs;

		if (k % 2) {
			assert_landed(&fx, db, k);
			continue;
		}
		snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM runs WHERE version = 'w%d'", k);
		runs = tu_sql_int(db, sql);
		assert_true(runs == 0 || runs == 2);
		if (runs)
			assert_landed(&fx, db, k);
		else
			assert_int_equal(writer_rows(db, k, "jobs"), 0);
	}
	teardown_runs(&fx);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/*
 * A lock held by another connection past the wait: opening and writing both
 * fail as busy (FS_ERR_DB, exit 1), not as "not a fleetsim database", after
 * waiting about the bound; the database is left as it was.
 */
static void test_store_busy_past_the_wait(void **state)
{
	struct fixture fx;
	struct fs_store *s, *w;
	struct fs_error e;
	const char *db = tu_path("busy.db");
	sqlite3 *holder;
	int64_t ids[2];
	double t0, dt;

	(void)state;
	setup_runs(&fx, 0);
	unlink(db);
	assert_int_equal(fs_store_open_wait(db, FS_STORE_WRITE, 0.3, &w, &e), FS_OK);
	/* a new file is made by the first write */
	assert_int_equal(access(db, F_OK), -1);
	assert_int_equal(fs_store_write_runs(w, &fx.sc, fx.r, 2, INV("first"), ids, &e), FS_OK);
	assert_int_equal(sqlite3_open(db, &holder), SQLITE_OK);
	assert_int_equal(sqlite3_exec(holder, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	t0 = mono_s();
	assert_int_equal(fs_store_open_wait(db, FS_STORE_WRITE, 0.3, &s, &e), FS_ERR_DB);
	dt = mono_s() - t0;
	assert_null(s);
	assert_non_null(strstr(e.msg, "busy"));
	assert_non_null(strstr(e.msg, "locked by another process"));
	assert_true(dt >= 0.3 && dt < 5.0);
	/* the writer opened before the lock was taken waits its bound, then gives up whole */
	assert_int_equal(fs_store_write_runs(w, &fx.sc, fx.r, 2, INV("late"), ids, &e), FS_ERR_DB);
	assert_non_null(strstr(e.msg, "busy"));
	assert_int_equal(sqlite3_exec(holder, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	/* once the lock is released the same handle writes */
	assert_int_equal(fs_store_write_runs(w, &fx.sc, fx.r, 2, INV("late"), ids, &e), FS_OK);
	fs_store_close(w);
	sqlite3_close(holder);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM runs"), 4);
	teardown_runs(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_concurrent_writers_new_database),
		cmocka_unit_test(test_store_concurrent_large_writers_existing_database),
		cmocka_unit_test(test_store_concurrent_writers_killed),
		cmocka_unit_test(test_store_busy_past_the_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
