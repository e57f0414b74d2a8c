/*
 * goodput.h - whole-run goodput of one training run: the gap between the
 * steady-state training time (tokens / steady tokens/s) and the wall time,
 * as a sum of named parts, each a function of the run's length, its scale
 * (GPUs) and its failure exposure (docs/models/training.md section 7):
 *
 *   wall = steady + failures (lost work + restarts) + checkpoints
 *        + evaluation + ramp-up + stalls
 *
 *  - checkpoints: floor(training time / tau) writes of w seconds;
 *  - evaluation: one validation pass of FS_GOODPUT_EVAL_ITERS forward-only
 *    steps every FS_GOODPUT_EVAL_INTERVAL_STEPS steps (Megatron-LM defaults);
 *  - ramp-up: a start-up time plus the batch-size ramp (a share of the
 *    tokens at a lower throughput);
 *  - stalls: stragglers, loss-spike rollbacks, hot-fix restarts and other
 *    operational pauses, a share of the steady time that depends on the
 *    GPU count (two fitted coefficients, struct fs_goodput_coef);
 *  - failures: job interruptions of rate 1/M over the wall time, each costing
 *    half a checkpoint period of lost work and the restart (Young's model).
 *
 * Long-run gate: ramp-up, stalls and failures are weighted by
 * 1 - exp(-(T/FS_GOODPUT_LONG_RUN_S)^4), T the steady time (0.004 at 46 min,
 * 0.18 at 2 h, 1 - 4e-6 at 6 h). A benchmark of minutes (MLPerf: initialisation untimed, started from a
 * checkpoint past the ramp, a failed attempt re-run) gets ~none of them; a
 * run of days gets all of them. Checkpoints and evaluations are counted as
 * the events that happen, so a run shorter than one period has none.
 *
 * Invariants: pure functions of their inputs; no globals, no I/O, no
 * allocation. Every part is >= 0 and non-decreasing in the steady time for a
 * fixed GPU count. Cost: O(1).
 * Errors: none; a failure rate that eats the run (lost time per interruption
 * >= M) gives an infinite wall time, which callers refuse beforehand with
 * fs_failure_check_progress (train.h).
 */
#ifndef FLEETSIM_GOODPUT_H
#define FLEETSIM_GOODPUT_H

#include <stddef.h>

/* Steady time around which the long-run parts phase in, seconds (3 h:
 * between the longest benchmark-style row, 46 min, and the shortest whole
 * run, 12 h). */
#define FS_GOODPUT_LONG_RUN_S 10800.0
/* One-off job start: launch, communicator set-up, compile, data-loader
 * warm-up, first checkpoint load, seconds (MLPerf Training allows up to
 * 20 min of untimed initialisation; we take half). */
#define FS_GOODPUT_STARTUP_S 600.0
/* Batch-size ramp: share of the run's tokens trained during the ramp and the
 * throughput there relative to steady state (GPT-3, Brown et al. 2020 app. B:
 * linear ramp from 32K tokens over the first 4-12B of 300B tokens, 1.3-4 %;
 * a linear ramp averages half the batch). */
#define FS_GOODPUT_RAMP_TOKEN_FRAC 0.02
#define FS_GOODPUT_RAMP_SPEED_FRAC 0.5
/* Evaluation: Megatron-LM's pretrain_gpt examples, --eval-interval 1000
 * --eval-iters 10; a forward-only step costs a third of a training step. */
#define FS_GOODPUT_EVAL_INTERVAL_STEPS 1000.0
#define FS_GOODPUT_EVAL_ITERS 10.0
#define FS_GOODPUT_EVAL_STEP_FRAC (1.0 / 3.0)
/* Stalls: share of the steady time at FS_GOODPUT_STALL_REF_GPUS GPUs and its
 * exponent in the GPU count, fitted by least squares on the log error of the
 * whole-run rows with role `fit` (searched layouts; `validate train`
 * re-derives them). */
#define FS_GOODPUT_STALL_REF_GPUS 1000.0
/* The GPU counts of the fitted rows; outside them the count is clamped, so
 * the stall share stays within what the fit saw (0.84 .. 0.12 of steady). */
#define FS_GOODPUT_STALL_MIN_GPUS 64.0
#define FS_GOODPUT_STALL_MAX_GPUS 16384.0
#define FS_GOODPUT_STALL_FRAC_AT_REF 0.32
#define FS_GOODPUT_STALL_SCALE_EXP (-0.35)

/* What the parts depend on. */
struct fs_goodput_run {
	double steady_s;         /* tokens / steady-state tokens/s of the whole job */
	double step_time_s;      /* one optimizer step, steady state (> 0) */
	int n_gpus;
	double job_mtbf_s;       /* mean time between interruptions of the job (> 0) */
	double ckpt_interval_s;  /* training seconds between checkpoints (0: none) */
	double ckpt_write_s;     /* seconds a checkpoint blocks training */
	double restart_s;        /* detection + relaunch + checkpoint load */
};

/* The fitted stall coefficients. */
struct fs_goodput_coef {
	double stall_frac_at_ref;  /* stall share of the steady time at FS_GOODPUT_STALL_REF_GPUS */
	double stall_scale_exp;    /* exponent of n_gpus / FS_GOODPUT_STALL_REF_GPUS */
};

/* Where the wall time goes, seconds; counts are expected values. */
struct fs_goodput_parts {
	double steady_s;
	double failure_lost_s;     /* work redone after interruptions */
	double failure_restart_s;  /* detection, relaunch, checkpoint load */
	double ckpt_s;
	double eval_s;
	double ramp_s;             /* start-up + batch-size ramp */
	double stall_s;
	double wall_s;             /* the sum */
	double n_interruptions;
	double n_ckpts;
	double n_evals;
	double long_run_frac;      /* the long-run gate, 0..1 */
};

/* The module's fitted coefficients (FS_GOODPUT_STALL_*). */
void fs_goodput_coef_default(struct fs_goodput_coef *c);

/*
 * The parts of one run. in->steady_s <= 0 gives all zeros. wall_s is
 * infinite when interruptions eat the run (see Errors above).
 */
void fs_goodput_parts(const struct fs_goodput_run *in, const struct fs_goodput_coef *c,
		      struct fs_goodput_parts *out);

/* steady_s / wall_s of parts (1 when both are 0; 0 for an infinite wall). */
double fs_goodput_frac(const struct fs_goodput_parts *p);

/* One published whole run: what the parts depend on and its wall time. */
struct fs_goodput_obs {
	struct fs_goodput_run run;
	double published_wall_s;   /* > 0 */
};

/*
 * Least squares on ln(predicted wall / published wall) over obs[0..n) for
 * the two stall coefficients, on a grid of 0.01 in each (share 0..1.5,
 * exponent -1.5..0.5; ties keep the first, so the fit is deterministic).
 * Returns the best coefficients in *out and the root mean square of the log
 * error in *rms_log (NULL allowed). n == 0 leaves *out at the defaults.
 */
void fs_goodput_fit(const struct fs_goodput_obs *obs, size_t n, struct fs_goodput_coef *out,
		    double *rms_log);

#endif
