/*
 * test_cli.c - the fleetsim binary end to end: exit codes, messages that
 * name file:line, and a results database left untouched by bad input; and
 * the two pieces every command shares: the option parser (opt.h) and the
 * output emitter (emit.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetsim/emit.h"
#include "fleetsim/opt.h"
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
	snprintf(args, sizeof(args), "sqlite3 %s 'CREATE TABLE runs(x); PRAGMA user_version = 8;'", newer);
	assert_int_equal(system(args), 0);
	tu_file_hash(newer, before);
	snprintf(args, sizeof(args), "run %s --db %s", file, newer);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	contains("schema version 8 is newer");
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

/* ---- option parser ---- */

static const char *const colours[] = { "red", "green", NULL };
enum { T_GPUS, T_RATE, T_NAME, T_COLOUR, T_GATED, T_PARAMS, N_T };
static const struct fs_opt topts[N_T] = {
	[T_GPUS] = { .name = "gpus", .type = FS_OPT_INT, .imin = 1, .imax = 64, .help = "GPUs" },
	[T_RATE] = { .name = "rate", .type = FS_OPT_DOUBLE, .min_open = true, .dmin = 0, .dmax = 10,
		     .unit = "1/s", .help = "rate" },
	[T_NAME] = { .name = "name", .type = FS_OPT_STRING, .help = "name" },
	[T_COLOUR] = { .name = "colour", .aliases = "color", .type = FS_OPT_ENUM, .choices = colours,
		       .def = "red", .help = "colour" },
	[T_GATED] = { .name = "gated-ffn", .aliases = "gated", .type = FS_OPT_FLAG, .help = "gated" },
	[T_PARAMS] = { .name = "params", .type = FS_OPT_DOUBLE, .min_open = true, .si_suffix = true,
		       .help = "parameters" },
};

/* Parses a blank-separated command line; returns the status, message in e. */
static enum fs_status tparse(const char *line, struct fs_opt_val *v, const char **pos, int *n_pos,
			     struct fs_error *e)
{
	static char buf[512];
	char *argv[32], *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "cmd %s", line);
	for (char *t = strtok_r(buf, " ", &save); t && argc < 32; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	fs_error_clear(e);
	return fs_opt_parse(topts, N_T, argc, argv, v, pos, 1, n_pos, e);
}

static void test_cli_opt_parse_values(void **state)
{
	struct fs_opt_val v[N_T];
	struct fs_error e;
	const char *pos[1];
	int n_pos;

	(void)state;
	assert_int_equal(tparse("--gpus 8 --rate=2.385 file.cfg --color green --gated --params 70B",
				v, pos, &n_pos, &e), FS_OK);
	assert_true(v[T_GPUS].set && v[T_GPUS].i == 8);
	assert_true(v[T_RATE].set && v[T_RATE].d == 2.385);
	assert_false(v[T_NAME].set);
	assert_true(v[T_COLOUR].set && v[T_COLOUR].i == 1); /* the alias sets the option */
	assert_true(v[T_GATED].set);
	assert_true(v[T_PARAMS].d == 70e9);
	assert_int_equal(n_pos, 1);
	assert_string_equal(pos[0], "file.cfg");
	/* the last of two wins; bounds are inclusive for integers */
	assert_int_equal(tparse("--gpus 1 --gpus 64", v, pos, &n_pos, &e), FS_OK);
	assert_int_equal(v[T_GPUS].i, 64);
}

static void test_cli_opt_parse_errors(void **state)
{
	struct fs_opt_val v[N_T];
	struct fs_error e;
	const char *pos[1];
	int n_pos;

	(void)state;
	assert_int_equal(tparse("--gpus eight", v, pos, &n_pos, &e), FS_ERR_INPUT);
	assert_string_equal(e.msg, "--gpus 'eight': expected a whole number from 1 to 64");
	assert_int_equal(tparse("--gpus 65", v, pos, &n_pos, &e), FS_ERR_INPUT);
	assert_string_equal(e.msg, "--gpus '65': expected a whole number from 1 to 64");
	assert_int_equal(tparse("--gpus 8x", v, pos, &n_pos, &e), FS_ERR_INPUT);
	assert_int_equal(tparse("--rate 0", v, pos, &n_pos, &e), FS_ERR_INPUT);
	assert_non_null(strstr(e.msg, "--rate '0': expected a number from 0 (excluded) to 10"));
	assert_int_equal(tparse("--rate 10.5", v, pos, &n_pos, &e), FS_ERR_INPUT);
	assert_int_equal(tparse("--rate inf", v, pos, &n_pos, &e), FS_ERR_INPUT);
	assert_int_equal(tparse("--rate 2k", v, pos, &n_pos, &e), FS_ERR_INPUT); /* no suffixes here */
	assert_int_equal(tparse("--params 7Q", v, pos, &n_pos, &e), FS_ERR_INPUT);
	assert_int_equal(tparse("--color blue", v, pos, &n_pos, &e), FS_ERR_INPUT);
	assert_string_equal(e.msg, "--color 'blue': expected red or green");
	assert_int_equal(tparse("--gpu 8", v, pos, &n_pos, &e), FS_ERR_INPUT);
	assert_string_equal(e.msg, "unknown option '--gpu' (did you mean --gpus?)");
	assert_int_equal(tparse("--frobnicate 8", v, pos, &n_pos, &e), FS_ERR_INPUT);
	assert_string_equal(e.msg, "unknown option '--frobnicate'");
	assert_int_equal(tparse("--gpus", v, pos, &n_pos, &e), FS_ERR_INPUT);
	assert_string_equal(e.msg, "--gpus needs a value");
	assert_int_equal(tparse("--gated=1", v, pos, &n_pos, &e), FS_ERR_INPUT);
	assert_int_equal(tparse("a.cfg b.cfg", v, pos, &n_pos, &e), FS_ERR_INPUT);
	assert_string_equal(e.msg, "unexpected argument 'b.cfg'");
	assert_int_equal(tparse("-x", v, pos, &n_pos, &e), FS_ERR_INPUT);
}

/* --help comes from the same table: every option, its range, unit, default and aliases. */
static void test_cli_opt_help(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	fs_opt_help(f, topts, N_T);
	fclose(f);
	assert_non_null(strstr(text, "--gpus N"));
	assert_non_null(strstr(text, "(1..64)"));
	assert_non_null(strstr(text, "[1/s]"));
	assert_non_null(strstr(text, "(red|green); default red; also --color"));
	assert_non_null(strstr(text, "also --gated"));
	free(text);
}

/* The commands: exit code 2 and the option named; old spellings still accepted. */
static void test_cli_options_of_commands(void **state)
{
	(void)state;
	assert_int_equal(tu_fleetsim("estimate serve --gpu H100 --tp x --model Llama-3-8B "
				     "--input-tokens 8 --output-tokens 8 --batch 1", out, sizeof(out)), 2);
	contains("--tp 'x': expected a whole number from 1 to 1024");
	assert_int_equal(tu_fleetsim("estimate train --gpu H100 --gpus 8 --model Llama-3-8B --seq 4096 "
				     "--zero 4", out, sizeof(out)), 2);
	contains("--zero '4': expected a whole number from 0 to 3");
	assert_int_equal(tu_fleetsim("validate train --rowz step", out, sizeof(out)), 2);
	contains("unknown option '--rowz' (did you mean --rows?)");
	assert_int_equal(tu_fleetsim("runs --format xml", out, sizeof(out)), 2);
	contains("--format 'xml': expected table, csv or json");
	/* --gated (estimate train's old spelling) and --gated-ffn give the same model */
	assert_int_equal(tu_fleetsim("estimate serve --gpu H100-SXM5-80GB --tp 1 --layers 4 --hidden 512 "
				     "--heads 8 --vocab 1000 --gated --input-tokens 16 --output-tokens 4 "
				     "--batch 2 --format csv", out, sizeof(out)), 0);
	assert_int_equal(tu_fleetsim("estimate train --gpu H100-SXM5-80GB --gpus 8 --layers 4 --hidden 512 "
				     "--heads 8 --vocab 1000 --gated-ffn --params 0.02 --seq 512 --format csv",
				     out, sizeof(out)), 0);
}

/* ---- emitter ---- */

/* Emits rows in format fmt into a string (static, overwritten each call). */
static const char *emit_to_text(const char *fmt, const struct fs_emit_col *cols, int n_cols,
				const struct fs_emit_val *rows, int n_rows)
{
	static char *text;
	size_t len = 0;
	FILE *f;
	struct fs_emitter em;

	free(text);
	text = NULL;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_non_null(fs_emit_format_find(fmt));
	fs_emit_begin(&em, f, fs_emit_format_find(fmt), cols, n_cols, false);
	for (int r = 0; r < n_rows; r++)
		fs_emit_row(&em, rows + r * n_cols);
	fs_emit_end(&em);
	fclose(f);
	return text;
}

static const struct fs_emit_col ecols[] = {
	{ .name = "name", .type = FS_EMIT_STR, .width = -12 },
	{ .name = "wait_s", .type = FS_EMIT_NUM, .width = 8, .header = "wait_h", .tscale = 1.0 / 3600,
	  .tfmt = "%.1f" },
	{ .name = "n", .type = FS_EMIT_INT, .width = 3 },
};

static void test_cli_emit_csv_quoting(void **state)
{
	const struct fs_emit_val rows[] = {
		fs_emit_str("a,b"), fs_emit_num(7200), fs_emit_int(1),
		fs_emit_str("say \"hi\""), fs_emit_num(NAN), fs_emit_int(2),
		fs_emit_str("two\nlines\r"), fs_emit_missing(), fs_emit_int(3),
		fs_emit_str("plain"), fs_emit_num(INFINITY), fs_emit_int(-4),
	};

	(void)state;
	assert_string_equal(emit_to_text("csv", ecols, 3, rows, 4),
			    "name,wait_s,n\n"
			    "\"a,b\",7200,1\n"
			    "\"say \"\"hi\"\"\",,2\n"
			    "\"two\nlines\r\",,3\n"
			    "plain,,-4\n");
}

static void test_cli_emit_json_escaping(void **state)
{
	const struct fs_emit_val rows[] = {
		fs_emit_str("q\"b\\s\x01t\tn\n"), fs_emit_num(NAN), fs_emit_int(1),
		fs_emit_missing(), fs_emit_num(0.5), fs_emit_int(2),
	};

	(void)state;
	assert_string_equal(emit_to_text("json", ecols, 3, rows, 2),
			    "[\n"
			    "  {\"name\": \"q\\\"b\\\\s\\u0001t\\tn\\n\", \"wait_s\": null, \"n\": 1},\n"
			    "  {\"name\": null, \"wait_s\": 0.5, \"n\": 2}\n"
			    "]\n");
	assert_string_equal(emit_to_text("json", ecols, 3, rows, 0), "[]\n");
}

/* The table: friendly headers, scaled units, "-" for what is missing, fixed widths. */
static void test_cli_emit_table(void **state)
{
	const struct fs_emit_val rows[] = {
		fs_emit_str("x"), fs_emit_num(5400), fs_emit_int(1),
		fs_emit_str("y"), fs_emit_num(NAN), fs_emit_int(22),
	};

	(void)state;
	assert_string_equal(emit_to_text("table", ecols, 3, rows, 2),
			    "name           wait_h   n\n"
			    "x                 1.5   1\n"
			    "y                   -  22\n");
	assert_null(fs_emit_format_find("xml"));
}

/*
 * A minimal JSON checker (RFC 8259 grammar, no semantics): enough to prove
 * that the commands' JSON parses. Returns the end of the value or NULL.
 */
static const char *json_value(const char *p);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int k = 1; k <= 4; k++)
					if (!strchr("0123456789abcdefABCDEF", p[k]) || !p[k])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
	}
	return p + 1;
}

static const char *json_number(const char *p)
{
	const char *s = p;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		if (!(*++p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p > s ? p : NULL;
}

static const char *json_members(const char *p, char close, bool keys)
{
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keys) {
			if (!(p = json_string(json_ws(p))))
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if (!(p = json_value(p)))
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p)
{
	p = json_ws(p);
	if (*p == '{')
		return json_members(p, '}', true);
	if (*p == '[')
		return json_members(p, ']', false);
	if (*p == '"')
		return json_string(p);
	if (strncmp(p, "null", 4) == 0 || strncmp(p, "true", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	return json_number(p);
}

static bool json_ok(const char *text)
{
	const char *end = json_value(text);

	return end && *json_ws(end) == '\0';
}

static void test_cli_json_outputs_parse(void **state)
{
	static const char *const cmds[] = {
		"estimate train --gpu H100-SXM5-80GB --gpus 64 --model Llama-3-8B --seq 4096 --format json",
		"estimate train --gpu H100-SXM5-80GB --gpus 64 --model Llama-3-8B --seq 4096 --tokens 1T "
		"--format json",
		"estimate serve --gpu H100-SXM5-80GB --tp 1 --model Llama-3-8B --input-tokens 128 "
		"--output-tokens 1 --batch 4 --format json",
		"validate serve --format json",
	};
	char args[1024];

	(void)state;
	assert_true(json_ok("{\"a\": [1, -2.5e+06, null, true], \"b\": {\"c\": \"\\u0001\"}}"));
	assert_false(json_ok("{\"a\": nan}"));
	assert_false(json_ok("{\"a\": \"x\ny\"}"));
	assert_false(json_ok("{\"a\": 1,}"));
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(args, sizeof(args), "%s 2>/dev/null", cmds[i]);
		assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
		if (!json_ok(out))
			fail_msg("not JSON: %s\n%s", cmds[i], out);
	}
	snprintf(args, sizeof(args), "runs --db %s --format json", db_with_runs());
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	assert_true(json_ok(out));
	contains("\"mean_util_frac\": ");
}

/* ---- issue 8: limits, missing values, round-trip numbers, hostile names ---- */

/* Runs args, asserts the exit code and that the output holds needle. */
static void exits(const char *args, int code, const char *needle)
{
	int rc = tu_fleetsim(args, out, sizeof(out));

	if (rc != code)
		fail_msg("'%s' exited %d, want %d:\n%s", args, rc, code, out);
	contains(needle);
}

/*
 * A per-GPU MTBF of 1 h on 8,000 GPUs (job MTBF 0.45 s) never reaches a
 * checkpoint, and 1e15 tokens on 8 H100s take about 480 years: `check`,
 * `run` and `estimate train` refuse both with exit 2 and the same words,
 * in well under a second (they used to print 18.74 days, 175078 days, and
 * to hang).
 */
static void test_cli_time_and_progress_refused(void **state)
{
	static const char livelock[] =
		"name = \"l\"; horizon_days = 30.0;\n"
		"gpus = ( { name = \"H100-SXM5-80GB\"; mtbf_h = 1.0; } );\n"
		"fleets = ( { name = \"big\"; gpu = \"H100\"; nodes = 1000; } );\n"
		"training = { jobs = ( { name = \"huge\"; model = \"Llama-3-8B\"; gpus = 8000;"
		" tokens = 1e12; } ); };\n";
	static const char overflow[] =
		"name = \"o\"; horizon_days = 30.0;\n"
		"fleets = ( { name = \"small\"; gpu = \"H100\"; nodes = 1; } );\n"
		"training = { jobs = ( { name = \"forever\"; model = \"Llama-3-8B\"; gpus = 8;"
		" tokens = 1.0e15; } ); };\n";
	char args[2048];
	const char *f;

	(void)state;
	f = tu_write("livelock.cfg", livelock);
	snprintf(args, sizeof(args), "check %s", f);
	exits(args, 2, "job 'huge' on fleet 'big' (8000 of 8000 H100-SXM5-80GB GPUs): no progress");
	contains("job MTBF 0.45 s");
	snprintf(args, sizeof(args), "run %s --db %s", f, tu_path("livelock.db"));
	exits(args, 2, "job 'huge' on fleet 'big' (8000 of 8000 H100-SXM5-80GB GPUs): no progress");
	exits("estimate train --gpu H100 --model Llama-3-8B --gpus 8000 --seq 8192 --tokens 1e12"
	      " --mtbf-h 1", 2, "no progress under failures: 8000 GPUs, job MTBF 0.45 s");
	exits("estimate train --gpu H100 --model Llama-3-8B --gpus 8 --seq 8192 --tokens 1e12"
	      " --ckpt-interval-s 1e-9", 2, "no progress under failures");
	/* without --tokens there is no whole run to refuse */
	exits("estimate train --gpu H100 --model Llama-3-8B --gpus 8000 --seq 8192 --mtbf-h 1", 0,
	      "tokens/s");

	f = tu_write("overflow.cfg", overflow);
	snprintf(args, sizeof(args), "check %s", f);
	exits(args, 2, "job 'forever' on fleet 'small' (8 of 8 H100-SXM5-80GB GPUs): a run of");
	contains("exceeds the limit of 100 years");
	snprintf(args, sizeof(args), "run %s --db %s", f, tu_path("overflow.db"));
	exits(args, 2, "job 'forever' on fleet 'small'");
	contains("exceeds the limit of 100 years");
	/* bad input found while simulating leaves no database behind */
	assert_int_equal(access(tu_path("overflow.db"), F_OK), -1);
	/* the smallest subnormal token count is refused at load by both, exit 2 (not 1 from run) */
	f = tu_write("denorm.cfg", "name = \"d\"; horizon_days = 30.0;\n"
		     "fleets = ( { name = \"small\"; gpu = \"H100\"; nodes = 1; } );\n"
		     "training = { jobs = ( { name = \"nil\"; model = \"Llama-3-8B\"; gpus = 8;"
		     " tokens = 4.9e-324; } ); };\n");
	snprintf(args, sizeof(args), "check %s", f);
	exits(args, 2, "denorm.cfg:3: training.jobs.[0].tokens: found 4.94066e-324; expected a number >= 1000");
	snprintf(args, sizeof(args), "run %s --db %s", f, tu_path("denorm.db"));
	exits(args, 2, "denorm.cfg:3: training.jobs.[0].tokens");
	/* 1e30 tokens: about 1e20 days, no longer printed with exit 0 */
	exits("estimate train --gpu H100 --model Llama-3-8B --gpus 8 --seq 8192 --tokens 1e30", 2,
	      "exceeds the limit of 100 years");
}

/* A p99 TTFT objective of 0.1 ms is below one prefill: no rate meets it,
 * and estimate serve says so instead of "0 requests/s". */
static void test_cli_serve_no_capacity(void **state)
{
	(void)state;
	exits("estimate serve --gpu H100 --model Llama-3-8B --tp 1 --capacity --ttft-slo-s 0.0001"
	      " --input-tokens 128 --output-tokens 16 --requests 200", 2,
	      "no request rate meets p99 TTFT <= 0.0001 s and p99 TPOT <= 0.2 s");
	assert_null(strstr(out, "0 requests/s"));
}

/* A run whose only job does not fit has no wait or time-to-solution mean:
 * show prints "-", not 0.0. */
static void test_cli_show_missing_means(void **state)
{
	static const char none[] =
		"name = \"n\"; horizon_days = 10.0;\n"
		"fleets = ( { name = \"a\"; gpu = \"A100\"; nodes = 1; } );\n"
		"training = { jobs = ( { name = \"big\"; model = \"Llama-3-405B\"; tokens = 1e9;"
		" gpus = 8; } ); };\n";
	char args[2048];
	const char *db = tu_path("none.db");

	(void)state;
	snprintf(args, sizeof(args), "run %s --db %s", tu_write("none.cfg", none), db);
	exits(args, 0, "1 jobs");
	snprintf(args, sizeof(args), "show 1 --db %s", db);
	exits(args, 0, "  wait, mean                                -\n");
	contains("  time to solution, p90                     -\n");
	/* the per-workload row: 1 job, 1 infeasible, no means, 0 GPU-hours */
	contains("  job                         1          1          -          -              0");
}

/* CSV and JSON print a number without a column format so that it reads
 * back as the same double; the table keeps its %.6g. */
static void test_cli_emit_round_trip(void **state)
{
	static const struct fs_emit_col cols[] = {
		{ .name = "x", .type = FS_EMIT_NUM, .width = 12 },
		{ .name = "y", .type = FS_EMIT_NUM, .fmt = "%.2f", .width = 6 },
	};
	const struct fs_emit_val rows[] = {
		fs_emit_num(3609060.5), fs_emit_num(1.0 / 3.0),
		fs_emit_num(0.1), fs_emit_num(2.0),
		fs_emit_num(1.0 / 3.0), fs_emit_num(NAN),
	};

	(void)state;
	assert_string_equal(emit_to_text("csv", cols, 2, rows, 3),
			    "x,y\n3609060.5,0.33\n0.1,2.00\n0.3333333333333333,\n");
	assert_string_equal(emit_to_text("json", cols, 2, rows, 3),
			    "[\n  {\"x\": 3609060.5, \"y\": 0.33},\n  {\"x\": 0.1, \"y\": 2.00},\n"
			    "  {\"x\": 0.3333333333333333, \"y\": null}\n]\n");
	assert_string_equal(emit_to_text("table", cols, 2, rows, 1), "           x      y\n"
								    " 3.60906e+06   0.33\n");
	assert_true(strtod("0.3333333333333333", NULL) == 1.0 / 3.0);
}

/* Names holding a comma, a quote and a newline survive CSV (RFC 4180) and
 * JSON from the commands, not only from the emitter alone. */
static void test_cli_hostile_names(void **state)
{
	static const char hostile[] =
		"name = \"x,\\\"y\\\"\\nz\"; horizon_days = 5.0;\n"
		"fleets = ( { name = \"f,\\\"1\\\"\"; gpu = \"H100\"; nodes = 1; } );\n"
		"training = { jobs = ( { name = \"j,\\\"q\\\"\\nr\"; model = \"Llama-3-8B\"; gpus = 8;"
		" tokens = 1e9; } ); };\n";
	char args[2048];
	const char *db = tu_path("hostile.db");

	(void)state;
	snprintf(args, sizeof(args), "run %s --db %s --format csv", tu_write("hostile.cfg", hostile),
		 db);
	exits(args, 0, "\"f,\"\"1\"\"\"");
	snprintf(args, sizeof(args), "runs --db %s --format csv 2>/dev/null", db);
	exits(args, 0, "\n1,\"x,\"\"y\"\"\nz\",\"f,\"\"1\"\"\",H100-SXM5-80GB,8,");
	snprintf(args, sizeof(args), "runs --db %s --format json 2>/dev/null", db);
	exits(args, 0, "\"scenario\": \"x,\\\"y\\\"\\nz\", \"fleet\": \"f,\\\"1\\\"\"");
	assert_true(json_ok(out));
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
		cmocka_unit_test(test_cli_opt_parse_values),
		cmocka_unit_test(test_cli_opt_parse_errors),
		cmocka_unit_test(test_cli_opt_help),
		cmocka_unit_test(test_cli_options_of_commands),
		cmocka_unit_test(test_cli_emit_csv_quoting),
		cmocka_unit_test(test_cli_emit_json_escaping),
		cmocka_unit_test(test_cli_emit_table),
		cmocka_unit_test(test_cli_json_outputs_parse),
		cmocka_unit_test(test_cli_time_and_progress_refused),
		cmocka_unit_test(test_cli_serve_no_capacity),
		cmocka_unit_test(test_cli_show_missing_means),
		cmocka_unit_test(test_cli_emit_round_trip),
		cmocka_unit_test(test_cli_hostile_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
