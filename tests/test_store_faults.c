/*
 * test_store_faults.c - `fleetsim run --db PATH` with a path or file that
 * cannot take the runs: each refused before anything is simulated, with
 * the exit code the issue sets (2 for a path or file the user gave that is
 * not usable, 1 for a database busy past the wait), a message that says
 * which fault it is, and the file left byte for byte as it was.
 *
 * "Before simulating" is seen in the output: the run prints a progress line
 * per fleet ("... N jobs, M events") only once it simulates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static const char scenario[] =
	"name = \"ft\"; seed = 9; horizon_days = 30.0;\n"
	"fleets = ( { name = \"a\"; gpu = \"A100\"; nodes = 2; } );\n"
	"training = { streams = ( { name = \"s\"; rate_per_day = 40.0; model = \"Llama-2-7B\";\n"
	"  tokens = { dist = \"uniform\"; min = 1e8; max = 3e8; }; gpus = 8; } ); };\n";

static char out[8192];

/* Runs "[prefix] FLEETSIM_BIN run SCENARIO --db 'db'" (db without quotes); the exit code. */
static int run_db(const char *prefix, const char *db)
{
	char cmd[2048];
	FILE *p;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s run %s --progress --db '%s' 2>&1", prefix ? prefix : "", FLEETSIM_BIN,
		 tu_path("ft.cfg"), db);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The run was refused with code and a message holding what, without simulating. */
static void refused(int rc, int code, const char *what)
{
	if (rc != code || !strstr(out, what) || strstr(out, "events") ||
	    strstr(out, "not an error")) {
		fprintf(stderr, "exit %d (want %d), want '%s' and no simulation:\n%s\n", rc, code,
			what, out);
		fail();
	}
}

/* Refused as above, the file's bytes unchanged and no journal left beside it. */
static void refused_untouched(const char *prefix, const char *db, int code, const char *what)
{
	char before[65], after[65], journal[600];

	tu_file_hash(db, before);
	refused(run_db(prefix, db), code, what);
	tu_file_hash(db, after);
	assert_string_equal(before, after);
	snprintf(journal, sizeof(journal), "%s-journal", db);
	assert_int_not_equal(access(journal, F_OK), 0);
}

static void sql(const char *db, const char *text)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, text, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* A fleetsim database with two runs of the scenario (about 2,400 job rows). */
static const char *good_db(const char *name)
{
	const char *db = tu_path(name);

	unlink(db);
	assert_int_equal(run_db(NULL, db), 0);
	assert_int_equal(run_db("", db), 0);
	return db;
}

static int setup(void **state)
{
	(void)state;
	tu_write("ft.cfg", scenario);
	return 0;
}

static void test_store_faults_paths(void **state)
{
	(void)state;
	/* --db "" used to write the runs to a throwaway temporary database, exit 0 */
	refused(run_db(NULL, ""), 2, "empty");
	assert_int_equal(mkdir(tu_path("adir"), 0755), 0);
	refused(run_db(NULL, tu_path("adir")), 2, "is a directory");
	refused(run_db(NULL, tu_path("nodir/x.db")), 2, "does not exist");
	assert_int_not_equal(access(tu_path("nodir"), F_OK), 0);
	/* a FIFO would block SQLite's open forever */
	assert_int_equal(mkfifo(tu_path("fifo.db"), 0644), 0);
	refused(run_db(NULL, tu_path("fifo.db")), 2, "not a regular file");
}

static void test_store_faults_foreign_files(void **state)
{
	const char *text = tu_write("notes.db", "these are someone's notes, not a database\n");
	const char *other = tu_path("other.db");
	const char *v1 = tu_path("v1-alone.db");

	(void)state;
	refused_untouched(NULL, text, 2, "not an SQLite database");
	/* another application's database: left untouched, never given fleetsim's tables */
	sql(other, "CREATE TABLE contacts(name TEXT); INSERT INTO contacts VALUES('ada');");
	refused_untouched(NULL, other, 2, "another application");
	/* a version number but none of fleetsim's tables */
	sql(v1, "CREATE TABLE t(x); PRAGMA user_version = 1;");
	refused_untouched(NULL, v1, 2, "no fleetsim tables");
	/* the reading commands refuse it the same way */
	snprintf(out, sizeof(out), "runs --db %s", other);
	assert_int_equal(tu_fleetsim(out, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "another application"));
}

static void test_store_faults_versions(void **state)
{
	const char *neg = good_db("negative.db");
	const char *newer = good_db("newer.db");

	(void)state;
	/* once printed "(not an error)" */
	sql(neg, "PRAGMA user_version = -5;");
	refused_untouched(NULL, neg, 2, "schema version -5");
	sql(newer, "PRAGMA user_version = 8;");
	refused_untouched(NULL, newer, 2, "schema version 8 is newer");
}

/* Overwrites bytes [off, off + n) of path with 0xff. */
static void smash(const char *path, long off, size_t n)
{
	FILE *f = fopen(path, "r+b");
	char junk[4096];

	assert_non_null(f);
	assert_true(n <= sizeof(junk));
	memset(junk, 0xff, n);
	assert_int_equal(fseek(f, off, SEEK_SET), 0);
	assert_int_equal(fwrite(junk, 1, n, f), n);
	fclose(f);
}

static void test_store_faults_damaged(void **state)
{
	const char *db = good_db("damaged.db");
	const char *cut = good_db("truncated.db");
	struct stat sb;

	(void)state;
	/* a page near the end: the header and schema still read, the rows do not */
	assert_int_equal(stat(db, &sb), 0);
	assert_true(sb.st_size >= 8 * 4096);
	smash(db, (long)sb.st_size - 2 * 4096, 4096);
	refused_untouched(NULL, db, 2, "damaged database");
	/* a file cut to half its length */
	assert_int_equal(stat(cut, &sb), 0);
	assert_int_equal(truncate(cut, sb.st_size / 2), 0);
	refused_untouched(NULL, cut, 2, "damaged database");
}

/*
 * Another process's exclusive lock held past FLEETSIM_DB_WAIT_S: exit 1,
 * "busy" (once exit 2 "not a fleetsim results database (database is
 * locked)").
 */
static void test_store_faults_busy(void **state)
{
	const char *db = good_db("locked.db");
	sqlite3 *holder;
	char before[65], after[65];

	(void)state;
	tu_file_hash(db, before);
	assert_int_equal(sqlite3_open(db, &holder), SQLITE_OK);
	assert_int_equal(sqlite3_exec(holder, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	refused(run_db("FLEETSIM_DB_WAIT_S=0.2", db), 1, "busy");
	assert_non_null(strstr(out, "locked by another process"));
	assert_int_equal(sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(holder);
	tu_file_hash(db, after);
	assert_string_equal(before, after);
	refused(run_db("FLEETSIM_DB_WAIT_S=soon", db), 2, "FLEETSIM_DB_WAIT_S");
}

/*
 * Read-only database and read-only directory. Permissions bind root only
 * through a user without privileges, so as root the runs go through setpriv
 * as nobody (skipped when that is not possible).
 */
static void test_store_faults_read_only(void **state)
{
	const char *as = "";
	char dir[600], db[700], fresh[700];

	(void)state;
	if (geteuid() == 0) {
		if (system("setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null") != 0 ||
		    access(FLEETSIM_BIN, X_OK) != 0)
			skip();
		as = "setpriv --reuid=65534 --regid=65534 --clear-groups";
		assert_int_equal(chmod(tu_tmpdir(), 0755), 0);
	}
	snprintf(dir, sizeof(dir), "%s", tu_path("ro"));
	snprintf(db, sizeof(db), "%s/r.db", dir);
	snprintf(fresh, sizeof(fresh), "%s/new.db", dir);
	assert_int_equal(mkdir(dir, 0777), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	{
		char cmd[1600];
		const char *g = good_db("ro-src.db");
		snprintf(cmd, sizeof(cmd), "cp %s %s", g, db);
		assert_int_equal(system(cmd), 0);
	}
	/* a database file without write permission: once failed only after simulating */
	assert_int_equal(chmod(db, 0444), 0);
	refused_untouched(as, db, 2, "read-only");
	/* a writable file in a read-only directory: SQLite cannot create its journal */
	assert_int_equal(chmod(db, 0666), 0);
	assert_int_equal(chmod(dir, 0555), 0);
	refused_untouched(as, db, 2, "read-only");
	refused(run_db(as, fresh), 2, "read-only");
	assert_int_not_equal(access(fresh, F_OK), 0);
	assert_int_equal(chmod(dir, 0755), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_faults_paths),
		cmocka_unit_test(test_store_faults_foreign_files),
		cmocka_unit_test(test_store_faults_versions),
		cmocka_unit_test(test_store_faults_damaged),
		cmocka_unit_test(test_store_faults_busy),
		cmocka_unit_test(test_store_faults_read_only),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
