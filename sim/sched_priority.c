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
 * its priority class. The list and the pick are sched_list.h's: a pass of
 * picks walks the list once, O(waiting) in all, and stops at once when no
 * pool has a free GPU.
 */
#include "fleetsim/sched.h"

#include <stdlib.h>

#include "sched_list.h"

#define NIL FS_SCHED_NIL

static enum fs_status prio_init(void **state, size_t n_jobs, struct fs_error *e)
{
	struct fs_sched_list *q = calloc(1, sizeof(*q));

	*state = q;
	if (!q)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	return fs_sched_list_init(q, n_jobs, e);
}

static void prio_on_submit(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct fs_sched_list *q = state;
	uint32_t at = q->tail;
	int pr = v->jobs[job].priority;

	if (v->jobs[job].status == FS_JOB_INFEASIBLE) {
		fs_sched_list_reject(q, job);
		return;
	}
	/* behind every job of the same or a higher priority */
	while (at != NIL && v->jobs[at].priority < pr)
		at = q->prev[at];
	fs_sched_list_link_after(q, at, job);
}

static void prio_on_requeue(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct fs_sched_list *q = state;
	uint32_t at = q->tail;
	int pr = v->jobs[job].priority;

	/* in front of its class: behind every job of a strictly higher priority */
	while (at != NIL && v->jobs[at].priority <= pr)
		at = q->prev[at];
	fs_sched_list_link_after(q, at, job);
}

static void prio_on_free(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct fs_sched_list *q = state;

	(void)v;
	(void)job;
	q->in_pass = false;
}

static uint32_t prio_pick(void *state, const struct fs_sched_view *v, int *pool)
{
	return fs_sched_list_pick(state, v, pool);
}

static void prio_fini(void *state)
{
	if (state)
		fs_sched_list_fini(state);
	free(state);
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
