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
#include <string.h>

#include "fleetsim/scenario.h"
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
		cmocka_unit_test(test_scenario_mutations_never_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
