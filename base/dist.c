#include "fleetsim/dist.h"

#include <gsl/gsl_randist.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
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

/* Reads up to max blank-separated finite numbers after the kind word; -1 on a non-number. */
static int read_numbers(const char *p, double *x, int max)
{
	int n = 0;

	for (;;) {
		char *end;
		p += strspn(p, " \t");
		if (!*p)
			return n;
		if (n == max)
			return max + 1;
		errno = 0;
		x[n] = strtod(p, &end);
		if (end == p || errno || !isfinite(x[n]) || (*end && *end != ' ' && *end != '\t'))
			return -1;
		n++;
		p = end;
	}
}

enum fs_status fs_dist_parse(const char *text, struct fs_dist *out, struct fs_error *e)
{
	static const struct {
		const char *word;
		enum fs_dist_kind kind;
		int n_min, n_max;
		const char *form;
	} kinds[] = {
		{ "fixed", FS_DIST_FIXED, 1, 1, "fixed V" },
		{ "uniform", FS_DIST_UNIFORM, 2, 2, "uniform MIN MAX" },
		{ "lognormal", FS_DIST_LOGNORMAL, 2, 4, "lognormal MEDIAN SIGMA [MIN MAX]" },
		{ "exponential", FS_DIST_EXPONENTIAL, 1, 3, "exponential MEAN [MIN MAX]" },
	};
	double x[4];
	size_t w;
	int n;

	text += strspn(text, " \t");
	w = strcspn(text, " \t");
	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (strlen(kinds[k].word) != w || strncmp(kinds[k].word, text, w) != 0)
			continue;
		n = read_numbers(text + w, x, 4);
		if (n < kinds[k].n_min || n > kinds[k].n_max ||
		    (n != kinds[k].n_min && n != kinds[k].n_max))
			return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
					    "distribution '%s': expected '%s'", text, kinds[k].form);
		out->kind = kinds[k].kind;
		out->a = x[0];
		out->b = kinds[k].n_min > 1 ? x[1] : 0.0;
		if (n == kinds[k].n_min + 2) {
			out->lo = x[n - 2];
			out->hi = x[n - 1];
			if (!(out->lo < out->hi))
				return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
						    "distribution '%s': MIN must be below MAX", text);
		}
		if ((out->kind == FS_DIST_LOGNORMAL || out->kind == FS_DIST_EXPONENTIAL) && !(out->a > 0))
			return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
					    "distribution '%s': the %s must be above 0", text,
					    out->kind == FS_DIST_LOGNORMAL ? "median" : "mean");
		if (out->kind == FS_DIST_LOGNORMAL && out->b < 0)
			return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
					    "distribution '%s': sigma must be at least 0", text);
		if (out->kind == FS_DIST_UNIFORM && out->b < out->a)
			return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
					    "distribution '%s': MIN must not exceed MAX", text);
		return FS_OK;
	}
	return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
			    "distribution '%s': expected fixed, uniform, lognormal or exponential", text);
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
