/*
 * serve.c - iteration time and memory of one serving replica (serve.h).
 * Every formula and constant is explained, with its source and the
 * calibration that fixed it, in docs/models/serving.md.
 */
#include "fleetsim/serve.h"
#include "fleetsim/util.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/*
 * Model constants, shared by every GPU type; GPU differences enter through
 * the catalog record. Large GEMMs run at the GPU's gemm_eff_frac of the
 * dense peak and weight and KV streaming at its serve_hbm_eff_frac (else
 * hbm_eff_frac) of the bandwidth; a GPU's serve_layer_overhead_s and
 * serve_prefill_layer_overhead_s replace the two per-layer defaults below.
 * The constants were fitted on the simulated cal and extra rows of
 * models/calibration/serving.csv (docs/models/serving.md, "Calibration"),
 * except the two all-reduce constants, which are published measurements.
 */

/*
 * Tokens per iteration at which GEMM efficiency is half its maximum, for a
 * 4096-wide model on one GPU. Small-M products leave SMs idle: the tiles a
 * product offers grow with M * width / tp, so the half point scales with
 * tp * 4096 / hidden.
 */
static const double gemm_half_ref_tokens = 39.0;
static const double gemm_half_ref_hidden = 4096.0;
/* fp8 and int8 GEMMs reach this share of gemm_eff_frac of their 8-bit peak. */
static const double gemm_8bit_rel_frac = 0.81;
/*
 * Attention reaches gemm_eff_frac of the 16-bit peak at long contexts and
 * half of it when the mean attended context is this many tokens.
 */
static const double attn_half_ctx_tokens = 4800.0;
/*
 * Per transformer layer and iteration: kernel launches, small kernels. The
 * default for a GPU whose catalog entry leaves serve_layer_overhead_s at 0.
 */
static const double layer_overhead_s = 77e-6;
/* Extra per layer when the iteration runs prefill (context-phase kernels); default of serve_prefill_layer_overhead_s. */
static const double layer_prefill_overhead_s = 112e-6;
/*
 * Mixture of experts. Grouped GEMMs (one product per expert, a few tokens
 * each) reach half their efficiency at moe_grouped_half_mult times the
 * dense half point, counted in tokens per expert.
 */
static const double moe_grouped_half_mult = 0.49;
/* Grouped GEMMs reach this share of the dense GEMM efficiency at any size (16-bit). */
static const double moe_grouped_rel_frac = 0.81;
/*
 * fp8/int8 grouped GEMMs reach this share of the 8-bit dense efficiency
 * (per-expert scaling, no 8-bit grouped kernels in the engines measured).
 */
static const double moe_grouped_8bit_rel_frac = 0.30;
/* Per MoE layer and iteration: gate softmax, top-k, expert offsets, permute launches. */
static const double moe_layer_overhead_s = 14e-6;
/* Copies of the hidden states per MoE layer: permutation before the experts, unpermutation after. */
static const double moe_copies_per_layer = 2.0;
/* Latency of one tensor-parallel all-reduce (NCCL, small message, NVLink). */
static const double allreduce_latency_s = 6e-6;
/* All-reduce bus bandwidth reached, share of the link's one-way bandwidth. */
static const double allreduce_bw_frac = 0.67;
/* Share of the catalog HBM capacity the engine may use (weights + KV). */
static const double mem_util_frac_default = 0.95;
/* Per-GPU memory outside weights and KV: CUDA context, workspaces, activations. */
static const double runtime_reserve_gb = 1.0;
/* Bytes per element of activations and all-reduce payloads. */
static const double act_bytes_per_elem = 2.0;
/* int4 weight-only: 4 bits plus one 16-bit scale per group of 128 weights. */
static const double int4_bytes_per_param = 0.5 + 2.0 / 128.0;

/*
 * Serving stacks, one record each: the name a user gives, the host work
 * the stack adds to every iteration, per sequence in the batch and per
 * prompt token prefilled, its fixed cost per iteration, and its fixed cost
 * per request on the first-token path (fitted: docs/models/serving.md,
 * "Constants"). A new engine is one more row.
 */
struct serve_engine {
	struct fs_enum_name id; /* first: the rows are also the engines' name table */
	double host_per_seq_s;
	double host_per_prefill_token_s;
	double iter_fixed_s;    /* per iteration: scheduling, sampling, input preparation */
	double request_fixed_s; /* per request, first-token path: tokenise, schedule, detokenise */
};

static const struct serve_engine engines[] = {
	/* compiled C++ runtime (CUDA graphs): host work overlaps the GPU */
	{ { FS_ENGINE_TRTLLM, "trtllm" }, 0.0, 0.0, 4e-6, 0.0 },
	/* Python scheduler, sampler and API server (vLLM V1) */
	{ { FS_ENGINE_VLLM, "vllm" }, 122e-6, 47e-6, 0.27e-3, 0.0 },
};
#define N_ENGINES (sizeof(engines) / sizeof(engines[0]))

/* The record of engine en, or NULL when en is not a known engine. */
static const struct serve_engine *engine_of(enum fs_serve_engine en)
{
	for (size_t i = 0; i < N_ENGINES; i++)
		if (engines[i].id.value == (int)en)
			return &engines[i];
	return NULL;
}

const char *fs_serve_engine_name(enum fs_serve_engine en)
{
	return fs_enum_name(&engines[0].id, N_ENGINES, sizeof(engines[0]), (int)en);
}

enum fs_status fs_serve_engine_parse(const char *s, enum fs_serve_engine *out)
{
	int v;

	if (fs_enum_parse(&engines[0].id, N_ENGINES, sizeof(engines[0]), s, &v))
		return FS_ERR_INPUT;
	*out = (enum fs_serve_engine)v;
	return FS_OK;
}

double fs_serve_default_mem_util_frac(void)
{
	return mem_util_frac_default;
}

double fs_serve_weight_bytes_per_param(enum fs_precision p)
{
	switch (p) {
	case FS_PREC_FP8:
	case FS_PREC_INT8:
		return 1.0;
	case FS_PREC_INT4:
		return int4_bytes_per_param;
	case FS_PREC_FP32:
	case FS_PREC_TF32:
		return 4.0;
	default:
		return 2.0;
	}
}

static double kv_elem_bytes(enum fs_precision p)
{
	/* An fp8 model keeps an fp8 KV cache (TensorRT-LLM --fp8_kv_cache); others 16-bit. */
	return p == FS_PREC_FP8 ? 1.0 : 2.0;
}

double fs_serve_kv_bytes_per_token(const struct fs_llm *llm, enum fs_precision p)
{
	double head_dim = (double)llm->hidden / llm->n_heads;

	return 2.0 * llm->n_layers * fs_llm_kv_heads(llm) * head_dim * kv_elem_bytes(p);
}

long fs_serve_blocks_for(long tokens)
{
	return tokens <= 0 ? 0 : (tokens + FS_SERVE_BLOCK_TOKENS - 1) / FS_SERVE_BLOCK_TOKENS;
}

static enum fs_status check_cfg(const struct fs_serve_cfg *c, struct fs_error *e)
{
	const struct fs_llm *llm = c->llm;
	int kvh = fs_llm_kv_heads(llm);

	if (c->tp < 1)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "tp",
				    "tensor-parallel degree %d; expected at least 1", c->tp);
	if (llm->n_heads % c->tp != 0)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "tp",
				    "tp %d does not divide the %d attention heads of '%s'",
				    c->tp, llm->n_heads, llm->name);
	if (kvh % c->tp != 0 && c->tp % kvh != 0)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "tp",
				    "tp %d and the %d KV heads of '%s': one must divide the other",
				    c->tp, kvh, llm->name);
	if (c->precision == FS_PREC_FP32 || c->precision == FS_PREC_TF32 ||
	    (unsigned)c->precision >= FS_PREC_COUNT)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "precision",
				    "precision '%s' is not modelled for serving; expected fp16, bf16, fp8, int8 or int4",
				    fs_precision_name(c->precision));
	if (fs_gpu_peak_tflops(c->gpu, c->precision) <= 0)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "precision",
				    "GPU '%s' (%s) has no %s tensor cores; fp8 needs a Hopper-class GPU",
				    c->gpu->name, c->gpu->arch, fs_precision_name(c->precision));
	if (c->mem_util_frac < 0 || c->mem_util_frac > 1)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "mem_util_frac",
				    "memory utilisation %g; expected 0 (default) or in (0, 1]",
				    c->mem_util_frac);
	if (c->ep < 0 || (c->ep > 1 && (llm->n_experts <= 1 || c->tp % c->ep != 0 ||
					 llm->n_experts % c->ep != 0)))
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "ep",
				    "expert parallelism %d for '%s' (%d experts) on tp %d; expected 1, or "
				    "a divisor of both tp and the experts of a mixture-of-experts model",
				    c->ep, llm->name, llm->n_experts, c->tp);
	if (!engine_of(c->engine))
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "engine",
				    "serving engine %d is not known; expected trtllm or vllm", (int)c->engine);
	return FS_OK;
}

/* Link one-way bandwidth, bytes/s, for a tensor-parallel group of tp GPUs. */
static double tp_link_bw(const struct fs_gpu *g, int tp)
{
	double bidir = tp <= g->nvlink_domain ? g->nvlink_gbps : g->pcie_gbps;

	return bidir / 2.0 * 1e9;
}

/* Per-GPU FLOPs and weight bytes per token of the linear layers and the output head. */
static void init_shapes(struct fs_serve_model *m, const struct fs_serve_cfg *cfg, double kvh_gpu)
{
	const struct fs_llm *llm = cfg->llm;
	double L = llm->n_layers, h = llm->hidden, hd = h / llm->n_heads, f = llm->ffn;
	double V = llm->vocab, tp = cfg->tp, qh = (double)llm->n_heads / tp;
	double wb = fs_serve_weight_bytes_per_param(cfg->precision);
	double attn_lin, mlp_one, router, emb, params;
	int ne = llm->n_experts > 0 ? llm->n_experts : 1;
	int na = llm->n_experts_active > 0 ? llm->n_experts_active : 1;

	m->n_layers = llm->n_layers;
	m->n_experts = ne;
	m->n_experts_active = na;

	/* Per GPU and layer: q and o projections, this GPU's k and v, one expert's MLP. */
	attn_lin = 2.0 * h * qh * hd + 2.0 * h * kvh_gpu * hd;
	mlp_one = (llm->gated_ffn ? 3.0 : 2.0) * h * f / tp;
	router = ne > 1 ? h * ne : 0.0;
	if (ne > 1) {
		/* Experts run as grouped GEMMs with their own efficiency (fs_serve_iter_parts). */
		m->lin_flops_per_token = 2.0 * L * (attn_lin + router);
		m->expert_flops_per_token = 2.0 * L * na * mlp_one;
	} else {
		m->lin_flops_per_token = 2.0 * L * (attn_lin + na * mlp_one + router);
	}
	m->dense_weight_bytes = L * (attn_lin + router) * wb;
	m->expert_weight_bytes = L * mlp_one * wb;
	/* The output layer stays 16-bit in quantised checkpoints and is split by vocabulary. */
	m->head_flops_per_token = 2.0 * V * h / tp;
	m->head_weight_bytes = V * h / tp * 2.0;

	/* Resident weights: the published count, embeddings 16-bit, the rest in wb. */
	emb = (llm->tied_embeddings ? 1.0 : 2.0) * V * h;
	params = llm->params_b > 0 ? llm->params_b * 1e9 : 0.0;
	if (params <= emb) {
		double tot, act;
		fs_llm_params_from_shape(llm, &tot, &act);
		params = tot * 1e9;
	}
	m->weight_bytes = ((params - emb) * wb + emb * 2.0) / tp;

	/* Decode attention: QK^T and PV, 4 FLOPs per head dim per context token. */
	m->attn_flops_per_ctx = 4.0 * L * qh * hd;
	m->attn_bytes_per_ctx = 2.0 * L * (cfg->legacy_gqa_attention ? qh : kvh_gpu) * hd *
				kv_elem_bytes(cfg->precision);
	m->pf_attn_flops_per_unit = 4.0 * L * qh * hd;
}

/* KV-cache bytes per token and the blocks left beside the weights; infeasible when none. */
static enum fs_status init_memory(struct fs_serve_model *m, const struct fs_serve_cfg *cfg,
				  double kvh_gpu, struct fs_error *e)
{
	const struct fs_llm *llm = cfg->llm;
	const struct fs_gpu *g = cfg->gpu;
	double hd = (double)llm->hidden / llm->n_heads;
	double free_b, block_b;

	m->kv_bytes_per_token = 2.0 * llm->n_layers * kvh_gpu * hd * kv_elem_bytes(cfg->precision);
	m->usable_bytes = g->mem_gb * 1e9 * m->cfg.mem_util_frac;
	free_b = m->usable_bytes - runtime_reserve_gb * 1e9 - m->weight_bytes;
	block_b = m->kv_bytes_per_token * FS_SERVE_BLOCK_TOKENS;
	m->n_kv_blocks = free_b > 0 ? (long)floor(free_b / block_b) : 0;
	if (free_b <= 0)
		return fs_error_set(e, FS_ERR_INFEASIBLE, NULL, 0, "tp",
				    "'%s' in %s does not fit on %d x %s: %.1f GB of weights and "
				    "%.1f GB runtime reserve per GPU exceed the %.1f GB usable "
				    "(%.0f%% of %.0f GB) by %.1f GB; use a larger --tp or a smaller precision",
				    llm->name, fs_precision_name(cfg->precision), cfg->tp, g->name,
				    m->weight_bytes / 1e9, runtime_reserve_gb,
				    m->usable_bytes / 1e9, m->cfg.mem_util_frac * 100.0, g->mem_gb,
				    -free_b / 1e9);
	return FS_OK;
}

/*
 * Mixture-of-experts costs beyond the expert GEMMs (docs/models/serving.md,
 * "Mixture of experts"): routing, permutation copies, expert-parallel
 * all-to-all. Needs gemm_half_tokens set.
 */
static void init_moe(struct fs_serve_model *m, const struct fs_serve_cfg *cfg)
{
	double L = cfg->llm->n_layers, h = cfg->llm->hidden, tp = cfg->tp, k = m->n_experts_active;
	double ep = cfg->ep > 1 ? cfg->ep : 1.0;

	/* Each expert's MLP is split over tp/ep GPUs: wider per-GPU products saturate sooner. */
	m->expert_eff_max_frac = m->gemm_eff_max_frac * moe_grouped_rel_frac *
				 (cfg->precision == FS_PREC_FP8 || cfg->precision == FS_PREC_INT8 ? moe_grouped_8bit_rel_frac : 1.0);
	m->expert_half_tokens = moe_grouped_half_mult * m->gemm_half_tokens / ep;
	m->moe_fixed_s = L * moe_layer_overhead_s;
	/* Hidden states are whole on every GPU of the tensor-parallel group; each copy reads and writes. */
	m->moe_copy_bytes_per_token = L * moe_copies_per_layer * 2.0 * k * h * act_bytes_per_elem;
	if (ep > 1) {
		/* Dispatch and combine: this GPU's share of the k copies, (ep-1)/ep of them leave its group. */
		double link = tp_link_bw(cfg->gpu, cfg->tp) * allreduce_bw_frac;
		m->a2a_fixed_s = 2.0 * L * allreduce_latency_s;
		m->a2a_s_per_token = 2.0 * L * k * h * act_bytes_per_elem / tp * (ep - 1.0) / ep / link;
	}
}

/* Communication, fixed overheads, host costs of the engine, peaks and efficiencies. */
static void init_rates(struct fs_serve_model *m, const struct fs_serve_cfg *cfg)
{
	const struct fs_gpu *g = cfg->gpu;
	const struct serve_engine *eng = engine_of(cfg->engine);
	double L = cfg->llm->n_layers, h = cfg->llm->hidden, tp = cfg->tp, e8;

	if (cfg->tp > 1) {
		/* Two all-reduces per layer (after attention and after the MLP); ring algorithm. */
		double link = tp_link_bw(g, cfg->tp) * allreduce_bw_frac;
		m->ar_bytes_per_token = h * act_bytes_per_elem;
		m->ar_fixed_s = 2.0 * L * allreduce_latency_s;
		m->ar_s_per_byte = 2.0 * L * 2.0 * (tp - 1.0) / tp / link;
	}
	m->overhead_s = eng->iter_fixed_s +
			L * (g->serve_layer_overhead_s > 0 ? g->serve_layer_overhead_s : layer_overhead_s);
	m->prefill_overhead_s = L * (g->serve_prefill_layer_overhead_s > 0 ? g->serve_prefill_layer_overhead_s
									    : layer_prefill_overhead_s);
	m->host_s_per_seq = eng->host_per_seq_s;
	m->host_s_per_prefill_token = eng->host_per_prefill_token_s;
	m->request_fixed_s = eng->request_fixed_s;

	m->peak_flops = fs_gpu_peak_tflops(g, cfg->precision) * 1e12;
	m->peak16_flops = g->bf16_tflops * 1e12;
	e8 = (cfg->precision == FS_PREC_FP8 || cfg->precision == FS_PREC_INT8) ? gemm_8bit_rel_frac
									       : 1.0;
	m->gemm16_eff_max_frac = g->gemm_eff_frac;
	m->gemm_eff_max_frac = g->gemm_eff_frac * e8;
	m->attn_eff_frac = g->gemm_eff_frac;
	m->gemm_half_tokens = gemm_half_ref_tokens * tp * gemm_half_ref_hidden / h;
	m->weight_bw = g->mem_bw_gbps * 1e9 *
		       (g->serve_hbm_eff_frac > 0 ? g->serve_hbm_eff_frac : g->hbm_eff_frac);
	m->kv_bw = m->weight_bw;
	if (m->n_experts > 1)
		init_moe(m, cfg);
}

enum fs_status fs_serve_model_init(struct fs_serve_model *m, const struct fs_serve_cfg *cfg,
				   struct fs_error *e)
{
	int kvh = fs_llm_kv_heads(cfg->llm);
	/* Fewer KV heads than GPUs: each GPU keeps a replica of one KV head. */
	double kvh_gpu = kvh >= cfg->tp ? (double)kvh / cfg->tp : 1.0;
	enum fs_status st;

	if ((st = check_cfg(cfg, e)))
		return st;
	*m = (struct fs_serve_model){ .cfg = *cfg };
	if (m->cfg.mem_util_frac <= 0)
		m->cfg.mem_util_frac = mem_util_frac_default;
	init_shapes(m, cfg, kvh_gpu);
	if ((st = init_memory(m, cfg, kvh_gpu, e)))
		return st;
	init_rates(m, cfg);
	return FS_OK;
}

/* GEMM efficiency with n tokens in the iteration: small M leaves SMs idle. */
static double gemm_eff(const struct fs_serve_model *m, double max_frac, double n)
{
	return max_frac * n / (n + m->gemm_half_tokens);
}

static double roofline(double flops, double flops_per_s, double bytes, double bytes_per_s)
{
	double a = flops / flops_per_s, b = bytes / bytes_per_s;

	return a > b ? a : b;
}

double fs_serve_experts_touched(int E, int k, double n)
{
	if (E <= 1)
		return 1.0;
	if (n <= 0)
		return 0.0;
	return E * (1.0 - pow(1.0 - (double)k / E, n));
}

double fs_serve_request_fixed_s(const struct fs_serve_model *m)
{
	return m->request_fixed_s;
}

/*
 * Expert GEMMs of T tokens: grouped products over the touched experts,
 * T*k/touched tokens each, and the touched experts' weights read once.
 */
static double expert_time_s(const struct fs_serve_model *m, double T)
{
	double touched = fs_serve_experts_touched(m->n_experts, m->n_experts_active, T);
	double per_expert = T * m->n_experts_active / touched;
	double eff = m->expert_eff_max_frac * per_expert / (per_expert + m->expert_half_tokens);

	return roofline(m->expert_flops_per_token * T, m->peak_flops * eff,
			m->expert_weight_bytes * touched, m->weight_bw);
}

void fs_serve_iter_parts(const struct fs_serve_model *m, const struct fs_serve_batch *b,
			 struct fs_serve_parts *p)
{
	double T = b->n_prefill_tokens + b->n_decode;

	*p = (struct fs_serve_parts){ 0 };
	if (T <= 0)
		return;
	p->overhead_s = m->overhead_s + (b->n_prefill_tokens > 0 ? m->prefill_overhead_s : 0.0);
	p->host_s = m->host_s_per_seq * (b->n_decode + b->n_prefill_seqs) +
		    m->host_s_per_prefill_token * b->n_prefill_tokens;
	if (m->n_experts > 1) {
		p->linear_s = roofline(m->lin_flops_per_token * T,
				       m->peak_flops * gemm_eff(m, m->gemm_eff_max_frac, T),
				       m->dense_weight_bytes, m->weight_bw) +
			      expert_time_s(m, T);
		p->moe_s = m->moe_fixed_s + m->moe_copy_bytes_per_token * T / m->weight_bw +
			   (m->a2a_s_per_token > 0 ? m->a2a_fixed_s + m->a2a_s_per_token * T : 0.0);
	} else {
		p->linear_s = roofline(m->lin_flops_per_token * T,
				       m->peak_flops * gemm_eff(m, m->gemm_eff_max_frac, T),
				       m->dense_weight_bytes + m->expert_weight_bytes, m->weight_bw);
	}
	if (b->n_logits > 0)
		p->lm_head_s = roofline(m->head_flops_per_token * b->n_logits,
					m->peak16_flops * gemm_eff(m, m->gemm16_eff_max_frac, b->n_logits),
					m->head_weight_bytes, m->weight_bw);
	if (b->decode_ctx_tokens > 0)
		p->decode_attn_s = roofline(m->attn_flops_per_ctx * b->decode_ctx_tokens,
					    m->peak16_flops * m->attn_eff_frac,
					    m->attn_bytes_per_ctx * b->decode_ctx_tokens, m->kv_bw);
	if (b->prefill_attn_units > 0 && b->n_prefill_tokens > 0) {
		/* Flash attention keeps the SMs busier the longer the context it sweeps. */
		double ctx = b->prefill_attn_units / b->n_prefill_tokens;
		p->prefill_attn_s = m->pf_attn_flops_per_unit * b->prefill_attn_units /
				    (m->peak16_flops * m->attn_eff_frac * ctx / (ctx + attn_half_ctx_tokens));
	}
	if (m->ar_s_per_byte > 0)
		p->allreduce_s = m->ar_fixed_s + m->ar_s_per_byte * m->ar_bytes_per_token * T;
	p->total_s = p->overhead_s + p->host_s + p->linear_s + p->lm_head_s + p->decode_attn_s +
		     p->prefill_attn_s + p->allreduce_s + p->moe_s;
}

double fs_serve_iter_time_s(const struct fs_serve_model *m, const struct fs_serve_batch *b)
{
	struct fs_serve_parts p;

	fs_serve_iter_parts(m, b, &p);
	return p.total_s;
}

long fs_serve_max_seqs(const struct fs_serve_model *m, long tokens_per_seq)
{
	long per = fs_serve_blocks_for(tokens_per_seq);

	return per > 0 ? m->n_kv_blocks / per : 0;
}

enum fs_status fs_serve_check_fits(const struct fs_serve_model *m, long tokens_per_seq,
				   struct fs_error *e)
{
	double need, have;

	if (fs_serve_max_seqs(m, tokens_per_seq) >= 1)
		return FS_OK;
	need = (double)fs_serve_blocks_for(tokens_per_seq) * FS_SERVE_BLOCK_TOKENS *
	       m->kv_bytes_per_token;
	have = (double)m->n_kv_blocks * FS_SERVE_BLOCK_TOKENS * m->kv_bytes_per_token;
	return fs_error_set(e, FS_ERR_INFEASIBLE, NULL, 0, "tp",
			    "one sequence of %ld tokens of '%s' needs %.2f GB of KV cache per GPU "
			    "on %d x %s but only %.2f GB is left after %.1f GB of weights: "
			    "%.2f GB missing; use a larger --tp, a smaller precision or shorter sequences",
			    tokens_per_seq, m->cfg.llm->name, need / 1e9, m->cfg.tp, m->cfg.gpu->name,
			    have / 1e9, m->weight_bytes / 1e9, (need - have) / 1e9);
}
