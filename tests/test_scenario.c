/*
 * test_scenario.c - the scenario loader: every class of bad input names the
 * file, line and key and says what was expected; good input is understood.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/builtin.h"
#include "fleetsim/lint.h"
#include "fleetsim/memokey.h"
#include "fleetsim/scenario.h"
#include "fleetsim/sched.h"
#include "fleetsim/workload.h"
#include "testutil.h"

/* Line numbers below refer to this text (line 1 is "name = ..."). */
static const char base[] =
	"name = \"t\";\n"                                              /* 1 */
	"seed = 7;\n"                                                  /* 2 */
	"horizon_days = 30.0;\n"                                       /* 3 */
	"fleets = (\n"                                                 /* 4 */
	"  { name = \"a\"; gpu = \"A100\"; nodes = 2; }\n"             /* 5 */
	");\n"                                                         /* 6 */
	"training = {\n"                                               /* 7 */
	"  jobs = (\n"                                                 /* 8 */
	"    { name = \"j\"; model = \"Llama-2-7B\"; tokens = 1e9; gpus = 8; }\n" /* 9 */
	"  );\n"                                                       /* 10 */
	"};\n";                                                        /* 11 */

/* base with the first occurrence of `from` replaced by `to`. */
static const char *variant(const char *from, const char *to)
{
	static char buf[4096];
	const char *p = strstr(base, from);

	assert_non_null(p);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - base), base, to, p + strlen(from));
	return buf;
}

static void expect_error(const char *text, int line, const char *key, const char *needle)
{
	const char *path = tu_write("s.cfg", text);
	struct fs_scenario sc;
	struct fs_error e;

	assert_int_equal(fs_scenario_load(path, &sc, &e), FS_ERR_INPUT);
	assert_string_equal(e.file, path);
	if (line)
		assert_int_equal(e.line, line);
	if (key && !strstr(e.key, key)) {
		print_error("key '%s' does not contain '%s' (msg: %s)\n", e.key, key, e.msg);
		fail();
	}
	if (!strstr(e.msg, needle)) {
		print_error("message '%s' does not contain '%s'\n", e.msg, needle);
		fail();
	}
	/* nothing is half-loaded */
	assert_null(sc.fleets);
	assert_null(sc.source_text);
}

static void test_scenario_valid_base(void **state)
{
	struct fs_scenario sc;
	struct fs_error e;

	(void)state;
	assert_int_equal(fs_scenario_load(tu_write("ok.cfg", base), &sc, &e), FS_OK);
	assert_int_equal(sc.seed, 7);
	assert_true(fabs(sc.horizon_s - 30 * 86400.0) < 1e-9);
	assert_int_equal(sc.n_fleets, 1);
	assert_string_equal(sc.fleets[0].gpu->name, "A100-SXM4-80GB"); /* alias resolved */
	assert_int_equal(sc.fleets[0].n_gpus, 16);                     /* 2 nodes x 8 default */
	assert_int_equal(sc.n_jobs, 1);
	assert_string_equal(sc.jobs[0].model->name, "Llama-2-7B");
	assert_int_equal(sc.jobs[0].opts.precision, FS_PREC_BF16);
	assert_true(fabs(sc.series_interval_s - 86400.0) < 1e-9);       /* default 24 h */
	fs_scenario_fini(&sc);
}

static void test_scenario_missing_file(void **state)
{
	struct fs_scenario sc;
	struct fs_error e;

	(void)state;
	assert_int_equal(fs_scenario_load(tu_path("does-not-exist.cfg"), &sc, &e), FS_ERR_INPUT);
	assert_non_null(strstr(e.file, "does-not-exist.cfg"));
	assert_non_null(strstr(e.msg, "cannot open"));
}

static void test_scenario_syntax_error(void **state)
{
	(void)state;
	expect_error(variant("seed = 7;", "seed = = 7;"), 2, NULL, "syntax error");
	expect_error(variant("fleets = (", "fleets = ( ("), 6, NULL, "syntax error");
}

static void test_scenario_unknown_key_suggests(void **state)
{
	(void)state;
	expect_error(variant("horizon_days", "horizon_dayz"), 3, "horizon_dayz",
		     "did you mean 'horizon_days'");
	expect_error(variant("nodes = 2;", "nodes = 2; gpu_per_node = 8;"), 5,
		     "fleets.[0].gpu_per_node", "did you mean 'gpus_per_node'");
}

static void test_scenario_wrong_type(void **state)
{
	(void)state;
	expect_error(variant("nodes = 2;", "nodes = \"two\";"), 5, "fleets.[0].nodes",
		     "found \"two\"; expected an integer");
	expect_error(variant("horizon_days = 30.0;", "horizon_days = \"30\";"), 3, "horizon_days",
		     "expected a number");
	expect_error(variant("gpus = 8;", "gpus = 8.5;"), 9, "training.jobs.[0].gpus",
		     "expected an integer");
}

static void test_scenario_zero_or_negative_counts(void **state)
{
	(void)state;
	expect_error(variant("nodes = 2;", "nodes = 0;"), 5, "fleets.[0].nodes", "found 0");
	expect_error(variant("gpus = 8;", "gpus = -8;"), 9, "training.jobs.[0].gpus", "found -8");
	expect_error(variant("tokens = 1e9;", "tokens = 0.0;"), 9, "training.jobs.[0].tokens",
		     "expected a number >= 1000 tokens and <= 1e+16");
	expect_error(variant("horizon_days = 30.0;", "horizon_days = -1.0;"), 3, "horizon_days",
		     "found -1");
}

static void test_scenario_job_larger_than_fleet(void **state)
{
	(void)state;
	expect_error(variant("gpus = 8;", "gpus = 32;"), 9, "training.jobs.[0].gpus",
		     "needs 32 GPUs but fleet 'a' has 16");
}

static void test_scenario_unknown_gpu_lists_known(void **state)
{
	(void)state;
	expect_error(variant("gpu = \"A100\"", "gpu = \"A1OO\""), 5, "fleets.[0].gpu",
		     "unknown GPU 'A1OO'; did you mean 'A100'");
	expect_error(variant("gpu = \"A100\"", "gpu = \"B200\""), 5, "fleets.[0].gpu",
		     "known: A100-SXM4-40GB");
}

static void test_scenario_unknown_model_lists_known(void **state)
{
	(void)state;
	expect_error(variant("Llama-2-7B", "Llama-2-7G"), 9, "training.jobs.[0].model",
		     "did you mean 'Llama-2-7B'");
	expect_error(variant("Llama-2-7B", "GPT-5"), 9, "training.jobs.[0].model",
		     "known: Llama-2-7B");
}

static void test_scenario_missing_required(void **state)
{
	(void)state;
	expect_error(variant("horizon_days = 30.0;\n", ""), 0, "horizon_days",
		     "missing required key 'horizon_days'");
	expect_error(variant("tokens = 1e9; ", ""), 9, "training.jobs.[0].tokens",
		     "missing required key 'tokens'");
}

static void test_scenario_no_work(void **state)
{
	(void)state;
	expect_error(variant("    { name = \"j\"; model = \"Llama-2-7B\"; tokens = 1e9; gpus = 8; }\n", ""),
		     7, "training", "no work");
}

static void test_scenario_bad_precision_and_dist(void **state)
{
	(void)state;
	expect_error(variant("gpus = 8; }", "gpus = 8; precision = \"int4\"; }"), 9,
		     "training.jobs.[0].precision", "expected \"bf16\"");
	expect_error(variant("  jobs = (\n    { name = \"j\"; model = \"Llama-2-7B\"; tokens = 1e9; gpus = 8; }\n  );\n",
			     "  streams = ( { name = \"s\"; rate_per_day = 1.0; model = \"Llama-2-7B\";\n"
			     "    tokens = { dist = \"normal\"; mean = 1e9; }; gpus = 8; } );\n"),
		     9, "training.streams.[0].tokens.dist", "expected \"fixed\"");
	expect_error(variant("  jobs = (\n    { name = \"j\"; model = \"Llama-2-7B\"; tokens = 1e9; gpus = 8; }\n  );\n",
			     "  streams = ( { name = \"s\"; rate_per_day = 1.0; model = \"Llama-2-7B\";\n"
			     "    tokens = 1e9; gpus = { dist = \"lognormal\"; median = 8.0; sigma = 1.0; }; } );\n"),
		     9, "training.streams.[0].gpus", "unbounded");
	/* a key of another distribution kind is an error, not ignored */
	expect_error(variant("  jobs = (\n    { name = \"j\"; model = \"Llama-2-7B\"; tokens = 1e9; gpus = 8; }\n  );\n",
			     "  streams = ( { name = \"s\"; rate_per_day = 1.0; model = \"Llama-2-7B\";\n"
			     "    tokens = { dist = \"lognormal\"; median = 1e9; sigma = 1.0; mean = 2e9; }; gpus = 8; } );\n"),
		     9, "training.streams.[0].tokens.mean", "did you mean 'median'");
}

static void test_scenario_catalog_override_checked(void **state)
{
	struct fs_scenario sc;
	struct fs_error e;
	const char *ok = "gpus = ( { name = \"H100-SXM5-80GB\"; cloud_usd_per_gpu_hour = 2.25; } );\n";
	char text[4096];

	(void)state;
	/* an override changes only the fields given */
	snprintf(text, sizeof(text), "%s%s", base, ok);
	assert_int_equal(fs_scenario_load(tu_write("ov.cfg", text), &sc, &e), FS_OK);
	{
		const struct fs_gpu *g = fs_catalog_gpu(&sc.catalog, "H100");
		assert_non_null(g);
		assert_true(fabs(g->cloud_usd_per_gpu_hour - 2.25) < 1e-12);
		assert_true(fabs(g->bf16_tflops - 989.4) < 1e-9);
	}
	fs_scenario_fini(&sc);
	/* a bad value in an override names its line (12) and key */
	snprintf(text, sizeof(text), "%sgpus = ( { name = \"H100\"; bf16_tflops = -5.0; } );\n", base);
	expect_error(text, 12, "gpus.[0].bf16_tflops", "expected a number from 1");
	/* a new GPU must give every required key */
	snprintf(text, sizeof(text), "%sgpus = ( { name = \"X1\"; arch = \"hopper\"; } );\n", base);
	expect_error(text, 12, "gpus.[0].fp64_tflops", "lacks required key");
	/* a new model with a shape gets its parameter count from the shape */
	snprintf(text, sizeof(text),
		 "%smodels = ( { name = \"tiny\"; layers = 2; hidden = 64; heads = 4; ffn = 256;"
		 " vocab = 1000; } );\n", base);
	assert_int_equal(fs_scenario_load(tu_write("m.cfg", text), &sc, &e), FS_OK);
	{
		const struct fs_llm *m = fs_catalog_llm(&sc.catalog, "tiny");
		/* 2*1000*64 + 2*(4*64*64 + 2*64*256 + 2*64) + 64 = 226,624 */
		assert_non_null(m);
		assert_true(fabs(m->params_b * 1e9 - 226624.0) < 0.5);
	}
	fs_scenario_fini(&sc);
}

static void test_scenario_duplicate_fleet(void **state)
{
	(void)state;
	expect_error(variant("nodes = 2; }\n", "nodes = 2; },\n  { name = \"a\"; gpu = \"H100\"; nodes = 1; }\n"),
		     6, "fleets.[1]", "declared twice (lines 5 and 6)");
}

/* A scenario with one job and one stream; line numbers as marked. */
static const char streamy[] =
	"name = \"t\";\n"                                              /* 1 */
	"horizon_days = 365.0;\n"                                     /* 2 */
	"fleets = ( { name = \"a\"; gpu = \"H100\"; nodes = 4; } );\n"  /* 3 */
	"training = {\n"                                              /* 4 */
	"  jobs = ( { name = \"JOB\"; model = \"Llama-2-7B\"; tokens = 1e9; gpus = 8; } );\n" /* 5 */
	"  streams = (\n"                                             /* 6 */
	"    { name = \"exp\"; rate_per_day = RATE; growth_per_month = GROWTH;\n" /* 7 */
	"      model = \"Llama-2-7B\"; tokens = TOKENS; gpus = GPUS; }\n" /* 8 */
	"  );\n"                                                      /* 9 */
	"};\n";                                                       /* 10 */

/* streamy with JOB, RATE, GROWTH, TOKENS and GPUS filled in. */
static const char *streamy_with(const char *job, const char *rate, const char *growth,
				const char *tokens, const char *gpus)
{
	static char buf[4096];
	const char *names[] = { "JOB", "RATE", "GROWTH", "TOKENS", "GPUS" };
	const char *vals[] = { job, rate, growth, tokens, gpus };
	size_t o = 0;

	for (const char *p = streamy; *p;) {
		int hit = -1;
		for (int k = 0; k < 5 && hit < 0; k++)
			if (strncmp(p, names[k], strlen(names[k])) == 0)
				hit = k;
		if (hit >= 0) {
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s", vals[hit]);
			p += strlen(names[hit]);
		} else {
			buf[o++] = *p++;
		}
		assert_true(o < sizeof(buf) - 64);
	}
	buf[o] = '\0';
	return buf;
}

static uint64_t loaded_seed(const char *text)
{
	struct fs_scenario sc;
	struct fs_error e;
	uint64_t seed;

	if (fs_scenario_load(tu_write("seed.cfg", text), &sc, &e) != FS_OK) {
		print_error("unexpected error: %s:%d: %s: %s\n", e.file, e.line, e.key, e.msg);
		fail();
	}
	seed = sc.seed;
	fs_scenario_fini(&sc);
	return seed;
}

/*
 * Class 4: integers beyond 32 bits are read whole (libconfig 1.5 alone reads
 * 4294967338 as 42 = 4294967338 - 2^32) and range-checked, by every route.
 */
static void test_scenario_large_integers(void **state)
{
	(void)state;
	/* 2^32 + 42 = 4294967338 = 0x10000002A */
	assert_true(loaded_seed(variant("seed = 7;", "seed = 4294967338;")) == 4294967338ULL);
	assert_true(loaded_seed(variant("seed = 7;", "seed = 0x10000002A;")) == 4294967338ULL);
	/* 0xFFFFFFFF is 2^32 - 1, not -1 */
	assert_true(loaded_seed(variant("seed = 7;", "seed = 0xFFFFFFFF;")) == 4294967295ULL);
	/* 2^63 - 1, the largest seed */
	assert_true(loaded_seed(variant("seed = 7;", "seed = 9223372036854775807;")) ==
		    9223372036854775807ULL);
	assert_true(loaded_seed(variant("seed = 7;", "seed = 4294967338L;")) == 4294967338ULL);
	/* a literal beyond 64 bits: refused before libconfig saturates it */
	expect_error(variant("seed = 7;", "seed = 9223372036854775808;"), 2, "seed",
		     "found 9223372036854775808; expected an integer from -9223372036854775808 to "
		     "9223372036854775807");
	expect_error(variant("seed = 7;", "seed = 0x10000000000000000;"), 2, "seed",
		     "found 0x10000000000000000; expected an integer from");
	expect_error(variant("seed = 7;", "seed = -4294967338;"), 2, "seed",
		     "found -4294967338; expected an integer from 0 to 9223372036854775807");
	/* counts: 2^32 + 2 nodes and 2^32 + 8 GPUs are not 2 and 8 */
	expect_error(variant("nodes = 2;", "nodes = 4294967298;"), 5, "fleets.[0].nodes",
		     "found 4294967298; expected an integer from 1 to 1000000");
	expect_error(variant("gpus = 8;", "gpus = 4294967304;"), 9, "training.jobs.[0].gpus",
		     "found 4294967304; expected an integer from 1 to 4000000");
	expect_error(variant("gpus = 8;", "gpus = 8; seq_len = 0x100001000;"), 9,
		     "training.jobs.[0].seq_len", "found 4294971392; expected an integer from 1 to");
	/* a stream value, and an array mixing small and large integers */
	expect_error(streamy_with("j", "4294967297", "0.0", "1e9", "8"), 7,
		     "training.streams.[0].rate_per_day", "found 4294967297; expected a number > 0");
	{
		/* loads (too large a draw is a warning with its share), and is not wrapped to 8 */
		struct fs_scenario sc;
		struct fs_error e;
		const char *t = streamy_with("j", "1.0", "0.0", "1e9",
					     "{ dist = \"choice\"; values = [8, 4294967304]; }");
		assert_int_equal(fs_scenario_load(tu_write("big.cfg", t), &sc, &e), FS_OK);
		assert_true(sc.streams[0].gpus.values[1] == 4294967304.0);
		assert_true(fs_lint_share_above(&sc.streams[0].gpus, 32) == 0.5);
		fs_scenario_fini(&sc);
	}
	/* a catalog integer */
	expect_error(variant("fleets = (", "models = ( { name = \"Llama-2-7B\"; layers = 4294967328; } );\n"
					   "fleets = ("),
		     4, "models.[0].layers", "found 4294967328");
	/* digits inside names, strings and comments are left alone */
	assert_true(loaded_seed(variant("seed = 7;", "seed = 7; # 99999999999999999999999\n"
						      "description = \"12345678901234567890123\";")) == 7);
}

/* Class 5: one name, one declaration; both lines are named. */
static void test_scenario_duplicate_names(void **state)
{
	(void)state;
	expect_error(variant("gpus = 8; }\n",
			     "gpus = 8; },\n    { name = \"j\"; model = \"Llama-2-7B\"; tokens = 1e9; gpus = 8; }\n"),
		     10, "training.jobs.[1].name", "also the name of the job at line 9");
	/* a job and a stream of one name */
	expect_error(streamy_with("exp", "1.0", "0.0", "1e9", "8"), 7, "training.streams.[0].name",
		     "stream name \"exp\" is also the name of the job at line 5");
	/* a job named like a stream's third job */
	expect_error(streamy_with("exp-3", "1.0", "0.0", "1e9", "8"), 7, "training.streams.[0].name",
		     "and the job at line 5 is named \"exp-3\"");
	/* two streams of one name */
	{
		char text[4096];
		const char *one = "    { name = \"exp\"; rate_per_day = 1.0; model = \"Llama-2-7B\"; "
				  "tokens = 1e9; gpus = 8; }";
		snprintf(text, sizeof(text), "%s", streamy_with("j", "1.0", "0.0", "1e9", "8"));
		char *p = strstr(text, "  );\n};");
		assert_non_null(p);
		snprintf(p, sizeof(text) - (size_t)(p - text), "   ,\n%s\n  );\n};\n", one);
		expect_error(text, 10, "training.streams.[1].name",
			     "stream name \"exp\" is also the name of the stream at line 7");
	}
	/* a stream may not take the explicit jobs' kind */
	{
		char text[4096];
		snprintf(text, sizeof(text), "%s", streamy_with("j", "1.0", "0.0", "1e9", "8"));
		memcpy(strstr(text, "\"exp\""), "\"job\"", 5);
		expect_error(text, 7, "training.streams.[0].name", "stream name \"job\"");
	}
	/* two entries for one GPU, the second by an alias */
	expect_error(variant("fleets = (", "gpus = ( { name = \"H100\"; tdp_w = 600.0; },\n"
					   "  { name = \"H100-SXM5-80GB\"; tdp_w = 700.0; } );\nfleets = ("),
		     5, "gpus.[1].name", "is also given at line 4");
	/* one model twice in a mix */
	expect_error(streamy_with("j", "1.0", "0.0", "1e9",
				  "8; models = ( { model = \"Llama-2-7B\"; }, { model = \"Llama-2-7B\"; } )"),
		     8, "training.streams.[0]", "both 'model' and 'models'");
}

/* An override named by an alias changes the keys it gives, not the GPU's catalog name. */
static void test_scenario_alias_override_keeps_name(void **state)
{
	struct fs_scenario sc;
	struct fs_error e;

	(void)state;
	assert_int_equal(fs_scenario_load_text(variant("fleets = (", "gpus = ( { name = \"A100\"; tdp_w = 555.0; } );\n"
							       "fleets = ("), "al.cfg", &sc, &e), FS_OK);
	assert_string_equal(sc.fleets[0].gpu->name, "A100-SXM4-80GB");
	assert_true(sc.fleets[0].gpu->tdp_w == 555.0);
	fs_scenario_fini(&sc);
}

/* Names that only look like a stream's jobs are accepted. */
static void test_scenario_stream_job_lookalikes_accepted(void **state)
{
	static const char *const ok[] = { "exp-0", "exp-01", "exp-1x", "exp1", "exp-", "ex-1" };

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct fs_scenario sc;
		struct fs_error e;
		const char *t = streamy_with(ok[i], "1.0", "0.0", "1e9", "8");
		if (fs_scenario_load_text(t, "ok.cfg", &sc, &e) != FS_OK) {
			print_error("%s refused: %s\n", ok[i], e.msg);
			fail();
		}
		fs_scenario_fini(&sc);
	}
}

/* Class 7: @include is refused before libconfig can open anything. */
static void test_scenario_include_refused(void **state)
{
	(void)state;
	expect_error(variant("seed = 7;", "seed = 7;\n@include \"/dev/zero\""), 3, "@include",
		     "@include is not supported");
	expect_error(variant("training = {", "@include \"other.cfg\"\ntraining = {"), 7,
		     "@include", "@include is not supported");
	/* in a string or a comment it is text */
	assert_true(loaded_seed(variant("seed = 7;", "seed = 7; # @include \"x\"\n"
						      "description = \"@include\";")) == 7);
}

/* Class 8: a scenario file over 1 MiB and non-regular files are refused. */
static void test_scenario_file_limits(void **state)
{
	size_t n = (1u << 20) + 1, hl = strlen(base);
	char *big = malloc(hl + n + 2);
	struct fs_scenario sc;
	struct fs_error e;
	const char *path;
	FILE *f;

	(void)state;
	assert_non_null(big);
	memcpy(big, base, hl);
	big[hl] = '#';
	memset(big + hl + 1, 'x', n);
	big[hl + 1 + n] = '\0';
	path = tu_path("big.cfg");
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(big, 1, strlen(big), f);
	fclose(f);
	assert_int_equal(fs_scenario_load(path, &sc, &e), FS_ERR_INPUT);
	assert_non_null(strstr(e.msg, "larger than 1048576 bytes (1 MiB)"));
	assert_int_equal(fs_scenario_load_text(big, "big.cfg", &sc, &e), FS_ERR_INPUT);
	assert_non_null(strstr(e.msg, "larger than 1048576 bytes (1 MiB)"));
	free(big);
	/* a directory and a device: not regular files, refused without reading */
	assert_int_equal(fs_scenario_load(tu_tmpdir(), &sc, &e), FS_ERR_INPUT);
	assert_non_null(strstr(e.msg, "not a regular file"));
	assert_int_equal(fs_scenario_load("/dev/zero", &sc, &e), FS_ERR_INPUT);
	assert_non_null(strstr(e.msg, "not a regular file"));
}

/* Class 8: a FIFO without a writer is refused at once instead of blocking. */
static void test_scenario_fifo_refused(void **state)
{
	char cmd[1024];
	struct fs_scenario sc;
	struct fs_error e;

	(void)state;
	snprintf(cmd, sizeof(cmd), "mkfifo %s", tu_path("fifo.cfg"));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(fs_scenario_load(tu_path("fifo.cfg"), &sc, &e), FS_ERR_INPUT);
	assert_non_null(strstr(e.msg, "not a regular file"));
}

/*
 * Class 8: the work estimate. A stream of r jobs/day growing by g per month
 * over T days expects r M / ln(1+g) ((1+g)^(T/M) - 1) jobs, M = 30.4375 days.
 */
static void test_scenario_work_estimate(void **state)
{
	struct fs_scenario sc;
	struct fs_error e;
	double m = 30.4375, want;

	(void)state;
	/* no growth: 2.5 jobs/day x 365 days + 1 explicit job */
	assert_int_equal(fs_scenario_load_text(streamy_with("j", "2.5", "0.0", "1e9", "8"), "w.cfg",
					       &sc, &e), FS_OK);
	assert_true(fabs(fs_workload_expected_stream_jobs(&sc, 0) - 912.5) < 1e-6);
	assert_true(fabs(fs_workload_expected_jobs(&sc) - 913.5) < 1e-6);
	assert_int_equal(fs_workload_check_size(&sc, 913.5, "--max-jobs", &e), FS_OK);
	assert_int_equal(fs_workload_check_size(&sc, 913.0, "--max-jobs", &e), FS_ERR_INPUT);
	assert_int_equal(e.line, 7);
	assert_string_equal(e.key, "training.streams.[0]");
	assert_non_null(strstr(e.msg, "stream 'exp' expects about 912.5 jobs"));
	assert_non_null(strstr(e.msg, "--max-jobs N"));
	fs_scenario_fini(&sc);
	/* 12 % a month: 2 M / ln 1.12 (1.12^(365/M) - 1) */
	assert_int_equal(fs_scenario_load_text(streamy_with("j", "2.0", "0.12", "1e9", "8"), "w.cfg",
					       &sc, &e), FS_OK);
	want = 2.0 * m / log(1.12) * (pow(1.12, 365.0 / m) - 1.0);
	assert_true(fabs(fs_workload_expected_stream_jobs(&sc, 0) - want) < 1e-9 * want);
	assert_true(want > 1553.0 && want < 1554.0); /* by hand: 2 x 30.4375 x 2.892 / 0.11333 */
	fs_scenario_fini(&sc);
	/* 1e6/day doubling monthly for a year: ~1.2e11 jobs, refused at once */
	assert_int_equal(fs_scenario_load_text(streamy_with("j", "1e6", "1.0", "1e9", "8"), "w.cfg",
					       &sc, &e), FS_OK);
	assert_int_equal(fs_workload_check_size(&sc, FS_WORKLOAD_MAX_JOB_RUNS_DEFAULT, "--max-jobs",
						&e), FS_ERR_INPUT);
	assert_non_null(strstr(e.msg, "expected at most 10000000"));
	fs_scenario_fini(&sc);
}

/* Item 6: a job's tokens lie in 1e3..1e16, and so does every stated token value. */
static void test_scenario_token_range(void **state)
{
	(void)state;
	expect_error(variant("tokens = 1e9;", "tokens = 4.9e-324;"), 9, "training.jobs.[0].tokens",
		     "expected a number >= 1000 tokens and <= 1e+16");
	expect_error(variant("tokens = 1e9;", "tokens = 1.0e17;"), 9, "training.jobs.[0].tokens",
		     "found 1e+17; expected a number >= 1000 tokens and <= 1e+16");
	expect_error(streamy_with("j", "1.0", "0.0", "999.0", "8"), 8, "training.streams.[0].tokens",
		     "found 999; expected a number >= 1000");
	expect_error(streamy_with("j", "1.0", "0.0",
				  "{ dist = \"lognormal\"; median = 1e-300; sigma = 1.0; }", "8"),
		     8, "training.streams.[0].tokens.median", "expected a number >= 1000");
	expect_error(streamy_with("j", "1.0", "0.0",
				  "{ dist = \"choice\"; values = [1e9, 1e20]; }", "8"),
		     8, "training.streams.[0].tokens.values", "element 1 is not a number from 1000 to 1e+16");
	expect_error(streamy_with("j", "1.0", "0.0",
				  "{ dist = \"exponential\"; mean = 1e9; max = 1e17; }", "8"),
		     8, "training.streams.[0].tokens.max", "<= 1e+16");
	{
		/* an unbounded tail is clamped to the range */
		struct fs_scenario sc;
		struct fs_error e;
		assert_int_equal(fs_scenario_load_text(
			streamy_with("j", "1.0", "0.0", "{ dist = \"lognormal\"; median = 1e15; sigma = 5.0; }", "8"),
			"c.cfg", &sc, &e), FS_OK);
		assert_true(sc.streams[0].tokens.lo == 1e3 && sc.streams[0].tokens.hi == 1e16);
		fs_scenario_fini(&sc);
	}
}

/*
 * A stream's arrival window [start_day, end_day) is never empty: end_day
 * defaults to the horizon, and start_day equal to the horizon with no
 * end_day left nothing to arrive in (found by the fuzz contract,
 * tests/data/fuzz-crash-empty-window.cfg).
 */
static void test_scenario_stream_window_not_empty(void **state)
{
	struct fs_scenario sc;
	struct fs_error e;

	(void)state;
	expect_error(streamy_with("j", "1.0", "0.0; start_day = 365.0", "1e9", "8"), 7,
		     "training.streams.[0].start_day", "empty arrival window");
	/* a given end_day equal to start_day is out of its range (> start_day) */
	expect_error(streamy_with("j", "1.0", "0.0; start_day = 12.5; end_day = 12.5", "1e9", "8"), 7,
		     "training.streams.[0].end_day", "expected a number > 12.5");
	/* one day before the horizon: a one-day window, 364 to 365 days */
	assert_int_equal(fs_scenario_load_text(streamy_with("j", "1.0", "0.0; start_day = 364.0",
							    "1e9", "8"), "w.cfg", &sc, &e), FS_OK);
	assert_true(sc.streams[0].start_s == 364 * 86400.0 && sc.streams[0].end_s == 365 * 86400.0);
	fs_scenario_fini(&sc);
}

/* Choice weights: each finite and >= 0, and their sum positive and finite. */
static void test_scenario_choice_weight_sum(void **state)
{
	struct fs_scenario sc;
	struct fs_error e;

	(void)state;
	/* 1e308 + 1e308 overflows to infinity (DBL_MAX is about 1.798e308) */
	expect_error(streamy_with("j", "1.0", "0.0", "1e9",
				  "{ dist = \"choice\"; values = [8, 16]; weights = [1e308, 1e308]; }"),
		     8, "training.streams.[0].gpus.weights", "weights sum to inf; expected a positive, finite sum");
	expect_error(streamy_with("j", "1.0", "0.0",
				  "{ dist = \"choice\"; values = [1e9, 2e9, 3e9]; weights = [9e307, 9e307, 0.5]; }",
				  "8"),
		     8, "training.streams.[0].tokens.weights", "expected a positive, finite sum");
	expect_error(streamy_with("j", "1.0", "0.0", "1e9",
				  "{ dist = \"choice\"; values = [8, 16]; weights = [0.0, 0.0]; }"),
		     8, "training.streams.[0].gpus.weights", "weights sum to 0");
	/* a huge weight with a finite sum is fine: 1e308 + 0 */
	assert_int_equal(fs_scenario_load_text(streamy_with("j", "1.0", "0.0", "1e9",
		"{ dist = \"choice\"; values = [8, 16]; weights = [1e308, 0.0]; }"), "w.cfg", &sc, &e), FS_OK);
	assert_true(sc.streams[0].gpus.weights[0] == 1e308);
	fs_scenario_fini(&sc);
}

static void assert_same_catalog(const struct fs_catalog *a, const struct fs_catalog *b)
{
	uint64_t wa[FS_GPU_KEY_WORDS + FS_LLM_KEY_WORDS], wb[FS_GPU_KEY_WORDS + FS_LLM_KEY_WORDS];
	struct fs_key ka, kb;

	assert_int_equal(a->n_gpus, b->n_gpus);
	assert_int_equal(a->n_llms, b->n_llms);
	assert_int_equal(a->n_aliases, b->n_aliases);
	for (size_t i = 0; i < a->n_gpus; i++) {
		fs_key_init(&ka, wa, FS_GPU_KEY_WORDS);
		fs_key_init(&kb, wb, FS_GPU_KEY_WORDS);
		fs_gpu_key(&ka, &a->gpus[i]);
		fs_gpu_key(&kb, &b->gpus[i]);
		assert_string_equal(a->gpus[i].name, b->gpus[i].name);
		assert_true(fs_key_equal(&ka, &kb));
	}
	for (size_t i = 0; i < a->n_llms; i++) {
		fs_key_init(&ka, wa, FS_LLM_KEY_WORDS);
		fs_key_init(&kb, wb, FS_LLM_KEY_WORDS);
		fs_llm_key(&ka, &a->llms[i]);
		fs_llm_key(&kb, &b->llms[i]);
		assert_string_equal(a->llms[i].name, b->llms[i].name);
		assert_true(fs_key_equal(&ka, &kb));
	}
	for (size_t i = 0; i < a->n_aliases; i++) {
		assert_string_equal(a->aliases[i].alias, b->aliases[i].alias);
		assert_string_equal(a->aliases[i].name, b->aliases[i].name);
	}
}

static void assert_same_dist(const struct fs_dist *a, const struct fs_dist *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_true(a->a == b->a && a->b == b->b && a->lo == b->lo && a->hi == b->hi);
	assert_int_equal(a->n_values, b->n_values);
	for (int i = 0; i < a->n_values; i++)
		assert_true(a->values[i] == b->values[i] && a->weights[i] == b->weights[i]);
}

/*
 * fs_scenario_load_text_with, from a catalog parsed once, gives what
 * fs_scenario_load gives: the example scenario field by field (the fleets,
 * jobs and streams pointing at the same catalog entries), and the same error
 * for a bad text; the caller's catalog is left as it was.
 */
static void test_scenario_load_with_parsed_catalog(void **state)
{
	const char *path = FLEETSIM_SOURCE_DIR "/scenarios/example.cfg";
	struct fs_catalog builtin, fresh;
	struct fs_scenario a, b;
	struct fs_error e, e2;
	char text[8192];
	FILE *f = fopen(path, "rb");
	size_t n;

	(void)state;
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_int_equal(fs_catalog_load_builtin(&builtin, &e), FS_OK);
	assert_int_equal(fs_scenario_load(path, &a, &e), FS_OK);
	/* twice from the same catalog: a load must not change it */
	for (int round = 0; round < 2; round++) {
		assert_int_equal(fs_scenario_load_text_with(text, path, &builtin, &b, &e), FS_OK);
		assert_string_equal(a.file, b.file);
		assert_string_equal(a.name, "growing-team");
		assert_string_equal(a.name, b.name);
		assert_int_equal(a.source_len, b.source_len);
		assert_memory_equal(a.source_text, b.source_text, a.source_len);
		assert_true(a.seed == 42 && b.seed == 42);
		assert_true(a.horizon_s == 365 * 86400.0 && b.horizon_s == a.horizon_s);
		assert_true(a.series_interval_s == b.series_interval_s);
		assert_int_equal(a.train_model, b.train_model);
		assert_ptr_equal(a.scheduler, b.scheduler);
		assert_memory_equal(&a.failures, &b.failures, sizeof(a.failures));
		assert_same_catalog(&a.catalog, &b.catalog);
		assert_int_equal(a.n_fleets, 4);
		assert_int_equal(b.n_fleets, 4);
		for (size_t i = 0; i < a.n_fleets; i++) {
			assert_string_equal(a.fleets[i].name, b.fleets[i].name);
			assert_true(a.fleets[i].gpu - a.catalog.gpus == b.fleets[i].gpu - b.catalog.gpus);
			assert_int_equal(a.fleets[i].n_gpus, b.fleets[i].n_gpus);
			assert_int_equal(a.fleets[i].line, b.fleets[i].line);
		}
		assert_int_equal(a.n_jobs, 2);
		assert_int_equal(b.n_jobs, 2);
		for (size_t i = 0; i < a.n_jobs; i++) {
			assert_string_equal(a.jobs[i].name, b.jobs[i].name);
			assert_true(a.jobs[i].model - a.catalog.llms == b.jobs[i].model - b.catalog.llms);
			assert_true(a.jobs[i].tokens == b.jobs[i].tokens &&
				    a.jobs[i].submit_s == b.jobs[i].submit_s);
			assert_int_equal(a.jobs[i].gpus, b.jobs[i].gpus);
			assert_memory_equal(&a.jobs[i].opts, &b.jobs[i].opts, sizeof(a.jobs[i].opts));
		}
		assert_int_equal(a.n_streams, 3);
		assert_int_equal(b.n_streams, 3);
		for (size_t i = 0; i < a.n_streams; i++) {
			const struct fs_stream_spec *x = &a.streams[i], *y = &b.streams[i];
			assert_string_equal(x->name, y->name);
			assert_true(x->rate_per_s == y->rate_per_s && x->start_s == y->start_s &&
				    x->end_s == y->end_s &&
				    x->growth_per_month_frac == y->growth_per_month_frac);
			assert_int_equal(x->n_models, y->n_models);
			for (int m = 0; m < x->n_models; m++) {
				assert_true(x->models[m].model - a.catalog.llms ==
					    y->models[m].model - b.catalog.llms);
				assert_true(x->models[m].weight == y->models[m].weight);
			}
			assert_same_dist(&x->tokens, &y->tokens);
			assert_same_dist(&x->gpus, &y->gpus);
			assert_memory_equal(&x->opts, &y->opts, sizeof(x->opts));
		}
		fs_scenario_fini(&b);
	}
	fs_scenario_fini(&a);
	/* the caller's catalog still equals a fresh parse */
	assert_int_equal(fs_catalog_load_builtin(&fresh, &e), FS_OK);
	assert_same_catalog(&builtin, &fresh);
	fs_catalog_fini(&fresh);
	/* errors too: same status, line, key and message */
	assert_int_equal(fs_scenario_load_text(variant("gpus = 8;", "gpus = 32;"), "bad.cfg", &a, &e),
			 FS_ERR_INPUT);
	assert_int_equal(fs_scenario_load_text_with(variant("gpus = 8;", "gpus = 32;"), "bad.cfg",
						    &builtin, &b, &e2), FS_ERR_INPUT);
	assert_int_equal(e.line, 9);
	assert_int_equal(e.line, e2.line);
	assert_string_equal(e.file, e2.file);
	assert_string_equal(e.key, e2.key);
	assert_string_equal(e.msg, e2.msg);
	assert_null(b.source_text);
	assert_null(b.catalog.gpus);
	fs_catalog_fini(&builtin);
}

/* Exit code 2 through the command line, before any database is touched. */
/* ---- issue 9 keys: pools, procurement, cost, priorities, services ---- */

/* Every new key once; line numbers as marked. */
static const char mixed[] =
	"name = \"m\";\n"                                                          /* 1 */
	"horizon_days = 365.0;\n"                                                 /* 2 */
	"scheduler_estimate_noise = 0.3;\n"                                       /* 3 */
	"node_failures = { mtbf_hours = 8760.0; };\n"                             /* 4 */
	"fleets = (\n"                                                            /* 5 */
	"  { name = \"a\"; pools = ( { gpu = \"A100\"; nodes = 64; },\n"          /* 6 */
	"      { gpu = \"H100\"; nodes = 2; gpus_per_node = 4; } );\n"            /* 7 */
	"    procurement = ( { day = 300.0; gpu = \"A100\"; nodes = -32; },\n"    /* 8 */
	"      { day = 120.0; gpu = \"H100\"; nodes = 16; },\n"                   /* 9 */
	"      { day = 120.0; gpu = \"H200\"; nodes = 2; } );\n"                  /* 10 */
	"    cost = { mode = \"owned\"; depreciation_years = 5.0; pue = 1.3; usd_per_kwh = 0.1; "
	"hosting_usd_per_kw_month = 200.0; idle_power_frac = 0.25; };\n"          /* 11 */
	"    pool_choice = \"cheapest\"; },\n"                                    /* 12 */
	"  { name = \"b\"; gpu = \"H100\"; nodes = 4;\n"                          /* 13 */
	"    cost = { term = \"committed\"; usd_per_gpu_hour = 2.25; }; }\n"      /* 14 */
	");\n"                                                                    /* 15 */
	"training = {\n"                                                          /* 16 */
	"  jobs = ( { name = \"j\"; model = \"Llama-2-7B\"; tokens = 1e9; gpus = 8; priority = -3; gpu = \"A100\"; } );\n" /* 17 */
	"  streams = ( { name = \"s\"; rate_per_day = 2.0; model = \"Llama-2-7B\"; tokens = 1e9; priority = 7;\n" /* 18 */
	"    gpus = { dist = \"choice\"; values = [8, 16, 64]; weights = [0.5, 0.3, 0.2]; }; } );\n" /* 19 */
	"};\n"                                                                    /* 20 */
	"serving = { interval_hours = 0.5; services = (\n"                        /* 21 */
	"  { name = \"chat\"; model = \"Llama-3-70B\"; precision = \"fp8\"; tp = 4; engine = \"vllm\"; gpu = \"H100\";\n" /* 22 */
	"    input_tokens = { dist = \"lognormal\"; median = 1000.0; sigma = 0.5; }; output_tokens = 250.0;\n" /* 23 */
	"    ttft_p99_s = 2.0; tpot_p99_s = 0.1;\n"                               /* 24 */
	"    demand = { rps = 20.0; growth_per_month = 0.2; weekly = [2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0];\n" /* 25 */
	"      steps = ( { day = 200.0; factor = 2.0; }, { day = 120.0; factor = 1.5; } ); };\n" /* 26 */
	"    reserved_gpus = 8; priority = 10; preempt_training = true; },\n"     /* 27 */
	"  { name = \"batch\"; model = \"Llama-2-7B\"; input_tokens = 500.0; output_tokens = 100.0;\n" /* 28 */
	"    ttft_p99_s = 30.0; tpot_p99_s = 0.2; demand = { rps = 1.5; }; }\n"  /* 29 */
	"); };\n";                                                                /* 30 */

/* mixed with the first occurrence of `from` replaced by `to`. */
static const char *mixed_variant(const char *from, const char *to)
{
	static char buf[8192];
	const char *p = strstr(mixed, from);

	assert_non_null(p);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - mixed), mixed, to, p + strlen(from));
	return buf;
}

static void test_scenario_cli_exit_codes(void **state)
{
	char out[8192], args[2048], hash[65];
	const char *db = tu_path("never.db");

	(void)state;
	snprintf(args, sizeof(args), "check %s",
		 tu_write("huge.cfg", streamy_with("j", "1e6", "1.0", "1e9", "8")));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "huge.cfg:7: training.streams.[0]: stream 'exp' expects about"));
	/* --max-jobs raises the limit: 912.5 + 1 expected jobs on one fleet */
	snprintf(args, sizeof(args), "check %s --max-jobs 913",
		 tu_write("w.cfg", streamy_with("j", "2.5", "0.0", "1e9", "8")));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	snprintf(args, sizeof(args), "check %s --max-jobs 914", tu_path("w.cfg"));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "about 914 jobs x 1 fleet options"));
	snprintf(args, sizeof(args), "run %s --db %s", tu_path("huge.cfg"), db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	tu_file_hash(db, hash);
	assert_string_equal(hash, "missing");
	snprintf(args, sizeof(args), "run %s --db %s",
		 tu_write("dup.cfg", streamy_with("exp-1", "1.0", "0.0", "1e9", "8")), db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "dup.cfg:7:"));
	tu_file_hash(db, hash);
	assert_string_equal(hash, "missing");
	snprintf(args, sizeof(args), "check %s",
		 tu_write("seed.cfg", variant("seed = 7;", "seed = 99999999999999999999;")));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "seed.cfg:2: seed: found 99999999999999999999"));
	assert_int_equal(tu_fleetsim("estimate serve --gpu H100 --tp 1 --model Llama-3-8B "
				     "--input-tokens 100 --output-tokens 10 --qps 100 "
				     "--requests 10000001", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "--requests"));
	/* warnings leave the exit code 0; check prints pools, cost and services */
	snprintf(args, sizeof(args), "check %s", tu_write("mixed.cfg", mixed));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "mixed.cfg:18: training.streams.[0].gpus: warning: 20 %"));
	assert_non_null(strstr(out, "day    120.0 add    16 H100-SXM5-80GB nodes"));
	assert_non_null(strstr(out, "cost: cloud, committed, $2.25/GPU-h"));
	assert_non_null(strstr(out, "objectives: p99 TTFT 2 s, p99 TPOT 0.1 s"));
	assert_non_null(strstr(out, "\nok\n"));
}

/*
 * Random damage to a valid scenario (deleted spans, inserted tokens, changed
 * characters) is either accepted or refused as bad input with a line; it
 * never crashes or fails otherwise. Run under ASan/UBSan by make test.
 */
static void test_scenario_mutations_never_crash(void **state)
{
	static const char *const toks[] = { "=", ";", "{", "}", "(", ")", "[", "]", "\"", "-1", "0",
					     "1e400", "\"\"", "x", "\n", "#", ",", "nan", "0x10", "true",
					     "99999999999999999999", "@include \"/nonexistent\"" };
	const char *path = FLEETSIM_SOURCE_DIR "/scenarios/example.cfg";
	char src[8192], buf[9000];
	FILE *f = fopen(path, "rb");
	size_t n;
	uint64_t x = 12345;

	(void)state;
	assert_non_null(f);
	n = fread(src, 1, sizeof(src) - 1, f);
	fclose(f);
	src[n] = '\0';
	for (int it = 0; it < 300; it++) {
		struct fs_scenario sc;
		struct fs_error e;
		enum fs_status st;
		size_t len = n;

		memcpy(buf, src, n + 1);
		for (int k = 0; k < 1 + it % 4; k++) {
			size_t p, cut;
			const char *t;
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			p = (size_t)(x >> 33) % len;
			switch ((x >> 20) % 3) {
			case 0: /* delete up to 8 characters */
				cut = 1 + (x >> 8) % 8;
				if (p + cut > len)
					cut = len - p;
				memmove(buf + p, buf + p + cut, len - p - cut + 1);
				len -= cut;
				break;
			case 1: /* insert a token */
				t = toks[(x >> 8) % (sizeof(toks) / sizeof(toks[0]))];
				if (len + strlen(t) + 1 < sizeof(buf)) {
					memmove(buf + p + strlen(t), buf + p, len - p + 1);
					memcpy(buf + p, t, strlen(t));
					len += strlen(t);
				}
				break;
			default: /* change one character */
				buf[p] = (char)(32 + (x >> 8) % 95);
			}
			if (len == 0)
				break;
		}
		st = fs_scenario_load_text(buf, "mutant.cfg", &sc, &e);
		if (st == FS_OK) {
			fs_scenario_fini(&sc);
			continue;
		}
		assert_int_equal(st, FS_ERR_INPUT);
		assert_string_equal(e.file, "mutant.cfg");
		assert_true(e.msg[0] != '\0');
	}
}

static void load_ok(const char *text, struct fs_scenario *sc)
{
	struct fs_error e;

	if (fs_scenario_load(tu_write("m.cfg", text), sc, &e) != FS_OK) {
		print_error("unexpected error: %s:%d: %s: %s\n", e.file, e.line, e.key, e.msg);
		fail();
	}
}

static void test_scenario_new_keys_default(void **state)
{
	struct fs_scenario sc;
	const struct fs_fleet_opt *f;

	(void)state;
	load_ok(base, &sc);
	f = &sc.fleets[0];
	assert_int_equal(f->n_pools, 1);
	assert_ptr_equal(f->pools[0].gpu, f->gpu);
	assert_int_equal(f->pools[0].nodes, 2);
	assert_int_equal(f->pools[0].max_nodes, 2);
	assert_int_equal(f->pools[0].gpus_per_node, 8);
	assert_int_equal(f->n_procure, 0);
	assert_int_equal(f->cost.mode, FS_COST_CLOUD);
	assert_false(f->cost.committed);
	assert_true(isnan(f->cost.usd_per_gpu_hour));
	assert_string_equal(f->pool_choice->name, "fastest-free");
	assert_true(sc.estimate_noise_frac == 0.0);
	assert_false(sc.node_failures.enabled);
	assert_int_equal(sc.serving.n_services, 0);
	assert_true(sc.serving.interval_s == 3600.0);
	assert_int_equal(sc.jobs[0].priority, 0);
	assert_null(sc.jobs[0].gpu);
	fs_scenario_fini(&sc);
}

static void test_scenario_new_keys_loaded(void **state)
{
	struct fs_scenario sc;
	const struct fs_fleet_opt *a, *b;
	const struct fs_service_spec *v, *w;

	(void)state;
	load_ok(mixed, &sc);
	assert_true(sc.estimate_noise_frac == 0.3);
	assert_true(sc.node_failures.enabled);
	assert_true(sc.node_failures.mtbf_s == 8760.0 * 3600.0);
	assert_true(sc.node_failures.repair_s == 24.0 * 3600.0); /* default, assumed */
	a = &sc.fleets[0];
	assert_int_equal(a->n_pools, 3);
	assert_string_equal(a->pools[0].gpu->name, "A100-SXM4-80GB");
	assert_int_equal(a->pools[0].nodes, 64);
	assert_int_equal(a->pools[0].max_nodes, 64);  /* retiring never raises it */
	assert_string_equal(a->pools[1].gpu->name, "H100-SXM5-80GB");
	assert_int_equal(a->pools[1].nodes, 2);
	assert_int_equal(a->pools[1].gpus_per_node, 4);
	assert_int_equal(a->pools[1].max_nodes, 18);  /* 2 + 16 */
	/* H200 has no pool: procurement adds one of 0 nodes, catalog node size */
	assert_string_equal(a->pools[2].gpu->name, "H200-SXM-141GB");
	assert_int_equal(a->pools[2].nodes, 0);
	assert_int_equal(a->pools[2].gpus_per_node, 8);
	assert_int_equal(a->pools[2].max_nodes, 2);
	assert_int_equal(a->pools[2].line, 10);
	assert_int_equal(a->n_gpus, 64 * 8 + 2 * 4);  /* at t = 0 */
	assert_ptr_equal(a->gpu, a->pools[0].gpu);
	assert_int_equal(a->nodes, 64);
	assert_int_equal(a->gpus_per_node, 8);
	/* sorted by day; the two of day 120 in declaration order */
	assert_int_equal(a->n_procure, 3);
	assert_true(a->procure[0].at_s == 120.0 * 86400.0);
	assert_int_equal(a->procure[0].pool, 1);
	assert_int_equal(a->procure[0].delta_nodes, 16);
	assert_int_equal(a->procure[0].line, 9);
	assert_int_equal(a->procure[1].pool, 2);
	assert_int_equal(a->procure[1].line, 10);
	assert_true(a->procure[2].at_s == 300.0 * 86400.0);
	assert_int_equal(a->procure[2].pool, 0);
	assert_int_equal(a->procure[2].delta_nodes, -32);
	assert_int_equal(a->cost.mode, FS_COST_OWNED);
	assert_true(a->cost.depreciation_years == 5.0);
	assert_true(a->cost.pue == 1.3);
	assert_true(a->cost.usd_per_kwh == 0.1);
	assert_true(a->cost.hosting_usd_per_kw_month == 200.0);
	assert_true(a->cost.idle_power_frac == 0.25);
	assert_int_equal(a->cost.line, 11);
	assert_string_equal(a->pool_choice->name, "cheapest");
	b = &sc.fleets[1];
	assert_int_equal(b->n_pools, 1);
	assert_int_equal(b->n_gpus, 32);
	assert_int_equal(b->cost.mode, FS_COST_CLOUD);
	assert_true(b->cost.committed);
	assert_true(b->cost.usd_per_gpu_hour == 2.25);
	assert_int_equal(sc.jobs[0].priority, -3);
	assert_string_equal(sc.jobs[0].gpu->name, "A100-SXM4-80GB");
	assert_int_equal(sc.streams[0].priority, 7);
	assert_null(sc.streams[0].gpu);
	assert_true(sc.serving.interval_s == 1800.0);
	assert_int_equal(sc.serving.n_services, 2);
	v = &sc.serving.services[0];
	assert_string_equal(v->name, "chat");
	assert_string_equal(v->model->name, "Llama-3-70B");
	assert_int_equal(v->precision, FS_PREC_FP8);
	assert_int_equal(v->tp, 4);
	assert_int_equal(v->engine, FS_ENGINE_VLLM);
	assert_string_equal(v->gpu->name, "H100-SXM5-80GB");
	assert_int_equal(v->input_tokens.kind, FS_DIST_LOGNORMAL);
	assert_true(v->input_tokens.a == 1000.0 && v->input_tokens.b == 0.5);
	assert_true(v->output_tokens.kind == FS_DIST_FIXED && v->output_tokens.a == 250.0);
	assert_true(v->ttft_p99_s == 2.0 && v->tpot_p99_s == 0.1);
	assert_true(v->demand.rps == 20.0 && v->demand.growth_per_month_frac == 0.2);
	/* weekly [2,2,2,2,2,1,1] has mean 12/7: normalised 7/6 and 7/12 */
	assert_true(fabs(v->demand.weekly[0] - 7.0 / 6.0) < 1e-15);
	assert_true(fabs(v->demand.weekly[6] - 7.0 / 12.0) < 1e-15);
	for (int h = 0; h < 24; h++)
		assert_true(v->demand.daily[h] == 1.0);
	assert_int_equal(v->demand.n_steps, 2);
	assert_true(v->demand.steps[0].at_s == 120.0 * 86400.0 && v->demand.steps[0].factor == 1.5);
	assert_true(v->demand.steps[1].at_s == 200.0 * 86400.0 && v->demand.steps[1].factor == 2.0);
	assert_int_equal(v->reserved_gpus, 8);
	assert_int_equal(v->priority, 10);
	assert_true(v->preempt_training);
	assert_int_equal(v->line, 22);
	w = &sc.serving.services[1];
	assert_int_equal(w->precision, FS_PREC_BF16);
	assert_int_equal(w->tp, 0);  /* "auto" */
	assert_int_equal(w->engine, FS_ENGINE_TRTLLM);
	assert_null(w->gpu);
	assert_int_equal(w->reserved_gpus, 0);
	assert_int_equal(w->priority, 0);
	assert_false(w->preempt_training);
	assert_int_equal(w->demand.n_steps, 0);
	fs_scenario_fini(&sc);
	/* tp = "auto" spelled out, daily shape normalised: 12 hours at 3, 12 at 1 -> 1.5, 0.5 */
	load_ok(mixed_variant("demand = { rps = 1.5; }",
			      "tp = \"auto\"; demand = { rps = 1.5; daily = [3.0, 3.0, 3.0, 3.0, 3.0, 3.0, "
			      "3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, "
			      "1.0, 1.0, 1.0]; }"), &sc);
	assert_int_equal(sc.serving.services[1].tp, 0);
	assert_true(sc.serving.services[1].demand.daily[0] == 1.5);
	assert_true(sc.serving.services[1].demand.daily[23] == 0.5);
	fs_scenario_fini(&sc);
	/* a pool of 0 nodes is allowed; node_failures without keys takes the defaults */
	load_ok(mixed_variant("mtbf_hours = 8760.0;", ""), &sc);
	assert_true(sc.node_failures.enabled);
	assert_true(sc.node_failures.mtbf_s == FS_NODE_MTBF_HOURS_DEFAULT * 3600.0);
	fs_scenario_fini(&sc);
}

static void test_scenario_new_keys_refused(void **state)
{
	(void)state;
	/* fleets */
	expect_error(mixed_variant("name = \"a\"; pools", "name = \"a\"; nodes = 3; pools"), 6,
		     "fleets.[0].nodes", "both 'nodes' and 'pools' given");
	expect_error(mixed_variant("gpu = \"H100\"; nodes = 2; gpus_per_node = 4;",
				   "gpu = \"A100-SXM4-80GB\"; nodes = 2;"), 7,
		     "fleets.[0].pools.[1].gpu", "has a pool already (line 6)");
	expect_error(mixed_variant("nodes = -32;", "nodes = -65;"), 8, "fleets.[0].procurement",
		     "retires 65 A100-SXM4-80GB nodes at day 300, when 64 are installed");
	expect_error(mixed_variant("nodes = -32;", "nodes = 0;"), 8,
		     "fleets.[0].procurement.[0].nodes", "expected a non-zero number of nodes");
	expect_error(mixed_variant("day = 300.0;", "day = -1.0;"), 8,
		     "fleets.[0].procurement.[0].day", "found -1");
	expect_error(mixed_variant("gpu = \"H200\";", "gpu = \"Z9\";"), 10,
		     "fleets.[0].procurement.[2].gpu", "Z9");
	expect_error(mixed_variant("nodes = 64;", "nodes = -1;"), 6, "fleets.[0].pools.[0].nodes",
		     "expected an integer from 0 to 1000000");
	expect_error(mixed_variant("mode = \"owned\";", "mode = \"leased\";"), 11,
		     "fleets.[0].cost.mode", "expected \"cloud\" or \"owned\"");
	expect_error(mixed_variant("pue = 1.3;", "pue = 1.3; term = \"committed\";"), 11,
		     "fleets.[0].cost.term", "'term' applies to mode = \"cloud\"");
	expect_error(mixed_variant("term = \"committed\";", "term = \"committed\"; pue = 1.2;"), 14,
		     "fleets.[1].cost.pue", "'pue' applies to mode = \"owned\"");
	expect_error(mixed_variant("pue = 1.3;", "pue = 0.9;"), 11, "fleets.[0].cost.pue",
		     "found 0.9");
	expect_error(mixed_variant("term = \"committed\";", "term = \"spot\";"), 14,
		     "fleets.[1].cost.term", "expected \"on-demand\" or \"committed\"");
	expect_error(mixed_variant("usd_per_gpu_hour = 2.25;", "usd_per_gpu_hour = 0.0;"), 14,
		     "fleets.[1].cost.usd_per_gpu_hour", "found 0");
	expect_error(mixed_variant("\"cheapest\"", "\"random\""), 12, "fleets.[0].pool_choice",
		     "expected one of \"fastest-free\", \"cheapest\", \"as-asked\"");
	/* jobs and streams */
	expect_error(mixed_variant("priority = -3;", "priority = 1001;"), 17,
		     "training.jobs.[0].priority", "expected an integer from -1000 to 1000");
	expect_error(mixed_variant("priority = 7;", "priority = 2.5;"), 18,
		     "training.streams.[0].priority", "found 2.5");
	expect_error(mixed_variant("gpu = \"A100\"; } );", "gpu = \"Q7\"; } );"), 17,
		     "training.jobs.[0].gpu", "Q7");
	/* larger than the largest A100 pool (512) of fleet a; fleet b has none, so skipped */
	expect_error(mixed_variant("gpus = 8; priority", "gpus = 520; priority"), 17,
		     "training.jobs.[0].gpus",
		     "needs 520 GPUs but the largest A100-SXM4-80GB pool of fleet 'a' holds at most 512");
	/* top level */
	expect_error(mixed_variant("noise = 0.3;", "noise = 3.5;"), 3, "scheduler_estimate_noise",
		     "found 3.5");
	expect_error(mixed_variant("mtbf_hours = 8760.0;", "mtbf_hours = 0.0;"), 4,
		     "node_failures.mtbf_hours", "expected a number > 0");
	expect_error(mixed_variant("mtbf_hours = 8760.0;", "mtbf_h = 8760.0;"), 4,
		     "node_failures.mtbf_h", "unknown key 'mtbf_h'");
	/* services */
	expect_error(mixed_variant("interval_hours = 0.5;", "interval_hours = 0.0;"), 21,
		     "serving.interval_hours", "found 0");
	expect_error(mixed_variant("tp = 4;", "tp = 3;"), 22, "serving.services.[0].tp",
		     "expected \"auto\" or a power of two from 1 to 8");
	expect_error(mixed_variant("tp = 4;", "tp = 16;"), 22, "serving.services.[0].tp", "found 16");
	expect_error(mixed_variant("tp = 4;", "tp = \"max\";"), 22, "serving.services.[0].tp",
		     "found \"max\"");
	expect_error(mixed_variant("\"vllm\"", "\"tgi\""), 22, "serving.services.[0].engine",
		     "expected \"trtllm\" or \"vllm\"");
	expect_error(mixed_variant("\"fp8\"", "\"fp32\""), 22, "serving.services.[0].precision",
		     "found \"fp32\"");
	expect_error(mixed_variant("Llama-3-70B", "Llama-9-1T"), 22, "serving.services.[0].model",
		     "Llama-9-1T");
	expect_error(mixed_variant("ttft_p99_s = 2.0;", "ttft_p99_s = 0.0;"), 24,
		     "serving.services.[0].ttft_p99_s", "expected a number > 0");
	expect_error(mixed_variant("tpot_p99_s = 0.1;", "tpot_p99_s = -1.0;"), 24,
		     "serving.services.[0].tpot_p99_s", "found -1");
	expect_error(mixed_variant("tpot_p99_s = 0.2; demand = { rps = 1.5; }; }",
				   "tpot_p99_s = 0.2; }"), 28, "serving.services.[1].demand",
		     "missing required key 'demand'");
	expect_error(mixed_variant("rps = 20.0;", "rps = 0.0;"), 25,
		     "serving.services.[0].demand.rps", "expected a number > 0");
	expect_error(mixed_variant("weekly = [2.0, 2.0,", "weekly = [2.0,"), 25,
		     "serving.services.[0].demand.weekly", "expected an array of 7 non-negative numbers");
	expect_error(mixed_variant("[2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0]",
				   "[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]"), 25,
		     "serving.services.[0].demand.weekly", "expected a positive sum");
	expect_error(mixed_variant("factor = 2.0;", "factor = 0.0;"), 26,
		     "serving.services.[0].demand.steps.[0].factor", "expected a number > 0");
	expect_error(mixed_variant("reserved_gpus = 8;", "reserved_gpus = 6;"), 27,
		     "serving.services.[0].reserved_gpus", "expected a multiple of tp = 4");
	/* fleet a has 2 nodes x 4 H100 at day 0 */
	expect_error(mixed_variant("reserved_gpus = 8;", "reserved_gpus = 12;"), 27,
		     "serving.services.[0].reserved_gpus",
		     "fleet 'a' has 8 H100-SXM5-80GB GPUs at day 0; expected at most 8");
	expect_error(mixed_variant("demand = { rps = 1.5; }",
				   "demand = { rps = 1.5; }; reserved_gpus = 8"), 29,
		     "serving.services.[1].reserved_gpus", "expected a fixed tp");
	expect_error(mixed_variant("preempt_training = true;", "preempt_training = 1;"), 27,
		     "serving.services.[0].preempt_training", "expected true or false");
	expect_error(mixed_variant("name = \"batch\";", "name = \"chat\";"), 28,
		     "serving.services.[1].name", "also the name of the service at line 22");
	expect_error(mixed_variant("services = (\n  { name = \"chat\"", "services = ( );\n x = ( { name = \"chat\""),
		     22, "serving.x", "unknown key 'x'");
	expect_error(variant("};\n", "};\nserving = { services = ( ); };\n"), 12,
		     "serving.services", "found an empty list; expected at least one service");
}

static void test_scenario_lint_warnings(void **state)
{
	struct fs_scenario sc;
	struct fs_warnings w;

	(void)state;
	load_ok(mixed, &sc);
	assert_int_equal(fs_scenario_lint(&sc, &w), FS_OK);
	/* choice [8, 16, 64] weights [0.5, 0.3, 0.2] on fleet b (32 GPUs): the 64s, 20 % */
	assert_int_equal(w.n, 2);
	assert_string_equal(w.items[0].key, "training.streams.[0].gpus");
	assert_int_equal(w.items[0].line, 18);
	assert_true(fabs(w.items[0].share_frac - 0.2) < 1e-15);
	assert_non_null(strstr(w.items[0].msg, "20 % of the jobs of stream 's'"));
	assert_non_null(strstr(w.items[0].msg, "fleet 'b'"));
	/* the job asks for A100 and fleet b has none */
	assert_string_equal(w.items[1].key, "training.jobs.[0].gpu");
	assert_int_equal(w.items[1].line, 17);
	assert_string_equal(w.file, sc.file);
	fs_warnings_fini(&w);
	fs_scenario_fini(&sc);

	/* implausible objectives, lengths and growth */
	load_ok(mixed_variant("ttft_p99_s = 2.0; tpot_p99_s = 0.1;",
			      "ttft_p99_s = 1000.0; tpot_p99_s = 0.0005;"), &sc);
	assert_int_equal(fs_scenario_lint(&sc, &w), FS_OK);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.items[2].key, "serving.services.[0].ttft_p99_s");
	assert_int_equal(w.items[2].line, 22);
	assert_string_equal(w.items[3].key, "serving.services.[0].tpot_p99_s");
	fs_warnings_fini(&w);
	fs_scenario_fini(&sc);
	load_ok(mixed_variant("output_tokens = 250.0;", "output_tokens = 2.0;"), &sc);
	assert_int_equal(fs_scenario_lint(&sc, &w), FS_OK);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.items[2].key, "serving.services.[0].output_tokens");
	fs_warnings_fini(&w);
	fs_scenario_fini(&sc);
	/* (1 + 2)^(365 / 30.4375) = 3^11.99 = 5.2e5 > 1000; with 0.2: 8.9 x 1.5 x 2 = 27, none */
	load_ok(mixed_variant("growth_per_month = 0.2;", "growth_per_month = 2.0;"), &sc);
	assert_int_equal(fs_scenario_lint(&sc, &w), FS_OK);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.items[2].key, "serving.services.[0].demand");
	fs_warnings_fini(&w);
	fs_scenario_fini(&sc);
	/* a procurement step after the horizon changes nothing */
	load_ok(mixed_variant("day = 300.0;", "day = 400.0;"), &sc);
	assert_int_equal(fs_scenario_lint(&sc, &w), FS_OK);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.items[0].key, "fleets.[0].procurement");
	assert_int_equal(w.items[0].line, 8);
	fs_warnings_fini(&w);
	fs_scenario_fini(&sc);
}

static void test_scenario_lint_share_above(void **state)
{
	struct fs_dist d;
	double z;

	(void)state;
	/* fixed: rounds to whole GPUs as the workload does */
	d = fs_dist_fixed(33.0);
	assert_true(fs_lint_share_above(&d, 32) == 1.0);
	d = fs_dist_fixed(32.4);
	assert_true(fs_lint_share_above(&d, 32) == 0.0);
	/* uniform 1..100 over 32: P(X >= 32.5) = 67.5 / 99 */
	memset(&d, 0, sizeof(d));
	d.kind = FS_DIST_UNIFORM;
	d.a = d.lo = 1;
	d.b = d.hi = 100;
	assert_true(fabs(fs_lint_share_above(&d, 32) - 67.5 / 99.0) < 1e-15);
	/* exponential mean 10, unclamped: exp(-3.25) */
	memset(&d, 0, sizeof(d));
	d.kind = FS_DIST_EXPONENTIAL;
	d.a = 10;
	d.lo = 1;
	d.hi = 1e30;
	assert_true(fabs(fs_lint_share_above(&d, 32) - exp(-3.25)) < 1e-12);
	/* lognormal median 16 sigma 1: 1 - Phi(ln(32.5 / 16)) by erfc */
	d.kind = FS_DIST_LOGNORMAL;
	d.a = 16;
	d.b = 1;
	z = log(32.5 / 16.0);
	assert_true(fabs(fs_lint_share_above(&d, 32) - 0.5 * erfc(z / sqrt(2.0))) < 1e-12);
	/* clamped to max 30: no draw above 32 */
	d.hi = 30;
	assert_true(fs_lint_share_above(&d, 32) == 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenario_valid_base),
		cmocka_unit_test(test_scenario_missing_file),
		cmocka_unit_test(test_scenario_syntax_error),
		cmocka_unit_test(test_scenario_unknown_key_suggests),
		cmocka_unit_test(test_scenario_wrong_type),
		cmocka_unit_test(test_scenario_zero_or_negative_counts),
		cmocka_unit_test(test_scenario_job_larger_than_fleet),
		cmocka_unit_test(test_scenario_unknown_gpu_lists_known),
		cmocka_unit_test(test_scenario_unknown_model_lists_known),
		cmocka_unit_test(test_scenario_missing_required),
		cmocka_unit_test(test_scenario_no_work),
		cmocka_unit_test(test_scenario_bad_precision_and_dist),
		cmocka_unit_test(test_scenario_catalog_override_checked),
		cmocka_unit_test(test_scenario_duplicate_fleet),
		cmocka_unit_test(test_scenario_large_integers),
		cmocka_unit_test(test_scenario_duplicate_names),
		cmocka_unit_test(test_scenario_stream_job_lookalikes_accepted),
		cmocka_unit_test(test_scenario_alias_override_keeps_name),
		cmocka_unit_test(test_scenario_include_refused),
		cmocka_unit_test(test_scenario_file_limits),
		cmocka_unit_test(test_scenario_fifo_refused),
		cmocka_unit_test(test_scenario_work_estimate),
		cmocka_unit_test(test_scenario_token_range),
		cmocka_unit_test(test_scenario_stream_window_not_empty),
		cmocka_unit_test(test_scenario_choice_weight_sum),
		cmocka_unit_test(test_scenario_load_with_parsed_catalog),
		cmocka_unit_test(test_scenario_cli_exit_codes),
		cmocka_unit_test(test_scenario_mutations_never_crash),
		cmocka_unit_test(test_scenario_new_keys_default),
		cmocka_unit_test(test_scenario_new_keys_loaded),
		cmocka_unit_test(test_scenario_new_keys_refused),
		cmocka_unit_test(test_scenario_lint_warnings),
		cmocka_unit_test(test_scenario_lint_share_above),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
