/*
 * test_service.c - services at fleet level (service.h): the replica count
 * rule, tp = "auto", the attainment curve's boundaries and shape, every
 * error path, memoisation, and item 9 of issue 9: a day of hourly
 * intervals from the fleet-level model against a request-level simulation
 * of every replica in every hour; memos exported and imported (the
 * writer of a sweep receives its workers' plans that way).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fleetsim/demand.h"
#include "fleetsim/dispatch.h"
#include "fleetsim/replica.h"
#include "fleetsim/service.h"
#include "fleetsim/util.h"
#include "testutil.h"

#define H 3600.0

static struct fs_service_memo *memo;

static int setup(void **state)
{
	(void)state;
	return fs_service_memo_create(&memo) == FS_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	fs_service_memo_destroy(memo);
	return 0;
}

static struct fs_dist lognormal(double median, double sigma, double hi)
{
	struct fs_dist d;

	memset(&d, 0, sizeof(d));
	d.kind = FS_DIST_LOGNORMAL;
	d.a = median;
	d.b = sigma;
	d.lo = 4;
	d.hi = hi;
	return d;
}

/* A retrieval-augmented chat service: long prompts, interactive objectives. */
static void chat(struct fs_service_spec *s, const char *model, int tp)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "chat");
	s->model = tu_llm(model);
	s->precision = FS_PREC_BF16;
	s->tp = tp;
	s->engine = FS_ENGINE_TRTLLM;
	s->input_tokens = lognormal(1500, 0.6, 4096);
	s->output_tokens = lognormal(300, 0.6, 1024);
	s->ttft_p99_s = 1.0;
	s->tpot_p99_s = 0.025;
	fs_demand_flat(&s->demand, 6);
	/* A diurnal swing of +-50 % peaking at 15:00; sines over 24 hours sum to 0, so the mean is 1. */
	for (int h = 0; h < 24; h++)
		s->demand.daily[h] = 1 + 0.5 * sin(2 * 3.14159265358979324 * (h - 9) / 24.0);
}

/* ceil(demand / capacity): exact multiples need exactly that many. */
static void test_service_replicas_needed(void **state)
{
	struct fs_service_spec s;
	const struct fs_service_plan *p;
	struct fs_error e;
	double c;

	(void)state;
	chat(&s, "Llama-2-7B", 1);
	assert_int_equal(fs_service_plan_get(memo, &s, tu_gpu("H100-SXM5-80GB"), 8, 10, &p, &e), FS_OK);
	c = p->capacity_rps;
	assert_true(c > 0 && c <= p->saturation_rps);
	assert_int_equal(p->tp, 1);
	assert_int_equal(fs_service_replicas_needed(p, 0), 0);
	assert_int_equal(fs_service_replicas_needed(p, 1e-9), 1);
	assert_int_equal(fs_service_replicas_needed(p, c), 1);
	assert_int_equal(fs_service_replicas_needed(p, 3 * c), 3);
	assert_int_equal(fs_service_replicas_needed(p, 3.0001 * c), 4);
	assert_int_equal(fs_service_replicas_needed(p, 2.5 * c), 3);
	/* the mean of the lognormal output clamped to [4, 1024] is near 300 * exp(0.36 / 2) */
	assert_true(fabs(p->output_tokens_per_req - 300 * exp(0.18)) < 0.05 * 300 * exp(0.18));
}

/* Boundaries and shape of the curve. */
static void test_service_attainment_curve(void **state)
{
	struct fs_service_spec s;
	const struct fs_service_plan *p, *p2;
	struct fs_error e;
	double c, last, a;

	(void)state;
	chat(&s, "Llama-2-7B", 1);
	assert_int_equal(fs_service_plan_get(memo, &s, tu_gpu("H100-SXM5-80GB"), 8, 10, &p, &e), FS_OK);
	/* memoised: the same plan, not a second search */
	assert_int_equal(fs_service_plan_get(memo, &s, tu_gpu("H100-SXM5-80GB"), 8, 10, &p2, &e), FS_OK);
	assert_ptr_equal(p, p2);
	c = p->capacity_rps;
	assert_true(p->n_points >= 3 && p->n_points <= FS_SERVICE_CURVE_MAX);
	for (int i = 1; i < p->n_points; i++) {
		assert_true(p->load_rps[i] > p->load_rps[i - 1]);
		assert_true(p->attain_frac[i] <= p->attain_frac[i - 1]);
	}
	assert_true(fs_service_attainment(p, 0, 0) == 1.0);
	assert_true(fs_service_attainment(p, 0, 5) == 1.0);
	assert_true(fs_service_attainment(p, 1.0, 0) == 0.0);
	/* At capacity the p99s meet the objectives, so at least 98 % of requests meet
	 * both (each p99 fails at most 1 %). */
	assert_true(fs_service_attainment(p, 4 * c, 4) >= 0.98);
	assert_true(fs_service_attainment(p, 0.1 * c, 1) >= 0.98);
	/* non-increasing in load */
	last = 1.0;
	for (double load = 0.05 * c; load < 4 * c; load += 0.05 * c) {
		a = fs_service_attainment(p, 3 * load, 3);
		assert_true(a >= 0 && a <= last + 1e-15);
		last = a;
	}
	/* beyond the curve the rate served within the objectives stays put */
	{
		int n = p->n_points;
		double top = p->load_rps[n - 1], served_top = top * p->attain_frac[n - 1];
		assert_true(fabs(fs_service_attainment(p, 3 * top, 1) * 3 * top - served_top) <=
			    1e-12 * served_top);
	}
}

/* Llama-2-70B in bf16 (~138 GB of weights) does not fit one 80 GB GPU:
 * auto tries 2, 4, 8 and keeps the fewest GPUs for the demand. */
static void test_service_tp_auto(void **state)
{
	struct fs_service_spec s;
	struct fs_service_tp_row rows[4];
	const struct fs_service_plan *p;
	const struct fs_gpu *g = tu_gpu("H100-SXM5-80GB");
	struct fs_error e;
	int n;

	(void)state;
	chat(&s, "Llama-2-70B", 0);
	s.ttft_p99_s = 2.0;
	s.tpot_p99_s = 0.1;
	assert_int_equal(fs_service_tp_table(memo, &s, g, 8, 40, rows, &n, &e), FS_OK);
	assert_true(n >= 2);
	assert_true(rows[0].tp >= 2); /* TP 1 does not fit */
	assert_int_equal(fs_service_plan_get(memo, &s, g, 8, 40, &p, &e), FS_OK);
	for (int i = 0; i < n; i++) {
		assert_int_equal(rows[i].gpus, rows[i].replicas * rows[i].tp);
		assert_int_equal(rows[i].replicas, (int)ceil(40 / rows[i].capacity_rps));
		if (rows[i].tp == p->tp)
			assert_true(fabs(rows[i].capacity_rps - p->capacity_rps) == 0);
		else
			/* the chosen size needs no more GPUs; on a tie it is the smaller */
			assert_true(rows[i].gpus > p->tp * fs_service_replicas_needed(p, 40) ||
				    (rows[i].gpus == p->tp * fs_service_replicas_needed(p, 40) &&
				     rows[i].tp > p->tp));
	}
	/* four GPUs per node leave out TP 8 */
	assert_int_equal(fs_service_tp_table(memo, &s, g, 4, 40, rows, &n, &e), FS_OK);
	assert_true(rows[n - 1].tp <= 4);
}

static void test_service_errors(void **state)
{
	struct fs_service_spec s;
	const struct fs_service_plan *p;
	const struct fs_gpu *g = tu_gpu("H100-SXM5-80GB");
	struct fs_error e;

	(void)state;
	/* 70B on one-GPU nodes: nothing fits */
	chat(&s, "Llama-2-70B", 0);
	assert_int_equal(fs_service_plan_get(memo, &s, g, 1, 10, &p, &e), FS_ERR_INFEASIBLE);
	assert_null(p);
	assert_non_null(strstr(e.msg, "Llama-2-70B"));
	/* an explicit TP larger than a node */
	chat(&s, "Llama-2-7B", 8);
	assert_int_equal(fs_service_plan_get(memo, &s, g, 4, 10, &p, &e), FS_ERR_INFEASIBLE);
	assert_non_null(strstr(e.msg, "tp 8"));
	/* an explicit TP that does not divide the heads: the model's own error */
	chat(&s, "Llama-2-7B", 3);
	assert_int_equal(fs_service_plan_get(memo, &s, g, 8, 10, &p, &e), FS_ERR_INPUT);
	/* objectives no load meets: 1 ms to the first token */
	chat(&s, "Llama-2-7B", 0);
	s.ttft_p99_s = 1e-3;
	assert_int_equal(fs_service_plan_get(memo, &s, g, 8, 10, &p, &e), FS_ERR_INFEASIBLE);
	assert_non_null(strstr(e.msg, "objectives"));
}

/* ---- item 9: the two levels agree ------------------------------------------------- */

struct day_totals {
	double requests, within, tokens;
};

/*
 * One day of hourly intervals with replicas[h] replicas in hour h: (a) the
 * fleet model, (b) every replica simulated at request level for the hour
 * (Poisson at demand / replicas, its own seed per hour and replica).
 */
static void two_levels(const struct fs_service_spec *s, const struct fs_service_plan *p,
		       const int replicas[24], struct day_totals *model, struct day_totals *sim)
{
	struct fs_serve_cfg cfg = { .llm = s->model, .gpu = p->gpu, .tp = p->tp,
				    .precision = s->precision, .engine = s->engine };
	struct fs_replica_sched sched = fs_replica_sched_default();
	struct fs_serve_model m;
	struct fs_replica_ws *ws;
	struct fs_replica_workload w;
	struct fs_replica_stats st;

	memset(model, 0, sizeof(*model));
	memset(sim, 0, sizeof(*sim));
	assert_int_equal(fs_serve_model_init(&m, &cfg, NULL), FS_OK);
	assert_int_equal(fs_replica_ws_create(&ws, 100000), FS_OK);
	for (int h = 0; h < 24; h++) {
		double d = fs_demand_mean_rps(&s->demand, h * H, (h + 1) * H);
		double a = fs_service_attainment(p, d, replicas[h]);

		model->requests += d * H;
		model->within += a * d * H;
		model->tokens += a * d * H * p->output_tokens_per_req;
		for (int r = 0; r < replicas[h]; r++) {
			memset(&w, 0, sizeof(w));
			w.arrival = FS_ARRIVAL_POISSON;
			w.qps = d / replicas[h];
			w.n_requests = lround(w.qps * H);
			w.input_tokens = s->input_tokens;
			w.output_tokens = s->output_tokens;
			w.seed = fs_seed_mix(1000 + (uint64_t)h, r == 0 ? "r0" : "rn") + (uint64_t)r;
			w.count_ttft_s = s->ttft_p99_s;
			w.count_tpot_s = s->tpot_p99_s;
			assert_int_equal(fs_replica_run(ws, &m, &sched, &w, &st, NULL), FS_OK);
			sim->requests += (double)st.n_requests;
			sim->within += (double)st.n_within_slo;
			sim->tokens += st.output_tokens_within_slo;
		}
	}
	fs_replica_ws_destroy(ws);
}

static void test_service_two_levels_agree(void **state)
{
	struct fs_service_spec s;
	const struct fs_service_plan *p;
	struct fs_error e;
	struct day_totals mo, si;
	int reps[24];
	double peak;

	(void)state;
	chat(&s, "Llama-2-7B", 1);
	peak = fs_demand_peak_rps(&s.demand, 0, 24 * H);
	assert_int_equal(fs_service_plan_get(memo, &s, tu_gpu("H100-SXM5-80GB"), 8, peak, &p, &e),
			 FS_OK);

	/* (1) as many replicas as needed every hour */
	for (int h = 0; h < 24; h++)
		reps[h] = fs_service_replicas_needed(p, fs_demand_mean_rps(&s.demand, h * H, (h + 1) * H));
	two_levels(&s, p, reps, &mo, &si);
	print_message("needed: capacity %.3f rps/replica; attainment model %.4f sim %.4f; "
		      "tokens model %.4g sim %.4g (%+.2f %%)\n", p->capacity_rps,
		      mo.within / mo.requests, si.within / si.requests, mo.tokens, si.tokens,
		      100 * (mo.tokens / si.tokens - 1));
	assert_true(fabs(si.requests / mo.requests - 1) < 0.01); /* Poisson counts round */
	assert_true(fabs(mo.within / mo.requests - si.within / si.requests) < 0.01);
	assert_true(fabs(mo.tokens / si.tokens - 1) < 0.02);

	/* (2) 30 % short from 10:00 to 20:00 (the busy hours) */
	for (int h = 10; h < 20; h++)
		reps[h] = reps[h] - (int)lround(0.3 * reps[h]) > 0 ? reps[h] - (int)lround(0.3 * reps[h]) : 1;
	two_levels(&s, p, reps, &mo, &si);
	print_message("short: attainment model %.4f sim %.4f; tokens model %.4g sim %.4g (%+.2f %%)\n",
		      mo.within / mo.requests, si.within / si.requests, mo.tokens, si.tokens,
		      100 * (mo.tokens / si.tokens - 1));
	assert_true(mo.within / mo.requests < 0.97); /* the shortage shows */
	assert_true(fabs(mo.within / mo.requests - si.within / si.requests) < 0.01);
	assert_true(fabs(mo.tokens / si.tokens - 1) < 0.02);
}

/* estimate serve --target-qps: rows cheapest first, arithmetic consistent, errors exit 2. */
static void test_service_cli_target_qps(void **state)
{
	static char out[16384];
	char *line, *save = NULL;
	int n = 0, last_gpus = 0;

	(void)state;
	assert_int_equal(tu_fleetsim("estimate serve --gpu H100 --model Llama-2-13B --input-tokens 128"
				     " --output-tokens 32 --target-qps 37.5 --format csv", out, sizeof(out)), 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char gpu[64], model[64], prec[16];
		int in, outt, tp, reps, gpus;
		double ttft, tpot, target, cap, usd_gpu, usd;

		if (n++ == 0) {
			assert_non_null(strstr(line, "tp,capacity_qps,replicas,gpus,usd_per_gpu_hour"));
			continue;
		}
		assert_int_equal(sscanf(line, "%63[^,],%63[^,],%15[^,],%d,%d,%lf,%lf,%lf,%d,%lf,%d,%d,%lf,%lf",
					gpu, model, prec, &in, &outt, &ttft, &tpot, &target, &tp, &cap,
					&reps, &gpus, &usd_gpu, &usd), 14);
		assert_string_equal(model, "Llama-2-13B");
		assert_true(target == 37.5 && ttft == 2 && tpot == 0.2);
		assert_int_equal(gpus, reps * tp);
		/* capacity is printed to 4 digits: allow that much either side of the ceiling */
		assert_true(reps * cap >= 37.5 * (1 - 1e-3) && (reps - 1) * cap < 37.5 * (1 + 1e-3));
		assert_true(fabs(usd - usd_gpu * gpus) <= 0.006);
		assert_true(gpus >= last_gpus); /* cheapest first */
		last_gpus = gpus;
	}
	assert_int_equal(n, 5); /* header and TP 1, 2, 4, 8 */

	assert_int_equal(tu_fleetsim("estimate serve --gpu A100-SXM4-40GB --model Llama-3-405B"
				     " --input-tokens 128 --output-tokens 32 --target-qps 5", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "no tensor-parallel size up to 8"));
	assert_int_equal(tu_fleetsim("estimate serve --gpu H100 --model Llama-2-13B --input-tokens 128"
				     " --output-tokens 32 --target-qps 5 --requests 10", out, sizeof(out)), 2);
	assert_int_equal(tu_fleetsim("estimate serve --gpu H100 --model Llama-2-13B --input-tokens 128"
				     " --output-tokens 32 --target-qps 5 --capacity", out, sizeof(out)), 2);
}


/* Every metric of two curves at rates on and between their samples, bit for bit. */
static void assert_same_curve(const struct fs_replica_curve *a, const struct fs_replica_curve *b)
{
	assert_int_equal(a->n_points, b->n_points);
	assert_memory_equal(&a->capacity_qps, &b->capacity_qps, sizeof(double));
	assert_memory_equal(&a->saturation_qps, &b->saturation_qps, sizeof(double));
	assert_memory_equal(&a->at_capacity, &b->at_capacity, sizeof(a->at_capacity));
	assert_memory_equal(a->qps, b->qps, sizeof(a->qps));
	for (int k = 0; k < FS_RM_COUNT; k++) {
		/* interpolants rebuilt, not copied: their own objects */
		assert_true(a->n_points < 2 || (b->interp[k] && b->interp[k] != a->interp[k]));
		for (int i = 0; i + 1 < a->n_points; i++)
			for (double f = 0; f < 1; f += 0.2385) {
				double q = a->qps[i] + f * (a->qps[i + 1] - a->qps[i]);
				double ya = fs_replica_curve_at(a, (enum fs_replica_metric)k, q, NULL);
				double yb = fs_replica_curve_at(b, (enum fs_replica_metric)k, q, NULL);
				assert_memory_equal(&ya, &yb, sizeof(double));
			}
	}
}

/* A replica memo exported and imported into an empty one gives the same curves;
 * cut or damaged bytes are refused and add nothing. */
static void test_service_replica_memo_export(void **state)
{
	struct fs_replica_memo *a, *b;
	struct fs_replica_spec rs;
	const struct fs_replica_curve *ca, *cb;
	struct fs_dbuf buf = { 0 };
	struct fs_error e;
	const size_t cuts[] = { 0, 8, 15, 16, 17, 100 };

	(void)state;
	assert_int_equal(fs_replica_memo_create(&a), FS_OK);
	assert_int_equal(fs_replica_memo_create(&b), FS_OK);
	memset(&rs, 0, sizeof(rs));
	rs.serve.llm = tu_llm("Llama-2-13B");
	rs.serve.gpu = tu_gpu("H100-SXM5-80GB");
	rs.serve.tp = 1;
	rs.serve.precision = FS_PREC_BF16;
	rs.serve.engine = FS_ENGINE_VLLM;
	rs.sched = fs_replica_sched_default();
	rs.input_tokens = lognormal(700, 0.5, 2048);
	rs.output_tokens = lognormal(150, 0.5, 512);
	rs.slo.ttft_p99_s = 2.0;
	rs.slo.tpot_p99_s = 0.2;
	rs.n_requests = 600;
	rs.seed = 11;
	assert_int_equal(fs_replica_capacity(a, &rs, &ca, &e), FS_OK);
	assert_true(ca->n_points >= 3 && ca->capacity_qps > 0);
	assert_int_equal(fs_replica_memo_export(a, &buf), FS_OK);

	/* cut anywhere, with bytes left over, or one key word changed: refused, nothing added */
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		assert_int_equal(fs_replica_memo_import(b, buf.data, cuts[i], &e), FS_ERR_SIM);
	assert_int_equal(fs_replica_memo_import(b, buf.data, buf.len - 1, &e), FS_ERR_SIM);
	assert_int_equal(fs_replica_memo_import(b, buf.data, buf.len / 2, &e), FS_ERR_SIM);
	assert_int_equal(fs_dbuf_put(&buf, "x", 1), FS_OK);
	assert_int_equal(fs_replica_memo_import(b, buf.data, buf.len, &e), FS_ERR_SIM);
	buf.len--;
	buf.data[4 * sizeof(uint64_t)] ^= 1; /* the first word of the first key */
	assert_int_equal(fs_replica_memo_import(b, buf.data, buf.len, &e), FS_ERR_SIM);
	buf.data[4 * sizeof(uint64_t)] ^= 1;
	assert_int_equal(fs_replica_memo_size(b), 0);

	assert_int_equal(fs_replica_memo_import(b, buf.data, buf.len, &e), FS_OK);
	assert_int_equal(fs_replica_memo_size(b), 1);
	/* the same spec is a lookup there now: no new entry, the same numbers */
	assert_int_equal(fs_replica_capacity(b, &rs, &cb, &e), FS_OK);
	assert_int_equal(fs_replica_memo_size(b), 1);
	assert_int_equal(cb->n_probes, ca->n_probes);
	assert_same_curve(ca, cb);
	/* importing what it holds adds nothing */
	assert_int_equal(fs_replica_memo_import(b, buf.data, buf.len, &e), FS_OK);
	assert_int_equal(fs_replica_memo_size(b), 1);
	fs_dbuf_fini(&buf);
	fs_replica_memo_destroy(a);
	fs_replica_memo_destroy(b);
}

/* A service memo exported and imported gives the same plans (numbers and
 * attainment), looked up rather than planned again; cut bytes are refused. */
static void test_service_memo_export(void **state)
{
	struct fs_service_memo *b;
	struct fs_service_spec s;
	const struct fs_service_plan *pa, *pb;
	const struct fs_gpu *g = tu_gpu("H100-SXM5-80GB");
	struct fs_dbuf buf = { 0 };
	struct fs_error e;

	(void)state;
	chat(&s, "Llama-2-13B", 0);
	assert_int_equal(fs_service_plan_get(memo, &s, g, 8, 12.5, &pa, &e), FS_OK);
	assert_ptr_equal(pa->svc, &s);
	assert_int_equal(fs_service_memo_export(memo, &buf), FS_OK);
	assert_int_equal(fs_service_memo_create(&b), FS_OK);
	assert_int_equal(fs_service_memo_import(b, buf.data, 0, &e), FS_ERR_SIM);
	assert_int_equal(fs_service_memo_import(b, buf.data, 7, &e), FS_ERR_SIM);
	assert_int_equal(fs_service_memo_import(b, buf.data, buf.len - 1, &e), FS_ERR_SIM);
	assert_int_equal(fs_service_memo_import(b, buf.data, buf.len, &e), FS_OK);
	assert_int_equal(fs_service_memo_import(b, buf.data, buf.len, &e), FS_OK); /* idempotent */
	assert_int_equal(fs_service_plan_get(b, &s, g, 8, 12.5, &pb, &e), FS_OK);
	/* imported, not planned: a planned one would name its service */
	assert_null(pb->svc);
	assert_null(pb->gpu);
	assert_int_equal(pb->tp, pa->tp);
	assert_int_equal(pb->n_points, pa->n_points);
	assert_memory_equal(&pb->capacity_rps, &pa->capacity_rps, sizeof(double));
	assert_memory_equal(&pb->saturation_rps, &pa->saturation_rps, sizeof(double));
	assert_memory_equal(&pb->output_tokens_per_req, &pa->output_tokens_per_req, sizeof(double));
	assert_memory_equal(pb->load_rps, pa->load_rps, sizeof(pa->load_rps));
	assert_memory_equal(pb->attain_frac, pa->attain_frac, sizeof(pa->attain_frac));
	for (double d = 0; d < 40; d += 2.385) {
		double x = fs_service_attainment(pa, d, 3), y = fs_service_attainment(pb, d, 3);
		assert_memory_equal(&x, &y, sizeof(double));
	}
	fs_dbuf_fini(&buf);
	fs_service_memo_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_replicas_needed),
		cmocka_unit_test(test_service_attainment_curve),
		cmocka_unit_test(test_service_tp_auto),
		cmocka_unit_test(test_service_errors),
		cmocka_unit_test(test_service_two_levels_agree),
		cmocka_unit_test(test_service_cli_target_qps),
		cmocka_unit_test(test_service_replica_memo_export),
		cmocka_unit_test(test_service_memo_export),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
