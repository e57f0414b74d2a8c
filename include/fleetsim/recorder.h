/*
 * recorder.h - what a run records besides the jobs: the utilization series
 * (time-averaged busy GPUs per series interval, the running and queued jobs
 * at each interval's end) and the run's summary.
 *
 * The run tells the recorder the fleet's state before each change
 * (fs_recorder_advance); the state is piecewise constant between events, so
 * the busy GPU-seconds of each interval are integrated exactly. Buckets are
 * preallocated for the horizon; a run past the horizon grows them by
 * doubling.
 */
#ifndef FLEETSIM_RECORDER_H
#define FLEETSIM_RECORDER_H

#include <stddef.h>

#include "fleetsim/error.h"
#include "fleetsim/run.h"
#include "fleetsim/scenario.h"

struct fs_recorder {
	double interval_s;
	double last_t_s;            /* integrated up to here */
	int gpus_total;
	struct fs_series_point *series;
	size_t n, cap;
};

/* Sets up r (caller storage) for sc's series on a fleet of gpus_total GPUs. FS_OK, FS_ERR_NOMEM. */
enum fs_status fs_recorder_init(struct fs_recorder *r, const struct fs_scenario *sc, int gpus_total,
				struct fs_error *e);
void fs_recorder_fini(struct fs_recorder *r);

/*
 * Integrates the state held over [last, t): busy GPUs, running and queued
 * jobs. t >= the previous t. FS_OK or FS_ERR_NOMEM.
 */
enum fs_status fs_recorder_advance(struct fs_recorder *r, double t_s, int gpus_busy, int running,
				   size_t queued, struct fs_error *e);

/*
 * Closes the series at max(horizon, last t) (the fleet idle from the last
 * event on), turns GPU-seconds into time averages and hands the series to
 * out (out->series, out->n_series; the recorder keeps nothing). FS_OK or
 * FS_ERR_NOMEM.
 */
enum fs_status fs_recorder_finish(struct fs_recorder *r, double horizon_s, struct fs_run_result *out,
				  struct fs_error *e);

/*
 * Fills out->sum (except events and n_failures) from out's jobs and series:
 * counts, GPU-hours, makespan, mean and p90 (fs_quantile) of wait and time to
 * solution over the jobs that ran, utilization within the horizon, fleet
 * cost. FS_OK or FS_ERR_NOMEM (scratch for the quantiles).
 */
enum fs_status fs_recorder_summarize(struct fs_run_result *out, const struct fs_scenario *sc,
				     struct fs_error *e);

#endif
