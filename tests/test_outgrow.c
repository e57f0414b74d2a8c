/*
 * test_outgrow.c - criteria per month, the outgrow analysis, its t-interval,
 * its independence of the number of workers, and the commands' bad input.
 */
#include "testutil.h"

#include "fleetsim/criteria.h"
#include "fleetsim/outgrow.h"
#include "fleetsim/scenario.h"
#include "fleetsim/train_simple.h"
#include "fleetsim/util.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A GPU of 100 bf16 TFLOPS at 50 % MFU and a 1e9-parameter model: the
 * first-order model makes a job's time tokens x F / (5e13 x gpus), with
 * F = 6 x 1e9 + 12 x 2 layers x 64 hidden x 1000 tokens per sequence. */
#define GPU_AND_MODEL                                                                            \
	"gpus = ( { name = \"G\"; arch = \"ampere\"; fp64_tflops = 1.0; tf32_tflops = 50.0;\n"       \
	"  bf16_tflops = 100.0; fp8_tflops = 0.0; int8_tops = 200.0; mem_gb = 80.0;\n"              \
	"  mem_bw_gbps = 2000.0; nvlink_gbps = 600.0; nvlink_domain = 8; pcie_gbps = 64.0;\n"       \
	"  net_gbps = 25.0; tdp_w = 400.0; gpus_per_node = 8; gemm_eff_frac = 0.8;\n"               \
	"  hbm_eff_frac = 0.9; train_mfu_frac = 0.5; mtbf_h = 1e6;\n"                                \
	"  cloud_usd_per_gpu_hour = 2.0; capex_usd_per_gpu = 20000.0; server_kw_per_gpu = 1.0; } );\n" \
	"models = ( { name = \"M\"; layers = 2; hidden = 64; heads = 4; ffn = 256; vocab = 1000;\n"  \
	"  params_b = 1.0; max_seq = 1000; } );\n"

/* Tokens that take exactly one day on 8 GPUs of G, by the formula above. */
static double one_day_tokens(void)
{
	double flops_per_token = 6.0 * 1e9 + 12.0 * 2 * 64 * 1000;

	return 86400.0 * 5e13 * 8 / flops_per_token;
}

/*
 * One node of 8 G over 4 months with hourly series; one-day 8-GPU jobs,
 * 1.5 days apart, never overlapping: 10 in month 0 (from day 0), 14 in
 * month 1 (from day 31), 18 in month 2 (from day 61.5), none in month 3.
 * An hourly interval belongs to the month it starts in: month 0 holds the
 * intervals starting at hours 0..730 (731 h), month 1 731..1460 (730 h),
 * month 2 1461..2191 (731 h). Utilization by hand: 240/731 = 0.3283,
 * 336/730 = 0.4603, 432/731 = 0.5910: a limit of 0.5 fails first in month 2.
 * Every job's time to solution is one day.
 */
static char *hand_scenario(void)
{
	static const int n_per_month[3] = { 10, 14, 18 };
	static const double first_day[3] = { 0.0, 31.0, 61.5 };
	size_t cap = 65536, u = 0;
	char *t = malloc(cap);

	assert_non_null(t);
	u += (size_t)snprintf(t + u, cap - u,
			      "name = \"hand\"; seed = 7; horizon_days = 121.75; "
			      "series_interval_hours = 1.0; train_model = \"first_order\";\n"
			      GPU_AND_MODEL
			      "fleets = ( { name = \"one-node\"; gpu = \"G\"; nodes = 1; } );\n"
			      "training = { jobs = (\n");
	for (int m = 0, k = 0; m < 3; m++)
		for (int i = 0; i < n_per_month[m]; i++, k++)
			u += (size_t)snprintf(t + u, cap - u,
					      "%s { name = \"j%d\"; model = \"M\"; gpus = 8; "
					      "tokens = %.17g; submit_day = %.17g; seq_len = 1000; }\n",
					      k ? "," : "", k, one_day_tokens(), first_day[m] + 1.5 * i);
	snprintf(t + u, cap - u,
		 "); };\n"
		 "criteria = (\n"
		 "  { name = \"tts\"; kind = \"tts_p90_days\"; stream = \"job\"; max = 1.5; },\n"
		 "  { name = \"headroom\"; kind = \"utilization\"; max = 0.5; }\n"
		 ");\n");
	return t;
}

static void load(const char *text, struct fs_scenario *sc)
{
	struct fs_error e;

	if (fs_scenario_load_text(text, "t.cfg", sc, &e)) {
		char buf[1024];
		fs_error_format(&e, buf, sizeof(buf));
		fail_msg("%s", buf);
	}
}

static void test_outgrow_month_by_hand(void **state)
{
	struct fs_scenario sc;
	struct fs_run_result r;
	struct fs_criteria_eval ev;
	struct fs_error e;
	char *text = hand_scenario();
	const double util[4] = { 240.0 / 731, 336.0 / 730, 432.0 / 731, 0.0 };

	(void)state;
	load(text, &sc);
	assert_int_equal(fs_criteria_n_months(&sc), 4);
	assert_int_equal(fs_run_fleet(&sc, 0, sc.seed, &r, &e), FS_OK);
	assert_int_equal(fs_criteria_eval(&sc, &r, &ev, &e), FS_OK);
	for (int m = 0; m < 4; m++) {
		assert_true(fabs(ev.value[1 * 4 + (size_t)m] - util[m]) < 1e-6);
		assert_true(ev.ok[1 * 4 + (size_t)m] == (m != 2));
	}
	for (int m = 0; m < 3; m++)
		assert_true(fabs(ev.value[m] - 1.0) < 1e-6);
	assert_true(isnan(ev.value[3]) && ev.ok[3]);  /* no job submitted in month 3 */
	assert_int_equal(ev.first_fail_month, 2);
	assert_int_equal(ev.first_fail_criterion, 1);
	/* margin through month 1: 336/730 / 0.5 - 1 < 0; through month 2: 432/731 / 0.5 - 1 */
	assert_true(fabs(fs_criteria_margin(&sc, &ev, 1) - (336.0 / 730 / 0.5 - 1)) < 1e-6);
	assert_true(fabs(fs_criteria_margin(&sc, &ev, 3) - (432.0 / 731 / 0.5 - 1)) < 1e-6);
	fs_criteria_eval_fini(&ev);
	fs_run_result_fini(&r);
	fs_scenario_fini(&sc);
	free(text);
}

/* The analysis of the same scenario: every replication fails in month 2;
 * explicit jobs do not scale, so no scale helps (the search's lower bound). */
static void test_outgrow_analysis_by_hand(void **state)
{
	struct fs_scenario sc;
	struct fs_outgrow_params p = { .replications = 3, .jobs = 1, .month = 3, .scale_max = 4,
				       .scale_tol_frac = 0.05, .seed = 11 };
	struct fs_outgrow_result res;
	struct fs_error e;
	char *text = hand_scenario(), summary[8192];

	(void)state;
	load(text, &sc);
	assert_int_equal(fs_outgrow_run(&sc, &p, &res, &e), FS_OK);
	assert_true(res.fleets[0].first_fail_month.mean == 2 && res.fleets[0].first_fail_month.min == 2 &&
		    res.fleets[0].first_fail_month.max == 2 && res.fleets[0].first_fail_month.lo == 2);
	assert_int_equal(res.fleets[0].criterion, 1);
	assert_int_equal(res.fleets[0].n_criterion, 3);
	assert_int_equal(res.fleets[0].n_scale_bound, 3);
	assert_true(res.fleets[0].scale.mean == FS_OUTGROW_SCALE_MIN);
	/* cost until month 2: 2 months x 8 GPUs x $2/GPU-h, the intervals of months 0 and 1 */
	assert_true(fabs(res.fleets[0].usd_per_month * res.reps[0].until_s / FS_SECONDS_PER_MONTH -
			 1461.0 * 8 * 2.0) < 1e-3);
	/* 24 jobs finished by then */
	assert_true(fabs(res.fleets[0].usd_per_training_run - 1461.0 * 8 * 2.0 / 24) < 1e-3);
	fs_outgrow_summary(&res, summary, sizeof(summary));
	assert_non_null(strstr(summary, "first fails in month 2.0"));
	assert_non_null(strstr(summary, "'headroom'"));
	fs_outgrow_result_fini(&res);
	fs_scenario_fini(&sc);
	free(text);
}

/* Six samples against the published t quantile t(0.975, 5) = 2.570581836. */
static void test_outgrow_t_interval(void **state)
{
	const double x[6] = { 2.385, 3.1, 2.7, 2.95, 3.4, 2.05 };
	double mean = 16.585 / 6, ss = 0, sd, half;
	struct fs_interval iv;

	(void)state;
	for (int i = 0; i < 6; i++)
		ss += (x[i] - mean) * (x[i] - mean);
	sd = sqrt(ss / 5);
	half = 2.570581836 * sd / sqrt(6.0);
	fs_interval_t95(x, 6, &iv);
	assert_true(fabs(iv.mean - 2.7641666666666667) < 1e-12);
	assert_true(fabs(iv.sd - 0.49183754092857407) < 1e-12);
	assert_true(fabs(iv.lo - (mean - half)) < 1e-8 && fabs(iv.lo - 2.248014822177421) < 1e-8);
	assert_true(fabs(iv.hi - 3.280318511155912) < 1e-8);
	assert_true(iv.min == 2.05 && iv.max == 3.4);
	fs_interval_t95(x, 1, &iv);
	assert_true(iv.lo == 2.385 && iv.hi == 2.385);
	fs_interval_t95(x, 0, &iv);
	assert_true(isnan(iv.mean) && iv.n == 0);
}

static const char stream_text[] =
	"name = \"s\"; seed = 5; horizon_days = 91.0; train_model = \"first_order\";\n"
	GPU_AND_MODEL
	"fleets = ( { name = \"small\"; gpu = \"G\"; nodes = 2; },\n"
	"           { name = \"large\"; gpu = \"G\"; nodes = 4; } );\n"
	"training = { streams = ( { name = \"ft\"; rate_per_day = 1.5; growth_per_month = 0.3;\n"
	"  model = \"M\"; tokens = 4.0e10; gpus = 8; seq_len = 1000; } ); };\n"
	"criteria = ( { name = \"queue\"; kind = \"wait_p90_hours\"; stream = \"ft\"; max = 6.0; },\n"
	"             { name = \"headroom\"; kind = \"utilization\"; max = 0.8; } );\n";

/* Records of two analyses of the same scenario and seed are equal, bit for bit. */
static void assert_same_reps(const struct fs_outgrow_result *a, const struct fs_outgrow_result *b,
			     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct fs_outgrow_rep *x = &a->reps[i], *y = &b->reps[i];
		assert_int_equal(x->replication, y->replication);
		assert_true(x->seed == y->seed && x->scale == y->scale && x->n_points == y->n_points);
		assert_int_equal(x->ev.first_fail_month, y->ev.first_fail_month);
		assert_int_equal(x->run.n_jobs, y->run.n_jobs);
		assert_int_equal(x->run.n_series, y->run.n_series);
		assert_true(x->run.fleet == y->run.fleet);
		assert_memory_equal(x->run.jobs, y->run.jobs, x->run.n_jobs * sizeof(*x->run.jobs));
		assert_memory_equal(x->run.series, y->run.series,
				    x->run.n_series * sizeof(*x->run.series));
		assert_memory_equal(x->ev.value, y->ev.value,
				    x->ev.n_criteria * (size_t)x->ev.n_months * sizeof(double));
		assert_true(x->run.sum.mean_wait_s == y->run.sum.mean_wait_s ||
			    (isnan(x->run.sum.mean_wait_s) && isnan(y->run.sum.mean_wait_s)));
		assert_true(x->cost_usd == y->cost_usd && x->tokens == y->tokens);
	}
	for (size_t f = 0; f < a->n_fleets; f++)
		assert_true(memcmp(&a->fleets[f].scale, &b->fleets[f].scale,
				   sizeof(a->fleets[f].scale)) == 0 &&
			    memcmp(&a->fleets[f].first_fail_month, &b->fleets[f].first_fail_month,
				   sizeof(a->fleets[f].first_fail_month)) == 0);
}

/* Workers change nothing: 1, 2 and 3 workers give the same replications, bit for
 * bit, also when the worker that first takes unit 2 is killed (the unit runs again). */
static void test_outgrow_jobs_independent(void **state)
{
	struct fs_scenario sc;
	struct fs_outgrow_params p = { .replications = 4, .jobs = 1, .month = 2, .scale_max = 8,
				       .scale_tol_frac = 0.05, .seed = 99 };
	struct fs_outgrow_result a, b, c;
	struct fs_error e;

	(void)state;
	load(stream_text, &sc);
	assert_int_equal(fs_outgrow_run(&sc, &p, &a, &e), FS_OK);
	assert_string_equal(a.dispatch.backend, "in-process");
	p.jobs = 2;
	assert_int_equal(fs_outgrow_run(&sc, &p, &b, &e), FS_OK);
	assert_int_equal(b.params.jobs, 2);
	assert_string_equal(b.dispatch.backend, "processes");
	p.jobs = 3;
	p.test_fault_unit = 2 + 1;
	assert_int_equal(fs_outgrow_run(&sc, &p, &c, &e), FS_OK);
	assert_int_equal(c.dispatch.n_dead, 1);
	assert_int_equal(c.dispatch.n_reissued, 1);
	assert_same_reps(&a, &b, 4 * sc.n_fleets);
	assert_same_reps(&a, &c, 4 * sc.n_fleets);
	/* replication i's seed is mix(master, "rep:<i>"), the same for every fleet */
	assert_true(a.reps[1].seed == fs_seed_mix(99, "rep:1") && a.reps[4 + 1].seed == a.reps[1].seed);
	/* twice the nodes hold at least as much demand here */
	assert_true(a.fleets[1].scale.mean > a.fleets[0].scale.mean);
	fs_outgrow_result_fini(&a);
	fs_outgrow_result_fini(&b);
	fs_outgrow_result_fini(&c);
	fs_scenario_fini(&sc);
}

/* Scaling is pure: rates times k from the base, whatever was scaled before. */
static void test_outgrow_scale_pure(void **state)
{
	struct fs_scenario sc, d;
	struct fs_error e;

	(void)state;
	load(stream_text, &sc);
	assert_int_equal(fs_scenario_scaled_init(&sc, &d, &e), FS_OK);
	fs_scenario_scale(&sc, 3.7, &d);
	fs_scenario_scale(&sc, 2.385, &d);
	assert_true(d.streams[0].rate_per_s == sc.streams[0].rate_per_s * 2.385);
	assert_true(sc.streams[0].rate_per_s == 1.5 / 86400.0);
	assert_true(d.n_jobs == sc.n_jobs && d.fleets == sc.fleets);
	fs_scenario_scaled_fini(&d);
	fs_scenario_fini(&sc);
}

/* Replaces the first "from" in stream_text by "to" and expects file:line:key. */
static void expect_bad(const char *from, const char *to, int line, const char *key,
		       const char *what)
{
	char text[8192], buf[1024];
	const char *at = strstr(stream_text, from);
	struct fs_scenario sc;
	struct fs_error e;
	size_t pre;

	assert_non_null(at);
	pre = (size_t)(at - stream_text);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)pre, stream_text, to, at + strlen(from));
	assert_int_equal(fs_scenario_load_text(text, "bad.cfg", &sc, &e), FS_ERR_INPUT);
	fs_error_format(&e, buf, sizeof(buf));
	if (e.line != line || strcmp(e.key, key) != 0 || !strstr(buf, what))
		fail_msg("got '%s' (line %d, key %s); want line %d key %s with '%s'", buf, e.line,
			 e.key, line, key, what);
}

static void test_outgrow_bad_criteria(void **state)
{
	char out[4096], args[1024];
	const char *f;

	(void)state;
	expect_bad("kind = \"wait_p90_hours\"", "kind = \"wait_p99_hours\"", 14,
		   "criteria.[0].kind", "unknown kind");
	expect_bad("stream = \"ft\"; max", "stream = \"fx\"; max", 14, "criteria.[0].stream",
		   "no stream named \"fx\"");
	expect_bad("max = 0.8", "max = 1.8", 15, "criteria.[1].max", "<= 1");
	expect_bad("max = 0.8", "min = 0.8", 15, "criteria.[1].min", "takes 'max', not 'min'");
	expect_bad("name = \"headroom\"", "name = \"queue\"", 15, "criteria.[1].name",
		   "also the name of the criterion at line 14");
	expect_bad("kind = \"utilization\"", "kind = \"attainment\"", 15, "criteria.[1].max",
		   "takes 'min', not 'max'");
	expect_bad("max = 6.0; }", "max = 6.0; limit = 2; }", 14, "criteria.[0].limit",
		   "unknown key 'limit'");
	/* the command: exit 2 with file:line:key */
	f = tu_write("bad_crit.cfg", "name = \"b\"; horizon_days = 30.0;\n"
		     "fleets = ( { name = \"a\"; gpu = \"A100\"; nodes = 1; } );\n"
		     "training = { jobs = ( { name = \"j\"; model = \"Llama-3-8B\"; tokens = 1e9;"
		     " gpus = 8; submit_day = 0.0; } ); };\n"
		     "criteria = ( { name = \"q\"; kind = \"wait_p90_hours\"; max = -1.0; } );\n");
	snprintf(args, sizeof(args), "outgrow %s --db %s --quiet", f, tu_path("bad.db"));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "bad_crit.cfg:4"));
	assert_non_null(strstr(out, "criteria.[0].max"));
	/* no criteria at all */
	f = tu_write("no_crit.cfg", "name = \"b\"; horizon_days = 30.0;\n"
		     "fleets = ( { name = \"a\"; gpu = \"A100\"; nodes = 1; } );\n"
		     "training = { jobs = ( { name = \"j\"; model = \"Llama-3-8B\"; tokens = 1e9;"
		     " gpus = 8; submit_day = 0.0; } ); };\n");
	snprintf(args, sizeof(args), "outgrow %s --db %s --quiet", f, tu_path("bad.db"));
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "no criteria"));
}

/* The command stores an analysis that `analysis` reads back; a bad id exits 2. */
static void test_outgrow_command_and_bad_id(void **state)
{
	char out[16384], args[1024];
	const char *f = tu_write("s.cfg", stream_text), *db = tu_path("og.db");

	(void)state;
	snprintf(args, sizeof(args), "outgrow %s --db %s --replications 2 --jobs 2 --month 1 --quiet",
		 f, db);
	if (tu_fleetsim(args, out, sizeof(out)) != 0)
		fail_msg("%s", out);
	assert_non_null(strstr(out, "decision summary"));
	snprintf(args, sizeof(args), "analysis 1 --db %s --format csv", db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "fleet,gpus,first_fail_month_mean"));
	assert_non_null(strstr(out, "\nsmall,16,"));
	assert_non_null(strstr(out, "\nlarge,32,"));
	/* the command's rows with 1 and 2 workers: the same text */
	{
		char one[8192], two[8192];
		snprintf(args, sizeof(args), "outgrow %s --db %s --replications 3 --jobs 1 --month 1 "
			 "--format csv --quiet", f, db);
		assert_int_equal(tu_fleetsim(args, one, sizeof(one)), 0);
		snprintf(args, sizeof(args), "outgrow %s --db %s --replications 3 --jobs 2 --month 1 "
			 "--format csv --quiet", f, db);
		assert_int_equal(tu_fleetsim(args, two, sizeof(two)), 0);
		assert_non_null(strstr(one, "\nsmall,16,"));
		assert_string_equal(one, two);
	}
	snprintf(args, sizeof(args), "analysis 42 --db %s", db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "no analysis with id 42"));
	snprintf(args, sizeof(args), "analysis x1 --db %s", db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	snprintf(args, sizeof(args), "outgrow %s --db %s --month 3 --quiet", f, db);
	assert_int_equal(tu_fleetsim(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "--month 3 is past"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outgrow_month_by_hand),
		cmocka_unit_test(test_outgrow_analysis_by_hand),
		cmocka_unit_test(test_outgrow_t_interval),
		cmocka_unit_test(test_outgrow_jobs_independent),
		cmocka_unit_test(test_outgrow_scale_pure),
		cmocka_unit_test(test_outgrow_bad_criteria),
		cmocka_unit_test(test_outgrow_command_and_bad_id),
	};

	fs_gsl_errors_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
