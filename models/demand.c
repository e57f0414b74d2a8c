/*
 * demand.c - request demand of a service over time (demand.h).
 *
 * The rate is piecewise smooth: constant shape factors within each hour
 * and between steps, times geometric growth. Means integrate the growth in
 * closed form on each piece:
 *   int_a^b (1+g)^(t/M) dt = M / ln(1+g) * ((1+g)^(b/M) - (1+g)^(a/M)),
 * written with expm1 so that g -> 0 loses no digits (docs/models/serving.md,
 * "Services at fleet level").
 */
#include "fleetsim/demand.h"

#include "fleetsim/scenario.h" /* FS_SECONDS_PER_MONTH */

#include <math.h>

#define SECONDS_PER_HOUR 3600.0
#define SECONDS_PER_DAY 86400.0

void fs_demand_flat(struct fs_demand_spec *d, double rps)
{
	d->rps = rps;
	d->growth_per_month_frac = 0;
	for (int h = 0; h < 24; h++)
		d->daily[h] = 1;
	for (int w = 0; w < 7; w++)
		d->weekly[w] = 1;
	d->n_steps = 0;
}

/* floor(x / period) mod n, for any finite x. */
static int slot_of(double t_s, double period_s, int n)
{
	double k = fmod(floor(t_s / period_s), (double)n);

	if (k < 0)
		k += n;
	return (int)k;
}

/* The shape and step factor in force at t_s (constant within its piece). */
static double level_at(const struct fs_demand_spec *d, double t_s)
{
	double f = d->rps * d->daily[slot_of(t_s, SECONDS_PER_HOUR, 24)] *
		   d->weekly[slot_of(t_s, SECONDS_PER_DAY, 7)];

	for (int i = 0; i < d->n_steps && d->steps[i].at_s <= t_s; i++)
		f *= d->steps[i].factor;
	return f;
}

/* Growth exponent per second: ln(1+g) / month. */
static double growth_k(const struct fs_demand_spec *d)
{
	return log1p(d->growth_per_month_frac) / FS_SECONDS_PER_MONTH;
}

/* End of the piece that starts at t_s: the next hour boundary or step, at most t1_s. */
static double piece_end(const struct fs_demand_spec *d, double t_s, double t1_s)
{
	double b = (floor(t_s / SECONDS_PER_HOUR) + 1) * SECONDS_PER_HOUR;

	for (int i = 0; i < d->n_steps; i++) {
		if (d->steps[i].at_s > t_s) {
			if (d->steps[i].at_s < b)
				b = d->steps[i].at_s;
			break;
		}
	}
	return b < t1_s ? b : t1_s;
}

double fs_demand_rps(const struct fs_demand_spec *d, double t_s)
{
	return level_at(d, t_s) * exp(growth_k(d) * t_s);
}

double fs_demand_mean_rps(const struct fs_demand_spec *d, double t0_s, double t1_s)
{
	double k = growth_k(d), sum = 0, t = t0_s;

	if (!(t1_s > t0_s))
		return fs_demand_rps(d, t0_s);
	while (t < t1_s) {
		double b = piece_end(d, t, t1_s);
		double w = k != 0 ? exp(k * t) * expm1(k * (b - t)) / k : b - t;

		sum += level_at(d, t) * w;
		t = b;
	}
	return sum / (t1_s - t0_s);
}

double fs_demand_peak_rps(const struct fs_demand_spec *d, double t0_s, double t1_s)
{
	double k = growth_k(d), peak = 0, t = t0_s;

	if (!(t1_s > t0_s))
		return fs_demand_rps(d, t0_s);
	/* Within a piece the rate is monotone (growth), so its sup is at an end. */
	while (t < t1_s) {
		double b = piece_end(d, t, t1_s);
		double lv = level_at(d, t);
		double r = lv * exp(k * (k > 0 ? b : t));

		if (r > peak)
			peak = r;
		t = b;
	}
	return peak;
}
