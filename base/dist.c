#include "fleetsim/dist.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <string.h>

struct fs_dist fs_dist_fixed(double v)
{
	struct fs_dist d;

	memset(&d, 0, sizeof(d));
	d.kind = FS_DIST_FIXED;
	d.a = v;
	return d;
}

double fs_dist_draw(const struct fs_dist *d, gsl_rng *r)
{
	double x, u, acc = 0.0, tot = 0.0;

	switch (d->kind) {
	case FS_DIST_FIXED:
		return d->a;
	case FS_DIST_UNIFORM:
		x = gsl_ran_flat(r, d->a, d->b);
		break;
	case FS_DIST_LOGNORMAL:
		x = gsl_ran_lognormal(r, log(d->a), d->b);
		break;
	case FS_DIST_EXPONENTIAL:
		x = gsl_ran_exponential(r, d->a);
		break;
	case FS_DIST_CHOICE:
		/* at most FS_MAX_CHOICES values: a linear scan beats a table */
		for (int i = 0; i < d->n_values; i++)
			tot += d->weights[i];
		u = gsl_rng_uniform(r) * tot;
		for (int i = 0; i < d->n_values; i++) {
			acc += d->weights[i];
			if (u < acc)
				return d->values[i];
		}
		return d->n_values > 0 ? d->values[d->n_values - 1] : 1.0;
	default:
		return d->a;
	}
	if (d->hi > d->lo)
		x = x < d->lo ? d->lo : x > d->hi ? d->hi : x;
	return x;
}

double fs_dist_mean(const struct fs_dist *d)
{
	double s = 0.0, w = 0.0;

	switch (d->kind) {
	case FS_DIST_UNIFORM:
		return 0.5 * (d->a + d->b);
	case FS_DIST_LOGNORMAL:
		return d->a * exp(0.5 * d->b * d->b);
	case FS_DIST_EXPONENTIAL:
		return d->a;
	case FS_DIST_CHOICE:
		for (int i = 0; i < d->n_values; i++) {
			s += d->values[i] * d->weights[i];
			w += d->weights[i];
		}
		return w > 0 ? s / w : 1.0;
	default:
		return d->a;
	}
}

void fs_dist_key(struct fs_key *k, const struct fs_dist *d)
{
	int n = d->n_values < 0 ? 0 : d->n_values > FS_MAX_CHOICES ? FS_MAX_CHOICES : d->n_values;

	fs_key_i64(k, d->kind);
	fs_key_double(k, d->a);
	fs_key_double(k, d->b);
	fs_key_double(k, d->lo);
	fs_key_double(k, d->hi);
	fs_key_i64(k, d->n_values);
	for (int i = 0; i < n; i++) {
		fs_key_double(k, d->values[i]);
		fs_key_double(k, d->weights[i]);
	}
}
