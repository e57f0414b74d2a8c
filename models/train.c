/*
 * train.c - step time, memory and whole-run model of one training plan.
 * Formulas and constants: docs/models/training.md (section numbers in
 * brackets below refer to it).
 */
#include "fleetsim/train.h"
#include "train_internal.h"

#include <math.h>
#include <string.h>

#include "fleetsim/util.h"

/* ---- global constants, the same for every GPU; sources and the
 * calibration of the fitted ones: docs/models/training.md [5] ---- */

/* Achieved collective bandwidth / link bandwidth per direction. */
#define NVLINK_EFF_FRAC 0.70       /* NCCL bus bandwidth on NVLink; Calculon uses 0.65 */
#define NET_EFF_FRAC 0.70          /* NCCL over InfiniBand/RoCE rails (fitted: ZeRO-3 rows) */
#define ALPHA_NVLINK_S 10e-6  /* per-collective latency, Calculon a100_80g.json */
#define ALPHA_NET_S 20e-6     /* Calculon, InfiniBand tier */
/* Sustained fraction of the best-shape GEMM rate (gemm_eff_frac) over a
 * whole training step (fitted). */
#define GEMM_SUSTAIN_FRAC 0.95
/* Stack profiles [3.7]: kernel efficiency of each stack relative to the
 * per-GPU training efficiency (fitted), and the share of TP collective time
 * that Transformer Engine's comm-GEMM overlap hides on Hopper (fitted). */
#define STACK_MEGATRON_2021_KERNEL_FRAC 1.0
#define STACK_DEEPSPEED_KERNEL_FRAC 0.90
/* NeMo off Hopper (docs/models/training.md [8.1]): NeMo's DGX A100 GPT 5B table alone
 * fits 0.70; 0.76 also keeps the published same-software H100/A100 ratios in reach */
#define STACK_NEMO_2024_KERNEL_FRAC 0.76
#define STACK_NEMO_2024_HOPPER_KERNEL_FRAC 1.0
#define STACK_FSDP_KERNEL_FRAC 1.04
#define STACK_FSDP_HOPPER_KERNEL_FRAC 0.92
#define STACK_NEMO_TP_OVERLAP_FRAC 0.8
/* Fused attention kernel throughput relative to the best dense GEMM:
 * FlashAttention-2 on A100 ~0.55 of peak / 0.86; FlashAttention-3 on H100
 * ~0.5 of peak / 0.80. */
#define ATTN_REL_EFF_FRAC 0.63
/* FlashAttention backward FLOPs / forward FLOPs (5 vs 2 matrix products). */
#define ATTN_BWD_RATIO 2.5
/* Element-wise traffic of a backward pass relative to its forward. */
#define ELEM_BWD_RATIO 2.0
/* HBM traffic of the element-wise work relative to the minimal count of
 * section [2.3]: fused kernels (Megatron/TE), eager PyTorch (both fitted). */
#define ELEM_FUSED_RATIO 2.0
#define ELEM_EAGER_RATIO 4.5
/* Bytes moved per parameter by the Adam step (fp32 master, m, v, grad read
 * and written, bf16 copy) plus gradient zeroing and norm. */
#define OPT_BYTES_PER_PARAM 38.0
/* Fraction of the last micro-batch's backward pass that data-parallel
 * gradient reduction can hide behind (overlapped bucketed reduction). */
#define DP_OVERLAP_FRAC 1.0
/* ZeRO-3: fraction of the per-micro-batch gather/scatter time never hidden
 * (fitted). */
#define ZERO3_EXPOSED_FRAC 0.3
/* Fraction of tensor-parallel collective time left exposed (no overlap). */
#define TP_EXPOSED_FRAC 1.0
/* Bytes per logit kept for the loss (bf16 logits + fp32 log-softmax share). */
#define LOGIT_BYTES_PER_ELEM 4.0
/* Framework reserve: CUDA context and communicator buffers (GB), plus
 * allocator fragmentation as a fraction of the rest. */
#define RESERVE_FIXED_GB 1.0
#define RESERVE_FRAG_FRAC 0.05
/* Default global batch: 4M tokens, at least 1024 tokens per GPU. */
#define DEFAULT_BATCH_TOKENS 4194304.0
#define DEFAULT_BATCH_TOKENS_PER_GPU 1024.0
/* Megatron-Core data-parallel bucket: max(40M, 1M x dp) parameters
 * (distributed_data_parallel_config.bucket_size default). */
#define DP_BUCKET_MIN_PARAMS 40e6
#define DP_BUCKET_PER_RANK_PARAMS 1e6
/* Unfused attention: bytes moved per score element, forward and backward. */
#define UNFUSED_SCORE_BYTES_PER_ELEM_FWD 13.0
#define UNFUSED_SCORE_BYTES_PER_ELEM_BWD 17.0

/* ---- names ---- */

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))

/* "auto" is printed but not parsed: a request leaves the field open instead. */
static const struct fs_enum_name recompute_names[] = {
	{ FS_RECOMPUTE_NONE, "none" }, { FS_RECOMPUTE_SELECTIVE, "selective" },
	{ FS_RECOMPUTE_FULL, "full" },
};
static const struct fs_enum_name attention_names[] = {
	{ FS_ATTN_FLASH, "flash" }, { FS_ATTN_UNFUSED, "unfused" },
};
static const struct fs_enum_name kernels_names[] = {
	{ FS_KERNELS_FUSED, "fused" }, { FS_KERNELS_EAGER, "eager" },
};

const char *fs_kernels_name(enum fs_kernels k)
{
	return fs_enum_name(kernels_names, NROWS(kernels_names), sizeof(kernels_names[0]), (int)k);
}

enum fs_status fs_kernels_parse(const char *s, enum fs_kernels *out)
{
	int v;

	if (fs_enum_parse(kernels_names, NROWS(kernels_names), sizeof(kernels_names[0]), s, &v))
		return FS_ERR_INPUT;
	*out = (enum fs_kernels)v;
	return FS_OK;
}

const char *fs_recompute_name(enum fs_recompute rc)
{
	if (rc == FS_RECOMPUTE_AUTO)
		return "auto";
	return fs_enum_name(recompute_names, NROWS(recompute_names), sizeof(recompute_names[0]),
			    (int)rc);
}

enum fs_status fs_recompute_parse(const char *s, enum fs_recompute *out)
{
	int v;

	if (fs_enum_parse(recompute_names, NROWS(recompute_names), sizeof(recompute_names[0]), s, &v))
		return FS_ERR_INPUT;
	*out = (enum fs_recompute)v;
	return FS_OK;
}

const char *fs_attention_name(enum fs_attention a)
{
	return fs_enum_name(attention_names, NROWS(attention_names), sizeof(attention_names[0]),
			    (int)a);
}

enum fs_status fs_attention_parse(const char *s, enum fs_attention *out)
{
	int v;

	if (fs_enum_parse(attention_names, NROWS(attention_names), sizeof(attention_names[0]), s, &v))
		return FS_ERR_INPUT;
	*out = (enum fs_attention)v;
	return FS_OK;
}

/* ---- software stacks [3.7]: one row each, fitted values in
 * docs/models/training.md [5] ---- */

static const struct fs_train_stack_profile stacks[FS_STACK_COUNT] = {
	/* id, name, summary, dp_overlap, tp_overlap_frac, kernel_eff_frac,
	 * gpu_calibrated, recompute, zero3_node_bw, hopper_kernel_eff_frac */
	[FS_STACK_LEGACY] = { FS_STACK_LEGACY, "legacy",
			      "the model before stack profiles (default; keeps earlier results)",
			      false, 0.0, 1.0, false, FS_RECOMPUTE_AUTO, false, 1.0 },
	[FS_STACK_MEGATRON_2021] = { FS_STACK_MEGATRON_2021, "megatron-2021",
				     "Megatron-LM 2021-22: full recompute, no DP/TP overlap",
				     false, 0.0, STACK_MEGATRON_2021_KERNEL_FRAC, true, FS_RECOMPUTE_FULL,
				     false, STACK_MEGATRON_2021_KERNEL_FRAC },
	[FS_STACK_DEEPSPEED] = { FS_STACK_DEEPSPEED, "deepspeed",
				 "DeepSpeed + Megatron 2021-22 (BLOOM, MT-NLG): full recompute, no overlap",
				 false, 0.0, STACK_DEEPSPEED_KERNEL_FRAC, true, FS_RECOMPUTE_FULL,
				 false, STACK_DEEPSPEED_KERNEL_FRAC },
	[FS_STACK_NEMO_2024] = { FS_STACK_NEMO_2024, "nemo-2024",
				 "Megatron-Core/NeMo + Transformer Engine: DP and TP comm overlap",
				 true, STACK_NEMO_TP_OVERLAP_FRAC, STACK_NEMO_2024_KERNEL_FRAC, true,
				 FS_RECOMPUTE_AUTO, true, STACK_NEMO_2024_HOPPER_KERNEL_FRAC },
	[FS_STACK_FSDP] = { FS_STACK_FSDP, "fsdp",
			    "PyTorch FSDP (llm-foundry 2023): overlapped gradient reduction",
			    true, 0.0, STACK_FSDP_KERNEL_FRAC, true, FS_RECOMPUTE_AUTO, true,
			    STACK_FSDP_HOPPER_KERNEL_FRAC },
};

const struct fs_train_stack_profile *fs_train_stack_get(enum fs_train_stack s)
{
	if ((int)s < 0 || s >= FS_STACK_COUNT)
		return NULL;
	return &stacks[s];
}

const char *fs_train_stack_name(enum fs_train_stack s)
{
	const struct fs_train_stack_profile *p = fs_train_stack_get(s);

	return p ? p->name : "?";
}

enum fs_status fs_train_stack_parse(const char *s, enum fs_train_stack *out)
{
	for (int i = 0; i < FS_STACK_COUNT; i++) {
		if (s && strcmp(s, stacks[i].name) == 0) {
			*out = stacks[i].id;
			return FS_OK;
		}
	}
	return FS_ERR_INPUT;
}

double fs_train_overlap_exposed_s(double comm_s, double hide_s, double floor_s)
{
	double floor_eff = floor_s < comm_s ? floor_s : comm_s;
	double rest = comm_s - (hide_s > 0 ? hide_s : 0.0);
	double x = rest > floor_eff ? rest : floor_eff;

	return x > 0 ? x : 0.0;
}

const struct fs_train_request *fs_train_apply_stack_(const struct fs_train_request *rq,
						     struct fs_train_request *copy)
{
	const struct fs_train_stack_profile *p = fs_train_stack_get(rq->stack);

	if (!p || rq->plan.recompute != FS_RECOMPUTE_AUTO || p->recompute == FS_RECOMPUTE_AUTO)
		return rq;
	*copy = *rq;
	copy->plan.recompute = p->recompute;
	return copy;
}

/* ---- training methods and LoRA targets [11] ---- */

/*
 * QLoRA storage of a frozen linear weight: a 4-bit NormalFloat code, plus
 * per 64-weight block an 8-bit absmax constant, plus per 256 such blocks an
 * fp32 second-level constant: 4 + 8/64 + 32/(64 * 256) = 4.127 bits
 * (Dettmers et al. 2023, arXiv 2305.14314, section 3 "Double Quantization").
 */
#define QLORA_NF4_BITS_PER_PARAM (4.0 + 8.0 / 64.0 + 32.0 / (64.0 * 256.0))
#define QLORA_NF4_BYTES_PER_PARAM (QLORA_NF4_BITS_PER_PARAM / 8.0)
/* Dequantising a frozen weight before each product that uses it: read its
 * 4-bit storage, write the bf16 copy the product reads (bitsandbytes). */
#define QLORA_DEQUANT_BYTES_PER_PARAM (QLORA_NF4_BYTES_PER_PARAM + 2.0)

/* The per-method terms; every use of the method reads this table. */
struct method_row {
	struct fs_enum_name id;
	bool frozen;                    /* base weights frozen: adapters trained, no weight
					 * gradients, no gradient or Adam state for the base */
	double base_bytes_per_param;    /* stored bytes of a frozen linear weight; 0: the
					 * training precision's (2 bf16/fp16, 4 fp32/tf32) */
	double dequant_bytes_per_param; /* HBM bytes per frozen linear weight and product */
	bool half_precision_only;       /* products run in bf16/fp16 only */
};

static const struct method_row methods[FS_METHOD_COUNT] = {
	[FS_METHOD_FULL] = { { FS_METHOD_FULL, "full" }, false, 0.0, 0.0, false },
	[FS_METHOD_LORA] = { { FS_METHOD_LORA, "lora" }, true, 0.0, 0.0, false },
	[FS_METHOD_QLORA] = { { FS_METHOD_QLORA, "qlora" }, true, QLORA_NF4_BYTES_PER_PARAM,
			      QLORA_DEQUANT_BYTES_PER_PARAM, true },
};

/* Adapted linears of a layer; mlp counts every MLP product of an expert. */
struct target_row {
	struct fs_enum_name id;
	bool q, k, v, o, mlp;
};

static const struct target_row targets[FS_LORA_TARGETS_COUNT] = {
	[FS_LORA_ALL] = { { FS_LORA_ALL, "all" }, true, true, true, true, true },
	[FS_LORA_ATTENTION] = { { FS_LORA_ATTENTION, "attention" }, true, true, true, true, false },
	[FS_LORA_QV] = { { FS_LORA_QV, "qv" }, true, false, true, false, false },
};

const char *fs_train_method_name(enum fs_train_method m)
{
	return fs_enum_name(&methods[0].id, NROWS(methods), sizeof(methods[0]), (int)m);
}

enum fs_status fs_train_method_parse(const char *s, enum fs_train_method *out)
{
	int v;

	if (fs_enum_parse(&methods[0].id, NROWS(methods), sizeof(methods[0]), s, &v))
		return FS_ERR_INPUT;
	*out = (enum fs_train_method)v;
	return FS_OK;
}

const char *fs_lora_targets_name(enum fs_lora_targets t)
{
	return fs_enum_name(&targets[0].id, NROWS(targets), sizeof(targets[0]), (int)t);
}

enum fs_status fs_lora_targets_parse(const char *s, enum fs_lora_targets *out)
{
	int v;

	if (fs_enum_parse(&targets[0].id, NROWS(targets), sizeof(targets[0]), s, &v))
		return FS_ERR_INPUT;
	*out = (enum fs_lora_targets)v;
	return FS_OK;
}

/*
 * Adapter parameters r * (K + N) of one layer's adapted linears, given as
 * they lie on one GPU: q, k, v and the MLP input products split their
 * outputs over t (column parallel), o and the MLP output product their
 * inputs (row parallel); each adapter keeps its unsplit side whole (as
 * Megatron's LoRA does). e experts per layer on this GPU.
 */
static double adapter_layer(const struct target_row *tg, double r, double h, double kvd, double f,
			    double gm, double t, double e)
{
	double a = 0.0;

	if (tg->q)
		a += h + h / t;
	if (tg->k)
		a += h + kvd / t;
	if (tg->v)
		a += h + kvd / t;
	if (tg->o)
		a += h / t + h;
	if (tg->mlp)
		a += e * ((gm - 1.0) * (h + f / t) + (f / t + h));
	return r * a;
}

/* ---- failure model [7] ---- */

void fs_failure_params_default(const struct fs_gpu *g, struct fs_failure_params *fp)
{
	fp->mtbf_per_gpu_h = g && g->mtbf_h > 0 ? g->mtbf_h : 50672.0;
	fp->ckpt_interval_s = 0.0;
	fp->ckpt_write_s = FS_TRAIN_DEFAULT_CKPT_WRITE_S;
	fp->restart_s = FS_TRAIN_DEFAULT_RESTART_S;
}

double fs_failure_job_mtbf_s(const struct fs_failure_params *fp, int n_gpus)
{
	return fp->mtbf_per_gpu_h * 3600.0 / (n_gpus > 0 ? n_gpus : 1);
}

double fs_failure_ckpt_interval_s(const struct fs_failure_params *fp, int n_gpus)
{
	if (fp->ckpt_interval_s > 0)
		return fp->ckpt_interval_s;
	/* Young (1974): the interval minimising expected loss to first order. */
	return sqrt(2.0 * fp->ckpt_write_s * fs_failure_job_mtbf_s(fp, n_gpus));
}

double fs_train_goodput_frac(const struct fs_failure_params *fp, int n_gpus)
{
	double mtbf = fs_failure_job_mtbf_s(fp, n_gpus);
	double tau = fs_failure_ckpt_interval_s(fp, n_gpus);
	double w = fp->ckpt_write_s > 0 ? fp->ckpt_write_s : 0.0;
	double ckpt = tau > 0 ? tau / (tau + w) : 1.0;
	double lost = ((tau + w) / 2.0 + fp->restart_s) / mtbf;
	double g = ckpt * (1.0 - lost);

	if (!(g > 0.0))
		g = 0.0;
	if (g > 1.0)
		g = 1.0;
	return g;
}

enum fs_status fs_failure_check_progress(const struct fs_failure_params *fp, int n_gpus,
					 struct fs_error *e)
{
	double g = fs_train_goodput_frac(fp, n_gpus);
	double mtbf = fs_failure_job_mtbf_s(fp, n_gpus);
	double tau = fs_failure_ckpt_interval_s(fp, n_gpus);
	double w = fp->ckpt_write_s > 0 ? fp->ckpt_write_s : 0.0;

	if (g >= FS_FAILURE_MIN_GOODPUT_FRAC)
		return FS_OK;
	return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
			    "no progress under failures: %d GPUs, job MTBF %.4g s (%.4g h per GPU), "
			    "checkpoint every %.4g s taking %.4g s, restart %.4g s: a checkpoint is "
			    "reached before the next failure with probability %.3g and the goodput "
			    "is %.3g, below %g",
			    n_gpus, mtbf, fp->mtbf_per_gpu_h, tau, w, fp->restart_s,
			    exp(-(tau + w) / mtbf), g, FS_FAILURE_MIN_GOODPUT_FRAC);
}

enum fs_status fs_train_check_run_time(double run_wall_s, int n_gpus, const char *gpu_name,
				       struct fs_error *e)
{
	if (run_wall_s <= FS_TRAIN_MAX_RUN_S)
		return FS_OK;
	return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
			    "a run of %.4g days (%.4g years) on %d %s GPUs exceeds the limit of %g years",
			    run_wall_s / 86400.0, run_wall_s / (365.25 * 86400.0), n_gpus,
			    gpu_name ? gpu_name : "?", FS_TRAIN_MAX_RUN_S / (365.25 * 86400.0));
}

void fs_train_request_init(struct fs_train_request *r)
{
	memset(r, 0, sizeof(*r));
	r->precision = FS_PREC_BF16;
	r->attention = FS_ATTN_FLASH;
	r->plan.recompute = FS_RECOMPUTE_AUTO;
	r->plan.zero = FS_TRAIN_ZERO_AUTO;
	r->method = FS_METHOD_FULL;
	r->lora_rank = FS_TRAIN_DEFAULT_LORA_RANK;
	r->lora_targets = FS_LORA_ALL;
}

/* ---- model shape [1] ---- */

static double emb_params(const struct fs_llm *m)
{
	return (double)m->vocab * m->hidden;
}

static double n_experts(const struct fs_llm *m)
{
	return m->n_experts > 1 ? m->n_experts : 1;
}

static double n_experts_active(const struct fs_llm *m)
{
	return m->n_experts > 1 && m->n_experts_active > 0 ? m->n_experts_active : 1;
}

static double kv_dim(const struct fs_llm *m)
{
	int kvh = fs_llm_kv_heads(m);
	return (double)kvh * ((double)m->hidden / m->n_heads);
}

/* Matrix parameters of one layer from the shape, with e experts. */
static double layer_mm_shape(const struct fs_llm *m, double e)
{
	double h = m->hidden;
	double attn = 2.0 * h * h + 2.0 * h * kv_dim(m);
	double mlp = (m->gated_ffn ? 3.0 : 2.0) * h * m->ffn;

	return attn + e * mlp;
}

double fs_train_total_params(const struct fs_llm *m)
{
	double tot, act;

	if (m->params_b > 0)
		return m->params_b * 1e9;
	fs_llm_params_from_shape(m, &tot, &act);
	return tot * 1e9;
}

static double active_params(const struct fs_llm *m)
{
	double tot, act;

	if (m->active_params_b > 0)
		return m->active_params_b * 1e9;
	if (m->params_b > 0 && m->n_experts <= 1)
		return m->params_b * 1e9;
	fs_llm_params_from_shape(m, &tot, &act);
	if (m->params_b > 0 && tot > 0)
		return act / tot * m->params_b * 1e9;
	return act * 1e9;
}

double fs_train_matmul_params(const struct fs_llm *m)
{
	/* The input embedding is a lookup, not a matrix product; a tied
	 * embedding is counted once, as the output layer. */
	double n = active_params(m) - (m->tied_embeddings ? 0.0 : emb_params(m));

	return n > 0 ? n : active_params(m);
}

double fs_train_adapter_params(const struct fs_llm *m, int rank, enum fs_lora_targets t)
{
	if ((int)t < 0 || t >= FS_LORA_TARGETS_COUNT || rank < 1)
		return 0.0;
	return m->n_layers * adapter_layer(&targets[t], rank, m->hidden, kv_dim(m), m->ffn,
					   m->gated_ffn ? 3.0 : 2.0, 1.0, n_experts(m));
}

double fs_train_model_flops_per_token(const struct fs_llm *m, int seq_len)
{
	return 6.0 * fs_train_matmul_params(m) +
	       12.0 * m->n_layers * (double)m->hidden * seq_len;
}

double fs_train_hw_flops_per_token(const struct fs_llm *m, int seq_len, enum fs_recompute rc)
{
	double n = fs_train_matmul_params(m), lhs = (double)m->n_layers * m->hidden * seq_len;

	switch (rc) {
	case FS_RECOMPUTE_FULL:
		return 8.0 * n + 16.0 * lhs;
	case FS_RECOMPUTE_SELECTIVE:
		return 6.0 * n + 16.0 * lhs;
	default:
		return 6.0 * n + 12.0 * lhs;
	}
}

/* ---- evaluation context ---- */

struct ctx {
	const struct fs_train_request *rq;
	const struct fs_gpu *g;
	const struct fs_llm *m;
	struct fs_train_plan pl;
	int n;
	double s, T;          /* sequence, tokens per micro-batch on one GPU (after CP) */
	double h, a, kvd, f, V, L, gm, e_act, e_tot, ep;
	double mm_scale_act;  /* published / shape-derived per-layer matrix params (active) */
	double mm_scale_tot;
	double t;             /* tp as double */
	bool sp, unfused, fp8;
	enum fs_precision prec;
	double ab;            /* activation bytes per element: 2, or 4 for fp32/tf32 */
	double gemm_rate;     /* FLOP/s of matrix products in the training precision */
	double gemm16_rate;   /* FLOP/s of bf16 matrix products (output layer, attention) */
	double attn_rate;     /* FLOP/s of the fused attention kernel */
	double mem_rate;      /* bytes/s of streaming HBM traffic */
	double nvl_bw, net_bw;
	double m_mb;          /* micro-batches per step */
	const struct fs_train_stack_profile *stack;
	bool dp_ovl;          /* stack overlaps DP collectives with compute */
	double tp_ovl;        /* share of TP collectives the stack can hide (Hopper) */
	const struct method_row *meth;    /* training method [11] */
	const struct target_row *targets; /* adapted linears (frozen methods) */
	double r;             /* adapter rank (frozen methods) */
};

/*
 * Per-GPU bandwidth of a collective over a group of k GPUs whose members are
 * stride ranks apart (Megatron rank order: TP innermost, then CP, DP, PP)
 * [3]. Inside the NVLink domain: NVLink. Across nodes, NCCL rings pass
 * through every member of a node before leaving it, so the node's traffic
 * is shared by the rails of its m members: m x NIC, at most NVLink. flat
 * (ZeRO-3 parameter gathers) counts one NIC per GPU.
 */
static double group_bw(const struct ctx *c, int stride, int k, bool flat, double *alpha)
{
	double span = (double)stride * k;
	int node = c->g->gpus_per_node > 0 ? c->g->gpus_per_node : 8;
	double per_node, bw;

	if (span <= c->g->nvlink_domain && c->g->nvlink_gbps > 0) {
		*alpha = ALPHA_NVLINK_S;
		return c->nvl_bw;
	}
	*alpha = ALPHA_NET_S;
	if (span <= node)
		return c->g->pcie_gbps / 2.0 * 1e9 * NET_EFF_FRAC;
	per_node = stride >= node ? 1.0 : (double)node / stride;
	if (per_node > k)
		per_node = k;
	bw = flat ? c->net_bw : per_node * c->net_bw;
	if (c->g->nvlink_domain >= node && c->g->nvlink_gbps > 0 && bw > c->nvl_bw)
		bw = c->nvl_bw;
	return bw;
}

/* Roofline time of one matrix product M x K x N [2.1]. */
static double gemm_s(const struct ctx *c, double M, double K, double N, double in_b, double out_b,
		     double rate)
{
	return 2.0 * M * K * N / rate + (in_b * (M * K + K * N) + out_b * M * N) / c->mem_rate;
}

/* Weight-gradient product: K x N output accumulated in fp32 (read + write). */
static double wgrad_s(const struct ctx *c, double M, double K, double N, double in_b, double rate)
{
	return 2.0 * M * K * N / rate + (in_b * (M * K + M * N) + 8.0 * K * N) / c->mem_rate;
}

struct layer_cost {
	double gemm_f, gemm_b;
	double attn_f, attn_b;
	double elem_f, elem_b;
	double tp_f, tp_b;
	double cp_f, cp_b;
	double ep_f, ep_b;
};

/* Time of one linear layer (M = T tokens) forward and backward. */
static void linear(const struct ctx *c, double K, double N, double count, double *fwd, double *bwd)
{
	double ib = c->fp8 ? 1.0 : c->ab, ob = c->ab, T = c->T;
	double f = gemm_s(c, T, K, N, ib, ob, c->gemm_rate);
	double b = gemm_s(c, T, N, K, ib, ob, c->gemm_rate);

	if (!c->meth->frozen)
		b += wgrad_s(c, K, T, N, ib, c->gemm_rate);
	if (c->meth->dequant_bytes_per_param > 0) {
		/* [11] the frozen weight dequantised before the forward and the
		 * data-gradient product */
		double dq = K * N * c->meth->dequant_bytes_per_param / c->mem_rate;
		f += dq;
		b += dq;
	}
	if (c->fp8) {
		/* quantising the input (forward) and the output gradient (backward) */
		f += 3.0 * T * K / c->mem_rate;
		b += 3.0 * T * N / c->mem_rate;
	}
	*fwd += count * f;
	*bwd += count * b;
}

/*
 * [11] One LoRA adapter on a K x N linear (per GPU, M = T tokens), in bf16:
 * forward x A (T x K x r) and (x A) B (T x r x N); backward the data
 * gradients of both and the weight gradients of A (K x r) and B (r x N),
 * each a reduction over the T tokens (wgrad_s(M = T, K x N output)).
 */
static void adapter_linear(const struct ctx *c, double K, double N, double count, double *fwd,
			   double *bwd)
{
	double T = c->T, r = c->r, ab = c->ab, rate = c->gemm16_rate;
	double f = gemm_s(c, T, K, r, ab, ab, rate) + gemm_s(c, T, r, N, ab, ab, rate);
	double b = gemm_s(c, T, N, r, ab, ab, rate) + gemm_s(c, T, r, K, ab, ab, rate) +
		   wgrad_s(c, T, K, r, ab, rate) + wgrad_s(c, T, r, N, ab, rate);

	*fwd += count * f;
	*bwd += count * b;
}

/* [11] The adapters of one layer (no-op for full fine-tuning). */
static void adapter_layer_time(const struct ctx *c, double *fwd, double *bwd)
{
	const struct target_row *tg = c->targets;
	double h = c->h, t = c->t, kvd = c->kvd, f = c->f;

	if (!c->meth->frozen)
		return;
	if (tg->q)
		adapter_linear(c, h, h / t, 1.0, fwd, bwd);
	if (tg->k)
		adapter_linear(c, h, kvd / t, 1.0, fwd, bwd);
	if (tg->v)
		adapter_linear(c, h, kvd / t, 1.0, fwd, bwd);
	if (tg->o)
		adapter_linear(c, h / t, h, 1.0, fwd, bwd);
	if (tg->mlp) {
		adapter_linear(c, h, f / t, (c->gm - 1.0) * c->e_act, fwd, bwd);
		adapter_linear(c, f / t, h, c->e_act, fwd, bwd);
	}
}

/* Cost of one transformer layer for one micro-batch on one GPU [2]. */
static void layer_cost(const struct ctx *c, struct layer_cost *lc)
{
	double h = c->h, t = c->t, T = c->T, b = c->pl.micro_batch, s = c->s;
	double cp = c->pl.cp;
	double gf = 0, gb = 0;
	double hs = c->sp ? h / t : h;
	double alpha;

	memset(lc, 0, sizeof(*lc));
	/* [2.1] matrix products: QKV, output projection, MLP in/out per active expert */
	linear(c, h, (h + 2.0 * c->kvd) / t, 1.0, &gf, &gb);
	linear(c, h / t, h, 1.0, &gf, &gb);
	linear(c, h, (c->gm - 1.0) * c->f / t, c->e_act, &gf, &gb);
	linear(c, c->f / t, h, c->e_act, &gf, &gb);
	lc->gemm_f = gf * c->mm_scale_act;
	lc->gemm_b = gb * c->mm_scale_act;
	adapter_layer_time(c, &lc->gemm_f, &lc->gemm_b);

	/* [2.2] attention core */
	if (c->unfused) {
		double flops = 4.0 * b * s * s * h / (t * cp);
		double scores = b * (c->a / t) * s * s / cp;
		lc->attn_f = flops / c->gemm16_rate + UNFUSED_SCORE_BYTES_PER_ELEM_FWD * scores * c->ab / 2.0 / c->mem_rate;
		lc->attn_b = 2.0 * flops / c->gemm16_rate + UNFUSED_SCORE_BYTES_PER_ELEM_BWD * scores * c->ab / 2.0 / c->mem_rate;
	} else {
		double flops = 2.0 * b * s * s * h / (t * cp); /* causal: half the score matrix */
		lc->attn_f = flops / c->attn_rate;
		lc->attn_b = ATTN_BWD_RATIO * lc->attn_f;
	}

	/* [2.3] element-wise: 2 layer norms, 2 residual adds (+ dropout), MLP activation */
	{
		double per_tok = 20.0 * hs + (c->unfused ? 2.0 * hs : 0.0) +
				 c->e_act * (c->gm > 2.5 ? 6.0 : 4.0) * c->f / t;
		double k = c->rq->kernels == FS_KERNELS_EAGER ? ELEM_EAGER_RATIO : ELEM_FUSED_RATIO;
		lc->elem_f = k * T * per_tok * c->ab / 2.0 / c->mem_rate;
		lc->elem_b = ELEM_BWD_RATIO * lc->elem_f;
	}

	/* [3.1] tensor parallel: per pass 2 all-reduces, or 2 all-gathers + 2
	 * reduce-scatters with sequence parallelism (same bytes) */
	if (c->pl.tp > 1) {
		double bw = group_bw(c, 1, c->pl.tp, false, &alpha);
		double vol = T * h * c->ab;
		double one = (t - 1.0) / t * vol / bw;
		double pass = c->sp ? 4.0 * (one + alpha) : 2.0 * (2.0 * one + alpha);
		lc->tp_f = TP_EXPOSED_FRAC * pass;
		lc->tp_b = TP_EXPOSED_FRAC * pass;
		if (c->tp_ovl > 0) {
			/* comm-GEMM overlap: the chunks hide behind the layer's
			 * own products, never more than tp_ovl of the traffic */
			lc->tp_f = fs_train_overlap_exposed_s(pass, lc->gemm_f, (1.0 - c->tp_ovl) * pass);
			lc->tp_b = fs_train_overlap_exposed_s(pass, lc->gemm_b, (1.0 - c->tp_ovl) * pass);
		}
	}

	/* [3.4] context parallel: ring exchange of K and V, hidden behind the
	 * attention core when it is shorter */
	if (c->pl.cp > 1) {
		double bw = group_bw(c, c->pl.tp, c->pl.cp, true, &alpha);
		double kv = b * (s / cp) * 2.0 * c->kvd / t * c->ab * (cp - 1.0);
		double cf = kv / bw + (cp - 1.0) * alpha;
		lc->cp_f = fmax(0.0, cf - lc->attn_f);
		lc->cp_b = fmax(0.0, 2.0 * cf - lc->attn_b);
	}

	/* [3.5] expert parallel: each token's hidden state goes to the nodes
	 * holding its experts (expected distinct nodes among e picks) and back;
	 * dispatch in the training precision (fp8 casts), combine in bf16;
	 * one NIC per GPU across nodes (all-to-all does not aggregate) */
	if (c->e_tot > 1 && c->ep > 1) {
		double bw = group_bw(c, c->pl.tp * c->pl.cp, (int)c->ep, true, &alpha);
		int node = c->g->gpus_per_node > 0 ? c->g->gpus_per_node : 8;
		double nodes = c->ep * c->pl.tp * c->pl.cp / node;
		double dests = nodes > 1 ? nodes * (1.0 - pow(1.0 - 1.0 / nodes, c->e_act))
				  : c->e_act * (c->ep - 1.0) / c->ep;
		double vol = T * dests * h * ((c->fp8 ? 1.0 : c->ab) + c->ab);
		double a2a = vol / bw + 2.0 * alpha;
		/* overlapped with the layer's own compute (DualPipe, MoE a2a overlap) */
		lc->ep_f = fmax(0.0, a2a - (lc->gemm_f + lc->attn_f));
		lc->ep_b = fmax(0.0, a2a - (lc->gemm_b + lc->attn_b));
	}
}

/* Parameters of one layer stored on one GPU (TP- and EP-sharded). */
static double layer_params_gpu(const struct ctx *c)
{
	double attn = (2.0 * c->h * c->h + 2.0 * c->h * c->kvd) * c->mm_scale_tot;
	double mlp = c->gm * c->h * c->f * c->e_tot * c->mm_scale_tot;
	double norms = 2.0 * c->h;

	return (attn + mlp / c->ep) / c->t + norms;
}

/*
 * Activation bytes one layer keeps for one micro-batch without recompute
 * [4.2] (Korthikanti et al. 2022, generalised to GQA, gated MLPs, experts):
 * replicated across TP unless sequence parallel: the inputs of the two layer
 * norms, of the QKV and of the first MLP product (+ two dropout masks);
 * sharded: Q, K, V, the attention output, the MLP intermediate(s) and the
 * activation output. With fp8 the saved inputs of the matrix products are
 * the 1-byte casts (Transformer Engine).
 */
static double act_layer_bytes(const struct ctx *c, bool drop_scores)
{
	double h = c->h, t = c->t, f = c->f;
	double gin = c->fp8 ? 1.0 : 2.0; /* bytes of a saved product input, per element */
	double rep = 4.0 * h + 2.0 * gin * h + (c->unfused ? 2.0 * h : 0.0);
	double shard = 2.0 * h + 4.0 * c->kvd + 2.0 * h + (c->fp8 ? h : 0.0) +
		       c->e_act * (2.0 * (c->gm - 1.0) * f + gin * f);
	double per_tok = (c->sp ? rep / t : rep) + shard / t;

	if (c->unfused && !drop_scores)
		per_tok += 5.0 * c->a * c->s / (t * c->pl.cp);
	return c->T * per_tok * c->ab / 2.0;
}

/* Layers of stage i: L/p, the remainder spread over the middle stages
 * first, since the end stages also hold the embedding and output layer. */
static int layers_on_stage(const struct ctx *c, int i)
{
	int L = c->m->n_layers, p = c->pl.pp;
	int q = L / p, r = L % p, rank;

	if (p == 1)
		return L;
	if (i == 0)
		rank = p - 2;
	else if (i == p - 1)
		rank = p - 1;
	else
		rank = i - 1;
	return q + (rank < r ? 1 : 0);
}

/* [11] Adapter parameters on one GPU of stage i (0 for full fine-tuning). */
static double stage_adapter_params_gpu(const struct ctx *c, int i)
{
	if (!c->meth->frozen)
		return 0.0;
	return layers_on_stage(c, i) * adapter_layer(c->targets, c->r, c->h, c->kvd, c->f, c->gm,
						     c->t, c->e_tot / c->ep);
}

/*
 * [11] Weight, gradient and optimizer bytes of stage i's GPUs with frozen
 * base weights: the base linears at the method's bytes per weight (the
 * training precision's for lora, NF4 for qlora; an fp8 copy as for full),
 * norms, embedding and output layer in the training precision, and the
 * adapters with mixed-precision Adam (2 + 2 + 12 bytes, ZeRO-sharded as
 * for full; fp32 training: 4 + 4 + 8).
 */
static double frozen_linear_params_gpu(const struct ctx *c, int i)
{
	return layers_on_stage(c, i) * (layer_params_gpu(c) - 2.0 * c->h);
}

/* Unsharded bytes of stage i's weights (base P parameters and adapters). */
static double frozen_weight_bytes(const struct ctx *c, int i, double P)
{
	double lin = frozen_linear_params_gpu(c, i);
	double bb = c->meth->base_bytes_per_param > 0 ? c->meth->base_bytes_per_param : c->ab;

	return lin * bb + (P - lin) * c->ab + stage_adapter_params_gpu(c, i) * c->ab;
}

static void frozen_state_bytes(const struct ctx *c, int i, double P, double *w, double *gr,
			       double *op)
{
	double dg = (double)c->pl.dp * c->pl.cp;
	int z = c->pl.zero;
	double lin = frozen_linear_params_gpu(c, i);
	double A = stage_adapter_params_gpu(c, i);

	*w = frozen_weight_bytes(c, i, P) * (z >= 3 ? 1.0 / dg : 1.0);
	if (c->fp8)
		*w += 1.0 * lin * (z >= 3 ? 1.0 / dg : 1.0);
	*gr = c->ab * A * (z >= 2 ? 1.0 / dg : 1.0);
	*op = (c->ab > 2.0 ? 8.0 : 12.0) * A * (z >= 1 ? 1.0 / dg : 1.0);
}

/* [11] Bytes one layer keeps per micro-batch for its adapters: the rank-r
 * product x A of every adapted linear (its input x is already kept). */
static double adapter_act_bytes(const struct ctx *c)
{
	const struct target_row *tg = c->targets;
	double n = (tg->q ? 1.0 : 0.0) + (tg->k ? 1.0 : 0.0) + (tg->v ? 1.0 : 0.0) +
		   (tg->o ? 1.0 : 0.0) + (tg->mlp ? c->gm * c->e_act : 0.0);

	return c->T * c->r * n * c->ab;
}

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

/* [4] memory of stage i's GPUs */
static void stage_memory(const struct ctx *c, int i, struct fs_train_memory *mem)
{
	int p = c->pl.pp, nl = layers_on_stage(c, i);
	double dg = (double)c->pl.dp * c->pl.cp;   /* replicas that share gradients */
	double P = nl * layer_params_gpu(c);
	double w, gr, op, act, per_layer, inflight;
	int z = c->pl.zero;

	if (i == 0)
		P += c->V * c->h / c->t;        /* input embedding (vocab-parallel) */
	if (i == p - 1 && (p > 1 || !c->m->tied_embeddings))
		P += c->V * c->h / c->t;        /* output layer */

	/* [4.1] mixed-precision Adam: 2 + 2 + 12 bytes/parameter, ZeRO shards */
	w = 2.0 * P * (z >= 3 ? 1.0 / dg : 1.0);
	gr = 2.0 * P * (z >= 2 ? 1.0 / dg : 1.0);
	op = 12.0 * P * (z >= 1 ? 1.0 / dg : 1.0);
	if (c->fp8)
		w += 1.0 * P * (z >= 3 ? 1.0 / dg : 1.0); /* fp8 weight copy */
	if (c->prec == FS_PREC_FP32 || c->prec == FS_PREC_TF32) {
		w *= 2.0; /* fp32 weights and gradients; master copy then only m, v */
		gr *= 2.0;
		op *= 8.0 / 12.0;
	}
	if (c->meth->frozen)
		frozen_state_bytes(c, i, P, &w, &gr, &op);

	/* [4.2] activations of the in-flight micro-batches */
	switch (c->pl.recompute) {
	case FS_RECOMPUTE_FULL:
		per_layer = c->T * c->h * c->ab / (c->sp ? c->t : 1.0);
		break;
	case FS_RECOMPUTE_SELECTIVE:
		per_layer = act_layer_bytes(c, true);
		break;
	default:
		per_layer = act_layer_bytes(c, false);
		break;
	}
	/* [4.3] 1F1B: stage i holds min(m, p - i) micro-batches; interleaving
	 * adds (p - 1) / (p v) on the first stage (Korthikanti et al. 2022) */
	inflight = min_d(c->m_mb, (double)(p - i));
	if (i == 0 && c->pl.vp > 1 && p > 1)
		inflight *= 1.0 + (p - 1.0) / (p * (double)c->pl.vp);
	act = nl * per_layer * inflight;
	if (c->pl.recompute == FS_RECOMPUTE_FULL)
		act += act_layer_bytes(c, false);          /* one layer re-materialised */
	if (i == p - 1)
		act += c->T * c->V / c->t * LOGIT_BYTES_PER_ELEM;  /* logits and loss */
	if (z >= 3)
		act += 3.0 * 2.0 * layer_params_gpu(c);   /* gathered layers + unsharded grads */
	if (c->meth->frozen && c->pl.recompute != FS_RECOMPUTE_FULL)
		act += nl * inflight * adapter_act_bytes(c);  /* [11] x A kept for B's gradient */
	if (c->meth->dequant_bytes_per_param > 0)
		act += 2.0 * c->h * fmax(c->h, c->f) / c->t;  /* [11] one dequantised bf16 weight */

	mem->weights_gb = w / 1e9;
	mem->grads_gb = gr / 1e9;
	mem->optimizer_gb = op / 1e9;
	mem->activations_gb = act / 1e9;
	mem->reserve_gb = RESERVE_FIXED_GB + RESERVE_FRAG_FRAC * (w + gr + op + act) / 1e9;
	mem->capacity_gb = c->g->mem_gb;
	if (c->stack->gpu_calibrated) {
		/* [4.3] model states live in contiguous buffers allocated once
		 * (Megatron DDP / distributed optimizer, FSDP flat parameters):
		 * fragmentation is charged on activations only; capacity is what
		 * the driver reports */
		mem->reserve_gb = RESERVE_FIXED_GB + RESERVE_FRAG_FRAC * act / 1e9;
		if (c->g->hbm_usable_gb > 0)
			mem->capacity_gb = c->g->hbm_usable_gb;
	}
	mem->total_gb = mem->weights_gb + mem->grads_gb + mem->optimizer_gb +
			mem->activations_gb + mem->reserve_gb;
}

static double stage_params_gpu(const struct ctx *c, int i)
{
	int p = c->pl.pp;
	double P = layers_on_stage(c, i) * layer_params_gpu(c);

	if (i == 0)
		P += c->V * c->h / c->t;
	if (i == p - 1 && (p > 1 || !c->m->tied_embeddings))
		P += c->V * c->h / c->t;
	return P;
}

/* Parameters of stage i whose gradients are reduced and whose optimizer
 * state is updated: all of them (full), the adapters (lora, qlora) [11]. */
static double stage_trainable_params_gpu(const struct ctx *c, int i)
{
	return c->meth->frozen ? stage_adapter_params_gpu(c, i) : stage_params_gpu(c, i);
}

/* ---- validation of a request ---- */

static int gcd_i(int a, int b)
{
	while (b) {
		int t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* [11] The method, adapter rank and targets of a request. */
static enum fs_status check_method(const struct fs_train_request *rq, struct fs_error *e)
{
	if ((int)rq->method < 0 || rq->method >= FS_METHOD_COUNT)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "method",
				    "unknown training method %d; expected full, lora or qlora",
				    (int)rq->method);
	if ((int)rq->lora_targets < 0 || rq->lora_targets >= FS_LORA_TARGETS_COUNT)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "lora_targets",
				    "unknown LoRA targets %d; expected all, attention or qv",
				    (int)rq->lora_targets);
	if (methods[rq->method].frozen &&
	    (rq->lora_rank < 1 || rq->lora_rank > FS_TRAIN_MAX_LORA_RANK))
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "lora_rank",
				    "LoRA rank %d; expected 1 to %d", rq->lora_rank,
				    FS_TRAIN_MAX_LORA_RANK);
	if (methods[rq->method].half_precision_only && rq->precision != FS_PREC_BF16 &&
	    rq->precision != FS_PREC_FP16)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "precision",
				    "method %s computes in bf16 or fp16, not %s",
				    fs_train_method_name(rq->method), fs_precision_name(rq->precision));
	return FS_OK;
}

static enum fs_status check_common(const struct fs_train_request *rq, struct fs_error *e)
{
	if (!rq->gpu || !rq->model)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL, "a GPU and a model are required");
	if (rq->n_gpus < 1)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "gpus", "gpus %d; expected at least 1",
				    rq->n_gpus);
	if (rq->seq_len < 1)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "seq", "sequence length %d; expected at least 1",
				    rq->seq_len);
	if (rq->model->n_layers < 1 || rq->model->hidden < 1 || rq->model->n_heads < 1 ||
	    rq->model->vocab < 1 || rq->model->ffn < 1)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "model",
				    "model '%s': layers, hidden, heads, ffn and vocab must be positive",
				    rq->model->name);
	if (rq->tokens < 0 || !isfinite(rq->tokens))
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "tokens", "tokens %g; expected >= 0", rq->tokens);
	if (rq->tokens > 0) {
		/* a whole run is asked for: it must make progress under failures */
		struct fs_failure_params fp = rq->failure;
		if (fp.mtbf_per_gpu_h <= 0)
			fs_failure_params_default(rq->gpu, &fp);
		if (fs_failure_check_progress(&fp, rq->n_gpus, e))
			return FS_ERR_INPUT;
	}
	if (!fs_train_stack_get(rq->stack))
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "stack", "unknown software stack %d",
				    (int)rq->stack);
	switch (rq->precision) {
	case FS_PREC_BF16:
	case FS_PREC_FP16:
	case FS_PREC_FP8:
	case FS_PREC_TF32:
	case FS_PREC_FP32:
		break;
	default:
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "precision",
				    "precision '%s' is not a training precision; expected bf16, fp16, fp8 or tf32",
				    fs_precision_name(rq->precision));
	}
	if (rq->precision == FS_PREC_FP8 && rq->strict_precision &&
	    fs_gpu_peak_tflops(rq->gpu, FS_PREC_FP8) <= 0)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "precision",
				    "GPU '%s' (%s) has no fp8 tensor cores; use bf16 or a Hopper GPU",
				    rq->gpu->name, rq->gpu->arch);
	return check_method(rq, e);
}

/* Checks the fully specified layout fields that are set (non-zero). */
static enum fs_status check_plan(const struct fs_train_request *rq, const struct fs_train_plan *pl,
				 struct fs_error *e)
{
	const struct fs_llm *m = rq->model;
	int kvh = fs_llm_kv_heads(m);

	if (pl->tp < 0 || pl->pp < 0 || pl->cp < 0 || pl->vp < 0 || pl->micro_batch < 0 ||
	    pl->global_batch < 0 || pl->dp < 0)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "plan", "layout sizes must not be negative");
	if (pl->tp > 0) {
		if (m->n_heads % pl->tp != 0)
			return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "tp",
					    "tp %d does not divide the %d attention heads of '%s'",
					    pl->tp, m->n_heads, m->name);
		if (kvh % pl->tp != 0 && pl->tp % kvh != 0)
			return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "tp",
					    "tp %d and the %d key/value heads of '%s' do not divide each other",
					    pl->tp, kvh, m->name);
		if (pl->tp > rq->n_gpus)
			return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "tp", "tp %d exceeds gpus %d",
					    pl->tp, rq->n_gpus);
	}
	if (pl->pp > m->n_layers)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "pp", "pp %d exceeds the %d layers of '%s'",
				    pl->pp, m->n_layers, m->name);
	if (pl->cp > 0 && rq->seq_len % pl->cp != 0)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "cp",
				    "cp %d does not divide sequence length %d", pl->cp, rq->seq_len);
	{
		long long prod = (long long)(pl->tp > 0 ? pl->tp : 1) * (pl->pp > 0 ? pl->pp : 1) *
				 (pl->cp > 0 ? pl->cp : 1);
		if (rq->n_gpus % prod != 0)
			return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "gpus",
					    "gpus %d is not divisible by tp*pp*cp = %lld",
					    rq->n_gpus, prod);
		if (pl->dp > 0 && prod * pl->dp != rq->n_gpus)
			return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "dp",
					    "dp %d x tp*pp*cp %lld != gpus %d", pl->dp, prod, rq->n_gpus);
	}
	if (pl->vp > 1 && pl->pp > 0 && m->n_layers < pl->pp * pl->vp)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "vp",
				    "%d layers are fewer than pp %d x vp %d model chunks",
				    m->n_layers, pl->pp, pl->vp);
	if (pl->vp > 1 && pl->pp == 1)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "vp", "interleaving (vp %d) needs pp > 1",
				    pl->vp);
	if (pl->zero != FS_TRAIN_ZERO_AUTO && (pl->zero < 0 || pl->zero > 3))
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "zero", "zero stage %d; expected 0, 1, 2 or 3",
				    pl->zero);
	if (pl->zero >= 2 && pl->pp > 1)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "zero",
				    "ZeRO stage %d with pipeline parallelism (pp %d) is not supported; "
				    "use zero 0 or 1", pl->zero, pl->pp);
	if (pl->recompute != FS_RECOMPUTE_AUTO &&
	    ((int)pl->recompute < 0 || pl->recompute >= FS_RECOMPUTE_COUNT))
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "recompute", "unknown recompute mode");
	return FS_OK;
}

/* Global batch of a plan: the request's, or the default rounded up to a
 * multiple of dp * micro_batch [6]. */
static int plan_global_batch(const struct fs_train_request *rq, const struct fs_train_plan *pl)
{
	double unit = (double)pl->dp * pl->micro_batch, target, k;

	if (rq->plan.global_batch > 0)
		return rq->plan.global_batch;
	target = fmax(DEFAULT_BATCH_TOKENS, DEFAULT_BATCH_TOKENS_PER_GPU * rq->n_gpus) / rq->seq_len;
	k = ceil(target / unit);
	if (k < 1)
		k = 1;
	if (k * unit > 2e9)
		k = floor(2e9 / unit);
	return (int)(k * unit);
}

/* ---- evaluation of one plan [2]-[6] ---- */

static void init_ctx(struct ctx *c, const struct fs_train_request *rq, const struct fs_train_plan *pl)
{
	const struct fs_gpu *g = rq->gpu;
	const struct fs_llm *m = rq->model;
	double shape_act, shape_tot, n_mm;
	double peak16;
	bool hopper;

	memset(c, 0, sizeof(*c));
	c->rq = rq;
	c->g = g;
	c->m = m;
	c->pl = *pl;
	c->n = rq->n_gpus;
	c->s = rq->seq_len;
	c->h = m->hidden;
	c->a = m->n_heads;
	c->kvd = kv_dim(m);
	c->f = m->ffn;
	c->V = m->vocab;
	c->L = m->n_layers;
	c->gm = m->gated_ffn ? 3.0 : 2.0;
	c->e_act = n_experts_active(m);
	c->e_tot = n_experts(m);
	c->ep = c->e_tot > 1 ? gcd_i((int)c->e_tot, pl->dp) : 1.0;
	c->t = pl->tp;
	c->sp = pl->tp > 1 && !rq->no_sequence_parallel;
	c->unfused = rq->attention == FS_ATTN_UNFUSED;
	c->T = (double)pl->micro_batch * rq->seq_len / pl->cp;

	/* per-layer matrix parameters scaled so totals match published counts */
	shape_act = c->L * layer_mm_shape(m, c->e_act);
	shape_tot = c->L * layer_mm_shape(m, c->e_tot);
	n_mm = fs_train_matmul_params(m) - emb_params(m);
	c->mm_scale_act = shape_act > 0 && n_mm > 0 ? n_mm / shape_act : 1.0;
	{
		double tot_layers = fs_train_total_params(m) - emb_params(m) * (m->tied_embeddings ? 1.0 : 2.0);
		c->mm_scale_tot = shape_tot > 0 && tot_layers > 0 ? tot_layers / shape_tot : 1.0;
	}

	c->prec = rq->precision;
	if (c->prec == FS_PREC_FP8 && fs_gpu_peak_tflops(g, FS_PREC_FP8) <= 0)
		c->prec = FS_PREC_BF16;
	c->fp8 = c->prec == FS_PREC_FP8;
	c->ab = (c->prec == FS_PREC_FP32 || c->prec == FS_PREC_TF32) ? 4.0 : 2.0;
	peak16 = (c->prec == FS_PREC_FP32 || c->prec == FS_PREC_TF32) ? g->tf32_tflops : g->bf16_tflops;
	hopper = strcmp(g->arch, "hopper") == 0;
	c->stack = fs_train_stack_get(rq->stack);
	c->dp_ovl = c->stack->dp_overlap && !rq->no_overlap;
	c->tp_ovl = !rq->no_overlap && hopper ? c->stack->tp_overlap_frac : 0.0;
	if (c->stack->gpu_calibrated) {
		/* [5] per-GPU training efficiency x the stack's kernels */
		double e16 = g->train_gemm_eff_frac > 0 ? g->train_gemm_eff_frac
							: g->gemm_eff_frac * GEMM_SUSTAIN_FRAC;
		double e8 = g->train_fp8_gemm_eff_frac > 0 ? g->train_fp8_gemm_eff_frac : e16;
		double k = hopper ? c->stack->hopper_kernel_eff_frac
							   : c->stack->kernel_eff_frac;
		c->gemm_rate = fs_gpu_peak_tflops(g, c->prec) * 1e12 * (c->fp8 ? e8 : e16) * k;
		c->gemm16_rate = peak16 * 1e12 * e16 * k;
	} else {
		c->gemm_rate = fs_gpu_peak_tflops(g, c->prec) * 1e12 * g->gemm_eff_frac * GEMM_SUSTAIN_FRAC;
		c->gemm16_rate = peak16 * 1e12 * g->gemm_eff_frac * GEMM_SUSTAIN_FRAC;
	}
	c->attn_rate = c->gemm16_rate * ATTN_REL_EFF_FRAC;
	c->mem_rate = g->mem_bw_gbps * 1e9 * g->hbm_eff_frac;
	c->nvl_bw = g->nvlink_gbps / 2.0 * 1e9 * NVLINK_EFF_FRAC;
	c->net_bw = g->net_gbps * 1e9 * NET_EFF_FRAC;
	c->meth = &methods[rq->method];
	c->targets = &targets[rq->lora_targets];
	c->r = rq->lora_rank;
}

/* Output layer and loss on the last stage, one micro-batch. */
static double head_time(const struct ctx *c)
{
	double T = c->T, h = c->h, Vt = c->V / c->t;
	double f = gemm_s(c, T, h, Vt, c->ab, c->ab, c->gemm16_rate);
	double b = gemm_s(c, T, Vt, h, c->ab, c->ab, c->gemm16_rate);
	/* softmax cross-entropy in fp32, forward and backward */
	double loss = 16.0 * T * Vt / c->mem_rate;

	if (!c->meth->frozen)  /* [11] a frozen output layer: data gradient only */
		b += wgrad_s(c, h, T, Vt, c->ab, c->gemm16_rate);
	return f + b + loss;
}

/* Per-micro-batch times of the pipeline stages [3.2]. */
struct stage_times {
	double max, sum;  /* slowest stage, sum over stages */
	double t0;        /* stage 0, one micro-batch */
	double bwd0;      /* stage 0 backward (and recompute), one micro-batch */
	double fwd0;      /* stage 0 forward, one micro-batch */
	double p2p;       /* point-to-point sends per micro-batch and stage */
};

static void stage_times(const struct ctx *c, double layer_t, double bwd_layer, double fwd_layer,
			struct stage_times *st)
{
	int p = c->pl.pp;
	double alpha;

	memset(st, 0, sizeof(*st));
	/* activations (1/t per GPU) forward and gradients backward, per chunk */
	if (p > 1) {
		double bw = group_bw(c, c->n / p, 2, true, &alpha);
		double bytes = c->T * c->h * c->ab / c->t;
		st->p2p = 2.0 * c->pl.vp * (bytes / bw + alpha);
	}
	for (int i = 0; i < p; i++) {
		double ti = layers_on_stage(c, i) * layer_t + st->p2p;
		if (i == p - 1)
			ti += head_time(c);
		if (i == 0) {
			st->t0 = ti;
			st->bwd0 = layers_on_stage(c, i) * bwd_layer;
			st->fwd0 = layers_on_stage(c, i) * fwd_layer;
		}
		if (ti > st->max)
			st->max = ti;
		st->sum += ti;
	}
}

/*
 * [3.3] DP of the calibrated stacks (ZeRO 0-2): gradients are reduced bucket
 * by bucket under the last micro-batch's backward, the last bucket exposed.
 * With the stack's overlap the updated weights are also gathered bucket by
 * bucket under the next step's first forward (Megatron-Core
 * --overlap-param-gather); without it (2021-22 stacks, --no-overlap) the
 * gather follows the optimizer step, exposed.
 */
static double dp_overlapped_s(const struct ctx *c, const struct stage_times *st, double P0, double bw,
			      double lat, double share)
{
	double dg = (double)c->pl.dp * c->pl.cp;
	double bucket = fmax(DP_BUCKET_MIN_PARAMS, DP_BUCKET_PER_RANK_PARAMS * dg);
	double bfrac = P0 > bucket ? bucket / P0 : 1.0;
	double rs, ag;

	if (c->pl.zero == 0) {
		double ar = 2.0 * share * P0 * 4.0 / bw + lat;
		return fs_train_overlap_exposed_s(ar, st->bwd0, bfrac * ar);
	}
	/* ZeRO 1/2: fp32 gradient reduce-scatter, bf16 weight all-gather; ZeRO 2
	 * reduces every micro-batch, hidden behind each backward */
	rs = share * P0 * (c->pl.zero == 2 ? 2.0 : 4.0) / bw + lat;
	ag = share * P0 * 2.0 / bw + lat;
	return (c->pl.zero == 2 ? c->m_mb : 1.0) * fs_train_overlap_exposed_s(rs, st->bwd0, bfrac * rs) +
	       (c->dp_ovl ? fs_train_overlap_exposed_s(ag, st->fwd0, bfrac * ag) : ag);
}

/* Exposed data-parallel / ZeRO communication per step [3.3]. */
static double dp_exposed_s(const struct ctx *c, const struct stage_times *st)
{
	double dg = (double)c->pl.dp * c->pl.cp, P0, G0, bw, lat, share, alpha;

	if (dg <= 1)
		return 0.0;
	P0 = stage_params_gpu(c, 0);
	bw = group_bw(c, c->pl.tp, (int)dg, c->pl.zero >= 3 && !c->stack->zero3_node_bw, &alpha);
	G0 = stage_trainable_params_gpu(c, 0);  /* [11] gradients: the adapters' when frozen */
	lat = 2.0 * ceil(log2(dg)) * alpha;
	share = (dg - 1.0) / dg;
	if (c->pl.zero >= 3) {
		/* weights gathered for forward and backward, gradients
		 * reduce-scattered, every micro-batch; partly hidden behind compute
		 * except the first layer's gather */
		double comm = c->meth->frozen
			? (2.0 * share * frozen_weight_bytes(c, 0, P0) + share * G0 * 2.0) / bw +
			  3.0 * c->L * alpha
			: 3.0 * share * P0 * 2.0 / bw + 3.0 * c->L * alpha;
		double hid = (1.0 - ZERO3_EXPOSED_FRAC) * comm;
		return c->m_mb * (ZERO3_EXPOSED_FRAC * comm + fmax(0.0, hid - st->t0) + hid / c->L);
	}
	if (c->stack->gpu_calibrated)
		return dp_overlapped_s(c, st, G0, bw, lat, share);
	if (c->pl.zero == 2) {
		double rs = share * G0 * 2.0 / bw + lat;
		double ag = share * G0 * 2.0 / bw + lat;
		return c->m_mb * fmax(0.0, rs - DP_OVERLAP_FRAC * st->bwd0) + ag;
	}
	/* ZeRO-1 (the distributed optimizer): the fp32 gradient reduce-scatter
	 * hides behind the last backward, but the bf16 all-gather of the updated
	 * weights follows the optimizer step and precedes the next forward, so it
	 * is exposed (Megatron-LM before --overlap-param-gather, DeepSpeed
	 * ZeRO-1), as for ZeRO-2 above */
	if (c->pl.zero == 1) {
		double rs = share * G0 * 4.0 / bw + lat;
		double ag = share * G0 * 2.0 / bw + lat;
		return fmax(0.0, rs - DP_OVERLAP_FRAC * st->bwd0) + ag;
	}
	/* ZeRO-0: fp32 gradient all-reduce (2x the bytes), overlapped */
	return fmax(0.0, 2.0 * share * G0 * 4.0 / bw + lat - DP_OVERLAP_FRAC * st->bwd0);
}

/* Optimizer step, memory-bound [3.6]. */
static double optimizer_s(const struct ctx *c)
{
	double dg = (double)c->pl.dp * c->pl.cp;

	return stage_trainable_params_gpu(c, 0) / (c->pl.zero >= 1 ? dg : 1.0) * OPT_BYTES_PER_PARAM /
	       c->mem_rate;
}

/* Splits the pipelined time by component, from stage 0's layer costs; the
 * rest (output layer, loss, stage imbalance) counts as matrix products. */
static void split_time(const struct ctx *c, const struct layer_cost *lc, double layer_t, double pipe,
		       double p2p, struct fs_train_time_breakdown *t)
{
	bool full = c->pl.recompute == FS_RECOMPUTE_FULL;
	bool any = c->pl.recompute != FS_RECOMPUTE_NONE;
	double part = c->m_mb * layers_on_stage(c, 0);
	double rest = pipe - part * layer_t - c->m_mb * p2p;

	t->gemm_s = part * (lc->gemm_f + lc->gemm_b + (full ? lc->gemm_f : 0)) + (rest > 0 ? rest : 0);
	t->attention_s = part * (lc->attn_f + lc->attn_b + (any ? lc->attn_f : 0));
	t->elementwise_s = part * (lc->elem_f + lc->elem_b + (full ? lc->elem_f : 0));
	t->tp_comm_s = part * (lc->tp_f + lc->tp_b + (full ? lc->tp_f : 0));
	t->cp_comm_s = part * (lc->cp_f + lc->cp_b + (full ? lc->cp_f : 0));
	t->ep_comm_s = part * (lc->ep_f + lc->ep_b + (full ? lc->ep_f : 0));
	t->pp_comm_s = c->m_mb * p2p;
}

/* Whole-run time [7]: steady time plus the goodput parts (goodput.h);
 * zeros without tokens. goodput_frac is the share left by failures and
 * checkpoints, realisation_frac the rest, so that their product times the
 * steady throughput is the whole-run throughput. */
static void whole_run(const struct fs_train_request *rq, struct fs_train_result *r)
{
	struct fs_failure_params fp = rq->failure;
	struct fs_goodput_run *in = &r->run_in;
	struct fs_goodput_coef coef;
	const struct fs_goodput_parts *p = &r->run;
	double work;

	r->goodput_frac = r->realisation_frac = r->job_mtbf_s = r->ckpt_interval_s = 0;
	r->run_wall_s = r->run_days = r->gpu_hours = 0;
	memset(&r->run, 0, sizeof(r->run));
	memset(in, 0, sizeof(*in));
	if (rq->tokens <= 0)
		return;
	if (fp.mtbf_per_gpu_h <= 0)
		fs_failure_params_default(rq->gpu, &fp);
	r->job_mtbf_s = fs_failure_job_mtbf_s(&fp, rq->n_gpus);
	r->ckpt_interval_s = fs_failure_ckpt_interval_s(&fp, rq->n_gpus);
	in->steady_s = rq->tokens / r->tokens_per_s;
	in->step_time_s = r->step_time_s;
	in->n_gpus = rq->n_gpus;
	in->job_mtbf_s = r->job_mtbf_s;
	in->ckpt_interval_s = r->ckpt_interval_s;
	in->ckpt_write_s = fp.ckpt_write_s;
	in->restart_s = fp.restart_s;
	fs_goodput_coef_default(&coef);
	fs_goodput_parts(in, &coef, &r->run);
	work = p->steady_s + p->eval_s + p->ramp_s + p->stall_s;
	r->run_wall_s = p->wall_s;
	r->goodput_frac = isinf(p->wall_s) ? 0.0 : work / p->wall_s;
	r->realisation_frac = p->steady_s / work;
	r->run_days = r->run_wall_s / 86400.0;
	r->gpu_hours = r->run_wall_s * rq->n_gpus / 3600.0;
}

static void evaluate(const struct fs_train_request *rq, const struct fs_train_plan *plan_in,
		     struct fs_train_result *r)
{
	struct ctx c;
	struct layer_cost lc;
	struct stage_times st;
	struct fs_train_plan pl = *plan_in;
	struct fs_train_memory mem;
	double fwd, bwd, extra, layer_t, pipe, bubble, dp, opt, peak;

	pl.dp = rq->n_gpus / (pl.tp * pl.pp * pl.cp);
	pl.global_batch = plan_global_batch(rq, &pl);
	init_ctx(&c, rq, &pl);
	c.m_mb = (double)pl.global_batch / ((double)pl.dp * pl.micro_batch);

	layer_cost(&c, &lc);
	fwd = lc.gemm_f + lc.attn_f + lc.elem_f + lc.tp_f + lc.cp_f + lc.ep_f;
	bwd = lc.gemm_b + lc.attn_b + lc.elem_b + lc.tp_b + lc.cp_b + lc.ep_b;
	extra = pl.recompute == FS_RECOMPUTE_FULL ? fwd
		: pl.recompute == FS_RECOMPUTE_SELECTIVE ? lc.attn_f : 0.0;
	layer_t = fwd + bwd + extra;
	stage_times(&c, layer_t, bwd + extra, fwd, &st);

	/* [3.2] m micro-batches at the slowest stage, plus the fill and drain
	 * of (p - 1) / v average stages */
	pipe = c.m_mb * st.max;
	bubble = pl.pp > 1 ? (pl.pp - 1.0) / pl.vp * (st.sum / pl.pp) : 0.0;
	dp = dp_exposed_s(&c, &st);
	opt = optimizer_s(&c);

	memset(r, 0, sizeof(*r));
	r->plan = pl;
	r->precision = c.prec;
	r->fp8_fallback = rq->precision == FS_PREC_FP8 && c.prec != FS_PREC_FP8;
	r->step_time_s = pipe + bubble + dp + opt;
	split_time(&c, &lc, layer_t, pipe, st.p2p, &r->time);
	r->time.bubble_s = bubble;
	r->time.dp_comm_s = dp;
	r->time.optimizer_s = opt;

	r->tokens_per_step = (double)pl.global_batch * rq->seq_len;
	r->tokens_per_s = r->tokens_per_step / r->step_time_s;
	r->tokens_per_s_per_gpu = r->tokens_per_s / rq->n_gpus;
	r->model_flops_per_token = fs_train_model_flops_per_token(rq->model, rq->seq_len);
	r->hw_flops_per_token = fs_train_hw_flops_per_token(rq->model, rq->seq_len, pl.recompute);
	peak = fs_gpu_peak_tflops(rq->gpu, c.prec) * 1e12;
	r->method = rq->method;
	r->useful_flops_per_token = r->model_flops_per_token;
	if (c.meth->frozen) {
		/* [11] no weight-gradient products (2N per token), the adapters'
		 * 6A (8A with full recompute) */
		double n = fs_train_matmul_params(rq->model);
		double a = rq->model->n_layers *
			   adapter_layer(c.targets, c.r, c.h, c.kvd, c.f, c.gm, 1.0, c.e_act);
		r->adapter_params = fs_train_adapter_params(rq->model, rq->lora_rank, rq->lora_targets);
		r->useful_flops_per_token = r->model_flops_per_token - 2.0 * n + 6.0 * a;
		r->hw_flops_per_token += -2.0 * n +
					 (pl.recompute == FS_RECOMPUTE_FULL ? 8.0 : 6.0) * a;
	}
	r->achieved_tflops_per_gpu = r->model_flops_per_token * r->tokens_per_s_per_gpu / 1e12;
	r->mfu = r->model_flops_per_token * r->tokens_per_s_per_gpu / peak;
	r->hfu = r->hw_flops_per_token * r->tokens_per_s_per_gpu / peak;
	r->useful_mfu = r->useful_flops_per_token * r->tokens_per_s_per_gpu / peak;

	/* [4] the most loaded stage */
	stage_memory(&c, 0, &r->mem);
	for (int i = 1; i < pl.pp; i++) {
		stage_memory(&c, i, &mem);
		if (mem.total_gb > r->mem.total_gb)
			r->mem = mem;
	}
	r->fits = r->mem.total_gb <= r->mem.capacity_gb;
	whole_run(rq, r);
	r->n_evaluated = 1;
}

/* ---- the seam to the search (train_internal.h) ---- */

enum fs_status fs_train_check_request_(const struct fs_train_request *rq, struct fs_error *e)
{
	enum fs_status st = check_common(rq, e);

	if (st)
		return st;
	return check_plan(rq, &rq->plan, e);
}

void fs_train_evaluate_plan_(const struct fs_train_request *rq, const struct fs_train_plan *pl,
			     struct fs_train_result *r)
{
	evaluate(rq, pl, r);
}

int fs_train_plan_global_batch_(const struct fs_train_request *rq, const struct fs_train_plan *pl)
{
	return plan_global_batch(rq, pl);
}

enum fs_status fs_train_evaluate(const struct fs_train_request *rq, struct fs_train_result *out,
				 struct fs_error *e)
{
	struct fs_train_plan pl = rq->plan;
	enum fs_status st = fs_train_check_request_(rq, e);

	if (st)
		return st;
	if (pl.tp < 1 || pl.pp < 1 || pl.micro_batch < 1 || pl.recompute == FS_RECOMPUTE_AUTO ||
	    pl.zero == FS_TRAIN_ZERO_AUTO)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "plan",
				    "fs_train_evaluate needs tp, pp, micro_batch, recompute and zero set");
	if (pl.cp < 1)
		pl.cp = 1;
	if (pl.vp < 1)
		pl.vp = 1;
	pl.dp = rq->n_gpus / (pl.tp * pl.pp * pl.cp);
	if (rq->plan.global_batch > 0 && rq->plan.global_batch % (pl.dp * pl.micro_batch) != 0)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "global_batch",
				    "global batch %d is not a multiple of dp %d x micro-batch %d",
				    rq->plan.global_batch, pl.dp, pl.micro_batch);
	if (pl.vp > 1) {
		int gbs = plan_global_batch(rq, &pl);
		int mb = gbs / (pl.dp * pl.micro_batch);
		if (mb % pl.pp != 0)
			return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "vp",
					    "interleaving needs the %d micro-batches per step to be a multiple of pp %d",
					    mb, pl.pp);
	}
	evaluate(rq, &pl, out);
	return FS_OK;
}
