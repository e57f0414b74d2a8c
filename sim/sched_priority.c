/*
 * sched_priority.c - highest priority first, first come first served within
 * a priority, and no reservation: each time GPUs free up, the waiting jobs
 * are tried in that order and every one that fits starts (a large
 * high-priority job does not hold smaller ones back; it may wait long).
 * Jobs their team's quota holds back are skipped like jobs that do not fit.
 *
 * The queue is a doubly linked list over job ids kept in (priority desc,
 * arrival) order. A new job is inserted from the tail, so a run where most
 * jobs share a priority inserts in O(1); a requeued job goes in front of
 * its priority class. A pick walks from the head: O(waiting) when nothing
 * fits, and stops at once when no pool has a free GPU.
 */
#include "fleetsim/sched.h"

#include <assert.h>
#include <stdlib.h>

#define NIL UINT32_MAX

struct prio {
	uint32_t *next, *prev;      /* [n_jobs] links of waiting jobs */
	uint32_t head, tail;
	uint32_t *rej;              /* infeasible jobs, rejected at the next pick */
	size_t rhead, rtail;
};

static enum fs_status prio_init(void **state, size_t n_jobs, struct fs_error *e)
{
	struct prio *q = calloc(1, sizeof(*q));
	size_t n = n_jobs ? n_jobs : 1;

	*state = q;
	if (!q)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	q->head = q->tail = NIL;
	q->next = malloc(n * sizeof(*q->next));
	q->prev = malloc(n * sizeof(*q->prev));
	q->rej = malloc(n * sizeof(*q->rej));
	if (!q->next || !q->prev || !q->rej)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	return FS_OK;
}

/* Links job after `at` (NIL: at the head). */
static void link_after(struct prio *q, uint32_t at, uint32_t job)
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

static void unlink_job(struct prio *q, uint32_t job)
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

static void prio_on_submit(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct prio *q = state;
	uint32_t at = q->tail;
	int pr = v->jobs[job].priority;

	if (v->jobs[job].status == FS_JOB_INFEASIBLE) {
		q->rej[q->rtail++] = job;
		return;
	}
	/* behind every job of the same or a higher priority */
	while (at != NIL && v->jobs[at].priority < pr)
		at = q->prev[at];
	link_after(q, at, job);
}

static void prio_on_requeue(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct prio *q = state;
	uint32_t at = q->tail;
	int pr = v->jobs[job].priority;

	/* in front of its class: behind every job of a strictly higher priority */
	while (at != NIL && v->jobs[at].priority <= pr)
		at = q->prev[at];
	link_after(q, at, job);
}

static void prio_on_free(void *state, const struct fs_sched_view *v, uint32_t job)
{
	(void)state;
	(void)v;
	(void)job;
}

static bool any_free(const struct fs_sched_view *v)
{
	for (int p = 0; p < v->n_pools; p++)
		if (fs_fleet_gpus_free(&v->pools[p]) > 0)
			return true;
	return false;
}

static uint32_t prio_pick(void *state, const struct fs_sched_view *v, int *pool)
{
	struct prio *q = state;

	if (q->rhead < q->rtail) {
		*pool = 0;
		return q->rej[q->rhead++];
	}
	if (!any_free(v))
		return FS_SCHED_NONE;
	for (uint32_t j = q->head; j != NIL; j = q->next[j]) {
		if (fs_sched_quota_ok(v, j) && (*pool = fs_sched_pool_for(v, j)) >= 0) {
			unlink_job(q, j);
			return j;
		}
	}
	return FS_SCHED_NONE;
}

static void prio_fini(void *state)
{
	struct prio *q = state;

	if (q) {
		free(q->next);
		free(q->prev);
		free(q->rej);
	}
	free(q);
}

const struct fs_sched_policy fs_sched_priority = {
	.name = "priority",
	.summary = "highest priority first, FIFO within a priority; every waiting job that fits starts",
	.init = prio_init,
	.on_submit = prio_on_submit,
	.on_free = prio_on_free,
	.on_requeue = prio_on_requeue,
	.pick = prio_pick,
	.fini = prio_fini,
};
