/*
 * sched_easy.c - EASY backfilling (Lifka 1995; Mu'alem and Feitelson 2001):
 * jobs wait in arrival order; when the head job cannot start, it gets a
 * reservation at the earliest time enough GPUs of one eligible pool free up,
 * judged by the running jobs' estimated ends (the user's estimates: the
 * model's run time times the job's noise factor, sched.h). Later jobs may
 * start now if they fit and either run on another pool, or by their own
 * estimate end before the reservation (the shadow time), or use only GPUs
 * the head will not need at the shadow time (the extra GPUs).
 *
 * Worked case (one pool of 8 GPUs, exact estimates; test_sched.c checks
 * it): A (6 GPUs, 10 h) runs from 0; B (4 GPUs, 10 h) arrives at 1 h and
 * waits at the head: its shadow time is 10 h, when A's 6 GPUs come back, and
 * the extra GPUs then are 2 + 6 - 4 = 4. C (2 GPUs, 20 h) arrives at 2 h: it
 * would run past 10 h, but its 2 GPUs are within the extra 4, so it starts
 * at once (under fifo it waits until 10 h). E (1 GPU, 1 h) at 3 h finds no
 * GPU free and starts at 10 h beside B.
 *
 * Jobs their team's quota holds back are passed over: the head is the first
 * waiting job the quota allows, and only allowed jobs backfill.
 *
 * Estimated ends already past (a job running longer than its user thought)
 * count as now. Nodes that are down are not expected back before the shadow
 * time. A pick that cannot start the head costs O(running on the pool x log
 * + waiting); with no free GPU anywhere it returns at once. Nothing
 * allocates after init.
 */
#include "fleetsim/sched.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#define NIL UINT32_MAX

struct ending {
	double end_s;
	int gpus;
};

struct easy {
	uint32_t *next, *prev;      /* waiting jobs in arrival order */
	uint32_t head, tail;
	uint32_t *rej;              /* infeasible jobs, rejected at the next pick */
	size_t rhead, rtail;
	uint32_t *running;          /* [0, n_running) */
	uint32_t *run_pos;          /* [n_jobs] index in running, or NIL */
	size_t n_running;
	double *est_end_s;          /* [n_jobs] estimated end of a running job */
	int8_t *pool;               /* [n_jobs] its pool */
	struct ending *scratch;     /* [n_jobs] */
};

static enum fs_status easy_init(void **state, size_t n_jobs, struct fs_error *e)
{
	struct easy *q = calloc(1, sizeof(*q));
	size_t n = n_jobs ? n_jobs : 1;

	*state = q;
	if (!q)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	q->head = q->tail = NIL;
	q->next = malloc(n * sizeof(*q->next));
	q->prev = malloc(n * sizeof(*q->prev));
	q->rej = malloc(n * sizeof(*q->rej));
	q->running = malloc(n * sizeof(*q->running));
	q->run_pos = malloc(n * sizeof(*q->run_pos));
	q->est_end_s = malloc(n * sizeof(*q->est_end_s));
	q->pool = malloc(n * sizeof(*q->pool));
	q->scratch = malloc(n * sizeof(*q->scratch));
	if (!q->next || !q->prev || !q->rej || !q->running || !q->run_pos || !q->est_end_s ||
	    !q->pool || !q->scratch)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	for (size_t i = 0; i < n; i++)
		q->run_pos[i] = NIL;
	return FS_OK;
}

static void link_after(struct easy *q, uint32_t at, uint32_t job)
{
	uint32_t nx = at == NIL ? q->head : q->next[at];

	q->prev[job] = at;
	q->next[job] = nx;
	if (at == NIL)
		q->head = job;
	else
		q->next[at] = job;
	if (nx == NIL)
		q->tail = job;
	else
		q->prev[nx] = job;
}

static void unlink_job(struct easy *q, uint32_t job)
{
	uint32_t p = q->prev[job], n = q->next[job];

	if (p == NIL)
		q->head = n;
	else
		q->next[p] = n;
	if (n == NIL)
		q->tail = p;
	else
		q->prev[n] = p;
}

static void stop_running(struct easy *q, uint32_t job)
{
	uint32_t i = q->run_pos[job], last;

	if (i == NIL)
		return;
	last = q->running[--q->n_running];
	q->running[i] = last;
	q->run_pos[last] = i;
	q->run_pos[job] = NIL;
}

static void easy_on_submit(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct easy *q = state;

	if (v->jobs[job].status == FS_JOB_INFEASIBLE)
		q->rej[q->rtail++] = job;
	else
		link_after(q, q->tail, job);
}

static void easy_on_free(void *state, const struct fs_sched_view *v, uint32_t job)
{
	(void)v;
	stop_running(state, job);
}

static void easy_on_requeue(void *state, const struct fs_sched_view *v, uint32_t job)
{
	(void)v;
	stop_running(state, job);
	link_after(state, NIL, job);
}

static uint32_t start(struct easy *q, const struct fs_sched_view *v, uint32_t job, int pool)
{
	unlink_job(q, job);
	q->run_pos[job] = (uint32_t)q->n_running;
	q->running[q->n_running++] = job;
	q->est_end_s[job] = v->now_s + fs_sched_est_left_s(v, job, pool);
	q->pool[job] = (int8_t)pool;
	return job;
}

static int by_end(const void *a, const void *b)
{
	const struct ending *x = a, *y = b;

	if (x->end_s != y->end_s)
		return x->end_s < y->end_s ? -1 : 1;
	return (x->gpus > y->gpus) - (x->gpus < y->gpus);
}

/* Shadow time of a job needing `need` GPUs on pool p, and the extra GPUs then. */
static double shadow_s(struct easy *q, const struct fs_sched_view *v, int p, int need, int *extra)
{
	int free_gpus = fs_fleet_gpus_free(&v->pools[p]);
	size_t n = 0;

	for (size_t i = 0; i < q->n_running; i++) {
		uint32_t j = q->running[i];
		if (q->pool[j] == p)
			q->scratch[n++] = (struct ending){ fmax(q->est_end_s[j], v->now_s),
							   v->jobs[j].gpus };
	}
	qsort(q->scratch, n, sizeof(*q->scratch), by_end);
	for (size_t i = 0; i < n; i++) {
		free_gpus += q->scratch[i].gpus;
		if (free_gpus >= need) {
			*extra = free_gpus - need;
			return q->scratch[i].end_s;
		}
	}
	*extra = 0;
	return INFINITY;            /* not before capacity changes */
}

static bool any_free(const struct fs_sched_view *v)
{
	for (int p = 0; p < v->n_pools; p++)
		if (fs_fleet_gpus_free(&v->pools[p]) > 0)
			return true;
	return false;
}

/* The first waiting job from j on that its team's quota allows, or NIL. */
static uint32_t next_allowed(const struct easy *q, const struct fs_sched_view *v, uint32_t j)
{
	while (j != NIL && !fs_sched_quota_ok(v, j))
		j = q->next[j];
	return j;
}

static uint32_t easy_pick(void *state, const struct fs_sched_view *v, int *pool)
{
	struct easy *q = state;
	uint32_t head;
	int rp = -1, extra = 0;
	double shadow = INFINITY;

	if (q->rhead < q->rtail) {
		*pool = 0;
		return q->rej[q->rhead++];
	}
	if (q->head == NIL || !any_free(v))
		return FS_SCHED_NONE;
	/* jobs their team's quota holds back are passed over, as if not waiting */
	if ((head = next_allowed(q, v, q->head)) == NIL)
		return FS_SCHED_NONE;
	if ((*pool = fs_sched_pool_for(v, head)) >= 0)
		return start(q, v, head, *pool);
	/* the head's reservation: the eligible pool where it can start soonest */
	for (int p = 0; p < v->n_pools; p++) {
		int x;
		double s;

		if (!isfinite(fs_sched_est_left_s(v, head, p)))
			continue;
		s = shadow_s(q, v, p, v->jobs[head].gpus, &x);
		if (rp < 0 || s < shadow)
			rp = p, shadow = s, extra = x;
	}
	for (uint32_t j = next_allowed(q, v, q->next[head]); j != NIL;
	     j = next_allowed(q, v, q->next[j])) {
		int p = fs_sched_pool_for(v, j);

		if (p < 0)
			continue;
		if (p != rp || v->now_s + fs_sched_est_left_s(v, j, p) <= shadow ||
		    v->jobs[j].gpus <= extra) {
			*pool = p;
			return start(q, v, j, p);
		}
	}
	return FS_SCHED_NONE;
}

static void easy_fini(void *state)
{
	struct easy *q = state;

	if (q) {
		free(q->next);
		free(q->prev);
		free(q->rej);
		free(q->running);
		free(q->run_pos);
		free(q->est_end_s);
		free(q->pool);
		free(q->scratch);
	}
	free(q);
}

const struct fs_sched_policy fs_sched_easy_backfill = {
	.name = "easy-backfill",
	.summary = "FIFO with a reservation for the head job; later jobs backfill by their estimates",
	.init = easy_init,
	.on_submit = easy_on_submit,
	.on_free = easy_on_free,
	.on_requeue = easy_on_requeue,
	.pick = easy_pick,
	.fini = easy_fini,
};
