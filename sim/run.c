/*
 * run.c - one fleet option under the training workload: FIFO gang
 * scheduling on the event engine, job results and the utilization series.
 */
#include "fleetsim/run.h"
#include "fleetsim/engine.h"
#include "fleetsim/train_simple.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { EV_JOB_END = 1, EV_JOB_SUBMIT = 2 };
/* At equal times, ends free GPUs before submissions look for them. */
enum { PRIO_END = 0, PRIO_SUBMIT = 1 };

struct fleet_state {
	struct fs_evq *q;
	struct fs_job_result *jobs;
	size_t n_jobs;
	size_t next_start;   /* FIFO: jobs [next_start, n_submitted) wait */
	size_t n_submitted;
	int gpus_total;
	int gpus_free;
	int running;
	/* utilization integration */
	double interval_s;
	double last_t_s;
	struct fs_series_point *series;
	size_t n_series, cap_series;
};

static int64_t to_ns(double s)
{
	return (int64_t)llround(s * (double)FS_NS_PER_S);
}

static double now_s(const struct fleet_state *fs)
{
	return (double)fs_evq_now(fs->q) / (double)FS_NS_PER_S;
}

/*
 * The training-time model used by the fleet: the one place to change when
 * the model is swapped.
 */
static double job_run_s(const struct fs_gpu *g, const struct fs_job_result *j)
{
	return fs_train_simple_time_s(g, j->model, j->gpus, j->opts->seq_len,
				      j->opts->precision, j->tokens);
}

static int ensure_bucket(struct fleet_state *fs, size_t idx)
{
	while (idx >= fs->n_series) {
		if (fs->n_series == fs->cap_series) {
			size_t ncap = fs->cap_series ? fs->cap_series * 2 : 1024;
			void *p = realloc(fs->series, ncap * sizeof(*fs->series));
			if (!p)
				return -1;
			fs->series = p;
			fs->cap_series = ncap;
		}
		memset(&fs->series[fs->n_series], 0, sizeof(fs->series[0]));
		fs->series[fs->n_series].t_s = (double)fs->n_series * fs->interval_s;
		fs->series[fs->n_series].gpus_total = fs->gpus_total;
		fs->n_series++;
	}
	return 0;
}

/* Adds busy GPU-seconds of the state held over [last_t, t) to the buckets. */
static int integrate_to(struct fleet_state *fs, double t)
{
	double busy = fs->gpus_total - fs->gpus_free;
	int queued = (int)(fs->n_submitted - fs->next_start);

	while (fs->last_t_s < t) {
		size_t b = (size_t)floor(fs->last_t_s / fs->interval_s);
		double bend = (double)(b + 1) * fs->interval_s;
		double upto = t < bend ? t : bend;

		if (ensure_bucket(fs, b))
			return -1;
		fs->series[b].gpus_busy += busy * (upto - fs->last_t_s);
		fs->series[b].jobs_running = fs->running;
		fs->series[b].jobs_queued = queued;
		fs->last_t_s = upto;
	}
	return 0;
}

static enum fs_status start_ready(struct fleet_state *fs, const struct fs_gpu *g,
				  struct fs_error *e)
{
	while (fs->next_start < fs->n_submitted &&
	       fs->jobs[fs->next_start].gpus <= fs->gpus_free) {
		struct fs_job_result *j = &fs->jobs[fs->next_start];
		double t = now_s(fs);
		int64_t end_ns;

		j->run_s = job_run_s(g, j);
		if (!(j->run_s > 0) || !isfinite(j->run_s))
			return fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL,
					    "job '%s': the training model gave run time %g s", j->name, j->run_s);
		j->start_s = t;
		end_ns = fs_evq_now(fs->q) + to_ns(j->run_s);
		if (end_ns <= fs_evq_now(fs->q))
			end_ns = fs_evq_now(fs->q) + 1;
		if (!fs_evq_push(fs->q, end_ns, PRIO_END, EV_JOB_END, (uint32_t)fs->next_start, 0))
			return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		fs->gpus_free -= j->gpus;
		fs->running++;
		fs->next_start++;
	}
	return FS_OK;
}

static void summarize(struct fs_run_result *r, const struct fs_scenario *sc, double *scratch)
{
	struct fs_run_summary *s = &r->sum;
	size_t n = r->n_jobs;
	double busy_in_horizon = 0.0;

	s->n_jobs = n;
	for (size_t i = 0; i < n; i++) {
		const struct fs_job_result *j = &r->jobs[i];
		s->gpu_hours += j->gpu_hours;
		if (j->end_s <= sc->horizon_s)
			s->n_done_in_horizon++;
		if (j->end_s > s->makespan_s)
			s->makespan_s = j->end_s;
	}
	if (n > 0) {
		for (size_t i = 0; i < n; i++)
			scratch[i] = r->jobs[i].wait_s;
		gsl_sort(scratch, 1, n);
		s->mean_wait_s = gsl_stats_mean(scratch, 1, n);
		s->p90_wait_s = gsl_stats_quantile_from_sorted_data(scratch, 1, n, 0.9);
		for (size_t i = 0; i < n; i++)
			scratch[i] = r->jobs[i].tts_s;
		gsl_sort(scratch, 1, n);
		s->mean_tts_s = gsl_stats_mean(scratch, 1, n);
		s->p90_tts_s = gsl_stats_quantile_from_sorted_data(scratch, 1, n, 0.9);
	}
	for (size_t b = 0; b < r->n_series; b++) {
		double t0 = r->series[b].t_s, t1 = t0 + sc->series_interval_s;
		double part = t1 <= sc->horizon_s ? 1.0
			    : t0 >= sc->horizon_s ? 0.0 : (sc->horizon_s - t0) / (t1 - t0);
		/* buckets hold time-averages; the one straddling the horizon is
		 * split assuming a uniform level inside it */
		busy_in_horizon += r->series[b].gpus_busy * sc->series_interval_s * part;
	}
	s->mean_util_frac = busy_in_horizon / ((double)r->fleet->n_gpus * sc->horizon_s);
	s->fleet_cost_usd = (double)r->fleet->n_gpus * sc->horizon_s / 3600.0 *
			    r->fleet->gpu->cloud_usd_per_gpu_hour;
}

enum fs_status fs_run_fleet(const struct fs_scenario *sc, size_t fleet_idx, uint64_t seed,
			    struct fs_run_result *out, struct fs_error *e)
{
	const struct fs_fleet_opt *fl = &sc->fleets[fleet_idx];
	struct fleet_state fs = { 0 };
	struct fs_event ev;
	struct timespec t0, t1;
	enum fs_status st;
	double *scratch = NULL;

	memset(out, 0, sizeof(*out));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	out->fleet = fl;
	out->seed = seed;
	out->horizon_s = sc->horizon_s;
	if ((st = fs_workload_generate(sc, seed, &fs.jobs, &fs.n_jobs, e)))
		return st;
	if (fs_evq_create(&fs.q, fs.n_jobs + 16)) {
		st = fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		goto fail;
	}
	fs.gpus_total = fs.gpus_free = fl->n_gpus;
	fs.interval_s = sc->series_interval_s;
	for (size_t i = 0; i < fs.n_jobs; i++) {
		if (fs.jobs[i].gpus > fl->n_gpus) {
			st = fs_error_set(e, FS_ERR_INPUT, sc->file, 0, fs.jobs[i].name,
					  "job needs %d GPUs but fleet '%s' has %d",
					  fs.jobs[i].gpus, fl->name, fl->n_gpus);
			goto fail;
		}
		/* times live on the engine's nanosecond grid */
		fs.jobs[i].submit_s = (double)to_ns(fs.jobs[i].submit_s) / (double)FS_NS_PER_S;
		if (!fs_evq_push(fs.q, to_ns(fs.jobs[i].submit_s), PRIO_SUBMIT, EV_JOB_SUBMIT,
				 (uint32_t)i, 0)) {
			st = fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
			goto fail;
		}
	}
	while (fs_evq_pop(fs.q, &ev)) {
		if (integrate_to(&fs, now_s(&fs))) {
			st = fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
			goto fail;
		}
		if (ev.kind == EV_JOB_SUBMIT) {
			/* jobs are pushed in submit order and ties pop FIFO */
			fs.n_submitted = (size_t)ev.subject + 1;
		} else {
			struct fs_job_result *j = &fs.jobs[ev.subject];
			j->end_s = now_s(&fs);
			j->wait_s = j->start_s - j->submit_s;
			j->tts_s = j->end_s - j->submit_s;
			j->gpu_hours = j->gpus * (j->end_s - j->start_s) / 3600.0;
			fs.gpus_free += j->gpus;
			fs.running--;
		}
		if ((st = start_ready(&fs, fl->gpu, e)))
			goto fail;
	}
	if (fs.next_start != fs.n_jobs || fs.running != 0) {
		st = fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL,
				  "internal: %zu of %zu jobs never started", fs.n_jobs - fs.next_start, fs.n_jobs);
		goto fail;
	}
	/* the series covers at least the horizon */
	if (integrate_to(&fs, fmax(sc->horizon_s, fs.last_t_s))) {
		st = fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		goto fail;
	}
	for (size_t b = 0; b < fs.n_series; b++)
		fs.series[b].gpus_busy /= fs.interval_s;
	out->jobs = fs.jobs;
	out->n_jobs = fs.n_jobs;
	out->series = fs.series;
	out->n_series = fs.n_series;
	out->sum.events = fs_evq_popped(fs.q);
	scratch = malloc((fs.n_jobs ? fs.n_jobs : 1) * sizeof(double));
	if (!scratch) {
		memset(out, 0, sizeof(*out));
		st = fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		goto fail;
	}
	summarize(out, sc, scratch);
	free(scratch);
	fs_evq_destroy(fs.q);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->wall_s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
	return FS_OK;
fail:
	fs_evq_destroy(fs.q);
	free(fs.jobs);
	free(fs.series);
	return st;
}

void fs_run_result_fini(struct fs_run_result *r)
{
	free(r->jobs);
	free(r->series);
	memset(r, 0, sizeof(*r));
}
