/*
 * cmd_train.c - `fleetsim estimate train` and `fleetsim validate train`:
 * argument parsing and printing around the training model (models/train*.c,
 * docs/models/training.md).
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/builtin.h"
#include "fleetsim/catalog.h"
#include "fleetsim/builtin.h"
#include "fleetsim/scenario.h"
#include "fleetsim/train.h"
#include "fleetsim/util.h"

static const char estimate_usage[] =
	"usage: fleetsim estimate train --gpu NAME --gpus N\n"
	"         (--model NAME | --layers L --hidden H --heads A [--kv-heads K] [--ffn F]\n"
	"                         --vocab V [--params P] [--gated] [--experts E --experts-active k])\n"
	"         --seq S [--tokens T] [--global-batch B] [--micro-batch b] [--tp t] [--pp p]\n"
	"         [--cp c] [--vp v] [--recompute none|selective|full] [--zero 0|1|2|3]\n"
	"         [--precision bf16|fp16|fp8|tf32] [--attention flash|unfused] [--kernels fused|eager]\n"
	"         [--no-sequence-parallel]\n"
	"         [--mtbf-h H] [--ckpt-interval-s S] [--ckpt-write-s S] [--restart-s S]\n"
	"         [--format table|csv|json]\n"
	"\n"
	"Step time, throughput, MFU and memory of the fastest plan that fits; layout flags\n"
	"given are honoured, the rest are searched. With --tokens, also whole-run days and\n"
	"GPU-hours including the failure/checkpoint goodput and the whole-run realisation\n"
	"fraction (columns goodput, realisation); tokens_per_s*, achieved_tflops_per_gpu,\n"
	"mfu and hfu describe steady-state steps of the plan. P and T accept K/M/B/T suffixes\n"
	"(a plain --params below 1e6 is read as billions). --global-batch and --micro-batch\n"
	"count sequences. Without --global-batch the batch is 4M tokens (at least 1024\n"
	"tokens per GPU). mfu and hfu are fractions of the dense peak of the precision used.\n"
	"Exit codes: 0 ok; 2 bad input or no plan fits (the reason on stderr).\n"
	"Model: docs/models/training.md.\n";

static const char validate_usage[] =
	"usage: fleetsim validate train [--format table|csv] [--rows step|run|all]\n"
	"\n"
	"Runs the training model over the calibration rows compiled in from\n"
	"models/calibration/training.csv (published layout, the rest searched) and\n"
	"prints per row the published and predicted figure and the relative error,\n"
	"then the median and worst absolute error of the step-level rows (all, and\n"
	"the shared set alone) and of the whole-run rows. Whole-run rows are run twice:\n"
	"with the published layout (kind run) and as a blind check would run them, GPU,\n"
	"GPU count, model, sequence and tokens only, the rest searched (kind run-search).\n"
	"Their role: fit (used to fit the realisation fraction), holdout, ref (reported,\n"
	"not scored).\n";

/* ---- small parsers ---- */

static int parse_double(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v))
		return -1;
	if (*end != '\0') {
		double mult;
		switch (*end) {
		case 'k': case 'K': mult = 1e3; break;
		case 'm': case 'M': mult = 1e6; break;
		case 'b': case 'B': case 'g': case 'G': mult = 1e9; break;
		case 't': case 'T': mult = 1e12; break;
		default: return -1;
		}
		if (end[1] != '\0')
			return -1;
		v *= mult;
	}
	*out = v;
	return 0;
}

static int parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON };

static int parse_format(const char *s, enum fmt *f, bool json_ok)
{
	if (strcmp(s, "table") == 0)
		*f = FMT_TABLE;
	else if (strcmp(s, "csv") == 0)
		*f = FMT_CSV;
	else if (json_ok && strcmp(s, "json") == 0)
		*f = FMT_JSON;
	else
		return -1;
	return 0;
}

/* ---- estimate ---- */

struct est_args {
	const char *gpu, *model;
	int gpus;
	struct fs_llm custom;
	bool custom_shape;
	double params;
	struct fs_train_request rq;
	enum fmt fmt;
	bool have_mtbf;
};

#define NEED_VALUE()                                                                            \
	do {                                                                                    \
		if (i + 1 >= argc)                                                              \
			return fs_cli_usage_error(cmd, "option %s needs a value", opt);          \
		val = argv[++i];                                                                \
	} while (0)

static int parse_estimate(int argc, char **argv, struct est_args *a)
{
	const char *cmd = "estimate train";

	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = NULL;
		int iv;
		double dv;

		if (strcmp(opt, "--gpu") == 0) {
			NEED_VALUE();
			a->gpu = val;
		} else if (strcmp(opt, "--gpus") == 0) {
			NEED_VALUE();
			if (parse_int(val, 1, 10000000, &a->gpus))
				return fs_cli_usage_error(cmd, "--gpus '%s': expected a whole number from 1 to 10000000", val);
		} else if (strcmp(opt, "--model") == 0) {
			NEED_VALUE();
			a->model = val;
		} else if (strcmp(opt, "--layers") == 0 || strcmp(opt, "--hidden") == 0 ||
			   strcmp(opt, "--heads") == 0 || strcmp(opt, "--kv-heads") == 0 ||
			   strcmp(opt, "--ffn") == 0 || strcmp(opt, "--vocab") == 0 ||
			   strcmp(opt, "--experts") == 0 || strcmp(opt, "--experts-active") == 0) {
			NEED_VALUE();
			if (parse_int(val, 1, 1 << 24, &iv))
				return fs_cli_usage_error(cmd, "%s '%s': expected a whole number from 1 to 16777216", opt, val);
			a->custom_shape = true;
			if (strcmp(opt, "--layers") == 0)
				a->custom.n_layers = iv;
			else if (strcmp(opt, "--hidden") == 0)
				a->custom.hidden = iv;
			else if (strcmp(opt, "--heads") == 0)
				a->custom.n_heads = iv;
			else if (strcmp(opt, "--kv-heads") == 0)
				a->custom.n_kv_heads = iv;
			else if (strcmp(opt, "--ffn") == 0)
				a->custom.ffn = iv;
			else if (strcmp(opt, "--vocab") == 0)
				a->custom.vocab = iv;
			else if (strcmp(opt, "--experts") == 0)
				a->custom.n_experts = iv;
			else
				a->custom.n_experts_active = iv;
		} else if (strcmp(opt, "--gated") == 0) {
			a->custom.gated_ffn = true;
			a->custom_shape = true;
		} else if (strcmp(opt, "--params") == 0) {
			NEED_VALUE();
			if (parse_double(val, &dv) || dv <= 0)
				return fs_cli_usage_error(cmd, "--params '%s': expected a positive number (e.g. 70e9 or 70B)", val);
			a->params = dv < 1e6 ? dv * 1e9 : dv;
			a->custom_shape = true;
		} else if (strcmp(opt, "--seq") == 0) {
			NEED_VALUE();
			if (parse_int(val, 1, 100000000, &a->rq.seq_len))
				return fs_cli_usage_error(cmd, "--seq '%s': expected a whole number from 1 to 100000000", val);
		} else if (strcmp(opt, "--tokens") == 0) {
			NEED_VALUE();
			if (parse_double(val, &dv) || dv <= 0)
				return fs_cli_usage_error(cmd, "--tokens '%s': expected a positive number (e.g. 2e12 or 2T)", val);
			a->rq.tokens = dv;
		} else if (strcmp(opt, "--global-batch") == 0 || strcmp(opt, "--micro-batch") == 0 ||
			   strcmp(opt, "--tp") == 0 || strcmp(opt, "--pp") == 0 ||
			   strcmp(opt, "--cp") == 0 || strcmp(opt, "--vp") == 0) {
			NEED_VALUE();
			if (parse_int(val, 1, 1000000000, &iv))
				return fs_cli_usage_error(cmd, "%s '%s': expected a whole number from 1 to 1000000000", opt, val);
			if (strcmp(opt, "--global-batch") == 0)
				a->rq.plan.global_batch = iv;
			else if (strcmp(opt, "--micro-batch") == 0)
				a->rq.plan.micro_batch = iv;
			else if (strcmp(opt, "--tp") == 0)
				a->rq.plan.tp = iv;
			else if (strcmp(opt, "--pp") == 0)
				a->rq.plan.pp = iv;
			else if (strcmp(opt, "--cp") == 0)
				a->rq.plan.cp = iv;
			else
				a->rq.plan.vp = iv;
		} else if (strcmp(opt, "--recompute") == 0) {
			NEED_VALUE();
			if (fs_recompute_parse(val, &a->rq.plan.recompute))
				return fs_cli_usage_error(cmd, "--recompute '%s': expected none, selective or full", val);
		} else if (strcmp(opt, "--zero") == 0) {
			NEED_VALUE();
			if (parse_int(val, 0, 3, &a->rq.plan.zero))
				return fs_cli_usage_error(cmd, "--zero '%s': expected 0, 1, 2 or 3", val);
		} else if (strcmp(opt, "--precision") == 0) {
			NEED_VALUE();
			if (fs_precision_parse(val, &a->rq.precision) ||
			    (a->rq.precision != FS_PREC_BF16 && a->rq.precision != FS_PREC_FP16 &&
			     a->rq.precision != FS_PREC_FP8 && a->rq.precision != FS_PREC_TF32))
				return fs_cli_usage_error(cmd, "--precision '%s': expected bf16, fp16, fp8 or tf32", val);
			a->rq.strict_precision = true;
		} else if (strcmp(opt, "--attention") == 0) {
			NEED_VALUE();
			if (fs_attention_parse(val, &a->rq.attention))
				return fs_cli_usage_error(cmd, "--attention '%s': expected flash or unfused", val);
		} else if (strcmp(opt, "--kernels") == 0) {
			NEED_VALUE();
			if (fs_kernels_parse(val, &a->rq.kernels))
				return fs_cli_usage_error(cmd, "--kernels '%s': expected fused or eager", val);
		} else if (strcmp(opt, "--no-sequence-parallel") == 0) {
			a->rq.no_sequence_parallel = true;
		} else if (strcmp(opt, "--mtbf-h") == 0 || strcmp(opt, "--ckpt-interval-s") == 0 ||
			   strcmp(opt, "--ckpt-write-s") == 0 || strcmp(opt, "--restart-s") == 0) {
			NEED_VALUE();
			if (parse_double(val, &dv) || dv < 0 ||
			    (strcmp(opt, "--mtbf-h") == 0 && dv <= 0))
				return fs_cli_usage_error(cmd, "%s '%s': expected a non-negative number", opt, val);
			if (strcmp(opt, "--mtbf-h") == 0) {
				a->rq.failure.mtbf_per_gpu_h = dv;
				a->have_mtbf = true;
			} else if (strcmp(opt, "--ckpt-interval-s") == 0) {
				a->rq.failure.ckpt_interval_s = dv;
			} else if (strcmp(opt, "--ckpt-write-s") == 0) {
				a->rq.failure.ckpt_write_s = dv;
			} else {
				a->rq.failure.restart_s = dv;
			}
		} else if (strcmp(opt, "--format") == 0) {
			NEED_VALUE();
			if (parse_format(val, &a->fmt, true))
				return fs_cli_usage_error(cmd, "--format '%s': expected table, csv or json", val);
		} else {
			return fs_cli_usage_error(cmd, "unknown option '%s'", opt);
		}
	}
	if (!a->gpu)
		return fs_cli_usage_error(cmd, "--gpu is required");
	if (a->gpus < 1)
		return fs_cli_usage_error(cmd, "--gpus is required");
	if (a->rq.seq_len < 1)
		return fs_cli_usage_error(cmd, "--seq is required");
	if (a->model && a->custom_shape)
		return fs_cli_usage_error(cmd, "give either --model or a shape (--layers ...), not both");
	if (!a->model) {
		if (!a->custom_shape)
			return fs_cli_usage_error(cmd, "--model or a shape (--layers --hidden --heads --vocab) is required");
		if (!a->custom.n_layers || !a->custom.hidden || !a->custom.n_heads || !a->custom.vocab)
			return fs_cli_usage_error(cmd, "a custom shape needs --layers, --hidden, --heads and --vocab");
	}
	return 0;
}

static void custom_model(struct est_args *a, struct fs_llm *m)
{
	double tot, act;

	*m = a->custom;
	fs_strlcpy(m->name, "custom", sizeof(m->name));
	if (m->ffn == 0)
		m->ffn = 4 * m->hidden;
	if (m->n_kv_heads == 0)
		m->n_kv_heads = m->n_heads;
	if (m->n_experts == 0)
		m->n_experts = 1;
	if (m->n_experts_active == 0)
		m->n_experts_active = 1;
	if (a->params > 0) {
		fs_llm_params_from_shape(m, &tot, &act);
		m->params_b = a->params / 1e9;
		m->active_params_b = tot > 0 ? act / tot * m->params_b : m->params_b;
	}
}

static const char *bool_s(bool b)
{
	return b ? "true" : "false";
}

static void print_csv(const struct fs_train_request *rq, const struct fs_train_result *r)
{
	printf("gpu,gpus,model,seq,tp,pp,cp,dp,vp,micro_batch,global_batch,recompute,zero,precision,"
	       "fp8_fallback,step_time_s,tokens_per_s,tokens_per_s_per_gpu,achieved_tflops_per_gpu,"
	       "mfu,hfu,memory_per_gpu_gb,memory_capacity_gb,fits,goodput,realisation,days,gpu_hours\n");
	printf("%s,%d,%s,%d,%d,%d,%d,%d,%d,%d,%d,%s,%d,%s,%s,%.6g,%.6g,%.6g,%.4f,%.4f,%.4f,%.2f,%.1f,%s,",
	       rq->gpu->name, rq->n_gpus, rq->model->name, rq->seq_len, r->plan.tp, r->plan.pp,
	       r->plan.cp, r->plan.dp, r->plan.vp, r->plan.micro_batch, r->plan.global_batch,
	       fs_recompute_name(r->plan.recompute), r->plan.zero, fs_precision_name(r->precision),
	       bool_s(r->fp8_fallback), r->step_time_s, r->tokens_per_s, r->tokens_per_s_per_gpu,
	       r->achieved_tflops_per_gpu, r->mfu, r->hfu, r->mem.total_gb, r->mem.capacity_gb,
	       bool_s(r->fits));
	if (rq->tokens > 0)
		printf("%.4f,%.4f,%.4f,%.6g\n", r->goodput_frac, r->realisation_frac, r->run_days,
		       r->gpu_hours);
	else
		printf(",,,\n");
}

static void print_json(const struct fs_train_request *rq, const struct fs_train_result *r)
{
	const struct fs_train_time_breakdown *t = &r->time;
	const struct fs_train_memory *m = &r->mem;

	printf("{\n  \"gpu\": \"%s\", \"gpus\": %d, \"model\": \"%s\", \"seq\": %d,\n",
	       rq->gpu->name, rq->n_gpus, rq->model->name, rq->seq_len);
	printf("  \"tp\": %d, \"pp\": %d, \"cp\": %d, \"dp\": %d, \"vp\": %d, \"micro_batch\": %d, "
	       "\"global_batch\": %d, \"recompute\": \"%s\", \"zero\": %d,\n",
	       r->plan.tp, r->plan.pp, r->plan.cp, r->plan.dp, r->plan.vp, r->plan.micro_batch,
	       r->plan.global_batch, fs_recompute_name(r->plan.recompute), r->plan.zero);
	printf("  \"precision\": \"%s\", \"fp8_fallback\": %s, \"attention\": \"%s\", \"kernels\": \"%s\",\n",
	       fs_precision_name(r->precision), bool_s(r->fp8_fallback), fs_attention_name(rq->attention),
	       fs_kernels_name(rq->kernels));
	printf("  \"step_time_s\": %.6g, \"tokens_per_step\": %.6g, \"tokens_per_s\": %.6g, "
	       "\"tokens_per_s_per_gpu\": %.6g,\n",
	       r->step_time_s, r->tokens_per_step, r->tokens_per_s, r->tokens_per_s_per_gpu);
	printf("  \"model_flops_per_token\": %.6g, \"hw_flops_per_token\": %.6g, "
	       "\"achieved_tflops_per_gpu\": %.4f, \"mfu\": %.4f, \"hfu\": %.4f,\n",
	       r->model_flops_per_token, r->hw_flops_per_token, r->achieved_tflops_per_gpu, r->mfu, r->hfu);
	printf("  \"memory_per_gpu_gb\": %.3f, \"memory_capacity_gb\": %.1f, \"fits\": %s,\n",
	       m->total_gb, m->capacity_gb, bool_s(r->fits));
	printf("  \"memory_gb\": {\"weights\": %.3f, \"grads\": %.3f, \"optimizer\": %.3f, "
	       "\"activations\": %.3f, \"reserve\": %.3f},\n",
	       m->weights_gb, m->grads_gb, m->optimizer_gb, m->activations_gb, m->reserve_gb);
	printf("  \"time_s\": {\"gemm\": %.6g, \"attention\": %.6g, \"elementwise\": %.6g, \"tp_comm\": %.6g, "
	       "\"pp_comm\": %.6g, \"cp_comm\": %.6g, \"ep_comm\": %.6g, \"bubble\": %.6g, \"dp_comm\": %.6g, "
	       "\"optimizer\": %.6g},\n",
	       t->gemm_s, t->attention_s, t->elementwise_s, t->tp_comm_s, t->pp_comm_s, t->cp_comm_s,
	       t->ep_comm_s, t->bubble_s, t->dp_comm_s, t->optimizer_s);
	if (rq->tokens > 0)
		printf("  \"tokens\": %.6g, \"goodput\": %.4f, \"realisation\": %.4f, \"job_mtbf_s\": %.6g, "
		       "\"ckpt_interval_s\": %.6g, \"days\": %.4f, \"gpu_hours\": %.6g,\n",
		       rq->tokens, r->goodput_frac, r->realisation_frac, r->job_mtbf_s, r->ckpt_interval_s,
		       r->run_days, r->gpu_hours);
	else
		printf("  \"tokens\": null, \"goodput\": null, \"realisation\": null, \"days\": null, "
		       "\"gpu_hours\": null,\n");
	printf("  \"plans_evaluated\": %d\n}\n", r->n_evaluated);
}

static double pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0.0;
}

static void print_table(const struct fs_train_request *rq, const struct fs_train_result *r)
{
	const struct fs_train_time_breakdown *t = &r->time;
	const struct fs_train_memory *m = &r->mem;
	double st = r->step_time_s;

	printf("%s on %d x %s, sequence %d, %s%s\n\n", rq->model->name, rq->n_gpus, rq->gpu->name,
	       rq->seq_len, fs_precision_name(r->precision),
	       r->fp8_fallback ? " (fp8 asked; this GPU has no fp8: bf16 used)" : "");
	printf("  %-14s tp %d, pp %d, cp %d, dp %d, interleave %d, micro-batch %d, global batch %d,\n"
	       "  %-14s %s recompute, ZeRO %d, %s attention, %s kernels%s\n",
	       "plan", r->plan.tp, r->plan.pp, r->plan.cp, r->plan.dp, r->plan.vp, r->plan.micro_batch,
	       r->plan.global_batch, "", fs_recompute_name(r->plan.recompute), r->plan.zero,
	       fs_attention_name(rq->attention), fs_kernels_name(rq->kernels),
	       rq->no_sequence_parallel || r->plan.tp == 1 ? "" : ", sequence parallel");
	printf("  %-14s %.3f s (%.0f tokens)\n", "step time", st, r->tokens_per_step);
	printf("  %-14s %.0f tokens/s per GPU, %.0f tokens/s in all\n", "throughput",
	       r->tokens_per_s_per_gpu, r->tokens_per_s);
	printf("  %-14s %.1f TFLOP/s per GPU (model FLOPs), MFU %.1f%%, HFU %.1f%%\n", "achieved",
	       r->achieved_tflops_per_gpu, 100.0 * r->mfu, 100.0 * r->hfu);
	printf("  %-14s %.1f of %.0f GB: weights %.1f, gradients %.1f, optimizer %.1f,\n"
	       "  %-14s activations %.1f, reserve %.1f\n",
	       "memory/GPU", m->total_gb, m->capacity_gb, m->weights_gb, m->grads_gb, m->optimizer_gb, "",
	       m->activations_gb, m->reserve_gb);
	printf("  %-14s matmul %.0f%%, attention %.0f%%, element-wise %.0f%%, TP %.0f%%, PP %.0f%%,\n"
	       "  %-14s bubble %.0f%%, DP %.0f%%, CP %.0f%%, EP %.0f%%, optimizer %.0f%%\n",
	       "step split", pct(t->gemm_s, st), pct(t->attention_s, st), pct(t->elementwise_s, st),
	       pct(t->tp_comm_s, st), pct(t->pp_comm_s, st), "", pct(t->bubble_s, st),
	       pct(t->dp_comm_s, st), pct(t->cp_comm_s, st), pct(t->ep_comm_s, st), pct(t->optimizer_s, st));
	if (rq->tokens > 0)
		printf("  %-14s %.4g tokens: %.2f days, %.0f GPU-hours, goodput %.3f, realisation %.2f\n"
		       "  %-14s (job MTBF %.1f h, checkpoint every %.0f s; whole-run MFU %.1f%%)\n",
		       "whole run", rq->tokens, r->run_days, r->gpu_hours, r->goodput_frac,
		       r->realisation_frac, "", r->job_mtbf_s / 3600.0, r->ckpt_interval_s,
		       100.0 * r->mfu * r->goodput_frac * r->realisation_frac);
	printf("  %-14s %d plans searched\n", "search", r->n_evaluated);
}

int fs_cli_estimate_train(int argc, char **argv)
{
	struct est_args a;
	struct fs_catalog cat;
	struct fs_error e;
	struct fs_llm custom;
	struct fs_train_result r;
	enum fs_status st;
	int rc;

	if (fs_cli_wants_help(argc, argv)) {
		fputs(estimate_usage, stdout);
		return 0;
	}
	memset(&a, 0, sizeof(a));
	fs_train_request_init(&a.rq);
	a.rq.failure.ckpt_write_s = -1;
	a.rq.failure.restart_s = -1;
	a.rq.failure.ckpt_interval_s = -1;
	rc = parse_estimate(argc, argv, &a);
	if (rc)
		return rc;
	fs_error_clear(&e);
	if (fs_catalog_load_builtin(&cat, &e))
		return fs_cli_report(&e);
	a.rq.gpu = fs_catalog_gpu(&cat, a.gpu);
	if (!a.rq.gpu) {
		fs_catalog_unknown(&cat, "gpu", a.gpu, NULL, 0, "--gpu", &e);
		rc = fs_cli_report(&e);
		goto out;
	}
	if (a.model) {
		a.rq.model = fs_catalog_llm(&cat, a.model);
		if (!a.rq.model) {
			fs_catalog_unknown(&cat, "model", a.model, NULL, 0, "--model", &e);
			rc = fs_cli_report(&e);
			goto out;
		}
	} else {
		custom_model(&a, &custom);
		if (fs_llm_check(&custom, NULL, 0, &e)) {
			rc = fs_cli_report(&e);
			goto out;
		}
		a.rq.model = &custom;
	}
	a.rq.n_gpus = a.gpus;
	{
		struct fs_failure_params def;
		fs_failure_params_default(a.rq.gpu, &def);
		if (!a.have_mtbf)
			a.rq.failure.mtbf_per_gpu_h = def.mtbf_per_gpu_h;
		if (a.rq.failure.ckpt_write_s < 0)
			a.rq.failure.ckpt_write_s = def.ckpt_write_s;
		if (a.rq.failure.restart_s < 0)
			a.rq.failure.restart_s = def.restart_s;
		if (a.rq.failure.ckpt_interval_s < 0)
			a.rq.failure.ckpt_interval_s = def.ckpt_interval_s;
	}
	st = fs_train_plan_best(NULL, &a.rq, &r, &e);
	if (st) {
		rc = fs_cli_report(&e);
		goto out;
	}
	if (a.fmt == FMT_CSV)
		print_csv(&a.rq, &r);
	else if (a.fmt == FMT_JSON)
		print_json(&a.rq, &r);
	else
		print_table(&a.rq, &r);
	rc = 0;
out:
	fs_catalog_fini(&cat);
	return rc;
}

/* ---- validate ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct err_set {
	double v[512];
	int n;
	double worst;
	const char *worst_id;
};

static void err_add(struct err_set *s, double abs_err, const char *id)
{
	if (s->n < 512)
		s->v[s->n++] = abs_err;
	if (abs_err > s->worst || !s->worst_id) {
		s->worst = abs_err;
		s->worst_id = id;
	}
}

static double err_median(struct err_set *s)
{
	if (s->n == 0)
		return 0.0;
	qsort(s->v, (size_t)s->n, sizeof(s->v[0]), cmp_double);
	return s->n % 2 ? s->v[s->n / 2] : 0.5 * (s->v[s->n / 2 - 1] + s->v[s->n / 2]);
}

static void err_print(const char *label, struct err_set *s)
{
	if (s->n == 0) {
		printf("%-36s none\n", label);
		return;
	}
	printf("%-36s %3d rows   median |error| %5.1f%%   worst %5.1f%% (%s)\n", label, s->n,
	       100.0 * err_median(s), 100.0 * s->worst, s->worst_id);
}

static const char *role_name(enum fs_train_calib_role r)
{
	static const char *const names[] = { "", "fit", "holdout", "ref" };

	return (int)r >= 0 && (int)r < 4 ? names[r] : "";
}

/*
 * Predicts one row (searched: as a blind check, else with the published
 * layout), prints it and returns its relative error (INFINITY when no plan
 * was found).
 */
static double validate_row(struct fs_train_memo *memo, const struct fs_train_calib_row *row,
			   bool searched, enum fmt fmt)
{
	bool is_run = fs_train_metric_is_run(row->metric);
	const char *kind = !is_run ? "step" : searched ? "run-search" : "run";
	struct fs_train_result res;
	struct fs_error e;
	double pred = 0, err;
	enum fs_status st;

	fs_error_clear(&e);
	st = searched ? fs_train_calib_predict_searched(memo, row, &pred, &res, &e)
		      : fs_train_calib_predict(memo, row, &pred, &res, &e);
	if (st) {
		char buf[1200];
		fs_error_format(&e, buf, sizeof(buf));
		if (fmt == FMT_CSV)
			printf("%s,%s,%d,%s,%s,%.6g,,,,,,,,,,,,,,\n", row->id, kind, row->added,
			       role_name(row->role), fs_train_metric_name(row->metric), row->value);
		else
			printf("%-34s %-10s %-7s %-21s %11.5g %11s %8s  %s\n", row->id, kind,
			       role_name(row->role), fs_train_metric_name(row->metric), row->value, "-", "-",
			       buf);
		return INFINITY;
	}
	err = (pred - row->value) / row->value;
	if (fmt == FMT_CSV)
		printf("%s,%s,%d,%s,%s,%.6g,%.6g,%.4f,%s,%d,%d,%d,%d,%d,%d,%d,%d,%s,%d,%s\n", row->id, kind,
		       row->added, role_name(row->role), fs_train_metric_name(row->metric), row->value, pred,
		       err, row->req.gpu->name, row->req.n_gpus, res.plan.tp, res.plan.pp, res.plan.cp,
		       res.plan.dp, res.plan.vp, res.plan.micro_batch, res.plan.global_batch,
		       fs_recompute_name(res.plan.recompute), res.plan.zero, fs_precision_name(res.precision));
	else
		printf("%-34s %-10s %-7s %-21s %11.5g %11.5g %+7.1f%%  %d/%d/%d/%d/%d, %d, %s, %d\n", row->id,
		       kind, role_name(row->role), fs_train_metric_name(row->metric), row->value, pred,
		       100.0 * err, res.plan.tp, res.plan.pp, res.plan.cp, res.plan.dp, res.plan.vp,
		       res.plan.micro_batch, fs_recompute_name(res.plan.recompute), res.plan.zero);
	return err;
}

int fs_cli_validate_train(int argc, char **argv)
{
	const char *cmd = "validate train";
	enum fmt fmt = FMT_TABLE;
	int which = 0; /* 0 all, 1 step, 2 run */
	struct fs_catalog cat;
	struct fs_error e;
	struct fs_train_calib_row *rows = NULL;
	size_t n = 0;
	struct fs_train_memo *memo = NULL;
	struct err_set all_step, shared_step, run_pub, run_search, fit_search, hold_search;
	int rc = 0;

	if (fs_cli_wants_help(argc, argv)) {
		fputs(validate_usage, stdout);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			if (parse_format(argv[++i], &fmt, false))
				return fs_cli_usage_error(cmd, "--format '%s': expected table or csv", argv[i]);
		} else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
			const char *v = argv[++i];
			if (strcmp(v, "all") == 0)
				which = 0;
			else if (strcmp(v, "step") == 0)
				which = 1;
			else if (strcmp(v, "run") == 0)
				which = 2;
			else
				return fs_cli_usage_error(cmd, "--rows '%s': expected step, run or all", v);
		} else {
			return fs_cli_usage_error(cmd, "unknown option or missing value '%s'", argv[i]);
		}
	}
	fs_error_clear(&e);
	if (fs_catalog_load_builtin(&cat, &e))
		return fs_cli_report(&e);
	if (fs_train_calib_load(fs_builtin_training_csv, fs_builtin_training_csv_path, &cat, &rows, &n, &e) ||
	    fs_train_memo_create(&memo, 256)) {
		rc = fs_cli_report(&e);
		goto out;
	}
	memset(&all_step, 0, sizeof(all_step));
	memset(&shared_step, 0, sizeof(shared_step));
	memset(&run_pub, 0, sizeof(run_pub));
	memset(&run_search, 0, sizeof(run_search));
	memset(&fit_search, 0, sizeof(fit_search));
	memset(&hold_search, 0, sizeof(hold_search));
	if (fmt == FMT_CSV)
		printf("id,kind,added,role,metric,published,predicted,rel_error,gpu,gpus,tp,pp,cp,dp,vp,"
		       "micro_batch,global_batch,recompute,zero,precision\n");
	else
		printf("%-34s %-10s %-7s %-21s %11s %11s %8s  %s\n", "row", "kind", "role", "metric",
		       "published", "predicted", "error", "plan (tp/pp/cp/dp/vp, mb, recompute, zero)");
	for (size_t i = 0; i < n; i++) {
		const struct fs_train_calib_row *row = &rows[i];
		bool is_run = fs_train_metric_is_run(row->metric);
		double err;

		if ((which == 1 && is_run) || (which == 2 && !is_run))
			continue;
		err = fabs(validate_row(memo, row, false, fmt));
		if (!is_run) {
			err_add(&all_step, err, row->id);
			if (!row->added)
				err_add(&shared_step, err, row->id);
			continue;
		}
		if (row->role != FS_CALIB_ROLE_REF)
			err_add(&run_pub, err, row->id);
		err = fabs(validate_row(memo, row, true, fmt));
		if (row->role == FS_CALIB_ROLE_REF)
			continue;
		err_add(&run_search, err, row->id);
		err_add(row->role == FS_CALIB_ROLE_FIT ? &fit_search : &hold_search, err, row->id);
	}
	if (fmt == FMT_TABLE) {
		printf("\n");
		if (which != 2) {
			err_print("step-level rows (all)", &all_step);
			err_print("step-level rows (shared set)", &shared_step);
		}
		if (which != 1) {
			err_print("whole-run rows, published layout", &run_pub);
			err_print("whole-run rows, searched layout", &run_search);
			err_print("  of which fit, searched", &fit_search);
			err_print("  of which holdout, searched", &hold_search);
		}
		printf("targets: step-level median <= 10%%, worst <= 25%%; whole-run (fit and holdout, "
		       "ref rows not scored) median <= 15%%, worst <= 30%%\n");
		printf("whole run = tokens / (steady-state tokens/s x goodput x realisation %.2f)\n",
		       FS_TRAIN_RUN_REALISATION_FRAC);
	}
out:
	fs_train_memo_destroy(memo);
	free(rows);
	fs_catalog_fini(&cat);
	return rc;
}
