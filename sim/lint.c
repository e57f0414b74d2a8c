/*
 * lint.c - warnings about a loaded scenario (lint.h): valid values that are
 * probably not what the planner meant. Thresholds: docs/SCENARIO.md.
 */
#include "fleetsim/lint.h"
#include "fleetsim/util.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum fs_status add(struct fs_warnings *w, int line, const char *key, double share,
			  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static enum fs_status add(struct fs_warnings *w, int line, const char *key, double share,
			  const char *fmt, ...)
{
	struct fs_warning *x;
	va_list ap;

	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 8;
		struct fs_warning *p = realloc(w->items, cap * sizeof(*p));
		if (!p)
			return FS_ERR_NOMEM;
		w->items = p;
		w->cap = cap;
	}
	x = &w->items[w->n++];
	x->line = line;
	x->share_frac = share;
	fs_strlcpy(x->key, key, sizeof(x->key));
	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	va_end(ap);
	return FS_OK;
}

/* P(clamp(X) >= x) for a continuous kind with CDF tail q = P(X >= x). */
static double clamped_tail(const struct fs_dist *d, double x, double q)
{
	if (d->hi > d->lo) {
		if (x > d->hi)
			return 0.0;
		if (x <= d->lo)
			return 1.0;
	}
	return q;
}

double fs_lint_share_above(const struct fs_dist *d, int cap_gpus)
{
	/* floor(v + 0.5) > cap  <=>  v >= cap + 0.5 */
	double x = cap_gpus + 0.5, tot = 0, above = 0;

	switch (d->kind) {
	case FS_DIST_FIXED:
		return d->a >= x ? 1.0 : 0.0;
	case FS_DIST_UNIFORM:
		if (d->b <= d->a)
			return d->a >= x ? 1.0 : 0.0;
		return x <= d->a ? 1.0 : x >= d->b ? 0.0 : (d->b - x) / (d->b - d->a);
	case FS_DIST_LOGNORMAL:
		return clamped_tail(d, x, d->b > 0 ? gsl_cdf_lognormal_Q(x, log(d->a), d->b)
						   : (d->a >= x ? 1.0 : 0.0));
	case FS_DIST_EXPONENTIAL:
		return clamped_tail(d, x, gsl_cdf_exponential_Q(x, d->a));
	case FS_DIST_CHOICE:
		for (int i = 0; i < d->n_values; i++) {
			tot += d->weights[i];
			if (d->values[i] >= x)
				above += d->weights[i];
		}
		return tot > 0 ? above / tot : 0.0;
	}
	return 0.0;
}

/* Shapes of a stream or job that fleet options cannot hold. */
static enum fs_status lint_training(const struct fs_scenario *sc, struct fs_warnings *w)
{
	enum fs_status st = FS_OK;
	char key[128];

	for (size_t i = 0; i < sc->n_streams && !st; i++) {
		const struct fs_stream_spec *s = &sc->streams[i];
		for (size_t f = 0; f < sc->n_fleets && !st; f++) {
			const struct fs_fleet_opt *fo = &sc->fleets[f];
			int cap = fs_fleet_opt_max_job_gpus(fo, s->gpu);
			double share;
			if (cap == 0) {
				snprintf(key, sizeof(key), "training.streams.[%zu].gpu", i);
				st = add(w, s->line, key, 1.0, "stream '%s' asks for %s GPUs and fleet '%s' "
					 "has none: all its jobs are rejected there", s->name,
					 s->gpu->name, fo->name);
				continue;
			}
			share = fs_lint_share_above(&s->gpus, cap);
			snprintf(key, sizeof(key), "training.streams.[%zu].gpus", i);
			if (share > 0)
				st = add(w, s->line, key, share, "%.3g %% of the jobs of stream '%s' need "
					 "more than %d GPUs, the largest %s%spool of fleet '%s': they are "
					 "rejected there", 100.0 * share, s->name, cap,
					 s->gpu ? s->gpu->name : "", s->gpu ? " " : "", fo->name);
		}
	}
	for (size_t i = 0; i < sc->n_jobs && !st; i++) {
		const struct fs_job_spec *j = &sc->jobs[i];
		for (size_t f = 0; f < sc->n_fleets && !st; f++) {
			if (!j->gpu || fs_fleet_opt_max_job_gpus(&sc->fleets[f], j->gpu) > 0)
				continue;
			snprintf(key, sizeof(key), "training.jobs.[%zu].gpu", i);
			st = add(w, j->line, key, 1.0, "job '%s' asks for %s GPUs and fleet '%s' has "
				 "none: it is rejected there", j->name, j->gpu->name, sc->fleets[f].name);
		}
	}
	return st;
}

/* Growth of a demand from t = 0 to the horizon (shapes aside): growth and steps. */
static double demand_growth(const struct fs_demand_spec *d, double horizon_s)
{
	double g = pow(1.0 + d->growth_per_month_frac, horizon_s / FS_SECONDS_PER_MONTH);

	for (int k = 0; k < d->n_steps; k++)
		if (d->steps[k].at_s < horizon_s)
			g *= d->steps[k].factor;
	return g;
}

static enum fs_status lint_services(const struct fs_scenario *sc, struct fs_warnings *w)
{
	enum fs_status st = FS_OK;
	char key[128];

	for (size_t i = 0; i < sc->serving.n_services && !st; i++) {
		const struct fs_service_spec *v = &sc->serving.services[i];
		double in = fs_dist_mean(&v->input_tokens), out = fs_dist_mean(&v->output_tokens);
		double growth = demand_growth(&v->demand, sc->horizon_s);

#define KEY(k) (snprintf(key, sizeof(key), "serving.services.[%zu].%s", i, k), key)
		if (v->ttft_p99_s > FS_LINT_TTFT_P99_MAX_S)
			st = add(w, v->line, KEY("ttft_p99_s"), 0, "service '%s': a p99 time to first "
				 "token of %g s is implausible for interactive serving (above %g s); "
				 "seconds, not milliseconds?", v->name, v->ttft_p99_s,
				 FS_LINT_TTFT_P99_MAX_S);
		if (!st && (v->tpot_p99_s > FS_LINT_TPOT_P99_MAX_S ||
			    v->tpot_p99_s < FS_LINT_TPOT_P99_MIN_S))
			st = add(w, v->line, KEY("tpot_p99_s"), 0, "service '%s': a p99 time per output "
				 "token of %g s is implausible (expected %g to %g s)", v->name,
				 v->tpot_p99_s, FS_LINT_TPOT_P99_MIN_S, FS_LINT_TPOT_P99_MAX_S);
		if (!st && in < FS_LINT_TOKENS_MEAN_MIN)
			st = add(w, v->line, KEY("input_tokens"), 0, "service '%s': a mean prompt of "
				 "%g tokens is implausible (below %g)", v->name, in,
				 FS_LINT_TOKENS_MEAN_MIN);
		if (!st && out < FS_LINT_TOKENS_MEAN_MIN)
			st = add(w, v->line, KEY("output_tokens"), 0, "service '%s': a mean output of "
				 "%g tokens is implausible (below %g)", v->name, out,
				 FS_LINT_TOKENS_MEAN_MIN);
		if (!st && growth > FS_LINT_DEMAND_GROWTH_MAX)
			st = add(w, v->line, KEY("demand"), 0, "service '%s': demand grows %.3gx over "
				 "the horizon (more than %gx); growth_per_month is a fraction (0.2 = "
				 "20 %%)", v->name, growth, FS_LINT_DEMAND_GROWTH_MAX);
		for (size_t f = 0; f < sc->n_fleets && !st && v->gpu; f++)
			if (fs_fleet_opt_max_job_gpus(&sc->fleets[f], v->gpu) == 0)
				st = add(w, v->line, KEY("gpu"), 0, "service '%s' is served on %s and "
					 "fleet '%s' has none: none of its demand is served there",
					 v->name, v->gpu->name, sc->fleets[f].name);
#undef KEY
	}
	return st;
}

static enum fs_status lint_fleets(const struct fs_scenario *sc, struct fs_warnings *w)
{
	enum fs_status st = FS_OK;
	char key[128];

	for (size_t f = 0; f < sc->n_fleets && !st; f++) {
		const struct fs_fleet_opt *fo = &sc->fleets[f];
		for (size_t k = 0; k < fo->n_procure && !st; k++)
			if (fo->procure[k].at_s >= sc->horizon_s) {
				snprintf(key, sizeof(key), "fleets.[%zu].procurement", f);
				st = add(w, fo->procure[k].line, key, 0, "fleet '%s': a procurement step "
					 "at day %g is at or after the horizon (%g days) and changes "
					 "nothing", fo->name, fo->procure[k].at_s / FS_SECONDS_PER_DAY,
					 sc->horizon_s / FS_SECONDS_PER_DAY);
			}
	}
	return st;
}

enum fs_status fs_scenario_lint(const struct fs_scenario *sc, struct fs_warnings *w)
{
	memset(w, 0, sizeof(*w));
	fs_strlcpy(w->file, sc->file, sizeof(w->file));
	if (lint_fleets(sc, w) || lint_training(sc, w) || lint_services(sc, w))
		return FS_ERR_NOMEM;
	return FS_OK;
}

void fs_warnings_fini(struct fs_warnings *w)
{
	free(w->items);
	memset(w, 0, sizeof(*w));
}
