/*
 * criteria.c - planning criteria per month over a run (criteria.h).
 */
#include "fleetsim/criteria.h"
#include "fleetsim/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int fs_criteria_n_months(const struct fs_scenario *sc)
{
	int n = (int)ceil(sc->horizon_s / FS_SECONDS_PER_MONTH - 1e-9);

	return n < 1 ? 1 : n;
}

static int month_of(double t_s)
{
	return (int)floor(t_s / FS_SECONDS_PER_MONTH);
}

static bool in_class(const struct fs_scenario *sc, const struct fs_criterion *c,
		     const struct fs_job_result *j)
{
	switch (c->job_class) {
	case FS_CRIT_ALL_JOBS:
		return true;
	case FS_CRIT_EXPLICIT_JOBS:
		return j->source < sc->n_jobs;
	default:
		return j->source >= sc->n_jobs && j->source - sc->n_jobs == (uint32_t)c->job_class;
	}
}

/* Waits or times to solution of the class, month by month: value[m] for m < n_months. */
static void eval_jobs(const struct fs_scenario *sc, const struct fs_run_result *r,
		      const struct fs_criterion *c, int n_months, double *scratch, double *value)
{
	for (int m = 0; m < n_months; m++) {
		size_t n = 0;
		double sum = 0;

		/* jobs are in submission order, but a linear pass per month keeps this simple */
		for (size_t i = 0; i < r->n_jobs; i++) {
			const struct fs_job_result *j = &r->jobs[i];
			double x;
			if (j->status != FS_JOB_DONE || month_of(j->submit_s) != m || !in_class(sc, c, j))
				continue;
			x = c->kind == FS_CRIT_TTS_P90_DAYS ? j->tts_s / FS_SECONDS_PER_DAY
							    : j->wait_s / 3600.0;
			scratch[n++] = x;
			sum += x;
		}
		if (n == 0)
			value[m] = NAN;
		else if (c->kind == FS_CRIT_WAIT_MEAN_HOURS)
			value[m] = sum / (double)n;
		else
			value[m] = fs_quantile(scratch, n, 0.9);
	}
}

static void eval_util(const struct fs_scenario *sc, const struct fs_run_result *r, int n_months,
		      double *value)
{
	for (int m = 0; m < n_months; m++) {
		double busy = 0, inst = 0;
		for (size_t i = 0; i < r->n_series; i++) {
			const struct fs_series_point *p = &r->series[i];
			double dt = fmin(p->t_s + sc->series_interval_s, r->horizon_s) - p->t_s;
			if (month_of(p->t_s) != m || dt <= 0)
				continue;
			busy += (p->gpus_busy + p->gpus_serving) * dt;
			inst += p->gpus_installed * dt;
		}
		value[m] = inst > 0 ? busy / inst : NAN;
	}
}

static void eval_attainment(const struct fs_run_result *r, const struct fs_criterion *c,
			    int n_months, double *value)
{
	for (int m = 0; m < n_months; m++) {
		size_t n = 0, met = 0;
		for (size_t i = 0; i < r->n_svc; i++) {
			const struct fs_service_point *p = &r->svc[i];
			if (month_of(p->t_s) != m || p->t_s >= r->horizon_s ||
			    (c->service != FS_CRIT_ALL_SERVICES && p->service != (uint32_t)c->service))
				continue;
			n++;
			met += isnan(p->attainment_frac) || p->attainment_frac >= c->hour_min_frac;
		}
		value[m] = n ? (double)met / (double)n : NAN;
	}
}

bool fs_criterion_fails(const struct fs_criterion *c, double value)
{
	if (isnan(value))
		return false;
	return c->kind == FS_CRIT_ATTAINMENT ? value < c->limit : value > c->limit;
}

enum fs_status fs_criteria_eval(const struct fs_scenario *sc, const struct fs_run_result *r,
				struct fs_criteria_eval *out, struct fs_error *e)
{
	int nm = fs_criteria_n_months(sc);
	size_t cells = sc->n_criteria * (size_t)nm;
	double *scratch = malloc((r->n_jobs ? r->n_jobs : 1) * sizeof(*scratch));

	memset(out, 0, sizeof(*out));
	out->value = malloc((cells ? cells : 1) * sizeof(*out->value));
	out->ok = malloc((cells ? cells : 1) * sizeof(*out->ok));
	if (!scratch || !out->value || !out->ok) {
		free(scratch);
		fs_criteria_eval_fini(out);
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	}
	out->n_criteria = sc->n_criteria;
	out->n_months = nm;
	out->first_fail_month = -1;
	out->first_fail_criterion = -1;
	for (size_t c = 0; c < sc->n_criteria; c++) {
		const struct fs_criterion *cr = &sc->criteria[c];
		double *v = out->value + c * (size_t)nm;
		switch (cr->kind) {
		case FS_CRIT_TTS_P90_DAYS:
		case FS_CRIT_WAIT_P90_HOURS:
		case FS_CRIT_WAIT_MEAN_HOURS:
			eval_jobs(sc, r, cr, nm, scratch, v);
			break;
		case FS_CRIT_ATTAINMENT:
			eval_attainment(r, cr, nm, v);
			break;
		case FS_CRIT_UTILIZATION:
			eval_util(sc, r, nm, v);
			break;
		}
		for (int m = 0; m < nm; m++)
			out->ok[c * (size_t)nm + (size_t)m] = !fs_criterion_fails(cr, v[m]);
	}
	free(scratch);
	for (int m = 0; m < nm && out->first_fail_month < 0; m++)
		for (size_t c = 0; c < sc->n_criteria; c++)
			if (!out->ok[c * (size_t)nm + (size_t)m]) {
				out->first_fail_month = m;
				out->first_fail_criterion = (int)c;
				break;
			}
	return FS_OK;
}

void fs_criteria_eval_fini(struct fs_criteria_eval *ev)
{
	free(ev->value);
	free(ev->ok);
	memset(ev, 0, sizeof(*ev));
}

double fs_criteria_margin(const struct fs_scenario *sc, const struct fs_criteria_eval *ev,
			  int through_month)
{
	double worst = -INFINITY;

	for (size_t c = 0; c < ev->n_criteria; c++) {
		const struct fs_criterion *cr = &sc->criteria[c];
		for (int m = 0; m <= through_month && m < ev->n_months; m++) {
			double v = ev->value[c * (size_t)ev->n_months + (size_t)m], g;
			if (isnan(v))
				continue;
			g = cr->kind == FS_CRIT_ATTAINMENT ? (cr->limit - v) / cr->limit
							   : v / cr->limit - 1.0;
			worst = fmax(worst, g);
		}
	}
	return worst;
}
