/*
 * sched_sjf.c - shortest job first: waiting jobs are tried shortest first
 * each time GPUs free up, and every one that fits starts; a job that does
 * not fit is skipped, with no reservation (long jobs may starve while
 * short ones keep arriving).
 *
 * A job's length is fixed when it arrives: the shortest of the scheduler's
 * estimates of its run time over the pools it may use (fs_sched_est_left_s:
 * a replayed job's measured duration scaled to the pool, else the training
 * model's time, times the job's estimate factor when
 * `scheduler_estimate_noise` is set). Ties go by arrival (job id, which is
 * submit order). A stopped job (node failure, preemption) goes back to the
 * head, ahead of shorter ones: it waited its turn before. Infeasible jobs
 * are rejected at the next pick.
 *
 * Cost: a submission walks back from the tail to its place, O(waiting) at
 * worst (O(1) when lengths arrive in increasing order); picks as
 * sched_list.h. Nothing allocates after init.
 */
#include "sched_list.h"

#include <math.h>

struct sjf {
	struct fs_sched_list l;
	double *len_s;              /* [n_jobs] a waiting job's length, set at submission */
};

static enum fs_status sjf_init(void **state, size_t n_jobs, struct fs_error *e)
{
	struct sjf *q = calloc(1, sizeof(*q));

	*state = q;
	if (!q)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	q->len_s = malloc((n_jobs ? n_jobs : 1) * sizeof(*q->len_s));
	if (!q->len_s)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	return fs_sched_list_init(&q->l, n_jobs, e);
}

/* Whether waiting job a goes before b: shorter, or as long and earlier. */
static bool before(const struct sjf *q, uint32_t a, uint32_t b)
{
	return q->len_s[a] < q->len_s[b] || (q->len_s[a] == q->len_s[b] && a < b);
}

static void sjf_on_submit(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct sjf *q = state;
	uint32_t at = q->l.tail;
	double len = INFINITY;

	if (v->jobs[job].status == FS_JOB_INFEASIBLE) {
		fs_sched_list_reject(&q->l, job);
		return;
	}
	for (int p = 0; p < v->n_pools; p++)
		len = fmin(len, fs_sched_est_left_s(v, job, p));
	q->len_s[job] = len;
	while (at != FS_SCHED_NIL && before(q, job, at))
		at = q->l.prev[at];
	fs_sched_list_link_after(&q->l, at, job);
}

static void sjf_on_free(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct sjf *q = state;

	(void)v;
	(void)job;
	q->l.in_pass = false;
}

static void sjf_on_requeue(void *state, const struct fs_sched_view *v, uint32_t job)
{
	struct sjf *q = state;

	(void)v;
	/* the length that ranks jobs ahead of it from now on; a requeued job
	 * compares as first so later submissions queue behind it */
	q->len_s[job] = -INFINITY;
	fs_sched_list_link_after(&q->l, FS_SCHED_NIL, job);
}

static uint32_t sjf_pick(void *state, const struct fs_sched_view *v, int *pool)
{
	struct sjf *q = state;

	return fs_sched_list_pick(&q->l, v, pool);
}

static void sjf_fini(void *state)
{
	struct sjf *q = state;

	if (q) {
		fs_sched_list_fini(&q->l);
		free(q->len_s);
	}
	free(q);
}

const struct fs_sched_policy fs_sched_sjf = {
	.name = "sjf",
	.summary = "shortest estimated run time first; every waiting job that fits starts, the "
		   "others are skipped without a reservation",
	.init = sjf_init,
	.on_submit = sjf_on_submit,
	.on_free = sjf_on_free,
	.on_requeue = sjf_on_requeue,
	.pick = sjf_pick,
	.fini = sjf_fini,
};
