/*
 * test_policies.c - the scheduling policies against queueing theory and
 * against schedules worked out by hand: strict fifo, first-fit, sjf,
 * easy-backfill, priority, and team quotas under them.
 *
 * The made-up GPU G (100 TFLOP/s bf16, MFU 0.5) and model M of test_sched.c:
 * a job's run time is tokens x F / (GPUs x 50e12) with F = 6001536000 FLOP
 * per token, so tokens_for(h, g) is a job that runs h hours on g GPUs of G.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/run.h"
#include "fleetsim/scenario.h"
#include "fleetsim/sched.h"
#include "fleetsim/workload.h"
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
	"name = \"s\"; seed = 7; horizon_days = %.17g; series_interval_hours = %.17g;\n"
	"train_model = \"first_order\"; failures = { enabled = false; };\n"
	"gpus = ( { name = \"G\"; " TU_GPU_G_FIELDS " } );\n"
	"models = ( { name = \"M\"; layers = 2; hidden = 64; heads = 4; ffn = 256; vocab = 1000;\n"
	"  params_b = 1.0; max_seq = 1000; } );\n"
	"fleets = ( { name = \"f\"; gpu = \"G\"; nodes = %d; } );\n";

static void load_text(struct fs_scenario *sc, const char *text)
{
	struct fs_error e;

	if (fs_scenario_load_text(text, "s.cfg", sc, &e)) {
		print_error("%s:%d %s %s\n", e.file, e.line, e.key, e.msg);
		fail();
	}
}

/* ---- Erlang C ------------------------------------------------------------ */

/*
 * Erlang's C formula for M/M/c: the probability that an arrival waits, with
 * offered load a = lambda / mu < c (Kleinrock, Queueing Systems I, eq. 3.40):
 *   C(c, a) = (a^c / c!) (c / (c - a)) / (sum_{k<c} a^k / k! + (a^c / c!) (c / (c - a))),
 * and the mean wait in queue W_q = C(c, a) / (c mu - lambda). Written from
 * the formula, term by term, independently of the simulator.
 */
static double erlang_c(int c, double a)
{
	double term = 1.0, sum = 0.0, top;

	for (int k = 0; k < c; k++) {
		sum += term;                        /* a^k / k! */
		term *= a / (k + 1);
	}
	top = term * c / (c - a);                   /* term = a^c / c! */
	return top / (sum + top);
}

/*
 * Single-GPU jobs, Poisson arrivals, exponential run times (exponential
 * token counts: the first-order model's time is linear in tokens), on c GPUs
 * under fifo: an M/M/c queue. One run of n jobs for seed; *got_h is its mean
 * wait, *want_h Erlang C's at the run's realized arrival rate and mean run
 * time (their sampling error moves W_q far more than the queue's own does,
 * dW_q/drho being large near saturation), which are themselves checked to
 * be within 4 standard errors of what was asked.
 */
static void mmc_run(int c, double rho, double n_jobs, uint64_t seed, double *got_h,
		    double *want_h)
{
	struct fs_scenario sc;
	struct fs_run_result r;
	struct fs_error e;
	double mu_per_h = 1.0, lambda_per_h = rho * c * mu_per_h;
	double days = n_jobs / lambda_per_h / 24.0, svc_h = 0.0, lam_h, wait_h = 0.0;
	char text[8192];
	int w;

	w = snprintf(text, sizeof(text), head, days, 24.0, c / 8);
	snprintf(text + w, sizeof(text) - (size_t)w,
		 "training = { streams = ( { name = \"q\"; rate_per_day = %.17g; model = \"M\";\n"
		 "  tokens = { dist = \"exponential\"; mean = %.17g; }; gpus = 1; } ); };\n",
		 lambda_per_h * 24.0, tokens_for(1.0 / mu_per_h, 1));
	load_text(&sc, text);
	assert_string_equal(sc.scheduler->name, "fifo");
	if (fs_run_fleet(&sc, 0, seed, &r, &e)) {
		print_error("%s\n", e.msg);
		fail();
	}
	for (size_t i = 0; i < r.n_jobs; i++) {
		wait_h += r.jobs[i].wait_s / H;
		svc_h += (r.jobs[i].end_s - r.jobs[i].start_s) / H;
	}
	wait_h /= (double)r.n_jobs;
	svc_h /= (double)r.n_jobs;
	lam_h = (double)r.n_jobs / (days * 24.0);
	/* Poisson count: sd sqrt(n); exponential mean: sd mean / sqrt(n) */
	assert_true(fabs((double)r.n_jobs - n_jobs) < 4.0 * sqrt(n_jobs));
	assert_true(fabs(svc_h - 1.0 / mu_per_h) < 4.0 / mu_per_h / sqrt(n_jobs));
	*got_h = wait_h;
	*want_h = erlang_c(c, lam_h * svc_h) / (c / svc_h - lam_h);
	fs_run_result_fini(&r);
	fs_scenario_fini(&sc);
}

/*
 * Replications pooled: the mean of the runs' mean waits within tol_frac of
 * the mean of their Erlang C waits. Measured when this test was written,
 * over seeds 1-8 with 150,000 jobs a run: the ratio had sd 2% (c = 8) and
 * 4% (c = 16), mean 1.002 and 1.012 (no bias seen); three pooled runs of
 * 120,000 are then within about 1.4% and 2.6% at 1 sd.
 */
static void mmc_case(int c, double rho, double tol_frac)
{
	double got = 0.0, want = 0.0;

	for (uint64_t seed = 1; seed <= 3; seed++) {
		double g, w;

		mmc_run(c, rho, 120000, seed, &g, &w);
		got += g;
		want += w;
	}
	if (fabs(got - want) > tol_frac * want)
		fail_msg("M/M/%d at load %g: mean wait %.5g h, Erlang C %.5g h", c, rho, got / 3,
			 want / 3);
}

static void test_policies_erlang_c_formula(void **state)
{
	(void)state;
	/* by hand: C(1, a) = a (M/M/1); C(2, 1) = (1/2 x 2) / (1 + 1 + 1) = 1/3;
	 * C(8, 6) = 0.35698 (the sum written out, 9 terms) */
	assert_true(fabs(erlang_c(2, 1.0) - 1.0 / 3.0) < 1e-12);
	assert_true(fabs(erlang_c(1, 0.5) - 0.5) < 1e-12);  /* M/M/1: rho */
	assert_true(fabs(erlang_c(8, 6.0) - 0.35698) < 1e-5);
}

static void test_policies_fifo_mmc_8(void **state)
{
	(void)state;
	mmc_case(8, 0.75, 0.05);
}

static void test_policies_fifo_mmc_16(void **state)
{
	(void)state;
	mmc_case(16, 0.8, 0.05);
}

/* ---- a small history by hand ---------------------------------------------- */

struct hjob {
	const char *name;
	int gpus;
	double hours;           /* run time on G */
	double submit_h;
	int priority;
	const char *team;       /* NULL: none */
};

/*
 * One node of 8 GPUs, estimates exact. Lengths A 4 h, B 2, C 3, D 1, E 1.5,
 * F 0.5 (no two equal: sjf's order never rests on rounding). C and D arrive together at 2 h (C declared first); F arrives when
 * D would end under sjf (3 h), E when A ends (4 h): the policy then sees the
 * end and the arrival together (ends first, then submissions, then picks).
 *
 *  job  GPUs  hours  submit  priority  team
 *   A    4     4      0        0       x
 *   B    8     2      1        0       y
 *   C    2     3      2        0       x
 *   D    4     1      2        5       y
 *   F    4     0.5    3        0       y
 *   E    2     1.5    4        0       x
 */
static const struct hjob hist[] = {
	{ "A", 4, 4.0, 0.0, 0, "x" },
	{ "B", 8, 2.0, 1.0, 0, "y" },
	{ "C", 2, 3.0, 2.0, 0, "x" },
	{ "D", 4, 1.0, 2.0, 5, "y" },
	{ "F", 4, 0.5, 3.0, 0, "y" },
	{ "E", 2, 1.5, 4.0, 0, "x" },
};

/* Loads hist on one node; quota_x > 0 gives team x that quota (y has none). */
static void load_hist(struct fs_scenario *sc, int quota_x)
{
	char text[8192];
	int w = snprintf(text, sizeof(text), head, 2.0, 1.0, 1);
	size_t n = sizeof(hist) / sizeof(hist[0]);

	w += snprintf(text + w, sizeof(text) - (size_t)w,
		      "teams = ( { name = \"x\"; quota_gpus = %d; }, { name = \"y\"; } );\n"
		      "training = { jobs = (\n", quota_x);
	for (size_t i = 0; i < n; i++)
		w += snprintf(text + w, sizeof(text) - (size_t)w,
			      "%s{ name = \"%s\"; model = \"M\"; gpus = %d; tokens = %.17g; "
			      "submit_day = %.17g; priority = %d; team = \"%s\"; }\n",
			      i ? "," : "", hist[i].name, hist[i].gpus,
			      tokens_for(hist[i].hours, hist[i].gpus), hist[i].submit_h / 24.0,
			      hist[i].priority, hist[i].team);
	snprintf(text + w, sizeof(text) - (size_t)w, "); };\n");
	load_text(sc, text);
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

static void run_policy(struct fs_scenario *sc, const char *policy, struct fs_run_result *r)
{
	struct fs_error e;

	sc->scheduler = fs_sched_find(policy);
	assert_non_null(sc->scheduler);
	if (fs_run_fleet(sc, 0, sc->seed, r, &e)) {
		print_error("%s\n", e.msg);
		fail();
	}
}

/* starts[i] is hist[i]'s start in hours; its end follows from its length. */
static void expect_starts(const struct fs_scenario *sc, const char *policy, int quota_x,
			  const double *starts)
{
	struct fs_run_result r;
	size_t n = sizeof(hist) / sizeof(hist[0]);

	run_policy((struct fs_scenario *)sc, policy, &r);
	for (size_t i = 0; i < n; i++) {
		const struct fs_job_result *j = job(sc, &r, hist[i].name);
		double end_h = starts[i] + hist[i].hours;

		if (fabs(j->start_s - starts[i] * H) > TOL || fabs(j->end_s - end_h * H) > TOL)
			fail_msg("%s (quota x %d): %s start %.9g h end %.9g h, want %g h and %g h",
				 policy, quota_x, hist[i].name, j->start_s / H, j->end_s / H,
				 starts[i], end_h);
		assert_int_equal(j->team, strcmp(hist[i].team, "x") == 0 ? 0 : 1);
	}
	fs_run_result_fini(&r);
}

/*
 * fifo (strict: the head waits for all its GPUs, nobody passes it):
 *   0 A starts (4 free). 1 B (8) is the head and waits; C, D, F queue
 *   behind it. 4 A ends, E arrives: B 4-6 (0 free). 6 B ends: C 6-9, D 6-7
 *   (2 free); F (4) is the head and waits, E behind it. 7 D ends (6 free):
 *   F 7-7.5, E 7-8.5.
 */
static const double fifo_starts[] = { 0, 4, 6, 6, 7, 7 };

/*
 * first-fit (arrival order, whoever fits starts, no reservation):
 *   0 A (4 free). 1 B waits. 2 C fits: 2-5 (2 free); D (4) does not.
 *   3 F (4) does not. 4 A ends, E arrives (6 free): B no; D 4-5 (2 free);
 *   F no; E 4-5.5 (0 free). 5 C and D end (6 free): B no; F 5-5.5.
 *   5.5 F and E end (8 free): B 5.5-7.5.
 */
static const double firstfit_starts[] = { 0, 5.5, 2, 4, 5, 4 };

/*
 * sjf (shortest first, whoever fits starts): 0 A (4 free). 1 B waits.
 *   2 C (3 h) and D (1 h) arrive together, ranked together: D 2-3 (0 free),
 *   C does not fit. 3 D ends, F (0.5 h) arrives: F 3-3.5, ahead of B (2 h)
 *   and C (3 h). 3.5 F ends (4 free): B (8) no; C 3.5-6.5 (2 free). 4 A ends,
 *   E (1.5 h) arrives (6 free): E 4-5.5; B no. 5.5 E ends (6 free): B no.
 *   6.5 C ends: B 6.5-8.5.
 *   (Picking after each event instead of once per instant would start C at
 *   2 h, before D had arrived.)
 */
static const double sjf_starts[] = { 0, 6.5, 3.5, 2, 3, 4 };

/*
 * easy-backfill: 0 A (4 free). 1 B waits at the head: shadow 4 h (A's
 *   end), extra 4 + 4 - 8 = 0. 2 C (2 GPUs to 5 h) would pass the shadow
 *   and has no extra GPUs: waits; D (to 3 h) backfills: 2-3. 3 D ends, F
 *   arrives: F ends by 3.5 <= 4, backfills: 3-3.5; C still would pass 4 h.
 *   4 A ends, E arrives: B 4-6. 6 B ends: C 6-9, E 6-7.5.
 */
static const double easy_starts[] = { 0, 4, 6, 2, 3, 6 };

/*
 * priority (D has priority 5; whoever fits starts): 0 A (4 free). 1 B
 *   waits. 2 C and D arrive together: D first, 2-3 (0 free). 3 D ends, F
 *   arrives (4 free): B no; C 3-6 (2 free); F no. 4 A ends, E arrives
 *   (6 free): B no; F 4-4.5; E 4-5.5 (0 free). 4.5 F ends: B no. 5.5 E
 *   ends: B no (6 free). 6 C ends: B 6-8.
 */
static const double priority_starts[] = { 0, 6, 3, 2, 4, 4 };

static void test_policies_history_by_hand(void **state)
{
	struct fs_scenario sc;

	(void)state;
	load_hist(&sc, 0);
	expect_starts(&sc, "fifo", 0, fifo_starts);
	expect_starts(&sc, "first-fit", 0, firstfit_starts);
	expect_starts(&sc, "sjf", 0, sjf_starts);
	expect_starts(&sc, "easy-backfill", 0, easy_starts);
	expect_starts(&sc, "priority", 0, priority_starts);
	fs_scenario_fini(&sc);
}

/*
 * Team x (A, C, E) may hold 4 GPUs at most; y has no quota.
 *
 * first-fit: 0 A (x at 4 of 4). 1 B waits. 2 C would take x to 6: passed
 *   over; D (y) 2-3. 3 D ends, F arrives: F 3-3.5. 3.5 F ends (4 free): B
 *   no, C over quota. 4 A ends (x at 0), E arrives (8 free): B 4-6; C, E do
 *   not fit. 6 B ends: C 6-9, E 6-7.5 (x at 4).
 *   Without the quota C starts at 2 h (above).
 *
 * fifo: C, passed over at 2 h by its quota, is not the head; B is. The
 *   schedule is fifo's above (x never holds more than 4 there: A alone,
 *   then C and E from 7 h).
 *
 * priority: 0 A. 1 B waits. 2 D 2-3 (C over quota). 3 D ends, F arrives:
 *   B no; C over quota; F 3-3.5. 3.5: B no, C over quota. 4 A ends, E
 *   arrives (8 free): B 4-6 (0 free). 6 B ends: C 6-9, E 6-7.5.
 *
 * sjf: 0 A. 2 D 2-3. 3 F 3-3.5. 3.5 C over quota; B no. 4 A ends (x at
 *   0), E arrives (8 free): E (1.5 h) 4-5.5; B (2 h) no; C (x at 2 + 2) 4-7.
 *   5.5 E ends (6 free): B no. 7 C ends: B 7-9.
 *
 * easy-backfill: 0 A. 1 B head, shadow 4, extra 0. 2 C over quota
 *   (skipped); D backfills 2-3. 3 F backfills 3-3.5. 4 B 4-6. 6 C 6-9,
 *   E 6-7.5.
 */
static const double quota_ff_starts[] = { 0, 4, 6, 2, 3, 6 };
static const double quota_prio_starts[] = { 0, 4, 6, 2, 3, 6 };
static const double quota_sjf_starts[] = { 0, 7, 4, 2, 3, 4 };

static void test_policies_team_quota(void **state)
{
	struct fs_scenario sc;

	(void)state;
	load_hist(&sc, 4);
	assert_int_equal((int)sc.n_teams, 2);
	assert_string_equal(sc.teams[0].name, "x");
	assert_int_equal(sc.teams[0].quota_gpus, 4);
	assert_int_equal(sc.teams[1].quota_gpus, 0);
	expect_starts(&sc, "first-fit", 4, quota_ff_starts);
	expect_starts(&sc, "fifo", 4, fifo_starts);
	expect_starts(&sc, "priority", 4, quota_prio_starts);
	expect_starts(&sc, "sjf", 4, quota_sjf_starts);
	expect_starts(&sc, "easy-backfill", 4, easy_starts);
	fs_scenario_fini(&sc);
}

/* Team x never holds more than its quota at any time, under any policy:
 * checked from the jobs' intervals at every start. */
static void test_policies_quota_never_exceeded(void **state)
{
	struct fs_scenario sc;

	(void)state;
	load_hist(&sc, 4);
	for (size_t p = 0; p < fs_sched_count(); p++) {
		struct fs_run_result r;

		run_policy(&sc, fs_sched_at(p)->name, &r);
		for (size_t i = 0; i < r.n_jobs; i++) {
			int held = 0;

			for (size_t k = 0; k < r.n_jobs; k++)
				if (r.jobs[k].team == 0 && r.jobs[k].start_s <= r.jobs[i].start_s &&
				    r.jobs[i].start_s < r.jobs[k].end_s)
					held += r.jobs[k].gpus;
			assert_true(held <= 4);
		}
		fs_run_result_fini(&r);
	}
	fs_scenario_fini(&sc);
}

/* Bad team input: file, line and key. */
static void expect_bad(const char *teams, const char *job_extra, int line, const char *key,
		       const char *words)
{
	struct fs_scenario sc;
	struct fs_error e;
	char text[8192];
	int w = snprintf(text, sizeof(text), head, 2.0, 1.0, 1);

	snprintf(text + w, sizeof(text) - (size_t)w,
		 "%s\ntraining = { jobs = ( { name = \"A\"; model = \"M\"; gpus = 8; "
		 "tokens = 1e9;%s } ); };\n", teams, job_extra);
	assert_int_equal(fs_scenario_load_text(text, "s.cfg", &sc, &e), FS_ERR_INPUT);
	assert_string_equal(e.file, "s.cfg");
	assert_int_equal(e.line, line);
	assert_string_equal(e.key, key);
	if (!strstr(e.msg, words))
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, words);
}

static void test_policies_team_errors(void **state)
{
	(void)state;
	/* the head has 11 lines; the teams line is 12, the job 13 */
	expect_bad("teams = ( { name = \"x\"; } );", " team = \"z\";", 13, "training.jobs.[0].team",
		   "expected a name declared in 'teams'");
	expect_bad("", " team = \"z\";", 13, "training.jobs.[0].team", "no 'teams' list");
	expect_bad("teams = ( { name = \"x\"; quota_gpus = 4; } );", " team = \"x\";", 13,
		   "training.jobs.[0].team", "could never start");
	expect_bad("teams = ( { name = \"x\"; }, { name = \"x\"; } );", "", 12, "teams.[1]",
		   "declared twice");
	expect_bad("teams = ( { name = \"x\"; quota_gpus = -1; } );", "", 12,
		   "teams.[0].quota_gpus", "expected an integer");
	expect_bad("teams = ( { name = \"x\"; quota = 4; } );", "", 12, "teams.[0].quota",
		   "quota");
}

/* ---- against a reference implementation ------------------------------------ */

/*
 * A second, independent implementation of the documented semantics on one
 * node of 8 GPUs (every job fits there alone): at each instant, free the
 * GPUs of every job ending then, queue every job submitted then, then start
 * jobs in the policy's order (fifo stops at the first that does not fit;
 * the others skip it). O(n^2), written for clarity.
 */
enum ref_policy { REF_FIFO, REF_FIRST_FIT, REF_SJF, REF_PRIORITY };

struct rjob {
	int gpus, prio;
	double submit_h, hours;
	double start_h;         /* -1 while waiting */
};

/* Whether waiting job a goes before b under policy p. */
static bool ref_before(enum ref_policy p, const struct rjob *j, int a, int b)
{
	switch (p) {
	case REF_SJF:
		if (j[a].hours != j[b].hours)
			return j[a].hours < j[b].hours;
		return a < b;
	case REF_PRIORITY:
		if (j[a].prio != j[b].prio)
			return j[a].prio > j[b].prio;
		return a < b;
	case REF_FIFO:
	case REF_FIRST_FIT:
		return a < b;
	}
	return a < b;
}

static void ref_schedule(enum ref_policy p, struct rjob *j, int n)
{
	int free_gpus = 8, done = 0;
	int *order = malloc((size_t)n * sizeof(*order));
	double t = -1.0, last;

	assert_non_null(order);
	for (int i = 0; i < n; i++)
		j[i].start_h = -1;
	while (done < n) {
		assert_true(t < INFINITY);
		int m = 0;

		/* the next instant: the earliest submission after the last
		 * instant, or the earliest end */
		last = t;
		t = INFINITY;
		for (int i = 0; i < n; i++) {
			if (j[i].start_h < 0 && j[i].submit_h > last)
				t = fmin(t, j[i].submit_h);
			if (j[i].start_h >= 0 && j[i].submit_h >= 0)
				t = fmin(t, j[i].start_h + j[i].hours);
		}
		/* ends; finished jobs are marked by submit_h = -1 - submit */
		for (int i = 0; i < n; i++)
			if (j[i].start_h >= 0 && j[i].submit_h >= 0 && j[i].start_h + j[i].hours == t) {
				free_gpus += j[i].gpus;
				j[i].submit_h = -1.0 - j[i].submit_h;
				done++;
			}
		/* the waiting jobs, submitted at or before t, in policy order */
		for (int i = 0; i < n; i++)
			if (j[i].start_h < 0 && j[i].submit_h >= 0 && j[i].submit_h <= t) {
				int k = m++;
				while (k > 0 && ref_before(p, j, i, order[k - 1])) {
					order[k] = order[k - 1];
					k--;
				}
				order[k] = i;
			}
		for (int k = 0; k < m; k++) {
			struct rjob *x = &j[order[k]];

			if (x->gpus <= free_gpus) {
				x->start_h = t;
				free_gpus -= x->gpus;
			} else if (p == REF_FIFO) {
				break;
			}
		}
	}
	for (int i = 0; i < n; i++)
		j[i].submit_h = -1.0 - j[i].submit_h;
	free(order);
}

/*
 * 300 jobs on whole hours (many submissions together, many ends together,
 * ends at submissions), 1-8 GPUs, priorities 0-2; under sjf every length is
 * distinct (whole hours plus i/1024 h) so no order rests on rounding. The
 * run and the reference agree on every start, to the nanosecond.
 */
static void test_policies_match_reference(void **state)
{
	static const struct { const char *name; enum ref_policy p; } cases[] = {
		{ "fifo", REF_FIFO }, { "first-fit", REF_FIRST_FIT }, { "sjf", REF_SJF },
		{ "priority", REF_PRIORITY },
	};
	enum { N = 300 };
	static const int sizes[] = { 1, 2, 3, 4, 8, 1, 2, 6 };
	size_t cap = 1 << 17;
	char *text = malloc(cap);
	struct rjob j[N];
	uint32_t x = 2385u;

	(void)state;
	assert_non_null(text);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct fs_scenario sc;
		struct fs_run_result r;
		double t = 0.0;
		int w = snprintf(text, cap, head, 40.0, 24.0, 1);

		w += snprintf(text + w, cap - (size_t)w, "training = { jobs = (\n");
		for (int i = 0; i < N; i++) {
			x = x * 1103515245u + 12345u;
			t += (double)((x >> 16) % 3);           /* 0, 1 or 2 h after the last */
			j[i] = (struct rjob){ sizes[(x >> 8) % 8], (int)((x >> 20) % 3), t,
					      1.0 + (double)((x >> 24) % 6), -1 };
			if (cases[c].p == REF_SJF)
				j[i].hours += i / 1024.0;
			w += snprintf(text + w, cap - (size_t)w,
				      "%s{ name = \"j%d\"; model = \"M\"; gpus = %d; tokens = %.17g; "
				      "submit_day = %.17g; priority = %d; }\n", i ? "," : "", i,
				      j[i].gpus, tokens_for(j[i].hours, j[i].gpus), j[i].submit_h / 24.0,
				      j[i].prio);
			assert_true((size_t)w < cap);
		}
		snprintf(text + w, cap - (size_t)w, "); };\n");
		load_text(&sc, text);
		ref_schedule(cases[c].p, j, N);
		run_policy(&sc, cases[c].name, &r);
		assert_int_equal(r.n_jobs, N);
		for (int i = 0; i < N; i++)
			if (fabs(r.jobs[i].start_s - j[i].start_h * H) > TOL)
				fail_msg("%s: j%d (%d GPUs, %g h, submit %g h) starts at %.9g h, the "
					 "reference at %g h", cases[c].name, i, j[i].gpus, j[i].hours,
					 j[i].submit_h, r.jobs[i].start_s / H, j[i].start_h);
		fs_run_result_fini(&r);
		fs_scenario_fini(&sc);
	}
	free(text);
}

/* Same input, same seed: the same rows under every policy (noisy estimates). */
static void test_policies_deterministic(void **state)
{
	struct fs_scenario sc;

	(void)state;
	load_hist(&sc, 4);
	sc.estimate_noise_frac = 0.5;
	for (size_t p = 0; p < fs_sched_count(); p++) {
		struct fs_run_result a, b;

		run_policy(&sc, fs_sched_at(p)->name, &a);
		run_policy(&sc, fs_sched_at(p)->name, &b);
		assert_int_equal(a.n_jobs, b.n_jobs);
		assert_memory_equal(a.jobs, b.jobs, a.n_jobs * sizeof(*a.jobs));
		fs_run_result_fini(&a);
		fs_run_result_fini(&b);
	}
	fs_scenario_fini(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policies_erlang_c_formula),
		cmocka_unit_test(test_policies_fifo_mmc_8),
		cmocka_unit_test(test_policies_fifo_mmc_16),
		cmocka_unit_test(test_policies_history_by_hand),
		cmocka_unit_test(test_policies_team_quota),
		cmocka_unit_test(test_policies_quota_never_exceeded),
		cmocka_unit_test(test_policies_team_errors),
		cmocka_unit_test(test_policies_match_reference),
		cmocka_unit_test(test_policies_deterministic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
