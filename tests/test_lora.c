/*
 * test_lora.c - LoRA and QLoRA as training methods (models/train.c [11],
 * docs/models/training.md [11]): adapter counts and memory by hand, the
 * missing weight gradients, the published fits, the CLI, the scenario keys
 * and the calibration columns. Expected values are hand calculations,
 * invariants or published claims; each test says which.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/run.h"
#include "fleetsim/scenario.h"
#include "fleetsim/train.h"
#include "testutil.h"

static void assert_rel(double got, double want, double tol)
{
	if (fabs(got - want) > tol * fabs(want))
		fail_msg("got %.9g, want %.9g (relative tolerance %.3g)", got, want, tol);
}

/* A request on one catalog model with a fully fixed single-replica plan. */
static void request(struct fs_train_request *rq, const char *g, const char *m, int n, int seq,
		    enum fs_train_method meth)
{
	fs_train_request_init(rq);
	rq->gpu = tu_gpu(g);
	rq->model = tu_llm(m);
	rq->n_gpus = n;
	rq->seq_len = seq;
	rq->method = meth;
	rq->plan.tp = 1;
	rq->plan.pp = 1;
	rq->plan.micro_batch = 1;
	rq->plan.global_batch = n;
	rq->plan.recompute = FS_RECOMPUTE_NONE;
	rq->plan.zero = 0;
}

/*
 * A small grouped-query, gated model: h 64, 4 heads of 16, 2 KV heads
 * (kv dim 32), ffn 128, 2 layers, rank 8. Per layer, r (K + N):
 *   q 64+64 = 128, k 64+32 = 96, v 96, o 128,
 *   MLP gate 64+128 = 192, up 192, down 128+64 = 192.
 * all: 8 * 1024 * 2 = 16384; attention: 8 * 448 * 2 = 7168;
 * qv: 8 * 224 * 2 = 3584.
 */
static void test_lora_adapter_params_by_hand(void **state)
{
	struct fs_llm m;

	(void)state;
	memset(&m, 0, sizeof(m));
	strcpy(m.name, "tiny");
	m.n_layers = 2;
	m.hidden = 64;
	m.n_heads = 4;
	m.n_kv_heads = 2;
	m.ffn = 128;
	m.vocab = 1000;
	m.gated_ffn = true;
	m.n_experts = 1;
	m.n_experts_active = 1;
	assert_rel(fs_train_adapter_params(&m, 8, FS_LORA_ALL), 16384.0, 0);
	assert_rel(fs_train_adapter_params(&m, 8, FS_LORA_ATTENTION), 7168.0, 0);
	assert_rel(fs_train_adapter_params(&m, 8, FS_LORA_QV), 3584.0, 0);
	/* linear in the rank */
	assert_rel(fs_train_adapter_params(&m, 16, FS_LORA_ALL), 32768.0, 0);
}

/*
 * Llama-2-7B (h 4096, MHA, ffn 11008, gated, 32 layers), rank 16 on all
 * linears: per layer 4 * (4096 + 4096) + 3 * (4096 + 11008) = 78080,
 * x 16 x 32 = 39,976,960 adapter parameters.
 */
#define LLAMA2_7B_ADAPTERS_R16 39976960.0

/*
 * Memory of a LoRA plan on one GPU (tp = pp = dp = 1, ZeRO 0) by hand: the
 * frozen base in bf16 (2 bytes x (6.74e9 catalog parameters + the 2 h L
 * layer-norm weights the per-layer count adds)), the adapters with bf16
 * weights (2), bf16 gradients (2) and fp32 master + Adam m, v (12).
 */
static void test_lora_memory_by_hand(void **state)
{
	struct fs_train_request rq;
	struct fs_train_result r;
	struct fs_error e;
	const struct fs_llm *m = tu_llm("Llama-2-7B");
	double base = m->params_b * 1e9 + 2.0 * m->hidden * m->n_layers;
	double A = LLAMA2_7B_ADAPTERS_R16;

	(void)state;
	request(&rq, "H100", "Llama-2-7B", 1, 4096, FS_METHOD_LORA);
	assert_int_equal(fs_train_evaluate(&rq, &r, &e), FS_OK);
	assert_rel(r.adapter_params, A, 0);
	assert_rel(r.mem.weights_gb, (2.0 * base + 2.0 * A) / 1e9, 1e-12);
	assert_rel(r.mem.grads_gb, 2.0 * A / 1e9, 1e-12);
	assert_rel(r.mem.optimizer_gb, 12.0 * A / 1e9, 1e-12);

	/* the full fine-tune of the same plan: 2 + 2 + 12 bytes per parameter */
	rq.method = FS_METHOD_FULL;
	assert_int_equal(fs_train_evaluate(&rq, &r, &e), FS_OK);
	assert_rel(r.mem.weights_gb + r.mem.grads_gb + r.mem.optimizer_gb, 16.0 * base / 1e9, 1e-12);
	assert_rel(r.adapter_params, 0.0, 0);
}

/*
 * QLoRA weights by hand: the layer linears (all parameters but the two
 * V x h embedding matrices and the norms) at 4.127 bits (NF4 + double
 * quantisation, Dettmers et al. 2023 section 3: 4 + 8/64 + 32/(64*256)),
 * embeddings, output layer and norms in bf16, adapters in bf16. About 0.52
 * bytes per parameter in all.
 */
static void test_qlora_weight_bytes(void **state)
{
	struct fs_train_request rq;
	struct fs_train_result r;
	struct fs_error e;
	const struct fs_llm *m = tu_llm("Llama-2-7B");
	double emb = 2.0 * (double)m->vocab * m->hidden, norms = 2.0 * m->hidden * m->n_layers;
	double lin = m->params_b * 1e9 - emb;
	double bits = 4.0 + 8.0 / 64.0 + 32.0 / (64.0 * 256.0);
	double want = lin * bits / 8.0 + 2.0 * (emb + norms) + 2.0 * LLAMA2_7B_ADAPTERS_R16;

	(void)state;
	request(&rq, "H100", "Llama-2-7B", 1, 4096, FS_METHOD_QLORA);
	assert_int_equal(fs_train_evaluate(&rq, &r, &e), FS_OK);
	assert_rel(r.mem.weights_gb, want / 1e9, 1e-12);
	/* ~0.5 byte per parameter plus the small overhead */
	assert_true(r.mem.weights_gb * 1e9 / (m->params_b * 1e9) > 0.5);
	assert_true(r.mem.weights_gb * 1e9 / (m->params_b * 1e9) < 0.6);
	/* gradients and optimizer as for lora */
	assert_rel(r.mem.optimizer_gb, 12.0 * LLAMA2_7B_ADAPTERS_R16 / 1e9, 1e-12);
	/* qlora computes in bf16/fp16 only */
	rq.precision = FS_PREC_FP8;
	assert_int_equal(fs_train_evaluate(&rq, &r, &e), FS_ERR_INPUT);
	assert_string_equal(e.key, "precision");
}

/*
 * No weight-gradient products: with the fewest adapters (rank 1 on q and v)
 * a LoRA step's matrix-multiply time is the forward plus the data gradient,
 * about 2/3 of full's forward + data gradient + weight gradient (fwd:bwd
 * 1:1 instead of 1:2); hardware FLOPs per token lose exactly 2N and gain 6A.
 */
static void test_lora_no_wgrad(void **state)
{
	struct fs_train_request rq;
	struct fs_train_result full, lora;
	struct fs_error e;
	const struct fs_llm *m = tu_llm("Llama-2-7B");
	double n = fs_train_matmul_params(m);
	double a = fs_train_adapter_params(m, 1, FS_LORA_QV);

	(void)state;
	request(&rq, "H100", "Llama-2-7B", 1, 4096, FS_METHOD_FULL);
	assert_int_equal(fs_train_evaluate(&rq, &full, &e), FS_OK);
	rq.method = FS_METHOD_LORA;
	rq.lora_rank = 1;
	rq.lora_targets = FS_LORA_QV;
	assert_int_equal(fs_train_evaluate(&rq, &lora, &e), FS_OK);
	assert_true(lora.time.gemm_s < full.time.gemm_s);
	/* 2/3 within 3%: the weight-gradient product moves 8KN bytes more than a
	 * data-gradient product, and the rank-1 adapters cost a little */
	assert_rel(lora.time.gemm_s / full.time.gemm_s, 2.0 / 3.0, 0.03);
	/* attention and element-wise work are not weights: unchanged */
	assert_rel(lora.time.attention_s, full.time.attention_s, 1e-12);
	assert_rel(lora.hw_flops_per_token, full.hw_flops_per_token - 2.0 * n + 6.0 * a, 1e-12);
	assert_rel(lora.useful_flops_per_token, full.model_flops_per_token - 2.0 * n + 6.0 * a, 1e-12);
	/* MFU keeps the conventional 6N count; useful MFU the method's own */
	assert_rel(lora.model_flops_per_token, full.model_flops_per_token, 0);
	assert_true(lora.useful_mfu < lora.mfu);
	assert_rel(full.useful_mfu, full.mfu, 0);
	/* only the adapters are reduced and updated */
	assert_true(lora.time.optimizer_s < 1e-3 * full.time.optimizer_s);
}

/*
 * The case that motivated the methods: a 70B fine-tune on 8 x 80 GB. Full
 * needs ~16 bytes per parameter (~140 GB per GPU before activations) and
 * does not fit; LoRA keeps 2 bytes per frozen parameter and fits on A100
 * and H100 (MLPerf Training's Llama 2 70B LoRA benchmark runs on 8 GPUs).
 */
static void test_lora_70b_fits_on_8x80gb(void **state)
{
	static const char *const gpus[] = { "A100-SXM4-80GB", "H100-SXM5-80GB" };
	struct fs_train_request rq;
	struct fs_train_result r;
	struct fs_error e;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		fs_train_request_init(&rq);
		rq.gpu = tu_gpu(gpus[i]);
		rq.model = tu_llm("Llama-2-70B");
		rq.n_gpus = 8;
		rq.seq_len = 4096;
		assert_int_equal(fs_train_plan_best(NULL, &rq, &r, &e), FS_ERR_INFEASIBLE);
		assert_true(r.mem.total_gb > 80.0);
		rq.method = FS_METHOD_LORA;
		assert_int_equal(fs_train_plan_best(NULL, &rq, &r, &e), FS_OK);
		assert_true(r.fits);
		assert_true(r.mem.total_gb <= 80.0);
		assert_int_equal(r.method, FS_METHOD_LORA);
	}
}

/*
 * QLoRA's published claim (Dettmers et al. 2023, abstract): a 65B model is
 * fine-tuned on a single 48 GB GPU. On a 48 GB variant of the A100 record,
 * LLaMA-65B at sequence 512 fits with qlora, not with lora (130 GB of bf16
 * weights) nor full.
 */
static void test_qlora_65b_on_one_48gb_gpu(void **state)
{
	struct fs_gpu g48 = *tu_gpu("A100-SXM4-80GB");
	struct fs_train_request rq;
	struct fs_train_result r;
	struct fs_error e;

	(void)state;
	g48.mem_gb = 48.0;
	fs_train_request_init(&rq);
	rq.gpu = &g48;
	rq.model = tu_llm("LLaMA-65B");
	rq.n_gpus = 1;
	rq.seq_len = 512;
	rq.method = FS_METHOD_QLORA;
	assert_int_equal(fs_train_plan_best(NULL, &rq, &r, &e), FS_OK);
	assert_true(r.mem.total_gb <= 48.0);
	rq.method = FS_METHOD_LORA;
	assert_int_equal(fs_train_plan_best(NULL, &rq, &r, &e), FS_ERR_INFEASIBLE);
	rq.method = FS_METHOD_FULL;
	assert_int_equal(fs_train_plan_best(NULL, &rq, &r, &e), FS_ERR_INFEASIBLE);
}

/*
 * Hu et al. 2021 (arXiv 2106.09685, section 4.2): LoRA (rank 4 on q and v)
 * trains GPT-3 175B 25% faster than full fine-tuning. Same plan for both
 * (tp 8, pp 8 on 64 A100s, no recompute). The model gives 1.39, 11% above
 * the published 1.25; the ratio is taken within 15% (the paper's hardware,
 * layout and software are not published: a recompute or communication-bound
 * setup would dilute the saving).
 */
static void test_lora_speedup_gpt3(void **state)
{
	struct fs_train_request rq;
	struct fs_train_result full, lora;
	struct fs_error e;

	(void)state;
	request(&rq, "A100-SXM4-80GB", "GPT-3-175B", 64, 2048, FS_METHOD_FULL);
	rq.plan.tp = 8;
	rq.plan.pp = 8;
	rq.plan.global_batch = 64;
	assert_int_equal(fs_train_evaluate(&rq, &full, &e), FS_OK);
	rq.method = FS_METHOD_LORA;
	rq.lora_rank = 4;
	rq.lora_targets = FS_LORA_QV;
	assert_int_equal(fs_train_evaluate(&rq, &lora, &e), FS_OK);
	assert_rel(lora.tokens_per_s / full.tokens_per_s, 1.25, 0.15);
}

/* The memo keys on method, rank and targets: one memo, different answers. */
static void test_lora_memo_key(void **state)
{
	struct fs_train_memo *memo;
	struct fs_train_request rq;
	struct fs_train_result a, b, c, d;
	struct fs_error e;

	(void)state;
	assert_int_equal(fs_train_memo_create(&memo, 64), FS_OK);
	fs_train_request_init(&rq);
	rq.gpu = tu_gpu("H100");
	rq.model = tu_llm("Llama-2-7B");
	rq.n_gpus = 8;
	rq.seq_len = 4096;
	assert_int_equal(fs_train_plan_best(memo, &rq, &a, &e), FS_OK);
	rq.method = FS_METHOD_LORA;
	assert_int_equal(fs_train_plan_best(memo, &rq, &b, &e), FS_OK);
	rq.lora_rank = 64;
	assert_int_equal(fs_train_plan_best(memo, &rq, &c, &e), FS_OK);
	rq.lora_targets = FS_LORA_QV;
	assert_int_equal(fs_train_plan_best(memo, &rq, &d, &e), FS_OK);
	assert_true(a.tokens_per_s != b.tokens_per_s);
	assert_rel(c.adapter_params, 4.0 * b.adapter_params, 1e-12);
	assert_true(d.adapter_params < c.adapter_params);
	/* and the cached answers are the computed ones */
	rq.lora_targets = FS_LORA_ALL;
	rq.lora_rank = FS_TRAIN_DEFAULT_LORA_RANK;
	assert_int_equal(fs_train_plan_best(memo, &rq, &c, &e), FS_OK);
	assert_memory_equal(&b, &c, sizeof(b));
	fs_train_memo_destroy(memo);

	/* bad rank for a frozen method */
	rq.lora_rank = 0;
	assert_int_equal(fs_train_plan_best(NULL, &rq, &a, &e), FS_ERR_INPUT);
	assert_string_equal(e.key, "lora_rank");
}

static void test_lora_cli(void **state)
{
	char out[8192];

	(void)state;
	assert_int_equal(tu_fleetsim("estimate train --gpu H100 --gpus 8 --model Llama-2-70B --seq 4096",
				     out, sizeof(out)), 2);
	assert_non_null(strstr(out, "does not fit"));
	assert_int_equal(tu_fleetsim("estimate train --gpu H100 --gpus 8 --model Llama-2-70B --seq 4096 "
				     "--method lora", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "lora, rank 16"));
	assert_non_null(strstr(out, "adapter parameters"));
	assert_int_equal(tu_fleetsim("estimate train --gpu H100 --gpus 8 --model Llama-2-7B --seq 4096 "
				     "--method qlora --lora-rank 64 --lora-targets qv --format json",
				     out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\"method\": \"qlora\""));
	assert_non_null(strstr(out, "\"lora_rank\": 64"));
	assert_non_null(strstr(out, "\"lora_targets\": \"qv\""));
	/* bad values: the option named, exit 2 */
	assert_int_equal(tu_fleetsim("estimate train --gpu H100 --gpus 8 --model Llama-2-7B --seq 4096 "
				     "--method lorra", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "--method"));
	assert_int_equal(tu_fleetsim("estimate train --gpu H100 --gpus 8 --model Llama-2-7B --seq 4096 "
				     "--method lora --lora-rank 0", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "--lora-rank"));
	assert_int_equal(tu_fleetsim("estimate train --gpu H100 --gpus 8 --model Llama-2-7B --seq 4096 "
				     "--lora-rank 8", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "--method lora"));
	assert_int_equal(tu_fleetsim("estimate train --gpu H100 --gpus 8 --model Llama-2-7B --seq 4096 "
				     "--method qlora --precision fp8", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "precision"));
}

/* A fleet of one 8-GPU H100 node; JOB and STREAM filled in by scen(). */
static const char scen_text[] =
	"name = \"lora\";\n"                                                         /* 1 */
	"horizon_days = 60.0;\n"                                                     /* 2 */
	"fleets = ( { name = \"one\"; gpu = \"H100\"; nodes = 1; } );\n"             /* 3 */
	"training = {\n"                                                             /* 4 */
	"  jobs = ( { name = \"ft\"; model = \"Llama-2-70B\"; tokens = 1e8; gpus = 8;\n" /* 5 */
	"             JOB } );\n"                                                    /* 6 */
	"  streams = ( { name = \"s\"; rate_per_day = 1.0; model = \"Llama-2-70B\";\n" /* 7 */
	"                tokens = 5e7; gpus = 8; STREAM } );\n"                      /* 8 */
	"};\n";                                                                      /* 9 */

static const char *scen(const char *job, const char *stream)
{
	static char buf[2048];
	const char *j = strstr(scen_text, "JOB"), *s = strstr(scen_text, "STREAM");

	snprintf(buf, sizeof(buf), "%.*s%s%.*s%s%s", (int)(j - scen_text), scen_text, job,
		 (int)(s - (j + 3)), j + 3, stream, s + 6);
	return buf;
}

static void expect_scen_error(const char *text, int line, const char *key, const char *needle)
{
	struct fs_scenario sc;
	struct fs_error e;

	assert_int_equal(fs_scenario_load_text(text, "lora.cfg", &sc, &e), FS_ERR_INPUT);
	assert_string_equal(e.file, "lora.cfg");
	assert_int_equal(e.line, line);
	if (!strstr(e.key, key))
		fail_msg("key '%s' does not contain '%s' (%s)", e.key, key, e.msg);
	if (!strstr(e.msg, needle))
		fail_msg("message '%s' does not contain '%s'", e.msg, needle);
}

/*
 * Scenario keys: a 70B LoRA job and stream on one 8-GPU node run (the job
 * and the stream's jobs finish); as full fine-tunes they are infeasible.
 */
static void test_lora_scenario_runs(void **state)
{
	struct fs_scenario sc;
	struct fs_run_result res;
	struct fs_error e;

	(void)state;
	assert_int_equal(fs_scenario_load_text(scen("method = \"lora\";",
						    "method = \"qlora\"; lora_rank = 8;"),
					       "lora.cfg", &sc, &e), FS_OK);
	assert_int_equal(sc.jobs[0].opts.method, FS_METHOD_LORA);
	assert_int_equal(sc.jobs[0].opts.lora_rank, 0);
	assert_int_equal(sc.streams[0].opts.method, FS_METHOD_QLORA);
	assert_int_equal(sc.streams[0].opts.lora_rank, 8);
	assert_int_equal(fs_run_fleet(&sc, 0, 1, &res, &e), FS_OK);
	assert_true(res.sum.n_jobs > 1);
	assert_int_equal(res.sum.n_infeasible, 0);
	assert_true(res.sum.n_done_in_horizon > 0);
	fs_run_result_fini(&res);
	fs_scenario_fini(&sc);

	assert_int_equal(fs_scenario_load_text(scen("", ""), "lora.cfg", &sc, &e), FS_OK);
	assert_int_equal(fs_run_fleet(&sc, 0, 1, &res, &e), FS_OK);
	assert_int_equal(res.sum.n_infeasible, res.sum.n_jobs);
	fs_run_result_fini(&res);
	fs_scenario_fini(&sc);
}

static void test_lora_scenario_bad_values(void **state)
{
	(void)state;
	expect_scen_error(scen("method = \"lorra\";", ""), 6, "training.jobs.[0].method",
			  "expected \"full\", \"lora\" or \"qlora\"");
	expect_scen_error(scen("", "method = 3;"), 8, "training.streams.[0].method", "expected");
	expect_scen_error(scen("method = \"lora\"; lora_rank = 0;", ""), 6,
			  "training.jobs.[0].lora_rank", "expected an integer from 1");
	expect_scen_error(scen("", "lora_rank = 8;"), 8, "training.streams.[0].lora_rank",
			  "applies to method");
	expect_scen_error(scen("method = \"qlora\"; precision = \"fp8\";", ""), 6,
			  "training.jobs.[0].precision", "qlora");
}

/* The commands refuse it the same way: file, line, key; exit 2; no database written. */
static void test_lora_scenario_bad_value_cli(void **state)
{
	char out[4096], args[1024];
	const char *path = tu_write("bad.cfg", scen("method = \"lorra\";", ""));
	const char *db = tu_path("bad.db");

	(void)state;
	snprintf(args, sizeof(args), "check %s", path);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "bad.cfg:6"));
	assert_non_null(strstr(out, "training.jobs.[0].method"));
	snprintf(args, sizeof(args), "run %s --db %s", path, db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "training.jobs.[0].method"));
	{
		char hex[65];
		tu_file_hash(db, hex);
		assert_string_equal(hex, "missing");
	}
}

/* Calibration columns: an unknown method and a rank on a full row are
 * refused with the file, line and column. */
static void test_lora_calib_columns(void **state)
{
	static const char head[] = "id,metric,value,model,gpu,gpus,seq,source,method,lora_rank\n";
	char text[512];
	struct fs_train_calib_row *rows = NULL;
	size_t n = 0;
	struct fs_error e;

	(void)state;
	snprintf(text, sizeof(text), "%sa,tokens_per_s_per_gpu,1,Llama-2-7B,H100,8,4096,x,lora,32\n",
		 head);
	assert_int_equal(fs_train_calib_load(text, "t.csv", tu_catalog(), &rows, &n, &e), FS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].req.method, FS_METHOD_LORA);
	assert_int_equal(rows[0].req.lora_rank, 32);
	free(rows);
	snprintf(text, sizeof(text), "%sa,tokens_per_s_per_gpu,1,Llama-2-7B,H100,8,4096,x,lorra,\n",
		 head);
	assert_int_equal(fs_train_calib_load(text, "t.csv", tu_catalog(), &rows, &n, &e), FS_ERR_INPUT);
	assert_int_equal(e.line, 2);
	assert_string_equal(e.key, "method");
	snprintf(text, sizeof(text), "%sa,tokens_per_s_per_gpu,1,Llama-2-7B,H100,8,4096,x,,16\n", head);
	assert_int_equal(fs_train_calib_load(text, "t.csv", tu_catalog(), &rows, &n, &e), FS_ERR_INPUT);
	assert_string_equal(e.key, "lora_rank");
	assert_null(rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lora_adapter_params_by_hand),
		cmocka_unit_test(test_lora_memory_by_hand),
		cmocka_unit_test(test_qlora_weight_bytes),
		cmocka_unit_test(test_lora_no_wgrad),
		cmocka_unit_test(test_lora_70b_fits_on_8x80gb),
		cmocka_unit_test(test_qlora_65b_on_one_48gb_gpu),
		cmocka_unit_test(test_lora_speedup_gpt3),
		cmocka_unit_test(test_lora_memo_key),
		cmocka_unit_test(test_lora_cli),
		cmocka_unit_test(test_lora_scenario_runs),
		cmocka_unit_test(test_lora_scenario_bad_values),
		cmocka_unit_test(test_lora_scenario_bad_value_cli),
		cmocka_unit_test(test_lora_calib_columns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
