/*
 * serve.h - the pure performance and memory model of one LLM serving replica:
 * how long one scheduler iteration takes, how many KV-cache blocks fit, and
 * whether the model fits at all. No I/O, no events, no global state.
 *
 * A replica is one model instance sharded over `tp` GPUs by tensor
 * parallelism. Every quantity below is per GPU unless its name says
 * otherwise; since all GPUs of a replica work in lock step, the iteration
 * time of one GPU is the iteration time of the replica.
 *
 * Iteration model (docs/models/serving.md, "Iteration time"): a scheduler
 * iteration (one forward pass) runs a mix of prefill chunks and decode
 * tokens, described by aggregated counts (struct fs_serve_batch), so its
 * cost is O(1) whatever the batch size. The time is a sum over kernel
 * groups that run one after another, each bounded by a roofline:
 *
 *   t = t_overhead + t_host + t_linear + t_lm_head + t_decode_attention
 *       + t_prefill_attention + t_allreduce + t_moe
 *
 * with t_group = max(FLOPs / (peak * compute efficiency),
 *                    bytes / (HBM bandwidth * memory efficiency)).
 * The efficiencies and overheads are model constants (serve.c, documented
 * with their sources); GPU differences come from the catalog record (peaks
 * per precision, mem_bw_gbps, hbm_eff_frac, gemm_eff_frac, mem_gb,
 * nvlink_gbps, nvlink_domain, pcie_gbps, and the optional serving fields
 * serve_hbm_eff_frac, serve_layer_overhead_s, serve_prefill_layer_overhead_s
 * that override the shared defaults), engine differences from the engine
 * table (host time per sequence and prompt token, fixed cost per iteration
 * and per request). t_moe is zero for dense models.
 *
 * Memory model ("Memory"): weights per GPU, KV bytes per token
 * (2 * layers * kv_heads * head_dim * bytes), paged in blocks of
 * FS_SERVE_BLOCK_TOKENS tokens, within a memory-utilisation fraction of HBM.
 *
 * Errors: fs_serve_model_init returns FS_ERR_INPUT for an unsupported
 * configuration (tp not dividing the heads, fp8 on a GPU without fp8, an
 * unsupported precision, ep not dividing tp or the experts, ep > 1 on a
 * dense model) and FS_ERR_INFEASIBLE when the weights do not fit,
 * with the missing memory in the message. Everything else is total.
 */
#ifndef FLEETSIM_SERVE_H
#define FLEETSIM_SERVE_H

#include <stdbool.h>

#include "fleetsim/catalog.h"
#include "fleetsim/error.h"

/* Tokens per paged KV-cache block (vLLM's default block size). */
#define FS_SERVE_BLOCK_TOKENS 16

/*
 * Serving software. The GPU work is the same; the host-side work that does
 * not overlap with it differs (docs/models/serving.md, "Serving stacks").
 */
enum fs_serve_engine {
	FS_ENGINE_TRTLLM = 0, /* compiled C++ runtime (TensorRT-LLM, FasterTransformer): none */
	FS_ENGINE_VLLM,       /* Python scheduler, sampler and OpenAI API server (vLLM V1) */
	FS_ENGINE_COUNT
};

/* "trtllm" / "vllm"; FS_OK or FS_ERR_INPUT. */
const char *fs_serve_engine_name(enum fs_serve_engine en);
enum fs_status fs_serve_engine_parse(const char *s, enum fs_serve_engine *out);

/* What the caller chooses about a replica. */
struct fs_serve_cfg {
	const struct fs_llm *llm;
	const struct fs_gpu *gpu;
	int tp;                      /* tensor-parallel degree, GPUs per replica */
	enum fs_precision precision; /* bf16, fp16, fp8 (Hopper), int8 (W8A8), int4 (weight-only) */
	/*
	 * Decode attention reads K and V once per query head instead of once per
	 * KV head: TensorRT-LLM before v0.8 (no XQA kernel) did this for
	 * grouped-query models. false for every current engine.
	 */
	bool legacy_gqa_attention;
	double mem_util_frac;        /* share of HBM the engine may use; 0 = default */
	enum fs_serve_engine engine; /* serving software: host-side costs per iteration */
	/*
	 * Expert parallelism of a mixture-of-experts model: the experts are split
	 * over ep groups of the tp GPUs (ep divides tp and the experts), each
	 * expert's MLP over the tp/ep GPUs of its group; tokens reach their
	 * experts by two all-to-alls per MoE layer. 0 or 1: none (every expert
	 * split over all tp GPUs).
	 */
	int ep;
};

/*
 * A model prepared for one configuration: the per-GPU constants of the
 * iteration-time formula. Filled by fs_serve_model_init; plain data, may be
 * copied. Read-only afterwards.
 */
struct fs_serve_model {
	struct fs_serve_cfg cfg;
	int n_layers;
	/* memory, per GPU */
	double weight_bytes;          /* resident weights */
	double usable_bytes;          /* mem_gb * mem_util_frac */
	double kv_bytes_per_token;    /* K and V of one token, all layers, this GPU's heads */
	long n_kv_blocks;             /* paged blocks for the KV cache (>= 0) */
	/* iteration coefficients, per GPU */
	double lin_flops_per_token;   /* transformer-layer matrix products */
	double dense_weight_bytes;    /* weights read once per iteration (non-expert part) */
	double expert_weight_bytes;   /* one expert's MLP weights, all layers */
	int n_experts, n_experts_active;
	/* mixture of experts (0 for dense models), per GPU */
	double expert_flops_per_token; /* the k active experts' MLPs, all layers */
	double expert_eff_max_frac;   /* large grouped-GEMM efficiency in this precision */
	double expert_half_tokens;    /* tokens per expert at which grouped GEMMs reach half efficiency */
	double moe_fixed_s;           /* routing (gate + top-k) and launch costs, all MoE layers */
	double moe_copy_bytes_per_token; /* permutation + unpermutation copies, all MoE layers */
	double a2a_fixed_s;           /* expert-parallel all-to-all latency, all of one iteration */
	double a2a_s_per_token;       /* expert-parallel all-to-all payload time per token */
	double head_flops_per_token;  /* output layer, per token that gets logits */
	double head_weight_bytes;
	double attn_flops_per_ctx;    /* decode: per token of context read */
	double attn_bytes_per_ctx;    /* decode: K/V bytes read per token of context */
	double pf_attn_flops_per_unit; /* prefill: per unit of sum c*(kv_prev + c/2) */
	double ar_bytes_per_token;    /* all-reduce payload per token per all-reduce */
	double ar_fixed_s;            /* all-reduce latency, all of one iteration */
	double ar_s_per_byte;
	double overhead_s;            /* fixed per-iteration and per-layer overheads */
	double prefill_overhead_s;    /* added when the iteration runs a prefill */
	double host_s_per_seq;        /* serving stack: per sequence in the iteration */
	double host_s_per_prefill_token; /* serving stack: per prompt token */
	double request_fixed_s;       /* serving stack: per request, on the first-token path (latency only) */
	double peak_flops;            /* precision of the matrix products, FLOP/s */
	double peak16_flops;          /* 16-bit peak (attention, output layer) */
	double gemm_eff_max_frac;     /* large-GEMM efficiency in this precision */
	double gemm16_eff_max_frac;
	double gemm_half_tokens;      /* tokens at which GEMMs reach half their efficiency */
	double attn_eff_frac;
	double weight_bw;             /* bytes/s reached streaming weights */
	double kv_bw;                 /* bytes/s reached reading the KV cache */
};

/*
 * One iteration's work, aggregated. Counts are doubles so that callers can
 * pass means; all must be >= 0.
 */
struct fs_serve_batch {
	double n_prefill_tokens;   /* prompt (or recompute) tokens processed */
	double prefill_attn_units; /* sum over chunks of c * (kv_prev + c / 2) */
	double n_decode;           /* sequences generating one token */
	double decode_ctx_tokens;  /* sum over decodes of the tokens attended to */
	double n_logits;           /* sequences that sample a token this iteration */
	double n_prefill_seqs;     /* sequences with a prefill chunk */
};

/* Time of each kernel group of one iteration, seconds (for reports and tests). */
struct fs_serve_parts {
	double overhead_s, host_s, linear_s, lm_head_s, decode_attn_s, prefill_attn_s, allreduce_s;
	double moe_s; /* mixture of experts: routing, permutation copies, all-to-all */
	double total_s;
};

/*
 * Prepares m for cfg. FS_OK; FS_ERR_INPUT (tp < 1, tp not dividing the query
 * heads, KV heads neither divisible by tp nor dividing it, fp32/tf32, fp8 on
 * a GPU without fp8); FS_ERR_INFEASIBLE (weights larger than the usable
 * memory: the message says how many GB are missing and suggests a larger tp).
 * e may be NULL. cfg->llm and cfg->gpu must stay valid while m is used.
 */
enum fs_status fs_serve_model_init(struct fs_serve_model *m, const struct fs_serve_cfg *cfg,
				   struct fs_error *e);

/* Seconds for one iteration of b; 0 for an empty batch. O(1), no allocation. */
double fs_serve_iter_time_s(const struct fs_serve_model *m, const struct fs_serve_batch *b);

/* Same, split into kernel groups (parts->total_s equals the above). */
void fs_serve_iter_parts(const struct fs_serve_model *m, const struct fs_serve_batch *b,
			 struct fs_serve_parts *parts);

/*
 * Bytes of K and V per token for the whole model (all GPUs together):
 * 2 * layers * kv_heads * head_dim * bytes per element of the KV cache in
 * precision p (1 for fp8, 2 otherwise).
 */
double fs_serve_kv_bytes_per_token(const struct fs_llm *llm, enum fs_precision p);

/* Bytes per weight in precision p (int4 includes its per-group scales). */
double fs_serve_weight_bytes_per_param(enum fs_precision p);

/* KV blocks one sequence of `tokens` tokens occupies. */
long fs_serve_blocks_for(long tokens);

/*
 * Sequences of `tokens_per_seq` tokens each whose KV cache fits at once:
 * n_kv_blocks / blocks per sequence. 0 when not even one fits.
 */
long fs_serve_max_seqs(const struct fs_serve_model *m, long tokens_per_seq);

/*
 * FS_OK when at least one sequence of tokens_per_seq tokens fits;
 * otherwise FS_ERR_INFEASIBLE with the memory missing per GPU in e.
 */
enum fs_status fs_serve_check_fits(const struct fs_serve_model *m, long tokens_per_seq,
				   struct fs_error *e);

/*
 * Expected distinct experts that n tokens, each routed to k of E experts
 * uniformly at random, touch: E * (1 - (1 - k/E)^n). 1 for E <= 1; 0 for
 * n <= 0.
 */
double fs_serve_experts_touched(int E, int k, double n);

/*
 * Fixed seconds a request spends outside the GPU on its first-token path
 * (tokenisation, scheduling, detokenisation of the first token): the
 * engine's per-request cost. The replica adds it to every request's time to
 * first token and end-to-end latency; it does not hold the GPU.
 */
double fs_serve_request_fixed_s(const struct fs_serve_model *m);

/* Default share of HBM an engine uses (mem_util_frac when cfg leaves it 0). */
double fs_serve_default_mem_util_frac(void);

#endif
