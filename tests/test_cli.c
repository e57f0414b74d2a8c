/*
 * test_cli.c - the fleetsim binary end to end: exit codes, messages that
 * name file:line, and a results database left untouched by bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define EXAMPLE FLEETSIM_SOURCE_DIR "/scenarios/example.cfg"

static char out[1 << 16];

static void contains(const char *needle)
{
	if (!strstr(out, needle)) {
		print_error("output does not contain '%s':\n%s\n", needle, out);
		fail();
	}
}

static const char *db_with_runs(void)
{
	static char db[512];
	char args[1024];

	if (!db[0]) {
		snprintf(db, sizeof(db), "%s", tu_path("main.db"));
		snprintf(args, sizeof(args), "run %s --db %s", EXAMPLE, db);
		assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	}
	return db;
}

static void test_cli_run_example(void **state)
{
	char args[1024];

	(void)state;
	db_with_runs();
	snprintf(args, sizeof(args), "runs --db %s --format csv", db_with_runs());
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	contains("run_id,scenario,fleet");
	contains("\n4,growing-team,h200-256,H200-SXM-141GB,256,42,ok");
	snprintf(args, sizeof(args), "show 2 --db %s", db_with_runs());
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	contains("fleet 'h100-256' (256 x H100-SXM5-80GB)");
	contains("time to solution, p90");
}

/* Runs args against a copy of the database and asserts exit 2, the message, no change. */
static void bad(const char *scenario_text, const char *extra, const char *needle)
{
	char args[2048], before[65], after[65];
	const char *db = db_with_runs();
	const char *file = scenario_text ? tu_write("bad.cfg", scenario_text) : tu_path("missing.cfg");

	tu_file_hash(db, before);
	snprintf(args, sizeof(args), "run %s --db %s %s", file, db, extra ? extra : "");
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	contains(needle);
	tu_file_hash(db, after);
	assert_string_equal(before, after);
}

static const char good[] =
	"name = \"c\"; horizon_days = 5.0;\n"
	"fleets = ( { name = \"a\"; gpu = \"A100\"; nodes = 1; } );\n"
	"training = { jobs = ( { name = \"j\"; model = \"Llama-2-7B\"; tokens = 1e9; gpus = 8; } ); };\n";

static void test_cli_bad_scenarios_leave_db_unchanged(void **state)
{
	(void)state;
	bad(NULL, NULL, "missing.cfg: cannot open scenario file");
	bad("name = \"c\"; horizon_days = = 5.0;\n", NULL, "bad.cfg:1: syntax error");
	bad("name = \"c\";\nhorizon_dayz = 5.0;\n", NULL, "bad.cfg:2: horizon_dayz: unknown key");
	bad("name = \"c\"; horizon_days = 5.0;\n"
	    "fleets = ( { name = \"a\"; gpu = \"A100\"; nodes = \"x\"; } );\n", NULL,
	    "bad.cfg:2: fleets.[0].nodes: found \"x\"; expected an integer");
	bad("name = \"c\"; horizon_days = 5.0;\n"
	    "fleets = ( { name = \"a\"; gpu = \"A100\"; nodes = -1; } );\n", NULL, "bad.cfg:2: fleets.[0].nodes");
	bad("name = \"c\"; horizon_days = 5.0;\n"
	    "fleets = ( { name = \"a\"; gpu = \"V100\"; nodes = 1; } );\n", NULL, "unknown GPU 'V100'");
	bad("name = \"c\"; horizon_days = 5.0;\n"
	    "fleets = ( { name = \"a\"; gpu = \"A100\"; nodes = 1; } );\n"
	    "training = { jobs = ( { name = \"j\"; model = \"Llama-2-7B\"; tokens = 1e9; gpus = 64; } ); };\n",
	    NULL, "bad.cfg:3: training.jobs.[0].gpus: job 'j' needs 64 GPUs but fleet 'a' has 8");
	bad(good, "--seed -4", "--seed '-4': expected a whole number from 0 to");
	bad(good, "--bogus", "unknown option '--bogus'");
}

static void test_cli_bad_database_paths(void **state)
{
	char args[2048], before[65], after[65];
	const char *file = tu_write("good.cfg", good);
	const char *newer = tu_path("newer.db");
	FILE *f;

	(void)state;
	/* a database path under a regular file cannot be created */
	tu_write("plainfile", "x");
	snprintf(args, sizeof(args), "run %s --db %s/x.db", file, tu_path("plainfile"));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	contains("cannot open the database for writing");
	/* a newer schema is refused and left as it was */
	snprintf(args, sizeof(args), "sqlite3 %s 'CREATE TABLE runs(x); PRAGMA user_version = 7;'", newer);
	assert_int_equal(system(args), 0);
	tu_file_hash(newer, before);
	snprintf(args, sizeof(args), "run %s --db %s", file, newer);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	contains("schema version 7 is newer");
	tu_file_hash(newer, after);
	assert_string_equal(before, after);
	/* reading commands never create a database */
	snprintf(args, sizeof(args), "runs --db %s", tu_path("absent.db"));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	f = fopen(tu_path("absent.db"), "rb");
	assert_null(f);
	snprintf(args, sizeof(args), "show 12345 --db %s", db_with_runs());
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	contains("no run with id 12345");
}

static void test_cli_usage_and_help(void **state)
{
	static const char *const helps[] = { "check --help", "run --help", "runs --help", "show --help",
					     "estimate train --help", "estimate serve --help",
					     "validate train --help", "validate serve --help", "--help" };
	(void)state;
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++) {
		assert_int_equal(tu_fleetsim(helps[i], out, sizeof(out)), 0);
		contains("usage: fleetsim");
	}
	assert_int_equal(tu_fleetsim("", out, sizeof(out)), 2);
	assert_int_equal(tu_fleetsim("frobnicate", out, sizeof(out)), 2);
	contains("unknown command 'frobnicate'");
	assert_int_equal(tu_fleetsim("run", out, sizeof(out)), 2);
	contains("missing scenario file");
	assert_int_equal(tu_fleetsim("show abc", out, sizeof(out)), 2);
}

static void test_cli_check(void **state)
{
	(void)state;
	assert_int_equal(tu_fleetsim("check " EXAMPLE, out, sizeof(out)), 0);
	contains("h100-512");
	contains("pretrain-70b");
	contains("\nok\n");
}

/* Same scenario and seed, two databases: identical job and series rows. */
static void test_cli_same_seed_same_rows(void **state)
{
	char args[2048], a[65], b[65];

	(void)state;
	for (int i = 0; i < 2; i++) {
		snprintf(args, sizeof(args), "run %s --db %s --seed 11 >/dev/null", EXAMPLE,
			 tu_path(i ? "det2.db" : "det1.db"));
		assert_int_equal(tu_fleetsim(args, NULL, 0), 0);
		snprintf(args, sizeof(args),
			 "sqlite3 %s 'SELECT * FROM jobs ORDER BY run_id, name; SELECT * FROM series "
			 "ORDER BY run_id, t_s;' > %s", tu_path(i ? "det2.db" : "det1.db"),
			 tu_path(i ? "det2.txt" : "det1.txt"));
		assert_int_equal(system(args), 0);
	}
	tu_file_hash(tu_path("det1.txt"), a);
	tu_file_hash(tu_path("det2.txt"), b);
	assert_string_equal(a, b);
	assert_string_not_equal(a, "missing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_run_example),
		cmocka_unit_test(test_cli_bad_scenarios_leave_db_unchanged),
		cmocka_unit_test(test_cli_bad_database_paths),
		cmocka_unit_test(test_cli_usage_and_help),
		cmocka_unit_test(test_cli_check),
		cmocka_unit_test(test_cli_same_seed_same_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
