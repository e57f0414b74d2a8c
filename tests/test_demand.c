/*
 * test_demand.c - the demand model (demand.h) against hand calculations:
 * shapes by hour and weekday, geometric growth and its closed-form mean,
 * steps, peaks, and a mean checked by numerical quadrature.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "fleetsim/demand.h"
#include "fleetsim/scenario.h"

#define H 3600.0
#define DAY 86400.0
#define MONTH (30.4375 * DAY)

static void assert_close(double got, double want, double rel)
{
	if (!(fabs(got - want) <= rel * fabs(want))) {
		print_error("got %.17g, want %.17g (rel %.3g)\n", got, want, rel);
		fail();
	}
}

/* Half the day at 0.5, the other half at 1.5: mean 1. */
static void half_days(struct fs_demand_spec *d, double rps)
{
	fs_demand_flat(d, rps);
	for (int h = 0; h < 24; h++)
		d->daily[h] = h < 12 ? 0.5 : 1.5;
}

static void test_demand_flat(void **state)
{
	struct fs_demand_spec d;

	(void)state;
	fs_demand_flat(&d, 3.7);
	assert_close(fs_demand_rps(&d, 0), 3.7, 1e-15);
	assert_close(fs_demand_rps(&d, 1e7), 3.7, 1e-15);
	assert_close(fs_demand_mean_rps(&d, 1234.5, 987654.3), 3.7, 1e-12);
	assert_close(fs_demand_peak_rps(&d, 0, 30 * DAY), 3.7, 1e-15);
}

/* 20 % a month: x1.2 after one month, x1.44 after two; mean over the first
 * month rps0 * g / ln(1+g) (integral of (1+g)^(t/M) over [0, M], / M). */
static void test_demand_growth(void **state)
{
	struct fs_demand_spec d;

	(void)state;
	fs_demand_flat(&d, 2.5);
	d.growth_per_month_frac = 0.2;
	assert_close(fs_demand_rps(&d, MONTH), 3.0, 1e-12);
	assert_close(fs_demand_rps(&d, 2 * MONTH), 3.6, 1e-12);
	/* 2.5 * 0.2 / ln 1.2 = 2.5 * 0.2 / 0.18232155679395462 */
	assert_close(fs_demand_mean_rps(&d, 0, MONTH), 2.5 * 0.2 / 0.18232155679395462, 1e-10);
	/* the peak of a growing rate is its value at the end */
	assert_close(fs_demand_peak_rps(&d, 0, MONTH), 3.0, 1e-12);
	/* shrinking demand: the peak is at the start */
	d.growth_per_month_frac = -0.1;
	assert_close(fs_demand_peak_rps(&d, MONTH, 2 * MONTH), 2.25, 1e-12);
}

static void test_demand_daily_shape(void **state)
{
	struct fs_demand_spec d;

	(void)state;
	half_days(&d, 4.0);
	assert_close(fs_demand_rps(&d, 11.5 * H), 2.0, 1e-15);
	assert_close(fs_demand_rps(&d, 12 * H), 6.0, 1e-15);
	assert_close(fs_demand_rps(&d, DAY + 3 * H), 2.0, 1e-15);
	assert_close(fs_demand_mean_rps(&d, 11 * H, 13 * H), 4.0, 1e-12);
	/* [10.5 h, 12.25 h): 1.5 h at 2 and 0.25 h at 6 -> (3 + 1.5) / 1.75 */
	assert_close(fs_demand_mean_rps(&d, 10.5 * H, 12.25 * H), 4.5 / 1.75, 1e-12);
	assert_close(fs_demand_mean_rps(&d, 0, 7 * DAY), 4.0, 1e-12);
	assert_close(fs_demand_peak_rps(&d, 0, DAY), 6.0, 1e-15);
	assert_close(fs_demand_peak_rps(&d, 0, 11 * H), 2.0, 1e-15);
}

/* t = 0 is Monday 00:00: days 5 and 6 are the weekend. */
static void test_demand_weekly_shape(void **state)
{
	struct fs_demand_spec d;

	(void)state;
	fs_demand_flat(&d, 10.0);
	for (int w = 0; w < 7; w++)
		d.weekly[w] = w >= 5 ? 0.3 : 1.28;
	assert_close(fs_demand_rps(&d, 4 * DAY + 23 * H), 12.8, 1e-14); /* Friday night */
	assert_close(fs_demand_rps(&d, 5 * DAY + H), 3.0, 1e-14);       /* Saturday */
	assert_close(fs_demand_rps(&d, 14 * DAY), 12.8, 1e-14);          /* Monday again */
	assert_close(fs_demand_mean_rps(&d, 0, 7 * DAY), 10.0, 1e-12);
	/* Friday noon to Saturday noon: half and half */
	assert_close(fs_demand_mean_rps(&d, 4.5 * DAY, 5.5 * DAY), 7.9, 1e-12);
}

/* A launch doubles demand on day 10. */
static void test_demand_steps(void **state)
{
	struct fs_demand_spec d;

	(void)state;
	fs_demand_flat(&d, 1.5);
	d.n_steps = 2;
	d.steps[0].at_s = 10 * DAY;
	d.steps[0].factor = 2.0;
	d.steps[1].at_s = 10 * DAY + 1800; /* mid-hour: a piece boundary of its own */
	d.steps[1].factor = 0.5;
	assert_close(fs_demand_rps(&d, 10 * DAY - 1), 1.5, 1e-15);
	assert_close(fs_demand_rps(&d, 10 * DAY), 3.0, 1e-15);
	assert_close(fs_demand_rps(&d, 10 * DAY + 1800), 1.5, 1e-15);
	/* the hour [10 d, 10 d + 1 h): half at 3, half at 1.5 */
	assert_close(fs_demand_mean_rps(&d, 10 * DAY, 10 * DAY + H), 2.25, 1e-12);
	assert_close(fs_demand_peak_rps(&d, 9 * DAY, 11 * DAY), 3.0, 1e-15);
}

/* Growth and shape together: the closed form against Simpson's rule. */
static void test_demand_mean_quadrature(void **state)
{
	struct fs_demand_spec d;
	double t0 = 40 * DAY + 0.3 * H, t1 = t0 + 5.7 * H, sum = 0;
	const int n = 20000; /* per piece the integrand is smooth; boundaries are hour marks */

	(void)state;
	half_days(&d, 7.3);
	d.growth_per_month_frac = 0.35;
	for (int h = 0; h < 24; h++)
		d.daily[h] = 0.6 + 0.8 * h / 23.0;
	/* composite Simpson per hour piece */
	for (double a = t0; a < t1;) {
		double b = fmin((floor(a / H) + 1) * H, t1), s = 0, w = (b - a) / n;
		for (int i = 0; i <= n; i++) {
			double t = a + i * w, c = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2);
			if (i == n)
				t = b - 1e-9; /* left limit at the boundary */
			s += c * fs_demand_rps(&d, t);
		}
		sum += s * w / 3;
		a = b;
	}
	assert_close(fs_demand_mean_rps(&d, t0, t1), sum / (t1 - t0), 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demand_flat),
		cmocka_unit_test(test_demand_growth),
		cmocka_unit_test(test_demand_daily_shape),
		cmocka_unit_test(test_demand_weekly_shape),
		cmocka_unit_test(test_demand_steps),
		cmocka_unit_test(test_demand_mean_quadrature),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
