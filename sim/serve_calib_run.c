/*
 * serve_calib_run.c - predicting a serving calibration row
 * (serve_calib.h): the replica simulation run as the row's source ran it,
 * converted to the row's metric and unit. Lives in the simulator layer
 * because it runs the replica (replica.h); the rows are loaded by
 * models/serve_calib.c.
 */
#include "fleetsim/serve_calib.h"

#include <string.h>

#include "fleetsim/replica.h"

#define CALIB_SEED 1

/* The metric of a run in the row's unit. false when the metric is not modelled. */
static bool metric_of(const struct fs_serve_calib_row *r, const struct fs_replica_stats *s, double *out)
{
	double scale = strstr(r->unit, "ms") ? 1e3 : 1.0;
	double per_gpu = strstr(r->unit, "/GPU") ? (double)r->tp : 1.0;

	switch (r->metric) {
	case FS_SERVE_METRIC_OUTPUT_TOKENS_PER_S:
		*out = s->output_tokens_per_s / per_gpu;
		return true;
	case FS_SERVE_METRIC_TOTAL_TOKENS_PER_S:
		*out = s->total_tokens_per_s / per_gpu;
		return true;
	case FS_SERVE_METRIC_REQUESTS_PER_S:
		*out = s->requests_per_s;
		return true;
	case FS_SERVE_METRIC_TTFT:
	case FS_SERVE_METRIC_PREFILL_LATENCY:
		*out = s->ttft_p50_s * scale;
		return true;
	case FS_SERVE_METRIC_TTFT_MEAN:
		*out = s->ttft_mean_s * scale;
		return true;
	case FS_SERVE_METRIC_TPOT_MEAN:
		*out = s->tpot_mean_s * scale;
		return true;
	case FS_SERVE_METRIC_RATIO_H100_OVER_A100:
	case FS_SERVE_METRIC_COUNT:
		break;
	}
	return false;
}

/* Length distributions usable by the replica: fixed lengths of at least one token. */
static bool lengths_ok(const struct fs_dist *d)
{
	return d->kind != FS_DIST_FIXED || d->a >= 1;
}

enum fs_status fs_serve_calib_predict(const struct fs_catalog *cat, struct fs_replica_ws *ws,
				      const struct fs_serve_calib_row *row, double *predicted,
				      struct fs_error *e)
{
	struct fs_serve_cfg cfg;
	struct fs_serve_model m;
	struct fs_replica_sched s;
	struct fs_replica_workload w;
	struct fs_replica_stats st;
	enum fs_status rc;

	memset(&cfg, 0, sizeof(cfg));
	memset(&w, 0, sizeof(w));
	memset(&s, 0, sizeof(s));
	if (row->mode != FS_SERVE_MODE_BATCH && row->mode != FS_SERVE_MODE_BURST)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL, "not simulated (mode '%s')",
				    fs_serve_calib_mode_name(row->mode));
	cfg.llm = fs_catalog_llm(cat, row->model);
	cfg.gpu = fs_catalog_gpu(cat, row->gpu);
	if (!cfg.llm || !cfg.gpu)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL, "unknown model, GPU or precision");
	cfg.tp = (int)row->tp;
	cfg.precision = row->precision;
	cfg.legacy_gqa_attention = row->legacy_gqa;
	cfg.engine = row->engine;
	if ((rc = fs_serve_model_init(&m, &cfg, e)))
		return rc;
	if (!lengths_ok(&row->input_tokens) || !lengths_ok(&row->output_tokens))
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL, "bad length columns");
	w.input_tokens = row->input_tokens;
	w.output_tokens = row->output_tokens;
	w.seed = CALIB_SEED;
	if (row->mode == FS_SERVE_MODE_BATCH) {
		long per_seq = row->input_len + row->output_len;
		long fit = fs_serve_max_seqs(&m, per_seq);
		if (fit < 1) {
			rc = fs_serve_check_fits(&m, per_seq, e);
			return rc ? rc : fs_error_set(e, FS_ERR_INFEASIBLE, NULL, 0, NULL,
						      "no sequence of %ld tokens fits", per_seq);
		}
		w.arrival = FS_ARRIVAL_CLOSED;
		w.concurrency = (int)(row->batch < fit ? row->batch : fit);
		w.n_requests = row->n_requests > 0 ? row->n_requests : w.concurrency;
		s.max_num_seqs = w.concurrency;
	} else {
		w.arrival = FS_ARRIVAL_BURST;
		w.n_requests = row->n_requests;
		s.max_num_seqs = (int)row->max_num_seqs;
		s.max_batched_tokens = row->max_batched_tokens;
		s.chunked_prefill = row->chunked_prefill;
		s.prefix_caching = cfg.engine == FS_ENGINE_VLLM; /* V1 default */
	}
	if ((rc = fs_replica_run(ws, &m, &s, &w, &st, e)))
		return rc;
	if (!metric_of(row, &st, predicted))
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL, "metric '%s' not modelled",
				    row->metric_text);
	return FS_OK;
}
