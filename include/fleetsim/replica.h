/*
 * replica.h - request-level discrete-event simulation of one serving
 * replica, and the replica's capacity at latency objectives.
 *
 * The simulation (fs_replica_run) has two kinds of events: a request
 * arrives, an iteration ends. At most one of each is pending, so they are
 * kept in two fields, ordered as engine.h orders events (time, then the
 * arrival first); an event queue cost about 180 instructions per event
 * here, 29 % of a run (docs/ENGINE.md). At each
 * iteration end the scheduler builds the next iteration the way vLLM's does
 * (iteration-level continuous batching): every running decode gets one
 * token; partially prefilled prompts continue; waiting requests are
 * admitted first come first served while the sequence limit, the token
 * budget and free KV blocks allow. With chunked prefill a prompt is split
 * to fill the budget; without it a prompt is admitted whole. When a running
 * decode needs a KV block and none is free, the most recently admitted
 * request is preempted: its blocks are freed and it is recomputed (prompt
 * plus the tokens generated so far) when readmitted. The iteration's
 * duration comes from the pure model (serve.h) on aggregated counts.
 *
 * Cost: O(log n) per request (a heap keyed by the iteration at which each
 * decode finishes) and O(1) per iteration (running sums of KV lengths and
 * block residues), no per-sequence loop per iteration; no allocation inside
 * a run (fs_replica_ws preallocates, and grows only between runs).
 *
 * Randomness: arrivals and lengths use two GSL generators seeded from
 * fs_seed_mix(seed, "replica.arrivals") and fs_seed_mix(seed,
 * "replica.lengths"). Poisson arrivals are unit-rate exponential sums
 * divided by the rate, so runs at different rates with one seed see the
 * same requests in the same order (common random numbers). Same inputs and
 * seed => identical results.
 *
 * Capacity (fs_replica_capacity): the largest Poisson rate whose p99 time
 * to first token and p99 time per output token meet the objectives, found
 * by bracketing and bisection over full simulations (Vidur-Search's
 * method), and the latency-vs-load curve around it, interpolated with GSL.
 * Results are memoised in a caller-owned struct fs_replica_memo, keyed by
 * everything that determines them.
 *
 * Errors: FS_ERR_INPUT (bad workload or scheduler settings), FS_ERR_INFEASIBLE
 * (the model, or one request, does not fit), FS_ERR_NOMEM, FS_ERR_SIM (a
 * run ended with requests unfinished: a bug). Details go to the caller's struct fs_error.
 */
#ifndef FLEETSIM_REPLICA_H
#define FLEETSIM_REPLICA_H

#include <stdbool.h>
#include <stdint.h>

#include "fleetsim/error.h"
#include "fleetsim/scenario.h"
#include "fleetsim/serve.h"

enum fs_arrival_kind {
	FS_ARRIVAL_POISSON, /* rate qps from t = 0 */
	FS_ARRIVAL_CLOSED,  /* `concurrency` requests in flight; each completion issues the next */
	FS_ARRIVAL_BURST,   /* all requests at t = 0 */
	FS_ARRIVAL_TRACE    /* at trace_s[i], non-decreasing */
};

/* Scheduler settings (vLLM names). */
struct fs_replica_sched {
	int max_num_seqs;        /* running sequences at most (>= 1) */
	long max_batched_tokens; /* tokens per iteration at most; 0 = unlimited */
	bool chunked_prefill;    /* split prompts to fill the token budget */
	bool prefix_caching;     /* a preempted request's KV stays reusable until evicted */
};

struct fs_replica_workload {
	enum fs_arrival_kind arrival;
	double qps;              /* POISSON: requests per second (> 0) */
	int concurrency;         /* CLOSED: requests in flight (>= 1) */
	const double *trace_s;   /* TRACE: n_requests arrival times, seconds */
	long n_requests;         /* requests to simulate (>= 1) */
	struct fs_dist input_tokens, output_tokens; /* drawn per request, rounded, >= 1 */
	uint64_t seed;
	/* Objectives a request is counted against (fs_replica_stats.n_within_slo);
	 * 0 = none counted. */
	double count_ttft_s, count_tpot_s;
};

/* Results of one run; latencies in seconds over all requests. */
struct fs_replica_stats {
	long n_requests, n_preemptions, n_iterations;
	double makespan_s;            /* first arrival to last completion */
	double ttft_mean_s, ttft_p50_s, ttft_p90_s, ttft_p99_s;
	double tpot_mean_s, tpot_p50_s, tpot_p90_s, tpot_p99_s; /* requests with >= 2 output tokens */
	double e2e_mean_s, e2e_p50_s, e2e_p90_s, e2e_p99_s;
	double input_tokens, output_tokens;  /* totals over the run */
	double requests_per_s, output_tokens_per_s, total_tokens_per_s; /* over the makespan */
	double mean_in_flight;        /* time average of requests arrived and not finished */
	double mean_batch_seqs;       /* sequences per iteration, mean */
	double busy_frac;             /* share of the makespan spent in iterations */
	long max_running;             /* most sequences running at once */
	/* Requests whose own TTFT <= count_ttft_s and TPOT <= count_tpot_s (a
	 * request with one output token has no TPOT), and their output tokens;
	 * 0 when the workload sets no objectives. */
	long n_within_slo;
	double output_tokens_within_slo;
};

struct fs_replica_ws; /* workspace: request arrays, heaps, event queue, generators */

/* Workspace for runs of up to max_requests (grows on demand). FS_OK or FS_ERR_NOMEM. */
enum fs_status fs_replica_ws_create(struct fs_replica_ws **out, long max_requests);
void fs_replica_ws_destroy(struct fs_replica_ws *ws);

/*
 * Simulates workload w on the replica described by m with scheduler s.
 * ws is reused (grown when w->n_requests exceeds its size). FS_OK and *out
 * filled; FS_ERR_INPUT for bad settings; FS_ERR_INFEASIBLE when a request's
 * prompt plus output cannot fit in the KV cache; FS_ERR_NOMEM; FS_ERR_SIM.
 */
enum fs_status fs_replica_run(struct fs_replica_ws *ws, const struct fs_serve_model *m,
			      const struct fs_replica_sched *s, const struct fs_replica_workload *w,
			      struct fs_replica_stats *out, struct fs_error *e);

/* Default scheduler: vLLM V1 (max_num_seqs 256, chunked prefill, 8192-token budget, prefix caching). */
struct fs_replica_sched fs_replica_sched_default(void);

/* ---- capacity at latency objectives --------------------------------------- */

/* Latency objectives; defaults 2 s and 0.2 s (MLPerf Llama-2-70B server). */
struct fs_replica_slo {
	double ttft_p99_s;
	double tpot_p99_s;
};

/* Everything capacity depends on: the memo key. */
struct fs_replica_spec {
	struct fs_serve_cfg serve;
	struct fs_replica_sched sched;
	struct fs_dist input_tokens, output_tokens;
	struct fs_replica_slo slo;
	long n_requests;   /* requests per probe; 0 = default (4000) */
	uint64_t seed;
};

#define FS_REPLICA_CURVE_MAX 16

/* Metrics sampled along the latency-vs-load curve (index of fs_replica_curve.y). */
enum fs_replica_metric {
	FS_RM_TTFT_P50, FS_RM_TTFT_P99, FS_RM_TPOT_P50, FS_RM_TPOT_P99, FS_RM_E2E_MEAN,
	FS_RM_OUT_TOKENS_PER_S, FS_RM_COUNT
};

struct fs_replica_curve {
	double capacity_qps;      /* largest rate meeting both objectives; 0 if none does */
	double saturation_qps;    /* requests/s with the replica kept full */
	long max_concurrent_seqs; /* sequences of mean length whose KV fits */
	struct fs_replica_stats at_capacity; /* the run at capacity_qps (at the lowest probe if 0) */
	int n_probes;             /* simulations the search ran */
	int n_points;             /* samples of the curve, qps increasing */
	double qps[FS_REPLICA_CURVE_MAX];
	double y[FS_RM_COUNT][FS_REPLICA_CURVE_MAX];
	void *interp[FS_RM_COUNT]; /* GSL interpolants over (qps, y[k]), owned by the memo */
};

struct fs_replica_memo; /* caller-owned cache of capacity curves */
struct fs_dbuf;         /* dispatch.h: a growable byte buffer */

/* Words of a memo key at most (fs_replica_memo_key_of). */
#define FS_REPLICA_KEY_WORDS (FS_GPU_KEY_WORDS + FS_LLM_KEY_WORDS + 2 * FS_DIST_KEY_WORDS + 16)

enum fs_status fs_replica_memo_create(struct fs_replica_memo **out);
void fs_replica_memo_destroy(struct fs_replica_memo *memo);
/* Entries held (for tests). */
long fs_replica_memo_size(const struct fs_replica_memo *memo);

/*
 * Appends every entry of memo to out (hash, key words and curve, numbers
 * only: the interpolant pointers are not written), in a layout only this
 * build reads (a worker's memo on its way to the writer, dispatch.h).
 * FS_OK or FS_ERR_NOMEM (out then holds a prefix).
 */
enum fs_status fs_replica_memo_export(const struct fs_replica_memo *memo, struct fs_dbuf *out);

/*
 * Adds to memo the entries of data[0..n) (fs_replica_memo_export's bytes)
 * whose keys it does not hold, their interpolants rebuilt as a computed
 * entry gets them, so their curves give the same values bit for bit.
 * FS_OK; FS_ERR_SIM when the bytes are not an export (truncated, a key
 * that does not hash to its hash, a curve out of bounds), and then nothing
 * is added; FS_ERR_NOMEM (some entries may have been added).
 */
enum fs_status fs_replica_memo_import(struct fs_replica_memo *memo, const void *data, size_t n,
				      struct fs_error *e);

/* The key of curve c (one of memo's) into key; its word count, 0 when c is not memo's. */
size_t fs_replica_memo_key_of(const struct fs_replica_memo *memo, const struct fs_replica_curve *c,
			      uint64_t key[FS_REPLICA_KEY_WORDS]);

/* The curve memo holds under key[0..n); NULL when none. */
const struct fs_replica_curve *fs_replica_memo_find(const struct fs_replica_memo *memo,
						    const uint64_t *key, size_t n);

/*
 * Capacity and latency-vs-load curve of spec, computed once per distinct
 * spec and then returned from memo. *out points into memo (valid until
 * fs_replica_memo_destroy). FS_OK; FS_ERR_INPUT / FS_ERR_INFEASIBLE from the
 * model (nothing is memoised then); FS_ERR_NOMEM; FS_ERR_SIM.
 */
enum fs_status fs_replica_capacity(struct fs_replica_memo *memo, const struct fs_replica_spec *spec,
				   const struct fs_replica_curve **out, struct fs_error *e);

/*
 * A metric of curve c at rate qps, interpolated (GSL Steffen, monotone
 * between samples). Below the first sample returns the first value; above the
 * last returns the last value and *beyond (when not NULL) is set true.
 */
double fs_replica_curve_at(const struct fs_replica_curve *c, enum fs_replica_metric which,
			   double qps, bool *beyond);

#endif
