/*
 * scenario.h - a validated, immutable scenario, loaded from a libconfig file.
 *
 * fs_scenario_load parses the file, merges its catalog additions into the
 * built-in catalogs, checks every key (unknown keys, types, units, ranges,
 * required keys, references between sections) and either returns a complete
 * scenario or fails with the first error, naming file, line, key, the value
 * found and what was expected. Nothing is half-loaded: on failure the
 * scenario is left empty. After loading, callers treat it as read-only.
 *
 * This module (with store.c for SQLite) is the only one that sees libconfig.
 * Every key is documented in docs/SCENARIO.md.
 */
#ifndef FLEETSIM_SCENARIO_H
#define FLEETSIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/catalog.h"
#include "fleetsim/cost.h"
#include "fleetsim/demand.h"
#include "fleetsim/dist.h"
#include "fleetsim/error.h"
#include "fleetsim/serve.h"

#define FS_MAX_MIX 16
#define FS_MAX_POOLS 8

/* The nodes of one GPU type in a fleet option. */
struct fs_pool_spec {
	const struct fs_gpu *gpu;   /* points into the scenario's catalog */
	int nodes;                  /* installed at t = 0 (0 when procurement adds them later) */
	int gpus_per_node;
	int max_nodes;              /* the most installed at any time (t = 0 plus procurement) */
	int line;
};

/* A procurement step: nodes of a pool added (delta_nodes > 0) or retired (< 0). */
struct fs_procure_spec {
	double at_s;
	int pool;                   /* index into the fleet option's pools */
	int delta_nodes;
	int line;
};

struct fs_pool_choice;          /* a row of the pool-choice table (sched.h) */

struct fs_fleet_opt {
	char name[FS_NAME_MAX];
	/* pools[0], kept for callers that know one GPU type: */
	const struct fs_gpu *gpu;
	int nodes;
	int gpus_per_node;
	int n_gpus;                 /* all pools' GPUs installed at t = 0 */
	int n_pools;                /* 1 .. FS_MAX_POOLS; one per GPU type */
	struct fs_pool_spec pools[FS_MAX_POOLS];
	struct fs_procure_spec *procure; /* sorted by at_s (ties in declaration order) */
	size_t n_procure;
	struct fs_cost_spec cost;   /* key `cost`; default cloud on-demand at catalog prices */
	const struct fs_pool_choice *pool_choice; /* key `pool_choice`; never NULL once loaded */
	int line;
};

/* Training settings shared by explicit jobs and streams. */
struct fs_train_opts {
	int seq_len;                /* tokens per sequence; 0 = the model's max_seq */
	enum fs_precision precision; /* fp8 falls back to bf16 on GPUs without fp8 */
	int method;                 /* key `method`: enum fs_train_method; default full */
	int lora_rank;              /* key `lora_rank` (lora, qlora); 0 = FS_TRAIN_DEFAULT_LORA_RANK */
	int stack;                  /* key `stack`: enum fs_train_stack; default `training.stack` */
};

struct fs_job_spec {
	char name[64];
	double submit_s;
	const struct fs_llm *model;
	double tokens;
	int gpus;
	int priority;               /* higher runs first under "priority"; default 0 */
	const struct fs_gpu *gpu;   /* key `gpu`: the GPU type asked for; NULL = any */
	int32_t team;               /* key `team`: index into sc->teams; -1 = none */
	struct fs_train_opts opts;
	int line;
};

struct fs_model_mix {
	const struct fs_llm *model;
	double weight;
};

struct fs_stream_spec {
	char name[64];
	double rate_per_s;          /* arrivals per second at start_s */
	double growth_per_month_frac; /* rate multiplies by (1+g) every 30.4375 days */
	double start_s, end_s;
	int n_models;
	struct fs_model_mix models[FS_MAX_MIX];
	struct fs_dist tokens;
	struct fs_dist gpus;        /* drawn values are rounded to whole GPUs */
	int priority;               /* of every job it draws; default 0 */
	const struct fs_gpu *gpu;   /* key `gpu`: the GPU type asked for; NULL = any */
	int32_t team;               /* key `team`: index into sc->teams; -1 = none */
	struct fs_train_opts opts;
	int line;
};

/*
 * A team (key `teams`): jobs and streams name it with `team`. Its running
 * jobs never hold more than quota_gpus GPUs together (0 = no quota); every
 * policy skips a waiting job that would exceed it (fs_sched_quota_ok).
 */
struct fs_team_spec {
	char name[64];
	int quota_gpus;
	int line;
};

/* An inference service with growing demand, served by replicas of tp GPUs. */
struct fs_service_spec {
	char name[64];
	const struct fs_llm *model;
	enum fs_precision precision;  /* default bf16 */
	int tp;                       /* GPUs per replica (one node); 0 = "auto" */
	enum fs_serve_engine engine;  /* default trtllm */
	const struct fs_gpu *gpu;     /* GPU type to serve on; NULL = the fleet's pool choice */
	struct fs_dist input_tokens;  /* prompt tokens per request */
	struct fs_dist output_tokens; /* generated tokens per request */
	double ttft_p99_s;            /* objective: p99 time to first token */
	double tpot_p99_s;            /* objective: p99 time per output token */
	struct fs_demand_spec demand;
	int reserved_gpus;            /* > 0: held for the service all the time; 0: shared pool */
	int priority;                 /* against training priorities in the shared pool */
	bool preempt_training;        /* may stop lower-priority training (resumes from checkpoint) */
	int line;
};

struct fs_serving_opts {
	double interval_s;            /* key `interval_hours`; default 1 h */
	struct fs_service_spec *services;
	size_t n_services;
};

/* Hardware failures that take a node out for repair (besides job interruptions). */
struct fs_node_failure_opts {
	bool enabled;                 /* the section `node_failures` is present */
	double mtbf_s;                /* per node */
	double repair_s;
};

/* Which training-time model the fleet uses for a job's run time. */
enum fs_train_model_kind {
	FS_TRAIN_MODEL_FULL = 0,    /* step model with plan search (docs/models/training.md) */
	FS_TRAIN_MODEL_FIRST_ORDER  /* 6N + 12Lhs over peak x MFU (docs/MODELS.md) */
};

/* Failures interrupting training jobs; the per-GPU MTBF is the GPU catalog's mtbf_h. */
struct fs_failure_opts {
	bool enabled;
	double ckpt_interval_s;     /* 0: Young's optimum for the job's size */
	double ckpt_write_s;
	double restart_s;
};

/*
 * A planning criterion (key `criteria`), evaluated per 30.4375-day month
 * (criteria.h). Job classes: FS_CRIT_ALL_JOBS, FS_CRIT_EXPLICIT_JOBS or a
 * stream index.
 */
enum fs_criterion_kind {
	FS_CRIT_TTS_P90_DAYS = 0,  /* p90 time to solution, by month of submission, <= max */
	FS_CRIT_WAIT_P90_HOURS,    /* p90 queue wait, by month of submission, <= max */
	FS_CRIT_WAIT_MEAN_HOURS,   /* mean queue wait, by month of submission, <= max */
	FS_CRIT_ATTAINMENT,        /* share of serving intervals meeting hour_min, >= min */
	FS_CRIT_UTILIZATION        /* (training + serving GPU-time) / installed, <= max */
};
#define FS_CRIT_ALL_JOBS (-2)
#define FS_CRIT_EXPLICIT_JOBS (-1)
#define FS_CRIT_ALL_SERVICES (-1)
#define FS_MAX_CRITERIA 32

struct fs_criterion {
	char name[64];
	enum fs_criterion_kind kind;
	int job_class;              /* FS_CRIT_ALL_JOBS, FS_CRIT_EXPLICIT_JOBS or a stream index */
	int service;                /* attainment: a service index or FS_CRIT_ALL_SERVICES */
	double limit;               /* max (days, hours, fraction) or, for attainment, min */
	double hour_min_frac;       /* attainment: an interval counts as met at >= this */
	int line;
};

/* The scenario spelling of a criterion kind ("tts_p90_days", ...). */
const char *fs_criterion_kind_name(enum fs_criterion_kind k);

/* Settings of `fleetsim outgrow` (key `outgrow`); command-line options override them. */
struct fs_outgrow_opts {
	int replications;           /* default 20 */
	int month;                  /* month of the scale search; -1 = the horizon's last */
	double scale_max;           /* the bracket's upper end: holds beyond means "> scale_max" */
	double scale_tol_frac;      /* bisection stops when the bracket is this wide, relative */
};
#define FS_OUTGROW_REPLICATIONS_DEFAULT 20
#define FS_OUTGROW_SCALE_MAX_DEFAULT 16.0
#define FS_OUTGROW_SCALE_TOL_DEFAULT 0.02

struct fs_sched_policy;
struct fs_history;

struct fs_scenario {
	char file[256];
	char name[64];
	char *source_text;          /* the file as read, stored with each run */
	size_t source_len;
	uint64_t seed;
	double horizon_s;
	double series_interval_s;
	enum fs_train_model_kind train_model;
	const struct fs_sched_policy *scheduler; /* key `scheduler`; never NULL once loaded */
	double estimate_noise_frac;   /* key `scheduler_estimate_noise`: sd of the log of a
				       * user's run-time estimate / the true one; 0 = exact */
	struct fs_failure_opts failures;
	struct fs_node_failure_opts node_failures;
	struct fs_serving_opts serving;
	struct fs_catalog catalog;  /* built-ins merged with the scenario's additions */
	struct fs_fleet_opt *fleets;
	size_t n_fleets;
	struct fs_job_spec *jobs;
	size_t n_jobs;
	struct fs_stream_spec *streams;
	size_t n_streams;
	struct fs_history *history;   /* key `training.history` (history.h); owned, NULL = none */
	struct fs_train_opts history_opts; /* of every history job: the model's longest sequence,
					    * bf16, full, the scenario's `training.stack` */
	double history_scale;         /* key `training.history.scale`: arrivals x k (default 1;
				       * workload.h); fs_scenario_scale multiplies it */
	int history_line;
	struct fs_team_spec *teams; /* key `teams`, in declaration order */
	size_t n_teams;
	struct fs_criterion criteria[FS_MAX_CRITERIA]; /* key `criteria`, in declaration order */
	size_t n_criteria;
	struct fs_outgrow_opts outgrow;
};

/*
 * The plausible tokens of one training job (docs/SCENARIO.md): a job's
 * `tokens` and every value a stream's token distribution states lie in
 * [MIN, MAX]; a distribution without its own min/max is clamped to them.
 * 1e3 tokens is less than one sequence; 1e16 is ~700x Llama 3's 15e12.
 */
#define FS_JOB_TOKENS_MIN 1e3
#define FS_JOB_TOKENS_MAX 1e16

/* The largest scenario file the loader reads (1 MiB); a larger one is refused. */
#define FS_SCENARIO_MAX_BYTES (1u << 20)

/*
 * Node failures (key `node_failures`) when the section leaves a value out
 * (docs/SCENARIO.md): Llama 3 saw 419 unexpected interruptions in 54 days on
 * 2,048 nodes of 8 H100, 78 % of them hardware: 2048 x 54 x 24 h /
 * (0.78 x 419) = 8,121 h per node. The repair time is assumed.
 */
#define FS_NODE_MTBF_HOURS_DEFAULT 8121.0
#define FS_NODE_REPAIR_HOURS_DEFAULT 24.0

/* The serving interval when `serving.interval_hours` is left out. */
#define FS_SERVING_INTERVAL_HOURS_DEFAULT 1.0

#define FS_SECONDS_PER_DAY 86400.0
#define FS_SECONDS_PER_MONTH (30.4375 * 86400.0)

/*
 * Loads and validates path into sc (caller storage, need not be initialised).
 * FS_OK, or FS_ERR_INPUT with e naming file:line:key (missing file, not a
 * regular file, larger than FS_SCENARIO_MAX_BYTES, syntax error, @include,
 * an integer literal beyond 64 bits, unknown key, wrong type, out of range,
 * unknown GPU or model, a job larger than a fleet, a name declared twice or
 * one a stream generates), or FS_ERR_NOMEM. On failure sc is empty. Never
 * blocks and opens no file but path. Every integer is read with 64 bits
 * (libconfig 1.5 alone wraps unsuffixed literals to 32).
 */
enum fs_status fs_scenario_load(const char *path, struct fs_scenario *sc, struct fs_error *e);

/* Same from text held in memory; name is used in messages as the file name. */
enum fs_status fs_scenario_load_text(const char *text, const char *name,
				     struct fs_scenario *sc, struct fs_error *e);

/*
 * Same as fs_scenario_load_text, but the scenario starts from builtin, a
 * catalog the caller parsed once with fs_catalog_load_builtin (builtin.h),
 * instead of parsing the embedded catalog files on every call (most of a
 * load's cost: about 19 KB of libconfig text). builtin is only read and is
 * copied into sc->catalog, so one parsed catalog serves any number of loads;
 * the caller keeps ownership and frees it with fs_catalog_fini after the
 * last load. builtin must not be NULL. Given the catalog
 * fs_catalog_load_builtin gives, the outcome (scenario, status, error) is
 * the same as fs_scenario_load_text's.
 */
enum fs_status fs_scenario_load_text_with(const char *text, const char *name,
					  const struct fs_catalog *builtin,
					  struct fs_scenario *sc, struct fs_error *e);

void fs_scenario_fini(struct fs_scenario *sc);

/*
 * Demand scaling for `outgrow`: dst becomes a shallow copy of base (sharing
 * its catalog, fleets and jobs) with its own copies of the streams and
 * services, so that fs_scenario_scale can change them. FS_OK or
 * FS_ERR_NOMEM. Release with fs_scenario_scaled_fini (never fs_scenario_fini).
 */
enum fs_status fs_scenario_scaled_init(const struct fs_scenario *base, struct fs_scenario *dst,
				       struct fs_error *e);

/*
 * Sets dst (from fs_scenario_scaled_init of base) to base's workload scaled
 * by k > 0: every stream's arrival rate and every service's demand (rps and
 * its steps' levels, which are relative) times k. Explicit jobs are kept as
 * they are. Pure: depends on base and k only, never on an earlier scale.
 */
void fs_scenario_scale(const struct fs_scenario *base, double k, struct fs_scenario *dst);

void fs_scenario_scaled_fini(struct fs_scenario *dst);

/*
 * The largest training job fleet option f can ever hold for a job asking for
 * GPU type gpu (NULL: any type): the largest matching pool's max_nodes x
 * gpus_per_node; 0 when no pool is of that type.
 */
int fs_fleet_opt_max_job_gpus(const struct fs_fleet_opt *f, const struct fs_gpu *gpu);

#endif
