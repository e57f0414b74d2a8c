/*
 * sched_fifo.c - first come, first served gang scheduling: the job at the
 * head of the queue starts as soon as all its GPUs are free, and no later
 * job overtakes it (a large head job holds back smaller ones behind it).
 * Jobs held back by their team's quota are passed over: the head is the
 * first waiting job the quota allows. O(1) per pick without quotas.
 */
#include "sched_list.h"

#include <assert.h>

/* Only the list part of fs_sched_list is used: fifo rejects an infeasible
 * job when it reaches the head, like any other. */
struct fifo {
	struct fs_sched_list l;
};

static enum fs_status fifo_init(void **state, size_t n_jobs, struct fs_error *e)
{
	struct fifo *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	return fs_sched_list_init(&f->l, n_jobs, e);
}

static void fifo_on_submit(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct fifo *f = state;

	(void)v;
	fs_sched_list_link_after(&f->l, f->l.tail, job);
}

static void fifo_on_free(void *state, const struct fs_sched_view *v, uint32_t job)
{
	(void)state;
	(void)v;
	(void)job;
}

/* A stopped job goes back to the head: it had waited its turn. */
static void fifo_on_requeue(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct fifo *f = state;

	(void)v;
	fs_sched_list_link_after(&f->l, FS_SCHED_NIL, job);
}

/* The head starts or nothing does; jobs its team's quota holds back are
 * passed over (they are not the head until the quota allows them). */
static uint32_t fifo_pick(void *state, const struct fs_sched_view *v, int *pool)
{
	struct fifo *f = state;
	uint32_t j = f->l.head;

	while (j != FS_SCHED_NIL && !fs_sched_quota_ok(v, j))
		j = f->l.next[j];
	if (j == FS_SCHED_NIL || (*pool = fs_sched_pool_for(v, j)) < 0)
		return FS_SCHED_NONE;
	fs_sched_list_unlink(&f->l, j);
	return j;
}

static void fifo_fini(void *state)
{
	struct fifo *f = state;

	if (f)
		fs_sched_list_fini(&f->l);
	free(f);
}

const struct fs_sched_policy fs_sched_fifo = {
	.name = "fifo",
	.summary = "first come, first served; the head of the queue waits for all its GPUs",
	.init = fifo_init,
	.on_submit = fifo_on_submit,
	.on_free = fifo_on_free,
	.on_requeue = fifo_on_requeue,
	.pick = fifo_pick,
	.fini = fifo_fini,
};
