/*
 * outgrow.h - when does each fleet option stop meeting the scenario's
 * criteria (criteria.h), and at what scale of demand?
 *
 * An analysis runs R replications of every fleet option. Replication i uses
 * the seed fs_seed_mix(master, "rep:<i>") & (2^63 - 1) for every fleet option (common
 * random numbers) and every scale. For each (replication, fleet):
 *  - the run at scale 1 and its criteria month by month: the first month a
 *    criterion fails under the scenario's growth, and which;
 *  - the scale search: g(k) = fs_criteria_margin through month M of the run
 *    at demand scale k (fs_scenario_scale: stream rates and service demand
 *    times k, explicit jobs kept) is bracketed from k = 1 (doubling up to
 *    scale_max, or halving down to 1/16) and bisected with GSL's
 *    gsl_root_fsolver_bisection until the bracket is within scale_tol_frac
 *    (gsl_root_test_interval); the replication's k is the bracket's middle.
 *    So k is "the demand scale at which some criterion fails by month M"
 *    (failing in any month up to M, not only M itself: a fleet that broke in
 *    month 3 has not held through month M).
 * Per fleet the replications give means with 95 % t-intervals
 * (fs_interval_t95) over the per-replication values: a real confidence
 * interval of the mean, since the replications are independent.
 *
 * Workers: the (replication, fleet) units are items of the work-list
 * dispatcher (dispatch.h), unit u being replication u / n_fleets of fleet
 * u % n_fleets: in process with jobs 1, in jobs fork()ed worker processes
 * otherwise, or on MPI ranks under mpirun (rank 0 writes, the others
 * work). Items go to whichever worker is free; a worker that dies has its
 * unit run again elsewhere. Units are sent back as bytes the writer
 * rebuilds against its own scenario (outgrow.c, "the work list"), and every
 * unit is a pure function of (scenario, parameters, unit), so the result
 * does not depend on jobs, ranks or deaths, bit for bit.
 *
 * Costs until the failure: over [0, T) with T the first failing month's
 * start (at least one month; the horizon when the fleet holds), the fleet's
 * cost (series cost_usd) per month, per training job finished by T and per
 * million tokens (training tokens of those jobs plus output tokens served
 * within the objectives before T); means over the replications.
 *
 * Verdict groups: "equal budget" puts fleets whose cost per month is within
 * 10 % of the cheapest of the group together (sorted by cost, greedy);
 * "equal GPU count" groups fleets with the same installed GPUs at t = 0. In
 * each group the option holding longest is the one with the latest mean
 * first failing month, ties broken by the larger mean scale.
 */
#ifndef FLEETSIM_OUTGROW_H
#define FLEETSIM_OUTGROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/criteria.h"
#include "fleetsim/dispatch.h"
#include "fleetsim/error.h"
#include "fleetsim/run.h"
#include "fleetsim/scenario.h"

/* The smallest scale the search tries before calling a fleet "failing at any demand". */
#define FS_OUTGROW_SCALE_MIN (1.0 / 16.0)

/* The budget tolerance of a verdict group: within 10 % of the group's cheapest. */
#define FS_OUTGROW_BUDGET_TOL_FRAC 0.10

typedef void (*fs_outgrow_progress_fn)(void *ctx, size_t done, size_t total);

struct fs_outgrow_params {
	int replications;           /* >= 2 */
	int jobs;                   /* worker processes when not under MPI, >= 1 */
	int month;                  /* of the scale search, 0 .. n_months - 1 */
	double scale_max;           /* > 1 */
	double scale_tol_frac;      /* > 0 */
	uint64_t seed;              /* master seed */
	fs_outgrow_progress_fn progress; /* may be NULL; called in the writer */
	void (*note)(void *ctx, const char *msg); /* may be NULL; a worker died and its unit
						    * was run again (writer side) */
	void *progress_ctx;         /* for progress and note */
	size_t test_fault_unit;     /* tests only: 0 none; u + 1: the worker that first
				     * takes unit u dies (dispatch.h, fault_item) */
};

/* Mean with its 95 % t-interval (lo, hi) and the sample's min and max. */
struct fs_interval {
	size_t n;
	double mean, lo, hi, min, max, sd;
};

/* One replication of one fleet option. */
struct fs_outgrow_rep {
	int replication;
	uint64_t seed;
	struct fs_run_result run;   /* at scale 1 */
	struct fs_criteria_eval ev; /* of run */
	double scale;               /* the demand scale at which it fails by month M */
	int scale_bound;            /* 0 bisected; +1 holds at scale_max (scale is a lower
				     * bound); -1 fails at FS_OUTGROW_SCALE_MIN (an upper bound) */
	int n_points;               /* simulations of the scale search, scale 1 included */
	double search_wall_s;       /* host seconds spent on them */
	/* costs until the first failure (see the header comment) */
	double until_s;
	double cost_usd, n_training_runs, tokens;
};

struct fs_outgrow_fleet {
	size_t fleet;               /* index into sc->fleets */
	struct fs_interval first_fail_month; /* a replication that holds counts as n_months */
	int n_held;                 /* replications meeting every criterion to the horizon */
	int criterion;              /* the criterion failing first most often; -1: none */
	int n_criterion;            /* in how many replications */
	struct fs_interval scale;
	int n_scale_bound;          /* replications whose scale is a bound, not bisected */
	double usd_per_month, usd_per_training_run, usd_per_mtok; /* NaN: nothing to divide by */
	int budget_group, gpu_group;
	bool longest_in_budget, longest_in_gpus; /* and the group has more than one option */
};

struct fs_outgrow_result {
	const struct fs_scenario *sc;
	struct fs_outgrow_params params; /* jobs: the workers that ran (dispatch.n_workers) */
	int n_months;
	size_t n_fleets;
	struct fs_outgrow_rep *reps;     /* [fleet * replications + replication] */
	struct fs_outgrow_fleet *fleets; /* [fleet] */
	size_t n_points;                 /* simulations, all fleets and replications */
	double points_wall_s;            /* their host seconds, summed over workers */
	double wall_s;
	struct fs_dispatch_stats dispatch; /* backend, workers, deaths, reissues */
	bool is_writer;                  /* false on an MPI worker rank: nothing else is set */
};

/*
 * Runs the analysis of sc (with at least one criterion) under p into out
 * (caller storage; release with fs_outgrow_result_fini). FS_OK;
 * FS_ERR_INPUT (no criteria, bad parameters, or a run's bad input such as a
 * job past the time limit at some scale); FS_ERR_SIM (also when a worker
 * cannot be started, or workers died FS_DISPATCH_MAX_ATTEMPTS times on one
 * unit), FS_ERR_NOMEM. out is empty on failure. Under MPI every rank calls
 * it; on a worker rank it returns FS_OK with out empty and out->is_writer
 * false, and the caller must neither print nor write.
 */
enum fs_status fs_outgrow_run(const struct fs_scenario *sc, const struct fs_outgrow_params *p,
			      struct fs_outgrow_result *out, struct fs_error *e);

void fs_outgrow_result_fini(struct fs_outgrow_result *r);

/*
 * The mean of x[0..n) with its two-sided 95 % confidence interval from the
 * t-distribution with n - 1 degrees of freedom:
 * mean +- t(0.975, n-1) s / sqrt(n), s the sample standard deviation.
 * n == 1: lo = hi = mean; n == 0: every field NaN (n 0).
 */
void fs_interval_t95(const double *x, size_t n, struct fs_interval *out);

/*
 * The decision summary in plain words, one claim per line, each with the
 * figures behind it, into buf (size n; cut short when too small). Returns
 * the length it needs (like snprintf).
 */
size_t fs_outgrow_summary(const struct fs_outgrow_result *r, char *buf, size_t n);

#endif
