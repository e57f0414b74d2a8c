/*
 * cmd_serve.c - `fleetsim estimate serve` (latency, throughput and capacity of
 * one serving replica) and `fleetsim validate serve` (the model against the
 * published measurements in models/calibration/serving.csv). Parsing and
 * printing only; the work is done by serve.h and replica.h.
 */
#include "cli.h"

#include "fleetsim/builtin.h"
#include "fleetsim/csv.h"
#include "fleetsim/replica.h"
#include "fleetsim/builtin.h"
#include "fleetsim/scenario.h"
#include "fleetsim/serve.h"
#include "fleetsim/util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CMD_EST "estimate serve"
#define CMD_VAL "validate serve"
#define DEFAULT_ONLINE_REQUESTS 4000
#define DEFAULT_SEED 1

static const char est_usage[] =
	"usage: fleetsim estimate serve --gpu NAME --tp N [--precision fp16|bf16|fp8|int8|int4]\n"
	"         (--model NAME | --layers L --hidden H --heads A [--kv-heads K] [--ffn F]\n"
	"          [--gated-ffn] --vocab V [--params P])\n"
	"         --input-tokens I --output-tokens O\n"
	"         (--batch B | --qps X | --capacity) [--ttft-slo-s S] [--tpot-slo-s S]\n"
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
	"  --precision    weights and matrix products: fp16/bf16 (default bf16), fp8 (Hopper;\n"
	"                 fp8 KV cache too), int8 (W8A8), int4 (weight-only, 16-bit math)\n"
	"  --engine       serving software: trtllm (default; compiled runtime, no host cost\n"
	"                 per sequence) or vllm (Python scheduler and API server: host time\n"
	"                 per sequence and per prompt token each iteration)\n"
	"  --legacy-gqa-attention  decode attention reads K/V per query head (TensorRT-LLM\n"
	"                 before v0.8); default: per KV head, as every current engine\n"
	"\n"
	"Output columns (csv): gpu,tp,precision,input_tokens,output_tokens,mode,batch,qps,\n"
	"max_concurrent_seqs,ttft_p50_s,ttft_p99_s,tpot_p50_s,tpot_p99_s,output_tokens_per_s,\n"
	"output_tokens_per_s_per_gpu,requests_per_s,capacity_qps, then model,\n"
	"weights_gb_per_gpu,kv_cache_gb_per_gpu,e2e_p50_s,e2e_p99_s,mean_batch_seqs,preemptions.\n"
	"Empty fields do not apply to the mode. Exit codes: 0 ok, 1 failure, 2 bad input or\n"
	"a model that does not fit.\n";

static const char val_usage[] =
	"usage: fleetsim validate serve [--format table|csv]\n"
	"\n"
	"Runs the serving model on every row of the calibration set compiled into the\n"
	"binary (models/calibration/serving.csv) and prints predicted against published,\n"
	"the relative error, and the median and worst absolute error over the shared\n"
	"calibration rows (set 'cal', the targets) and, separately, over the extra rows\n"
	"from the same published sources (set 'extra', also used in the fit) and over\n"
	"rows never used in the fit (set 'holdout'). Rows of set 'excluded' are listed\n"
	"with the reason they do not count.\n";

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON };
enum mode { MODE_NONE, MODE_BATCH, MODE_QPS, MODE_CAPACITY };

struct est_opts {
	const char *gpu, *model, *precision, *format, *engine;
	long tp, layers, hidden, heads, kv_heads, ffn, vocab;
	double params_b;
	bool gated;
	long input_tokens, output_tokens;
	enum mode mode;
	long batch;
	double qps;
	double ttft_slo_s, tpot_slo_s;
	long requests;
	long long seed;
	long max_num_seqs, max_batched_tokens;
	bool no_chunked, legacy_gqa;
};

/* ---- argument helpers ------------------------------------------------------------ */

static int parse_long(const char *cmd, const char *flag, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return fs_cli_usage_error(cmd, "%s '%s': expected an integer from %ld to %ld", flag, s,
					  lo, hi);
	*out = v;
	return 0;
}

static int parse_double(const char *cmd, const char *flag, const char *s, double lo, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || !(v > lo))
		return fs_cli_usage_error(cmd, "%s '%s': expected a number above %g", flag, s, lo);
	*out = v;
	return 0;
}

static int parse_format(const char *cmd, const char *s, bool json_ok, enum fmt *out)
{
	if (strcmp(s, "table") == 0)
		*out = FMT_TABLE;
	else if (strcmp(s, "csv") == 0)
		*out = FMT_CSV;
	else if (json_ok && strcmp(s, "json") == 0)
		*out = FMT_JSON;
	else
		return fs_cli_usage_error(cmd, "--format '%s': expected table, csv%s", s,
					  json_ok ? " or json" : "");
	return 0;
}

static int need_value(int i, int argc, char **argv)
{
	if (i + 1 >= argc)
		return fs_cli_usage_error(CMD_EST, "%s needs a value", argv[i]);
	return 0;
}

static int set_mode(struct est_opts *o, enum mode m, const char *flag)
{
	if (o->mode != MODE_NONE && o->mode != m)
		return fs_cli_usage_error(CMD_EST, "%s: give only one of --batch, --qps and --capacity",
					  flag);
	o->mode = m;
	return 0;
}

static int parse_est(int argc, char **argv, struct est_opts *o)
{
	int rc = 0;

	memset(o, 0, sizeof(*o));
	o->precision = "bf16";
	o->engine = "trtllm";
	o->format = "table";
	o->ttft_slo_s = 2.0;
	o->tpot_slo_s = 0.2;
	o->seed = DEFAULT_SEED;
	o->kv_heads = -1;
	o->ffn = -1;
	for (int i = 1; i < argc && !rc; i++) {
		const char *a = argv[i];
		long v;
		if (strcmp(a, "--capacity") == 0) {
			rc = set_mode(o, MODE_CAPACITY, a);
			continue;
		}
		if (strcmp(a, "--gated-ffn") == 0) {
			o->gated = true;
			continue;
		}
		if (strcmp(a, "--no-chunked-prefill") == 0) {
			o->no_chunked = true;
			continue;
		}
		if (strcmp(a, "--legacy-gqa-attention") == 0) {
			o->legacy_gqa = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0)
			return fs_cli_usage_error(CMD_EST, "unexpected argument '%s'", a);
		if ((rc = need_value(i, argc, argv)))
			return rc;
		const char *val = argv[++i];
		if (strcmp(a, "--gpu") == 0)
			o->gpu = val;
		else if (strcmp(a, "--model") == 0)
			o->model = val;
		else if (strcmp(a, "--precision") == 0)
			o->precision = val;
		else if (strcmp(a, "--format") == 0)
			o->format = val;
		else if (strcmp(a, "--engine") == 0)
			o->engine = val;
		else if (strcmp(a, "--tp") == 0)
			rc = parse_long(CMD_EST, a, val, 1, 1024, &o->tp);
		else if (strcmp(a, "--layers") == 0)
			rc = parse_long(CMD_EST, a, val, 1, 1000, &o->layers);
		else if (strcmp(a, "--hidden") == 0)
			rc = parse_long(CMD_EST, a, val, 1, 1 << 20, &o->hidden);
		else if (strcmp(a, "--heads") == 0)
			rc = parse_long(CMD_EST, a, val, 1, 4096, &o->heads);
		else if (strcmp(a, "--kv-heads") == 0)
			rc = parse_long(CMD_EST, a, val, 1, 4096, &o->kv_heads);
		else if (strcmp(a, "--ffn") == 0)
			rc = parse_long(CMD_EST, a, val, 1, 1 << 22, &o->ffn);
		else if (strcmp(a, "--vocab") == 0)
			rc = parse_long(CMD_EST, a, val, 1, 1 << 24, &o->vocab);
		else if (strcmp(a, "--params") == 0)
			rc = parse_double(CMD_EST, a, val, 0, &o->params_b);
		else if (strcmp(a, "--input-tokens") == 0)
			rc = parse_long(CMD_EST, a, val, 1, 100000000, &o->input_tokens);
		else if (strcmp(a, "--output-tokens") == 0)
			rc = parse_long(CMD_EST, a, val, 1, 100000000, &o->output_tokens);
		else if (strcmp(a, "--batch") == 0) {
			if (!(rc = set_mode(o, MODE_BATCH, a)))
				rc = parse_long(CMD_EST, a, val, 1, 1000000, &o->batch);
		} else if (strcmp(a, "--qps") == 0) {
			if (!(rc = set_mode(o, MODE_QPS, a)))
				rc = parse_double(CMD_EST, a, val, 0, &o->qps);
		} else if (strcmp(a, "--ttft-slo-s") == 0)
			rc = parse_double(CMD_EST, a, val, 0, &o->ttft_slo_s);
		else if (strcmp(a, "--tpot-slo-s") == 0)
			rc = parse_double(CMD_EST, a, val, 0, &o->tpot_slo_s);
		else if (strcmp(a, "--requests") == 0)
			rc = parse_long(CMD_EST, a, val, 1, 100000000, &o->requests);
		else if (strcmp(a, "--seed") == 0) {
			rc = parse_long(CMD_EST, a, val, 0, LONG_MAX, &v);
			o->seed = v;
		} else if (strcmp(a, "--max-num-seqs") == 0)
			rc = parse_long(CMD_EST, a, val, 1, 1000000, &o->max_num_seqs);
		else if (strcmp(a, "--max-batched-tokens") == 0)
			rc = parse_long(CMD_EST, a, val, 1, 100000000, &o->max_batched_tokens);
		else
			return fs_cli_usage_error(CMD_EST, "unknown option '%s'", a);
	}
	if (rc)
		return rc;
	if (!o->gpu)
		return fs_cli_usage_error(CMD_EST, "--gpu is required");
	if (!o->tp)
		return fs_cli_usage_error(CMD_EST, "--tp is required");
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
		return fs_cli_usage_error(CMD_EST, "one of --batch, --qps and --capacity is required");
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
				   const struct fs_gpu *gpu, enum fs_precision prec,
				   enum fs_serve_engine engine, struct est_result *r,
				   struct fs_error *e)
{
	struct fs_serve_cfg cfg = { .llm = llm, .gpu = gpu, .tp = (int)o->tp, .precision = prec,
				    .legacy_gqa_attention = o->legacy_gqa, .engine = engine };
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

/* Prints v with %.6g, or nothing when it does not apply (NaN or absent). */
static void put_num(double v, bool present)
{
	if (present && v == v && isfinite(v))
		printf("%.6g", v);
}

static void print_estimate(const struct est_opts *o, const struct fs_llm *llm,
			   const struct fs_gpu *gpu, enum fs_precision prec,
			   const struct est_result *r, enum fmt f)
{
	const struct fs_replica_stats *s = &r->st;
	bool is_batch = o->mode == MODE_BATCH, is_cap = o->mode == MODE_CAPACITY;
	double kv_gb = (double)r->model.n_kv_blocks * FS_SERVE_BLOCK_TOKENS *
		       r->model.kv_bytes_per_token / 1e9;
	double per_gpu = s->output_tokens_per_s / (double)o->tp;

	if (f == FMT_CSV) {
		printf("gpu,tp,precision,input_tokens,output_tokens,mode,batch,qps,max_concurrent_seqs,"
		       "ttft_p50_s,ttft_p99_s,tpot_p50_s,tpot_p99_s,output_tokens_per_s,"
		       "output_tokens_per_s_per_gpu,requests_per_s,capacity_qps,model,"
		       "weights_gb_per_gpu,kv_cache_gb_per_gpu,e2e_p50_s,e2e_p99_s,mean_batch_seqs,"
		       "preemptions\n");
		printf("%s,%ld,%s,%ld,%ld,%s,", gpu->name, o->tp, fs_precision_name(prec),
		       o->input_tokens, o->output_tokens, mode_name(o->mode));
		if (is_batch)
			printf("%ld", o->batch);
		putchar(',');
		put_num(r->qps, !is_batch);
		printf(",%ld,", r->max_concurrent);
		put_num(s->ttft_p50_s, true);
		putchar(',');
		put_num(s->ttft_p99_s, true);
		putchar(',');
		put_num(s->tpot_p50_s, true);
		putchar(',');
		put_num(s->tpot_p99_s, true);
		printf(",%.6g,%.6g,%.6g,", s->output_tokens_per_s, per_gpu, s->requests_per_s);
		put_num(r->capacity_qps, is_cap);
		printf(",%s,%.4g,%.4g,", llm->name, r->model.weight_bytes / 1e9, kv_gb);
		put_num(s->e2e_p50_s, true);
		putchar(',');
		put_num(s->e2e_p99_s, true);
		printf(",%.4g,%ld\n", s->mean_batch_seqs, s->n_preemptions);
		return;
	}
	if (f == FMT_JSON) {
		printf("{\"gpu\": \"%s\", \"tp\": %ld, \"precision\": \"%s\", \"model\": \"%s\", "
		       "\"input_tokens\": %ld, \"output_tokens\": %ld, \"mode\": \"%s\", ",
		       gpu->name, o->tp, fs_precision_name(prec), llm->name, o->input_tokens,
		       o->output_tokens, mode_name(o->mode));
		if (is_batch)
			printf("\"batch\": %ld, \"qps\": null, ", o->batch);
		else
			printf("\"batch\": null, \"qps\": %.6g, ", r->qps);
		printf("\"max_concurrent_seqs\": %ld, \"ttft_p50_s\": %.6g, \"ttft_p99_s\": %.6g, ",
		       r->max_concurrent, s->ttft_p50_s, s->ttft_p99_s);
		if (s->tpot_p50_s == s->tpot_p50_s)
			printf("\"tpot_p50_s\": %.6g, \"tpot_p99_s\": %.6g, ", s->tpot_p50_s, s->tpot_p99_s);
		else
			printf("\"tpot_p50_s\": null, \"tpot_p99_s\": null, ");
		printf("\"output_tokens_per_s\": %.6g, \"output_tokens_per_s_per_gpu\": %.6g, "
		       "\"requests_per_s\": %.6g, ", s->output_tokens_per_s, per_gpu, s->requests_per_s);
		if (is_cap)
			printf("\"capacity_qps\": %.6g, ", r->capacity_qps);
		else
			printf("\"capacity_qps\": null, ");
		printf("\"weights_gb_per_gpu\": %.4g, \"kv_cache_gb_per_gpu\": %.4g, "
		       "\"e2e_p50_s\": %.6g, \"e2e_p99_s\": %.6g, \"mean_batch_seqs\": %.4g, "
		       "\"preemptions\": %ld}\n", r->model.weight_bytes / 1e9, kv_gb, s->e2e_p50_s,
		       s->e2e_p99_s, s->mean_batch_seqs, s->n_preemptions);
		return;
	}
	printf("replica          %s on %ld x %s, %s, %s engine\n", llm->name, o->tp, gpu->name,
	       fs_precision_name(prec), fs_serve_engine_name(r->model.cfg.engine));
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

/* Fills a custom model from the shape flags. */
static void custom_llm(const struct est_opts *o, struct fs_llm *m)
{
	double tot, act;

	memset(m, 0, sizeof(*m));
	fs_strlcpy(m->name, "custom", sizeof(m->name));
	m->n_layers = (int)o->layers;
	m->hidden = (int)o->hidden;
	m->n_heads = (int)o->heads;
	m->n_kv_heads = o->kv_heads > 0 ? (int)o->kv_heads : (int)o->heads;
	m->gated_ffn = o->gated;
	m->ffn = o->ffn > 0 ? (int)o->ffn : 4 * (int)o->hidden;
	m->vocab = (int)o->vocab;
	m->n_experts = 1;
	m->n_experts_active = 1;
	m->max_seq = 1 << 20;
	fs_llm_params_from_shape(m, &tot, &act);
	m->params_b = o->params_b > 0 ? o->params_b : tot;
	m->active_params_b = m->params_b;
}

int fs_cli_estimate_serve(int argc, char **argv)
{
	struct est_opts o;
	struct fs_catalog cat;
	struct fs_error e;
	struct fs_llm custom;
	const struct fs_llm *llm;
	const struct fs_gpu *gpu;
	enum fs_precision prec;
	enum fs_serve_engine engine;
	struct est_result r;
	enum fmt f = FMT_TABLE;
	int rc;

	if (fs_cli_wants_help(argc, argv)) {
		fputs(est_usage, stdout);
		return 0;
	}
	if ((rc = parse_est(argc, argv, &o)))
		return rc;
	if ((rc = parse_format(CMD_EST, o.format, true, &f)))
		return rc;
	if (fs_precision_parse(o.precision, &prec) || prec == FS_PREC_FP32 || prec == FS_PREC_TF32)
		return fs_cli_usage_error(CMD_EST, "--precision '%s': expected fp16, bf16, fp8, int8 or int4",
					  o.precision);
	if (fs_serve_engine_parse(o.engine, &engine))
		return fs_cli_usage_error(CMD_EST, "--engine '%s': expected trtllm or vllm", o.engine);
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
	if (run_estimate(&o, llm, gpu, prec, engine, &r, &e)) {
		rc = fs_cli_report(&e);
		goto out;
	}
	print_estimate(&o, llm, gpu, prec, &r, f);
out:
	fs_catalog_fini(&cat);
	return rc;
}

/* ---- validate ---------------------------------------------------------------------- */

#define MAX_ROWS 256
#define MAX_FIELDS 40

/* Calibration row, as far as the validator needs it. */
struct vrow {
	char id[96], model[64], gpu[64], precision[16], mode[16], metric[48], unit[24];
	char input_dist[64], output_dist[64], note[256], engine[96], set[16];
	long tp, batch, n_requests, input_len, output_len, max_num_seqs, max_batched_tokens;
	bool chunked, legacy_gqa, in_stats;
	double value;
	/* results */
	bool simulated;
	double predicted, err;
	char why[256];
};

static const char *field(char **f, int nf, char *const *hdr, int nh, const char *name)
{
	int c = fs_csv_col(hdr, nh, name);

	return c >= 0 && c < nf ? f[c] : "";
}

/* "fixed N", "lognormal MEDIAN SIGMA LO HI", or "" (then fixed fallback). */
static bool parse_dist(const char *s, long fallback, struct fs_dist *d)
{
	double a, b, lo, hi;

	memset(d, 0, sizeof(*d));
	if (!*s) {
		d->kind = FS_DIST_FIXED;
		d->a = (double)fallback;
		return fallback > 0;
	}
	if (sscanf(s, "lognormal %lf %lf %lf %lf", &a, &b, &lo, &hi) == 4) {
		d->kind = FS_DIST_LOGNORMAL;
		d->a = a;
		d->b = b;
		d->lo = lo;
		d->hi = hi;
		return a > 0 && b >= 0 && hi > lo;
	}
	if (sscanf(s, "fixed %lf", &a) == 1) {
		d->kind = FS_DIST_FIXED;
		d->a = a;
		return a >= 1;
	}
	return false;
}

static long to_long(const char *s)
{
	return *s ? strtol(s, NULL, 10) : 0;
}

static int load_rows(struct vrow *rows, int *n_rows, struct fs_error *e)
{
	static char buf[8192], hbuf[8192];
	char *f[MAX_FIELDS], *h[MAX_FIELDS];
	const char *cur = fs_builtin_serving_csv;
	int nh, nf, line = 1;

	*n_rows = 0;
	nh = fs_csv_next(&cur, hbuf, sizeof(hbuf), h, MAX_FIELDS, &line);
	if (nh < 1 || fs_csv_col(h, nh, "metric") < 0 || fs_csv_col(h, nh, "value") < 0)
		return fs_error_set(e, FS_ERR_INPUT, fs_builtin_serving_csv_path, 1, NULL,
				    "calibration set has no metric/value header");
	for (;;) {
		int at = line + 1;
		struct vrow *r;
		nf = fs_csv_next(&cur, buf, sizeof(buf), f, MAX_FIELDS, &line);
		if (nf == 0)
			break;
		if (nf < 0)
			return fs_error_set(e, FS_ERR_INPUT, fs_builtin_serving_csv_path, at, NULL,
					    "record too long");
		if (nf == 1 && f[0][0] == '\0')
			continue;
		if (*n_rows >= MAX_ROWS)
			return fs_error_set(e, FS_ERR_INPUT, fs_builtin_serving_csv_path, at, NULL,
					    "more than %d rows", MAX_ROWS);
		r = &rows[(*n_rows)++];
		memset(r, 0, sizeof(*r));
		fs_strlcpy(r->id, field(f, nf, h, nh, "id"), sizeof(r->id));
		fs_strlcpy(r->model, field(f, nf, h, nh, "fleetsim_model"), sizeof(r->model));
		fs_strlcpy(r->gpu, field(f, nf, h, nh, "fleetsim_gpu"), sizeof(r->gpu));
		fs_strlcpy(r->precision, field(f, nf, h, nh, "precision"), sizeof(r->precision));
		fs_strlcpy(r->mode, field(f, nf, h, nh, "mode"), sizeof(r->mode));
		fs_strlcpy(r->metric, field(f, nf, h, nh, "metric"), sizeof(r->metric));
		fs_strlcpy(r->unit, field(f, nf, h, nh, "unit"), sizeof(r->unit));
		fs_strlcpy(r->input_dist, field(f, nf, h, nh, "input_dist"), sizeof(r->input_dist));
		fs_strlcpy(r->output_dist, field(f, nf, h, nh, "output_dist"), sizeof(r->output_dist));
		fs_strlcpy(r->note, field(f, nf, h, nh, "stats_note"), sizeof(r->note));
		fs_strlcpy(r->engine, field(f, nf, h, nh, "engine"), sizeof(r->engine));
		fs_strlcpy(r->set, field(f, nf, h, nh, "set"), sizeof(r->set));
		r->tp = to_long(field(f, nf, h, nh, "tp"));
		r->batch = to_long(field(f, nf, h, nh, "batch"));
		r->n_requests = to_long(field(f, nf, h, nh, "n_requests"));
		r->input_len = to_long(field(f, nf, h, nh, "input_len"));
		r->output_len = to_long(field(f, nf, h, nh, "output_len"));
		r->max_num_seqs = to_long(field(f, nf, h, nh, "max_num_seqs"));
		r->max_batched_tokens = to_long(field(f, nf, h, nh, "max_batched_tokens"));
		r->chunked = to_long(field(f, nf, h, nh, "chunked_prefill")) != 0;
		r->legacy_gqa = to_long(field(f, nf, h, nh, "legacy_gqa_attention")) != 0;
		r->in_stats = strcmp(r->set, "cal") == 0;
		r->value = strtod(field(f, nf, h, nh, "value"), NULL);
	}
	return FS_OK;
}

/* Metric of a run in the row's unit. false when the metric is not modelled. */
static bool metric_of(const struct vrow *r, const struct fs_replica_stats *s, double *out)
{
	double scale = strstr(r->unit, "ms") ? 1e3 : 1.0;
	bool per_gpu = strstr(r->unit, "/GPU") != NULL;

	if (strcmp(r->metric, "throughput_output_tokens") == 0)
		*out = s->output_tokens_per_s / (per_gpu ? (double)r->tp : 1.0);
	else if (strcmp(r->metric, "throughput_total_tokens") == 0)
		*out = s->total_tokens_per_s / (per_gpu ? (double)r->tp : 1.0);
	else if (strcmp(r->metric, "throughput_requests") == 0)
		*out = s->requests_per_s;
	else if (strcmp(r->metric, "ttft") == 0 || strcmp(r->metric, "prefill_latency") == 0)
		*out = s->ttft_p50_s * scale;
	else if (strcmp(r->metric, "ttft_mean") == 0)
		*out = s->ttft_mean_s * scale;
	else if (strcmp(r->metric, "tpot_mean") == 0)
		*out = s->tpot_mean_s * scale;
	else
		return false;
	return true;
}

static void simulate_row(const struct fs_catalog *cat, struct fs_replica_ws *ws, struct vrow *r)
{
	struct fs_serve_cfg cfg;
	struct fs_serve_model m;
	struct fs_replica_sched s;
	struct fs_replica_workload w;
	struct fs_replica_stats st;
	struct fs_error e;
	enum fs_precision prec;
	long per_seq;

	fs_error_clear(&e);
	memset(&cfg, 0, sizeof(cfg));
	memset(&w, 0, sizeof(w));
	if (strcmp(r->mode, "batch") != 0 && strcmp(r->mode, "burst") != 0) {
		snprintf(r->why, sizeof(r->why), "not simulated (mode '%s')", r->mode);
		return;
	}
	cfg.llm = fs_catalog_llm(cat, r->model);
	cfg.gpu = fs_catalog_gpu(cat, r->gpu);
	if (!cfg.llm || !cfg.gpu || fs_precision_parse(r->precision, &prec)) {
		snprintf(r->why, sizeof(r->why), "unknown model, GPU or precision");
		return;
	}
	cfg.tp = (int)r->tp;
	cfg.precision = prec;
	cfg.legacy_gqa_attention = r->legacy_gqa;
	/* Python-served stacks (vLLM, SGLang) pay host time per sequence; compiled runtimes do not. */
	cfg.engine = strncmp(r->engine, "vLLM", 4) == 0 || strncmp(r->engine, "SGLang", 6) == 0
			     ? FS_ENGINE_VLLM
			     : FS_ENGINE_TRTLLM;
	if (fs_serve_model_init(&m, &cfg, &e)) {
		fs_strlcpy(r->why, e.msg, sizeof(r->why));
		return;
	}
	if (!parse_dist(r->input_dist, r->input_len, &w.input_tokens) ||
	    !parse_dist(r->output_dist, r->output_len, &w.output_tokens)) {
		snprintf(r->why, sizeof(r->why), "bad length columns");
		return;
	}
	w.seed = DEFAULT_SEED;
	memset(&s, 0, sizeof(s));
	if (strcmp(r->mode, "batch") == 0) {
		long fit;
		per_seq = r->input_len + r->output_len;
		fit = fs_serve_max_seqs(&m, per_seq);
		if (fit < 1) {
			fs_serve_check_fits(&m, per_seq, &e);
			fs_strlcpy(r->why, e.msg, sizeof(r->why));
			return;
		}
		w.arrival = FS_ARRIVAL_CLOSED;
		w.concurrency = (int)(r->batch < fit ? r->batch : fit);
		w.n_requests = r->n_requests > 0 ? r->n_requests : w.concurrency;
		s.max_num_seqs = w.concurrency;
	} else {
		w.arrival = FS_ARRIVAL_BURST;
		w.n_requests = r->n_requests;
		s.max_num_seqs = (int)r->max_num_seqs;
		s.max_batched_tokens = r->max_batched_tokens;
		s.chunked_prefill = r->chunked;
		s.prefix_caching = cfg.engine == FS_ENGINE_VLLM; /* V1 default */
	}
	if (fs_replica_run(ws, &m, &s, &w, &st, &e)) {
		fs_strlcpy(r->why, e.msg, sizeof(r->why));
		return;
	}
	if (!metric_of(r, &st, &r->predicted)) {
		snprintf(r->why, sizeof(r->why), "metric '%s' not modelled", r->metric);
		return;
	}
	r->simulated = true;
	r->err = (r->predicted - r->value) / r->value;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median and worst |error| over the simulated rows of one set; worst row index in *worst. */
static int set_stats(const struct vrow *rows, int n_rows, const char *set, double *median,
		     double *worst_err, int *worst)
{
	double errs[MAX_ROWS];
	int n = 0;

	*worst = -1;
	*median = *worst_err = NAN;
	for (int i = 0; i < n_rows; i++) {
		if (strcmp(rows[i].set, set) != 0 || !rows[i].simulated)
			continue;
		errs[n++] = fabs(rows[i].err);
		if (*worst < 0 || fabs(rows[i].err) > fabs(rows[*worst].err))
			*worst = i;
	}
	if (n > 0) {
		qsort(errs, (size_t)n, sizeof(errs[0]), cmp_double);
		*median = n % 2 ? errs[n / 2] : 0.5 * (errs[n / 2 - 1] + errs[n / 2]);
		*worst_err = errs[n - 1];
	}
	return n;
}

static void print_summary_line(const char *what, int n, double median, double worst_err,
			       const struct vrow *w)
{
	printf("%s: %d rows, median |error| %.1f%%, worst %.1f%% (%s)\n", what, n, 100.0 * median,
	       100.0 * worst_err, w ? w->id : "-");
}

int fs_cli_validate_serve(int argc, char **argv)
{
	static struct vrow rows[MAX_ROWS];
	struct fs_catalog cat;
	struct fs_replica_ws *ws = NULL;
	struct fs_error e;
	enum fmt f = FMT_TABLE;
	int n_rows = 0, rc, n_cal, n_extra, n_hold, w_cal, w_extra, w_hold;
	double med_cal, worst_cal, med_extra, worst_extra, med_hold, worst_hold;

	if (fs_cli_wants_help(argc, argv)) {
		fputs(val_usage, stdout);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			if ((rc = parse_format(CMD_VAL, argv[++i], false, &f)))
				return rc;
		} else {
			return fs_cli_usage_error(CMD_VAL, "unexpected argument '%s'", argv[i]);
		}
	}
	fs_error_clear(&e);
	if (load_rows(rows, &n_rows, &e))
		return fs_cli_report(&e);
	if (fs_catalog_load_builtin(&cat, &e))
		return fs_cli_report(&e);
	if (fs_replica_ws_create(&ws, 1024)) {
		fs_catalog_fini(&cat);
		fs_error_set(&e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		return fs_cli_report(&e);
	}
	for (int i = 0; i < n_rows; i++)
		simulate_row(&cat, ws, &rows[i]);
	fs_replica_ws_destroy(ws);
	fs_catalog_fini(&cat);
	n_cal = set_stats(rows, n_rows, "cal", &med_cal, &worst_cal, &w_cal);
	n_extra = set_stats(rows, n_rows, "extra", &med_extra, &worst_extra, &w_extra);
	n_hold = set_stats(rows, n_rows, "holdout", &med_hold, &worst_hold, &w_hold);

	if (f == FMT_CSV) {
		printf("id,set,metric,unit,published,predicted,rel_error,in_stats,note\n");
		for (int i = 0; i < n_rows; i++) {
			struct vrow *r = &rows[i];
			printf("%s,%s,%s,%s,%.6g,", r->id, r->set, r->metric, r->unit, r->value);
			if (r->simulated)
				printf("%.6g,%.4f", r->predicted, r->err);
			else
				putchar(',');
			printf(",%d,\"%s\"\n", r->in_stats ? 1 : 0, r->simulated ? r->note : r->why);
		}
		printf("summary_cal,,median_abs_rel_error,,%d,,%.4f,1,\n", n_cal, med_cal);
		printf("summary_cal,,worst_abs_rel_error,,%d,,%.4f,1,\"%s\"\n", n_cal, worst_cal,
		       w_cal >= 0 ? rows[w_cal].id : "");
		printf("summary_extra,,median_abs_rel_error,,%d,,%.4f,0,\n", n_extra, med_extra);
		printf("summary_extra,,worst_abs_rel_error,,%d,,%.4f,0,\"%s\"\n", n_extra, worst_extra,
		       w_extra >= 0 ? rows[w_extra].id : "");
		printf("summary_holdout,,median_abs_rel_error,,%d,,%.4f,0,\n", n_hold, med_hold);
		printf("summary_holdout,,worst_abs_rel_error,,%d,,%.4f,0,\"%s\"\n", n_hold, worst_hold,
		       w_hold >= 0 ? rows[w_hold].id : "");
		return 0;
	}
	printf("%-44s %-6s %-25s %11s %11s %8s\n", "row", "set", "metric", "published", "predicted",
	       "error");
	for (int i = 0; i < n_rows; i++) {
		struct vrow *r = &rows[i];
		if (strcmp(r->set, "excluded") == 0)
			continue;
		if (r->simulated)
			printf("%-44s %-6s %-25s %11.5g %11.5g %+7.1f%%\n", r->id, r->set, r->metric,
			       r->value, r->predicted, 100.0 * r->err);
		else
			printf("%-44s %-6s %-25s %11.5g %11s   %s\n", r->id, r->set, r->metric, r->value,
			       "-", r->why);
	}
	printf("\n");
	print_summary_line("calibration set (shared rows, the targets)", n_cal, med_cal, worst_cal,
			   w_cal >= 0 ? &rows[w_cal] : NULL);
	printf("  rows above 15%%:");
	for (int i = 0, k = 0; i < n_rows; i++)
		if (rows[i].in_stats && rows[i].simulated && fabs(rows[i].err) > 0.15)
			printf("%s %s (%+.0f%%)", k++ ? "," : "", rows[i].id, 100.0 * rows[i].err);
	printf("\n");
	print_summary_line("extra published rows (same sources, used in the fit)", n_extra, med_extra,
			   worst_extra, w_extra >= 0 ? &rows[w_extra] : NULL);
	print_summary_line("holdout rows (never used in the fit)", n_hold, med_hold, worst_hold,
			   w_hold >= 0 ? &rows[w_hold] : NULL);
	printf("\nexcluded from the statistics:\n");
	for (int i = 0; i < n_rows; i++) {
		struct vrow *r = &rows[i];
		if (strcmp(r->set, "excluded") != 0)
			continue;
		if (r->simulated)
			printf("  %-42s %11.5g published, %11.5g predicted (%+.1f%%)\n    %s\n", r->id,
			       r->value, r->predicted, 100.0 * r->err, r->note);
		else
			printf("  %-42s %s\n", r->id, r->note[0] ? r->note : r->why);
	}
	return 0;
}
