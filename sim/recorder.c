/*
 * recorder.c - the utilization series and the run summary (see recorder.h).
 */
#include "fleetsim/recorder.h"
#include "fleetsim/stats.h"

#include <assert.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum fs_status fs_recorder_init(struct fs_recorder *r, const struct fs_scenario *sc, int n_pools,
				struct fs_error *e)
{
	memset(r, 0, sizeof(*r));
	r->interval_s = sc->series_interval_s;
	r->horizon_s = sc->horizon_s;
	r->n_pools = n_pools;
	assert(r->interval_s > 0 && sc->horizon_s > 0 && n_pools >= 1 && n_pools <= FS_MAX_POOLS);
	r->cap = (size_t)ceil(sc->horizon_s / r->interval_s) + 2;
	r->series = malloc(r->cap * sizeof(*r->series));
	if (!r->series)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	return FS_OK;
}

void fs_recorder_fini(struct fs_recorder *r)
{
	free(r->series);
	memset(r, 0, sizeof(*r));
}

static int ensure_bucket(struct fs_recorder *r, size_t b)
{
	while (b >= r->n) {
		if (r->n == r->cap) {
			size_t ncap = r->cap * 2;
			void *p = realloc(r->series, ncap * sizeof(*r->series));
			if (!p)
				return -1;
			r->series = p;
			r->cap = ncap;
		}
		memset(&r->series[r->n], 0, sizeof(r->series[0]));
		r->series[r->n].t_s = (double)r->n * r->interval_s;
		r->n++;
	}
	return 0;
}

/*
 * The one place an interval's per-pool GPU-seconds become its series point
 * (still GPU-seconds; finish divides). Power and cost per pool belong here,
 * computed from acc[p] and the pool's GPU type. pools: the state at the
 * interval's end.
 */
static void close_bucket(struct fs_recorder *r, const struct fs_pool_gpus *pools)
{
	struct fs_series_point *s = &r->series[r->cur];

	for (int p = 0; p < r->n_pools; p++) {
		const struct fs_rec_acc *a = &r->acc[p];

		s->gpus_installed += a->installed;
		s->gpus_down += a->down;
		s->gpus_busy += a->busy;
		s->gpus_serving += a->serving;
		s->gpus_idle += a->idle;
		s->gpus_frag += a->frag;
		s->gpus_total += pools[p].installed;
		if (r->cost) {
			double used = (a->busy + a->serving) / r->interval_s;
			double inst = a->installed / r->interval_s;

			fs_cost_add_interval(r->cost, r->gpu[p], inst, used, r->interval_s / 3600.0,
					     &s->cost);
			s->power_kw += fs_cost_power_kw(r->cost, r->gpu[p], inst, used);
			s->idle_cost_usd += fs_cost_idle_usd(r->cost, r->gpu[p],
							     fmax(a->idle / r->interval_s, 0.0),
							     r->interval_s / 3600.0);
		}
		memset(&r->acc[p], 0, sizeof(r->acc[p]));
	}
	s->cost_usd = fs_cost_parts_total(&s->cost);
}

enum fs_status fs_recorder_advance(struct fs_recorder *r, double t_s,
				   const struct fs_pool_gpus *pools, int running, size_t queued,
				   struct fs_error *e)
{
	while (r->last_t_s < t_s) {
		size_t b = (size_t)floor(r->last_t_s / r->interval_s);
		double bend = (double)(b + 1) * r->interval_s;
		double upto = t_s < bend ? t_s : bend;
		double dt = upto - r->last_t_s;
		double in_h = fmin(upto, r->horizon_s) - r->last_t_s;

		if (ensure_bucket(r, b))
			return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		if (b != r->cur) {
			assert(b > r->cur);
			close_bucket(r, pools);
			r->cur = b;
		}
		for (int p = 0; p < r->n_pools; p++) {
			const struct fs_pool_gpus *g = &pools[p];
			struct fs_rec_acc *a = &r->acc[p];

			a->installed += g->installed * dt;
			a->down += g->down * dt;
			a->busy += g->busy * dt;
			a->serving += g->serving * dt;
			a->idle += (g->installed - g->down - g->busy - g->serving) * dt;
			a->frag += g->frag * dt;
			if (in_h > 0) {
				r->installed_gpu_s_in_horizon[p] += g->installed * in_h;
				r->used_gpu_s_in_horizon[p] += (g->busy + g->serving) * in_h;
				r->serving_gpu_s_in_horizon[p] += g->serving * in_h;
				r->idle_gpu_s_in_horizon[p] +=
					(g->installed - g->down - g->busy - g->serving) * in_h;
			}
		}
		r->series[b].jobs_running = running;
		r->series[b].jobs_queued = (int)queued;
		r->last_t_s = upto;
	}
	return FS_OK;
}

enum fs_status fs_recorder_finish(struct fs_recorder *r, const struct fs_pool_gpus *pools,
				  struct fs_run_result *out, struct fs_error *e)
{
	struct fs_pool_gpus idle[FS_MAX_POOLS];
	enum fs_status st;

	/* nothing runs after the last event; the pools stay as they are */
	for (int p = 0; p < r->n_pools; p++) {
		idle[p] = pools[p];
		idle[p].busy = idle[p].serving = 0;
		idle[p].frag = 0;
	}
	if ((st = fs_recorder_advance(r, fmax(r->horizon_s, r->last_t_s), idle, 0, 0, e)))
		return st;
	if (r->n > 0)
		close_bucket(r, idle);
	for (size_t b = 0; b < r->n; b++) {
		struct fs_series_point *s = &r->series[b];

		s->gpus_installed /= r->interval_s;
		s->gpus_down /= r->interval_s;
		s->gpus_busy /= r->interval_s;
		s->gpus_serving /= r->interval_s;
		s->gpus_idle /= r->interval_s;
		s->gpus_frag /= r->interval_s;
	}
	out->series = r->series;
	out->n_series = r->n;
	r->series = NULL;
	r->n = r->cap = 0;
	return FS_OK;
}

/* Mean in workload order, then the p90 by selection (which reorders x). */
static void mean_p90(double *x, size_t n, double *mean, double *p90)
{
	*mean = gsl_stats_mean(x, 1, n);
	*p90 = fs_quantile(x, n, 0.9);
}

enum fs_status fs_recorder_summarize(struct fs_run_result *r, const struct fs_scenario *sc,
				     const struct fs_recorder *rec, struct fs_error *e)
{
	struct fs_run_summary *s = &r->sum;
	double busy_in_horizon = 0.0, installed = 0.0, *scratch;
	size_t n = 0;

	s->n_jobs = r->n_jobs;
	for (size_t i = 0; i < r->n_jobs; i++) {
		const struct fs_job_result *j = &r->jobs[i];
		if (j->status == FS_JOB_INFEASIBLE) {
			s->n_infeasible++;
			continue;
		}
		if (j->status == FS_JOB_CANCELLED) {
			s->n_cancelled++;
			continue;
		}
		s->gpu_hours += j->gpu_hours;
		s->gpu_hours_lost += j->gpu_hours_lost;
		s->n_preemptions += (uint64_t)j->preemptions;
		if (j->end_s <= sc->horizon_s)
			s->n_done_in_horizon++;
		if (j->end_s > s->makespan_s)
			s->makespan_s = j->end_s;
	}
	scratch = malloc((r->n_jobs ? r->n_jobs : 1) * sizeof(*scratch));
	if (!scratch)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	/* waits and times to solution of the jobs that ran */
	for (size_t i = 0; i < r->n_jobs; i++)
		if (r->jobs[i].status == FS_JOB_DONE)
			scratch[n++] = r->jobs[i].wait_s;
	if (n > 0) {
		mean_p90(scratch, n, &s->mean_wait_s, &s->p90_wait_s);
		n = 0;
		for (size_t i = 0; i < r->n_jobs; i++)
			if (r->jobs[i].status == FS_JOB_DONE)
				scratch[n++] = r->jobs[i].tts_s;
		mean_p90(scratch, n, &s->mean_tts_s, &s->p90_tts_s);
	}
	free(scratch);
	for (size_t b = 0; b < r->n_series; b++) {
		double t0 = r->series[b].t_s, t1 = t0 + sc->series_interval_s;
		double part = t1 <= sc->horizon_s ? 1.0
			    : t0 >= sc->horizon_s ? 0.0 : (sc->horizon_s - t0) / (t1 - t0);
		/* busy = training + serving; buckets hold time-averages; the one
		 * straddling the horizon is split assuming a uniform level inside it */
		busy_in_horizon += (r->series[b].gpus_busy + r->series[b].gpus_serving) *
				   sc->series_interval_s * part;
	}
	if (rec->n_pools == 1 && r->fleet->n_procure == 0) {
		/* a fixed fleet: the GPU-time installed is the product (as before pools) */
		s->mean_util_frac = busy_in_horizon / ((double)r->fleet->n_gpus * sc->horizon_s);
	} else {
		for (int p = 0; p < rec->n_pools; p++)
			installed += rec->installed_gpu_s_in_horizon[p];
		s->mean_util_frac = installed > 0 ? busy_in_horizon / installed : 0.0;
	}
	/* the cost is linear in GPU-hours: the horizon's integrals price it exactly */
	memset(&s->cost, 0, sizeof(s->cost));
	for (int p = 0; p < rec->n_pools && rec->cost; p++) {
		double inst_h = rec->installed_gpu_s_in_horizon[p] / 3600.0;
		double used_h = fmin(rec->used_gpu_s_in_horizon[p] / 3600.0, inst_h);

		fs_cost_add_interval(rec->cost, rec->gpu[p], inst_h, used_h, 1.0, &s->cost);
		s->idle_cost_usd += fs_cost_idle_usd(rec->cost, rec->gpu[p],
						     rec->idle_gpu_s_in_horizon[p] / 3600.0, 1.0);
	}
	s->fleet_cost_usd = fs_cost_parts_total(&s->cost);
	if (!rec->cost)
		s->idle_cost_usd = NAN;
	return FS_OK;
}
