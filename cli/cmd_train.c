/*
 * cmd_train.c - `fleetsim estimate train`: argument parsing and printing
 * around the training model (models/train*.c, docs/models/training.md).
 */
#include "cli.h"

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
	"                         --vocab V [--params P] [--gated-ffn] [--experts E --experts-active k])\n"
	"         --seq S [--tokens T] [--global-batch B] [--micro-batch b] [--tp t] [--pp p]\n"
	"         [--cp c] [--vp v] [--recompute none|selective|full] [--zero 0|1|2|3]\n"
	"         [--precision bf16|fp16|fp8|tf32] [--attention flash|unfused] [--kernels fused|eager]\n"
	"         [--no-sequence-parallel]\n"
	"         [--stack legacy|megatron-2021|deepspeed|nemo-2024|fsdp] [--no-overlap]\n"
	"         [--no-sequence-parallel] [--method full|lora|qlora] [--lora-rank R]\n"
	"         [--lora-targets all|attention|qv]\n"
	"         [--mtbf-h H] [--ckpt-interval-s S] [--ckpt-write-s S] [--restart-s S]\n"
	"         [--format table|csv|json]\n"
	"\n"
	"Step time, throughput, MFU and memory of the fastest plan that fits; layout flags\n"
	"given are honoured, the rest are searched. With --tokens, also whole-run days and\n"
	"GPU-hours and where the wall time goes: steady state + failures (lost work,\n"
	"restarts) + checkpoints + evaluation + ramp-up + stalls, in hours and percent\n"
	"(columns *_h, *_pct; goodput = share left by failures and checkpoints, realisation\n"
	"= the rest); tokens_per_s*, achieved_tflops_per_gpu,\n"
	"mfu and hfu describe steady-state steps of the plan. P and T accept K/M/B/T suffixes\n"
	"(a plain --params below 1e6 is read as billions). --global-batch and --micro-batch\n"
	"count sequences. Without --global-batch the batch is 4M tokens (at least 1024\n"
	"tokens per GPU). mfu and hfu are fractions of the dense peak of the precision used.\n"
	"--method lora|qlora freezes the base weights (bf16, or 4-bit NF4 for qlora) and\n"
	"trains rank-R adapters: no weight gradients, gradients and Adam states of the\n"
	"adapters only. mfu stays on 6N model FLOPs (a full fine-tune's count); useful_mfu\n"
	"counts what the method computes (4N + 6A + 12Lhs for lora/qlora).\n"
	"Exit codes: 0 ok; 2 bad input, no plan fits, a whole run that makes no progress under\n"
	"failures (goodput below 1%) or lasts over 100 years (the reason on stderr).\n"
	"--stack picks a software-stack profile (overlap, kernel efficiency, recompute\n"
	"default, memory accounting); legacy, the default, is the model before profiles.\n"
	"--no-overlap turns the stack's data- and tensor-parallel overlap off.\n"
	"Model: docs/models/training.md.\n";

static const char *const precision_names[] = { "bf16", "fp16", "fp8", "tf32", NULL };
static const char *const recompute_names[] = { "none", "selective", "full", NULL };
static const char *const attention_names[] = { "flash", "unfused", NULL };
static const char *const kernels_names[] = { "fused", "eager", NULL };
static const char *const stack_names[] = { "legacy", "megatron-2021", "deepspeed", "nemo-2024", "fsdp",
					   NULL };
static const char *const method_names[] = { "full", "lora", "qlora", NULL };
static const char *const lora_targets_names[] = { "all", "attention", "qv", NULL };

enum {
	O_GPU, O_GPUS, O_MODEL, O_LAYERS, O_HIDDEN, O_HEADS, O_KV_HEADS, O_FFN, O_VOCAB, O_PARAMS,
	O_GATED_FFN, O_EXPERTS, O_EXPERTS_ACTIVE, O_SEQ, O_TOKENS, O_GLOBAL_BATCH, O_MICRO_BATCH,
	O_TP, O_PP, O_CP, O_VP, O_RECOMPUTE, O_ZERO, O_PRECISION, O_ATTENTION, O_KERNELS,
	O_NO_SEQUENCE_PARALLEL, O_METHOD, O_LORA_RANK, O_LORA_TARGETS, O_MTBF_H, O_CKPT_INTERVAL_S,
	O_CKPT_WRITE_S, O_RESTART_S, O_FORMAT, O_STACK, O_NO_OVERLAP,
	N_OPTS
};

#define LAYOUT_INT(idx, nm, help_)                                                                \
	[idx] = { .name = nm, .type = FS_OPT_INT, .imin = 1, .imax = 1000000000,                   \
		  .def = "searched", .help = help_ }
#define FAILURE_S(idx, nm, help_)                                                                 \
	[idx] = { .name = nm, .type = FS_OPT_DOUBLE, .si_suffix = true, .unit = "s",                \
		  .def = "the GPU's", .help = help_ }

static const struct fs_opt opts[N_OPTS] = {
	[O_GPU] = { .name = "gpu", .type = FS_OPT_STRING, .metavar = "NAME", .help = "catalog GPU (required)" },
	[O_GPUS] = { .name = "gpus", .type = FS_OPT_INT, .imin = 1, .imax = 10000000,
		     .help = "GPUs of the job (required)" },
	FS_CLI_OPTS_SHAPE,
	FS_CLI_SHAPE_INT(O_EXPERTS, "experts", "custom shape: experts per MoE layer; default 1"),
	FS_CLI_SHAPE_INT(O_EXPERTS_ACTIVE, "experts-active", "custom shape: experts per token; default 1"),
	[O_SEQ] = { .name = "seq", .type = FS_OPT_INT, .imin = 1, .imax = 100000000, .unit = "tokens",
		    .help = "sequence length (required)" },
	[O_TOKENS] = { .name = "tokens", .type = FS_OPT_DOUBLE, .min_open = true, .si_suffix = true,
		       .help = "whole-run tokens: adds days, GPU-hours, goodput" },
	LAYOUT_INT(O_GLOBAL_BATCH, "global-batch", "sequences per optimizer step"),
	LAYOUT_INT(O_MICRO_BATCH, "micro-batch", "sequences per micro-batch"),
	LAYOUT_INT(O_TP, "tp", "tensor-parallel size"),
	LAYOUT_INT(O_PP, "pp", "pipeline-parallel size"),
	LAYOUT_INT(O_CP, "cp", "context-parallel size"),
	LAYOUT_INT(O_VP, "vp", "interleaved pipeline stages per GPU"),
	[O_RECOMPUTE] = { .name = "recompute", .type = FS_OPT_ENUM, .choices = recompute_names,
			  .def = "searched", .help = "activation recomputation" },
	[O_ZERO] = { .name = "zero", .type = FS_OPT_INT, .imin = 0, .imax = 3, .def = "searched",
		     .help = "ZeRO stage" },
	[O_PRECISION] = { .name = "precision", .type = FS_OPT_ENUM, .choices = precision_names,
			  .def = "bf16", .help = "matrix-product precision" },
	[O_ATTENTION] = { .name = "attention", .type = FS_OPT_ENUM, .choices = attention_names,
			  .def = "flash", .help = "attention kernels" },
	[O_KERNELS] = { .name = "kernels", .type = FS_OPT_ENUM, .choices = kernels_names,
			.def = "fused", .help = "element-wise kernels" },
	[O_NO_SEQUENCE_PARALLEL] = { .name = "no-sequence-parallel", .type = FS_OPT_FLAG,
				     .help = "tensor parallelism without sequence parallelism" },
	[O_METHOD] = { .name = "method", .type = FS_OPT_ENUM, .choices = method_names, .def = "full",
		       .help = "training method: all weights, or frozen base + LoRA adapters" },
	[O_LORA_RANK] = { .name = "lora-rank", .type = FS_OPT_INT, .imin = 1,
			  .imax = FS_TRAIN_MAX_LORA_RANK, .def = "16",
			  .help = "adapter rank (lora, qlora)" },
	[O_LORA_TARGETS] = { .name = "lora-targets", .type = FS_OPT_ENUM, .choices = lora_targets_names,
			     .def = "all", .help = "linears with adapters: all (q,k,v,o + MLP), attention, qv" },
	[O_MTBF_H] = { .name = "mtbf-h", .type = FS_OPT_DOUBLE, .min_open = true, .si_suffix = true,
		       .unit = "h", .def = "the GPU's", .help = "mean time between failures per GPU" },
	FAILURE_S(O_CKPT_INTERVAL_S, "ckpt-interval-s", "checkpoint interval"),
	FAILURE_S(O_CKPT_WRITE_S, "ckpt-write-s", "time to write a checkpoint"),
	FAILURE_S(O_RESTART_S, "restart-s", "time to restart after a failure"),
	[O_FORMAT] = FS_CLI_OPT_FORMAT,
	[O_STACK] = { .name = "stack", .type = FS_OPT_ENUM, .choices = stack_names, .def = "nemo-2024",
		      .help = "software-stack profile (docs/models/training.md 3.7)" },
	[O_NO_OVERLAP] = { .name = "no-overlap", .type = FS_OPT_FLAG,
			   .help = "the stack's DP/TP communication overlap off" },
};

struct est_args {
	const char *gpu, *model;
	int gpus;
	struct fs_llm custom;
	bool custom_shape;
	double params_b;
	struct fs_train_request rq;
};

/* Fills a from the parsed values and checks what the table cannot. */
static int check_estimate(const struct fs_opt_val *v, struct est_args *a)
{
	static const int shape[] = { O_LAYERS, O_HIDDEN, O_HEADS, O_KV_HEADS, O_FFN, O_VOCAB,
				     O_EXPERTS, O_EXPERTS_ACTIVE, O_PARAMS, O_GATED_FFN };
	static const int layout[] = { O_GLOBAL_BATCH, O_MICRO_BATCH, O_TP, O_PP, O_CP, O_VP };
	const char *cmd = "estimate train";
	struct fs_train_plan *p = &a->rq.plan;
	int *const layout_at[] = { &p->global_batch, &p->micro_batch, &p->tp, &p->pp, &p->cp, &p->vp };
	struct fs_failure_params *f = &a->rq.failure;

	a->gpu = v[O_GPU].s;
	a->model = v[O_MODEL].s;
	a->gpus = (int)v[O_GPUS].i;
	for (size_t k = 0; k < sizeof(shape) / sizeof(shape[0]); k++)
		a->custom_shape |= v[shape[k]].set;
	a->custom.n_layers = (int)v[O_LAYERS].i;
	a->custom.hidden = (int)v[O_HIDDEN].i;
	a->custom.n_heads = (int)v[O_HEADS].i;
	a->custom.n_kv_heads = (int)v[O_KV_HEADS].i;
	a->custom.ffn = (int)v[O_FFN].i;
	a->custom.vocab = (int)v[O_VOCAB].i;
	a->custom.n_experts = (int)v[O_EXPERTS].i;
	a->custom.n_experts_active = (int)v[O_EXPERTS_ACTIVE].i;
	a->custom.gated_ffn = v[O_GATED_FFN].set;
	a->params_b = v[O_PARAMS].set ? fs_cli_params_b(v[O_PARAMS].d) : 0.0;
	a->rq.seq_len = (int)v[O_SEQ].i;
	a->rq.tokens = v[O_TOKENS].set ? v[O_TOKENS].d : a->rq.tokens;
	for (size_t k = 0; k < sizeof(layout) / sizeof(layout[0]); k++)
		if (v[layout[k]].set)
			*layout_at[k] = (int)v[layout[k]].i;
	if (v[O_ZERO].set)
		p->zero = (int)v[O_ZERO].i;
	if (v[O_RECOMPUTE].set)
		fs_recompute_parse(v[O_RECOMPUTE].s, &p->recompute);
	if (v[O_PRECISION].set) {
		fs_precision_parse(v[O_PRECISION].s, &a->rq.precision);
		a->rq.strict_precision = true;
	}
	if (v[O_ATTENTION].set)
		fs_attention_parse(v[O_ATTENTION].s, &a->rq.attention);
	if (v[O_KERNELS].set)
		fs_kernels_parse(v[O_KERNELS].s, &a->rq.kernels);
	a->rq.no_sequence_parallel = v[O_NO_SEQUENCE_PARALLEL].set;
	a->rq.stack = FS_TRAIN_DEFAULT_STACK;
	if (v[O_STACK].set)
		fs_train_stack_parse(v[O_STACK].s, &a->rq.stack);
	a->rq.no_overlap = v[O_NO_OVERLAP].set;
	if (v[O_METHOD].set)
		fs_train_method_parse(v[O_METHOD].s, &a->rq.method);
	if (v[O_LORA_RANK].set)
		a->rq.lora_rank = (int)v[O_LORA_RANK].i;
	if (v[O_LORA_TARGETS].set)
		fs_lora_targets_parse(v[O_LORA_TARGETS].s, &a->rq.lora_targets);
	f->mtbf_per_gpu_h = v[O_MTBF_H].set ? v[O_MTBF_H].d : 0.0;
	f->ckpt_interval_s = v[O_CKPT_INTERVAL_S].set ? v[O_CKPT_INTERVAL_S].d : -1;
	f->ckpt_write_s = v[O_CKPT_WRITE_S].set ? v[O_CKPT_WRITE_S].d : -1;
	f->restart_s = v[O_RESTART_S].set ? v[O_RESTART_S].d : -1;
	if (!a->gpu)
		return fs_cli_usage_error(cmd, "--gpu is required");
	if (a->gpus < 1)
		return fs_cli_usage_error(cmd, "--gpus is required");
	if (a->rq.seq_len < 1)
		return fs_cli_usage_error(cmd, "--seq is required");
	if ((v[O_LORA_RANK].set || v[O_LORA_TARGETS].set) && a->rq.method == FS_METHOD_FULL)
		return fs_cli_usage_error(cmd, "--lora-rank and --lora-targets need --method lora or qlora");
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
	m->n_kv_heads = fs_llm_kv_heads(m);
	if (m->n_experts == 0)
		m->n_experts = 1;
	if (m->n_experts_active == 0)
		m->n_experts_active = 1;
	if (a->params_b > 0) {
		fs_llm_params_from_shape(m, &tot, &act);
		m->params_b = a->params_b;
		m->active_params_b = tot > 0 ? act / tot * m->params_b : m->params_b;
	}
}

/* The whole run's parts (goodput.h), in the order of the table. */
#define N_RUN_PARTS 8
#define RUN_PART_COLS(nm)                                                                         \
	{ .name = nm "_h", .type = FS_EMIT_NUM, .fmt = "%.6g" },                                  \
	{ .name = nm "_pct", .type = FS_EMIT_NUM, .fmt = "%.3f" }

static void run_part_hours(const struct fs_goodput_parts *p, double h[N_RUN_PARTS])
{
	const double s[N_RUN_PARTS] = { p->steady_s, p->failure_lost_s, p->failure_restart_s,
					p->ckpt_s, p->eval_s, p->ramp_s, p->stall_s, p->wall_s };

	for (int k = 0; k < N_RUN_PARTS; k++)
		h[k] = s[k] / 3600.0;
}

/* Hours and percent of the wall time of each part; missing without a run. */
static void run_part_vals(bool run, const struct fs_goodput_parts *p, struct fs_emit_val *out)
{
	double h[N_RUN_PARTS];

	run_part_hours(p, h);
	for (int k = 0; k < N_RUN_PARTS; k++) {
		out[2 * k] = run ? fs_emit_num(h[k]) : fs_emit_missing();
		out[2 * k + 1] = run && h[N_RUN_PARTS - 1] > 0
				 ? fs_emit_num(100.0 * h[k] / h[N_RUN_PARTS - 1]) : fs_emit_missing();
	}
}

static const struct fs_emit_col csv_cols[] = {
	{ .name = "gpu", .type = FS_EMIT_STR },
	{ .name = "gpus", .type = FS_EMIT_INT },
	{ .name = "model", .type = FS_EMIT_STR },
	{ .name = "seq", .type = FS_EMIT_INT },
	FS_CLI_PLAN_COLS,
	{ .name = "precision", .type = FS_EMIT_STR },
	{ .name = "fp8_fallback", .type = FS_EMIT_BOOL },
	{ .name = "step_time_s", .type = FS_EMIT_NUM },
	{ .name = "tokens_per_s", .type = FS_EMIT_NUM },
	{ .name = "tokens_per_s_per_gpu", .type = FS_EMIT_NUM },
	{ .name = "achieved_tflops_per_gpu", .type = FS_EMIT_NUM, .fmt = "%.4f" },
	{ .name = "mfu", .type = FS_EMIT_NUM, .fmt = "%.4f" },
	{ .name = "hfu", .type = FS_EMIT_NUM, .fmt = "%.4f" },
	{ .name = "memory_per_gpu_gb", .type = FS_EMIT_NUM, .fmt = "%.2f" },
	{ .name = "memory_capacity_gb", .type = FS_EMIT_NUM, .fmt = "%.1f" },
	{ .name = "fits", .type = FS_EMIT_BOOL },
	{ .name = "goodput", .type = FS_EMIT_NUM, .fmt = "%.4f" },
	{ .name = "realisation", .type = FS_EMIT_NUM, .fmt = "%.4f" },
	{ .name = "days", .type = FS_EMIT_NUM, .fmt = "%.4f" },
	{ .name = "gpu_hours", .type = FS_EMIT_NUM },
	{ .name = "method", .type = FS_EMIT_STR },
	{ .name = "lora_rank", .type = FS_EMIT_INT },
	{ .name = "adapter_params", .type = FS_EMIT_NUM },
	{ .name = "useful_mfu", .type = FS_EMIT_NUM, .fmt = "%.4f" },
	RUN_PART_COLS("steady"), RUN_PART_COLS("failure_lost"), RUN_PART_COLS("failure_restart"),
	RUN_PART_COLS("checkpoint"), RUN_PART_COLS("eval"), RUN_PART_COLS("ramp"),
	RUN_PART_COLS("stall"), RUN_PART_COLS("wall"),
};
#define N_CSV_COLS ((int)(sizeof(csv_cols) / sizeof(csv_cols[0])))

void fs_cli_plan_vals(const struct fs_train_plan *p, struct fs_emit_val *out)
{
	const struct fs_emit_val v[FS_CLI_N_PLAN_COLS] = {
		fs_emit_int(p->tp), fs_emit_int(p->pp), fs_emit_int(p->cp), fs_emit_int(p->dp),
		fs_emit_int(p->vp), fs_emit_int(p->micro_batch), fs_emit_int(p->global_batch),
		fs_emit_str(fs_recompute_name(p->recompute)), fs_emit_int(p->zero),
	};

	memcpy(out, v, sizeof(v));
}

static void emit_rows(const struct fs_train_request *rq, const struct fs_train_result *r,
		      const struct fs_emit_format *f)
{
	bool run = rq->tokens > 0, lora = rq->method != FS_METHOD_FULL;
	struct fs_emitter em;
	struct fs_emit_val v[N_CSV_COLS] = {
		fs_emit_str(rq->gpu->name), fs_emit_int(rq->n_gpus), fs_emit_str(rq->model->name),
		fs_emit_int(rq->seq_len), [4 + FS_CLI_N_PLAN_COLS] = fs_emit_str(fs_precision_name(r->precision)), fs_emit_int(r->fp8_fallback),
		fs_emit_num(r->step_time_s), fs_emit_num(r->tokens_per_s),
		fs_emit_num(r->tokens_per_s_per_gpu), fs_emit_num(r->achieved_tflops_per_gpu),
		fs_emit_num(r->mfu), fs_emit_num(r->hfu), fs_emit_num(r->mem.total_gb),
		fs_emit_num(r->mem.capacity_gb), fs_emit_int(r->fits),
		run ? fs_emit_num(r->goodput_frac) : fs_emit_missing(),
		run ? fs_emit_num(r->realisation_frac) : fs_emit_missing(),
		run ? fs_emit_num(r->run_days) : fs_emit_missing(),
		run ? fs_emit_num(r->gpu_hours) : fs_emit_missing(),
		fs_emit_str(fs_train_method_name(r->method)),
		lora ? fs_emit_int(rq->lora_rank) : fs_emit_missing(),
		fs_emit_num(r->adapter_params), fs_emit_num(r->useful_mfu),
	};

	fs_cli_plan_vals(&r->plan, &v[4]);
	run_part_vals(run, &r->run, &v[N_CSV_COLS - 2 * N_RUN_PARTS]);
	fs_emit_begin(&em, stdout, f, csv_cols, N_CSV_COLS, true);
	fs_emit_row(&em, v);
	fs_emit_end(&em);
}

/* One line of JSON members: "  k: v, k: v" then sep. */
static void json_line(const struct fs_emit_col *c, const struct fs_emit_val *v, int n,
		      const char *open, const char *close)
{
	fputs(open, stdout);
	for (int k = 0; k < n; k++) {
		if (k)
			fputs(", ", stdout);
		fs_emit_json_member(stdout, &c[k], &v[k]);
	}
	fputs(close, stdout);
}

#define JSON_LINE(cols, vals, open, close)                                                        \
	json_line(cols, vals, (int)(sizeof(cols) / sizeof(cols[0])), open, close)
#define NUM(nm, f) { .name = nm, .type = FS_EMIT_NUM, .fmt = f }
#define INT(nm) { .name = nm, .type = FS_EMIT_INT }
#define STR(nm) { .name = nm, .type = FS_EMIT_STR }
#define BOOL(nm) { .name = nm, .type = FS_EMIT_BOOL }

/*
 * The estimate as one JSON object; memory and time split into nested
 * objects, so written member by member with the emitter's JSON writer.
 */
static void print_json(const struct fs_train_request *rq, const struct fs_train_result *r)
{
	static const struct fs_emit_col c1[] = { STR("gpu"), INT("gpus"), STR("model"), INT("seq") };
	static const struct fs_emit_col c2[] = { INT("tp"), INT("pp"), INT("cp"), INT("dp"), INT("vp"),
						 INT("micro_batch"), INT("global_batch"),
						 STR("recompute"), INT("zero") };
	static const struct fs_emit_col c3[] = { STR("precision"), BOOL("fp8_fallback"),
						 STR("attention"), STR("kernels") };
	static const struct fs_emit_col c4[] = { NUM("step_time_s", NULL), NUM("tokens_per_step", NULL),
						 NUM("tokens_per_s", NULL), NUM("tokens_per_s_per_gpu", NULL) };
	static const struct fs_emit_col c5[] = { NUM("model_flops_per_token", NULL),
						 NUM("hw_flops_per_token", NULL),
						 NUM("achieved_tflops_per_gpu", "%.4f"), NUM("mfu", "%.4f"),
						 NUM("hfu", "%.4f") };
	static const struct fs_emit_col c6[] = { NUM("memory_per_gpu_gb", "%.3f"),
						 NUM("memory_capacity_gb", "%.1f"), BOOL("fits") };
	static const struct fs_emit_col cm[] = { NUM("weights", "%.3f"), NUM("grads", "%.3f"),
						 NUM("optimizer", "%.3f"), NUM("activations", "%.3f"),
						 NUM("reserve", "%.3f") };
	static const struct fs_emit_col ct[] = { NUM("gemm", NULL), NUM("attention", NULL),
						 NUM("elementwise", NULL), NUM("tp_comm", NULL),
						 NUM("pp_comm", NULL), NUM("cp_comm", NULL),
						 NUM("ep_comm", NULL), NUM("bubble", NULL),
						 NUM("dp_comm", NULL), NUM("optimizer", NULL) };
	static const struct fs_emit_col crun[] = { NUM("tokens", NULL), NUM("goodput", "%.4f"),
						   NUM("realisation", "%.4f"), NUM("job_mtbf_s", NULL),
						   NUM("ckpt_interval_s", NULL), NUM("days", "%.4f"),
						   NUM("gpu_hours", NULL) };
	static const struct fs_emit_col cnorun[] = { NUM("tokens", NULL), NUM("goodput", NULL),
						     NUM("realisation", NULL), NUM("days", NULL),
						     NUM("gpu_hours", NULL) };
	static const struct fs_emit_col cparts[] = {
		RUN_PART_COLS("steady"), RUN_PART_COLS("failure_lost"), RUN_PART_COLS("failure_restart"),
		RUN_PART_COLS("checkpoint"), RUN_PART_COLS("eval"), RUN_PART_COLS("ramp"),
		RUN_PART_COLS("stall"), RUN_PART_COLS("wall"),
	};
	static const struct fs_emit_col cmeth[] = { STR("method"), INT("lora_rank"),
						    STR("lora_targets"), NUM("adapter_params", NULL),
						    NUM("useful_flops_per_token", NULL),
						    NUM("useful_mfu", "%.4f") };
	static const struct fs_emit_col cend[] = { INT("plans_evaluated") };
	const struct fs_train_time_breakdown *t = &r->time;
	const struct fs_train_memory *m = &r->mem;
	const struct fs_emit_val v1[] = { fs_emit_str(rq->gpu->name), fs_emit_int(rq->n_gpus),
					  fs_emit_str(rq->model->name), fs_emit_int(rq->seq_len) };
	const struct fs_emit_val v2[] = { fs_emit_int(r->plan.tp), fs_emit_int(r->plan.pp),
					  fs_emit_int(r->plan.cp), fs_emit_int(r->plan.dp),
					  fs_emit_int(r->plan.vp), fs_emit_int(r->plan.micro_batch),
					  fs_emit_int(r->plan.global_batch),
					  fs_emit_str(fs_recompute_name(r->plan.recompute)),
					  fs_emit_int(r->plan.zero) };
	const struct fs_emit_val v3[] = { fs_emit_str(fs_precision_name(r->precision)),
					  fs_emit_int(r->fp8_fallback),
					  fs_emit_str(fs_attention_name(rq->attention)),
					  fs_emit_str(fs_kernels_name(rq->kernels)) };
	const struct fs_emit_val v4[] = { fs_emit_num(r->step_time_s), fs_emit_num(r->tokens_per_step),
					  fs_emit_num(r->tokens_per_s), fs_emit_num(r->tokens_per_s_per_gpu) };
	const struct fs_emit_val v5[] = { fs_emit_num(r->model_flops_per_token),
					  fs_emit_num(r->hw_flops_per_token),
					  fs_emit_num(r->achieved_tflops_per_gpu), fs_emit_num(r->mfu),
					  fs_emit_num(r->hfu) };
	const struct fs_emit_val v6[] = { fs_emit_num(m->total_gb), fs_emit_num(m->capacity_gb),
					  fs_emit_int(r->fits) };
	const struct fs_emit_val vm[] = { fs_emit_num(m->weights_gb), fs_emit_num(m->grads_gb),
					  fs_emit_num(m->optimizer_gb), fs_emit_num(m->activations_gb),
					  fs_emit_num(m->reserve_gb) };
	const struct fs_emit_val vt[] = { fs_emit_num(t->gemm_s), fs_emit_num(t->attention_s),
					  fs_emit_num(t->elementwise_s), fs_emit_num(t->tp_comm_s),
					  fs_emit_num(t->pp_comm_s), fs_emit_num(t->cp_comm_s),
					  fs_emit_num(t->ep_comm_s), fs_emit_num(t->bubble_s),
					  fs_emit_num(t->dp_comm_s), fs_emit_num(t->optimizer_s) };
	const struct fs_emit_val vrun[] = { fs_emit_num(rq->tokens), fs_emit_num(r->goodput_frac),
					    fs_emit_num(r->realisation_frac), fs_emit_num(r->job_mtbf_s),
					    fs_emit_num(r->ckpt_interval_s), fs_emit_num(r->run_days),
					    fs_emit_num(r->gpu_hours) };
	const struct fs_emit_val vnorun[] = { fs_emit_missing(), fs_emit_missing(), fs_emit_missing(),
					      fs_emit_missing(), fs_emit_missing() };
	bool lora = rq->method != FS_METHOD_FULL;
	const struct fs_emit_val vmeth[] = { fs_emit_str(fs_train_method_name(r->method)),
					     lora ? fs_emit_int(rq->lora_rank) : fs_emit_missing(),
					     lora ? fs_emit_str(fs_lora_targets_name(rq->lora_targets))
						  : fs_emit_missing(),
					     fs_emit_num(r->adapter_params),
					     fs_emit_num(r->useful_flops_per_token),
					     fs_emit_num(r->useful_mfu) };
	const struct fs_emit_val vend[] = { fs_emit_int(r->n_evaluated) };
	struct fs_emit_val vparts[2 * N_RUN_PARTS];

	JSON_LINE(c1, v1, "{\n  ", ",\n");
	JSON_LINE(c2, v2, "  ", ",\n");
	JSON_LINE(c3, v3, "  ", ",\n");
	JSON_LINE(c4, v4, "  ", ",\n");
	JSON_LINE(c5, v5, "  ", ",\n");
	JSON_LINE(c6, v6, "  ", ",\n");
	JSON_LINE(cm, vm, "  \"memory_gb\": {", "},\n");
	JSON_LINE(ct, vt, "  \"time_s\": {", "},\n");
	if (rq->tokens > 0)
		JSON_LINE(crun, vrun, "  ", ",\n");
	else
		JSON_LINE(cnorun, vnorun, "  ", ",\n");
	run_part_vals(rq->tokens > 0, &r->run, vparts);
	JSON_LINE(cparts, vparts, "  \"run\": {", "},\n");
	JSON_LINE(cmeth, vmeth, "  ", ",\n");
	JSON_LINE(cend, vend, "  ", "\n}\n");
}

static double pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0.0;
}

/* The whole run and where its wall time goes. */
static void print_run(const struct fs_train_request *rq, const struct fs_train_result *r)
{
	static const char *const names[N_RUN_PARTS] = {
		"steady state", "+ failures: lost work", "+ failures: restarts", "+ checkpoints",
		"+ evaluation", "+ ramp-up", "+ stalls", "= wall time",
	};
	const struct fs_goodput_parts *p = &r->run;
	double h[N_RUN_PARTS];

	printf("  %-14s %.4g tokens: %.2f days, %.0f GPU-hours, goodput %.3f, realisation %.3f\n"
	       "  %-14s (job MTBF %.1f h, checkpoint every %.0f s; whole-run MFU %.1f%%)\n",
	       "whole run", rq->tokens, r->run_days, r->gpu_hours, r->goodput_frac,
	       r->realisation_frac, "", r->job_mtbf_s / 3600.0, r->ckpt_interval_s,
	       100.0 * r->mfu * r->goodput_frac * r->realisation_frac);
	printf("  %-14s %-24s %12s %7s\n", "", "", "hours", "%");
	run_part_hours(p, h);
	for (int k = 0; k < N_RUN_PARTS; k++)
		printf("  %-14s %-24s %12.1f %7.2f\n", "", names[k], h[k], pct(h[k], h[N_RUN_PARTS - 1]));
	printf("  %-14s (%.1f interruptions, %.0f checkpoints, %.0f evaluations; long-run share "
	       "%.3f)\n", "", p->n_interruptions, p->n_ckpts, p->n_evals, p->long_run_frac);
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
	if (rq->method != FS_METHOD_FULL)
		printf("  %-14s %s, rank %d on %s linears: %.4g M adapter parameters "
		       "(%.3f%% of %.4g B), base frozen\n",
		       "method", fs_train_method_name(r->method), rq->lora_rank,
		       fs_lora_targets_name(rq->lora_targets), r->adapter_params / 1e6,
		       100.0 * r->adapter_params / fs_train_total_params(rq->model),
		       fs_train_total_params(rq->model) / 1e9);
	else
		printf("  %-14s full (every weight trained)\n", "method");
	printf("  %-14s %.3f s (%.0f tokens)\n", "step time", st, r->tokens_per_step);
	printf("  %-14s %.0f tokens/s per GPU, %.0f tokens/s in all\n", "throughput",
	       r->tokens_per_s_per_gpu, r->tokens_per_s);
	printf("  %-14s %.1f TFLOP/s per GPU (model FLOPs), MFU %.1f%%, HFU %.1f%%\n", "achieved",
	       r->achieved_tflops_per_gpu, 100.0 * r->mfu, 100.0 * r->hfu);
	if (rq->method != FS_METHOD_FULL)
		printf("  %-14s MFU %.1f%% on the FLOPs %s computes (4N + 6A + 12Lhs; "
		       "MFU above counts a full fine-tune's 6N)\n", "useful",
		       100.0 * r->useful_mfu, fs_train_method_name(r->method));
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
		print_run(rq, r);
	printf("  %-14s %d plans searched\n", "search", r->n_evaluated);
}

int fs_cli_estimate_train(int argc, char **argv)
{
	struct fs_opt_val vals[N_OPTS];
	struct est_args a;
	struct fs_catalog cat;
	struct fs_error e;
	struct fs_llm custom;
	struct fs_train_result r;
	struct fs_failure_params def;
	enum fs_status st;
	int rc;

	if (fs_cli_wants_help(argc, argv)) {
		fs_cli_help(estimate_usage, opts, N_OPTS);
		return 0;
	}
	memset(&a, 0, sizeof(a));
	fs_train_request_init(&a.rq);
	if ((rc = fs_cli_parse("estimate train", opts, N_OPTS, argc, argv, vals, NULL, 0, NULL)) ||
	    (rc = check_estimate(vals, &a)))
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
	fs_failure_params_default(a.rq.gpu, &def);
	if (!vals[O_MTBF_H].set)
		a.rq.failure.mtbf_per_gpu_h = def.mtbf_per_gpu_h;
	if (a.rq.failure.ckpt_write_s < 0)
		a.rq.failure.ckpt_write_s = def.ckpt_write_s;
	if (a.rq.failure.restart_s < 0)
		a.rq.failure.restart_s = def.restart_s;
	if (a.rq.failure.ckpt_interval_s < 0)
		a.rq.failure.ckpt_interval_s = def.ckpt_interval_s;
	st = fs_train_plan_best(NULL, &a.rq, &r, &e);
	if (!st && a.rq.tokens > 0)
		st = fs_train_check_run_time(r.run_wall_s, a.rq.n_gpus, a.rq.gpu->name, &e);
	if (st) {
		rc = fs_cli_report(&e);
		goto out;
	}
	if (!vals[O_FORMAT].set || strcmp(vals[O_FORMAT].s, "table") == 0)
		print_table(&a.rq, &r);
	else if (strcmp(vals[O_FORMAT].s, "json") == 0)
		print_json(&a.rq, &r);
	else
		emit_rows(&a.rq, &r, fs_cli_format(&vals[O_FORMAT]));
	rc = 0;
out:
	fs_catalog_fini(&cat);
	return rc;
}
