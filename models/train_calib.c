/*
 * train_calib.c - the calibration rows of the training model: parsing the
 * embedded CSV, predicting each row's published figure under the source's
 * own conventions (docs/models/training.md [8]).
 */
#include "fleetsim/train.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "fleetsim/csv.h"
#include "fleetsim/stats.h"
#include "fleetsim/util.h"

static const struct fs_enum_name metric_names[] = {
	{ FS_METRIC_TOKENS_PER_S_PER_GPU, "tokens_per_s_per_gpu" },
	{ FS_METRIC_TFLOPS_MEGATRON_HW, "tflops_megatron_hw" },
	{ FS_METRIC_TFLOPS_MEGATRON_MODEL, "tflops_megatron_model" },
	{ FS_METRIC_MFU_MEGATRON_PCT, "mfu_megatron_pct" },
	{ FS_METRIC_MFU_FOUNDRY_PCT, "mfu_foundry_pct" },
	{ FS_METRIC_TFLOPS_NEMO, "tflops_nemo" },
	{ FS_METRIC_TFLOPS_6N12, "tflops_6n12" },
	{ FS_METRIC_MFU_6N12_PCT, "mfu_6n12_pct" },
	{ FS_METRIC_ITER_TIME_S, "iter_time_s" },
	{ FS_METRIC_RUN_DAYS, "run_days" },
	{ FS_METRIC_RUN_GPU_HOURS, "run_gpu_hours" },
};
#define N_METRIC_NAMES (sizeof(metric_names) / sizeof(metric_names[0]))

const char *fs_train_metric_name(enum fs_train_metric m)
{
	return fs_enum_name(metric_names, N_METRIC_NAMES, sizeof(metric_names[0]), (int)m);
}

enum fs_status fs_train_metric_parse(const char *s, enum fs_train_metric *out)
{
	int v;

	if (fs_enum_parse(metric_names, N_METRIC_NAMES, sizeof(metric_names[0]), s, &v))
		return FS_ERR_INPUT;
	*out = (enum fs_train_metric)v;
	return FS_OK;
}

bool fs_train_metric_is_run(enum fs_train_metric m)
{
	return m == FS_METRIC_RUN_DAYS || m == FS_METRIC_RUN_GPU_HOURS;
}

double fs_train_metric_value(enum fs_train_metric m, const struct fs_train_request *req,
			     const struct fs_train_result *res, double params_b)
{
	const struct fs_llm *md = req->model;
	double l = md->n_layers, h = md->hidden, V = md->vocab, s = req->seq_len;
	double tps = res->tokens_per_s_per_gpu;
	double n_mm = fs_train_matmul_params(md);
	double peak = fs_gpu_peak_tflops(req->gpu, res->precision) * 1e12;
	double peak16 = req->gpu->bf16_tflops * 1e12;

	switch (m) {
	case FS_METRIC_TOKENS_PER_S_PER_GPU:
		return tps;
	case FS_METRIC_TFLOPS_MEGATRON_HW:
		return 96.0 * l * h * h * (1.0 + s / (6.0 * h) + V / (16.0 * l * h)) * tps / 1e12;
	case FS_METRIC_TFLOPS_MEGATRON_MODEL:
		return 72.0 * l * h * h * (1.0 + s / (6.0 * h) + V / (12.0 * l * h)) * tps / 1e12;
	case FS_METRIC_MFU_MEGATRON_PCT:
		return 100.0 * 72.0 * l * h * h * (1.0 + s / (6.0 * h) + V / (12.0 * l * h)) * tps / peak;
	case FS_METRIC_MFU_FOUNDRY_PCT: {
		double p = params_b > 0 ? params_b * 1e9 : fs_train_total_params(md);
		return 100.0 * (6.0 * p + 12.0 * l * h * s) * tps / peak;
	}
	case FS_METRIC_TFLOPS_NEMO:
		return (6.0 * n_mm + 6.0 * l * h * s) * tps / 1e12;
	case FS_METRIC_TFLOPS_6N12:
		return (6.0 * n_mm + 12.0 * l * h * s) * tps / 1e12;
	case FS_METRIC_MFU_6N12_PCT:
		return 100.0 * (6.0 * n_mm + 12.0 * l * h * s) * tps / peak16;
	case FS_METRIC_ITER_TIME_S:
		return res->step_time_s;
	case FS_METRIC_RUN_DAYS:
		return res->run_days;
	case FS_METRIC_RUN_GPU_HOURS:
		return res->gpu_hours;
	default:
		return 0.0;
	}
}

/* ---- software stack of a row [8] ---- */

/*
 * Which stack a step-level row ran on, by id prefix (longest match wins):
 * the calibration CSV has no stack column, so the mapping lives here, one
 * row per source family, with the reason. Whole-run rows and ids without a
 * match run on the legacy profile (the realisation fraction is fitted on it;
 * Meta's Llama 3 stack is none of the profiles: with nemo-2024 its rows come
 * out 23-61 % fast, so they stay on legacy).
 */
static const struct stack_map {
	const char *prefix;
	enum fs_train_stack stack;
	const char *why;
} stack_map[] = {
	{ "megatron_a100_", FS_STACK_MEGATRON_2021, "Narayanan et al. 2021, Megatron-LM" },
	{ "megatron_a100_175b_zero3_", FS_STACK_DEEPSPEED, "Narayanan et al. 2021 Table 2, DeepSpeed ZeRO-3" },
	{ "megatron_gpt3_", FS_STACK_MEGATRON_2021, "Megatron-LM README GPT-3 example (2021)" },
	{ "korthikanti_", FS_STACK_MEGATRON_2021, "Korthikanti et al. 2022, Megatron-LM" },
	{ "foundry_", FS_STACK_FSDP, "llm-foundry 2023, PyTorch FSDP" },
	{ "nemo", FS_STACK_NEMO_2024, "NeMo / Megatron-Bridge 24.09-25.11, Megatron-Core + TE" },
	{ "dgxc_", FS_STACK_NEMO_2024, "DGX Cloud benchmarking, NeMo 24.11" },
};

enum fs_train_stack fs_train_calib_stack_for(const char *id, bool is_run)
{
	enum fs_train_stack best = FS_STACK_LEGACY;
	size_t best_len = 0;

	if (is_run)
		return FS_STACK_LEGACY;
	for (size_t i = 0; i < sizeof(stack_map) / sizeof(stack_map[0]); i++) {
		size_t n = strlen(stack_map[i].prefix);
		if (n > best_len && strncmp(id, stack_map[i].prefix, n) == 0) {
			best = stack_map[i].stack;
			best_len = n;
		}
	}
	return best;
}

/*
 * Published speed ratios on the same software: the ratio of two step-level
 * rows' published figures, scored against the ratio of their predictions.
 */
static const struct fs_train_calib_ratio ratios[] = {
	{ "ratio_foundry_mpt7b_h100_a100", "foundry_mpt7b_h10080gb_8_tps", "foundry_mpt7b_a10080gb_8_tps",
	  "H100/A100-80GB, llm-foundry MPT-7B, 8 GPUs" },
	{ "ratio_foundry_mpt30b_h100_a100", "foundry_mpt30b_h10080gb_8_tps", "foundry_mpt30b_a10080gb_8_tps",
	  "H100/A100-80GB, llm-foundry MPT-30B, 8 GPUs" },
	{ "ratio_foundry_mpt70b_h100_a100", "foundry_mpt70b_h10080gb_64_tps", "foundry_mpt70b_a10080gb_64_tps",
	  "H100/A100-80GB, llm-foundry MPT-70B, 64 GPUs" },
	{ "ratio_dgxc_nemotron4_fp8_bf16_256", "dgxc_nemotron4_340b_fp8_256", "dgxc_nemotron4_340b_bf16_256",
	  "FP8/BF16 on H100, NeMo 24.11 Nemotron-4 340B, 256 GPUs" },
	{ "ratio_dgxc_nemotron4_fp8_bf16_1024", "dgxc_nemotron4_340b_fp8_1024", "dgxc_nemotron4_340b_bf16_1024",
	  "FP8/BF16 on H100, NeMo 24.11 Nemotron-4 340B, 1024 GPUs" },
};

const struct fs_train_calib_ratio *fs_train_calib_ratios(size_t *n)
{
	*n = sizeof(ratios) / sizeof(ratios[0]);
	return ratios;
}

/* ---- residuals by GPU and precision [8] ---- */

double fs_train_calib_speed_error(enum fs_train_metric m, double rel_err)
{
	/* a predicted step time rel_err too long is a speed 1/(1 + e) - 1 off */
	if (m == FS_METRIC_ITER_TIME_S)
		return isfinite(rel_err) && rel_err > -1.0 ? 1.0 / (1.0 + rel_err) - 1.0 : NAN;
	return rel_err;
}

size_t fs_train_calib_group(const char *const *gpu, const enum fs_precision *prec,
			    const double *speed_err, size_t n, struct fs_train_calib_group *groups,
			    double *scratch)
{
	size_t ng = 0;

	for (size_t i = 0; i < n; i++) {
		size_t g;
		if (!isfinite(speed_err[i]))
			continue;
		for (g = 0; g < ng; g++)
			if (groups[g].precision == prec[i] && strcmp(groups[g].gpu, gpu[i]) == 0)
				break;
		if (g == ng) {
			memset(&groups[g], 0, sizeof(groups[g]));
			fs_strlcpy(groups[g].gpu, gpu[i], sizeof(groups[g].gpu));
			groups[g].precision = prec[i];
			ng++;
		}
		groups[g].n++;
		groups[g].mean_signed += speed_err[i];
	}
	for (size_t g = 0; g < ng; g++) {
		size_t k = 0;
		struct fs_err_summary sum;
		for (size_t i = 0; i < n; i++)
			if (isfinite(speed_err[i]) && prec[i] == groups[g].precision &&
			    strcmp(gpu[i], groups[g].gpu) == 0)
				scratch[n + k++] = speed_err[i];
		groups[g].mean_signed /= (double)groups[g].n;
		fs_err_summarize(scratch + n, k, scratch, &sum);
		groups[g].median_abs = sum.median;
	}
	return ng;
}

/* ---- CSV ---- */

enum col {
	C_ID, C_METRIC, C_VALUE, C_MODEL, C_GPU, C_GPUS, C_SEQ, C_PRECISION, C_TP, C_PP, C_CP, C_VP,
	C_MB, C_GBS, C_RECOMPUTE, C_ZERO, C_ATTENTION, C_KERNELS, C_SP, C_TOKENS, C_PARAMS, C_ADDED, C_SOURCE,
	C_ROLE, C_METHOD, C_LORA_RANK, C_COUNT
};

static const char *const col_names[C_COUNT] = {
	"id", "metric", "value", "model", "gpu", "gpus", "seq", "precision", "tp", "pp", "cp", "vp",
	"micro_batch", "global_batch", "recompute", "zero", "attention", "kernels", "sequence_parallel",
	"tokens", "params_b", "added", "source", "role", "method", "lora_rank",
};

/* Required columns; the others may be absent. */
static bool col_required(int c)
{
	return c == C_ID || c == C_METRIC || c == C_VALUE || c == C_MODEL || c == C_GPU ||
	       c == C_GPUS || c == C_SEQ || c == C_SOURCE;
}

static enum fs_status num_field(const char *txt, double lo, double hi, double *out, const char *name,
				int line, const char *col, struct fs_error *e)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(txt, &end);
	if (end == txt || *end != '\0' || errno || !isfinite(v) || v < lo || v > hi)
		return fs_error_set(e, FS_ERR_INPUT, name, line, col,
				    "'%s' is not a number in [%g, %g]", txt, lo, hi);
	*out = v;
	return FS_OK;
}

/* Optional integer column: "" leaves *out untouched. */
static enum fs_status int_opt(char **f, int idx, double lo, double hi, int *out, const char *name,
			      int line, const char *col, struct fs_error *e)
{
	double v = 0.0;
	enum fs_status st;

	if (idx < 0 || f[idx][0] == '\0')
		return FS_OK;
	st = num_field(f[idx], lo, hi, &v, name, line, col, e);
	if (st)
		return st;
	if (v != floor(v))
		return fs_error_set(e, FS_ERR_INPUT, name, line, col, "'%s' is not a whole number", f[idx]);
	*out = (int)v;
	return FS_OK;
}

/* The optional whole-number plan columns: column, range, and where the value goes. */
static const struct plan_int {
	int col;
	double lo, hi;
	size_t off;                 /* offsetof in struct fs_train_plan */
} plan_ints[] = {
	{ C_TP, 1, 1024, offsetof(struct fs_train_plan, tp) },
	{ C_PP, 1, 1024, offsetof(struct fs_train_plan, pp) },
	{ C_CP, 1, 1024, offsetof(struct fs_train_plan, cp) },
	{ C_VP, 1, 1024, offsetof(struct fs_train_plan, vp) },
	{ C_MB, 1, 1e6, offsetof(struct fs_train_plan, micro_batch) },
	{ C_GBS, 1, 1e9, offsetof(struct fs_train_plan, global_batch) },
	{ C_ZERO, 0, 3, offsetof(struct fs_train_plan, zero) },
};

/* An optional named column parsed by parse (0 on success): "" leaves *out untouched. */
static enum fs_status name_opt(char **f, int idx, int (*parse)(const char *, void *), void *out,
			       const char *name, int line, const char *col, struct fs_error *e)
{
	if (idx < 0 || f[idx][0] == '\0' || parse(f[idx], out) == 0)
		return FS_OK;
	return fs_error_set(e, FS_ERR_INPUT, name, line, col, "unknown %s '%s'", col, f[idx]);
}

static int parse_precision(const char *s, void *out) { return fs_precision_parse(s, out); }
static int parse_recompute(const char *s, void *out) { return fs_recompute_parse(s, out); }
static int parse_attention(const char *s, void *out) { return fs_attention_parse(s, out); }
static int parse_kernels(const char *s, void *out) { return fs_kernels_parse(s, out); }
static int parse_method(const char *s, void *out) { return fs_train_method_parse(s, out); }

/* What a row asks the model: GPU, model, sizes, precision, the published plan. */
static enum fs_status parse_request(char **f, const int *ci, const char *name, int line,
				    const struct fs_catalog *cat, struct fs_train_calib_row *row,
				    struct fs_error *e)
{
	struct fs_train_request *rq = &row->req;
	enum fs_status st;
	int gpus = 0, seq = 0;

	rq->gpu = fs_catalog_gpu(cat, row->gpu);
	if (!rq->gpu)
		return fs_catalog_unknown(cat, "gpu", row->gpu, name, line, "gpu", e);
	rq->model = fs_catalog_llm(cat, row->model);
	if (!rq->model)
		return fs_catalog_unknown(cat, "model", row->model, name, line, "model", e);
	if ((st = int_opt(f, ci[C_GPUS], 1, 1e7, &gpus, name, line, "gpus", e)) ||
	    (st = int_opt(f, ci[C_SEQ], 1, 1e8, &seq, name, line, "seq", e)))
		return st;
	if (gpus < 1 || seq < 1)
		return fs_error_set(e, FS_ERR_INPUT, name, line, "gpus", "gpus and seq are required");
	rq->n_gpus = gpus;
	rq->seq_len = seq;
	for (size_t k = 0; k < sizeof(plan_ints) / sizeof(plan_ints[0]); k++) {
		const struct plan_int *pi = &plan_ints[k];
		if ((st = int_opt(f, ci[pi->col], pi->lo, pi->hi, (int *)((char *)&rq->plan + pi->off),
				  name, line, col_names[pi->col], e)))
			return st;
	}
	if ((st = name_opt(f, ci[C_PRECISION], parse_precision, &rq->precision, name, line,
			   "precision", e)) ||
	    (st = name_opt(f, ci[C_RECOMPUTE], parse_recompute, &rq->plan.recompute, name, line,
			   "recompute", e)) ||
	    (st = name_opt(f, ci[C_ATTENTION], parse_attention, &rq->attention, name, line,
			   "attention", e)) ||
	    (st = name_opt(f, ci[C_KERNELS], parse_kernels, &rq->kernels, name, line, "kernels", e)))
		return st;
	/* [11] training method and adapter rank; empty: full */
	if ((st = name_opt(f, ci[C_METHOD], parse_method, &rq->method, name, line, "method", e)) ||
	    (st = int_opt(f, ci[C_LORA_RANK], 1, FS_TRAIN_MAX_LORA_RANK, &rq->lora_rank, name, line,
			  "lora_rank", e)))
		return st;
	if (rq->method == FS_METHOD_FULL && ci[C_LORA_RANK] >= 0 && f[ci[C_LORA_RANK]][0])
		return fs_error_set(e, FS_ERR_INPUT, name, line, "lora_rank",
				    "lora_rank '%s' on a full fine-tune row; expected method lora or qlora",
				    f[ci[C_LORA_RANK]]);
	if (ci[C_SP] >= 0 && f[ci[C_SP]][0]) {
		int sp = 1;
		if ((st = int_opt(f, ci[C_SP], 0, 1, &sp, name, line, "sequence_parallel", e)))
			return st;
		rq->no_sequence_parallel = sp == 0;
	}
	if (ci[C_TOKENS] >= 0 && f[ci[C_TOKENS]][0])
		return num_field(f[ci[C_TOKENS]], 0, 1e16, &rq->tokens, name, line, "tokens", e);
	return FS_OK;
}

/* Whether a whole-run row fits the model or is held out (defaults to holdout). */
static enum fs_status parse_role(char **f, const int *ci, const char *name, int line,
				 struct fs_train_calib_row *row, struct fs_error *e)
{
	static const char *const roles[] = { "", "fit", "holdout", "ref" };
	bool is_run = fs_train_metric_is_run(row->metric);

	if (ci[C_ROLE] >= 0 && f[ci[C_ROLE]][0]) {
		int k;
		for (k = 1; k < 4 && strcmp(f[ci[C_ROLE]], roles[k]) != 0; k++)
			;
		if (k == 4)
			return fs_error_set(e, FS_ERR_INPUT, name, line, "role",
					    "unknown role '%s' (fit, holdout, ref)", f[ci[C_ROLE]]);
		row->role = (enum fs_train_calib_role)k;
	}
	if (row->role != FS_CALIB_ROLE_NONE && row->role != FS_CALIB_ROLE_HOLDOUT && !is_run)
		return fs_error_set(e, FS_ERR_INPUT, name, line, "role",
				    "role '%s' is for whole-run rows only; a step-level row may be holdout",
				    f[ci[C_ROLE]]);
	if (is_run && row->role == FS_CALIB_ROLE_NONE)
		row->role = FS_CALIB_ROLE_HOLDOUT;
	if (is_run && row->req.tokens <= 0)
		return fs_error_set(e, FS_ERR_INPUT, name, line, "tokens",
				    "whole-run metric '%s' needs tokens", fs_train_metric_name(row->metric));
	return FS_OK;
}

static enum fs_status parse_row(char **f, const int *ci, const char *name, int line,
				const struct fs_catalog *cat, struct fs_train_calib_row *row,
				struct fs_error *e)
{
	enum fs_status st;

	memset(row, 0, sizeof(*row));
	row->line = line;
	fs_train_request_init(&row->req);
	fs_strlcpy(row->id, f[ci[C_ID]], sizeof(row->id));
	fs_strlcpy(row->model, f[ci[C_MODEL]], sizeof(row->model));
	fs_strlcpy(row->gpu, f[ci[C_GPU]], sizeof(row->gpu));
	fs_strlcpy(row->source, f[ci[C_SOURCE]], sizeof(row->source));
	if (fs_train_metric_parse(f[ci[C_METRIC]], &row->metric))
		return fs_error_set(e, FS_ERR_INPUT, name, line, "metric", "unknown metric '%s'",
				    f[ci[C_METRIC]]);
	if ((st = num_field(f[ci[C_VALUE]], 0, 1e15, &row->value, name, line, "value", e)) ||
	    (st = parse_request(f, ci, name, line, cat, row, e)))
		return st;
	if (ci[C_PARAMS] >= 0 && f[ci[C_PARAMS]][0] &&
	    (st = num_field(f[ci[C_PARAMS]], 0, 1e6, &row->params_b, name, line, "params_b", e)))
		return st;
	if (ci[C_ADDED] >= 0 && f[ci[C_ADDED]][0])
		row->added = strcmp(f[ci[C_ADDED]], "1") == 0;
	if ((st = parse_role(f, ci, name, line, row, e)))
		return st;
	fs_failure_params_default(row->req.gpu, &row->req.failure);
	row->req.stack = fs_train_calib_stack_for(row->id, fs_train_metric_is_run(row->metric));
	return FS_OK;
}

enum fs_status fs_train_calib_load(const char *csv_text, const char *name,
				   const struct fs_catalog *cat,
				   struct fs_train_calib_row **rows, size_t *n_rows,
				   struct fs_error *e)
{
	const char *cur = csv_text;
	char buf[4096];
	char *f[64];
	int ci[C_COUNT];
	int nf, line = 1;
	struct fs_train_calib_row *out = NULL;
	size_t n = 0, cap = 0;
	enum fs_status st = FS_OK;

	*rows = NULL;
	*n_rows = 0;
	nf = fs_csv_next(&cur, buf, sizeof(buf), f, 64, &line);
	if (nf <= 0)
		return fs_error_set(e, FS_ERR_INPUT, name, 1, NULL, "empty or unreadable header");
	for (int c = 0; c < C_COUNT; c++) {
		ci[c] = fs_csv_col(f, nf, col_names[c]);
		if (ci[c] < 0 && col_required(c))
			return fs_error_set(e, FS_ERR_INPUT, name, 1, col_names[c], "missing column");
	}
	for (;;) {
		int start = line;
		struct fs_train_calib_row row;

		nf = fs_csv_next(&cur, buf, sizeof(buf), f, 64, &line);
		if (nf == 0)
			break;
		if (nf < 0) {
			st = fs_error_set(e, FS_ERR_INPUT, name, start, NULL, "record too long");
			goto fail;
		}
		if (nf == 1 && f[0][0] == '\0')
			continue;
		for (int c = 0; c < C_COUNT; c++) {
			if (ci[c] >= nf) {
				st = fs_error_set(e, FS_ERR_INPUT, name, start, col_names[c],
						  "row has %d fields; header has more", nf);
				goto fail;
			}
		}
		st = parse_row(f, ci, name, start, cat, &row, e);
		if (st)
			goto fail;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			struct fs_train_calib_row *p = realloc(out, ncap * sizeof(*out));
			if (!p) {
				st = fs_error_set(e, FS_ERR_NOMEM, name, start, NULL, "out of memory");
				goto fail;
			}
			out = p;
			cap = ncap;
		}
		out[n++] = row;
	}
	*rows = out;
	*n_rows = n;
	return FS_OK;
fail:
	free(out);
	return st;
}

enum fs_status fs_train_calib_predict(struct fs_train_memo *memo, const struct fs_train_calib_row *row,
				      double *predicted, struct fs_train_result *res,
				      struct fs_error *e)
{
	struct fs_train_result r;
	enum fs_status st = fs_train_plan_best(memo, &row->req, &r, e);

	if (res)
		*res = r;
	if (st)
		return st;
	*predicted = fs_train_metric_value(row->metric, &row->req, &r, row->params_b);
	return FS_OK;
}

enum fs_status fs_train_calib_predict_searched(struct fs_train_memo *memo,
					       const struct fs_train_calib_row *row,
					       double *predicted, struct fs_train_result *res,
					       struct fs_error *e)
{
	struct fs_train_calib_row blind;

	blind = *row;
	fs_train_request_init(&blind.req);
	blind.req.gpu = row->req.gpu;
	blind.req.model = row->req.model;
	blind.req.n_gpus = row->req.n_gpus;
	blind.req.seq_len = row->req.seq_len;
	blind.req.tokens = row->req.tokens;
	blind.req.method = row->req.method;
	blind.req.lora_rank = row->req.lora_rank;
	blind.req.lora_targets = row->req.lora_targets;
	fs_failure_params_default(blind.req.gpu, &blind.req.failure);
	return fs_train_calib_predict(memo, &blind, predicted, res, e);
}
