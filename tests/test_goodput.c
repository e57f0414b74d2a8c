/*
 * test_goodput.c - the whole-run goodput parts (models/goodput.c).
 * Expected values are hand calculations from the formulas of
 * docs/models/training.md section 7 with the constants written out as
 * numbers, or the Llama 3 paper's interruption count; each test says why its
 * tolerance.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "fleetsim/goodput.h"

static void assert_rel(double got, double want, double tol)
{
	if (fabs(got - want) > tol * fabs(want))
		fail_msg("got %.9g, want %.9g (relative tolerance %.3g)", got, want, tol);
}

/* Per-GPU MTBF of the catalog (Llama 3: 16,384 GPUs x 54 days x 24 h / 419
 * interruptions = 50,672 h), the default 30 s write and 300 s restart, and
 * Young's interval sqrt(2 w M). */
static void run_on(struct fs_goodput_run *in, int n, double steady_s, double step_s)
{
	memset(in, 0, sizeof(*in));
	in->steady_s = steady_s;
	in->step_time_s = step_s;
	in->n_gpus = n;
	in->job_mtbf_s = 50672.0 * 3600.0 / n;
	in->ckpt_write_s = 30.0;
	in->ckpt_interval_s = sqrt(2.0 * 30.0 * in->job_mtbf_s);
	in->restart_s = 300.0;
}

static void parts(const struct fs_goodput_run *in, struct fs_goodput_parts *p)
{
	struct fs_goodput_coef c;

	fs_goodput_coef_default(&c);
	fs_goodput_parts(in, &c, p);
}

/* A 10-minute benchmark on 16,384 GPUs: tau = sqrt(60 x 11,134 s) = 817 s
 * > 600 s, so no checkpoint; 300 steps < 1000, so no evaluation; the gate is
 * 1 - exp(-(600/10800)^4) = 9.5e-6, so ramp-up (612 s x 9.5e-6), stalls and
 * failures (0.06 x 9.5e-6 of the wall) add less than 0.01 s. */
static void test_goodput_benchmark_gets_none(void **state)
{
	struct fs_goodput_run in;
	struct fs_goodput_parts p;

	(void)state;
	run_on(&in, 16384, 600.0, 2.0);
	parts(&in, &p);
	assert_true(p.n_ckpts == 0.0 && p.ckpt_s == 0.0);
	assert_true(p.n_evals == 0.0 && p.eval_s == 0.0);
	assert_rel(p.long_run_frac, -expm1(-pow(600.0 / 10800.0, 4.0)), 1e-9);
	assert_true(p.long_run_frac < 1e-5);
	assert_true(fabs(fs_goodput_frac(&p) - 1.0) < 1e-3);
	assert_true(p.wall_s - p.steady_s < 0.01);
	/* a 45-minute one (the longest MLPerf row) loses its one checkpoint and
	 * one evaluation (30 s and 6.7 s of 2,700 s), little else */
	run_on(&in, 3584, 2700.0, 2.0);
	parts(&in, &p);
	assert_true(p.n_ckpts <= 1.0);
	assert_true(1.0 - fs_goodput_frac(&p) < 0.02);
}

/*
 * A 16,384-GPU run of 70 days of steady training (wall about 90 days), 2 s
 * steps. Gate: (70 d / 3 h)^4 is huge, so 1. By hand:
 *   ramp  = 600 + 0.02 x T x (1/0.5 - 1)
 *   stall = 0.32 x (16384/1000)^-0.35 x T
 *   ckpt  = floor((T + 0.02 T) / tau) x 30
 *   eval  = floor(T / 2 / 1000) x 10 x 2 / 3
 *   wall  = (T + ramp + stall + ckpt + eval) / (1 - ((tau + 30)/2 + 300) / M)
 * and the failure loss is the expected interruptions wall / M times half a
 * checkpoint period plus the restart.
 */
static void test_goodput_long_run_by_hand(void **state)
{
	struct fs_goodput_run in;
	struct fs_goodput_parts p;
	double T = 70.0 * 86400.0, M = 50672.0 * 3600.0 / 16384.0;
	double tau = sqrt(60.0 * M);
	double ramp = 600.0 + 0.02 * T;
	double stall = 0.32 * pow(16.384, -0.35) * T;
	double ckpt = floor(1.02 * T / tau) * 30.0;
	double eval = floor(T / 2.0 / 1000.0) * 10.0 * 2.0 / 3.0;
	double wall = (T + ramp + stall + ckpt + eval) / (1.0 - ((tau + 30.0) / 2.0 + 300.0) / M);
	double n_fail = wall / M;

	(void)state;
	run_on(&in, 16384, T, 2.0);
	parts(&in, &p);
	assert_true(p.long_run_frac == 1.0);
	assert_rel(p.ramp_s, ramp, 1e-12);
	assert_rel(p.stall_s, stall, 1e-12);
	assert_rel(p.ckpt_s, ckpt, 1e-12);
	assert_rel(p.eval_s, eval, 1e-12);
	assert_rel(p.wall_s, wall, 1e-12);
	assert_rel(p.n_interruptions, n_fail, 1e-12);
	assert_rel(p.failure_lost_s + p.failure_restart_s,
		   n_fail * ((tau + 30.0) / 2.0 + 300.0), 1e-9);
	assert_rel(p.failure_restart_s, n_fail * 300.0, 1e-12);
	assert_rel(p.failure_lost_s, n_fail * (tau + 30.0) / 2.0, 1e-9);
	/* the parts add up to the wall time */
	assert_rel(p.steady_s + p.failure_lost_s + p.failure_restart_s + p.ckpt_s + p.eval_s +
			   p.ramp_s + p.stall_s, p.wall_s, 1e-12);
	/* Llama 3 (arXiv 2407.21783): 419 interruptions in 54 days on 16,384
	 * GPUs; the rate here is the same by construction of the MTBF */
	assert_rel(p.n_interruptions / p.wall_s * 54.0 * 86400.0, 419.0, 1e-3);
	/* the wall time is within 80-100 days: about 90 as the test says */
	assert_true(p.wall_s > 80.0 * 86400.0 && p.wall_s < 100.0 * 86400.0);
}

/* Longer runs never take less wall time and never lose less to any part;
 * a run of days loses far more than a benchmark of minutes. */
static void test_goodput_monotone_in_length(void **state)
{
	struct fs_goodput_run in;
	struct fs_goodput_parts p, q;
	double loss_10min, loss_1d;

	(void)state;
	memset(&q, 0, sizeof(q));
	for (double T = 60.0; T < 200.0 * 86400.0; T *= 1.37) {
		run_on(&in, 2048, T, 1.5);
		parts(&in, &p);
		assert_true(p.wall_s > q.wall_s);
		assert_true(p.failure_lost_s >= q.failure_lost_s);
		assert_true(p.failure_restart_s >= q.failure_restart_s);
		assert_true(p.ckpt_s >= q.ckpt_s && p.eval_s >= q.eval_s);
		assert_true(p.ramp_s >= q.ramp_s && p.stall_s >= q.stall_s);
		assert_true(p.long_run_frac >= q.long_run_frac);
		q = p;
	}
	run_on(&in, 2048, 600.0, 1.5);
	parts(&in, &p);
	loss_10min = 1.0 - fs_goodput_frac(&p);
	run_on(&in, 2048, 86400.0, 1.5);
	parts(&in, &p);
	loss_1d = 1.0 - fs_goodput_frac(&p);
	assert_true(loss_10min < 1e-3);
	assert_true(loss_1d > 100.0 * loss_10min);
}

/*
 * Scale at a fixed 30 days of steady training: interruptions (rate n/MTBF)
 * and checkpoints (Young's interval shrinks as 1/sqrt(n)) grow with the GPU
 * count; the fitted stall share falls with it (exponent -0.35: at 64 GPUs
 * 0.32 x 0.064^-0.35 = 0.84, at 16,384 0.32 x 16.384^-0.35 = 0.12) and is
 * clamped outside the fitted 64-16,384 GPUs.
 */
static void test_goodput_scale(void **state)
{
	struct fs_goodput_run in;
	struct fs_goodput_parts p, q;
	double T = 30.0 * 86400.0;

	(void)state;
	memset(&q, 0, sizeof(q));
	for (int n = 64; n <= 16384; n *= 2) {
		run_on(&in, n, T, 3.0);
		parts(&in, &p);
		assert_true(p.failure_lost_s + p.failure_restart_s >
			    q.failure_lost_s + q.failure_restart_s);
		assert_true(p.n_ckpts >= q.n_ckpts);
		if (n > 64)
			assert_true(p.stall_s < q.stall_s);
		q = p;
	}
	run_on(&in, 64, T, 3.0);
	parts(&in, &p);
	assert_rel(p.stall_s, 0.32 * pow(0.064, -0.35) * T, 1e-12);
	assert_rel(p.stall_s / T, 0.84, 0.01);
	run_on(&in, 8, T, 3.0);
	parts(&in, &q);
	assert_rel(q.stall_s, p.stall_s, 1e-12);
	run_on(&in, 65536, T, 3.0);
	parts(&in, &q);
	assert_rel(q.stall_s, 0.32 * pow(16.384, -0.35) * T, 1e-12);
}

/* Free checkpoints (w = 0, tau = 0): no work is lost, each interruption
 * costs the restart: wall = pre / (1 - r/M). An interruption costing more
 * than M eats the run: infinite wall, goodput 0. No tokens: all zero. */
static void test_goodput_edges(void **state)
{
	struct fs_goodput_run in;
	struct fs_goodput_parts p;
	double T = 10.0 * 86400.0, M = 50672.0 * 3600.0 / 1024.0, pre;

	(void)state;
	run_on(&in, 1024, T, 1.0);
	in.ckpt_write_s = 0.0;
	in.ckpt_interval_s = 0.0;
	parts(&in, &p);
	assert_true(p.failure_lost_s == 0.0 || fabs(p.failure_lost_s) < 1e-6 * p.wall_s);
	assert_true(p.ckpt_s == 0.0);
	pre = p.steady_s + p.eval_s + p.ramp_s + p.stall_s;
	assert_rel(p.wall_s, pre / (1.0 - 300.0 / M), 1e-12);
	run_on(&in, 1024, T, 1.0);
	in.job_mtbf_s = 200.0;
	parts(&in, &p);
	assert_true(isinf(p.wall_s));
	assert_true(fs_goodput_frac(&p) == 0.0);
	run_on(&in, 1024, 0.0, 1.0);
	parts(&in, &p);
	assert_true(p.wall_s == 0.0 && fs_goodput_frac(&p) == 1.0);
}

/* The fit recovers coefficients that generated the observations (on its
 * grid: 0.25 and -0.20) with zero error; no observations: the defaults. */
static void test_goodput_fit_recovers(void **state)
{
	struct fs_goodput_obs obs[6];
	struct fs_goodput_coef truth = { 0.25, -0.20 }, got;
	struct fs_goodput_parts p;
	static const int gpus[6] = { 64, 384, 1024, 2048, 4096, 16384 };
	double rms;

	(void)state;
	for (int i = 0; i < 6; i++) {
		run_on(&obs[i].run, gpus[i], (2.0 + 7.0 * i) * 86400.0, 1.0 + i);
		fs_goodput_parts(&obs[i].run, &truth, &p);
		obs[i].published_wall_s = p.wall_s;
	}
	fs_goodput_fit(obs, 6, &got, &rms);
	assert_rel(got.stall_frac_at_ref, 0.25, 1e-9);
	assert_rel(got.stall_scale_exp, -0.20, 1e-9);
	assert_true(rms < 1e-9);
	fs_goodput_fit(obs, 0, &got, NULL);
	assert_rel(got.stall_frac_at_ref, 0.32, 1e-12);
	assert_rel(got.stall_scale_exp, -0.35, 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_goodput_benchmark_gets_none),
		cmocka_unit_test(test_goodput_long_run_by_hand),
		cmocka_unit_test(test_goodput_monotone_in_length),
		cmocka_unit_test(test_goodput_scale),
		cmocka_unit_test(test_goodput_edges),
		cmocka_unit_test(test_goodput_fit_recovers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
