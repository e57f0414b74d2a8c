/*
 * demand.c - the demand curve of a service (demand.h). Minimal placeholder
 * for `check` until the demand model replaces this file: the rate at a time
 * is exact; means and peaks are taken hour by hour at each hour's midpoint.
 */
#include "fleetsim/demand.h"

#include <math.h>
#include <string.h>

#define MONTH_S (30.4375 * 86400.0)

void fs_demand_flat(struct fs_demand_spec *d, double rps)
{
	memset(d, 0, sizeof(*d));
	d->rps = rps;
	for (int h = 0; h < 24; h++)
		d->daily[h] = 1.0;
	for (int k = 0; k < 7; k++)
		d->weekly[k] = 1.0;
}

double fs_demand_rps(const struct fs_demand_spec *d, double t_s)
{
	long hour = (long)floor(t_s / 3600.0);
	double r = d->rps * d->daily[((hour % 24) + 24) % 24] * d->weekly[(((hour / 24) % 7) + 7) % 7] *
		   pow(1.0 + d->growth_per_month_frac, t_s / MONTH_S);

	for (int k = 0; k < d->n_steps && d->steps[k].at_s <= t_s; k++)
		r *= d->steps[k].factor;
	return r;
}

double fs_demand_mean_rps(const struct fs_demand_spec *d, double t0_s, double t1_s)
{
	double sum = 0, w = 0;

	for (double t = t0_s; t < t1_s; t += 3600.0) {
		double dt = fmin(3600.0, t1_s - t);
		sum += fs_demand_rps(d, t + 0.5 * dt) * dt;
		w += dt;
	}
	return w > 0 ? sum / w : fs_demand_rps(d, t0_s);
}

double fs_demand_peak_rps(const struct fs_demand_spec *d, double t0_s, double t1_s)
{
	double best = 0;

	for (double t = t0_s; t < t1_s; t += 3600.0) {
		double r = fs_demand_rps(d, t + 0.5 * fmin(3600.0, t1_s - t));
		if (r > best)
			best = r;
	}
	return best;
}
