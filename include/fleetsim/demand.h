/*
 * demand.h - the request demand of an inference service over time: a base
 * rate, a daily and a weekly shape, geometric monthly growth and steps
 * (a launch on a date). Pure: no state, no I/O.
 *
 * Time t_s is seconds from the scenario's start, which is a Monday 00:00.
 * rps(t) = rps0 * daily[hour of day] * weekly[day of week]
 *               * (1 + g)^(t / month) * prod(step factors with at_s <= t)
 * daily and weekly are normalised by the loader to mean 1, so rps0 is the
 * mean rate of the first week (before growth and steps). The daily shape is
 * piecewise constant per hour.
 */
#ifndef FLEETSIM_DEMAND_H
#define FLEETSIM_DEMAND_H

#define FS_MAX_DEMAND_STEPS 16

struct fs_demand_step {
	double at_s;                /* from this time on ... */
	double factor;              /* ... the demand is multiplied by factor (> 0) */
};

struct fs_demand_spec {
	double rps;                 /* mean requests/s at t = 0 (over a week) */
	double growth_per_month_frac; /* the rate multiplies by (1+g) every 30.4375 days */
	double daily[24];           /* relative level by hour of day, mean 1 */
	double weekly[7];           /* relative level by day of week (0 = Monday), mean 1 */
	int n_steps;
	struct fs_demand_step steps[FS_MAX_DEMAND_STEPS]; /* sorted by at_s */
};

/* A flat demand of rps requests/s: every shape factor 1, no growth, no step. */
void fs_demand_flat(struct fs_demand_spec *d, double rps);

/* Requests per second at t_s. */
double fs_demand_rps(const struct fs_demand_spec *d, double t_s);

/* Mean requests per second over [t0_s, t1_s) (exact for the hourly shape). */
double fs_demand_mean_rps(const struct fs_demand_spec *d, double t0_s, double t1_s);

/* The largest rate in [t0_s, t1_s) (the supremum of fs_demand_rps: with growth,
 * at the end of the busiest hour): the design point of a plan. */
double fs_demand_peak_rps(const struct fs_demand_spec *d, double t0_s, double t1_s);

#endif
