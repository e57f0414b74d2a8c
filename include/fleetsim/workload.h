/*
 * workload.h - the training arrivals of a scenario for one seed: explicit
 * jobs plus the Poisson streams (rate growing geometrically month over
 * month), each stream drawn from its own generator seeded by
 * fs_seed_mix(seed, "stream:<name>").
 *
 * The workload does not depend on the fleet: a command generates it once and
 * every fleet option runs the same arrivals (common random numbers).
 *
 * An arrival names where it came from by (source, seq) instead of a string:
 * source s < sc->n_jobs is explicit job s (seq 0); source sc->n_jobs + k is
 * stream k, and seq is the arrival's 1-based number within that stream.
 * Names ("pretrain-8b", "<stream>-<seq>") and kinds ("job" or the stream
 * name) are derived on demand by fs_workload_job_name / fs_workload_kind.
 *
 * Invariant: arrivals are ordered by submit time, ties by (source, seq),
 * which is declaration order (explicit jobs first, then streams in order).
 */
#ifndef FLEETSIM_WORKLOAD_H
#define FLEETSIM_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "fleetsim/error.h"
#include "fleetsim/scenario.h"

struct fs_arrival {
	double submit_s;
	double tokens;
	const struct fs_llm *model;       /* points into the scenario's catalog */
	const struct fs_train_opts *opts; /* points into the scenario's job or stream */
	int gpus;                         /* 1 .. the largest fleet (the loader checks it) */
	uint32_t source;                  /* see the header comment */
	uint32_t seq;                     /* 0 for explicit jobs, 1.. within a stream */
};

struct fs_workload {
	struct fs_arrival *jobs;          /* owned; n in submit order */
	size_t n;
};

/*
 * Generates the workload of sc for seed into *w (caller storage): explicit
 * jobs and stream arrivals in [start, min(end, horizon)). FS_OK, or
 * FS_ERR_NOMEM / FS_ERR_SIM (a stream of more than 50 million jobs) with *w
 * empty. Release with fs_workload_fini.
 */
enum fs_status fs_workload_generate(const struct fs_scenario *sc, uint64_t seed,
				    struct fs_workload *w, struct fs_error *e);

void fs_workload_fini(struct fs_workload *w);

/* "job" for an explicit job's source, else the stream's name. */
const char *fs_workload_kind(const struct fs_scenario *sc, uint32_t source);

/*
 * Writes the job's name into buf (size n >= 1): the explicit job's name, or
 * "<stream>-<seq>". Returns buf.
 */
char *fs_workload_job_name(const struct fs_scenario *sc, uint32_t source, uint32_t seq,
			   char *buf, size_t n);

#endif
