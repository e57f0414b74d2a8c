/*
 * run.c - one fleet option under a training workload: the event loop that
 * ties the parts together. Fleet state is fleet.c, the order jobs start in is
 * the scenario's policy (sched.c), interruptions are failures.c, the series
 * and summary are recorder.c; this file dispatches events and owns the jobs.
 */
#include "fleetsim/run.h"
#include "fleetsim/history.h"
#include "fleetsim/engine.h"
#include "fleetsim/failures.h"
#include "fleetsim/fleet.h"
#include "fleetsim/recorder.h"
#include "fleetsim/sched.h"
#include "fleetsim/service.h"
#include "fleetsim/demand.h"
#include "fleetsim/train.h"
#include "fleetsim/train_simple.h"
#include "fleetsim/util.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	EV_JOB_END = 1, EV_JOB_SUBMIT, EV_JOB_FAIL, EV_JOB_RESTART,
	EV_PROCURE, EV_NODE_FAIL, EV_NODE_REPAIR, EV_SVC_TICK
};
/* At equal times, ends free GPUs before submissions look for them; nodes
 * and procurement change capacity before jobs look at it. */
enum { PRIO_END = 0, PRIO_JOB = 1, PRIO_SUBMIT = 2 };

/* Token count the full training model is asked about (see full_shape). */
#define REF_TOKENS 1e12

/* ---- training models: one row per scenario `train_model` ------------------ */

/*
 * A job shape's time per token: what a training model computes once per
 * (model, GPUs, sequence length, precision) so that a job's times are one
 * scaling by its tokens.
 */
struct shape_time {
	double a;                   /* full: wall s for REF_TOKENS; first order: tokens/s of the job */
	double goodput_frac;
};

struct train_model {
	const char *name;           /* the scenario's `train_model` value */
	enum fs_status (*shape)(const struct fs_gpu *g, struct fs_train_memo *memo,
				const struct fs_llm *model, int gpus, const struct fs_train_opts *opts,
				const struct fs_failure_params *fp, struct shape_time *out,
				struct fs_error *e);
	void (*times)(const struct shape_time *t, double tokens, double *work_s, double *wall_s);
};

static enum fs_status first_order_shape(const struct fs_gpu *g, struct fs_train_memo *memo,
					const struct fs_llm *model, int gpus,
					const struct fs_train_opts *opts,
					const struct fs_failure_params *fp, struct shape_time *out,
					struct fs_error *e)
{
	(void)memo;
	if (fs_failure_check_progress(fp, gpus, e))
		return FS_ERR_INPUT;
	/* the same product fs_train_simple_time_s divides by */
	out->a = fs_train_simple_tokens_per_s_per_gpu(g, model, opts->seq_len, opts->precision) * gpus;
	out->goodput_frac = fs_train_goodput_frac(fp, gpus);
	return FS_OK;
}

static void first_order_times(const struct shape_time *t, double tokens, double *work_s,
			      double *wall_s)
{
	*work_s = tokens / t->a;
	*wall_s = *work_s / t->goodput_frac;
}

static enum fs_status full_shape(const struct fs_gpu *g, struct fs_train_memo *memo,
				 const struct fs_llm *model, int gpus, const struct fs_train_opts *opts,
				 const struct fs_failure_params *fp, struct shape_time *out,
				 struct fs_error *e)
{
	struct fs_train_job tj;
	struct fs_train_estimate est;
	enum fs_status st;

	memset(&tj, 0, sizeof(tj));
	tj.gpu = g;
	tj.model = model;
	tj.n_gpus = gpus;
	tj.seq_len = opts->seq_len;
	tj.precision = opts->precision;
	tj.method = (enum fs_train_method)opts->method;
	tj.lora_rank = opts->lora_rank;
	tj.stack = (enum fs_train_stack)opts->stack;
	/* The plan does not depend on the token count and the run time is
	 * linear in it, so the model is asked for a reference count: one
	 * memoised search then serves every job of this shape. */
	tj.tokens = REF_TOKENS;
	tj.failure = fp;
	if ((st = fs_train_job_estimate(memo, &tj, &est, e)))
		return st;
	out->a = est.run_wall_s;
	out->goodput_frac = est.goodput_frac;
	return FS_OK;
}

static void full_times(const struct shape_time *t, double tokens, double *work_s, double *wall_s)
{
	/* run_wall_s = useful work / goodput; the simulation draws the failures itself */
	*wall_s = t->a * (tokens / REF_TOKENS);
	*work_s = *wall_s * t->goodput_frac;
}

static const struct train_model train_models[] = {
	[FS_TRAIN_MODEL_FULL] = { "full", full_shape, full_times },
	[FS_TRAIN_MODEL_FIRST_ORDER] = { "first_order", first_order_shape, first_order_times },
};

static const struct train_model *train_model_of(const struct fs_scenario *sc)
{
	assert((size_t)sc->train_model < sizeof(train_models) / sizeof(train_models[0]) &&
	       train_models[sc->train_model].shape);
	return &train_models[sc->train_model];
}

const char *fs_run_train_model_name(const struct fs_scenario *sc)
{
	return train_model_of(sc)->name;
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

/* The input checks on a job's times that `check` and `run` share: a token
 * count too small to be any work (a subnormal), a run past the limit. */
static enum fs_status check_times(double tokens, double work_s, double wall_s, int gpus,
				  const struct fs_gpu *g, struct fs_error *e)
{
	if (work_s == 0.0 && tokens > 0)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL, "%g tokens are no measurable work",
				    tokens);
	return fs_train_check_run_time(wall_s, gpus, g->name, e);
}

enum fs_status fs_run_job_time(const struct fs_scenario *sc, const struct fs_gpu *g,
			       struct fs_train_memo *memo, const struct fs_llm *model, int gpus,
			       const struct fs_train_opts *opts, double tokens, double *work_s,
			       double *wall_s, struct fs_error *e)
{
	const struct train_model *tm = train_model_of(sc);
	struct fs_failure_params fp;
	struct shape_time t;
	enum fs_status st;

	fs_run_failure_params(sc, g, &fp);
	if ((st = tm->shape(g, memo, model, gpus, opts, &fp, &t, e)))
		return st;
	tm->times(&t, tokens, work_s, wall_s);
	return check_times(tokens, *work_s, *wall_s, gpus, g, e);
}

/* ---- job times cached per shape and pool ------------------------------------ */

struct shape_slot {
	const struct fs_llm *model;     /* NULL: empty slot */
	int gpus;
	int seq_len;
	int precision;
	int method;                     /* training method and adapter rank */
	int lora_rank;
	int stack;                      /* software stack */
	int pool;
	enum fs_status st;              /* FS_OK or FS_ERR_INFEASIBLE */
	struct shape_time t;
};

/* Open addressing, power-of-two size, at most half full. Lookups are exact,
 * so the hash (which sees catalog indices, not addresses) decides nothing. */
struct shape_cache {
	struct shape_slot *slots;
	size_t mask, used;
};

static size_t shape_hash(size_t model_idx, int gpus, const struct fs_train_opts *o, int pool)
{
	uint64_t h = (uint64_t)model_idx * 0x9e3779b97f4a7c15ull;

	h ^= (uint64_t)(uint32_t)gpus * 0xc2b2ae3d27d4eb4full;
	h ^= (uint64_t)(uint32_t)o->seq_len * 0x165667b19e3779f9ull;
	h ^= (uint64_t)o->precision * 0x27d4eb2f165667c5ull;
	h ^= (uint64_t)(uint32_t)(o->method * 65537 + o->lora_rank) * 0x94d049bb133111ebull;
	h ^= (uint64_t)(uint32_t)o->stack * 0xd6e8feb86659fd93ull;
	h ^= (uint64_t)(uint32_t)pool * 0xff51afd7ed558ccdull;
	return (size_t)(h ^ (h >> 29));
}

static int shape_cache_init(struct shape_cache *c, size_t cap_pow2)
{
	c->slots = calloc(cap_pow2, sizeof(*c->slots));
	c->mask = cap_pow2 - 1;
	c->used = 0;
	return c->slots ? 0 : -1;
}

static struct shape_slot *shape_find(const struct shape_cache *c, size_t model_idx,
				     const struct fs_llm *model, int gpus,
				     const struct fs_train_opts *o, int pool)
{
	size_t i = shape_hash(model_idx, gpus, o, pool) & c->mask;

	for (;; i = (i + 1) & c->mask) {
		struct shape_slot *s = &c->slots[i];
		if (!s->model || (s->model == model && s->gpus == gpus && s->seq_len == o->seq_len &&
				  s->precision == (int)o->precision && s->method == o->method &&
				  s->lora_rank == o->lora_rank && s->stack == o->stack && s->pool == pool))
			return s;
	}
}

static int shape_cache_grow(struct shape_cache *c, const struct fs_llm *base)
{
	struct shape_cache n;

	if (shape_cache_init(&n, (c->mask + 1) * 2))
		return -1;
	for (size_t i = 0; i <= c->mask; i++) {
		const struct shape_slot *s = &c->slots[i];
		struct fs_train_opts o = { s->seq_len, (enum fs_precision)s->precision, s->method,
					   s->lora_rank, s->stack };
		if (s->model)
			*shape_find(&n, (size_t)(s->model - base), s->model, s->gpus, &o, s->pool) = *s;
	}
	n.used = c->used;
	free(c->slots);
	*c = n;
	return 0;
}

/* ---- the run ------------------------------------------------------------- */

/* A service while the run lasts: its pool, its plan there, its replicas. */
struct svc_run {
	const struct fs_service_spec *spec;
	const struct fs_service_plan *plan; /* on pool; NULL: no pool can serve it */
	int pool;            /* -1: none */
	int hold;            /* reserved: replicas held (reserved_gpus / tp); shared: 0 */
	int max_rep;         /* room in pl: the pool's most GPUs / tp */
	int n_pl;            /* replicas placed */
	int32_t *pl;         /* one fleet placement per replica (a TP group in one node) */
};

/* Per-job state while it waits and runs. */
struct job_state {
	double work_s;       /* useful training seconds the whole job needs on its pool */
	double work_left_s;  /* since the last checkpoint */
	double frac_left;    /* share of its tokens still to train (1 until it is stopped) */
	double seg_start_s;  /* wall time the current segment began */
	double held_since_s; /* when it took its current GPUs */
	double tau_s;        /* training seconds between checkpoints */
	uint64_t ev;         /* its pending end, failure or restart while it holds GPUs */
	int32_t placement;   /* fleet placement while it holds GPUs */
	uint32_t n_fail_stuck; /* failures in a row that kept no work */
	bool started;
	bool in_restart;     /* holding its GPUs for a restart */
};

struct run {
	const struct fs_scenario *sc;
	uint64_t seed;
	const struct fs_fleet_opt *fl;
	const struct train_model *tm;
	const struct fs_sched_policy *pol;
	const struct fs_pool_choice *choice;
	void *pol_state;
	struct fs_evq *q;
	int n_pools;
	struct fs_pool_spec spec[FS_MAX_POOLS];
	struct fs_fleet fleet[FS_MAX_POOLS];
	struct fs_failures fail[FS_MAX_POOLS];
	int serving[FS_MAX_POOLS];     /* GPUs held by service replicas */
	double usd_per_gpu_hour[FS_MAX_POOLS];
	int node_base[FS_MAX_POOLS + 1]; /* global node ids (node events' subject) */
	int32_t *owners;               /* scratch: owners on one node */
	struct fs_node_failures nf;
	struct fs_recorder rec;
	struct fs_train_memo *memo;
	struct shape_cache shapes;
	struct job_state *js;
	struct fs_job_result *jobs;
	const struct fs_arrival *arr; /* the workload's, per job: asked GPU type, estimate factor */
	size_t n_jobs;
	size_t n_waiting;    /* submitted, not yet picked */
	size_t jobs_left;    /* not yet finished or rejected */
	size_t procure_left; /* procurement steps still to come */
	int running;
	uint32_t *run_list;  /* running jobs (holding GPUs), [0, running); order of starts and swaps */
	uint32_t *run_pos;   /* [n_jobs] index in run_list */
	int *team_gpus;      /* [sc->n_teams] GPUs held by each team's running jobs (quotas) */
	/* services (none: every field below stays 0) */
	struct svc_run *svc;
	size_t n_svc;
	size_t n_ticks;      /* serving intervals in [0, horizon) */
	double *demand;      /* [n_ticks x n_svc], time-major: mean rps of each interval */
	struct fs_service_point *pts; /* [n_ticks x n_svc] */
	struct fs_service_memo *smemo;
	int32_t *vic_pl;     /* scratch [n_jobs]: preemption candidates' placements */
	uint32_t *vic_job;   /* scratch [n_jobs]: and their jobs */
	char svc_warning[256];
};

/* Seconds to the engine's nanoseconds; s is finite and within the limit
 * (callers check with fits_s), so the product cannot overflow. */
static int64_t to_ns(double s)
{
	assert(s >= 0 && s <= FS_RUN_MAX_SIM_S);
	return (int64_t)llround(s * (double)FS_NS_PER_S);
}

/* Whether dt_s from now_s stays within the simulated-time limit. */
static bool fits_s(double now, double dt_s)
{
	return dt_s >= 0 && dt_s <= FS_RUN_MAX_SIM_S - now;
}

static double now_s(const struct run *r)
{
	return (double)fs_evq_now(r->q) / (double)FS_NS_PER_S;
}

static enum fs_status nomem(struct fs_error *e)
{
	return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
}

/* Rewrites e's message as about job idx on this run's fleet (the model's
 * messages do not know the job); keeps the code. */
static enum fs_status about_job(const struct run *r, uint32_t idx, struct fs_error *e)
{
	const struct fs_job_result *j = &r->jobs[idx];
	char name[96], msg[sizeof(e->msg)];

	snprintf(msg, sizeof(msg), "%s", e->msg);
	return fs_error_set(e, e->code, NULL, 0, NULL, "job '%s' on fleet '%s' (%d of %d %s GPUs): %s",
			    fs_workload_job_name(r->sc, j->source, j->seq, name, sizeof(name)),
			    r->fl->name, j->gpus, r->fl->n_gpus, r->fl->gpu->name, msg);
}

/* Whether job idx may run on pool p at all: its asked type, its size. */
static bool eligible(const struct run *r, uint32_t idx, int p)
{
	const struct fs_pool_spec *ps = &r->spec[p];
	const struct fs_gpu *asked = r->arr[idx].gpu;

	return (!asked || asked == ps->gpu) && r->jobs[idx].gpus <= ps->max_nodes * ps->gpus_per_node;
}

/* A replayed history job without a model: its time is the measured one
 * scaled to the pool's GPU (history.h, fs_history_time_ratio). */
static bool is_measured(const struct run *r, uint32_t idx)
{
	return r->arr[idx].model == NULL;
}

static double measured_s(const struct run *r, uint32_t idx, int p)
{
	const struct fs_arrival *a = &r->arr[idx];

	assert(a->duration_s > 0);
	return a->duration_s * fs_history_time_ratio(a->ref_gpu, r->spec[p].gpu);
}

static struct shape_slot *shape_of(const struct run *r, uint32_t idx, int p)
{
	const struct fs_job_result *j = &r->jobs[idx];

	return shape_find(&r->shapes, (size_t)(j->model - r->sc->catalog.llms), j->model, j->gpus,
			  j->opts, p);
}

/* The user's estimate of the wall time job still needs on pool p (sched.h). */
static double est_left_s(const void *ctx, uint32_t idx, int p)
{
	const struct run *r = ctx;
	const struct job_state *s = &r->js[idx];
	const struct shape_slot *slot;
	double work, wall;

	if (!eligible(r, idx, p))
		return INFINITY;
	if (is_measured(r, idx))
		return measured_s(r, idx, p) * s->frac_left *
		       (r->arr[idx].est_factor > 0 ? r->arr[idx].est_factor : 1.0);
	slot = shape_of(r, idx, p);
	assert(slot->model);        /* filled when the job was submitted */
	if (slot->st)
		return INFINITY;
	r->tm->times(&slot->t, r->jobs[idx].tokens * s->frac_left, &work, &wall);
	return wall * (r->arr[idx].est_factor > 0 ? r->arr[idx].est_factor : 1.0);
}

/* The job's shape on pool p, computed once per (shape, pool). */
static enum fs_status shape_fill(struct run *r, uint32_t idx, int p, const struct shape_slot **out,
				 struct fs_error *e)
{
	const struct fs_job_result *j = &r->jobs[idx];
	struct shape_slot *slot = shape_of(r, idx, p), cur = *slot;

	if (!cur.model) {
		cur = (struct shape_slot){ j->model, j->gpus, j->opts->seq_len,
					   (int)j->opts->precision, j->opts->method,
					   j->opts->lora_rank, j->opts->stack, p, FS_OK, { 0, 0 } };
		cur.st = r->tm->shape(r->spec[p].gpu, r->memo, j->model, j->gpus, j->opts,
				      &r->fail[p].fp, &cur.t, e);
		if (cur.st == FS_ERR_INFEASIBLE)
			fs_error_clear(e);
		else if (cur.st)
			return about_job(r, idx, e);
		*slot = cur;
		if (++r->shapes.used * 2 > r->shapes.mask + 1) {
			if (shape_cache_grow(&r->shapes, r->sc->catalog.llms))
				return nomem(e);
			slot = shape_of(r, idx, p);
		}
	}
	*out = slot;
	return FS_OK;
}

/* Whether job idx is larger than its team's quota: it could never start.
 * The loader refuses such explicit jobs and streams; this guards the rest. */
static bool above_quota(const struct run *r, uint32_t idx)
{
	int32_t t = r->jobs[idx].team;

	return t >= 0 && (size_t)t < r->sc->n_teams && r->sc->teams[t].quota_gpus > 0 &&
	       r->jobs[idx].gpus > r->sc->teams[t].quota_gpus;
}

/* The job's expected times on every eligible pool, or FS_JOB_INFEASIBLE
 * when it fits none; one model call per (shape, pool). */
static enum fs_status job_times(struct run *r, uint32_t idx, struct fs_error *e)
{
	struct fs_job_result *j = &r->jobs[idx];
	struct job_state *s = &r->js[idx];
	int n_ok = 0;
	char name[96];

	for (int p = 0; p < r->n_pools; p++) {
		const struct shape_slot *slot = NULL;
		double work, wall;
		enum fs_status st;

		if (!eligible(r, idx, p))
			continue;
		if (is_measured(r, idx)) {
			work = wall = measured_s(r, idx, p);
		} else {
			if ((st = shape_fill(r, idx, p, &slot, e)))
				return st;
			if (slot->st == FS_ERR_INFEASIBLE)
				continue;
			r->tm->times(&slot->t, j->tokens, &work, &wall);
		}
		/* the same checks `check` applies through fs_run_job_time */
		if (check_times(j->tokens, work, wall, j->gpus, r->spec[p].gpu, e))
			return about_job(r, idx, e);
		if (!(work > 0) || !isfinite(work))
			return fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL,
					    "job '%s': the training model gave %g s",
					    fs_workload_job_name(r->sc, j->source, j->seq, name,
								 sizeof(name)),
					    work);
		if (n_ok++ == 0) {
			s->work_s = work;
			j->run_s = wall;
		}
	}
	if (n_ok == 0 || above_quota(r, idx))
		j->status = FS_JOB_INFEASIBLE; /* rejected when picked; never holds GPUs */
	return FS_OK;
}

/* Queues an event of job idx dt_s from now (its handle in *id, if asked),
 * or fails when it would fall after the simulated-time limit (a queue or
 * failures pushed the job there). */
static enum fs_status push_job_event(struct run *r, uint32_t idx, double dt_s, int32_t prio,
				     uint32_t kind, uint64_t *id, struct fs_error *e)
{
	int64_t dt;
	uint64_t h;

	if (!fits_s(now_s(r), dt_s)) {
		fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
			     "it would still run %.4g days after day %.4g, past the simulated-time "
			     "limit of %g years",
			     dt_s / FS_SECONDS_PER_DAY, now_s(r) / FS_SECONDS_PER_DAY,
			     FS_RUN_MAX_SIM_S / (365.25 * FS_SECONDS_PER_DAY));
		return about_job(r, idx, e);
	}
	dt = to_ns(dt_s);
	if (dt < 1)
		dt = 1;
	if (!(h = fs_evq_push(r->q, fs_evq_now(r->q) + dt, prio, kind, idx, 0)))
		return nomem(e);
	if (id)
		*id = h;
	return FS_OK;
}

/* Schedules the job's end, or its next failure if one comes first. */
static enum fs_status run_segment(struct run *r, uint32_t idx, struct fs_error *e)
{
	struct job_state *s = &r->js[idx];
	struct fs_failures *f = &r->fail[r->jobs[idx].pool];
	double finish = fs_failures_wall_to_finish_s(f, s->work_left_s, s->tau_s);
	double fail = fs_failures_next_s(f, r->jobs[idx].gpus);
	uint32_t kind = EV_JOB_END;
	int32_t prio = PRIO_END;

	s->seg_start_s = now_s(r);
	s->in_restart = false;
	if (fail < finish) {
		finish = fail;
		kind = EV_JOB_FAIL;
		prio = PRIO_JOB;
	}
	return push_job_event(r, idx, finish, prio, kind, &s->ev, e);
}

static struct fs_sched_view view_of(const struct run *r)
{
	return (struct fs_sched_view){ .jobs = r->jobs, .n_jobs = r->n_jobs, .pools = r->fleet,
				       .n_pools = r->n_pools, .choice = r->choice,
				       .usd_per_gpu_hour = r->usd_per_gpu_hour, .now_s = now_s(r),
				       .est_left_s = est_left_s, .ctx = r, .teams = r->sc->teams,
				       .n_teams = r->sc->n_teams, .team_gpus = r->team_gpus };
}

/* Counts gpus (negative: gives back) against job idx's team, if it has one. */
static void team_hold(struct run *r, uint32_t idx, int gpus)
{
	int32_t t = r->jobs[idx].team;

	if (t >= 0 && (size_t)t < r->sc->n_teams) {
		r->team_gpus[t] += gpus;
		assert(r->team_gpus[t] >= 0);
		assert(r->sc->teams[t].quota_gpus <= 0 || r->team_gpus[t] <= r->sc->teams[t].quota_gpus);
	}
}

/* Job idx takes its GPUs on pool p and runs (first start or a restart after a stop). */
static enum fs_status begin_run(struct run *r, uint32_t idx, int p, struct fs_error *e)
{
	struct fs_job_result *j = &r->jobs[idx];
	struct job_state *s = &r->js[idx];
	double now = now_s(r);

	assert(eligible(r, idx, p));
	assert(j->gpus <= fs_fleet_gpus_free(&r->fleet[p]));
	if (!s->started) {
		s->started = true;
		j->start_s = now;
	}
	j->pool = p;
	if (is_measured(r, idx)) {
		s->work_s = j->run_s = measured_s(r, idx, p);
	} else {
		const struct shape_slot *slot = shape_of(r, idx, p);
		assert(slot->model && slot->st == FS_OK);
		r->tm->times(&slot->t, j->tokens, &s->work_s, &j->run_s);
	}
	s->work_left_s = s->frac_left == 1.0 ? s->work_s : s->work_s * s->frac_left;
	s->placement = fs_fleet_alloc(&r->fleet[p], j->gpus, (int32_t)idx);
	s->held_since_s = now;
	s->n_fail_stuck = 0;
	s->tau_s = fs_failures_tau_s(&r->fail[p], j->gpus);
	r->run_pos[idx] = (uint32_t)r->running;
	r->run_list[r->running++] = idx;
	team_hold(r, idx, j->gpus);
	return run_segment(r, idx, e);
}

/* Starts the jobs the policy picks until it picks none. */
static enum fs_status start_picked(struct run *r, struct fs_error *e)
{
	struct fs_sched_view v = view_of(r);
	uint32_t idx;
	int p = -1;
	enum fs_status st;

	while ((idx = r->pol->pick(r->pol_state, &v, &p)) != FS_SCHED_NONE) {
		struct fs_job_result *j = &r->jobs[idx];

		assert(idx < r->n_jobs && r->n_waiting > 0);
		r->n_waiting--;
		if (j->status == FS_JOB_INFEASIBLE) {
			j->start_s = j->end_s = v.now_s;
			j->wait_s = j->tts_s = j->gpu_hours = j->run_s = 0.0;
			r->jobs_left--;
			continue;
		}
		assert(p >= 0 && p < r->n_pools);
		if ((st = begin_run(r, idx, p, e)))
			return st;
	}
	return FS_OK;
}

static enum fs_status on_submit(struct run *r, uint32_t idx, struct fs_error *e)
{
	struct fs_sched_view v;
	enum fs_status st;

	if (r->jobs[idx].status == FS_JOB_CANCELLED) {
		/* cancelled before it started: recorded, never queued */
		struct fs_job_result *j = &r->jobs[idx];
		j->start_s = j->end_s = j->submit_s;
		j->wait_s = j->tts_s = j->gpu_hours = j->run_s = 0.0;
		r->jobs_left--;
		return FS_OK;
	}
	if ((st = job_times(r, idx, e)))
		return st;
	v = view_of(r);
	r->n_waiting++;
	r->pol->on_submit(r->pol_state, &v, idx);
	return FS_OK;
}

/* Gives job idx's GPUs back, counting the GPU-hours it held them. */
static void release_gpus(struct run *r, uint32_t idx)
{
	struct fs_job_result *j = &r->jobs[idx];
	struct job_state *s = &r->js[idx];

	j->gpu_hours += j->gpus * (now_s(r) - s->held_since_s) / 3600.0;
	fs_fleet_release(&r->fleet[j->pool], s->placement);
	s->placement = -1;
	team_hold(r, idx, -j->gpus);
	r->running--;
	assert(r->running >= 0);
	{
		uint32_t pos = r->run_pos[idx], last = r->run_list[r->running];

		r->run_list[pos] = last;
		r->run_pos[last] = pos;
	}
}

static enum fs_status on_end(struct run *r, uint32_t idx)
{
	struct fs_job_result *j = &r->jobs[idx];
	struct fs_sched_view v;

	j->end_s = now_s(r);
	j->wait_s = j->start_s - j->submit_s;
	j->tts_s = j->end_s - j->submit_s;
	release_gpus(r, idx);
	r->jobs_left--;
	v = view_of(r);
	r->pol->on_free(r->pol_state, &v, idx);
	return FS_OK;
}

/* A failure: keep the checkpointed work, hold the GPUs for the restart. */
static enum fs_status on_fail(struct run *r, uint32_t idx, struct fs_error *e)
{
	struct fs_job_result *j = &r->jobs[idx];
	struct job_state *s = &r->js[idx];
	double lost_s;
	double left = fs_failures_work_left_s(&r->fail[j->pool], s->work_left_s, s->tau_s,
					      now_s(r) - s->seg_start_s, &lost_s);

	/* fs_failure_check_progress admitted the job, so a long run of
	 * failures that keep nothing is (far) less likely than a broken model */
	s->n_fail_stuck = left < s->work_left_s ? 0 : s->n_fail_stuck + 1;
	if (s->n_fail_stuck > FS_RUN_MAX_FAILS_NO_PROGRESS) {
		fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL,
			     "failed %u times in a row without reaching a checkpoint "
			     "(checkpoint every %.4g s, job MTBF %.4g s)",
			     (unsigned)s->n_fail_stuck, s->tau_s,
			     fs_failure_job_mtbf_s(&r->fail[j->pool].fp, j->gpus));
		return about_job(r, idx, e);
	}
	s->work_left_s = left;
	j->gpu_hours_lost += j->gpus * lost_s / 3600.0;
	if (j->restarts < INT_MAX)
		j->restarts++;
	s->in_restart = true;
	return push_job_event(r, idx, r->fail[j->pool].fp.restart_s, PRIO_JOB, EV_JOB_RESTART, &s->ev,
			      e);
}

/*
 * Stops running job idx now (its node failed, or later a service takes its
 * GPUs): the work since its last checkpoint is lost, its GPUs go back, and it
 * waits again at the head of its class. The primitive a preempting service
 * tick uses (with preempted = true).
 */
static enum fs_status stop_job(struct run *r, uint32_t idx, bool preempted, struct fs_error *e)
{
	struct fs_job_result *j = &r->jobs[idx];
	struct job_state *s = &r->js[idx];
	struct fs_sched_view v;

	if (!fs_evq_cancel(r->q, s->ev))
		return nomem(e);    /* a running job always has an event pending */
	if (!s->in_restart) {
		double lost_s;

		s->work_left_s = fs_failures_left_after_s(&r->fail[j->pool], s->work_left_s, s->tau_s,
							  now_s(r) - s->seg_start_s, &lost_s);
		j->gpu_hours_lost += j->gpus * lost_s / 3600.0;
	}
	s->frac_left = s->work_left_s / s->work_s;
	release_gpus(r, idx);
	if (preempted) {
		if (j->preemptions < INT_MAX)
			j->preemptions++;
	} else if (j->restarts < INT_MAX) {
		j->restarts++;
	}
	r->n_waiting++;
	v = view_of(r);
	r->pol->on_requeue(r->pol_state, &v, idx);
	return FS_OK;
}

/* ---- services --------------------------------------------------------------- */

/* Gives back replica i of service s (the last one unless a node failed under it). */
static void svc_release(struct run *r, struct svc_run *v, int i)
{
	fs_fleet_release(&r->fleet[v->pool], v->pl[i]);
	r->serving[v->pool] -= v->plan->tp;
	v->pl[i] = v->pl[--v->n_pl];
	assert(r->serving[v->pool] >= 0);
}

/* Places up to k replicas of service s from free GPUs; returns how many. */
static int svc_place_free(struct run *r, size_t s, int k)
{
	struct svc_run *v = &r->svc[s];
	struct fs_fleet *f = &r->fleet[v->pool];
	int tp = v->plan->tp, fit = fs_fleet_groups_free(f, tp), n = 0;

	for (; n < k && n < fit; n++) {
		int32_t h = fs_fleet_alloc_group(f, 1, tp, (int32_t)(r->n_jobs + s));

		assert(h >= 0);
		v->pl[v->n_pl++] = h;
		r->serving[v->pool] += tp;
	}
	return n;
}

/* Preemption order: lowest priority first, then the latest to take its GPUs. */
static int victim_cmp(const void *a, const void *b, const struct run *r)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int px = r->jobs[x].priority, py = r->jobs[y].priority;
	double hx = r->js[x].held_since_s, hy = r->js[y].held_since_s;

	if (px != py)
		return px < py ? -1 : 1;
	if (hx != hy)
		return hx > hy ? -1 : 1;
	return x > y ? -1 : (x < y ? 1 : 0);
}

/* Insertion sort (deterministic, no allocation; candidate lists are short). */
static void sort_victims(const struct run *r, uint32_t *v, int n)
{
	for (int i = 1; i < n; i++) {
		uint32_t x = v[i];
		int k = i;

		while (k > 0 && victim_cmp(&v[k - 1], &x, r) > 0) {
			v[k] = v[k - 1];
			k--;
		}
		v[k] = x;
	}
}

/*
 * Service s still lacks `need` replicas and may preempt: stops the fewest
 * running jobs of lower priority on its pool (fs_fleet_victims) that make
 * room for as many of them as stopping can, then places them.
 */
static enum fs_status svc_preempt(struct run *r, size_t s, int need, struct fs_error *e)
{
	struct svc_run *v = &r->svc[s];
	struct fs_fleet *f = &r->fleet[v->pool];
	int n = 0, k = -1;
	enum fs_status st;

	for (int i = 0; i < r->running; i++) {
		uint32_t idx = r->run_list[i];

		if (r->jobs[idx].pool == v->pool && r->jobs[idx].priority < v->spec->priority)
			r->vic_job[n++] = idx;
	}
	if (n == 0)
		return FS_OK;
	sort_victims(r, r->vic_job, n);
	for (int i = 0; i < n; i++)
		r->vic_pl[i] = r->js[r->vic_job[i]].placement;
	for (; need > 0 && (k = fs_fleet_victims(f, need, v->plan->tp, r->vic_pl, n)) < 0; need--)
		;
	if (need <= 0 || k <= 0)
		return FS_OK;
	for (int i = 0; i < k; i++)
		if ((st = stop_job(r, r->vic_job[i], true, e)))
			return st;
	n = svc_place_free(r, s, need);
	assert(n == need);
	(void)n;
	return FS_OK;
}

/* Length of serving interval k: the last one ends at the horizon. */
static double tick_len_s(const struct run *r, size_t k)
{
	double t0 = (double)k * r->sc->serving.interval_s;

	return fmin(t0 + r->sc->serving.interval_s, r->sc->horizon_s) - t0;
}

/*
 * Serving interval k: each service (in scenario order) sizes its replicas
 * for the interval's mean demand; reserved services hold their replicas,
 * shared ones take free GPUs and, when allowed, preempt lower-priority
 * training; replicas no longer wanted go back. Tick n_ticks (at the
 * horizon) gives every replica back.
 */
static enum fs_status on_svc_tick(struct run *r, uint32_t k, struct fs_error *e)
{
	enum fs_status st;

	for (size_t s = 0; s < r->n_svc; s++) {
		struct svc_run *v = &r->svc[s];
		struct fs_service_point *pt;
		double demand, len_s;
		int wanted, target;

		if (k >= r->n_ticks) {
			while (v->n_pl > 0)
				svc_release(r, v, v->n_pl - 1);
			continue;
		}
		demand = r->demand[k * r->n_svc + s];
		len_s = tick_len_s(r, k);
		pt = &r->pts[k * r->n_svc + s];
		*pt = (struct fs_service_point){ (uint32_t)s, (double)k * r->sc->serving.interval_s,
						 demand, -1, 0, 0, 0, 0.0,
						 demand > 0 ? 0.0 : 1.0, 0.0, 0.0 };
		if (!v->plan)
			continue;
		wanted = fs_service_replicas_needed(v->plan, demand);
		target = v->hold > 0 ? v->hold : wanted;
		if (target > v->max_rep)
			target = v->max_rep;
		while (v->n_pl > target)
			svc_release(r, v, v->n_pl - 1);
		if (v->n_pl < target) {
			int short_by = target - v->n_pl - svc_place_free(r, s, target - v->n_pl);

			if (short_by > 0 && v->spec->preempt_training &&
			    (st = svc_preempt(r, s, short_by, e)))
				return st;
		}
		pt->pool = v->pool;
		pt->tp = v->plan->tp;
		pt->replicas_wanted = wanted;
		pt->replicas_granted = v->n_pl < wanted ? v->n_pl : wanted;
		pt->capacity_rps = v->n_pl * v->plan->capacity_rps;
		pt->attainment_frac = fs_service_attainment(v->plan, demand, v->n_pl);
		pt->served_rps = pt->attainment_frac * demand;
		pt->output_tokens = pt->served_rps * len_s * v->plan->output_tokens_per_req;
	}
	if (k >= r->n_ticks)
		return FS_OK;
	{
		double next = fmin((double)(k + 1) * r->sc->serving.interval_s, r->sc->horizon_s);

		if (!fs_evq_push(r->q, to_ns(next), PRIO_END, EV_SVC_TICK, k + 1, 0))
			return nomem(e);
	}
	return FS_OK;
}

/* Node `node` of pool p failed under service s's replicas: they are lost
 * until the next tick places them again. */
static void svc_node_fail(struct run *r, size_t s, int p, int node)
{
	struct svc_run *v = &r->svc[s];

	assert(v->pool == p);
	(void)p;
	for (int i = v->n_pl - 1; i >= 0; i--)
		if (r->fleet[v->pool].chunks[v->pl[i]].node == node)
			svc_release(r, v, i);
}

/* Schedules the next failure of node `gid` (global id), if node failures are on. */
static enum fs_status arm_node(struct run *r, uint32_t gid, struct fs_error *e)
{
	double dt;

	if (!r->nf.enabled)
		return FS_OK;
	dt = fs_node_failures_next_s(&r->nf);
	if (!fits_s(now_s(r), dt))
		return FS_OK;       /* not within the simulated-time limit: never */
	if (!fs_evq_push(r->q, fs_evq_now(r->q) + (to_ns(dt) > 0 ? to_ns(dt) : 1), PRIO_END,
			 EV_NODE_FAIL, gid, 0))
		return nomem(e);
	return FS_OK;
}

static int pool_of_node(const struct run *r, uint32_t gid, int *node)
{
	int p = 0;

	while (p + 1 < r->n_pools && (int)gid >= r->node_base[p + 1])
		p++;
	*node = (int)gid - r->node_base[p];
	return p;
}

/* A node fails: its jobs stop and wait again, the node is down for repair. */
static enum fs_status on_node_fail(struct run *r, uint32_t gid, struct fs_error *e)
{
	int node, p = pool_of_node(r, gid, &node), n;
	struct fs_fleet *f = &r->fleet[p];
	enum fs_status st;

	if (f->state[node] != FS_NODE_UP)
		return FS_OK;       /* retired while its failure was pending */
	r->nf.n_failures++;
	n = fs_fleet_owners_on(f, node, r->owners);
	for (int i = 0; i < n; i++) {
		/* owners >= n_jobs are service replicas: lost until the next tick */
		if ((size_t)r->owners[i] >= r->n_jobs) {
			svc_node_fail(r, (size_t)r->owners[i] - r->n_jobs, p, node);
			continue;
		}
		if ((st = stop_job(r, (uint32_t)r->owners[i], false, e)))
			return st;
	}
	/* a draining node retires when its last job leaves */
	if (f->state[node] != FS_NODE_UP || !fs_fleet_node_down(f, node))
		return FS_OK;
	if (!fits_s(now_s(r), r->nf.repair_s))
		return FS_OK;
	if (!fs_evq_push(r->q, fs_evq_now(r->q) + to_ns(r->nf.repair_s), PRIO_END, EV_NODE_REPAIR,
			 gid, 0))
		return nomem(e);
	return FS_OK;
}

static enum fs_status on_node_repair(struct run *r, uint32_t gid, struct fs_error *e)
{
	int node, p = pool_of_node(r, gid, &node);

	if (r->fleet[p].state[node] != FS_NODE_DOWN)
		return FS_OK;       /* retired while down */
	fs_fleet_node_up(&r->fleet[p], node);
	return arm_node(r, gid, e);
}

/* Procurement step k: nodes added (free at once) or retired (idle first, busy ones drain). */
static enum fs_status on_procure(struct run *r, uint32_t k, struct fs_error *e)
{
	const struct fs_procure_spec *ps = &r->fl->procure[k];
	struct fs_fleet *f = &r->fleet[ps->pool];
	enum fs_status st;

	r->procure_left--;
	if (ps->delta_nodes < 0) {
		fs_fleet_retire_nodes(f, -ps->delta_nodes);
		return FS_OK;
	}
	if (ps->delta_nodes > 0) {
		int first = fs_fleet_add_nodes(f, ps->delta_nodes);
		for (int n = first; n < first + ps->delta_nodes; n++)
			if ((st = arm_node(r, (uint32_t)(r->node_base[ps->pool] + n), e)))
				return st;
	}
	return FS_OK;
}

static enum fs_status dispatch(struct run *r, const struct fs_event *ev, struct fs_error *e)
{
	switch (ev->kind) {
	case EV_JOB_SUBMIT:
		assert(ev->subject < r->n_jobs);
		return on_submit(r, ev->subject, e);
	case EV_JOB_END:
		assert(ev->subject < r->n_jobs);
		return on_end(r, ev->subject);
	case EV_JOB_FAIL:
		assert(ev->subject < r->n_jobs);
		return on_fail(r, ev->subject, e);
	case EV_JOB_RESTART:
		assert(ev->subject < r->n_jobs);
		return run_segment(r, ev->subject, e);
	case EV_PROCURE:
		return on_procure(r, ev->subject, e);
	case EV_NODE_FAIL:
		return on_node_fail(r, ev->subject, e);
	case EV_NODE_REPAIR:
		return on_node_repair(r, ev->subject, e);
	case EV_SVC_TICK:
		return on_svc_tick(r, ev->subject, e);
	default:
		assert(!"unknown event kind");
		return fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL, "internal: event kind %u",
				    (unsigned)ev->kind);
	}
}

/* Copies the workload into r's jobs and queues the submissions. */
static enum fs_status load_jobs(struct run *r, const struct fs_workload *w, struct fs_error *e)
{
	for (size_t i = 0; i < r->n_jobs; i++) {
		const struct fs_arrival *a = &w->jobs[i];
		struct fs_job_result *j = &r->jobs[i];

		assert(a->gpus >= 1);
		j->source = a->source;
		j->seq = a->seq;
		j->model = a->model;
		j->opts = a->opts;
		j->gpus = a->gpus;
		j->priority = a->priority;
		j->team = a->team;
		j->pool = -1;
		j->tokens = a->tokens;
		if (a->cancelled)
			j->status = FS_JOB_CANCELLED;
		r->js[i].frac_left = 1.0;
		r->js[i].placement = -1;
		/* times live on the engine's nanosecond grid */
		j->submit_s = (double)to_ns(a->submit_s) / (double)FS_NS_PER_S;
		if (!fs_evq_push(r->q, to_ns(j->submit_s), PRIO_SUBMIT, EV_JOB_SUBMIT, (uint32_t)i, 0))
			return nomem(e);
	}
	return FS_OK;
}

/* Procurement steps and every node's first failure. */
static enum fs_status load_fleet_events(struct run *r, struct fs_error *e)
{
	enum fs_status st;

	for (size_t k = 0; k < r->fl->n_procure; k++) {
		const struct fs_procure_spec *ps = &r->fl->procure[k];

		if (!fits_s(0.0, ps->at_s))
			continue;
		if (!fs_evq_push(r->q, to_ns(ps->at_s), PRIO_END, EV_PROCURE, (uint32_t)k, 0))
			return nomem(e);
		r->procure_left++;
	}
	for (int p = 0; p < r->n_pools; p++)
		for (int n = 0; n < r->fleet[p].n_nodes; n++)
			if ((st = arm_node(r, (uint32_t)(r->node_base[p] + n), e)))
				return st;
	return FS_OK;
}

static void pool_gpus(const struct run *r, struct fs_pool_gpus *out)
{
	for (int p = 0; p < r->n_pools; p++) {
		const struct fs_fleet *f = &r->fleet[p];

		out[p] = (struct fs_pool_gpus){ f->gpus_total, f->gpus_down,
						f->gpus_busy - r->serving[p], r->serving[p],
						fs_fleet_gpus_fragmented(f) };
	}
}

static bool is_fleet_event(uint32_t kind)
{
	return kind == EV_NODE_FAIL || kind == EV_NODE_REPAIR;
}

static enum fs_status run_events(struct run *r, struct fs_error *e)
{
	struct fs_pool_gpus pg[FS_MAX_POOLS];
	struct fs_event ev, nx;
	enum fs_status st;
	bool changed = false;

	while (fs_evq_pop(r->q, &ev)) {
		/* node failures go on for ever: once every job is done and the
		 * horizon passed, the rest of the queue is theirs */
		if (is_fleet_event(ev.kind) && r->jobs_left == 0 && r->procure_left == 0 &&
		    now_s(r) > r->sc->horizon_s)
			break;
		pool_gpus(r, pg);
		if ((st = fs_recorder_advance(&r->rec, now_s(r), pg, r->running, r->n_waiting, e)))
			return st;
		if ((st = dispatch(r, &ev, e)))
			return st;
		assert(r->running >= 0 && r->n_waiting <= r->n_jobs);
		/* restarts and job failures change no GPU count: nothing new can start */
		changed |= ev.kind != EV_JOB_FAIL && ev.kind != EV_JOB_RESTART;
		/* The policy picks once every event of this instant is in: ends
		 * (and other frees) first, then the submissions, then the starts,
		 * so a job never takes GPUs that a simultaneous end frees for an
		 * earlier one, and jobs arriving together are ranked together. */
		if (changed && !(fs_evq_peek(r->q, &nx) && nx.t_ns == ev.t_ns)) {
			changed = false;
			if ((st = start_picked(r, e)))
				return st;
		}
	}
	for (int p = 0; p < r->n_pools; p++)
		fs_fleet_check(&r->fleet[p]);
	if (r->n_waiting != 0 || r->running != 0)
		return fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL,
				    "%zu of %zu jobs never started on fleet '%s' under policy '%s' "
				    "(the nodes they need were retired or never installed)",
				    r->n_waiting, r->n_jobs, r->fl->name, r->pol->name);
	return FS_OK;
}

/* The recorder prices each interval with the option's cost spec. */
static enum fs_status price_pools(struct run *r)
{
	r->rec.cost = &r->fl->cost;
	for (int p = 0; p < r->n_pools; p++)
		r->rec.gpu[p] = r->spec[p].gpu;
	return FS_OK;
}

/* The fleet option's pools; an option without a pool list is its one GPU type. */
static enum fs_status setup_pools(struct run *r, struct fs_error *e)
{
	const struct fs_fleet_opt *fl = r->fl;
	int gpn_max = 1;
	enum fs_status st;

	if (fl->n_pools >= 1) {
		r->n_pools = fl->n_pools;
		memcpy(r->spec, fl->pools, (size_t)fl->n_pools * sizeof(fl->pools[0]));
	} else {
		r->n_pools = 1;
		r->spec[0] = (struct fs_pool_spec){ fl->gpu, fl->nodes, fl->gpus_per_node, fl->nodes,
						    fl->line };
	}
	assert(r->n_pools <= FS_MAX_POOLS);
	for (size_t k = 0; k < fl->n_procure; k++)
		assert(fl->procure[k].pool >= 0 && fl->procure[k].pool < r->n_pools);
	for (int p = 0; p < r->n_pools; p++) {
		struct fs_pool_spec *ps = &r->spec[p];
		int most = ps->nodes;    /* the loader's max_nodes, or t = 0 plus every step that adds */

		for (size_t k = 0; k < fl->n_procure; k++)
			if (fl->procure[k].pool == p && fl->procure[k].delta_nodes > 0)
				most += fl->procure[k].delta_nodes;
		if (ps->max_nodes < most)
			ps->max_nodes = most;
		r->node_base[p + 1] = r->node_base[p] + (ps->max_nodes > 0 ? ps->max_nodes : 1);
		if (ps->gpus_per_node > gpn_max)
			gpn_max = ps->gpus_per_node;
		r->usd_per_gpu_hour[p] = fs_cost_usd_per_gpu_hour(&fl->cost, ps->gpu);
		if ((st = fs_fleet_init_max(&r->fleet[p], ps->nodes, ps->max_nodes > 0 ? ps->max_nodes : 1,
					    ps->gpus_per_node, e)) ||
		    (st = fs_failures_init(&r->fail[p], r->sc, ps->gpu, p, r->seed, e)))
			return st;
	}
	r->owners = malloc((size_t)gpn_max * sizeof(*r->owners));
	return r->owners ? FS_OK : nomem(e);
}

/*
 * The scenario's services on this fleet: each one's pool (its `gpu` type's
 * pool, else the first pool in the option's order whose GPUs can serve it)
 * and plan there, designed for its peak demand over [0, horizon); the mean
 * demand of every serving interval; the first tick at t = 0. A service no
 * pool can serve gets no replicas (its demand goes unserved) and is named in
 * svc_warning.
 */
static enum fs_status setup_services(struct run *r, struct fs_error *e)
{
	const struct fs_scenario *sc = r->sc;
	enum fs_status st;

	r->n_svc = sc->serving.n_services;
	if (r->n_svc == 0)
		return FS_OK;
	assert(sc->serving.interval_s > 0);
	r->n_ticks = (size_t)ceil(sc->horizon_s / sc->serving.interval_s);
	if (r->n_ticks == 0)
		r->n_ticks = 1;
	r->svc = calloc(r->n_svc, sizeof(*r->svc));
	r->demand = malloc(r->n_ticks * r->n_svc * sizeof(*r->demand));
	r->pts = calloc(r->n_ticks * r->n_svc, sizeof(*r->pts));
	r->vic_pl = malloc((r->n_jobs ? r->n_jobs : 1) * sizeof(*r->vic_pl));
	r->vic_job = malloc((r->n_jobs ? r->n_jobs : 1) * sizeof(*r->vic_job));
	if (!r->svc || !r->demand || !r->pts || !r->vic_pl || !r->vic_job ||
	    (!r->smemo && fs_service_memo_create(&r->smemo)))
		return nomem(e);
	for (size_t s = 0; s < r->n_svc; s++) {
		const struct fs_service_spec *spec = &sc->serving.services[s];
		struct svc_run *v = &r->svc[s];
		double design = fs_service_design_rps(spec, sc->horizon_s);
		char why[sizeof(e->msg)] = "no pool of its GPU type";

		v->spec = spec;
		v->pool = -1;
		for (int p = 0; p < r->n_pools && !v->plan; p++) {
			const struct fs_pool_spec *ps = &r->spec[p];

			if (spec->gpu && spec->gpu != ps->gpu)
				continue;
			st = fs_service_plan_get(r->smemo, spec, ps->gpu, ps->gpus_per_node, design,
						 &v->plan, e);
			if (st == FS_ERR_INFEASIBLE) {
				snprintf(why, sizeof(why), "%s", e->msg);
				fs_error_clear(e);
				v->plan = NULL;
				continue;
			}
			if (st)
				return st;
			v->pool = p;
		}
		for (size_t k = 0; k < r->n_ticks; k++) {
			double t0 = (double)k * sc->serving.interval_s;

			r->demand[k * r->n_svc + s] =
				fs_demand_mean_rps(&spec->demand, t0, t0 + tick_len_s(r, k));
		}
		if (!v->plan) {
			size_t len = strlen(r->svc_warning);

			snprintf(r->svc_warning + len, sizeof(r->svc_warning) - len,
				 "%sservice '%s' has no replicas on fleet '%s': %s", len ? "; " : "",
				 spec->name, r->fl->name, why);
			continue;
		}
		v->max_rep = r->spec[v->pool].max_nodes * r->spec[v->pool].gpus_per_node / v->plan->tp;
		if (spec->reserved_gpus > 0)
			v->hold = spec->reserved_gpus / v->plan->tp > 0 ? spec->reserved_gpus / v->plan->tp
									: 1;
		v->pl = malloc((size_t)(v->max_rep > 0 ? v->max_rep : 1) * sizeof(*v->pl));
		if (!v->pl)
			return nomem(e);
	}
	if (!fs_evq_push(r->q, 0, PRIO_END, EV_SVC_TICK, 0, 0))
		return nomem(e);
	return FS_OK;
}

/* The services' points and totals into out (which takes the points). */
static void finish_services(struct run *r, struct fs_run_result *out)
{
	double demand = 0.0, served = 0.0;

	out->sum.serve_attainment_frac = NAN;
	if (r->n_svc == 0)
		return;
	for (size_t i = 0; i < r->n_ticks * r->n_svc; i++) {
		const struct fs_service_point *pt = &r->pts[i];
		double len_s = tick_len_s(r, i / r->n_svc);

		demand += pt->demand_rps * len_s;
		served += pt->served_rps * len_s;
		out->sum.serve_output_tokens += pt->output_tokens;
	}
	if (demand > 0)
		out->sum.serve_attainment_frac = served / demand;
	out->svc = r->pts;
	out->n_svc = r->n_ticks * r->n_svc;
	r->pts = NULL;
	snprintf(out->svc_warning, sizeof(out->svc_warning), "%s", r->svc_warning);
}

/*
 * The units of cost (docs/MODELS.md, "Cost"): the run's cost over the
 * horizon split between training and serving by their GPU-hours within it,
 * per training job finished in the horizon and per million output tokens
 * served within the objectives; NAN where there is none.
 */
static void unit_costs(const struct run *r, struct fs_run_result *out)
{
	struct fs_run_summary *s = &out->sum;
	double used = 0.0, serving = 0.0;

	for (int p = 0; p < r->n_pools; p++) {
		used += r->rec.used_gpu_s_in_horizon[p];
		serving += r->rec.serving_gpu_s_in_horizon[p];
	}
	s->usd_per_training_job = s->usd_per_mtok_served = NAN;
	if (used <= 0)
		return;
	if (s->n_done_in_horizon > 0)
		s->usd_per_training_job = s->fleet_cost_usd * ((used - serving) / used) /
					  (double)s->n_done_in_horizon;
	if (s->serve_output_tokens > 0)
		s->usd_per_mtok_served = s->fleet_cost_usd * (serving / used) /
					 s->serve_output_tokens * 1e6;
}

enum fs_status fs_run_fleet_workload(const struct fs_scenario *sc, const struct fs_workload *w,
				     size_t fleet_idx, uint64_t seed, struct fs_run_result *out,
				     struct fs_error *e)
{
	return fs_run_fleet_workload_memo(sc, w, fleet_idx, seed, NULL, out, e);
}

enum fs_status fs_run_fleet_workload_memo(const struct fs_scenario *sc, const struct fs_workload *w,
					  size_t fleet_idx, uint64_t seed,
					  struct fs_service_memo *smemo, struct fs_run_result *out,
					  struct fs_error *e)
{
	struct run r = { 0 };
	bool own_smemo = smemo == NULL;
	struct fs_pool_gpus pg[FS_MAX_POOLS];
	struct timespec t0, t1;
	enum fs_status st;

	assert(fleet_idx < sc->n_fleets && sc->scheduler);
	memset(out, 0, sizeof(*out));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r.sc = sc;
	r.seed = seed;
	r.fl = &sc->fleets[fleet_idx];
	r.tm = train_model_of(sc);
	r.pol = sc->scheduler;
	r.smemo = smemo;
	r.choice = r.fl->pool_choice ? r.fl->pool_choice : fs_pool_choice_default();
	r.n_jobs = r.jobs_left = w->n;
	r.arr = w->jobs;
	r.jobs = calloc(w->n ? w->n : 1, sizeof(*r.jobs));
	r.js = calloc(w->n ? w->n : 1, sizeof(*r.js));
	r.run_list = malloc((w->n ? w->n : 1) * sizeof(*r.run_list));
	r.run_pos = malloc((w->n ? w->n : 1) * sizeof(*r.run_pos));
	r.team_gpus = calloc(sc->n_teams ? sc->n_teams : 1, sizeof(*r.team_gpus));
	if (!r.jobs || !r.js || !r.run_list || !r.run_pos || !r.team_gpus || fs_evq_create(&r.q, w->n + 16) || fs_train_memo_create(&r.memo, 4096) ||
	    shape_cache_init(&r.shapes, 64)) {
		st = nomem(e);
		goto out;
	}
	if ((st = setup_pools(&r, e)) || (st = fs_node_failures_init(&r.nf, sc, seed, e)) ||
	    (st = fs_recorder_init(&r.rec, sc, r.n_pools, e)) || (st = price_pools(&r)) ||
	    (st = r.pol->init(&r.pol_state, w->n, e)) || (st = load_jobs(&r, w, e)) ||
	    (st = load_fleet_events(&r, e)) || (st = setup_services(&r, e)) ||
	    (st = run_events(&r, e)))
		goto out;
	out->fleet = r.fl;
	out->seed = seed;
	out->horizon_s = sc->horizon_s;
	out->jobs = r.jobs;
	out->n_jobs = r.n_jobs;
	memcpy(out->usd_per_gpu_hour, r.usd_per_gpu_hour, sizeof(r.usd_per_gpu_hour));
	pool_gpus(&r, pg);
	if ((st = fs_recorder_finish(&r.rec, pg, out, e)) ||
	    (st = fs_recorder_summarize(out, sc, &r.rec, e))) {
		free(out->series);
		memset(out, 0, sizeof(*out));
		goto out;
	}
	r.jobs = NULL;      /* now out's */
	finish_services(&r, out);
	unit_costs(&r, out);
	out->sum.events = fs_evq_popped(r.q);
	for (int p = 0; p < r.n_pools; p++)
		out->sum.n_failures += r.fail[p].n_failures;
	out->sum.n_node_failures = r.nf.n_failures;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->wall_s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
out:
	r.pol->fini(r.pol_state);
	fs_recorder_fini(&r.rec);
	fs_node_failures_fini(&r.nf);
	for (int p = 0; p < FS_MAX_POOLS; p++) {
		if (r.fail[p].rng)
			fs_failures_fini(&r.fail[p]);
		if (r.fleet[p].free)
			fs_fleet_fini(&r.fleet[p]);
	}
	for (size_t s = 0; s < r.n_svc && r.svc; s++)
		free(r.svc[s].pl);
	free(r.svc);
	free(r.demand);
	free(r.pts);
	free(r.vic_pl);
	free(r.vic_job);
	if (own_smemo)
		fs_service_memo_destroy(r.smemo);
	free(r.run_list);
	free(r.run_pos);
	free(r.team_gpus);
	free(r.owners);
	free(r.shapes.slots);
	fs_train_memo_destroy(r.memo);
	fs_evq_destroy(r.q);
	free(r.js);
	free(r.jobs);
	return st;
}

enum fs_status fs_run_fleet(const struct fs_scenario *sc, size_t fleet_idx, uint64_t seed,
			    struct fs_run_result *out, struct fs_error *e)
{
	struct fs_workload w;
	enum fs_status st;

	memset(out, 0, sizeof(*out));
	if ((st = fs_workload_generate(sc, seed, &w, e)))
		return st;
	st = fs_run_fleet_workload(sc, &w, fleet_idx, seed, out, e);
	fs_workload_fini(&w);
	return st;
}

void fs_run_result_fini(struct fs_run_result *r)
{
	free(r->jobs);
	free(r->series);
	free(r->svc);
	memset(r, 0, sizeof(*r));
}
