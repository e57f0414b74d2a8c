/*
 * train.h - training performance, memory and whole-run model of one job:
 * a decoder-only transformer trained on n GPUs of one type with tensor (TP),
 * pipeline (PP), context (CP) and data (DP, optionally ZeRO-sharded)
 * parallelism.
 *
 * What it computes (every formula and constant: docs/models/training.md)
 *  - FLOPs per token: model FLOPs 6N + 12*L*h*s (N = matrix-multiply
 *    parameters used per token, active experts only), hardware FLOPs with
 *    the extra forward of recomputation.
 *  - Step time of one plan: per-GEMM roofline (FLOPs at the precision's dense
 *    peak x the GPU's best-shape GEMM efficiency, plus the bytes it moves at
 *    the GPU's streaming bandwidth), attention, memory-bound element-wise
 *    work, exposed tensor/pipeline/data-parallel communication, the pipeline
 *    bubble of the slowest stage, and the optimizer step.
 *  - Memory per GPU: weights, gradients and Adam states (ZeRO stages),
 *    activations (per-layer formulas for no, selective, full recompute;
 *    FlashAttention drops the s^2 term), in-flight micro-batches of the
 *    pipeline schedule, a framework reserve.
 *  - Plan search: every layout field left at 0 (or AUTO) is searched; the
 *    plan with the highest throughput that fits wins. Memoised.
 *  - Whole run: the steady-state time plus failures (lost work, restarts),
 *    checkpoints, evaluation, ramp-up and stalls, each a function of the
 *    run's length, GPUs and failure exposure (goodput.h). The fleet
 *    simulator (fs_train_job_estimate) keeps the failure-model goodput and
 *    FS_TRAIN_RUN_REALISATION_FRAC, and draws failures from the same
 *    struct fs_failure_params.
 *
 * Invariants: pure functions of their inputs; no globals, no I/O, no
 * allocation except inside a memo. Deterministic: ties in the search are
 * broken by a fixed order of the candidates.
 * Errors: bad input returns FS_ERR_INPUT, a request no plan can fit returns
 * FS_ERR_INFEASIBLE (with the closest plan and its shortfall filled in), an
 * allocation failure FS_ERR_NOMEM; details go into the caller's fs_error.
 * Cost: one plan evaluation is O(1) (a few hundred flops); a full search is
 * a few thousand evaluations (405B on 16,384 GPUs: a few milliseconds).
 */
#ifndef FLEETSIM_TRAIN_H
#define FLEETSIM_TRAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "fleetsim/catalog.h"
#include "fleetsim/error.h"
#include "fleetsim/goodput.h"

/* Activation recomputation. AUTO (in a request) means "search". */
enum fs_recompute {
	FS_RECOMPUTE_AUTO = -1,
	FS_RECOMPUTE_NONE = 0,
	FS_RECOMPUTE_SELECTIVE, /* attention core only (Korthikanti et al. 2022) */
	FS_RECOMPUTE_FULL,      /* every layer: one extra forward */
	FS_RECOMPUTE_COUNT
};

/*
 * Attention implementation. FLASH: fused kernel, causal half of the score
 * matrix, no s^2 activations (FlashAttention 2/3, cuDNN). UNFUSED: the
 * 2021-22 Megatron GPT recipe: materialised score matrix with softmax and
 * dropout, hidden-state dropout.
 */
enum fs_attention { FS_ATTN_FLASH = 0, FS_ATTN_UNFUSED, FS_ATTN_COUNT };

/*
 * Kernel fusion of the framework. FUSED: layer norms, bias, activation,
 * dropout and residual fused into few kernels (Megatron-LM, NeMo,
 * Transformer Engine). EAGER: one kernel per PyTorch op, with the extra
 * reads and writes that implies (plain PyTorch/FSDP stacks such as
 * llm-foundry in 2023).
 */
enum fs_kernels { FS_KERNELS_FUSED = 0, FS_KERNELS_EAGER, FS_KERNELS_COUNT };

/*
 * Software stack a job runs on (docs/models/training.md [3.7]). Each names a
 * row of a profile table: communication overlap, kernel efficiency, the
 * recompute default and the memory accounting of that stack. LEGACY (0, the
 * default of a zeroed request) is the model as it stood before the profiles:
 * no overlap beyond the last backward, GEMMs at gemm_eff_frac x a global
 * sustain fraction, capacity mem_gb; it keeps earlier results bit for bit.
 */
enum fs_train_stack {
	FS_STACK_LEGACY = 0,
	FS_STACK_MEGATRON_2021, /* Megatron-LM 2021-22 (Narayanan, Korthikanti) */
	FS_STACK_DEEPSPEED,     /* DeepSpeed + Megatron 2021-22 (BLOOM, MT-NLG) */
	FS_STACK_NEMO_2024,     /* Megatron-Core / NeMo with Transformer Engine, comm overlap */
	FS_STACK_FSDP,          /* PyTorch FSDP (llm-foundry 2023) */
	FS_STACK_COUNT
};

/* One row of the stack table. */
struct fs_train_stack_profile {
	enum fs_train_stack id;
	const char *name;
	const char *summary;
	/* Data parallel: reduce-scatter / all-reduce of the gradients bucketed
	 * under the backward of every micro-batch's last chunk, all-gather of the
	 * updated weights under the next forward; only what compute cannot hide
	 * (at least one bucket each way) is exposed. false: the LEGACY rule. */
	bool dp_overlap;
	/* Share of tensor-parallel collective time hidden behind the layer's
	 * GEMMs on Hopper (userbuffers / TE comm-GEMM overlap); 0 elsewhere. */
	double tp_overlap_frac;
	/* GEMM rate multiplier of the stack's kernels relative to the per-GPU
	 * training efficiency of the catalog (train_gemm_eff_frac). */
	double kernel_eff_frac;
	/* Per-GPU training efficiencies, usable HBM and a reserve on activations
	 * only (contiguous parameter/gradient buffers); false: LEGACY. */
	bool gpu_calibrated;
	/* Recompute when the request leaves it open: AUTO searches. */
	enum fs_recompute recompute;
	/* ZeRO-3 parameter gathers use the node-aggregated rail bandwidth (NCCL
	 * rings through the node, PyTorch FSDP) instead of one NIC per GPU
	 * (DeepSpeed ZeRO-3 2021, measured at 16 GB/s per GPU). */
	bool zero3_node_bw;
	/* GEMM rate multiplier on Hopper GPUs (kernel_eff_frac elsewhere):
	 * stacks of 2021-23 ran Ampere-tuned kernels on Hopper. */
	double hopper_kernel_eff_frac;
};

/* The stack of `estimate train` without --stack and of a scenario's training
 * jobs without `training.stack`: current Megatron-Core/NeMo recipes. A zeroed
 * request (the library's default) stays on LEGACY. */
#define FS_TRAIN_DEFAULT_STACK FS_STACK_NEMO_2024

/* The profile of s (s out of range: NULL). */
const struct fs_train_stack_profile *fs_train_stack_get(enum fs_train_stack s);
/* "legacy", "megatron-2021", "deepspeed", "nemo-2024", "fsdp". */
const char *fs_train_stack_name(enum fs_train_stack s);
/* FS_OK and *out, or FS_ERR_INPUT for an unknown name. */
enum fs_status fs_train_stack_parse(const char *s, enum fs_train_stack *out);

/*
 * Exposed time of a collective of comm_s seconds overlapped with hide_s
 * seconds of independent compute, of which at least floor_s (the bucket
 * issued after the last compute it can hide behind) is never hidden:
 * max(min(floor_s, comm_s), comm_s - hide_s), never negative. Seconds.
 */
double fs_train_overlap_exposed_s(double comm_s, double hide_s, double floor_s);

/*
 * Training method (docs/models/training.md [11]). FULL: every weight trained
 * (mixed-precision Adam). LORA: base weights frozen in the training
 * precision, low-rank adapters (Hu et al. 2021) trained. QLORA: as LORA, the
 * frozen linear weights stored as 4-bit NormalFloat with double-quantised
 * constants and dequantised to bf16 for every product (Dettmers et al. 2023).
 */
enum fs_train_method { FS_METHOD_FULL = 0, FS_METHOD_LORA, FS_METHOD_QLORA, FS_METHOD_COUNT };

/*
 * Linear layers that get adapters. ALL: attention q, k, v, o and every MLP
 * product (QLoRA's choice, and "all-linear" in Hugging Face PEFT); ATTENTION:
 * q, k, v, o; QV: q and v (Hu et al. 2021). The output layer never has one.
 */
enum fs_lora_targets { FS_LORA_ALL = 0, FS_LORA_ATTENTION, FS_LORA_QV, FS_LORA_TARGETS_COUNT };

/* Default adapter rank (MLPerf Training Llama 2 70B LoRA reference: 16). */
#define FS_TRAIN_DEFAULT_LORA_RANK 16
#define FS_TRAIN_MAX_LORA_RANK 65536

/* Sentinel for zero_stage in a request: search it. */
#define FS_TRAIN_ZERO_AUTO (-1)

struct fs_train_plan {
	int tp;             /* tensor-parallel size (sequence parallel on when > 1) */
	int pp;             /* pipeline stages */
	int cp;             /* context-parallel size (sequence split across GPUs) */
	int dp;             /* data-parallel replicas = n_gpus / (tp * pp * cp) */
	int vp;             /* interleaved model chunks per GPU (1 = plain 1F1B) */
	int micro_batch;    /* sequences per micro-batch per replica */
	int global_batch;   /* sequences per optimizer step, all replicas */
	enum fs_recompute recompute;
	int zero;           /* 0: none, 1: optimizer states, 2: + gradients, 3: + weights (FSDP) */
};

/*
 * Failure model, shared with the fleet simulator. Failures interrupt the
 * whole job; they arrive as a Poisson process of rate n_gpus / mtbf. Each
 * costs the restart time plus, on average, half a checkpoint period of lost
 * work. Checkpoints block training for ckpt_write_s every ckpt_interval_s of
 * training.
 */
struct fs_failure_params {
	double mtbf_per_gpu_h;   /* per-GPU mean time between job-interrupting failures, hours */
	double ckpt_interval_s;  /* training seconds between checkpoints; 0 = Young's optimum */
	double ckpt_write_s;     /* seconds a checkpoint blocks training */
	double restart_s;        /* detection + relaunch + checkpoint load, seconds */
};

/* Defaults (docs/models/training.md): a 30 s checkpoint write, a 300 s restart. */
#define FS_TRAIN_DEFAULT_CKPT_WRITE_S 30.0
#define FS_TRAIN_DEFAULT_RESTART_S 300.0

/*
 * Whole-run realisation fraction of the fleet simulator's job times
 * (fs_train_job_estimate): the share of the best plan's steady-state
 * throughput that a whole run realises beyond the failure-model goodput.
 * One global constant fitted to the whole-run rows before the goodput model
 * (goodput.h) replaced it for `estimate train` and `validate train`; kept
 * for the fleet so that its pinned results do not move
 * (docs/models/training.md [7]).
 */
#define FS_TRAIN_RUN_REALISATION_FRAC 0.80

/* Fills fp with the defaults; MTBF from the GPU catalog (g->mtbf_h). */
void fs_failure_params_default(const struct fs_gpu *g, struct fs_failure_params *fp);

/* Mean time between interruptions of a job on n_gpus GPUs, seconds. */
double fs_failure_job_mtbf_s(const struct fs_failure_params *fp, int n_gpus);

/* The checkpoint interval in effect: fp->ckpt_interval_s, or when 0, Young's
 * optimum sqrt(2 * ckpt_write_s * job MTBF). Seconds. */
double fs_failure_ckpt_interval_s(const struct fs_failure_params *fp, int n_gpus);

/*
 * Expected fraction of wall time spent on useful training for a job on
 * n_gpus GPUs:
 *   goodput = tau/(tau + w) * (1 - ((tau + w)/2 + r) / M)
 * with tau the checkpoint interval, w the write time, r the restart time and
 * M the job MTBF; clamped to [0, 1]. No floor: a job below
 * FS_FAILURE_MIN_GOODPUT_FRAC is refused by fs_failure_check_progress, which
 * every caller that turns goodput into a run time consults first.
 */
double fs_train_goodput_frac(const struct fs_failure_params *fp, int n_gpus);

/*
 * The least goodput at which a job is considered to make progress. Below it
 * failures (or checkpoint writes) eat the run: with the goodput at 1% a
 * job's first checkpoint is still reached before a failure with probability
 * exp(-(tau + w)/M) > exp(-2) = 0.135, so a simulated job finishes.
 */
#define FS_FAILURE_MIN_GOODPUT_FRAC 0.01

/*
 * Whether a job on n_gpus GPUs makes progress under fp: FS_OK, or
 * FS_ERR_INPUT when fs_train_goodput_frac is below
 * FS_FAILURE_MIN_GOODPUT_FRAC; the message gives the GPUs, the job MTBF, the
 * checkpoint interval and write time, the restart time, the probability of
 * reaching a checkpoint before the next failure and the goodput. The one
 * decision shared by `check`, `estimate train` and `run`.
 */
enum fs_status fs_failure_check_progress(const struct fs_failure_params *fp, int n_gpus,
					 struct fs_error *e);

/* The longest run a model or the simulator accepts: 100 years, in seconds
 * (int64 nanoseconds hold about 292 years). */
#define FS_TRAIN_MAX_RUN_S (100.0 * 365.25 * 86400.0)

/*
 * Whether a run of run_wall_s seconds on n_gpus GPUs of type gpu_name is
 * within FS_TRAIN_MAX_RUN_S: FS_OK, or FS_ERR_INPUT (NaN and infinity
 * included) with a message giving the duration in days and years.
 */
enum fs_status fs_train_check_run_time(double run_wall_s, int n_gpus, const char *gpu_name,
				       struct fs_error *e);

/* One training request. Plan fields left at 0 (recompute AUTO, zero
 * FS_TRAIN_ZERO_AUTO) are searched. */
struct fs_train_request {
	const struct fs_gpu *gpu;
	const struct fs_llm *model;
	int n_gpus;
	int seq_len;                  /* tokens per sequence */
	enum fs_precision precision;  /* bf16, fp16, fp8, tf32, fp32 */
	bool strict_precision;        /* fp8 on a GPU without it: FS_ERR_INPUT instead of a bf16 fallback */
	enum fs_attention attention;
	enum fs_kernels kernels;
	bool no_sequence_parallel;    /* TP without sequence parallelism (Megatron before 2022) */
	enum fs_train_stack stack;    /* software stack profile; LEGACY by default */
	bool no_overlap;              /* the stack's DP/TP overlap off (older builds of it) */
	struct fs_train_plan plan;
	double tokens;                /* whole-run tokens; 0: steady state only */
	struct fs_failure_params failure; /* mtbf_per_gpu_h 0: fs_failure_params_default */
	enum fs_train_method method;  /* default FS_METHOD_FULL */
	int lora_rank;                /* adapter rank r (lora, qlora); default FS_TRAIN_DEFAULT_LORA_RANK */
	enum fs_lora_targets lora_targets; /* default FS_LORA_ALL */
};

/* Initialises r: everything searched, bf16, FlashAttention, default failure
 * model, full fine-tune (LoRA rank 16 on all linear layers when a method
 * with adapters is chosen). */
void fs_train_request_init(struct fs_train_request *r);

/* Where the time of one optimizer step goes (seconds, per step). */
struct fs_train_time_breakdown {
	double gemm_s;        /* matrix multiplies incl. LM head, on the slowest stage x micro-batches */
	double attention_s;   /* attention core (score and value products, softmax) */
	double elementwise_s; /* memory-bound element-wise work, loss */
	double tp_comm_s;     /* exposed tensor-parallel collectives */
	double pp_comm_s;     /* pipeline point-to-point sends */
	double cp_comm_s;     /* exposed context-parallel exchanges */
	double ep_comm_s;     /* expert-parallel all-to-all (mixture of experts) */
	double bubble_s;      /* pipeline fill and drain */
	double dp_comm_s;     /* exposed data-parallel / ZeRO communication */
	double optimizer_s;   /* optimizer step */
};

/* Memory of the most loaded GPU, GB (10^9 bytes). */
struct fs_train_memory {
	double weights_gb;
	double grads_gb;
	double optimizer_gb;
	double activations_gb;   /* incl. in-flight micro-batches, logits, ZeRO-3 gather buffers */
	double reserve_gb;       /* CUDA context, communication buffers, fragmentation */
	double total_gb;
	double capacity_gb;      /* the GPU's HBM */
};

struct fs_train_result {
	struct fs_train_plan plan;
	enum fs_precision precision;  /* precision used */
	bool fp8_fallback;            /* fp8 was asked for on a GPU without it: ran bf16 */
	bool fits;
	double step_time_s;
	double tokens_per_step;
	double tokens_per_s;           /* whole job, steady state */
	double tokens_per_s_per_gpu;
	double model_flops_per_token;  /* 6N + 12 L h s */
	double hw_flops_per_token;     /* incl. recomputation */
	double achieved_tflops_per_gpu; /* model FLOPs */
	double mfu;                    /* model FLOPs / dense peak of the precision used, 0..1 */
	double hfu;                    /* hardware FLOPs / same peak */
	struct fs_train_time_breakdown time;
	struct fs_train_memory mem;
	/* whole run (0 when tokens == 0) */
	double goodput_frac;           /* share of the wall time not lost to failures or checkpoints */
	double realisation_frac;       /* steady time / (steady + evaluation + ramp-up + stalls) */
	double job_mtbf_s;
	double ckpt_interval_s;
	double run_wall_s;             /* run.wall_s = tokens / (tokens_per_s * goodput_frac * realisation_frac) */
	double run_days;
	double gpu_hours;
	int n_evaluated;               /* plans evaluated by the search (1 for fs_train_evaluate) */
	struct fs_goodput_run run_in;  /* what the whole-run parts were computed from */
	struct fs_goodput_parts run;   /* where the whole run's wall time goes (goodput.h) */
	/* training method (docs/models/training.md [11]) */
	enum fs_train_method method;
	double adapter_params;         /* trainable adapter parameters, whole model (0 for full) */
	double useful_flops_per_token; /* FLOPs the method needs: = model_flops_per_token for full,
					* 4N + 6A + 12 L h s for lora/qlora (no weight gradients) */
	double useful_mfu;             /* useful FLOPs / dense peak, 0..1 */
};

/*
 * Model FLOPs per token: 6 * N + 12 * L * h * s, N the matrix-multiply
 * parameters used per token (active experts; the output layer counted, the
 * input embedding lookup not).
 */
double fs_train_model_flops_per_token(const struct fs_llm *m, int seq_len);

/*
 * Hardware FLOPs per token with recomputation: none 6N + 12Lhs, selective
 * 6N + 16Lhs (the attention core forward again), full 8N + 16Lhs (issue 3's
 * definition; Megatron's eq. 3 does not recompute the output layer, 2Vh less).
 */
double fs_train_hw_flops_per_token(const struct fs_llm *m, int seq_len, enum fs_recompute rc);

/* Matrix-multiply parameters used per token (N above), and stored in total. */
double fs_train_matmul_params(const struct fs_llm *m);
double fs_train_total_params(const struct fs_llm *m);

/*
 * LoRA adapter parameters of the whole model at rank r on targets t:
 * r * (K + N) for every adapted K x N linear of every layer (all experts);
 * the output layer and embeddings have none.
 */
double fs_train_adapter_params(const struct fs_llm *m, int rank, enum fs_lora_targets t);

/*
 * Evaluates one fully specified plan (no zero/AUTO fields except
 * global_batch 0 = default). FS_OK and *out filled (out->fits may be false),
 * or FS_ERR_INPUT naming the bad field (tp not dividing heads, gpus not
 * divisible by tp*pp*cp, global batch not divisible by dp*micro_batch, fp8
 * on a GPU without it when strict ...).
 */
enum fs_status fs_train_evaluate(const struct fs_train_request *req, struct fs_train_result *out,
				 struct fs_error *e);

/*
 * Memo of plan searches: a bounded, direct-mapped cache keyed by every
 * input of a request (GPU and model fields by value, not by address).
 * Results never depend on its state. Caller owns it.
 */
struct fs_train_memo;

/* FS_OK and *out set (capacity entries, at least 1), or FS_ERR_NOMEM. */
enum fs_status fs_train_memo_create(struct fs_train_memo **out, size_t capacity);
void fs_train_memo_destroy(struct fs_train_memo *m);
/* Hits and lookups so far (for tests and reports). */
void fs_train_memo_stats(const struct fs_train_memo *m, size_t *hits, size_t *lookups);

/*
 * Best plan for a request: the fastest (tokens/s) plan that fits memory,
 * searching every field left open: TP over divisors of the heads up to the
 * NVLink domain, PP over divisors of n/TP up to the layer count, interleave,
 * micro-batch (powers of two), recompute, ZeRO stage (0/1 with PP; 0-3
 * without). memo may be NULL.
 * FS_OK and *best filled; FS_ERR_INPUT for a bad request; FS_ERR_INFEASIBLE
 * when nothing fits: *best holds the plan closest to fitting and e says how
 * many GB it misses.
 */
enum fs_status fs_train_plan_best(struct fs_train_memo *memo, const struct fs_train_request *req,
				  struct fs_train_result *best, struct fs_error *e);

/* What the fleet simulator asks: one job, everything else searched. */
struct fs_train_job {
	const struct fs_gpu *gpu;
	const struct fs_llm *model;
	int n_gpus;
	int seq_len;                 /* 0: the model's max_seq (2048 when unset) */
	enum fs_precision precision; /* fp8 without hardware support falls back to bf16 */
	double tokens;               /* whole-run tokens */
	const struct fs_failure_params *failure; /* NULL: defaults for the GPU */
	enum fs_train_method method; /* default (0) full */
	int lora_rank;               /* 0: FS_TRAIN_DEFAULT_LORA_RANK */
	enum fs_train_stack stack;   /* software stack (0: legacy) */
};

struct fs_train_estimate {
	double tokens_per_s;     /* steady state, whole job */
	double goodput_frac;     /* expected useful fraction of wall time (failure model) */
	double realisation_frac; /* whole-run realisation, FS_TRAIN_RUN_REALISATION_FRAC */
	double run_wall_s;       /* tokens / (tokens_per_s * goodput_frac * realisation_frac) */
	double step_time_s;
	double mfu;
	double memory_per_gpu_gb;
	enum fs_precision precision; /* used */
	bool fp8_fallback;
	struct fs_train_plan plan;
};

/*
 * Best-plan estimate for a job (memoised). FS_OK; FS_ERR_INPUT for a bad
 * job; FS_ERR_INFEASIBLE when the model does not fit on n_gpus (e says by how
 * much); FS_ERR_NOMEM never (a full memo evicts).
 */
enum fs_status fs_train_job_estimate(struct fs_train_memo *memo, const struct fs_train_job *job,
				     struct fs_train_estimate *out, struct fs_error *e);

/* Names: "none", "selective", "full"; "flash", "unfused"; "fused", "eager". */
const char *fs_recompute_name(enum fs_recompute rc);
enum fs_status fs_recompute_parse(const char *s, enum fs_recompute *out);
const char *fs_attention_name(enum fs_attention a);
enum fs_status fs_attention_parse(const char *s, enum fs_attention *out);
const char *fs_kernels_name(enum fs_kernels k);
enum fs_status fs_kernels_parse(const char *s, enum fs_kernels *out);
/* "full", "lora", "qlora"; "all", "attention", "qv". */
const char *fs_train_method_name(enum fs_train_method m);
enum fs_status fs_train_method_parse(const char *s, enum fs_train_method *out);
const char *fs_lora_targets_name(enum fs_lora_targets t);
enum fs_status fs_lora_targets_parse(const char *s, enum fs_lora_targets *out);

/* ---- calibration (models/train_calib.c) ---- */

/*
 * Published-figure conventions a calibration row may carry; each converts a
 * predicted step into the number the source printed.
 */
enum fs_train_metric {
	FS_METRIC_TOKENS_PER_S_PER_GPU,
	FS_METRIC_TFLOPS_MEGATRON_HW,    /* Narayanan eq. 3: 96 B s l h^2 (1 + s/6h + V/16lh) / t / n */
	FS_METRIC_TFLOPS_MEGATRON_MODEL, /* Korthikanti: 72 B s l h^2 (1 + s/6h + V/12lh) / t / n */
	FS_METRIC_MFU_MEGATRON_PCT,      /* the 72-form over the dense peak, percent */
	FS_METRIC_MFU_FOUNDRY_PCT,       /* llm-foundry: (6 P + 12 L h s) tok/s / peak, percent; P = params_b */
	FS_METRIC_TFLOPS_NEMO,           /* NeMo/Megatron-Bridge: (6 N + 6 L h s) tok/s (causal attention) */
	FS_METRIC_TFLOPS_6N12,           /* (6 N + 12 L h s) tok/s, TFLOP/s */
	FS_METRIC_MFU_6N12_PCT,          /* same over the BF16 dense peak, percent */
	FS_METRIC_ITER_TIME_S,           /* seconds per optimizer step */
	FS_METRIC_RUN_DAYS,              /* whole run, days */
	FS_METRIC_RUN_GPU_HOURS,         /* whole run, GPU-hours */
	FS_METRIC_COUNT
};

const char *fs_train_metric_name(enum fs_train_metric m);
enum fs_status fs_train_metric_parse(const char *s, enum fs_train_metric *out);
bool fs_train_metric_is_run(enum fs_train_metric m);

/*
 * What a calibration row is for. Step-level rows have NONE (used to fit) or
 * HOLDOUT (scored separately, not used to choose constants). Whole-run rows
 * are FIT (used to fit FS_TRAIN_RUN_REALISATION_FRAC), HOLDOUT (scored, not
 * used to fit) or REF (reported only: a figure extrapolated from steady-state
 * throughput, a partial benchmark run, or one inconsistent with its siblings;
 * the reason is in the row's note).
 */
enum fs_train_calib_role {
	FS_CALIB_ROLE_NONE = 0,
	FS_CALIB_ROLE_FIT,
	FS_CALIB_ROLE_HOLDOUT,
	FS_CALIB_ROLE_REF
};

struct fs_train_calib_row {
	char id[64];
	char model[FS_NAME_MAX];
	char gpu[FS_NAME_MAX];
	enum fs_train_metric metric;
	double value;                 /* published */
	double params_b;              /* the source's own parameter count (foundry MFU) */
	bool added;                   /* found for this project, not in the shared set */
	enum fs_train_calib_role role;
	char source[FS_SOURCE_MAX];
	struct fs_train_request req;  /* gpu/model pointers into the catalog given to the loader */
	int line;                     /* 1-based line in the CSV */
};

/*
 * Parses the calibration CSV text (header row; columns in any order, see
 * docs/models/training.md) and resolves GPU and model names in cat.
 * *rows is malloc'd (free it); FS_OK, FS_ERR_INPUT naming file:line:column,
 * or FS_ERR_NOMEM. name is used in messages.
 */
enum fs_status fs_train_calib_load(const char *csv_text, const char *name,
				   const struct fs_catalog *cat,
				   struct fs_train_calib_row **rows, size_t *n_rows,
				   struct fs_error *e);

/*
 * Predicts the row's published figure: plans the request (published layout,
 * the rest searched), converts to the row's metric. FS_OK and *predicted,
 * *res (may be NULL) filled; errors as fs_train_plan_best.
 */
enum fs_status fs_train_calib_predict(struct fs_train_memo *memo, const struct fs_train_calib_row *row,
				      double *predicted, struct fs_train_result *res,
				      struct fs_error *e);

/*
 * As fs_train_calib_predict, but as a blind check runs it: only the row's
 * GPU, GPU count, model, sequence length and tokens are kept; precision
 * (bf16), attention, kernels and the whole layout are the defaults or
 * searched, as `fleetsim estimate train` without layout flags.
 */
enum fs_status fs_train_calib_predict_searched(struct fs_train_memo *memo,
					       const struct fs_train_calib_row *row,
					       double *predicted, struct fs_train_result *res,
					       struct fs_error *e);

/*
 * The software stack a calibration row ran on (the CSV has no stack column):
 * by the longest matching id prefix of a table in models/train_calib.c
 * (Megatron 2021-22 rows megatron-2021, DeepSpeed ZeRO-3 rows deepspeed,
 * llm-foundry fsdp, NeMo and DGX Cloud nemo-2024); whole-run rows (is_run) and
 * unmatched ids (Llama 3) : legacy. Set by fs_train_calib_load in row->req.stack.
 */
enum fs_train_stack fs_train_calib_stack_for(const char *id, bool is_run);

/*
 * A published speed ratio on the same software: value(num_id) /
 * value(den_id) of two step-level rows, scored against the ratio of their
 * predictions. The table is static (models/train_calib.c).
 */
struct fs_train_calib_ratio {
	const char *id;
	const char *num_id;
	const char *den_id;
	const char *what;
};

/* The ratio table and its length (*n). */
const struct fs_train_calib_ratio *fs_train_calib_ratios(size_t *n);

/*
 * Relative error of a row as a speed error (+ = predicted faster than
 * published): rel_err itself for throughput metrics; for iteration times,
 * where rel_err > 0 means predicted slower, 1/(1 + rel_err) - 1. NAN when
 * rel_err is not finite or <= -1 for an iteration time.
 */
double fs_train_calib_speed_error(enum fs_train_metric m, double rel_err);

/* Residuals of one (GPU, precision) group. */
struct fs_train_calib_group {
	char gpu[FS_NAME_MAX];
	enum fs_precision precision;
	size_t n;
	double mean_signed;  /* mean speed error, + = predicted faster */
	double median_abs;   /* median |speed error| */
};

/*
 * Groups n rows by (gpu[i], prec[i]) in order of first appearance, skipping
 * non-finite speed errors: groups (caller storage, n entries) are filled and
 * their count returned (0 when no finite error). scratch holds 2n doubles.
 */
size_t fs_train_calib_group(const char *const *gpu, const enum fs_precision *prec,
			    const double *speed_err, size_t n, struct fs_train_calib_group *groups,
			    double *scratch);

/* The published metric from a predicted result (for tests of the conventions). */
double fs_train_metric_value(enum fs_train_metric m, const struct fs_train_request *req,
			     const struct fs_train_result *res, double params_b);

#endif
