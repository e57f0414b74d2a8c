/*
 * test_run_services.c - services in the fleet run, worked by hand: a shared
 * service that preempts lower-priority training (the job resumes from its
 * last checkpoint and ends later by the time it was held off plus the work
 * it lost), never higher-or-equal priority training; and the cost of a
 * training-only run with cloud on-demand prices is GPUs x horizon x price.
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
#include "fleetsim/service.h"
#include "fleetsim/train_simple.h"
#include "testutil.h"

#define H 3600.0

/*
 * One node of 8 H100. Training: first-order model, checkpoints every 2 h of
 * training that cost nothing, no restart time, failures so rare (MTBF 1e8
 * h per GPU) that none is drawn. Job A: 4 GPUs, submitted at 0, about 10 h.
 * Service S: tp 1, priority 10, preempts training; its demand is 2.5
 * replicas' capacity (3 replicas), x 2.6 from hour 5 (6.5: 7 replicas),
 * back to 2.5 from hour 12 (its rps and A's tokens are filled in below).
 */
static const char text[] =
	"name = \"p\"; seed = 3; horizon_days = 2.0; series_interval_hours = 1.0;\n"
	"train_model = \"first_order\";\n"
	"failures = { enabled = true; checkpoint_interval_s = 7200.0; checkpoint_write_s = 0.0;\n"
	"  restart_s = 0.0; };\n"
	"gpus = ( { name = \"H100\"; mtbf_h = 1e8; } );\n"
	"fleets = ( { name = \"f\"; gpu = \"H100\"; nodes = 1; } );\n"
	"serving = { interval_hours = 1.0; services = (\n"
	"  { name = \"S\"; model = \"Llama-2-7B\"; tp = 1;\n"
	"    input_tokens = { dist = \"lognormal\"; median = 500.0; sigma = 0.5; max = 4000.0; };\n"
	"    output_tokens = { dist = \"lognormal\"; median = 200.0; sigma = 0.5; max = 1000.0; };\n"
	"    ttft_p99_s = 2.0; tpot_p99_s = 0.1;\n"
	"    demand = { rps = 1.0; steps = ( { day = %.17g; factor = 2.6; },\n"
	"                                    { day = %.17g; factor = %.17g; } ); };\n"
	"    priority = 10; preempt_training = true; } ); };\n"
	"training = { jobs = ( { name = \"A\"; model = \"Llama-2-7B\"; gpus = 4; tokens = %.17g;\n"
	"  submit_day = 0.0; priority = %d; } ); };\n";

/* Loads the scenario with A's priority; with_steps false: the demand stays flat. */
static void load(struct fs_scenario *sc, int priority, bool with_steps)
{
	char buf[4096];
	struct fs_error e;
	const struct fs_gpu *g = tu_gpu("H100");
	const struct fs_llm *m = tu_llm("Llama-2-7B");
	double tokens = 10 * H * 4 * fs_train_simple_tokens_per_s_per_gpu(g, m, 0, FS_PREC_BF16);
	struct fs_service_memo *memo;
	const struct fs_service_plan *plan;

	snprintf(buf, sizeof(buf), text, with_steps ? 5.0 / 24 : 100.0,
		 with_steps ? 12.0 / 24 : 101.0, 1.0 / 2.6, tokens, priority);
	if (fs_scenario_load_text(buf, "p.cfg", sc, &e)) {
		print_error("%s:%d %s %s\n", e.file, e.line, e.key, e.msg);
		fail();
	}
	/* the demand in replicas: 2.5 x the capacity of one replica at the objectives */
	assert_int_equal(fs_service_memo_create(&memo), FS_OK);
	assert_int_equal(fs_service_plan_get(memo, &sc->serving.services[0], sc->fleets[0].gpu, 8,
					     1.0, &plan, &e), FS_OK);
	assert_int_equal(plan->tp, 1);
	sc->serving.services[0].demand.rps = 2.5 * plan->capacity_rps;
	fs_service_memo_destroy(memo);
}

static void run(const struct fs_scenario *sc, struct fs_run_result *r)
{
	struct fs_error e;

	if (fs_run_fleet(sc, 0, sc->seed, r, &e)) {
		print_error("%s\n", e.msg);
		fail();
	}
}

static void test_service_preempts_lower_priority(void **state)
{
	struct fs_scenario sc;
	struct fs_run_result base, r;
	const struct fs_job_result *a;
	double t0;

	(void)state;
	/* flat demand: 3 replicas, A runs undisturbed for its run time t0 */
	load(&sc, 0, false);
	run(&sc, &base);
	t0 = base.jobs[0].end_s;
	assert_true(base.jobs[0].start_s == 0.0 && t0 > 6 * H && t0 < 11 * H);
	assert_int_equal(base.jobs[0].preemptions, 0);
	assert_int_equal(base.svc[0].replicas_granted, 3);
	fs_run_result_fini(&base);
	fs_scenario_fini(&sc);

	/* at 5 h S wants 7: 1 GPU is free, A (priority 0) is stopped for the other
	 * 3; A has trained 5 h, its last checkpoint at 4 h: 1 h lost. At 12 h S
	 * wants 3 again, A resumes with t0 - 4 h to go: it ends at t0 + 8 h. */
	load(&sc, 0, true);
	run(&sc, &r);
	a = &r.jobs[0];
	assert_int_equal(a->preemptions, 1);
	assert_int_equal(a->restarts, 0);
	assert_int_equal(r.sum.n_preemptions, 1);
	assert_true(fabs(a->end_s - (t0 + 8 * H)) < 1.0);
	assert_true(fabs(a->gpu_hours_lost - 4 * 1.0) < 1e-3);
	assert_true(fabs(a->gpu_hours - 4 * (5.0 + (t0 / H - 4.0))) < 1e-3);
	for (size_t k = 0; k < r.n_svc; k++) {
		const struct fs_service_point *p = &r.svc[k];
		int want = p->t_s >= 5 * H && p->t_s < 12 * H ? 7 : 3;

		assert_int_equal(p->replicas_wanted, want);
		assert_int_equal(p->replicas_granted, want);
	}
	/* serving GPUs in the series: 7 from 5 h to 12 h */
	assert_true(fabs(r.series[6].gpus_serving - 7.0) < 1e-9);
	assert_true(fabs(r.series[6].gpus_busy) < 1e-9);
	fs_run_result_fini(&r);
	fs_scenario_fini(&sc);
}

static void test_service_spares_equal_priority(void **state)
{
	struct fs_scenario sc;
	struct fs_run_result base, r;

	(void)state;
	load(&sc, 10, false);
	run(&sc, &base);
	fs_run_result_fini(&base);
	fs_scenario_fini(&sc);
	/* A has S's priority: it keeps its GPUs; S gets the one free GPU (4 of
	 * 7 replicas) from 5 h until A ends, and its attainment drops */
	load(&sc, 10, true);
	run(&sc, &r);
	assert_int_equal(r.jobs[0].preemptions, 0);
	assert_int_equal(r.svc[6].replicas_wanted, 7);
	assert_int_equal(r.svc[6].replicas_granted, 4);
	assert_true(r.svc[6].attainment_frac < 4.0 / 6.5 + 1e-9);
	assert_true(r.sum.serve_attainment_frac < 1.0);
	fs_run_result_fini(&r);
	fs_scenario_fini(&sc);
}

/* The example's first fleet (training only, cloud on-demand): the run's cost
 * is the old GPUs x horizon x the catalog's price. */
static void test_training_only_cost_is_gpus_horizon_price(void **state)
{
	struct fs_scenario sc;
	struct fs_run_result r;
	struct fs_error e;
	double want;

	(void)state;
	if (fs_scenario_load(FLEETSIM_SOURCE_DIR "/scenarios/example.cfg", &sc, &e)) {
		print_error("%s\n", e.msg);
		fail();
	}
	for (size_t f = 0; f < sc.n_fleets; f++) {
		if (fs_run_fleet(&sc, f, 42, &r, &e)) {
			print_error("%s\n", e.msg);
			fail();
		}
		want = sc.fleets[f].n_gpus * sc.horizon_s / H * sc.fleets[f].gpu->cloud_usd_per_gpu_hour;
		assert_true(fabs(r.sum.fleet_cost_usd - want) <= 1e-9 * want);
		assert_true(fabs(r.sum.cost.rent_usd - want) <= 1e-9 * want);
		assert_true(isnan(r.sum.serve_attainment_frac) && r.n_svc == 0);
		fs_run_result_fini(&r);
	}
	fs_scenario_fini(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_preempts_lower_priority),
		cmocka_unit_test(test_service_spares_equal_priority),
		cmocka_unit_test(test_training_only_cost_is_gpus_horizon_price),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
