/*
 * sched_firstfit.c - first come, first served without head-of-line
 * blocking: waiting jobs are tried in arrival order each time GPUs free up,
 * and every one that fits starts; a job that does not fit is skipped, with
 * no reservation (what several public trace simulators call FIFO). Small
 * jobs flow past a large one, which may wait long.
 *
 * A stopped job (node failure, preemption) goes back to the head. Infeasible
 * jobs are rejected at the next pick. Cost: sched_list.h (O(waiting) per
 * pass of picks; O(1) per submission).
 */
#include "sched_list.h"

struct firstfit {
	struct fs_sched_list l;
};

static enum fs_status ff_init(void **state, size_t n_jobs, struct fs_error *e)
{
	struct firstfit *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	return fs_sched_list_init(&f->l, n_jobs, e);
}

static void ff_on_submit(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct firstfit *f = state;

	if (v->jobs[job].status == FS_JOB_INFEASIBLE)
		fs_sched_list_reject(&f->l, job);
	else
		fs_sched_list_link_after(&f->l, f->l.tail, job);
}

static void ff_on_free(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct firstfit *f = state;

	(void)v;
	(void)job;
	f->l.in_pass = false;
}

static void ff_on_requeue(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct firstfit *f = state;

	(void)v;
	fs_sched_list_link_after(&f->l, FS_SCHED_NIL, job);
}

static uint32_t ff_pick(void *state, const struct fs_sched_view *v, int *pool)
{
	struct firstfit *f = state;

	return fs_sched_list_pick(&f->l, v, pool);
}

static void ff_fini(void *state)
{
	struct firstfit *f = state;

	if (f)
		fs_sched_list_fini(&f->l);
	free(f);
}

const struct fs_sched_policy fs_sched_first_fit = {
	.name = "first-fit",
	.summary = "arrival order; every waiting job that fits starts, the others are skipped "
		   "without a reservation",
	.init = ff_init,
	.on_submit = ff_on_submit,
	.on_free = ff_on_free,
	.on_requeue = ff_on_requeue,
	.pick = ff_pick,
	.fini = ff_fini,
};
