/*
 * sched_list.h - private to the policies: the waiting jobs as a doubly
 * linked list over job ids (arrays sized at init, nothing allocated
 * afterwards), the infeasible jobs to reject, and, for the policies that
 * start every waiting job that fits (first-fit, sjf, priority), the one walk
 * that picks.
 *
 * The list's order is the policy's (arrival for first-fit, shortest first
 * for sjf, priority then arrival for priority); a pick walks it from the head and returns the first job that
 * its team's quota allows and some pool has room for, skipping the others
 * without a reservation. The run calls pick repeatedly until it gets
 * FS_SCHED_NONE, and between two picks of that pass only the started job
 * changes anything: free GPUs only shrink and team use only grows, so a job
 * passed over stays passed over, and the next pick resumes after the job
 * just started. A pass therefore costs O(waiting) in all, not per start.
 * Any callback from the run ends the pass (the next pick walks from the
 * head again).
 */
#ifndef FLEETSIM_SCHED_LIST_H
#define FLEETSIM_SCHED_LIST_H

#include <stdbool.h>
#include <stdlib.h>

#include "fleetsim/sched.h"

#define FS_SCHED_NIL UINT32_MAX

struct fs_sched_list {
	uint32_t *next, *prev;      /* [n_jobs] links of waiting jobs */
	uint32_t head, tail;
	uint32_t *rej;              /* [n_jobs] infeasible jobs, rejected at the next pick */
	size_t rhead, rtail;
	uint32_t from;              /* where the next pick of this pass walks from */
	bool in_pass;               /* from is valid: the last pick started a job */
};

static inline enum fs_status fs_sched_list_init(struct fs_sched_list *l, size_t n_jobs,
						struct fs_error *e)
{
	size_t n = n_jobs ? n_jobs : 1;

	l->head = l->tail = FS_SCHED_NIL;
	l->next = malloc(n * sizeof(*l->next));
	l->prev = malloc(n * sizeof(*l->prev));
	l->rej = malloc(n * sizeof(*l->rej));
	if (!l->next || !l->prev || !l->rej)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	return FS_OK;
}

static inline void fs_sched_list_fini(struct fs_sched_list *l)
{
	free(l->next);
	free(l->prev);
	free(l->rej);
}

/* Links job after `at` (FS_SCHED_NIL: at the head); ends the pass. */
static inline void fs_sched_list_link_after(struct fs_sched_list *l, uint32_t at, uint32_t job)
{
	uint32_t nx = at == FS_SCHED_NIL ? l->head : l->next[at];

	l->prev[job] = at;
	l->next[job] = nx;
	if (at == FS_SCHED_NIL)
		l->head = job;
	else
		l->next[at] = job;
	if (nx == FS_SCHED_NIL)
		l->tail = job;
	else
		l->prev[nx] = job;
	l->in_pass = false;
}

static inline void fs_sched_list_unlink(struct fs_sched_list *l, uint32_t job)
{
	uint32_t p = l->prev[job], n = l->next[job];

	if (p == FS_SCHED_NIL)
		l->head = n;
	else
		l->next[p] = n;
	if (n == FS_SCHED_NIL)
		l->tail = p;
	else
		l->prev[n] = p;
}

/* A job the fleet cannot run: rejected at the next pick, before any other. */
static inline void fs_sched_list_reject(struct fs_sched_list *l, uint32_t job)
{
	l->rej[l->rtail++] = job;
}

/*
 * The pick: a rejected job first (on pool 0), else the first job in list
 * order that fs_sched_quota_ok allows and fs_sched_pool_for places (*pool
 * set, the job unlinked), else FS_SCHED_NONE (the pass ends).
 */
static inline uint32_t fs_sched_list_pick(struct fs_sched_list *l, const struct fs_sched_view *v,
					  int *pool)
{
	bool any_free = false;

	if (l->rhead < l->rtail) {
		*pool = 0;
		return l->rej[l->rhead++];
	}
	for (int p = 0; p < v->n_pools && !any_free; p++)
		any_free = fs_fleet_gpus_free(&v->pools[p]) > 0;
	if (any_free)
		for (uint32_t j = l->in_pass ? l->from : l->head; j != FS_SCHED_NIL; j = l->next[j]) {
			if (!fs_sched_quota_ok(v, j) || (*pool = fs_sched_pool_for(v, j)) < 0)
				continue;
			l->from = l->next[j];
			l->in_pass = true;
			fs_sched_list_unlink(l, j);
			return j;
		}
	l->in_pass = false;
	return FS_SCHED_NONE;
}

#endif
