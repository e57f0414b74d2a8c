/*
 * cmd_serve.c - `fleetsim estimate serve`: latency, throughput and capacity of
 * one serving replica. Parsing and printing only; the work is done by serve.h
 * and replica.h.
 */
#include "cli.h"

#include "fleetsim/builtin.h"
#include "fleetsim/replica.h"
#include "fleetsim/builtin.h"
#include "fleetsim/scenario.h"
#include "fleetsim/serve.h"
#include "fleetsim/service.h"
#include "fleetsim/util.h"

#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CMD_EST "estimate serve"
#define DEFAULT_ONLINE_REQUESTS 4000
#define DEFAULT_SEED 1

static const char est_usage[] =
	"usage: fleetsim estimate serve --gpu NAME --tp N [--precision fp16|bf16|fp8|int8|int4]\n"
	"         (--model NAME | --layers L --hidden H --heads A [--kv-heads K] [--ffn F]\n"
	"          [--gated-ffn] --vocab V [--params P] [--experts E --experts-active K])\n"
	"         [--ep N]\n"
	"         --input-tokens I --output-tokens O\n"
	"         (--batch B | --qps X | --capacity | --target-qps X) [--ttft-slo-s S] [--tpot-slo-s S]\n"
	"         [--requests N] [--seed N] [--format table|csv|json]\n"
	"         [--max-num-seqs N] [--max-batched-tokens N] [--no-chunked-prefill]\n"
	"         [--engine trtllm|vllm] [--legacy-gqa-attention]\n"
	"\n"
	"Latency and throughput of one serving replica (one model on --tp GPUs), from a\n"
	"request-level simulation with iteration-level (continuous) batching.\n"
	"\n"
	"  --batch B      offline: B sequences in flight (fewer if their KV cache does not\n"
	"                 fit), whole prompts, no token budget; --requests defaults to one wave\n"
	"  --qps X        online: Poisson arrivals at X requests/s; vLLM V1 scheduler\n"
	"                 (256 sequences, chunked prefill, 8192-token budget); 4000 requests\n"
	"  --capacity     the largest rate whose p99 TTFT and p99 TPOT meet the objectives\n"
	"                 (--ttft-slo-s, default 2; --tpot-slo-s, default 0.2); latencies are\n"
	"                 reported at that rate\n"
	"  --target-qps X a fleet serving X requests/s: per TP size 1, 2, 4, 8 that fits one\n"
	"                 node (only --tp when given), the capacity per replica at the\n"
	"                 objectives, the replicas and GPUs needed and $/hour at the catalog's\n"
	"                 cloud price, cheapest first (vLLM V1 scheduler, 4000 requests, seed 1)\n"
	"  --precision    weights and matrix products: fp16/bf16 (default bf16), fp8 (Hopper;\n"
	"                 fp8 KV cache too), int8 (W8A8), int4 (weight-only, 16-bit math)\n"
	"  --engine       serving software: trtllm (default; compiled runtime, no host cost\n"
	"                 per sequence) or vllm (Python scheduler and API server: host time\n"
	"                 per sequence and per prompt token each iteration)\n"
	"  --legacy-gqa-attention  decode attention reads K/V per query head (TensorRT-LLM\n"
	"                 before v0.8); default: per KV head, as every current engine\n"
	"  --experts E --experts-active K  custom shape: a mixture of experts, E MLP experts\n"
	"                 per layer (--ffn is one expert's width), K of them per token\n"
	"                 (1 <= K <= E); decode reads only the experts the batch touches\n"
	"  --ep N         expert parallelism of a mixture-of-experts model (catalog or custom):\n"
	"                 experts split over N groups of the --tp GPUs (N divides --tp and E);\n"
	"                 default 1\n"
	"\n"
	"Output columns (csv, json): gpu,tp,precision,input_tokens,output_tokens,mode,batch,\n"
	"qps,max_concurrent_seqs,ttft_p50_s,ttft_p99_s,tpot_p50_s,tpot_p99_s,\n"
	"output_tokens_per_s,output_tokens_per_s_per_gpu,requests_per_s,capacity_qps, then\n"
	"model,weights_gb_per_gpu,kv_cache_gb_per_gpu,e2e_p50_s,e2e_p99_s,mean_batch_seqs,\n"
	"preemptions. Fields that do not apply to the mode are empty (csv) or null (json).\n"
	"With --target-qps one row per TP size: gpu,model,precision,input_tokens,\n"
	"output_tokens,ttft_slo_s,tpot_slo_s,target_qps,tp,capacity_qps,replicas,gpus,\n"
	"usd_per_gpu_hour,usd_per_hour.\n"
	"Exit codes: 0 ok, 1 failure, 2 bad input, a model that does not fit, or with\n"
	"--capacity no request rate that meets the objectives, or with --target-qps no TP\n"
	"size that fits and meets them (the reason on stderr).\n";

enum mode { MODE_NONE, MODE_BATCH, MODE_QPS, MODE_CAPACITY, MODE_TARGET };

static const char *const precision_names[] = { "fp16", "bf16", "fp8", "int8", "int4", NULL };

enum {
	O_GPU, O_TP, O_PRECISION, O_MODEL, O_LAYERS, O_HIDDEN, O_HEADS, O_KV_HEADS, O_FFN, O_VOCAB,
	O_PARAMS, O_GATED_FFN, O_INPUT_TOKENS, O_OUTPUT_TOKENS, O_BATCH, O_QPS, O_CAPACITY,
	O_TTFT_SLO_S, O_TPOT_SLO_S, O_REQUESTS, O_SEED, O_FORMAT, O_MAX_NUM_SEQS,
	O_MAX_BATCHED_TOKENS, O_NO_CHUNKED_PREFILL, O_ENGINE, O_LEGACY_GQA, O_TARGET_QPS, O_EXPERTS,
	O_EXPERTS_ACTIVE, O_EP, N_OPTS
};

static const struct fs_opt opts[N_OPTS] = {
	[O_GPU] = { .name = "gpu", .type = FS_OPT_STRING, .metavar = "NAME", .help = "catalog GPU (required)" },
	[O_TP] = { .name = "tp", .type = FS_OPT_INT, .imin = 1, .imax = 1024, .unit = "GPUs",
		   .help = "tensor-parallel GPUs of the replica (required)" },
	[O_PRECISION] = { .name = "precision", .type = FS_OPT_ENUM, .choices = precision_names,
			  .def = "bf16", .help = "weights and matrix products" },
	FS_CLI_OPTS_SHAPE,
	[O_INPUT_TOKENS] = { .name = "input-tokens", .type = FS_OPT_INT, .imin = 1, .imax = 100000000,
			     .unit = "tokens", .help = "prompt length (required)" },
	[O_OUTPUT_TOKENS] = { .name = "output-tokens", .type = FS_OPT_INT, .imin = 1, .imax = 100000000,
			      .unit = "tokens", .help = "output length (required)" },
	[O_BATCH] = { .name = "batch", .type = FS_OPT_INT, .imin = 1, .imax = 1000000,
		      .unit = "sequences", .help = "offline mode: sequences in flight" },
	[O_QPS] = { .name = "qps", .type = FS_OPT_DOUBLE, .min_open = true, .unit = "requests/s",
		    .help = "online mode: Poisson arrival rate" },
	[O_CAPACITY] = { .name = "capacity", .type = FS_OPT_FLAG,
			 .help = "capacity mode: the largest rate meeting the objectives" },
	[O_TTFT_SLO_S] = { .name = "ttft-slo-s", .type = FS_OPT_DOUBLE, .min_open = true, .unit = "s",
			   .def = "2", .help = "capacity objective: p99 time to first token" },
	[O_TPOT_SLO_S] = { .name = "tpot-slo-s", .type = FS_OPT_DOUBLE, .min_open = true, .unit = "s",
			   .def = "0.2", .help = "capacity objective: p99 time per output token" },
	/* ~130 bytes and ~1.4 us per request measured: 10 million is ~1.3 GB */
	[O_REQUESTS] = { .name = "requests", .type = FS_OPT_INT, .imin = 1, .imax = 10000000,
			 .def = "one wave (batch), 4000 (qps)",
			 .help = "requests simulated (at most 10 million, ~130 bytes each)" },
	[O_SEED] = { .name = "seed", .type = FS_OPT_INT, .imin = 0, .imax = INT64_MAX, .def = "1",
		     .help = "seed of the arrivals" },
	[O_FORMAT] = FS_CLI_OPT_FORMAT,
	[O_MAX_NUM_SEQS] = { .name = "max-num-seqs", .type = FS_OPT_INT, .imin = 1, .imax = 1000000,
			     .help = "scheduler: most sequences per iteration" },
	[O_MAX_BATCHED_TOKENS] = { .name = "max-batched-tokens", .type = FS_OPT_INT, .imin = 1,
				   .imax = 100000000, .help = "scheduler: token budget per iteration" },
	[O_NO_CHUNKED_PREFILL] = { .name = "no-chunked-prefill", .type = FS_OPT_FLAG,
				   .help = "scheduler: whole prompts only" },
	[O_ENGINE] = { .name = "engine", .type = FS_OPT_STRING, .metavar = "trtllm|vllm", .def = "trtllm",
		       .help = "serving software" },
	[O_LEGACY_GQA] = { .name = "legacy-gqa-attention", .type = FS_OPT_FLAG,
			   .help = "decode attention reads K/V per query head" },
	[O_TARGET_QPS] = { .name = "target-qps", .type = FS_OPT_DOUBLE, .min_open = true,
			   .unit = "requests/s", .help = "fleet mode: replicas and GPUs per TP size for this rate" },
	FS_CLI_SHAPE_INT(O_EXPERTS, "experts", "custom shape: MLP experts per layer; default 1"),
	FS_CLI_SHAPE_INT(O_EXPERTS_ACTIVE, "experts-active", "custom shape: experts per token; default 1"),
	[O_EP] = { .name = "ep", .type = FS_OPT_INT, .imin = 1, .imax = 1024, .unit = "groups", .def = "1",
		   .help = "expert parallelism: groups the experts are split over (divides --tp)" },
};

struct est_opts {
	const char *gpu, *model;
	enum fs_precision precision;
	enum fs_serve_engine engine;
	long tp, layers, hidden, heads, kv_heads, ffn, vocab, experts, experts_active, ep;
	double params_b;
	bool gated;
	long input_tokens, output_tokens;
	enum mode mode;
	long batch;
	double qps, target_qps;
	double ttft_slo_s, tpot_slo_s;
	long requests;
	long long seed;
	long max_num_seqs, max_batched_tokens;
	bool no_chunked, legacy_gqa;
};

/* Checks what the table cannot (required options, one mode, names) and fills o. */
static int check_est(const struct fs_opt_val *v, struct est_opts *o)
{
	int n_modes = v[O_BATCH].set + v[O_QPS].set + v[O_CAPACITY].set + v[O_TARGET_QPS].set;

	memset(o, 0, sizeof(*o));
	o->gpu = v[O_GPU].s;
	o->model = v[O_MODEL].s;
	o->tp = (long)v[O_TP].i;
	o->layers = (long)v[O_LAYERS].i;
	o->hidden = (long)v[O_HIDDEN].i;
	o->heads = (long)v[O_HEADS].i;
	o->kv_heads = v[O_KV_HEADS].set ? (long)v[O_KV_HEADS].i : -1;
	o->ffn = v[O_FFN].set ? (long)v[O_FFN].i : -1;
	o->vocab = (long)v[O_VOCAB].i;
	o->experts = v[O_EXPERTS].set ? (long)v[O_EXPERTS].i : 1;
	o->experts_active = v[O_EXPERTS_ACTIVE].set ? (long)v[O_EXPERTS_ACTIVE].i : 1;
	o->ep = v[O_EP].set ? (long)v[O_EP].i : 1;
	o->params_b = v[O_PARAMS].set ? fs_cli_params_b(v[O_PARAMS].d) : 0.0;
	o->gated = v[O_GATED_FFN].set;
	o->input_tokens = (long)v[O_INPUT_TOKENS].i;
	o->output_tokens = (long)v[O_OUTPUT_TOKENS].i;
	o->mode = v[O_BATCH].set ? MODE_BATCH : v[O_QPS].set ? MODE_QPS : v[O_CAPACITY].set ? MODE_CAPACITY :
		  v[O_TARGET_QPS].set ? MODE_TARGET : MODE_NONE;
	o->target_qps = v[O_TARGET_QPS].d;
	o->batch = (long)v[O_BATCH].i;
	o->qps = v[O_QPS].d;
	o->ttft_slo_s = v[O_TTFT_SLO_S].set ? v[O_TTFT_SLO_S].d : 2.0;
	o->tpot_slo_s = v[O_TPOT_SLO_S].set ? v[O_TPOT_SLO_S].d : 0.2;
	o->requests = (long)v[O_REQUESTS].i;
	o->seed = v[O_SEED].set ? v[O_SEED].i : DEFAULT_SEED;
	o->max_num_seqs = (long)v[O_MAX_NUM_SEQS].i;
	o->max_batched_tokens = (long)v[O_MAX_BATCHED_TOKENS].i;
	o->no_chunked = v[O_NO_CHUNKED_PREFILL].set;
	o->legacy_gqa = v[O_LEGACY_GQA].set;
	if (n_modes > 1)
		return fs_cli_usage_error(CMD_EST, "give only one of --batch, --qps, --capacity and --target-qps");
	if (o->mode == MODE_TARGET && (v[O_REQUESTS].set || v[O_SEED].set || v[O_MAX_NUM_SEQS].set ||
				       v[O_MAX_BATCHED_TOKENS].set || v[O_NO_CHUNKED_PREFILL].set ||
				       v[O_LEGACY_GQA].set))
		return fs_cli_usage_error(CMD_EST, "--target-qps plans with the fleet's replica settings: "
					  "--requests, --seed, --max-num-seqs, --max-batched-tokens, "
					  "--no-chunked-prefill and --legacy-gqa-attention do not apply");
	if (fs_precision_parse(v[O_PRECISION].set ? v[O_PRECISION].s : "bf16", &o->precision))
		return fs_cli_usage_error(CMD_EST, "--precision '%s': unknown", v[O_PRECISION].s);
	if (fs_serve_engine_parse(v[O_ENGINE].set ? v[O_ENGINE].s : "trtllm", &o->engine))
		return fs_cli_usage_error(CMD_EST, "--engine '%s': expected %s or %s", v[O_ENGINE].s,
					  fs_serve_engine_name(FS_ENGINE_TRTLLM),
					  fs_serve_engine_name(FS_ENGINE_VLLM));
	if (!o->gpu)
		return fs_cli_usage_error(CMD_EST, "--gpu is required");
	if (!o->tp && o->mode != MODE_TARGET)
		return fs_cli_usage_error(CMD_EST, "--tp is required");
	if (o->model && (v[O_EXPERTS].set || v[O_EXPERTS_ACTIVE].set))
		return fs_cli_usage_error(CMD_EST, "--experts and --experts-active describe a custom shape; "
					  "catalog model '%s' has its own", o->model);
	if (o->experts_active > o->experts)
		return fs_cli_usage_error(CMD_EST, "--experts-active %ld exceeds --experts %ld; expected "
					  "1 <= K <= E", o->experts_active, o->experts);
	if (o->mode == MODE_TARGET && o->ep > 1)
		return fs_cli_usage_error(CMD_EST, "--target-qps plans with the fleet's replica settings: "
					  "--ep does not apply");
	if (o->model && (o->layers || o->hidden || o->heads || o->vocab))
		return fs_cli_usage_error(CMD_EST, "give either --model or a shape (--layers ...), not both");
	if (!o->model && !(o->layers && o->hidden && o->heads && o->vocab))
		return fs_cli_usage_error(CMD_EST, "--model, or --layers, --hidden, --heads and --vocab, "
					  "are required");
	if (!o->input_tokens)
		return fs_cli_usage_error(CMD_EST, "--input-tokens is required");
	if (!o->output_tokens)
		return fs_cli_usage_error(CMD_EST, "--output-tokens is required");
	if (o->mode == MODE_NONE)
		return fs_cli_usage_error(CMD_EST, "one of --batch, --qps, --capacity and --target-qps is required");
	return 0;
}

/* ---- estimate --------------------------------------------------------------------- */

struct est_result {
	struct fs_serve_model model;
	struct fs_replica_stats st;
	long max_concurrent;
	long in_flight;          /* batch mode: sequences kept in flight */
	double capacity_qps;     /* capacity mode */
	double qps;              /* offered rate (qps and capacity modes) */
	struct fs_replica_sched sched;
};

static enum fs_status run_estimate(const struct est_opts *o, const struct fs_llm *llm,
				   const struct fs_gpu *gpu, struct est_result *r, struct fs_error *e)
{
	struct fs_serve_cfg cfg = { .llm = llm, .gpu = gpu, .tp = (int)o->tp, .precision = o->precision,
				    .legacy_gqa_attention = o->legacy_gqa, .engine = o->engine,
				    .ep = (int)o->ep };
	struct fs_replica_workload w;
	struct fs_replica_ws *ws = NULL;
	enum fs_status st;
	long per_seq = o->input_tokens + o->output_tokens;

	memset(r, 0, sizeof(*r));
	if ((st = fs_serve_model_init(&r->model, &cfg, e)))
		return st;
	if ((st = fs_serve_check_fits(&r->model, per_seq, e)))
		return st;
	r->max_concurrent = fs_serve_max_seqs(&r->model, per_seq);

	r->sched = fs_replica_sched_default();
	if (o->max_num_seqs)
		r->sched.max_num_seqs = (int)o->max_num_seqs;
	if (o->max_batched_tokens)
		r->sched.max_batched_tokens = o->max_batched_tokens;
	if (o->no_chunked)
		r->sched.chunked_prefill = false;

	memset(&w, 0, sizeof(w));
	w.input_tokens = fs_dist_fixed((double)o->input_tokens);
	w.output_tokens = fs_dist_fixed((double)o->output_tokens);
	w.seed = (uint64_t)o->seed;

	if (o->mode == MODE_CAPACITY) {
		struct fs_replica_memo *memo;
		const struct fs_replica_curve *c;
		struct fs_replica_spec spec;
		memset(&spec, 0, sizeof(spec));
		spec.serve = cfg;
		spec.sched = r->sched;
		spec.input_tokens = w.input_tokens;
		spec.output_tokens = w.output_tokens;
		spec.slo.ttft_p99_s = o->ttft_slo_s;
		spec.slo.tpot_p99_s = o->tpot_slo_s;
		spec.n_requests = o->requests;
		spec.seed = w.seed;
		if (fs_replica_memo_create(&memo))
			return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		st = fs_replica_capacity(memo, &spec, &c, e);
		if (!st && !(c->capacity_qps > 0))
			/* nothing to report as a capacity: say so, as a plan that does not fit */
			st = fs_error_set(e, FS_ERR_INFEASIBLE, NULL, 0, "capacity",
					  "no request rate meets p99 TTFT <= %g s and p99 TPOT <= %g s: "
					  "at the lowest rate tried p99 TTFT is %.4g s and p99 TPOT %.4g s",
					  o->ttft_slo_s, o->tpot_slo_s, c->at_capacity.ttft_p99_s,
					  c->at_capacity.tpot_p99_s);
		if (!st) {
			r->capacity_qps = c->capacity_qps;
			r->qps = c->capacity_qps;
			r->st = c->at_capacity;
		}
		fs_replica_memo_destroy(memo);
		return st;
	}

	if (o->mode == MODE_BATCH) {
		/* Offline: whole prompts, no token budget, as many in flight as fit. */
		r->in_flight = o->batch < r->max_concurrent ? o->batch : r->max_concurrent;
		r->sched.max_num_seqs = (int)r->in_flight;
		r->sched.max_batched_tokens = o->max_batched_tokens;
		r->sched.chunked_prefill = o->max_batched_tokens > 0 && !o->no_chunked;
		w.arrival = FS_ARRIVAL_CLOSED;
		w.concurrency = (int)r->in_flight;
		w.n_requests = o->requests ? o->requests : r->in_flight;
	} else {
		w.arrival = FS_ARRIVAL_POISSON;
		w.qps = o->qps;
		w.n_requests = o->requests ? o->requests : DEFAULT_ONLINE_REQUESTS;
		r->qps = o->qps;
	}
	if (fs_replica_ws_create(&ws, w.n_requests))
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	st = fs_replica_run(ws, &r->model, &r->sched, &w, &r->st, e);
	fs_replica_ws_destroy(ws);
	return st;
}

static const char *mode_name(enum mode m)
{
	return m == MODE_BATCH ? "batch" : m == MODE_QPS ? "qps" : "capacity";
}

static const struct fs_emit_col est_cols[] = {
	{ .name = "gpu", .type = FS_EMIT_STR },
	{ .name = "tp", .type = FS_EMIT_INT },
	{ .name = "precision", .type = FS_EMIT_STR },
	{ .name = "input_tokens", .type = FS_EMIT_INT },
	{ .name = "output_tokens", .type = FS_EMIT_INT },
	{ .name = "mode", .type = FS_EMIT_STR },
	{ .name = "batch", .type = FS_EMIT_INT },
	{ .name = "qps", .type = FS_EMIT_NUM },
	{ .name = "max_concurrent_seqs", .type = FS_EMIT_INT },
	{ .name = "ttft_p50_s", .type = FS_EMIT_NUM },
	{ .name = "ttft_p99_s", .type = FS_EMIT_NUM },
	{ .name = "tpot_p50_s", .type = FS_EMIT_NUM },
	{ .name = "tpot_p99_s", .type = FS_EMIT_NUM },
	{ .name = "output_tokens_per_s", .type = FS_EMIT_NUM },
	{ .name = "output_tokens_per_s_per_gpu", .type = FS_EMIT_NUM },
	{ .name = "requests_per_s", .type = FS_EMIT_NUM },
	{ .name = "capacity_qps", .type = FS_EMIT_NUM },
	{ .name = "model", .type = FS_EMIT_STR },
	{ .name = "weights_gb_per_gpu", .type = FS_EMIT_NUM, .fmt = "%.4g" },
	{ .name = "kv_cache_gb_per_gpu", .type = FS_EMIT_NUM, .fmt = "%.4g" },
	{ .name = "e2e_p50_s", .type = FS_EMIT_NUM },
	{ .name = "e2e_p99_s", .type = FS_EMIT_NUM },
	{ .name = "mean_batch_seqs", .type = FS_EMIT_NUM, .fmt = "%.4g" },
	{ .name = "preemptions", .type = FS_EMIT_INT },
};
#define N_EST_COLS ((int)(sizeof(est_cols) / sizeof(est_cols[0])))

/* The estimate as one row of est_cols, in format f (csv or json). */
static void emit_estimate(const struct est_opts *o, const struct fs_llm *llm,
			  const struct fs_gpu *gpu, const struct est_result *r, double kv_gb,
			  double per_gpu, const struct fs_emit_format *f)
{
	const struct fs_replica_stats *s = &r->st;
	bool is_batch = o->mode == MODE_BATCH, is_cap = o->mode == MODE_CAPACITY;
	struct fs_emitter em;
	struct fs_emit_val v[N_EST_COLS] = {
		fs_emit_str(gpu->name), fs_emit_int(o->tp), fs_emit_str(fs_precision_name(o->precision)),
		fs_emit_int(o->input_tokens), fs_emit_int(o->output_tokens), fs_emit_str(mode_name(o->mode)),
		is_batch ? fs_emit_int(o->batch) : fs_emit_missing(),
		is_batch ? fs_emit_missing() : fs_emit_num(r->qps),
		fs_emit_int(r->max_concurrent), fs_emit_num(s->ttft_p50_s), fs_emit_num(s->ttft_p99_s),
		fs_emit_num(s->tpot_p50_s), fs_emit_num(s->tpot_p99_s), fs_emit_num(s->output_tokens_per_s),
		fs_emit_num(per_gpu), fs_emit_num(s->requests_per_s),
		is_cap ? fs_emit_num(r->capacity_qps) : fs_emit_missing(), fs_emit_str(llm->name),
		fs_emit_num(r->model.weight_bytes / 1e9), fs_emit_num(kv_gb), fs_emit_num(s->e2e_p50_s),
		fs_emit_num(s->e2e_p99_s), fs_emit_num(s->mean_batch_seqs), fs_emit_int(s->n_preemptions),
	};

	fs_emit_begin(&em, stdout, f, est_cols, N_EST_COLS, true);
	fs_emit_row(&em, v);
	fs_emit_end(&em);
}

static void print_estimate(const struct est_opts *o, const struct fs_llm *llm,
			   const struct fs_gpu *gpu, const struct est_result *r,
			   const struct fs_opt_val *format)
{
	const struct fs_replica_stats *s = &r->st;
	bool is_batch = o->mode == MODE_BATCH, is_cap = o->mode == MODE_CAPACITY;
	double kv_gb = (double)r->model.n_kv_blocks * FS_SERVE_BLOCK_TOKENS *
		       r->model.kv_bytes_per_token / 1e9;
	double per_gpu = s->output_tokens_per_s / (double)o->tp;
	enum fs_precision prec = o->precision;

	if (format->set && strcmp(format->s, "table") != 0) {
		emit_estimate(o, llm, gpu, r, kv_gb, per_gpu, fs_cli_format(format));
		return;
	}
	printf("replica          %s on %ld x %s, %s, %s engine\n", llm->name, o->tp, gpu->name,
	       fs_precision_name(prec), fs_serve_engine_name(r->model.cfg.engine));
	if (r->model.n_experts > 1)
		printf("experts          %d per layer, %d per token, expert parallelism %ld\n",
		       r->model.n_experts, r->model.n_experts_active, o->ep);
	printf("memory per GPU   %.2f GB weights, %.2f GB KV cache (%ld blocks of %d tokens, "
	       "%.1f KiB per token)\n", r->model.weight_bytes / 1e9, kv_gb, r->model.n_kv_blocks,
	       FS_SERVE_BLOCK_TOKENS, r->model.kv_bytes_per_token / 1024.0);
	printf("requests         %ld x (%ld in, %ld out); at most %ld such sequences fit at once\n",
	       s->n_requests, o->input_tokens, o->output_tokens, r->max_concurrent);
	if (is_batch)
		printf("mode             batch %ld (%ld in flight), whole prompts\n", o->batch,
		       r->in_flight);
	else if (is_cap)
		printf("mode             capacity at p99 TTFT <= %g s and p99 TPOT <= %g s: %.4g requests/s\n",
		       o->ttft_slo_s, o->tpot_slo_s, r->capacity_qps);
	else
		printf("mode             Poisson at %g requests/s\n", o->qps);
	printf("TTFT             p50 %.4g s, p99 %.4g s\n", s->ttft_p50_s, s->ttft_p99_s);
	if (s->tpot_p50_s == s->tpot_p50_s)
		printf("TPOT             p50 %.4g s, p99 %.4g s\n", s->tpot_p50_s, s->tpot_p99_s);
	printf("end to end       p50 %.4g s, p99 %.4g s\n", s->e2e_p50_s, s->e2e_p99_s);
	printf("throughput       %.5g output tokens/s (%.5g per GPU), %.4g requests/s\n",
	       s->output_tokens_per_s, per_gpu, s->requests_per_s);
	printf("batching         %.1f sequences per iteration on average, %ld iterations, "
	       "%ld preemptions\n", s->mean_batch_seqs, s->n_iterations, s->n_preemptions);
}

/* ---- fleet mode: --target-qps ------------------------------------------------------ */

static const struct fs_emit_col target_cols[] = {
	{ .name = "gpu", .type = FS_EMIT_STR },
	{ .name = "model", .type = FS_EMIT_STR },
	{ .name = "precision", .type = FS_EMIT_STR },
	{ .name = "input_tokens", .type = FS_EMIT_INT },
	{ .name = "output_tokens", .type = FS_EMIT_INT },
	{ .name = "ttft_slo_s", .type = FS_EMIT_NUM },
	{ .name = "tpot_slo_s", .type = FS_EMIT_NUM },
	{ .name = "target_qps", .type = FS_EMIT_NUM },
	{ .name = "tp", .type = FS_EMIT_INT },
	{ .name = "capacity_qps", .type = FS_EMIT_NUM, .fmt = "%.4g" },
	{ .name = "replicas", .type = FS_EMIT_INT },
	{ .name = "gpus", .type = FS_EMIT_INT },
	{ .name = "usd_per_gpu_hour", .type = FS_EMIT_NUM, .fmt = "%.4g" },
	{ .name = "usd_per_hour", .type = FS_EMIT_NUM, .fmt = "%.2f" },
};
#define N_TARGET_COLS ((int)(sizeof(target_cols) / sizeof(target_cols[0])))

/* Cheapest first: fewest GPUs of one type; ties keep the smaller TP. Insertion sort of <= 4. */
static void sort_cheapest(struct fs_service_tp_row *rows, int n)
{
	for (int i = 1; i < n; i++) {
		struct fs_service_tp_row x = rows[i];
		int j = i;
		while (j > 0 && (rows[j - 1].gpus > x.gpus ||
				 (rows[j - 1].gpus == x.gpus && rows[j - 1].tp > x.tp))) {
			rows[j] = rows[j - 1];
			j--;
		}
		rows[j] = x;
	}
}

/* Replicas and GPUs per TP size for o->target_qps; prints the rows. 0, or the exit code. */
static int run_target(const struct est_opts *o, const struct fs_llm *llm, const struct fs_gpu *gpu,
		      const struct fs_opt_val *format)
{
	struct fs_service_spec svc;
	struct fs_service_memo *memo;
	struct fs_service_tp_row rows[4];
	struct fs_emitter em;
	struct fs_error e;
	int n = 0;
	enum fs_status st;

	memset(&svc, 0, sizeof(svc));
	fs_strlcpy(svc.name, "estimate", sizeof(svc.name));
	svc.model = llm;
	svc.precision = o->precision;
	svc.tp = (int)o->tp; /* 0: every size */
	svc.engine = o->engine;
	svc.input_tokens = fs_dist_fixed((double)o->input_tokens);
	svc.output_tokens = fs_dist_fixed((double)o->output_tokens);
	svc.ttft_p99_s = o->ttft_slo_s;
	svc.tpot_p99_s = o->tpot_slo_s;
	fs_demand_flat(&svc.demand, o->target_qps);
	fs_error_clear(&e);
	if (fs_service_memo_create(&memo)) {
		fs_error_set(&e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		return fs_cli_report(&e);
	}
	st = fs_service_tp_table(memo, &svc, gpu, gpu->gpus_per_node, o->target_qps, rows, &n, &e);
	fs_service_memo_destroy(memo);
	if (st)
		return fs_cli_report(&e);
	sort_cheapest(rows, n);
	fs_emit_begin(&em, stdout, fs_cli_format(format), target_cols, N_TARGET_COLS, false);
	for (int i = 0; i < n; i++) {
		double price = gpu->cloud_usd_per_gpu_hour;
		struct fs_emit_val v[N_TARGET_COLS] = {
			fs_emit_str(gpu->name), fs_emit_str(llm->name),
			fs_emit_str(fs_precision_name(o->precision)), fs_emit_int(o->input_tokens),
			fs_emit_int(o->output_tokens), fs_emit_num(o->ttft_slo_s),
			fs_emit_num(o->tpot_slo_s), fs_emit_num(o->target_qps), fs_emit_int(rows[i].tp),
			fs_emit_num(rows[i].capacity_rps), fs_emit_int(rows[i].replicas),
			fs_emit_int(rows[i].gpus), price > 0 ? fs_emit_num(price) : fs_emit_missing(),
			price > 0 ? fs_emit_num(price * rows[i].gpus) : fs_emit_missing(),
		};
		fs_emit_row(&em, v);
	}
	fs_emit_end(&em);
	return 0;
}

/* Fills a custom model from the shape flags. */
static void custom_llm(const struct est_opts *o, struct fs_llm *m)
{
	double tot, act;

	memset(m, 0, sizeof(*m));
	fs_strlcpy(m->name, "custom", sizeof(m->name));
	m->n_layers = (int)o->layers;
	m->hidden = (int)o->hidden;
	m->n_heads = (int)o->heads;
	m->n_kv_heads = o->kv_heads > 0 ? (int)o->kv_heads : 0;
	m->n_kv_heads = fs_llm_kv_heads(m);
	m->gated_ffn = o->gated;
	m->ffn = o->ffn > 0 ? (int)o->ffn : 4 * (int)o->hidden;
	m->vocab = (int)o->vocab;
	m->n_experts = (int)o->experts;
	m->n_experts_active = (int)o->experts_active;
	m->max_seq = 1 << 20;
	fs_llm_params_from_shape(m, &tot, &act);
	m->params_b = o->params_b > 0 ? o->params_b : tot;
	m->active_params_b = tot > 0 ? act / tot * m->params_b : m->params_b;
}

int fs_cli_estimate_serve(int argc, char **argv)
{
	struct fs_opt_val vals[N_OPTS];
	struct est_opts o;
	struct fs_catalog cat;
	struct fs_error e;
	struct fs_llm custom;
	const struct fs_llm *llm;
	const struct fs_gpu *gpu;
	struct est_result r;
	int rc;

	if (fs_cli_wants_help(argc, argv)) {
		fs_cli_help(est_usage, opts, N_OPTS);
		return 0;
	}
	if ((rc = fs_cli_parse(CMD_EST, opts, N_OPTS, argc, argv, vals, NULL, 0, NULL)) ||
	    (rc = check_est(vals, &o)))
		return rc;
	fs_error_clear(&e);
	if (fs_catalog_load_builtin(&cat, &e))
		return fs_cli_report(&e);
	rc = 0;
	gpu = fs_catalog_gpu(&cat, o.gpu);
	if (!gpu) {
		fs_catalog_unknown(&cat, "gpu", o.gpu, NULL, 0, "--gpu", &e);
		rc = fs_cli_report(&e);
		goto out;
	}
	if (o.model) {
		llm = fs_catalog_llm(&cat, o.model);
		if (!llm) {
			fs_catalog_unknown(&cat, "model", o.model, NULL, 0, "--model", &e);
			rc = fs_cli_report(&e);
			goto out;
		}
	} else {
		custom_llm(&o, &custom);
		if (fs_llm_check(&custom, NULL, 0, &e)) {
			rc = fs_cli_report(&e);
			goto out;
		}
		llm = &custom;
	}
	if (o.mode == MODE_TARGET) {
		rc = run_target(&o, llm, gpu, &vals[O_FORMAT]);
		goto out;
	}
	if (run_estimate(&o, llm, gpu, &r, &e)) {
		rc = fs_cli_report(&e);
		goto out;
	}
	print_estimate(&o, llm, gpu, &r, &vals[O_FORMAT]);
out:
	fs_catalog_fini(&cat);
	return rc;
}
