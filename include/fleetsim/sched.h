/*
 * sched.h - scheduling policies: which waiting training jobs start now.
 *
 * A policy is a static const struct fs_sched_policy (name + functions), and
 * every policy is a row of the one registry in sim/sched.c; the scenario key
 * `scheduler` picks a row by name (fs_sched_find). Nothing else looks at
 * policy names. A new policy is one new file (sim/sched_<name>.c) with its
 * row, plus one line in the registry.
 *
 * The run owns the jobs and the fleet; a policy owns only its own state (its
 * view of the waiting queue). The run calls:
 *   init      once, before any job arrives (state sized for n_jobs; the
 *             policy must not allocate afterwards);
 *   on_submit when job j arrives (its expected run time is already known);
 *   on_free   when job j ends and its GPUs are back in the fleet;
 *   pick      after every event, repeatedly, until it returns FS_SCHED_NONE:
 *             each job returned is started at once by the run, so it must
 *             have been submitted, not yet picked, and fit
 *             (fs_sched_gpus_needed(j) <= GPUs free);
 *   fini      once at the end, also after a failed init or none (state NULL).
 * A job the fleet cannot run (FS_JOB_INFEASIBLE) needs no GPUs; a policy
 * picks it like any other and the run rejects it at that moment.
 *
 * Policies see everything through struct fs_sched_view: every job's size,
 * submit time and expected run time, the free GPUs per node, and the clock.
 * They must be deterministic (no addresses, no hash iteration order).
 */
#ifndef FLEETSIM_SCHED_H
#define FLEETSIM_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "fleetsim/error.h"
#include "fleetsim/fleet.h"
#include "fleetsim/run.h"

#define FS_SCHED_NONE UINT32_MAX

struct fs_sched_view {
	const struct fs_job_result *jobs; /* all jobs, in workload order (index = job id) */
	size_t n_jobs;
	const struct fs_fleet *fleet;     /* free GPUs, per node and in all */
	double now_s;
};

struct fs_sched_policy {
	const char *name;                 /* the scenario's `scheduler` value */
	const char *summary;              /* one line for docs and messages */
	enum fs_status (*init)(void **state, size_t n_jobs, struct fs_error *e);
	void (*on_submit)(void *state, const struct fs_sched_view *v, uint32_t job);
	void (*on_free)(void *state, const struct fs_sched_view *v, uint32_t job);
	uint32_t (*pick)(void *state, const struct fs_sched_view *v);
	void (*fini)(void *state);
};

/* GPUs job j needs to start: its size, or 0 when it will be rejected. */
static inline int fs_sched_gpus_needed(const struct fs_job_result *j)
{
	return j->status == FS_JOB_INFEASIBLE ? 0 : j->gpus;
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

/*
 * Pool choice: which pool of a mixed fleet a job or replica that names no GPU
 * type runs on. One row per policy (name + summary; the run's functions are
 * FLEET9's to add); the fleet option's key `pool_choice` picks a row by name.
 */
struct fs_pool_choice {
	const char *name;                 /* the scenario's `pool_choice` value */
	const char *summary;              /* one line for docs and messages */
};

/* The pool choice named name, or NULL. */
const struct fs_pool_choice *fs_pool_choice_find(const char *name);

/* The default pool choice (the table's first row, "fastest-free"). */
const struct fs_pool_choice *fs_pool_choice_default(void);

/* Writes the known names as "\"fastest-free\", \"...\"" into buf (size n >= 1); returns buf. */
char *fs_pool_choice_names(char *buf, size_t n);

#endif
