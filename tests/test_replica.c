/*
 * test_replica.c - the request-level replica simulation and the capacity
 * search (replica.h): a static batch against the hand-summed iteration
 * times, Little's law, latency non-decreasing in load, preemption, trace
 * arrivals, capacity bracketing, memoisation, interpolation, determinism
 * and every error path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fleetsim/replica.h"
#include "fleetsim/scenario.h"
#include "testutil.h"

static struct fs_replica_ws *ws;

static int setup(void **state)
{
	(void)state;
	return fs_replica_ws_create(&ws, 100) == FS_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	fs_replica_ws_destroy(ws);
	return 0;
}

/* ShareGPT-like lengths (docs/models/serving.md). */
static struct fs_dist lognormal(double median, double sigma)
{
	struct fs_dist d;

	memset(&d, 0, sizeof(d));
	d.kind = FS_DIST_LOGNORMAL;
	d.a = median;
	d.b = sigma;
	d.lo = 4;
	d.hi = 1024;
	return d;
}

static void model(struct fs_serve_model *m, const char *llm, const char *gpu, int tp,
		  enum fs_precision p)
{
	struct fs_serve_cfg cfg = { .llm = tu_llm(llm), .gpu = tu_gpu(gpu),
				    .tp = tp, .precision = p };

	assert_non_null(cfg.llm);
	assert_non_null(cfg.gpu);
	assert_int_equal(fs_serve_model_init(m, &cfg, NULL), FS_OK);
}

static void run_ok(const struct fs_serve_model *m, const struct fs_replica_sched *s,
		   const struct fs_replica_workload *w, struct fs_replica_stats *st)
{
	struct fs_error e;

	fs_error_clear(&e);
	if (fs_replica_run(ws, m, s, w, st, &e) != FS_OK) {
		print_error("run failed: %s\n", e.msg);
		fail();
	}
	assert_int_equal(st->n_requests, w->n_requests);
}

/*
 * A closed batch of B identical requests with whole prompts is a static
 * batch: one prefill iteration of B prompts, then O - 1 decode iterations in
 * which every sequence reads its prompt plus the tokens so far. The makespan
 * must equal the sum of those iterations (times are rounded to 1 ns each).
 */
static void test_replica_static_batch_equals_hand_sum(void **state)
{
	struct fs_serve_model m;
	struct fs_replica_sched s = { .max_num_seqs = 16, .max_batched_tokens = 0 };
	struct fs_replica_workload w = { .arrival = FS_ARRIVAL_CLOSED, .concurrency = 16,
					 .n_requests = 16, .seed = 5 };
	struct fs_replica_stats st;
	struct fs_serve_batch pf = { .n_prefill_tokens = 16 * 100.0, .prefill_attn_units = 16 * 100.0 * 50.0,
				     .n_logits = 16, .n_prefill_seqs = 16 };
	double want, prefill;

	(void)state;
	model(&m, "Llama-2-7B", "A100-SXM4-80GB", 1, FS_PREC_FP16);
	w.input_tokens = fs_dist_fixed(100);
	w.output_tokens = fs_dist_fixed(10);
	run_ok(&m, &s, &w, &st);
	prefill = fs_serve_iter_time_s(&m, &pf);
	want = prefill;
	for (int k = 1; k <= 9; k++) {
		struct fs_serve_batch d = { .n_decode = 16, .decode_ctx_tokens = 16.0 * (100 + k),
					    .n_logits = 16 };
		want += fs_serve_iter_time_s(&m, &d);
	}
	assert_true(fabs(st.makespan_s - want) < 20e-9);
	assert_int_equal(st.n_iterations, 10);
	assert_true(fabs(st.ttft_p50_s - prefill) < 2e-9);
	assert_true(fabs(st.tpot_mean_s - (want - prefill) / 9) < 1e-8);
	assert_true(fabs(st.output_tokens_per_s - 160 / st.makespan_s) < 1e-6);
	assert_true(st.mean_batch_seqs == 16.0);
	assert_int_equal(st.max_running, 16);
	assert_int_equal(st.n_preemptions, 0);
}

/* Arrivals far apart never meet: each one's TTFT is a lone prefill. */
static void test_replica_trace_isolated_requests(void **state)
{
	static const double t[] = { 0.0, 10.0, 20.0 };
	struct fs_serve_model m;
	struct fs_replica_sched s = fs_replica_sched_default();
	struct fs_replica_workload w = { .arrival = FS_ARRIVAL_TRACE, .trace_s = t, .n_requests = 3 };
	struct fs_replica_stats st;
	struct fs_serve_batch pf = { .n_prefill_tokens = 500, .prefill_attn_units = 500.0 * 250.0,
				     .n_logits = 1, .n_prefill_seqs = 1 };

	(void)state;
	model(&m, "Llama-3-8B", "H100-SXM5-80GB", 1, FS_PREC_BF16);
	w.input_tokens = fs_dist_fixed(500);
	w.output_tokens = fs_dist_fixed(20);
	run_ok(&m, &s, &w, &st);
	assert_true(fabs(st.ttft_p99_s - fs_serve_iter_time_s(&m, &pf)) < 2e-9);
	assert_true(fabs(st.ttft_p50_s - st.ttft_p99_s) < 1e-12);
	assert_true(st.makespan_s > 20.0);
}

static double saturation(const struct fs_serve_model *m, const struct fs_replica_sched *s,
			 struct fs_replica_workload w)
{
	struct fs_replica_stats st;

	w.arrival = FS_ARRIVAL_BURST;
	run_ok(m, s, &w, &st);
	return st.requests_per_s;
}

/*
 * Little's law: mean requests in the system = arrival rate x mean time in
 * it. With the nominal Poisson rate the two differ only by sampling noise
 * (about 1/sqrt(n) = 0.7 % for 20,000 requests), so 5 % is generous; with the
 * realised rate n / makespan the identity is exact.
 */
static void test_replica_littles_law(void **state)
{
	struct fs_serve_model m;
	struct fs_replica_sched s = fs_replica_sched_default();
	struct fs_replica_workload w = { .n_requests = 20000, .seed = 17 };
	struct fs_replica_stats st;
	double lam;

	(void)state;
	model(&m, "Llama-3-8B", "H100-SXM5-80GB", 1, FS_PREC_BF16);
	w.input_tokens = lognormal(140, 1.0);
	w.output_tokens = lognormal(138, 0.9);
	w.arrival = FS_ARRIVAL_POISSON;
	w.qps = 0.6 * saturation(&m, &s, w);
	run_ok(&m, &s, &w, &st);
	assert_true(st.mean_in_flight > 1.0);
	assert_true(fabs(st.mean_in_flight - w.qps * st.e2e_mean_s) < 0.05 * st.mean_in_flight);
	lam = (double)st.n_requests / st.makespan_s;
	assert_true(fabs(st.mean_in_flight - lam * st.e2e_mean_s) < 1e-6 * st.mean_in_flight);
	assert_true(st.busy_frac > 0.3 && st.busy_frac <= 1.0);
}

/* With one seed (common random numbers), latency never falls as the rate rises. */
static void test_replica_latency_nondecreasing_in_load(void **state)
{
	struct fs_serve_model m;
	struct fs_replica_sched s = fs_replica_sched_default();
	struct fs_replica_workload w = { .n_requests = 4000, .seed = 23 };
	struct fs_replica_stats st;
	double sat, prev_e2e = 0, prev_ttft = 0, prev_tpot = 0;

	(void)state;
	model(&m, "Llama-2-70B", "H100-SXM5-80GB", 4, FS_PREC_FP8);
	w.input_tokens = lognormal(400, 0.8);
	w.output_tokens = lognormal(150, 0.8);
	sat = saturation(&m, &s, w);
	w.arrival = FS_ARRIVAL_POISSON;
	for (int i = 1; i <= 9; i++) {
		w.qps = 0.1 * i * sat;
		run_ok(&m, &s, &w, &st);
		assert_true(st.e2e_mean_s >= prev_e2e * 0.999);
		assert_true(st.ttft_p99_s >= prev_ttft * 0.99);
		assert_true(st.tpot_p50_s >= prev_tpot * 0.99);
		prev_e2e = st.e2e_mean_s;
		prev_ttft = st.ttft_p99_s;
		prev_tpot = st.tpot_p50_s;
	}
	/* Near saturation a request waits far longer than alone. */
	w.qps = 0.01 * sat;
	{
		struct fs_replica_stats lo;
		run_ok(&m, &s, &w, &lo);
		assert_true(prev_e2e > 1.5 * lo.e2e_mean_s);
	}
}

/*
 * Too little KV cache for everything admitted: decodes run out of blocks,
 * the newest requests are preempted and recomputed, and every request still
 * finishes, with or without the prefix cache.
 */
static void test_replica_preemption_recompute(void **state)
{
	struct fs_serve_model m;
	struct fs_replica_sched s = { .max_num_seqs = 256, .max_batched_tokens = 8192,
				      .chunked_prefill = true };
	struct fs_replica_workload w = { .arrival = FS_ARRIVAL_BURST, .n_requests = 300, .seed = 3 };
	struct fs_replica_stats a, b;
	long per_seq;

	(void)state;
	model(&m, "Llama-2-70B", "H100-SXM5-80GB", 2, FS_PREC_FP8);
	w.input_tokens = fs_dist_fixed(1500);
	w.output_tokens = fs_dist_fixed(1500);
	per_seq = fs_serve_max_seqs(&m, 3000);
	assert_true(per_seq < 256); /* the KV cache is the limit, not max_num_seqs */
	run_ok(&m, &s, &w, &a);
	assert_true(a.n_preemptions > 0);
	assert_true(a.output_tokens == 300 * 1500.0);
	s.prefix_caching = true;
	run_ok(&m, &s, &w, &b);
	assert_true(b.n_preemptions > 0);
	assert_true(b.output_tokens == 300 * 1500.0);
	/* Reusing cached prefixes never makes the run slower. */
	assert_true(b.makespan_s <= a.makespan_s * 1.001);
}

/* The same inputs give bit-identical results; another seed does not. */
static void test_replica_determinism(void **state)
{
	struct fs_serve_model m;
	struct fs_replica_sched s = fs_replica_sched_default();
	struct fs_replica_workload w = { .arrival = FS_ARRIVAL_POISSON, .qps = 20, .n_requests = 3000,
					 .seed = 99 };
	struct fs_replica_stats a, b, c;

	(void)state;
	model(&m, "Mistral-7B", "A100-SXM4-80GB", 1, FS_PREC_BF16);
	w.input_tokens = lognormal(300, 1.0);
	w.output_tokens = lognormal(200, 0.7);
	run_ok(&m, &s, &w, &a);
	run_ok(&m, &s, &w, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	w.seed = 100;
	run_ok(&m, &s, &w, &c);
	assert_true(c.ttft_p99_s != a.ttft_p99_s || c.e2e_mean_s != a.e2e_mean_s);
}

static void expect_run(const struct fs_serve_model *m, const struct fs_replica_sched *s,
		       const struct fs_replica_workload *w, enum fs_status want, const char *needle)
{
	struct fs_replica_stats st;
	struct fs_error e;

	fs_error_clear(&e);
	assert_int_equal(fs_replica_run(ws, m, s, w, &st, &e), want);
	if (!strstr(e.msg, needle)) {
		print_error("message '%s' lacks '%s'\n", e.msg, needle);
		fail();
	}
}

static void test_replica_errors(void **state)
{
	static const double unsorted[] = { 0.0, 2.0, 1.0 };
	struct fs_serve_model m;
	struct fs_replica_sched s = fs_replica_sched_default();
	struct fs_replica_workload w = { .arrival = FS_ARRIVAL_POISSON, .qps = 0, .n_requests = 10 };

	(void)state;
	model(&m, "Llama-2-7B", "A100-SXM4-80GB", 1, FS_PREC_FP16);
	w.input_tokens = fs_dist_fixed(100);
	w.output_tokens = fs_dist_fixed(10);
	expect_run(&m, &s, &w, FS_ERR_INPUT, "request rate");
	w.qps = 1;
	w.n_requests = 0;
	expect_run(&m, &s, &w, FS_ERR_INPUT, "requests");
	w.n_requests = 10;
	s.max_batched_tokens = 100;
	expect_run(&m, &s, &w, FS_ERR_INPUT, "below max_num_seqs");
	s = fs_replica_sched_default();
	s.max_num_seqs = 0;
	expect_run(&m, &s, &w, FS_ERR_INPUT, "max_num_seqs");
	s = fs_replica_sched_default();
	w.arrival = FS_ARRIVAL_TRACE;
	w.trace_s = unsorted;
	w.n_requests = 3;
	expect_run(&m, &s, &w, FS_ERR_INPUT, "non-decreasing");
	w.arrival = FS_ARRIVAL_CLOSED;
	w.concurrency = 0;
	expect_run(&m, &s, &w, FS_ERR_INPUT, "in flight");
	/* A 10^6-token request cannot fit in the KV cache at all. */
	w.arrival = FS_ARRIVAL_BURST;
	w.input_tokens = fs_dist_fixed(1e6);
	expect_run(&m, &s, &w, FS_ERR_INFEASIBLE, "missing");
}

/* ---- capacity ----------------------------------------------------------------------- */

static struct fs_replica_spec spec_70b(void)
{
	struct fs_replica_spec sp;

	memset(&sp, 0, sizeof(sp));
	sp.serve.llm = tu_llm("Llama-2-70B");
	sp.serve.gpu = tu_gpu("H100-SXM5-80GB");
	sp.serve.tp = 8;
	sp.serve.precision = FS_PREC_BF16;
	sp.sched = fs_replica_sched_default();
	sp.input_tokens = lognormal(500, 0.8);
	sp.output_tokens = lognormal(200, 0.6);
	sp.slo.ttft_p99_s = 2.0;
	sp.slo.tpot_p99_s = 0.2;
	sp.n_requests = 3000;
	sp.seed = 4;
	return sp;
}

/*
 * The capacity meets the objectives, a rate 10 % above it does not (the
 * search stops within 2.5 %), it is below the saturation rate, and the
 * curve is sampled on both sides of it.
 */
static void test_replica_capacity_bracketing(void **state)
{
	struct fs_replica_memo *memo;
	struct fs_replica_spec sp = spec_70b();
	const struct fs_replica_curve *c;
	struct fs_serve_model m;
	struct fs_replica_workload w = { .arrival = FS_ARRIVAL_POISSON, .n_requests = 3000, .seed = 4 };
	struct fs_replica_stats st;
	struct fs_error e;

	(void)state;
	assert_int_equal(fs_replica_memo_create(&memo), FS_OK);
	fs_error_clear(&e);
	assert_int_equal(fs_replica_capacity(memo, &sp, &c, &e), FS_OK);
	assert_true(c->capacity_qps > 0);
	assert_true(c->capacity_qps <= 1.2 * c->saturation_qps);
	assert_true(c->at_capacity.ttft_p99_s <= 2.0);
	assert_true(c->at_capacity.tpot_p99_s <= 0.2);
	assert_true(c->n_probes >= 4);
	assert_true(c->max_concurrent_seqs > 100);

	model(&m, "Llama-2-70B", "H100-SXM5-80GB", 8, FS_PREC_BF16);
	w.input_tokens = sp.input_tokens;
	w.output_tokens = sp.output_tokens;
	w.qps = 1.1 * c->capacity_qps;
	run_ok(&m, &sp.sched, &w, &st);
	assert_true(st.ttft_p99_s > 2.0 || st.tpot_p99_s > 0.2);

	assert_true(c->n_points >= 3);
	for (int i = 1; i < c->n_points; i++)
		assert_true(c->qps[i] > c->qps[i - 1]);
	assert_true(c->qps[0] < c->capacity_qps && c->qps[c->n_points - 1] >= c->capacity_qps);
	fs_replica_memo_destroy(memo);
}

/* Unreachable objectives: capacity 0, reported, nothing crashes. */
static void test_replica_capacity_zero(void **state)
{
	struct fs_replica_memo *memo;
	struct fs_replica_spec sp = spec_70b();
	const struct fs_replica_curve *c;

	(void)state;
	sp.slo.ttft_p99_s = 1e-4;
	assert_int_equal(fs_replica_memo_create(&memo), FS_OK);
	assert_int_equal(fs_replica_capacity(memo, &sp, &c, NULL), FS_OK);
	assert_true(c->capacity_qps == 0.0);
	assert_true(c->n_points >= 3);
	fs_replica_memo_destroy(memo);
}

/* One computation per distinct spec; contents, not addresses, decide. */
static void test_replica_memo(void **state)
{
	struct fs_replica_memo *memo;
	struct fs_replica_spec sp = spec_70b(), sp2;
	const struct fs_replica_curve *a, *b, *c;
	struct fs_llm copy = *sp.serve.llm;

	(void)state;
	sp.n_requests = 1000;
	assert_int_equal(fs_replica_memo_create(&memo), FS_OK);
	assert_int_equal(fs_replica_capacity(memo, &sp, &a, NULL), FS_OK);
	sp2 = sp;
	sp2.serve.llm = &copy; /* same model at another address */
	assert_int_equal(fs_replica_capacity(memo, &sp2, &b, NULL), FS_OK);
	assert_ptr_equal(a, b);
	assert_int_equal(fs_replica_memo_size(memo), 1);
	sp2.slo.tpot_p99_s = 0.05;
	assert_int_equal(fs_replica_capacity(memo, &sp2, &c, NULL), FS_OK);
	assert_ptr_not_equal(a, c);
	assert_int_equal(fs_replica_memo_size(memo), 2);
	assert_true(c->capacity_qps <= a->capacity_qps);
	/* A spec that cannot run is reported and not memoised. */
	sp2.serve.tp = 1;
	sp2.serve.precision = FS_PREC_BF16;
	assert_int_equal(fs_replica_capacity(memo, &sp2, &c, NULL), FS_ERR_INFEASIBLE);
	assert_int_equal(fs_replica_memo_size(memo), 2);
	sp2 = sp;
	sp2.slo.ttft_p99_s = 0;
	assert_int_equal(fs_replica_capacity(memo, &sp2, &c, NULL), FS_ERR_INPUT);
	fs_replica_memo_destroy(memo);
}

/* The interpolated curve passes through its samples and stays between neighbours. */
static void test_replica_curve_interpolation(void **state)
{
	struct fs_replica_memo *memo;
	struct fs_replica_spec sp = spec_70b();
	const struct fs_replica_curve *c;
	bool beyond;

	(void)state;
	sp.n_requests = 1500;
	assert_int_equal(fs_replica_memo_create(&memo), FS_OK);
	assert_int_equal(fs_replica_capacity(memo, &sp, &c, NULL), FS_OK);
	for (int i = 0; i < c->n_points; i++)
		assert_true(fabs(fs_replica_curve_at(c, FS_RM_E2E_MEAN, c->qps[i], NULL) -
				 c->y[FS_RM_E2E_MEAN][i]) < 1e-9 * c->y[FS_RM_E2E_MEAN][i]);
	for (int i = 1; i < c->n_points; i++) {
		double x = 0.5 * (c->qps[i - 1] + c->qps[i]);
		double lo = fmin(c->y[FS_RM_TTFT_P99][i - 1], c->y[FS_RM_TTFT_P99][i]);
		double hi = fmax(c->y[FS_RM_TTFT_P99][i - 1], c->y[FS_RM_TTFT_P99][i]);
		double v = fs_replica_curve_at(c, FS_RM_TTFT_P99, x, &beyond);
		assert_false(beyond);
		assert_true(v >= lo - 1e-12 && v <= hi + 1e-12);
	}
	assert_true(fs_replica_curve_at(c, FS_RM_TTFT_P50, 0.0, &beyond) == c->y[FS_RM_TTFT_P50][0]);
	assert_false(beyond);
	fs_replica_curve_at(c, FS_RM_TTFT_P50, 10.0 * c->qps[c->n_points - 1], &beyond);
	assert_true(beyond);
	assert_true(isnan(fs_replica_curve_at(c, FS_RM_COUNT, 1.0, NULL)));
	fs_replica_memo_destroy(memo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replica_static_batch_equals_hand_sum),
		cmocka_unit_test(test_replica_trace_isolated_requests),
		cmocka_unit_test(test_replica_littles_law),
		cmocka_unit_test(test_replica_latency_nondecreasing_in_load),
		cmocka_unit_test(test_replica_preemption_recompute),
		cmocka_unit_test(test_replica_determinism),
		cmocka_unit_test(test_replica_errors),
		cmocka_unit_test(test_replica_capacity_bracketing),
		cmocka_unit_test(test_replica_capacity_zero),
		cmocka_unit_test(test_replica_memo),
		cmocka_unit_test(test_replica_curve_interpolation),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
