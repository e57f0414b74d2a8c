/*
 * failures.h - interruptions of running training jobs on one fleet option.
 *
 * Failures of a job on g GPUs arrive as a Poisson process of rate g / MTBF
 * (the same struct fs_failure_params as the training model's goodput). A job
 * writes a checkpoint after every tau_s of training (each write takes
 * ckpt_write_s); a failure loses the work since the last checkpoint and holds
 * the job's GPUs for restart_s. The generator is seeded by
 * fs_seed_mix(seed, "failures"), so failures do not perturb other draws.
 * With failures disabled nothing is drawn and no job is ever interrupted.
 */
#ifndef FLEETSIM_FAILURES_H
#define FLEETSIM_FAILURES_H

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "fleetsim/error.h"
#include "fleetsim/scenario.h"
#include "fleetsim/train.h"

struct fs_failures {
	bool enabled;
	struct fs_failure_params fp;
	gsl_rng *rng;
	uint64_t n_failures;        /* interruptions drawn so far */
};

/*
 * Sets up f (caller storage) for pool `pool` of a fleet, of GPU g, under
 * sc's failure settings. Pool 0 draws from fs_seed_mix(seed, "failures")
 * (as a one-type fleet always did), pool k > 0 from "failures:<k>". FS_OK or
 * FS_ERR_NOMEM (f then needs only fs_failures_fini).
 */
enum fs_status fs_failures_init(struct fs_failures *f, const struct fs_scenario *sc,
				const struct fs_gpu *g, int pool, uint64_t seed, struct fs_error *e);
void fs_failures_fini(struct fs_failures *f);

/* Training seconds between checkpoints of a job on gpus GPUs (> 0); 0 when
 * checkpoints cost nothing and are taken continuously (no work is lost). */
double fs_failures_tau_s(const struct fs_failures *f, int gpus);

/* Wall seconds to train work_left_s with a checkpoint after every tau_s of training. */
double fs_failures_wall_to_finish_s(const struct fs_failures *f, double work_left_s, double tau_s);

/* Wall seconds from now to the next failure of a job on gpus GPUs; INFINITY when disabled. */
double fs_failures_next_s(struct fs_failures *f, int gpus);

/*
 * A failure elapsed_s after its segment began: returns the training seconds
 * still left (the checkpointed work of the segment is kept), >= 0, sets
 * *lost_s to the wall seconds of the segment spent on work that is lost
 * (since the last checkpoint finished), and counts the failure.
 */
double fs_failures_work_left_s(struct fs_failures *f, double work_left_s, double tau_s,
			       double elapsed_s, double *lost_s);

/* The same for a stop that is not a job failure (a node failure, a
 * preemption): counts nothing. */
double fs_failures_left_after_s(const struct fs_failures *f, double work_left_s, double tau_s,
				double elapsed_s, double *lost_s);

/*
 * Node failures (scenario section `node_failures`): every node fails as a
 * Poisson process of rate 1 / mtbf_s and is down repair_s. Draws come from
 * fs_seed_mix(seed, "node-failures"), in event order (deterministic); with
 * the section absent nothing is drawn.
 */
struct fs_node_failures {
	bool enabled;
	double mtbf_s, repair_s;
	gsl_rng *rng;
	uint64_t n_failures;
};

enum fs_status fs_node_failures_init(struct fs_node_failures *nf, const struct fs_scenario *sc,
				     uint64_t seed, struct fs_error *e);
void fs_node_failures_fini(struct fs_node_failures *nf);

/* Seconds from now to the next failure of one up node (exponential, mean mtbf_s). */
double fs_node_failures_next_s(struct fs_node_failures *nf);

#endif
