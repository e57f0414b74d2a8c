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
 * time. The running jobs are kept sorted by estimated end (a start or an
 * end moves O(running) entries with one memmove), so a pick that cannot
 * start the head walks them once up to the shadow time, sorting only the
 * ends already past, and then the waiting list: O(running + waiting), no
 * sort of all the running jobs per pick. With no free GPU anywhere it
 * returns at once. Nothing allocates after init.
 */
#include "fleetsim/sched.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

struct ending {
	double end_s;
	int gpus;
	int pool;
};

struct easy {
	uint32_t *next, *prev;      /* waiting jobs in arrival order */
	uint32_t head, tail;
	uint32_t *rej;              /* infeasible jobs, rejected at the next pick */
	size_t rhead, rtail;
	struct ending *ends;        /* [0, n_running) running jobs by (end_s, gpus) */
	size_t n_running;
	bool *running;              /* [n_jobs] */
	double *est_end_s;          /* [n_jobs] estimated end of a running job */
	int *gpus;                  /* [n_jobs] the GPUs it holds */
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
	q->ends = malloc(n * sizeof(*q->ends));
	q->running = calloc(n, sizeof(*q->running));
	q->est_end_s = malloc(n * sizeof(*q->est_end_s));
	q->gpus = malloc(n * sizeof(*q->gpus));
	q->pool = malloc(n * sizeof(*q->pool));
	q->scratch = malloc(n * sizeof(*q->scratch));
	if (!q->next || !q->prev || !q->rej || !q->ends || !q->running || !q->est_end_s ||
	    !q->gpus || !q->pool || !q->scratch)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
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

/* -1, 0, 1 as x sorts before, with or after y: by end, then by GPUs */
static int by_end(const void *a, const void *b)
{
	const struct ending *x = a, *y = b;

	if (x->end_s != y->end_s)
		return x->end_s < y->end_s ? -1 : 1;
	return (x->gpus > y->gpus) - (x->gpus < y->gpus);
}

/* The first index in q->ends whose entry does not sort before e. */
static size_t lower_bound(const struct easy *q, const struct ending *e)
{
	size_t lo = 0, hi = q->n_running;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (by_end(&q->ends[mid], e) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void stop_running(struct easy *q, uint32_t job)
{
	struct ending e;
	size_t i;

	if (!q->running[job])
		return;
	q->running[job] = false;
	e = (struct ending){ q->est_end_s[job], q->gpus[job], q->pool[job] };
	/* entries equal in (end, GPUs) sit together; any of this pool will do */
	for (i = lower_bound(q, &e); q->ends[i].pool != e.pool; i++)
		assert(i + 1 < q->n_running && by_end(&q->ends[i + 1], &e) == 0);
	memmove(q->ends + i, q->ends + i + 1, (q->n_running - i - 1) * sizeof(*q->ends));
	q->n_running--;
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
	struct ending e = { v->now_s + fs_sched_est_left_s(v, job, pool), v->jobs[job].gpus, pool };
	size_t i = lower_bound(q, &e);

	unlink_job(q, job);
	memmove(q->ends + i + 1, q->ends + i, (q->n_running - i) * sizeof(*q->ends));
	q->ends[i] = e;
	q->n_running++;
	q->running[job] = true;
	q->est_end_s[job] = e.end_s;
	q->gpus[job] = e.gpus;
	q->pool[job] = (int8_t)pool;
	return job;
}

/*
 * Shadow time of a job needing `need` GPUs on pool p, and the extra GPUs
 * then: the running jobs of p in order of estimated end (past ends count as
 * now, ordered among themselves by GPUs), adding their GPUs to the free ones
 * until there are enough. q->ends is kept in that order, so only the ends
 * already past need sorting, and the walk stops where the head would start.
 */
static double shadow_s(struct easy *q, const struct fs_sched_view *v, int p, int need, int *extra)
{
	int free_gpus = fs_fleet_gpus_free(&v->pools[p]);
	size_t n = 0, i = 0;

	for (; i < q->n_running && q->ends[i].end_s <= v->now_s; i++)
		if (q->ends[i].pool == p)
			q->scratch[n++] = (struct ending){ v->now_s, q->ends[i].gpus, p };
	qsort(q->scratch, n, sizeof(*q->scratch), by_end);
	for (size_t k = 0; k < n; k++) {
		free_gpus += q->scratch[k].gpus;
		if (free_gpus >= need) {
			*extra = free_gpus - need;
			return v->now_s;
		}
	}
	for (; i < q->n_running; i++) {
		if (q->ends[i].pool != p)
			continue;
		free_gpus += q->ends[i].gpus;
		if (free_gpus >= need) {
			*extra = free_gpus - need;
			return q->ends[i].end_s;
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
		free(q->ends);
		free(q->running);
		free(q->est_end_s);
		free(q->gpus);
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
