/*
 * run.h - one simulation run: a scenario, one fleet option, one seed.
 *
 * The workload (workload.h) does not depend on the fleet, so every fleet
 * option of a scenario sees the same jobs for a given seed (common random
 * numbers: differences between fleets are the fleets'). A command generates
 * it once and passes it to fs_run_fleet_workload for each fleet option.
 *
 * Training jobs are gang-scheduled: a job starts only when all its GPUs are
 * free, in the order the scenario's scheduling policy (sched.h, key
 * `scheduler`, default "fifo") picks, once all events of an instant are in,
 * and never past its team's quota (key `teams`: the run counts the GPUs each
 * team's running jobs hold and the policies see it; a job larger than its
 * team's quota is infeasible). A job's expected run time comes from
 * the training model chosen by the scenario (`train_model`), computed once
 * per job shape (model, GPUs, sequence length, precision) and scaled by the
 * tokens. Failures arrive as a Poisson process of rate
 * gpus / MTBF while the job runs (the same struct fs_failure_params as the
 * model's goodput estimate); each loses the work since the last checkpoint
 * and holds the job's GPUs for the restart time. A job whose model does not
 * fit on its GPUs is marked infeasible and uses no GPU time.
 * Arrivals stop at the horizon; the run continues until every submitted job
 * has finished, so time-to-solution is never censored. Utilization is
 * reported per series interval as time-averaged busy GPUs.
 *
 * A fleet option is one or more pools (one GPU type each; an option without
 * a pool list is one pool of its gpu and nodes). A job runs within one pool,
 * the one the option's pool choice picks (sched.h); its times come from the
 * training model per (shape, pool). A job that asks for a GPU type the fleet
 * lacks, or fits no pool, is infeasible. Procurement steps add nodes (free
 * at once) or retire them (idle nodes first, oldest first; then down nodes;
 * then busy nodes drain and retire when their last job ends). With
 * `node_failures`, every installed node fails as a Poisson process (mean
 * mtbf_s, draws from fs_seed_mix(seed, "node-failures")) and is down
 * repair_s; the jobs on it stop (the work since their last checkpoint is
 * lost, counted in gpu_hours_lost; restarts++) and wait again at the head of
 * the queue. Once every job has ended and the horizon has passed, the node
 * failures still pending are dropped. A one-pool fleet without procurement
 * or node failures under "fifo" gives the same events as before pools.
 *
 * Services (scenario key `serving`) are re-planned every serving interval
 * from t = 0 to the horizon on one pool each (their `gpu` type's, else the
 * first pool whose GPU can serve them): reserved services hold their
 * replicas, shared ones take free GPUs and, with preempt_training, stop
 * running jobs of lower priority (stop and resume as after a node failure,
 * counted as preemptions); a node failure takes the replicas on it until the
 * next interval (docs/MODELS.md, "Fleet run"). Every series interval is
 * priced per pool with the option's cost spec (cost.h). A scenario without
 * services adds no event and no draw.
 *
 * Invariants (tested): the GPU-hours of the jobs equal the integral of the
 * busy-GPU series; installed = down + busy + serving + idle per interval; no
 * job starts before its submission.
 */
#ifndef FLEETSIM_RUN_H
#define FLEETSIM_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "fleetsim/error.h"
#include "fleetsim/scenario.h"
#include "fleetsim/train.h"
#include "fleetsim/workload.h"

/*
 * Time limits. Engine time is int64 nanoseconds (about 292 years); a run
 * never simulates past FS_RUN_MAX_SIM_S (100 years, the training model's
 * FS_TRAIN_MAX_RUN_S), so no time sum can overflow. A job whose expected run
 * time alone exceeds it is refused when submitted (the same test `check`
 * applies through fs_run_job_time); a job that queueing or failures push past
 * it stops the run with FS_ERR_INPUT naming the job and fleet.
 */
#define FS_RUN_MAX_SIM_S FS_TRAIN_MAX_RUN_S

/*
 * Hard guard against a failure livelock: a job that fails this many times in
 * a row without keeping any work stops the run with FS_ERR_SIM. Jobs pass
 * fs_failure_check_progress first, under which reaching a checkpoint before
 * a failure has probability above 0.13, so hitting the bound (0.87^10^4) is
 * a broken model, not bad luck.
 */
#define FS_RUN_MAX_FAILS_NO_PROGRESS 10000u

enum fs_job_status {
	FS_JOB_DONE = 0,
	FS_JOB_INFEASIBLE,  /* the model does not fit on the job's GPUs of this fleet's type */
	FS_JOB_CANCELLED    /* a history job cancelled before it started: it arrives at its
			     * submit time and ends there (start = end = submit), never
			     * reaches a policy, holds no GPUs */
};

struct fs_job_result {
	uint32_t source, seq;       /* the arrival's origin (workload.h): name and kind derive from it */
	const struct fs_llm *model;
	const struct fs_train_opts *opts; /* sequence length and precision */
	int gpus;
	int priority;               /* from its job or stream */
	int32_t team;               /* index into sc->teams, -1 = none */
	int pool;                   /* the pool (GPU type) it ran on; -1 before it starts */
	double tokens;
	double submit_s;            /* on the engine's nanosecond grid */
	double start_s;             /* first start */
	double end_s;
	double wait_s;              /* start - submit */
	double tts_s;               /* time to solution: end - submit */
	double gpu_hours;           /* GPU-hours held while running, restarts included */
	double gpu_hours_lost;      /* of those, work redone after failures and preemptions */
	double run_s;               /* expected run time on its pool's GPUs (goodput included) */
	enum fs_job_status status;
	int restarts;               /* failures (job or node) that interrupted the job */
	int preemptions;            /* times a service took its GPUs back */
};

/* One series interval of a run (all pools together). GPU counts are
 * time-averaged over the interval; installed = up + down, and
 * up = busy_train + busy_serve + idle (tested in SQL). */
struct fs_series_point {
	double t_s;                 /* interval start */
	int gpus_total;             /* installed at the interval's end */
	double gpus_installed;      /* time-averaged */
	double gpus_down;           /* installed but failed, awaiting repair */
	double gpus_busy;           /* training */
	double gpus_serving;        /* held by service replicas (reserved or granted) */
	double gpus_idle;
	double gpus_frag;           /* free but on partly used nodes: no room for a whole-node job */
	int jobs_running;           /* at the interval's end */
	int jobs_queued;            /* at the interval's end */
	double power_kw;            /* facility power, time-averaged (fs_cost_power_kw) */
	double cost_usd;            /* cost of the interval, all parts */
	struct fs_cost_parts cost;  /* its parts */
	double idle_cost_usd;       /* of it, what the idle GPUs account for (fs_cost_idle_usd;
				     * down GPUs are not idle) */
};

/* One service in one serving interval. */
struct fs_service_point {
	uint32_t service;           /* index into sc->serving.services */
	double t_s;                 /* interval start */
	double demand_rps;          /* mean over the interval */
	int pool;                   /* where its replicas ran (-1: none granted) */
	int tp;                     /* GPUs per replica */
	int replicas_wanted;
	int replicas_granted;
	double capacity_rps;        /* granted replicas x capacity per replica at the objectives */
	double attainment_frac;     /* requests served within both objectives / demand */
	double served_rps;          /* requests/s served within the objectives */
	double output_tokens;       /* generated within the objectives over the interval */
};

struct fs_run_summary {
	size_t n_jobs;
	size_t n_done_in_horizon;   /* finished at or before the horizon */
	size_t n_infeasible;        /* rejected: the model does not fit on the job's GPUs */
	size_t n_cancelled;         /* history jobs cancelled before they started (FS_JOB_CANCELLED);
				     * like infeasible jobs, left out of waits, times and GPU-hours */
	uint64_t n_failures;        /* job interruptions drawn */
	double mean_wait_s, p90_wait_s;
	double mean_tts_s, p90_tts_s;
	double mean_util_frac;      /* busy GPU-time (training + serving) / installed GPU-time over [0, horizon] */
	double makespan_s;          /* last job end (>= 0) */
	double gpu_hours;           /* all jobs */
	double gpu_hours_lost;      /* all jobs: work redone after failures and preemptions */
	uint64_t n_preemptions;
	uint64_t n_node_failures;
	double fleet_cost_usd;      /* the sum of the series' costs over [0, horizon] */
	struct fs_cost_parts cost;  /* its parts */
	double serve_attainment_frac; /* demand served within objectives / demand, all services */
	double serve_output_tokens; /* generated within the objectives, all services, in horizon */
	/* Units of cost for reviews (docs/MODELS.md, "Cost"), NAN where undefined: */
	double idle_cost_usd;       /* idle GPUs' share of fleet_cost_usd (fs_cost_idle_usd) */
	double usd_per_training_job; /* fleet cost x training's share of the used GPU-hours
				      * (training + serving) / jobs finished in the horizon */
	double usd_per_mtok_served; /* fleet cost x serving's share / output tokens x 1e6 */
	uint64_t events;            /* events processed */
};

struct fs_run_result {
	const struct fs_fleet_opt *fleet;
	uint64_t seed;
	double horizon_s;
	struct fs_job_result *jobs;
	size_t n_jobs;
	struct fs_series_point *series;
	size_t n_series;
	struct fs_service_point *svc;   /* services x serving intervals, time-major */
	size_t n_svc;
	double usd_per_gpu_hour[FS_MAX_POOLS]; /* the prices used, per pool (cloud) */
	struct fs_run_summary sum;
	char svc_warning[256];          /* services no pool of this fleet can serve ("": none) */
	double wall_s;              /* host seconds spent simulating */
};

/*
 * Simulates fleet option fleet_idx of sc under workload w (generated from sc
 * with seed; read only, may be shared by several runs) into out (caller
 * storage; release with fs_run_result_fini). seed also seeds the failures.
 * out's jobs are in w's order. FS_OK, FS_ERR_NOMEM or FS_ERR_SIM (the
 * training model gave a non-positive or non-finite time, or a job failed
 * FS_RUN_MAX_FAILS_NO_PROGRESS times in a row); FS_ERR_INPUT from the
 * training model, for a job that makes no progress under failures
 * (fs_failure_check_progress) or would run past FS_RUN_MAX_SIM_S; the
 * message names the job, its GPUs and the fleet.
 */
enum fs_status fs_run_fleet_workload(const struct fs_scenario *sc, const struct fs_workload *w,
				     size_t fleet_idx, uint64_t seed, struct fs_run_result *out,
				     struct fs_error *e);

/*
 * Same, with the services' plans taken from and added to smemo (service.h;
 * NULL: the run plans in a memo of its own). Plans are keyed by service and
 * GPU type, so one memo serves every fleet option and seed of one loaded
 * scenario: a command planning each (service, GPU type) once. The memo must
 * not outlive sc.
 */
struct fs_service_memo;
enum fs_status fs_run_fleet_workload_memo(const struct fs_scenario *sc, const struct fs_workload *w,
					  size_t fleet_idx, uint64_t seed,
					  struct fs_service_memo *smemo, struct fs_run_result *out,
					  struct fs_error *e);

/* Same, generating the workload for seed first (one fleet option only). */
enum fs_status fs_run_fleet(const struct fs_scenario *sc, size_t fleet_idx, uint64_t seed,
			    struct fs_run_result *out, struct fs_error *e);

void fs_run_result_fini(struct fs_run_result *r);

/* The scenario's training model as the key `train_model` names it ("full", "first_order"). */
const char *fs_run_train_model_name(const struct fs_scenario *sc);

/* The failure parameters a fleet of GPU g uses under the scenario's settings. */
void fs_run_failure_params(const struct fs_scenario *sc, const struct fs_gpu *g,
			   struct fs_failure_params *fp);

/*
 * A training job's times on GPUs of type g with the scenario's training model
 * and failure settings: *work_s, the useful training seconds, and *wall_s,
 * the expected wall time (failures and checkpoints included). memo may be
 * shared across calls (the full model memoises its plan search in it).
 * FS_OK, FS_ERR_INFEASIBLE (the model does not fit; e says by how much),
 * FS_ERR_INPUT (no progress under failures, fs_failure_check_progress;
 * tokens too few to be any work; or *wall_s beyond FS_RUN_MAX_SIM_S,
 * fs_train_check_run_time: the times are then still set). `run` refuses such a job with the same test.
 */
enum fs_status fs_run_job_time(const struct fs_scenario *sc, const struct fs_gpu *g,
			       struct fs_train_memo *memo, const struct fs_llm *model, int gpus,
			       const struct fs_train_opts *opts, double tokens, double *work_s,
			       double *wall_s, struct fs_error *e);

#endif
