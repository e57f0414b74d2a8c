/*
 * sched.h - scheduling policies: which waiting training jobs start now.
 *
 * A policy is a static const struct fs_sched_policy (name + functions), and
 * every policy is a row of the one registry in sim/sched.c; the scenario key
 * `scheduler` picks a row by name (fs_sched_find). Nothing else looks at
 * policy names. A new policy is one new file (sim/sched_<name>.c) with its
 * row, plus one line in the registry.
 *
 * The run owns the jobs and the pools (one struct fs_fleet per GPU type); a
 * policy owns only its own state (its view of the waiting queue). The run
 * calls:
 *   init       once, before any job arrives (state sized for n_jobs; the
 *              policy must not allocate afterwards);
 *   on_submit  when job j arrives (its expected run times are already known);
 *   on_free    when job j ends and its GPUs are back in its pool;
 *   on_requeue when running job j was stopped (a node under it failed, or a
 *              service took its GPUs back): its GPUs are back and it waits
 *              again, at the head of its class (it waited its turn before);
 *   pick       once every event of an instant is processed (ends, then
 *              failures and restarts, then submissions; docs/SCENARIO.md,
 *              "Time semantics"), when any of them freed or added GPUs or
 *              jobs; repeatedly, until it returns FS_SCHED_NONE: each job
 *              returned is started
 *              at once by the run on *pool, so it must be waiting and fit
 *              there (fs_sched_gpus_needed(j) <= GPUs free in the pool);
 *   fini       once at the end, also after a failed init or none (state NULL).
 * A job the fleet cannot run (FS_JOB_INFEASIBLE) needs no GPUs; a policy
 * picks it like any other and the run rejects it at that moment.
 *
 * Which pool a job goes to is the fleet option's pool choice (a row of the
 * table in sim/pool_choice.c: "fastest-free", "cheapest", "as-asked"), which
 * policies reach through fs_sched_pool_for. A pool is eligible for a job
 * when the job's asked GPU type (if any) is the pool's and its model fits
 * there: fs_sched_est_left_s is then finite.
 *
 * Policies see everything through struct fs_sched_view: every job's size,
 * priority, team, submit time and the user's estimate of its remaining run
 * time per pool (the model's time times a per-job noise factor, scenario key
 * `scheduler_estimate_noise`), the free GPUs per node of each pool, the GPUs
 * each team's running jobs hold, and the clock. They must be deterministic
 * (no addresses, no hash iteration order).
 *
 * Team quotas (scenario key `teams`) are every policy's, not one policy's:
 * a pick never returns a job for which fs_sched_quota_ok is false, so a
 * team's running jobs never hold more than its quota_gpus. A job held back
 * by its quota is passed over as if it were not waiting (it keeps its place
 * and blocks nothing, not even under strict fifo).
 */
#ifndef FLEETSIM_SCHED_H
#define FLEETSIM_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/error.h"
#include "fleetsim/fleet.h"
#include "fleetsim/run.h"

#define FS_SCHED_NONE UINT32_MAX

struct fs_sched_view {
	const struct fs_job_result *jobs; /* all jobs, in workload order (index = job id) */
	size_t n_jobs;
	const struct fs_fleet *pools;     /* [n_pools]: free GPUs, per node and in all */
	int n_pools;
	const struct fs_pool_choice *choice; /* never NULL */
	const double *usd_per_gpu_hour;   /* [n_pools]: price per GPU-hour ("cheapest") */
	double now_s;
	/* The user's estimate of the wall seconds job still needs on pool, from
	 * now if it started now; INFINITY when the pool is not eligible. */
	double (*est_left_s)(const void *ctx, uint32_t job, int pool);
	const void *ctx;                  /* the run's, for est_left_s */
	const struct fs_team_spec *teams; /* [n_teams] the scenario's; quota_gpus 0 = none */
	size_t n_teams;
	const int *team_gpus;             /* [n_teams] GPUs held now by each team's running jobs */
};

struct fs_sched_policy {
	const char *name;                 /* the scenario's `scheduler` value */
	const char *summary;              /* one line for docs and messages */
	enum fs_status (*init)(void **state, size_t n_jobs, struct fs_error *e);
	void (*on_submit)(void *state, const struct fs_sched_view *v, uint32_t job);
	void (*on_free)(void *state, const struct fs_sched_view *v, uint32_t job);
	void (*on_requeue)(void *state, const struct fs_sched_view *v, uint32_t job);
	uint32_t (*pick)(void *state, const struct fs_sched_view *v, int *pool);
	void (*fini)(void *state);
};

/* A row of the pool-choice table: which eligible pool a job starts on now. */
struct fs_pool_choice {
	const char *name;                 /* the fleet option's `pool_choice` value */
	const char *summary;
	/* An eligible pool with at least the job's GPUs free now, or -1. */
	int (*choose)(const struct fs_sched_view *v, uint32_t job);
};

/* GPUs job j needs to start: its size, or 0 when it will be rejected. */
static inline int fs_sched_gpus_needed(const struct fs_job_result *j)
{
	return j->status == FS_JOB_INFEASIBLE ? 0 : j->gpus;
}

/*
 * Whether job may start now as far as its team's quota goes: true for a job
 * of no team (or a team index the view does not know), of a team without a
 * quota, or when the team's GPUs in use plus the job's stay within the quota.
 * O(1). The one quota test every policy's pick applies.
 */
static inline bool fs_sched_quota_ok(const struct fs_sched_view *v, uint32_t job)
{
	const struct fs_job_result *j = &v->jobs[job];
	int quota;

	if (j->team < 0 || (size_t)j->team >= v->n_teams)
		return true;
	quota = v->teams[j->team].quota_gpus;
	return quota <= 0 || v->team_gpus[j->team] + fs_sched_gpus_needed(j) <= quota;
}

/* The policy named name, or NULL. */
const struct fs_sched_policy *fs_sched_find(const char *name);

/* The registry's i-th policy (i < fs_sched_count()), in registry order. */
size_t fs_sched_count(void);
const struct fs_sched_policy *fs_sched_at(size_t i);

/* Writes the known names as "\"fifo\", \"...\"" into buf (size n >= 1); returns buf. */
char *fs_sched_names(char *buf, size_t n);

/* The default policy (the registry's first row, "fifo"). */
const struct fs_sched_policy *fs_sched_default(void);

static inline double fs_sched_est_left_s(const struct fs_sched_view *v, uint32_t job, int pool)
{
	return v->est_left_s(v->ctx, job, pool);
}

/*
 * The pool job starts on now under the view's pool choice: an eligible pool
 * with enough free GPUs, or -1 when none has them. An infeasible job (it
 * needs no GPUs) goes to pool 0.
 */
int fs_sched_pool_for(const struct fs_sched_view *v, uint32_t job);

/* The pool choice named name ("fastest-free", "cheapest", "as-asked"), or NULL. */
const struct fs_pool_choice *fs_pool_choice_find(const char *name);

/* The default pool choice, "fastest-free". */
const struct fs_pool_choice *fs_pool_choice_default(void);

/* Writes the known pool-choice names as "\"a\", \"b\"" into buf (size n >= 1); returns buf. */
char *fs_pool_choice_names(char *buf, size_t n);

#endif
