/*
 * test_util.c - the small helpers: bounded copy, case-insensitive compare,
 * edit distance and suggestions, the enum name tables and their one case
 * rule, and seed mixing (streams of different names are uncorrelated, the
 * same name gives the same stream).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <string.h>

#include "fleetsim/util.h"
#include "testutil.h"

#define N 100000

static void test_util_strlcpy_truncates(void **state)
{
	char b[4];

	(void)state;
	assert_int_equal(fs_strlcpy(b, "abcdef", sizeof(b)), 6);
	assert_string_equal(b, "abc");
	assert_int_equal(fs_strlcpy(b, "", sizeof(b)), 0);
	assert_string_equal(b, "");
}

static void test_util_edit_distance_and_closest(void **state)
{
	static const char *const c[] = { "A100", "H100-SXM", "H200" };

	(void)state;
	/* the textbook pair: kitten -> sitting is 3 edits */
	assert_int_equal(fs_edit_distance("kitten", "sitting"), 3);
	assert_int_equal(fs_edit_distance("ABC", "abc"), 0);
	assert_int_equal(fs_edit_distance("", "abc"), 3);
	assert_true(fs_streq_ci("Hopper", "hOPPER"));
	assert_false(fs_streq_ci("hop", "hopper"));
	assert_string_equal(fs_closest("h100-sx", c, 3), "H100-SXM");
	assert_null(fs_closest("TPU-v5", c, 3));
}

enum color { RED = 3, GREEN = 7, BLUE = -1 };

static const struct fs_enum_name colors[] = { { RED, "red" }, { GREEN, "green" }, { BLUE, "blue" } };

struct shade {
	struct fs_enum_name id;
	double lightness;
};

static const struct shade shades[] = { { { 1, "pale" }, 0.9 }, { { 2, "deep" }, 0.2 } };

static void test_util_enum_one_case_rule(void **state)
{
	int v = 42;

	(void)state;
	assert_string_equal(fs_enum_name(colors, 3, sizeof(colors[0]), GREEN), "green");
	assert_string_equal(fs_enum_name(colors, 3, sizeof(colors[0]), BLUE), "blue");
	assert_string_equal(fs_enum_name(colors, 3, sizeof(colors[0]), 5), "?");
	assert_int_equal(fs_enum_parse(colors, 3, sizeof(colors[0]), "GrEeN", &v), FS_OK);
	assert_int_equal(v, GREEN);
	v = 42;
	assert_int_equal(fs_enum_parse(colors, 3, sizeof(colors[0]), "gren", &v), FS_ERR_INPUT);
	assert_int_equal(fs_enum_parse(colors, 3, sizeof(colors[0]), "", &v), FS_ERR_INPUT);
	assert_int_equal(v, 42); /* untouched on failure */
	/* a table of richer records, read through their leading name */
	assert_string_equal(fs_enum_name(&shades[0].id, 2, sizeof(shades[0]), 2), "deep");
	assert_int_equal(fs_enum_parse(&shades[0].id, 2, sizeof(shades[0]), "PALE", &v), FS_OK);
	assert_int_equal(v, 1);
}

static void fill(double *x, uint64_t master, const char *name)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	assert_non_null(r);
	gsl_rng_set(r, (unsigned long)fs_seed_mix(master, name));
	for (size_t i = 0; i < N; i++)
		x[i] = gsl_rng_uniform(r);
	gsl_rng_free(r);
}

static double a[N], b[N];

static void test_util_seed_mix_streams_uncorrelated(void **state)
{
	/* names a scenario really uses, and near-identical ones */
	static const char *const pairs[][2] = {
		{ "arrivals", "failures" }, { "job1", "job2" }, { "stream.a", "stream.b" }, { "", "x" },
	};
	/* |r| of independent samples has standard error 1/sqrt(n); 5 of them */
	double bound = 5.0 / sqrt((double)N);

	(void)state;
	for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
		fill(a, 42, pairs[p][0]);
		fill(b, 42, pairs[p][1]);
		assert_true(fabs(gsl_stats_correlation(a, 1, b, 1, N)) < bound);
	}
	/* the same name under neighbouring master seeds */
	fill(a, 42, "arrivals");
	fill(b, 43, "arrivals");
	assert_true(fabs(gsl_stats_correlation(a, 1, b, 1, N)) < bound);
}

static void test_util_seed_mix_same_name_same_stream(void **state)
{
	(void)state;
	fill(a, 42, "arrivals");
	fill(b, 42, "arrivals");
	assert_memory_equal(a, b, sizeof(a));
	assert_true(fs_seed_mix(42, "arrivals") == fs_seed_mix(42, "arrivals"));
	assert_true(fs_seed_mix(42, "arrivals") != fs_seed_mix(42, "Arrivals"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_util_strlcpy_truncates),
		cmocka_unit_test(test_util_edit_distance_and_closest),
		cmocka_unit_test(test_util_enum_one_case_rule),
		cmocka_unit_test(test_util_seed_mix_streams_uncorrelated),
		cmocka_unit_test(test_util_seed_mix_same_name_same_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
