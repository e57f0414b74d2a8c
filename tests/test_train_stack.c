/*
 * test_train_stack.c - software-stack profiles of the training model
 * (models/train.c [3.7]): the profile table, data- and tensor-parallel
 * overlap, the calibrated memory accounting (published recipes that ran on
 * 80 GB parts must fit), the calibration rows' stacks, ratios and residual
 * grouping (models/train_calib.c). Expected values are hand calculations or
 * published figures; each test says where its number comes from.
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

#include "fleetsim/builtin.h"
#include "fleetsim/run.h"
#include "fleetsim/scenario.h"
#include "fleetsim/train.h"
#include "testutil.h"

static void assert_rel(double got, double want, double tol)
{
	if (fabs(got - want) > tol * fabs(want))
		fail_msg("got %.6g, want %.6g (relative tolerance %.3g)", got, want, tol);
}

static void request(struct fs_train_request *rq, const char *g, const struct fs_llm *m, int n, int seq,
		    enum fs_train_stack stack)
{
	fs_train_request_init(rq);
	rq->gpu = tu_gpu(g);
	rq->model = m;
	rq->n_gpus = n;
	rq->seq_len = seq;
	rq->stack = stack;
}

static void plan(struct fs_train_request *rq, int tp, int pp, int vp, int mb, int gbs, enum fs_recompute rc,
		 int zero)
{
	rq->plan.tp = tp;
	rq->plan.pp = pp;
	rq->plan.vp = vp;
	rq->plan.micro_batch = mb;
	rq->plan.global_batch = gbs;
	rq->plan.recompute = rc;
	rq->plan.zero = zero;
}

/* ---- the overlap rule ---- */

/* exposed = max(min(floor, comm), comm - hide), never negative. */
static void test_train_stack_overlap_rule(void **state)
{
	(void)state;
	assert_rel(fs_train_overlap_exposed_s(2.385, 1.5, 0.1), 0.885, 1e-12);  /* comm outlasts compute */
	assert_rel(fs_train_overlap_exposed_s(1.0, 3.7, 0.125), 0.125, 1e-12); /* one bucket stays exposed */
	assert_rel(fs_train_overlap_exposed_s(0.25, 3.7, 0.5), 0.25, 1e-12);   /* a floor beyond comm: comm */
	assert_rel(fs_train_overlap_exposed_s(0.75, -1.0, 0.0), 0.75, 1e-12);  /* nothing to hide behind */
	assert_true(fs_train_overlap_exposed_s(0.0, 1.0, 0.0) == 0.0);
}

/* ---- the profile table ---- */

static void test_train_stack_table(void **state)
{
	static const char *const names[FS_STACK_COUNT] = { "legacy", "megatron-2021", "deepspeed",
							   "nemo-2024", "fsdp" };
	struct fs_train_request rq;
	enum fs_train_stack s;

	(void)state;
	for (int i = 0; i < FS_STACK_COUNT; i++) {
		const struct fs_train_stack_profile *p = fs_train_stack_get((enum fs_train_stack)i);
		assert_non_null(p);
		assert_int_equal(p->id, i);
		assert_string_equal(p->name, names[i]);
		assert_string_equal(fs_train_stack_name((enum fs_train_stack)i), names[i]);
		assert_int_equal(fs_train_stack_parse(names[i], &s), FS_OK);
		assert_int_equal(s, i);
		assert_true(p->kernel_eff_frac > 0.5 && p->kernel_eff_frac <= 1.2);
		assert_true(p->tp_overlap_frac >= 0.0 && p->tp_overlap_frac < 1.0);
	}
	assert_int_equal(fs_train_stack_parse("nemo", &s), FS_ERR_INPUT);
	assert_null(fs_train_stack_get(FS_STACK_COUNT));
	/* the default request keeps the model as it was */
	fs_train_request_init(&rq);
	assert_int_equal(rq.stack, FS_STACK_LEGACY);
	assert_false(fs_train_stack_get(FS_STACK_LEGACY)->gpu_calibrated);
	assert_false(fs_train_stack_get(FS_STACK_LEGACY)->dp_overlap);
	/* the rows the issue names */
	assert_true(fs_train_stack_get(FS_STACK_NEMO_2024)->dp_overlap);
	assert_true(fs_train_stack_get(FS_STACK_NEMO_2024)->tp_overlap_frac > 0);
	assert_false(fs_train_stack_get(FS_STACK_MEGATRON_2021)->dp_overlap);
	assert_int_equal(fs_train_stack_get(FS_STACK_MEGATRON_2021)->recompute, FS_RECOMPUTE_FULL);
	assert_int_equal(fs_train_stack_get(FS_STACK_DEEPSPEED)->recompute, FS_RECOMPUTE_FULL);
	assert_true(fs_train_stack_get(FS_STACK_FSDP)->zero3_node_bw);
	assert_false(fs_train_stack_get(FS_STACK_DEEPSPEED)->zero3_node_bw);
}

/* A stack value out of range is bad input naming the key. */
static void test_train_stack_bad_input(void **state)
{
	struct fs_train_request rq;
	struct fs_train_result r;
	struct fs_error e;
	char out[8192];

	(void)state;
	request(&rq, "H100", tu_llm("Llama-3-8B"), 8, 4096, (enum fs_train_stack)FS_STACK_COUNT);
	plan(&rq, 1, 1, 1, 1, 8, FS_RECOMPUTE_NONE, 1);
	assert_int_equal(fs_train_evaluate(&rq, &r, &e), FS_ERR_INPUT);
	assert_string_equal(e.key, "stack");
	assert_int_equal(tu_fleetsim("estimate train --gpu H100 --gpus 8 --model Llama-3-8B --seq 4096 "
				     "--stack megatron", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "nemo-2024"));
	assert_int_equal(tu_fleetsim("estimate train --gpu H100 --gpus 8 --model Llama-3-8B --seq 4096 "
				     "--stack nemo-2024 --no-overlap --format csv", out, sizeof(out)), 0);
}

/* ---- data-parallel overlap, hand-derived ---- */

/*
 * Two layers, h 1024, 8 heads, MLP 4h, vocab 32000, untied, on two H100 in
 * one NVLink domain, ZeRO 1. Parameters per GPU P = 2 (12 h^2 + 2 h) + 2 V h
 * = 90,705,920. Bandwidth 900/2 GB/s x 0.70 = 315 GB/s, latency 2 log2(2)
 * x 10 us. Reduce-scatter of fp32 gradients rs = P/2 x 4 / bw + 20 us =
 * 0.59591 ms, all-gather of bf16 weights ag = P/2 x 2 / bw + 20 us =
 * 0.307955 ms. A micro-batch of 16 x 4096 tokens computes for milliseconds,
 * so both hide except one Megatron-Core bucket of 40M parameters each:
 * exposed = 40e6/P x (rs + ag) = 0.398590 ms. Without overlap
 * (--no-overlap: no --overlap-param-gather) the gradient buckets still hide
 * but the all-gather follows the optimizer step: 40e6/P x rs + ag =
 * 0.570744 ms.
 */
static void test_train_stack_dp_overlap_hand(void **state)
{
	struct fs_llm m;
	struct fs_train_request rq;
	struct fs_train_result on, off;
	struct fs_error e;
	double P = 2.0 * (12.0 * 1024 * 1024 + 2.0 * 1024) + 2.0 * 32000 * 1024;
	double bw = 900.0 / 2.0 * 1e9 * 0.70;
	double rs = P / 2.0 * 4.0 / bw + 20e-6, ag = P / 2.0 * 2.0 / bw + 20e-6;

	(void)state;
	memset(&m, 0, sizeof(m));
	snprintf(m.name, sizeof(m.name), "two-layer");
	m.n_layers = 2;
	m.hidden = 1024;
	m.n_heads = 8;
	m.n_kv_heads = 8;
	m.ffn = 4096;
	m.vocab = 32000;
	request(&rq, "H100", &m, 2, 4096, FS_STACK_NEMO_2024);
	plan(&rq, 1, 1, 1, 16, 32, FS_RECOMPUTE_NONE, 1);
	assert_int_equal(fs_train_evaluate(&rq, &on, &e), FS_OK);
	assert_rel(on.mem.weights_gb * 1e9 / 2.0, P, 1e-3); /* the parameter count above */
	assert_rel(on.time.dp_comm_s, 40e6 / P * (rs + ag), 1e-3);
	rq.no_overlap = true;
	assert_int_equal(fs_train_evaluate(&rq, &off, &e), FS_OK);
	assert_rel(off.time.dp_comm_s, 40e6 / P * rs + ag, 1e-3);
	assert_true(on.step_time_s < off.step_time_s);
}

/*
 * When communication outlasts compute the overlap hides exactly the
 * compute: exposed(on) = (rs - bwd) + (ag - fwd), exposed(off) = (rs - bwd)
 * + ag, so off - on = fwd, the first stage's forward of one micro-batch
 * (Llama 3 8B, 1K tokens, 512 A100 in pure data parallel: 0.23 s of gradient
 * reduce-scatter against 0.13 s of backward, 0.12 s of gather against 0.07 s
 * of forward).
 */
static void test_train_stack_dp_overlap_invariants(void **state)
{
	struct fs_train_request rq;
	struct fs_train_result on, off;
	struct fs_error e;

	(void)state;
	request(&rq, "A100", tu_llm("Llama-3-8B"), 512, 1024, FS_STACK_NEMO_2024);
	plan(&rq, 1, 1, 1, 1, 512, FS_RECOMPUTE_NONE, 1);
	assert_int_equal(fs_train_evaluate(&rq, &on, &e), FS_OK);
	rq.no_overlap = true;
	assert_int_equal(fs_train_evaluate(&rq, &off, &e), FS_OK);
	assert_true(on.time.dp_comm_s < off.time.dp_comm_s);
	/* one micro-batch per step, no recompute: the layers' forward is a
	 * third of their matrix products and element-wise work and 1/3.5 of
	 * their attention (backward 2x, 2.5x); the output layer, under 10 % of
	 * the products, is no part of it */
	{
		double fwd_hi = (on.time.gemm_s + on.time.elementwise_s) / 3.0 + on.time.attention_s / 3.5;
		double d = off.time.dp_comm_s - on.time.dp_comm_s;
		assert_true(d >= 0.9 * fwd_hi && d <= fwd_hi * (1.0 + 1e-9));
	}
	assert_true(on.time.dp_comm_s / on.step_time_s < off.time.dp_comm_s / off.step_time_s);
}

/* ---- tensor-parallel overlap ---- */

/*
 * Llama 3 70B, TP 8 with sequence parallelism, 8K tokens: a layer's GEMMs
 * outlast its TP collectives, so on Hopper the nemo-2024 stack leaves
 * exactly (1 - tp_overlap_frac) of them exposed; on Ampere (no TE
 * userbuffers overlap) nothing is hidden.
 */
static void test_train_stack_tp_overlap(void **state)
{
	struct fs_train_request rq;
	struct fs_train_result on, off;
	struct fs_error e;
	double f = fs_train_stack_get(FS_STACK_NEMO_2024)->tp_overlap_frac;

	(void)state;
	request(&rq, "H100", tu_llm("Llama-3-70B"), 64, 8192, FS_STACK_NEMO_2024);
	plan(&rq, 8, 1, 1, 1, 64, FS_RECOMPUTE_SELECTIVE, 1);
	assert_int_equal(fs_train_evaluate(&rq, &on, &e), FS_OK);
	rq.no_overlap = true;
	assert_int_equal(fs_train_evaluate(&rq, &off, &e), FS_OK);
	assert_true(off.time.tp_comm_s > 0);
	assert_rel(on.time.tp_comm_s, (1.0 - f) * off.time.tp_comm_s, 1e-9);
	request(&rq, "A100", tu_llm("Llama-3-70B"), 64, 8192, FS_STACK_NEMO_2024);
	plan(&rq, 8, 1, 1, 1, 64, FS_RECOMPUTE_SELECTIVE, 1);
	assert_int_equal(fs_train_evaluate(&rq, &on, &e), FS_OK);
	rq.no_overlap = true;
	assert_int_equal(fs_train_evaluate(&rq, &off, &e), FS_OK);
	assert_rel(on.time.tp_comm_s, off.time.tp_comm_s, 1e-12);
}

/* ---- memory: published recipes that ran on 80 GB parts ---- */

static void assert_fits(const char *gpu, const char *model, int n, int seq, enum fs_precision prec, int tp,
			int pp, int cp, int vp, int gbs, enum fs_recompute rc, double cap_gb)
{
	struct fs_train_request rq;
	struct fs_train_result r;
	struct fs_error e;

	request(&rq, gpu, tu_llm(model), n, seq, FS_STACK_NEMO_2024);
	rq.precision = prec;
	plan(&rq, tp, pp, vp, 1, gbs, rc, 1);
	rq.plan.cp = cp;
	assert_int_equal(fs_train_evaluate(&rq, &r, &e), FS_OK);
	print_message("%s on %d %s: %.1f of %.2f GB\n", model, n, gpu, r.mem.total_gb, r.mem.capacity_gb);
	assert_rel(r.mem.capacity_gb, cap_gb, 1e-9);
	assert_true(r.fits);
}

/*
 * NVML capacities (thundergolfer.com/blog/nvidia-gpu-memory-capacity):
 * H100 80GB 81,559 MiB = 85.52 GB, A100 80GB 81,920 MiB = 85.89 GB.
 * - Nemotron-4 340B, TP8 PP8 VP12, micro-batch 1, no recompute, distributed
 *   optimizer: NeMo launcher nemotron_340b.yaml (6,144 GPUs, batch 2304) and
 *   NVIDIA dgxc-benchmarking README_340b (256 H100, batch 64; NeMo 24.11).
 * - Llama 3.1 405B FP8 TP8 PP8 CP2 VP8 on 1,024 H100 (Megatron-Bridge 25.11).
 * - Llama 3 70B FP8 TP4 PP4 CP2 VP5 on 64 H100 (NeMo 24.09).
 * - Llama 3 405B TP8 PP16 on 8,192 H100, 16M-token batch (Dubey et al. 2024
 *   Table 4), selective recompute.
 * - GPT-3 175B on A100-80GB: TP8 PP8 selective recompute on 64 GPUs
 *   (Korthikanti et al. 2022 Table 5).
 */
static void test_train_stack_published_recipes_fit(void **state)
{
	(void)state;
	assert_fits("H100", "Nemotron-4-340B", 6144, 4096, FS_PREC_BF16, 8, 8, 1, 12, 2304, FS_RECOMPUTE_NONE, 85.52);
	assert_fits("H100", "Nemotron-4-340B", 256, 4096, FS_PREC_BF16, 8, 8, 1, 12, 64, FS_RECOMPUTE_NONE, 85.52);
	assert_fits("H100", "Nemotron-4-340B", 256, 4096, FS_PREC_FP8, 8, 8, 1, 12, 64, FS_RECOMPUTE_NONE, 85.52);
	assert_fits("H100", "Llama-3-405B", 1024, 8192, FS_PREC_FP8, 8, 8, 2, 8, 512, FS_RECOMPUTE_NONE, 85.52);
	assert_fits("H100", "Llama-3-70B", 64, 8192, FS_PREC_FP8, 4, 4, 2, 5, 128, FS_RECOMPUTE_NONE, 85.52);
	assert_fits("H100", "Llama-3-405B", 8192, 8192, FS_PREC_BF16, 8, 16, 1, 1, 2048, FS_RECOMPUTE_SELECTIVE, 85.52);
	assert_fits("A100", "GPT-3-175B", 64, 2048, FS_PREC_BF16, 8, 8, 1, 1, 64, FS_RECOMPUTE_SELECTIVE, 85.89);
}

/*
 * Calibrated stacks keep model states in contiguous buffers: the reserve is
 * 1 GB + 5 % of the activations alone; the legacy profile charges 5 % of
 * everything against the catalog's mem_gb.
 */
static void test_train_stack_reserve_rule(void **state)
{
	struct fs_train_request rq;
	struct fs_train_result r;
	struct fs_error e;
	double states;

	(void)state;
	request(&rq, "H100", tu_llm("Llama-3-70B"), 64, 8192, FS_STACK_NEMO_2024);
	plan(&rq, 4, 4, 5, 1, 128, FS_RECOMPUTE_NONE, 1);
	rq.plan.cp = 2;
	assert_int_equal(fs_train_evaluate(&rq, &r, &e), FS_OK);
	assert_rel(r.mem.reserve_gb, 1.0 + 0.05 * r.mem.activations_gb, 1e-9);
	rq.stack = FS_STACK_LEGACY;
	assert_int_equal(fs_train_evaluate(&rq, &r, &e), FS_OK);
	states = r.mem.weights_gb + r.mem.grads_gb + r.mem.optimizer_gb;
	assert_rel(r.mem.reserve_gb, 1.0 + 0.05 * (states + r.mem.activations_gb), 1e-9);
	assert_rel(r.mem.capacity_gb, 80.0, 1e-12);
}

/* ---- calibration rows ---- */

static void test_train_stack_calib_mapping(void **state)
{
	(void)state;
	/* longest prefix: the DeepSpeed ZeRO-3 rows inside the Megatron family */
	assert_int_equal(fs_train_calib_stack_for("megatron_a100_175b_zero3_384", false), FS_STACK_DEEPSPEED);
	assert_int_equal(fs_train_calib_stack_for("megatron_a100_175b_ptdp_384", false), FS_STACK_MEGATRON_2021);
	assert_int_equal(fs_train_calib_stack_for("korthikanti_22b_full", false), FS_STACK_MEGATRON_2021);
	assert_int_equal(fs_train_calib_stack_for("foundry_mpt7b_a10080gb_8_tps", false), FS_STACK_FSDP);
	assert_int_equal(fs_train_calib_stack_for("nemo2409_h100_fp8_llama2_7b_8", false), FS_STACK_NEMO_2024);
	assert_int_equal(fs_train_calib_stack_for("dgxc_nemotron4_340b_fp8_256", false), FS_STACK_NEMO_2024);
	assert_int_equal(fs_train_calib_stack_for("llama3_405b_8192gpu", false), FS_STACK_LEGACY);
	/* whole-run rows stay on legacy: the realisation fraction is fitted there */
	assert_int_equal(fs_train_calib_stack_for("megatron_a100_175b_ptdp_384_days", true), FS_STACK_LEGACY);
}

/* Every ratio names two step-level rows of the built-in set, same model,
 * same stack, and its published value is their quotient. */
static void test_train_stack_ratio_rows(void **state)
{
	struct fs_train_calib_row *rows;
	struct fs_error e;
	size_t n, nr;
	const struct fs_train_calib_ratio *r = fs_train_calib_ratios(&nr);

	(void)state;
	assert_int_equal(fs_train_calib_load(fs_builtin_training_csv, "training.csv", tu_catalog(), &rows, &n, &e),
			 FS_OK);
	assert_true(nr >= 5);
	for (size_t k = 0; k < nr; k++) {
		const struct fs_train_calib_row *a = NULL, *b = NULL;
		for (size_t i = 0; i < n; i++) {
			if (strcmp(rows[i].id, r[k].num_id) == 0)
				a = &rows[i];
			if (strcmp(rows[i].id, r[k].den_id) == 0)
				b = &rows[i];
		}
		if (!a || !b)
			fail_msg("ratio %s: rows missing", r[k].id);
		assert_false(fs_train_metric_is_run(a->metric));
		assert_int_equal(a->metric, b->metric);
		assert_string_equal(a->model, b->model);
		assert_int_equal(a->req.stack, b->req.stack);
	}
	free(rows);
}

/* A step-level row may be held out; fit and ref stay whole-run roles. */
static void test_train_stack_step_holdout(void **state)
{
	struct fs_train_calib_row *rows;
	struct fs_error e;
	size_t n;

	(void)state;
	assert_int_equal(fs_train_calib_load("id,metric,value,model,gpu,gpus,seq,source,role\n"
					     "a,tokens_per_s_per_gpu,1000,MPT-7B,H100,8,2048,s,holdout\n",
					     "t.csv", tu_catalog(), &rows, &n, &e),
			 FS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].role, FS_CALIB_ROLE_HOLDOUT);
	free(rows);
	assert_int_equal(fs_train_calib_load("id,metric,value,model,gpu,gpus,seq,source,role\n"
					     "a,tokens_per_s_per_gpu,1000,MPT-7B,H100,8,2048,s,fit\n",
					     "t.csv", tu_catalog(), &rows, &n, &e),
			 FS_ERR_INPUT);
	assert_int_equal(e.line, 2);
	assert_string_equal(e.key, "role");
}

/* ---- residual grouping ---- */

/*
 * Speed errors: iteration time predicted 25 % long is a speed 1/1.25 - 1 =
 * -20 %. Groups in order of appearance, NaN skipped:
 * A100/bf16: +10 %, +30 %, -20 % -> mean +6.67 %, median |e| 20 %;
 * H100/bf16: -5 % -> mean -5 %, median 5 %. The NaN row forms no group.
 */
static void test_train_stack_residual_groups(void **state)
{
	const char *gpu[] = { "A100", "H100", "A100", "A100", "H100" };
	enum fs_precision prec[] = { FS_PREC_BF16, FS_PREC_BF16, FS_PREC_BF16, FS_PREC_BF16, FS_PREC_FP8 };
	double err[5], scratch[10];
	struct fs_train_calib_group g[5];
	size_t ng;

	(void)state;
	err[0] = fs_train_calib_speed_error(FS_METRIC_TOKENS_PER_S_PER_GPU, 0.10);
	err[1] = fs_train_calib_speed_error(FS_METRIC_MFU_6N12_PCT, -0.05);
	err[2] = fs_train_calib_speed_error(FS_METRIC_TFLOPS_NEMO, 0.30);
	err[3] = fs_train_calib_speed_error(FS_METRIC_ITER_TIME_S, 0.25);
	err[4] = fs_train_calib_speed_error(FS_METRIC_ITER_TIME_S, INFINITY);
	assert_rel(err[3], -0.2, 1e-12);
	assert_true(isnan(err[4]));
	ng = fs_train_calib_group(gpu, prec, err, 5, g, scratch);
	assert_int_equal(ng, 2);
	assert_string_equal(g[0].gpu, "A100");
	assert_int_equal(g[0].n, 3);
	assert_rel(g[0].mean_signed, (0.10 + 0.30 - 0.20) / 3.0, 1e-12);
	assert_rel(g[0].median_abs, 0.20, 1e-12);
	assert_string_equal(g[1].gpu, "H100");
	assert_int_equal(g[1].precision, FS_PREC_BF16);
	assert_int_equal(g[1].n, 1);
	assert_rel(g[1].mean_signed, -0.05, 1e-12);
	assert_rel(g[1].median_abs, 0.05, 1e-12);
}

/* `validate train` prints the groups and the ratio rows. */
static void test_train_stack_validate_output(void **state)
{
	static char out[1 << 17];

	(void)state;
	assert_int_equal(tu_fleetsim("validate train --rows step", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "residuals by GPU and precision"));
	assert_non_null(strstr(out, "ratio_foundry_mpt7b_h100_a100"));
	assert_non_null(strstr(out, "speed ratios (same software)"));
	assert_non_null(strstr(out, "nemo-2024"));
}

/* One 70B fine-tune on two 8-GPU H100 nodes; TRAINING and JOB filled in by stack_scen(). */
static const char *stack_scen(const char *training, const char *job)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf),
		 "name = \"stack\";\n"                                                   /* 1 */
		 "horizon_days = 60.0;\n"                                                /* 2 */
		 "fleets = ( { name = \"h\"; gpu = \"H100\"; nodes = 2; } );\n"          /* 3 */
		 "training = {\n"                                                        /* 4 */
		 "  %s\n"                                                                /* 5 */
		 "  jobs = ( { name = \"ft\"; model = \"Llama-3-70B\"; tokens = 2e9; gpus = 16;\n" /* 6 */
		 "             %s } );\n"                                                /* 7 */
		 "};\n",
		 training, job);
	return buf;
}

/* The job's run time in the fleet (s); the scenario must load and run. */
static double stack_job_s(const char *training, const char *job, int want_stack)
{
	struct fs_scenario sc;
	struct fs_run_result res;
	struct fs_error e;
	double t;

	assert_int_equal(fs_scenario_load_text(stack_scen(training, job), "stack.cfg", &sc, &e), FS_OK);
	assert_int_equal(sc.jobs[0].opts.stack, want_stack);
	assert_int_equal(fs_run_fleet(&sc, 0, 1, &res, &e), FS_OK);
	assert_int_equal(res.n_jobs, 1);
	t = res.jobs[0].end_s - res.jobs[0].start_s;
	fs_run_result_fini(&res);
	fs_scenario_fini(&sc);
	return t;
}

/*
 * Scenario keys: `training.stack` sets every job's stack (default nemo-2024,
 * FS_TRAIN_DEFAULT_STACK), a job's `stack` overrides it, and the fleet times
 * the job with it: on H100 the overlapping stack is faster than legacy, as
 * estimate train says for the same shape. Bad names: file, line, key.
 */
static void test_train_stack_scenario_keys(void **state)
{
	struct fs_scenario sc;
	struct fs_error e;
	double def, legacy, over;

	(void)state;
	def = stack_job_s("", "", FS_TRAIN_DEFAULT_STACK);
	legacy = stack_job_s("stack = \"legacy\";", "", FS_STACK_LEGACY);
	over = stack_job_s("stack = \"legacy\";", "stack = \"nemo-2024\";", FS_STACK_NEMO_2024);
	assert_int_equal(FS_TRAIN_DEFAULT_STACK, FS_STACK_NEMO_2024);
	assert_true(def == over);
	assert_true(def < legacy);
	assert_int_equal(fs_scenario_load_text(stack_scen("stack = \"nemo\";", ""), "stack.cfg", &sc, &e),
			 FS_ERR_INPUT);
	assert_string_equal(e.file, "stack.cfg");
	assert_int_equal(e.line, 5);
	assert_string_equal(e.key, "training.stack");
	assert_non_null(strstr(e.msg, "\"nemo-2024\""));
	assert_int_equal(fs_scenario_load_text(stack_scen("", "stack = 2;"), "stack.cfg", &sc, &e),
			 FS_ERR_INPUT);
	assert_int_equal(e.line, 7);
	assert_string_equal(e.key, "training.jobs.[0].stack");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_train_stack_overlap_rule),
		cmocka_unit_test(test_train_stack_table),
		cmocka_unit_test(test_train_stack_bad_input),
		cmocka_unit_test(test_train_stack_dp_overlap_hand),
		cmocka_unit_test(test_train_stack_dp_overlap_invariants),
		cmocka_unit_test(test_train_stack_tp_overlap),
		cmocka_unit_test(test_train_stack_published_recipes_fit),
		cmocka_unit_test(test_train_stack_reserve_rule),
		cmocka_unit_test(test_train_stack_calib_mapping),
		cmocka_unit_test(test_train_stack_ratio_rows),
		cmocka_unit_test(test_train_stack_step_holdout),
		cmocka_unit_test(test_train_stack_residual_groups),
		cmocka_unit_test(test_train_stack_validate_output),
		cmocka_unit_test(test_train_stack_scenario_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
