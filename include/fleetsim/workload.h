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
 * Source sc->n_jobs + sc->n_streams is the history (training.history):
 * seq = copy x n_rows + row + 1 (row 0-based in the file, copy 0.. when
 * the history is scaled up), kind "history", name the row's original id
 * ("#<copy>" appended to copies after the first).
 *
 * Invariant: arrivals are ordered by submit time, ties by (source, seq),
 * which is declaration order (explicit jobs first, then streams in order).
 */
#ifndef FLEETSIM_WORKLOAD_H
#define FLEETSIM_WORKLOAD_H

#include <stdbool.h>
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
	int priority;                     /* its job's or stream's (higher first under "priority") */
	const struct fs_gpu *gpu;         /* the GPU type asked for; NULL = any */
	double est_factor;                /* the user's run-time estimate / the model's: 1, or
					   * exp(N(0, scheduler_estimate_noise)) drawn per job in
					   * workload order from fs_seed_mix(seed, "estimates") */
	int32_t team;                     /* index into sc->teams, -1 = none */
	double duration_s;                /* > 0: a replayed history job's measured run time
					   * on ref_gpu (its model may then be NULL); 0: the
					   * training model gives the run time */
	const struct fs_gpu *ref_gpu;     /* the GPU type duration_s was measured on; NULL
					   * when duration_s is 0 or the history names none */
	uint32_t source;                  /* see the header comment */
	uint32_t seq;                     /* 0 for explicit jobs, 1.. within a stream */
	bool cancelled;                   /* a history job cancelled before it started: kept
					   * as a job row (FS_JOB_CANCELLED), never run */
};

/* Copies after the first of a replicated history job are submitted up to
 * this much later than the row (uniform), so copies do not arrive as one. */
#define FS_HISTORY_JITTER_S 300.0

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

/*
 * The work estimate, checked before anything is drawn or simulated.
 *
 * A job run is one job simulated on one fleet option; a run holds about
 * 250 bytes per job run (measured: 100k jobs on one fleet ~25 MB, each more
 * fleet ~10 MB) and handles about 2 events per job without failures (arrival,
 * end), a few more with them. The default limit of 10 million job runs keeps
 * a run near 2.5 GB, well inside a 24 GB machine.
 */
#define FS_WORKLOAD_MAX_JOB_RUNS_DEFAULT 10000000.0

/*
 * Expected arrivals of stream k of sc: the integral of its rate over
 * [start, min(end, horizon)), r0 M / ln g (g^(T/M) - 1), or r0 T when it does
 * not grow. May be +inf for absurd growth over a long window.
 */
double fs_workload_expected_stream_jobs(const struct fs_scenario *sc, size_t k);

/* Explicit jobs plus every stream's expected arrivals (per fleet option). */
double fs_workload_expected_jobs(const struct fs_scenario *sc);

/*
 * FS_OK when the expected job runs (expected jobs x fleet options) are at most
 * max_job_runs; else FS_ERR_INPUT with e naming the file, the line and key of
 * the stream that expects most jobs, its expected count, the limit and
 * option, the way to raise the limit (e.g. "--max-jobs").
 */
enum fs_status fs_workload_check_size(const struct fs_scenario *sc, double max_job_runs,
				      const char *option, struct fs_error *e);

/* "job" for an explicit job's source, else the stream's name. */
const char *fs_workload_kind(const struct fs_scenario *sc, uint32_t source);

/*
 * Writes the job's name into buf (size n >= 1): the explicit job's name, or
 * "<stream>-<seq>". Returns buf.
 */
char *fs_workload_job_name(const struct fs_scenario *sc, uint32_t source, uint32_t seq,
			   char *buf, size_t n);

#endif
