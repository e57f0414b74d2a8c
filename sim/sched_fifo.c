/*
 * sched_fifo.c - first come, first served gang scheduling: the job at the
 * head of the queue starts as soon as all its GPUs are free, and no later
 * job overtakes it (a large head job holds back smaller ones behind it).
 */
#include "fleetsim/sched.h"

#include <assert.h>
#include <stdlib.h>

struct fifo {
	uint32_t *q;                      /* waiting jobs in arrival order: [head, tail) */
	size_t head, tail, cap;
};

static enum fs_status fifo_init(void **state, size_t n_jobs, struct fs_error *e)
{
	struct fifo *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	/* every job is queued at most once: no growth while the run goes */
	f->cap = n_jobs ? n_jobs : 1;
	f->q = malloc(f->cap * sizeof(*f->q));
	if (!f->q)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	return FS_OK;
}

static void fifo_on_submit(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct fifo *f = state;

	(void)v;
	assert(f->tail < f->cap);
	f->q[f->tail++] = job;
}

static void fifo_on_free(void *state, const struct fs_sched_view *v, uint32_t job)
{
	(void)state;
	(void)v;
	(void)job;
}

/* A stopped job goes back to the head: it had waited its turn. Every job
 * requeued was picked before, so the slot in front of head is free. */
static void fifo_on_requeue(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct fifo *f = state;

	(void)v;
	assert(f->head > 0);
	f->q[--f->head] = job;
}

static uint32_t fifo_pick(void *state, const struct fs_sched_view *v, int *pool)
{
	struct fifo *f = state;
	uint32_t j;

	if (f->head == f->tail)
		return FS_SCHED_NONE;
	j = f->q[f->head];
	if ((*pool = fs_sched_pool_for(v, j)) < 0)
		return FS_SCHED_NONE;
	f->head++;
	return j;
}

static void fifo_fini(void *state)
{
	struct fifo *f = state;

	if (f)
		free(f->q);
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
