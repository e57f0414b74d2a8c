/*
 * pool_choice.c - which pool (GPU type) of a fleet option a job starts on:
 * the rows of the pool-choice table (see sched.h). A fleet option names one
 * with its key `pool_choice`; nothing else looks at the names.
 */
#include "fleetsim/sched.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Whether pool p is eligible for job j and has its GPUs free now; *est its estimate. */
static bool open_for(const struct fs_sched_view *v, uint32_t j, int p, double *est)
{
	*est = fs_sched_est_left_s(v, j, p);
	return isfinite(*est) && fs_fleet_gpus_free(&v->pools[p]) >= v->jobs[j].gpus;
}

/* The shortest estimated run time among open pools; ties to the first declared. */
static int choose_fastest(const struct fs_sched_view *v, uint32_t j)
{
	int best = -1;
	double best_s = INFINITY, est;

	for (int p = 0; p < v->n_pools; p++)
		if (open_for(v, j, p, &est) && (best < 0 || est < best_s))
			best = p, best_s = est;
	return best;
}

/* The lowest price x estimated run time (the GPUs are the job's on every pool). */
static int choose_cheapest(const struct fs_sched_view *v, uint32_t j)
{
	int best = -1;
	double best_usd = INFINITY, est;

	for (int p = 0; p < v->n_pools; p++) {
		double usd;

		if (!open_for(v, j, p, &est))
			continue;
		usd = v->usd_per_gpu_hour[p] * est;
		if (best < 0 || usd < best_usd)
			best = p, best_usd = usd;
	}
	return best;
}

/* The job's asked type only (eligibility already says so); else the first
 * declared pool that is open. */
static int choose_as_asked(const struct fs_sched_view *v, uint32_t j)
{
	double est;

	for (int p = 0; p < v->n_pools; p++)
		if (open_for(v, j, p, &est))
			return p;
	return -1;
}

static const struct fs_pool_choice choices[] = {
	{ "fastest-free", "the pool with enough free GPUs where the job's estimate is shortest",
	  choose_fastest },
	{ "cheapest", "the pool with enough free GPUs where price x estimated run time is lowest",
	  choose_cheapest },
	{ "as-asked", "the job's asked GPU type; the first pool with room when it asks none",
	  choose_as_asked },
};

#define N_CHOICES (sizeof(choices) / sizeof(choices[0]))

const struct fs_pool_choice *fs_pool_choice_find(const char *name)
{
	for (size_t i = 0; i < N_CHOICES; i++)
		if (strcmp(choices[i].name, name) == 0)
			return &choices[i];
	return NULL;
}

const struct fs_pool_choice *fs_pool_choice_default(void)
{
	return &choices[0];
}

char *fs_pool_choice_names(char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_CHOICES && used + 1 < n; i++) {
		int w = snprintf(buf + used, n - used, "%s\"%s\"", i ? ", " : "", choices[i].name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

int fs_sched_pool_for(const struct fs_sched_view *v, uint32_t job)
{
	if (v->jobs[job].status == FS_JOB_INFEASIBLE)
		return 0;
	return v->choice->choose(v, job);
}
