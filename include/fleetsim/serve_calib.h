/*
 * serve_calib.h - the calibration rows of the serving model
 * (models/calibration/serving.csv, docs/models/serving.md): strict typed
 * rows, and the prediction of each row's published figure by the replica
 * simulation.
 *
 * Loading (models/serve_calib.c) is pure: every numeric column is checked,
 * and a bad cell is an FS_ERR_INPUT naming the file, line and column.
 * Model, GPU and engine names are resolved when a row is predicted, so a
 * row the model cannot simulate is reported, not fatal.
 *
 * Prediction (sim/serve_calib_run.c) runs the request-level replica
 * simulation (replica.h) and so belongs to the simulator layer; it is
 * declared here so that the calibration has one header.
 */
#ifndef FLEETSIM_SERVE_CALIB_H
#define FLEETSIM_SERVE_CALIB_H

#include <stdbool.h>
#include <stddef.h>

#include "fleetsim/catalog.h"
#include "fleetsim/dist.h"
#include "fleetsim/error.h"
#include "fleetsim/serve.h"

/* What a row is for: the shared targets, extra rows of the same sources (fitted), never fitted, or listed only. */
enum fs_serve_calib_set {
	FS_SERVE_SET_CAL = 0,
	FS_SERVE_SET_EXTRA,
	FS_SERVE_SET_HOLDOUT,
	FS_SERVE_SET_EXCLUDED,
	FS_SERVE_SET_COUNT
};

/* How the source ran: a closed batch, a burst of requests, or a figure that is not a run (ratio). */
enum fs_serve_calib_mode {
	FS_SERVE_MODE_BATCH = 0,
	FS_SERVE_MODE_BURST,
	FS_SERVE_MODE_RATIO,
	FS_SERVE_MODE_COUNT
};

/* The published figure of a row. The unit column scales it (ms, per GPU). */
enum fs_serve_metric {
	FS_SERVE_METRIC_OUTPUT_TOKENS_PER_S = 0, /* throughput_output_tokens */
	FS_SERVE_METRIC_TOTAL_TOKENS_PER_S,      /* throughput_total_tokens */
	FS_SERVE_METRIC_REQUESTS_PER_S,          /* throughput_requests */
	FS_SERVE_METRIC_TTFT,                    /* ttft: median time to first token */
	FS_SERVE_METRIC_PREFILL_LATENCY,         /* prefill_latency: as ttft */
	FS_SERVE_METRIC_TTFT_MEAN,               /* ttft_mean */
	FS_SERVE_METRIC_TPOT_MEAN,               /* tpot_mean */
	FS_SERVE_METRIC_RATIO_H100_OVER_A100,    /* throughput_ratio_h100_over_a100: not modelled */
	FS_SERVE_METRIC_COUNT
};

#define FS_SERVE_CALIB_NOTE_MAX 256

struct fs_serve_calib_row {
	int line;                       /* line of the row in the CSV text */
	char id[96];
	char model[FS_NAME_MAX];        /* fleetsim_model: catalog name */
	char gpu[FS_NAME_MAX];          /* fleetsim_gpu: catalog name ("" for a ratio) */
	char metric_text[48];           /* the metric as written */
	char unit[24];                  /* tokens/s, tokens/s/GPU, ms, req/s, x */
	char note[FS_SERVE_CALIB_NOTE_MAX]; /* stats_note: why a row is excluded */
	char software[96];              /* engine: the software and version as published ("" if absent) */
	enum fs_serve_calib_set set;
	enum fs_serve_calib_mode mode;
	enum fs_serve_metric metric;
	enum fs_precision precision;
	enum fs_serve_engine engine;    /* fleetsim_engine */
	bool legacy_gqa, chunked_prefill;
	long tp, batch, n_requests, input_len, output_len, max_num_seqs, max_batched_tokens; /* 0: not given */
	struct fs_dist input_tokens, output_tokens; /* input_dist/output_dist, or fixed input_len/output_len */
	double value;                   /* published, in unit */
};

const char *fs_serve_calib_set_name(enum fs_serve_calib_set s);
const char *fs_serve_calib_mode_name(enum fs_serve_calib_mode m);

/*
 * Parses the serving calibration CSV text (header row; columns by name).
 * name is the file name used in errors. On FS_OK *rows (malloc'd, caller
 * frees) holds *n_rows rows in file order. FS_ERR_INPUT with file, line and
 * column for a missing required column, an unknown set, mode, metric,
 * precision or engine, a number that does not parse or is out of range, or
 * a bad distribution; FS_ERR_NOMEM.
 */
enum fs_status fs_serve_calib_load(const char *csv_text, const char *name,
				   struct fs_serve_calib_row **rows, size_t *n_rows, struct fs_error *e);

/*
 * Residuals grouped so that a lean shows at a glance (validate serve).
 * A row's signed "speed error" is positive when the model is too fast:
 * predicted/published - 1 for throughput metrics, published/predicted - 1
 * for latency metrics (ttft, prefill_latency, ttft_mean, tpot_mean).
 */
enum fs_serve_group_by {
	FS_SERVE_GROUP_GPU = 0, /* catalog GPU and precision: "A100-SXM4-80GB fp16" */
	FS_SERVE_GROUP_SHAPE,   /* prompt-heavy, output-heavy, balanced, latency */
	FS_SERVE_GROUP_COUNT
};

/*
 * The shape class of a row: "latency" for latency metrics; otherwise, from
 * the mean prompt and output lengths, "prompt-heavy" when the prompt is at
 * least twice the output, "output-heavy" when the output is at least twice
 * the prompt, else "balanced".
 */
const char *fs_serve_calib_shape(const struct fs_serve_calib_row *r);

/* Signed speed error of a row predicted at `predicted` (> 0: model too fast). */
double fs_serve_calib_speed_error(const struct fs_serve_calib_row *r, double predicted);

struct fs_serve_resid_group {
	char name[FS_NAME_MAX + 16];
	size_t n;
	double mean_signed;   /* mean speed error */
	double median_abs;    /* median |speed error| */
};

/*
 * Groups the rows of sets cal, extra and holdout that were simulated
 * (predicted[i] is not NAN) by `by`, in order of first appearance. out
 * holds max_out groups; scratch holds 2n doubles. Returns the number of
 * groups (at most max_out; rows of further groups are left out).
 */
size_t fs_serve_calib_group(const struct fs_serve_calib_row *rows, const double *predicted, size_t n,
			    enum fs_serve_group_by by, struct fs_serve_resid_group *out, size_t max_out,
			    double *scratch);

/*
 * Throughput ratio of GPU b over GPU a on the same software: rows of sets
 * cal, extra and holdout with a throughput metric, simulated, the same
 * software text, model, lengths, metric and unit, one on each GPU. The
 * published and predicted ratios are geometric means over the pairs;
 * err = predicted / published - 1.
 */
struct fs_serve_ratio_check {
	char software[96];
	char gpu_a[FS_NAME_MAX], gpu_b[FS_NAME_MAX];
	size_t n_pairs;
	double published, predicted, err;
	double worst_pair_err; /* the pair whose predicted/published ratio is furthest from 1 */
};

/*
 * Fills out[0..max_out) with one check per software text that has pairs of
 * gpu_a and gpu_b (catalog names, compared case-insensitively). Returns the
 * number of checks.
 */
size_t fs_serve_calib_ratios(const struct fs_serve_calib_row *rows, const double *predicted, size_t n,
			     const char *gpu_a, const char *gpu_b, struct fs_serve_ratio_check *out,
			     size_t max_out);

struct fs_replica_ws;

/*
 * Simulates one row as its source ran it (seed 1) and converts the result
 * to the row's metric and unit. ws is a replica workspace the caller owns
 * (reused across rows). FS_OK and *predicted; otherwise e->msg says why the
 * row was not simulated: FS_ERR_INPUT (a mode or metric that is not modelled,
 * an unknown model, GPU, or bad lengths), FS_ERR_INFEASIBLE (does not fit),
 * or the replica's own failure.
 */
enum fs_status fs_serve_calib_predict(const struct fs_catalog *cat, struct fs_replica_ws *ws,
				      const struct fs_serve_calib_row *row, double *predicted,
				      struct fs_error *e);

#endif
