/*
 * test_stats.c - fs_quantile: hand-computed quantiles for n = 1, 2, odd,
 * even and tied samples, the edge cases, and bit-for-bit agreement with
 * sorting and gsl_stats_quantile_from_sorted_data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <string.h>

#include "fleetsim/stats.h"
#include "fleetsim/util.h"
#include "testutil.h"

/* hand-computed values are rounded in the last bits */
#define assert_near(got, want) assert_true(fabs((got) - (want)) <= 1e-12)

/* fs_quantile of a copy (it reorders its input). */
static double q(const double *x, size_t n, double f)
{
	double c[16];

	assert_true(n <= 16);
	memcpy(c, x, n * sizeof(*x));
	return fs_quantile(c, n, f);
}

static void test_stats_quantile_by_hand(void **state)
{
	static const double one[] = { 2.385 };
	static const double two[] = { 7.1, 2.385 };
	static const double odd[] = { 9.5, 1.25, 3.0, 7.75, 4.5 }; /* sorted 1.25 3 4.5 7.75 9.5 */
	static const double even[] = { 4, 1, 3, 2 };
	static const double ties[] = { 5, 2, 2, 5, 2 };            /* sorted 2 2 2 5 5 */

	(void)state;
	assert_true(q(one, 1, 0.0) == 2.385 && q(one, 1, 0.9) == 2.385 && q(one, 1, 1.0) == 2.385);
	/* i = floor(f (n-1)), d = f (n-1) - i: n = 2, f = 0.5 -> halfway */
	assert_near(q(two, 2, 0.5), 4.7425);
	assert_near(q(two, 2, 0.9), 2.385 + 0.9 * 4.715);
	assert_true(q(two, 2, 0.0) == 2.385 && q(two, 2, 1.0) == 7.1);
	assert_true(q(odd, 5, 0.5) == 4.5);    /* index 2 exactly */
	assert_true(q(odd, 5, 0.25) == 3.0);   /* index 1 exactly */
	assert_near(q(odd, 5, 0.9), 7.75 + 0.6 * 1.75); /* index 3.6 */
	assert_near(q(even, 4, 0.5), 2.5);              /* index 1.5 */
	assert_near(q(even, 4, 0.9), 3.7);              /* index 2.7 */
	assert_true(q(ties, 5, 0.5) == 2.0);
	assert_true(q(ties, 5, 0.75) == 5.0);                          /* index 3 */
	assert_near(q(ties, 5, 0.6), 2.0 + 0.4 * 3.0);  /* index 2.4 */
}

static void test_stats_quantile_edges(void **state)
{
	static const double x[] = { 3, 1, 2 };

	(void)state;
	assert_true(isnan(fs_quantile(NULL, 0, 0.5)));
	assert_true(q(x, 3, -0.5) == 1.0); /* clamped to [0, 1] */
	assert_true(q(x, 3, 1.5) == 3.0);
	assert_true(q(x, 3, NAN) == 1.0);  /* a NaN fraction reads as 0 */
}

static void test_stats_quantile_matches_sorted_gsl(void **state)
{
	static const double fracs[] = { 0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1 };
	double x[257], s[257], got, want;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	(void)state;
	assert_non_null(r);
	gsl_rng_set(r, (unsigned long)fs_seed_mix(7, "test_stats"));
	for (size_t n = 1; n <= 257; n += (n < 12 ? 1 : 17)) {
		for (size_t i = 0; i < n; i++) /* coarse values so that ties happen */
			x[i] = floor(gsl_rng_uniform(r) * 20) * 0.37;
		memcpy(s, x, n * sizeof(*x));
		gsl_sort(s, 1, n);
		for (size_t k = 0; k < sizeof(fracs) / sizeof(fracs[0]); k++) {
			double c[257];
			memcpy(c, x, n * sizeof(*x));
			got = fs_quantile(c, n, fracs[k]);
			want = gsl_stats_quantile_from_sorted_data(s, 1, n, fracs[k]);
			assert_memory_equal(&got, &want, sizeof(got));
		}
	}
	gsl_rng_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_quantile_by_hand),
		cmocka_unit_test(test_stats_quantile_edges),
		cmocka_unit_test(test_stats_quantile_matches_sorted_gsl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
