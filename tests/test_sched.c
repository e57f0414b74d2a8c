/*
 * test_sched.c - the fleet run's scheduling policies, pools, procurement and
 * node failures on small schedules worked out by hand, and the invariants
 * every run keeps (GPU states add up, GPU-hours conserved, no job before its
 * submission).
 *
 * The made-up GPU G (100 TFLOP/s bf16, MFU 0.5) and model M of test_run.c:
 * a job's run time is tokens x F / (GPUs x 50e12), so tokens_for(h, g) is a
 * job that runs h hours on g GPUs of G. G2 is G at half the speed and a
 * quarter of the price.
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

#include "fleetsim/fleet.h"
#include "fleetsim/run.h"
#include "fleetsim/scenario.h"
#include "fleetsim/sched.h"
#include "testutil.h"

#define F_PER_TOKEN TU_F_PER_TOKEN
#define GPU_FLOPS TU_GPU_G_FLOPS
#define H 3600.0
#define TOL 1e-6

static double tokens_for(double hours, int gpus)
{
	return hours * H * gpus * GPU_FLOPS / F_PER_TOKEN;
}

static const char head[] =
	"name = \"s\"; seed = 7; horizon_days = %.17g; series_interval_hours = 1.0;\n"
	"train_model = \"first_order\"; failures = { enabled = false; };\n"
	"gpus = ( { name = \"G\"; " TU_GPU_G_FIELDS " },\n"
	"  { name = \"G2\"; arch = \"ampere\"; fp64_tflops = 1.0; tf32_tflops = 25.0;\n"
	"  bf16_tflops = 50.0; fp8_tflops = 0.0; int8_tops = 100.0; mem_gb = 80.0;\n"
	"  mem_bw_gbps = 2000.0; nvlink_gbps = 600.0; nvlink_domain = 8; pcie_gbps = 64.0;\n"
	"  net_gbps = 25.0; tdp_w = 400.0; gpus_per_node = 8; gemm_eff_frac = 0.8;\n"
	"  hbm_eff_frac = 0.9; train_mfu_frac = 0.5; mtbf_h = 50000.0;\n"
	"  cloud_usd_per_gpu_hour = 0.5; capex_usd_per_gpu = 20000.0; server_kw_per_gpu = 1.0; } );\n"
	"models = ( { name = \"M\"; layers = 2; hidden = 64; heads = 4; ffn = 256; vocab = 1000;\n"
	"  params_b = 1.0; max_seq = 1000; } );\n"
	"fleets = ( { name = \"f\"; gpu = \"G\"; nodes = %d; } );\n"
	"training = { jobs = (\n";

struct hjob {
	const char *name;
	int gpus;
	double hours;           /* run time on G */
	double submit_h;
	int priority;
};

/* Loads a scenario of n jobs on `nodes` nodes of G over horizon_days. */
static void load(struct fs_scenario *sc, double horizon_days, int nodes, const struct hjob *j,
		 size_t n)
{
	char text[8192];
	struct fs_error e;
	int w = snprintf(text, sizeof(text), head, horizon_days, nodes);

	for (size_t i = 0; i < n; i++)
		w += snprintf(text + w, sizeof(text) - (size_t)w,
			      "%s{ name = \"%s\"; model = \"M\"; gpus = %d; tokens = %.17g; "
			      "submit_day = %.17g; }\n",
			      i ? "," : "", j[i].name, j[i].gpus, tokens_for(j[i].hours, j[i].gpus),
			      j[i].submit_h / 24.0);
	snprintf(text + w, sizeof(text) - (size_t)w, "); };\n");
	if (fs_scenario_load_text(text, "s.cfg", sc, &e)) {
		print_error("%s:%d %s %s\n", e.file, e.line, e.key, e.msg);
		fail();
	}
	for (size_t i = 0; i < n; i++)
		sc->jobs[i].priority = j[i].priority;
}

static const struct fs_job_result *job(const struct fs_scenario *sc, const struct fs_run_result *r,
				       const char *name)
{
	char buf[96];

	for (size_t i = 0; i < r->n_jobs; i++)
		if (strcmp(fs_workload_job_name(sc, r->jobs[i].source, r->jobs[i].seq, buf,
						sizeof(buf)), name) == 0)
			return &r->jobs[i];
	fail_msg("no job %s", name);
	return NULL;
}

/* Every run: states add up per interval, GPU-hours conserved, no job early. */
static void check_invariants(const struct fs_run_result *r, double interval_s)
{
	double jobs_h = 0.0, busy_h = 0.0;

	for (size_t i = 0; i < r->n_jobs; i++) {
		const struct fs_job_result *j = &r->jobs[i];
		jobs_h += j->gpu_hours;
		assert_true(j->start_s >= j->submit_s);
		assert_true(j->end_s >= j->start_s);
		assert_true(j->gpu_hours_lost <= j->gpu_hours + 1e-9);
	}
	for (size_t b = 0; b < r->n_series; b++) {
		const struct fs_series_point *s = &r->series[b];
		double sum = s->gpus_down + s->gpus_busy + s->gpus_serving + s->gpus_idle;

		assert_true(fabs(sum - s->gpus_installed) <= 1e-9 * (1.0 + s->gpus_installed));
		assert_true(s->gpus_busy >= -1e-9 && s->gpus_idle >= -1e-9 && s->gpus_down >= -1e-9);
		/* allocation never exceeds what is installed and up */
		assert_true(s->gpus_busy + s->gpus_serving <= s->gpus_installed - s->gpus_down + 1e-9);
		assert_true(s->gpus_frag <= s->gpus_idle + 1e-9);
		busy_h += s->gpus_busy * interval_s / 3600.0;
	}
	assert_true(fabs(jobs_h - busy_h) <= 1e-9 * jobs_h + 1e-6);
}

static void run(struct fs_scenario *sc, const char *policy, struct fs_run_result *r)
{
	struct fs_error e;

	sc->scheduler = fs_sched_find(policy);
	assert_non_null(sc->scheduler);
	if (fs_run_fleet(sc, 0, sc->seed, r, &e)) {
		print_error("%s\n", e.msg);
		fail();
	}
	check_invariants(r, sc->series_interval_s);
}

static void expect(const struct fs_scenario *sc, const struct fs_run_result *r, const char *name,
		   double start_h, double end_h)
{
	const struct fs_job_result *j = job(sc, r, name);

	if (fabs(j->start_s - start_h * H) > TOL || fabs(j->end_s - end_h * H) > TOL)
		fail_msg("%s: start %.9g h end %.9g h, want %g h and %g h", name, j->start_s / H,
			 j->end_s / H, start_h, end_h);
}

/*
 * One node of 8 GPUs. A (8 GPUs, 10 h) from 0; B (4 GPUs, 5 h) at 1 h;
 * C (8 GPUs, 5 h, priority 5) at 2 h; D (4 GPUs, 5 h) at 3 h.
 *   fifo:     B 10-15; C waits for all 8: 15-20; D behind C: 20-25.
 *   priority: at 10 h C (priority 5) first: 10-15; then B and D 15-20.
 *   easy:     at 10 h B (head) 10-15; C is head, needs 8 with 4 free: its
 *             shadow time is B's end, 15 h, with 4 + 4 - 8 = 0 extra GPUs;
 *             D ends by 10 + 5 = 15 <= 15, so it backfills: 10-15; C 15-20.
 */
static const struct hjob abcd[] = {
	{ "A", 8, 10.0, 0.0, 0 },
	{ "B", 4, 5.0, 1.0, 0 },
	{ "C", 8, 5.0, 2.0, 5 },
	{ "D", 4, 5.0, 3.0, 0 },
};

static void test_sched_policies_by_hand(void **state)
{
	struct fs_scenario sc;
	struct fs_run_result r;

	(void)state;
	load(&sc, 2.0, 1, abcd, 4);
	run(&sc, "fifo", &r);
	expect(&sc, &r, "A", 0, 10);
	expect(&sc, &r, "B", 10, 15);
	expect(&sc, &r, "C", 15, 20);
	expect(&sc, &r, "D", 20, 25);
	fs_run_result_fini(&r);

	run(&sc, "priority", &r);
	expect(&sc, &r, "A", 0, 10);
	expect(&sc, &r, "C", 10, 15);
	expect(&sc, &r, "B", 15, 20);
	expect(&sc, &r, "D", 15, 20);
	assert_int_equal(job(&sc, &r, "C")->priority, 5);
	fs_run_result_fini(&r);

	run(&sc, "easy-backfill", &r);
	expect(&sc, &r, "A", 0, 10);
	expect(&sc, &r, "B", 10, 15);
	expect(&sc, &r, "D", 10, 15);
	expect(&sc, &r, "C", 15, 20);
	fs_run_result_fini(&r);
	fs_scenario_fini(&sc);
}

/*
 * EASY's extra GPUs. One node: A (6 GPUs, 10 h) from 0; B (4 GPUs, 10 h) at
 * 1 h waits: shadow 10 h, extra 2 + 6 - 4 = 4. C (2 GPUs, 20 h) at 2 h ends
 * after the shadow but fits in the extra GPUs: starts at 2 h. E (1 GPU, 1 h)
 * at 3 h finds nothing free; at 10 h B starts (4 of 6 free), then E: 10-11.
 * Under fifo C would wait for B: B 10-20, C 10-30, E 10-11.
 */
static void test_sched_easy_extra_gpus(void **state)
{
	static const struct hjob j[] = {
		{ "A", 6, 10.0, 0.0, 0 },
		{ "B", 4, 10.0, 1.0, 0 },
		{ "C", 2, 20.0, 2.0, 0 },
		{ "E", 1, 1.0, 3.0, 0 },
	};
	struct fs_scenario sc;
	struct fs_run_result r;

	(void)state;
	load(&sc, 2.0, 1, j, 4);
	run(&sc, "easy-backfill", &r);
	expect(&sc, &r, "A", 0, 10);
	expect(&sc, &r, "C", 2, 22);
	expect(&sc, &r, "B", 10, 20);
	expect(&sc, &r, "E", 10, 11);
	fs_run_result_fini(&r);
	run(&sc, "fifo", &r);
	expect(&sc, &r, "B", 10, 20);
	expect(&sc, &r, "C", 10, 30);
	expect(&sc, &r, "E", 10, 11);
	fs_run_result_fini(&r);
	fs_scenario_fini(&sc);
}

/* Noisy estimates change only what the policy believes: same seed, same
 * rows; every job still runs its model time. */
static void test_sched_estimate_noise_deterministic(void **state)
{
	struct fs_scenario sc;
	struct fs_run_result a, b;

	(void)state;
	load(&sc, 2.0, 1, abcd, 4);
	sc.estimate_noise_frac = 0.5;
	run(&sc, "easy-backfill", &a);
	run(&sc, "easy-backfill", &b);
	for (size_t i = 0; i < a.n_jobs; i++) {
		assert_true(a.jobs[i].start_s == b.jobs[i].start_s);
		assert_true(a.jobs[i].end_s == b.jobs[i].end_s);
		assert_true(fabs(a.jobs[i].end_s - a.jobs[i].start_s - abcd[i].hours * H) < TOL);
	}
	fs_run_result_fini(&a);
	fs_run_result_fini(&b);
	fs_scenario_fini(&sc);
}

/*
 * Procurement on a pool of 1 node: +1 node at 24 h, -1 at 72 h, -1 at 84 h.
 * A (16 GPUs, 24 h) at 0 waits for the second node: 24-48. B (8 GPUs, 48 h)
 * at 60 h runs 60-108. At 72 h one node is idle and retires at once; at 84 h
 * the last node is busy with B and drains: it retires at 108 h.
 * Installed: 8 until 24 h, 16 until 72 h, 8 until 108 h, then 0.
 */
static void test_sched_procurement_adds_and_retires(void **state)
{
	static const struct hjob j[] = {
		{ "A", 16, 24.0, 0.0, 0 },
		{ "B", 8, 48.0, 60.0, 0 },
	};
	struct fs_procure_spec plan[3] = {
		{ 24 * H, 0, +1, 0 }, { 72 * H, 0, -1, 0 }, { 84 * H, 0, -1, 0 },
	};
	struct fs_scenario sc;
	struct fs_run_result r;

	(void)state;
	/* loaded with 2 nodes, as the loader checks sizes against the largest
	 * fleet; the run starts with 1 */
	load(&sc, 5.0, 2, j, 2);
	sc.fleets[0].nodes = 1;
	sc.fleets[0].n_gpus = 8;
	sc.fleets[0].pools[0].nodes = 1;
	sc.fleets[0].pools[0].max_nodes = 2;
	sc.fleets[0].procure = plan;
	sc.fleets[0].n_procure = 3;
	run(&sc, "fifo", &r);
	expect(&sc, &r, "A", 24, 48);
	expect(&sc, &r, "B", 60, 108);
	assert_true(r.n_series >= 120);
	for (size_t b = 0; b < 120; b++) {
		double t = r.series[b].t_s / H, want = t < 24 ? 8 : t < 72 ? 16 : t < 108 ? 8 : 0;
		if (fabs(r.series[b].gpus_installed - want) > 1e-9)
			fail_msg("hour %g: %g GPUs installed, want %g", t, r.series[b].gpus_installed,
				 want);
	}
	assert_int_equal(r.series[30].gpus_total, 16);
	assert_int_equal(r.series[119].gpus_total, 0);
	/* cost: installed GPU-hours x $2: 8 x 24 + 16 x 48 + 8 x 36 = 1248 GPU-hours */
	assert_true(fabs(r.sum.fleet_cost_usd - 1248.0 * 2.0) < 1e-6);
	/* utilization: (16 x 24 + 8 x 48) / 1248 */
	assert_true(fabs(r.sum.mean_util_frac - 768.0 / 1248.0) < 1e-9);
	fs_run_result_fini(&r);
	sc.fleets[0].procure = NULL;
	sc.fleets[0].n_procure = 0;
	fs_scenario_fini(&sc);
}

/*
 * Node failures on one node with free checkpoints (failures disabled: no
 * checkpoint cost, so a stop keeps all the work): a 48 h job on the node
 * ends after 48 h plus one repair per node failure, every failure is a
 * restart, nothing is lost, and the series shows the node down n x repair.
 */
static void test_sched_node_failure_evicts_and_repairs(void **state)
{
	static const struct hjob j[] = { { "A", 8, 48.0, 0.0, 0 } };
	struct fs_scenario sc;
	struct fs_run_result r;
	double down_h = 0.0, busy_h = 0.0;
	const struct fs_job_result *a;
	uint64_t n;

	(void)state;
	load(&sc, 1.0, 1, j, 1);
	sc.node_failures = (struct fs_node_failure_opts){ true, 12 * H, 6 * H };
	run(&sc, "fifo", &r);
	a = job(&sc, &r, "A");
	n = r.sum.n_node_failures;
	assert_true(n >= 1);
	assert_int_equal(a->restarts, (int)n);
	assert_true(fabs(a->end_s - (48.0 + 6.0 * (double)n) * H) < 1e-6 * (double)(n + 1));
	assert_true(fabs(a->gpu_hours - 8 * 48.0) < 1e-6);
	assert_true(a->gpu_hours_lost == 0.0);
	for (size_t b = 0; b < r.n_series; b++) {
		down_h += r.series[b].gpus_down;
		busy_h += r.series[b].gpus_busy;
	}
	assert_true(fabs(down_h - 8 * 6.0 * (double)n) < 1e-6);
	assert_true(fabs(busy_h - 8 * 48.0) < 1e-6);
	fs_run_result_fini(&r);
	fs_scenario_fini(&sc);
}

/* With checkpoints that cost time, a node failure loses the work since the
 * last one: GPU-hours lost are positive and within the held GPU-hours. */
static void test_sched_node_failure_loses_work(void **state)
{
	static const struct hjob j[] = { { "A", 8, 48.0, 0.0, 0 }, { "B", 8, 30.0, 1.0, 0 } };
	struct fs_scenario sc;
	struct fs_run_result r;
	const struct fs_job_result *a;

	(void)state;
	load(&sc, 1.0, 2, j, 2);
	sc.failures.enabled = true;
	sc.failures.ckpt_interval_s = 4 * H;
	sc.failures.ckpt_write_s = 60.0;
	sc.node_failures = (struct fs_node_failure_opts){ true, 10 * H, 2 * H };
	run(&sc, "easy-backfill", &r);
	a = job(&sc, &r, "A");
	assert_true(r.sum.n_node_failures >= 1);
	assert_true(r.sum.gpu_hours_lost > 0);
	assert_true(r.sum.gpu_hours_lost <= r.sum.gpu_hours);
	assert_true(a->end_s > 48 * H);
	/* same scenario and seed, same rows bit for bit */
	{
		struct fs_run_result r2;

		run(&sc, "easy-backfill", &r2);
		assert_int_equal(r2.n_series, r.n_series);
		for (size_t i = 0; i < r.n_jobs; i++)
			assert_memory_equal(&r.jobs[i], &r2.jobs[i], sizeof(r.jobs[i]));
		for (size_t b = 0; b < r.n_series; b++)
			assert_memory_equal(&r.series[b], &r2.series[b], sizeof(r.series[b]));
		fs_run_result_fini(&r2);
	}
	fs_run_result_fini(&r);
	fs_scenario_fini(&sc);
}

/*
 * Two pools of one node each: G and G2 (half the speed, a quarter of the
 * price). A and B (8 GPUs, 10 h on G) at 0.
 *   fastest-free: A on G 0-10; B finds G full and runs on G2: 0-20.
 *   cheapest:     A on G2 ($0.5 x 20 h < $2 x 10 h) 0-20; B on G 0-10.
 *   as-asked, B asks for G: A on the first pool, G, 0-10; B waits: 10-20.
 */
static void test_sched_pools_and_choice(void **state)
{
	static const struct hjob j[] = { { "A", 8, 10.0, 0.0, 0 }, { "B", 8, 10.0, 0.0, 0 } };
	struct fs_scenario sc;
	struct fs_run_result r;
	const struct fs_gpu *g, *g2;

	(void)state;
	load(&sc, 2.0, 1, j, 2);
	g = sc.fleets[0].gpu;
	g2 = fs_catalog_gpu(&sc.catalog, "G2");
	assert_non_null(g2);
	sc.fleets[0].n_pools = 2;
	sc.fleets[0].pools[0] = (struct fs_pool_spec){ g, 1, 8, 1, 0 };
	sc.fleets[0].pools[1] = (struct fs_pool_spec){ g2, 1, 8, 1, 0 };
	sc.fleets[0].n_gpus = 16;

	sc.fleets[0].pool_choice = fs_pool_choice_find("fastest-free");
	run(&sc, "fifo", &r);
	expect(&sc, &r, "A", 0, 10);
	expect(&sc, &r, "B", 0, 20);
	assert_int_equal(job(&sc, &r, "A")->pool, 0);
	assert_int_equal(job(&sc, &r, "B")->pool, 1);
	assert_true(fabs(job(&sc, &r, "B")->run_s - 20 * H) < TOL);
	fs_run_result_fini(&r);

	sc.fleets[0].pool_choice = fs_pool_choice_find("cheapest");
	run(&sc, "fifo", &r);
	expect(&sc, &r, "A", 0, 20);
	expect(&sc, &r, "B", 0, 10);
	assert_int_equal(job(&sc, &r, "A")->pool, 1);
	/* 2 days of 8 G at $2 and 8 G2 at $0.5 */
	assert_true(fabs(r.sum.fleet_cost_usd - 48 * 8 * (2.0 + 0.5)) < 1e-6);
	fs_run_result_fini(&r);

	sc.fleets[0].pool_choice = fs_pool_choice_find("as-asked");
	sc.jobs[1].gpu = g;
	run(&sc, "fifo", &r);
	expect(&sc, &r, "A", 0, 10);
	expect(&sc, &r, "B", 10, 20);
	assert_int_equal(job(&sc, &r, "B")->pool, 0);
	fs_run_result_fini(&r);
	assert_null(fs_pool_choice_find("random"));
	assert_ptr_equal(fs_pool_choice_default(), fs_pool_choice_find("fastest-free"));
	fs_scenario_fini(&sc);
}

/* A job asking for a GPU type the fleet lacks is infeasible there. */
static void test_sched_asked_type_missing_is_infeasible(void **state)
{
	static const struct hjob j[] = { { "A", 8, 10.0, 0.0, 0 } };
	struct fs_scenario sc;
	struct fs_run_result r;

	(void)state;
	load(&sc, 1.0, 1, j, 1);
	sc.jobs[0].gpu = fs_catalog_gpu(&sc.catalog, "G2");
	run(&sc, "priority", &r);
	assert_int_equal(r.jobs[0].status, FS_JOB_INFEASIBLE);
	assert_int_equal(r.sum.n_infeasible, 1);
	fs_run_result_fini(&r);
	fs_scenario_fini(&sc);
}

/*
 * Everything at once, for the invariants: 60 jobs of 1 to 16 GPUs with
 * priorities, two pools (G, 2 nodes; G2, 1 node growing by 2 at 20 h and
 * shrinking by 2 at 60 h), job failures and node failures, under every
 * policy and pool choice. Every job ends, after its submission, and
 * check_invariants holds (states add up, GPU-hours conserved, allocation
 * within what is up).
 */
static void test_sched_invariants_under_churn(void **state)
{
	static const char *const choices[] = { "fastest-free", "cheapest", "as-asked" };
	struct hjob j[60];
	char names[60][8];
	uint32_t x = 12345u;
	struct fs_procure_spec plan[2] = { { 20 * H, 1, +2, 0 }, { 60 * H, 1, -2, 0 } };
	struct fs_scenario sc;

	(void)state;
	for (int i = 0; i < 60; i++) {
		x = x * 1103515245u + 12345u;
		snprintf(names[i], sizeof(names[i]), "j%d", i);
		j[i] = (struct hjob){ names[i], 1 + (int)((x >> 8) % 16), 1.0 + (double)((x >> 4) % 17),
				      (double)i * 1.5, (int)((x >> 20) % 3) };
	}
	/* job 7 asks for G2: at most the 8 GPUs G2 keeps after 60 h, or a
	 * node failure after the retirement could leave it nowhere to run */
	j[7].gpus = 4;
	load(&sc, 4.0, 2, j, 60);
	sc.fleets[0].n_pools = 2;
	sc.fleets[0].pools[0] = (struct fs_pool_spec){ sc.fleets[0].gpu, 2, 8, 2, 0 };
	sc.fleets[0].pools[1] = (struct fs_pool_spec){ fs_catalog_gpu(&sc.catalog, "G2"), 1, 8, 3, 0 };
	sc.fleets[0].n_gpus = 24;
	sc.fleets[0].procure = plan;
	sc.fleets[0].n_procure = 2;
	sc.failures.enabled = true;
	sc.failures.ckpt_interval_s = 2 * H;
	sc.failures.ckpt_write_s = 30.0;
	sc.node_failures = (struct fs_node_failure_opts){ true, 30 * H, 3 * H };
	sc.estimate_noise_frac = 0.3;
	sc.jobs[7].gpu = fs_catalog_gpu(&sc.catalog, "G2");
	/* the second time round, even jobs are team 0 with a quota of 16 GPUs
	 * (the largest job's size; the run asserts the quota at every start) */
	sc.teams = calloc(2, sizeof(*sc.teams));
	assert_non_null(sc.teams);
	sc.teams[0] = (struct fs_team_spec){ "t0", 16, 0 };
	sc.teams[1] = (struct fs_team_spec){ "t1", 0, 0 };
	for (size_t i = 0; i < 60; i++)
		sc.jobs[i].team = -1;
	for (size_t p = 0; p < 2 * fs_sched_count(); p++)
		for (size_t c = 0; c < 3; c++) {
			struct fs_run_result r;

			if (p == fs_sched_count()) {
				sc.n_teams = 2;
				for (size_t i = 0; i < 60; i++)
					sc.jobs[i].team = (int32_t)(i % 2);
			}
			sc.fleets[0].pool_choice = fs_pool_choice_find(choices[c]);
			run(&sc, fs_sched_at(p % fs_sched_count())->name, &r);
			assert_int_equal(r.sum.n_infeasible, 0);
			assert_true(r.sum.n_node_failures >= 1);
			for (size_t i = 0; i < r.n_jobs; i++)
				assert_true(r.jobs[i].pool >= 0 && r.jobs[i].end_s > r.jobs[i].submit_s);
			assert_int_equal(r.jobs[7].pool, 1);
			fs_run_result_fini(&r);
		}
	sc.fleets[0].procure = NULL;
	sc.fleets[0].n_procure = 0;
	fs_scenario_fini(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sched_policies_by_hand),
		cmocka_unit_test(test_sched_easy_extra_gpus),
		cmocka_unit_test(test_sched_estimate_noise_deterministic),
		cmocka_unit_test(test_sched_procurement_adds_and_retires),
		cmocka_unit_test(test_sched_node_failure_evicts_and_repairs),
		cmocka_unit_test(test_sched_node_failure_loses_work),
		cmocka_unit_test(test_sched_pools_and_choice),
		cmocka_unit_test(test_sched_asked_type_missing_is_infeasible),
		cmocka_unit_test(test_sched_invariants_under_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
