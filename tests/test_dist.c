/*
 * test_dist.c - each distribution kind: sample moments of 10^5 draws against
 * the analytic ones, within five standard errors (a false alarm about once
 * in 1.7 million runs), and the documented means and clamps.
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
#include <stdlib.h>

#include "fleetsim/dist.h"
#include "fleetsim/util.h"
#include "testutil.h"

#define N 100000
#define Z 5.0
#define PI 3.14159265358979323846

static double xs[N];

static gsl_rng *rng(const char *name)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	assert_non_null(r);
	gsl_rng_set(r, (unsigned long)fs_seed_mix(20261128, name));
	return r;
}

static void draw(const struct fs_dist *d, const char *name)
{
	gsl_rng *r = rng(name);

	for (size_t i = 0; i < N; i++)
		xs[i] = fs_dist_draw(d, r);
	gsl_rng_free(r);
}

/* |sample mean - mu| within Z standard errors of a distribution with variance var. */
static void assert_mean_near(double mu, double var)
{
	double m = gsl_stats_mean(xs, 1, N);

	assert_true(fabs(m - mu) <= Z * sqrt(var / N));
}

/* Sample variance near var, given the fourth central moment mu4: SE^2 = (mu4 - var^2) / n. */
static void assert_var_near(double var, double mu4)
{
	double v = gsl_stats_variance(xs, 1, N);

	assert_true(fabs(v - var) <= Z * sqrt((mu4 - var * var) / N));
}

static void test_dist_fixed(void **state)
{
	struct fs_dist d = fs_dist_fixed(2.385);

	(void)state;
	draw(&d, "fixed");
	for (size_t i = 0; i < N; i++)
		assert_true(xs[i] == 2.385);
	assert_true(fs_dist_mean(&d) == 2.385);
}

static void test_dist_uniform_moments(void **state)
{
	struct fs_dist d = fs_dist_fixed(0);
	double a = 2.385, b = 7.1, w = b - a;

	(void)state;
	d.kind = FS_DIST_UNIFORM;
	d.a = a;
	d.b = b;
	draw(&d, "uniform");
	for (size_t i = 0; i < N; i++)
		assert_true(xs[i] >= a && xs[i] <= b);
	assert_true(fabs(fs_dist_mean(&d) - 0.5 * (a + b)) < 1e-12);
	assert_mean_near(0.5 * (a + b), w * w / 12);
	assert_var_near(w * w / 12, pow(w, 4) / 80);
}

static void test_dist_exponential_moments(void **state)
{
	struct fs_dist d = fs_dist_fixed(0);
	double mu = 2.385;

	(void)state;
	d.kind = FS_DIST_EXPONENTIAL;
	d.a = mu;
	draw(&d, "exponential");
	assert_true(fs_dist_mean(&d) == mu);
	assert_mean_near(mu, mu * mu);
	/* central moments of an exponential: var mu^2, mu4 = 9 mu^4 */
	assert_var_near(mu * mu, 9 * pow(mu, 4));
}

static void test_dist_lognormal_moments(void **state)
{
	struct fs_dist d = fs_dist_fixed(0);
	double med = 3.7, s = 0.45, s2 = s * s;
	double mean = med * exp(s2 / 2), var = (exp(s2) - 1) * med * med * exp(s2);
	/* density at the median: 1 / (median sigma sqrt(2 pi)); SE of the median 1 / (2 f sqrt(n)) */
	double f_med = 1.0 / (med * s * sqrt(2 * PI)), sample_med;

	(void)state;
	d.kind = FS_DIST_LOGNORMAL;
	d.a = med;
	d.b = s;
	draw(&d, "lognormal");
	assert_true(fabs(fs_dist_mean(&d) - mean) < 1e-12);
	assert_mean_near(mean, var);
	gsl_sort(xs, 1, N);
	sample_med = gsl_stats_median_from_sorted_data(xs, 1, N);
	assert_true(fabs(sample_med - med) <= Z / (2 * f_med * sqrt((double)N)));
}

static void test_dist_choice_frequencies(void **state)
{
	struct fs_dist d = fs_dist_fixed(0);
	static const double v[] = { 1, 8, 64 }, wt[] = { 5, 3, 2 };
	size_t count[3] = { 0, 0, 0 };

	(void)state;
	d.kind = FS_DIST_CHOICE;
	d.n_values = 3;
	for (int i = 0; i < 3; i++) {
		d.values[i] = v[i];
		d.weights[i] = wt[i];
	}
	draw(&d, "choice");
	for (size_t i = 0; i < N; i++) {
		int k = xs[i] == 1 ? 0 : xs[i] == 8 ? 1 : xs[i] == 64 ? 2 : -1;
		assert_true(k >= 0);
		count[k]++;
	}
	for (int k = 0; k < 3; k++) {
		double p = wt[k] / 10.0;
		assert_true(fabs((double)count[k] / N - p) <= Z * sqrt(p * (1 - p) / N));
	}
	/* weighted mean: (5 + 24 + 128) / 10 */
	assert_true(fabs(fs_dist_mean(&d) - 15.7) < 1e-12);
}

static void test_dist_clamp(void **state)
{
	struct fs_dist d = fs_dist_fixed(0);
	size_t at_lo = 0, at_hi = 0;

	(void)state;
	d.kind = FS_DIST_EXPONENTIAL;
	d.a = 10;
	d.lo = 2;
	d.hi = 20;
	draw(&d, "clamped");
	for (size_t i = 0; i < N; i++) {
		assert_true(xs[i] >= 2 && xs[i] <= 20);
		at_lo += xs[i] == 2;
		at_hi += xs[i] == 20;
	}
	/* P(X < 2) = 1 - e^-0.2, P(X > 20) = e^-2 */
	{
		double p_lo = 1 - exp(-0.2), p_hi = exp(-2.0);
		assert_true(fabs((double)at_lo / N - p_lo) <= Z * sqrt(p_lo * (1 - p_lo) / N));
		assert_true(fabs((double)at_hi / N - p_hi) <= Z * sqrt(p_hi * (1 - p_hi) / N));
	}
	/* the mean is documented as before clamping */
	assert_true(fs_dist_mean(&d) == 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dist_fixed),
		cmocka_unit_test(test_dist_uniform_moments),
		cmocka_unit_test(test_dist_exponential_moments),
		cmocka_unit_test(test_dist_lognormal_moments),
		cmocka_unit_test(test_dist_choice_frequencies),
		cmocka_unit_test(test_dist_clamp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
