/*
 * recorder.h - what a run records besides the jobs: the series (per series
 * interval, time-averaged GPUs installed, down, busy training, serving, idle
 * and fragmented, summed over the pools; running and queued jobs at each
 * interval's end) and the run's summary.
 *
 * The run tells the recorder each pool's GPU state before each change
 * (fs_recorder_advance); the state is piecewise constant between events, so
 * the GPU-seconds of each interval are integrated exactly, per pool, in one
 * place (struct fs_rec_acc). An interval's per-pool integrals are turned
 * into the series point when it closes (close_bucket in recorder.c): that is
 * where power and cost per pool are computed from them. Buckets are
 * preallocated for the horizon; a run past the horizon grows them by
 * doubling.
 *
 * Invariant (tested): installed = down + busy + serving + idle in every
 * interval; the busy GPU-hours equal the jobs' GPU-hours.
 */
#ifndef FLEETSIM_RECORDER_H
#define FLEETSIM_RECORDER_H

#include <stddef.h>

#include "fleetsim/error.h"
#include "fleetsim/run.h"
#include "fleetsim/scenario.h"

/* One pool's GPUs at an instant. installed = down + busy + serving + idle. */
struct fs_pool_gpus {
	int installed;
	int down;
	int busy;                   /* training */
	int serving;                /* service replicas */
	int frag;                   /* free GPUs on partly used nodes */
};

/* One pool's GPU-seconds over the open interval. */
struct fs_rec_acc {
	double installed, down, busy, serving, idle, frag;
};

struct fs_recorder {
	double interval_s;
	double horizon_s;
	double last_t_s;            /* integrated up to here */
	int n_pools;
	size_t cur;                 /* the open interval */
	struct fs_rec_acc acc[FS_MAX_POOLS];
	double installed_gpu_s_in_horizon[FS_MAX_POOLS]; /* over [0, horizon] */
	double used_gpu_s_in_horizon[FS_MAX_POOLS];      /* busy + serving over [0, horizon] */
	double serving_gpu_s_in_horizon[FS_MAX_POOLS];   /* serving over [0, horizon] */
	double idle_gpu_s_in_horizon[FS_MAX_POOLS];      /* idle (not down) over [0, horizon] */
	/* Set by the run after init: the cost spec and each pool's GPU type
	 * (close_bucket prices each interval; NULL cost: no power or cost). */
	const struct fs_cost_spec *cost;
	const struct fs_gpu *gpu[FS_MAX_POOLS];
	struct fs_series_point *series;
	size_t n, cap;
};

/* Sets up r (caller storage) for sc's series over n_pools pools. FS_OK, FS_ERR_NOMEM. */
enum fs_status fs_recorder_init(struct fs_recorder *r, const struct fs_scenario *sc, int n_pools,
				struct fs_error *e);
void fs_recorder_fini(struct fs_recorder *r);

/*
 * Integrates the state held over [last, t): pools[0 .. n_pools) and the
 * running and queued jobs. t >= the previous t. FS_OK or FS_ERR_NOMEM.
 */
enum fs_status fs_recorder_advance(struct fs_recorder *r, double t_s,
				   const struct fs_pool_gpus *pools, int running, size_t queued,
				   struct fs_error *e);

/*
 * Closes the series at max(horizon, last t) (holding pools, with no job
 * running or queued, from the last event on), turns GPU-seconds into time
 * averages and hands the series to out (out->series, out->n_series; the
 * recorder keeps only its totals). FS_OK or FS_ERR_NOMEM.
 */
enum fs_status fs_recorder_finish(struct fs_recorder *r, const struct fs_pool_gpus *pools,
				  struct fs_run_result *out, struct fs_error *e);

/*
 * Fills out->sum (except events, n_failures, n_node_failures) from out's
 * jobs and series and r's totals: counts, GPU-hours (and lost), preemptions,
 * makespan, mean and p90 (fs_quantile) of wait and time to solution over the
 * jobs that ran, utilization within the horizon (busy / installed
 * GPU-time), fleet cost over [0, horizon] and its parts (fs_cost_add_interval
 * over each pool's installed and used GPU-seconds within the horizon: linear,
 * so it equals the sum of the series' costs when the horizon is a whole number
 * of intervals). FS_OK or FS_ERR_NOMEM (scratch for the quantiles).
 */
enum fs_status fs_recorder_summarize(struct fs_run_result *out, const struct fs_scenario *sc,
				     const struct fs_recorder *r, struct fs_error *e);

#endif
