/*
 * run.c - one fleet option under the training workload: FIFO gang
 * scheduling on the event engine, job results and the utilization series.
 */
#include "fleetsim/run.h"
#include "fleetsim/engine.h"
#include "fleetsim/train.h"
#include "fleetsim/train_simple.h"
#include "fleetsim/util.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { EV_JOB_END = 1, EV_JOB_SUBMIT, EV_JOB_FAIL, EV_JOB_RESTART };
/* At equal times, ends free GPUs before submissions look for them. */
enum { PRIO_END = 0, PRIO_JOB = 1, PRIO_SUBMIT = 2 };

/* Token count the training model is asked about (see fs_run_job_time). */
#define REF_TOKENS 1e12

/* Per-job state while it runs: useful work left and the current segment. */
struct job_state {
	double work_s;       /* useful training seconds the whole job needs; < 0: not yet known */
	double work_left_s;  /* since the last checkpoint */
	double seg_start_s;  /* wall time the current segment began */
	double tau_s;        /* training seconds between checkpoints */
};

struct fleet_state {
	struct fs_evq *q;
	const struct fs_scenario *sc;
	const struct fs_fleet_opt *fleet;
	struct fs_train_memo *memo;
	gsl_rng *fail_rng;
	struct fs_failure_params fp;
	struct job_state *js;
	uint64_t n_failures;
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

void fs_run_failure_params(const struct fs_scenario *sc, const struct fs_gpu *g,
			   struct fs_failure_params *fp)
{
	fs_failure_params_default(g, fp);
	fp->ckpt_interval_s = sc->failures.ckpt_interval_s;
	fp->ckpt_write_s = sc->failures.ckpt_write_s;
	fp->restart_s = sc->failures.restart_s;
	if (!sc->failures.enabled) {
		/* no failures: no restarts, and no checkpoint overhead to speak of */
		fp->mtbf_per_gpu_h = 1e15;
		fp->ckpt_write_s = 0.0;
	}
}

enum fs_status fs_run_job_time(const struct fs_scenario *sc, const struct fs_gpu *g,
			       struct fs_train_memo *memo, const struct fs_llm *model, int gpus,
			       const struct fs_train_opts *opts, double tokens, double *work_s,
			       double *wall_s, struct fs_error *e)
{
	struct fs_failure_params fp;
	struct fs_train_job tj;
	struct fs_train_estimate est;
	enum fs_status st;

	fs_run_failure_params(sc, g, &fp);
	if (sc->train_model == FS_TRAIN_MODEL_FIRST_ORDER) {
		*work_s = fs_train_simple_time_s(g, model, gpus, opts->seq_len, opts->precision, tokens);
		*wall_s = *work_s / fs_train_goodput_frac(&fp, gpus);
		return FS_OK;
	}
	memset(&tj, 0, sizeof(tj));
	tj.gpu = g;
	tj.model = model;
	tj.n_gpus = gpus;
	tj.seq_len = opts->seq_len;
	tj.precision = opts->precision;
	/* The plan does not depend on the token count and the run time is
	 * linear in it, so the model is asked for a reference count: one
	 * memoised search then serves every job of this shape. */
	tj.tokens = REF_TOKENS;
	tj.failure = &fp;
	if ((st = fs_train_job_estimate(memo, &tj, &est, e)))
		return st;
	/* run_wall_s = useful work / goodput; the simulation draws the failures itself */
	*wall_s = est.run_wall_s * (tokens / REF_TOKENS);
	*work_s = *wall_s * est.goodput_frac;
	return FS_OK;
}

/* Wall time to train work_left_s with a checkpoint after every tau_s of training. */
static double wall_to_finish_s(const struct job_state *s, double write_s)
{
	double n_ckpt = ceil(s->work_left_s / s->tau_s) - 1.0;

	return s->work_left_s + (n_ckpt > 0 ? n_ckpt * write_s : 0.0);
}

/* Schedules the job's end, or its next failure if one comes first. */
static enum fs_status run_segment(struct fleet_state *fs, uint32_t idx, struct fs_error *e)
{
	struct job_state *s = &fs->js[idx];
	double finish = wall_to_finish_s(s, fs->fp.ckpt_write_s);
	double fail = INFINITY;
	int64_t now = fs_evq_now(fs->q), dt;
	uint32_t kind = EV_JOB_END;
	int32_t prio = PRIO_END;

	s->seg_start_s = (double)now / (double)FS_NS_PER_S;
	if (fs->sc->failures.enabled)
		fail = gsl_ran_exponential(fs->fail_rng,
					   fs_failure_job_mtbf_s(&fs->fp, fs->jobs[idx].gpus));
	if (fail < finish) {
		finish = fail;
		kind = EV_JOB_FAIL;
		prio = PRIO_JOB;
	}
	dt = to_ns(finish);
	if (dt < 1)
		dt = 1;
	if (!fs_evq_push(fs->q, now + dt, prio, kind, idx, 0))
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	return FS_OK;
}

/* A failure: keep the checkpointed work, hold the GPUs for the restart. */
static enum fs_status on_failure(struct fleet_state *fs, uint32_t idx, struct fs_error *e)
{
	struct job_state *s = &fs->js[idx];
	double elapsed = now_s(fs) - s->seg_start_s;
	double cycles = floor(elapsed / (s->tau_s + fs->fp.ckpt_write_s));
	int64_t r = to_ns(fs->fp.restart_s);

	s->work_left_s -= cycles * s->tau_s;
	if (s->work_left_s < 0)
		s->work_left_s = 0;
	fs->jobs[idx].restarts++;
	fs->n_failures++;
	if (!fs_evq_push(fs->q, fs_evq_now(fs->q) + (r > 0 ? r : 1), PRIO_JOB, EV_JOB_RESTART, idx, 0))
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	return FS_OK;
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

/* Starts waiting jobs in FIFO order while the head fits in the free GPUs. */
static enum fs_status start_ready(struct fleet_state *fs, struct fs_error *e)
{
	while (fs->next_start < fs->n_submitted) {
		uint32_t idx = (uint32_t)fs->next_start;
		struct fs_job_result *j = &fs->jobs[idx];
		struct job_state *s = &fs->js[idx];
		enum fs_status st;

		if (s->work_s < 0) {
			st = fs_run_job_time(fs->sc, fs->fleet->gpu, fs->memo, j->model, j->gpus,
					     j->opts, j->tokens, &s->work_s, &j->run_s, e);
			if (st == FS_ERR_INFEASIBLE) {
				/* rejected at the head of the queue; it never holds GPUs */
				fs_error_clear(e);
				j->status = FS_JOB_INFEASIBLE;
				j->start_s = j->end_s = now_s(fs);
				j->wait_s = j->tts_s = j->gpu_hours = j->run_s = 0.0;
				fs->next_start++;
				continue;
			}
			if (st)
				return st;
			if (!(s->work_s > 0) || !isfinite(s->work_s))
				return fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL,
						    "job '%s': the training model gave %g s", j->name, s->work_s);
		}
		if (j->gpus > fs->gpus_free)
			break;
		j->start_s = now_s(fs);
		s->work_left_s = s->work_s;
		s->tau_s = fs_failure_ckpt_interval_s(&fs->fp, j->gpus);
		if (!(s->tau_s > 0))
			s->tau_s = INFINITY;
		if ((st = run_segment(fs, idx, e)))
			return st;
		fs->gpus_free -= j->gpus;
		fs->running++;
		fs->next_start++;
	}
	return FS_OK;
}

static void summarize(struct fs_run_result *r, const struct fs_scenario *sc, double *scratch)
{
	struct fs_run_summary *s = &r->sum;
	size_t n = 0;
	double busy_in_horizon = 0.0;

	s->n_jobs = r->n_jobs;
	for (size_t i = 0; i < r->n_jobs; i++) {
		const struct fs_job_result *j = &r->jobs[i];
		if (j->status == FS_JOB_INFEASIBLE) {
			s->n_infeasible++;
			continue;
		}
		s->gpu_hours += j->gpu_hours;
		if (j->end_s <= sc->horizon_s)
			s->n_done_in_horizon++;
		if (j->end_s > s->makespan_s)
			s->makespan_s = j->end_s;
	}
	/* waits and times to solution of the jobs that ran */
	for (size_t i = 0; i < r->n_jobs; i++)
		if (r->jobs[i].status == FS_JOB_DONE)
			scratch[n++] = r->jobs[i].wait_s;
	if (n > 0) {
		gsl_sort(scratch, 1, n);
		s->mean_wait_s = gsl_stats_mean(scratch, 1, n);
		s->p90_wait_s = gsl_stats_quantile_from_sorted_data(scratch, 1, n, 0.9);
		n = 0;
		for (size_t i = 0; i < r->n_jobs; i++)
			if (r->jobs[i].status == FS_JOB_DONE)
				scratch[n++] = r->jobs[i].tts_s;
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
	fs.sc = sc;
	fs.fleet = fl;
	fs.js = malloc((fs.n_jobs ? fs.n_jobs : 1) * sizeof(*fs.js));
	fs.fail_rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (fs_evq_create(&fs.q, fs.n_jobs + 16) || !fs.js || !fs.fail_rng ||
	    fs_train_memo_create(&fs.memo, 4096)) {
		st = fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		goto fail;
	}
	gsl_rng_set(fs.fail_rng, (unsigned long)fs_seed_mix(seed, "failures"));
	for (size_t i = 0; i < fs.n_jobs; i++)
		fs.js[i].work_s = -1.0;
	fs_run_failure_params(sc, fl->gpu, &fs.fp);
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
		} else if (ev.kind == EV_JOB_FAIL) {
			if ((st = on_failure(&fs, ev.subject, e)))
				goto fail;
			continue;
		} else if (ev.kind == EV_JOB_RESTART) {
			if ((st = run_segment(&fs, ev.subject, e)))
				goto fail;
			continue;
		} else {
			struct fs_job_result *j = &fs.jobs[ev.subject];
			j->end_s = now_s(&fs);
			j->wait_s = j->start_s - j->submit_s;
			j->tts_s = j->end_s - j->submit_s;
			j->gpu_hours = j->gpus * (j->end_s - j->start_s) / 3600.0;
			fs.gpus_free += j->gpus;
			fs.running--;
		}
		if ((st = start_ready(&fs, e)))
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
	out->sum.n_failures = fs.n_failures;
	scratch = malloc((fs.n_jobs ? fs.n_jobs : 1) * sizeof(double));
	if (!scratch) {
		memset(out, 0, sizeof(*out));
		st = fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		goto fail;
	}
	summarize(out, sc, scratch);
	free(scratch);
	free(fs.js);
	gsl_rng_free(fs.fail_rng);
	fs_train_memo_destroy(fs.memo);
	fs_evq_destroy(fs.q);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->wall_s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
	return FS_OK;
fail:
	free(fs.js);
	gsl_rng_free(fs.fail_rng);
	fs_train_memo_destroy(fs.memo);
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
