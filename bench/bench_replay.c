/*
 * bench_replay.c - replaying a 20,000-job history on a 6,500-GPU pool.
 *
 * The history is synthetic, drawn once with a fixed seed (GSL mt19937,
 * seed 20261128): Poisson arrivals at 0.28 jobs/s (offered load about 1.04 x the pool over
 * the arrival window, so a queue builds: below ~0.99 a 6,500-GPU pool barely
 * queues, Halfin-Whitt), GPUs
 * 1 (60 %), 2 (10 %), 4 (10 %), 8 (15 %), 16 (3 %), 64 (2 %), durations
 * lognormal with median 1 h and sigma 1.0 (mean 1.65 h), clamped to
 * [10 s, 30 days]. It is written to a temporary CSV file and replayed through
 * the scenario path (training.history) on one fleet of 1,625 nodes x 4
 * A100-SXM4-80GB = 6,500 GPUs, once per policy.
 *
 * Timed, per case: loading the scenario (parsing the 20k-row history),
 * generating the workload and simulating the fleet - the whole replay but
 * process start and storing. Best of 3 rounds on one core.
 *
 * stdout, one line per policy:
 *     replay case=<policy> jobs=<n> jobs_per_s=<x> wall_s=<t> mean_wait_h=<w>
 * Cases: fifo (strict), first-fit (when the policy table has it), easy-backfill.
 */
#include "fleetsim/run.h"
#include "fleetsim/sched.h"
#include "fleetsim/scenario.h"
#include "fleetsim/workload.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N_JOBS 20000
#define SEED 20261128UL
#define ROUNDS 3

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The synthetic history into a temporary file; its path into path. */
static int write_history(char *path, size_t n)
{
	static const int sizes[] = { 1, 2, 4, 8, 16, 64 };
	static const double weights[] = { 0.60, 0.10, 0.10, 0.15, 0.03, 0.02 };
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_ran_discrete_t *mix = gsl_ran_discrete_preproc(6, weights);
	double t = 0;
	FILE *f;
	int fd;

	snprintf(path, n, "/tmp/bench_replay_XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || !r || !mix || !(f = fdopen(fd, "w"))) {
		gsl_rng_free(r);
		gsl_ran_discrete_free(mix);
		return -1;
	}
	gsl_rng_set(r, SEED);
	fprintf(f, "submit_s,duration_s,gpus,name\n");
	for (int i = 0; i < N_JOBS; i++) {
		double d;
		t += gsl_ran_exponential(r, 1 / 0.28);
		d = fmin(fmax(3600.0 * exp(1.0 * gsl_ran_ugaussian(r)), 10.0), 30 * 86400.0);
		fprintf(f, "%.3f,%.1f,%d,job%d\n", t, d, sizes[gsl_ran_discrete(r, mix)], i);
	}
	fclose(f);
	gsl_rng_free(r);
	gsl_ran_discrete_free(mix);
	return 0;
}

static int run_case(const char *path, const char *policy)
{
	char text[1024];
	double best = INFINITY, wait_h = 0;
	size_t n = 0;

	snprintf(text, sizeof(text),
		 "name = \"bench-replay\";\nhorizon_days = 30;\nscheduler = \"%s\";\n"
		 "fleets = ( { name = \"a100-6500\"; gpu = \"A100-SXM4-80GB\"; nodes = 1625;"
		 " gpus_per_node = 4; } );\n"
		 "training = { history = { file = \"%s\"; }; };\n", policy, path);
	for (int round = 0; round < ROUNDS; round++) {
		struct fs_scenario sc;
		struct fs_workload w;
		struct fs_run_result r;
		struct fs_error e;
		double t0 = now_s(), dt;

		fs_error_clear(&e);
		if (fs_scenario_load_text(text, "bench", &sc, &e)) {
			fprintf(stderr, "bench_replay: %s: %s\n", policy, e.msg);
			return -1;
		}
		if (fs_workload_generate(&sc, 1, &w, &e) ||
		    fs_run_fleet_workload(&sc, &w, 0, 1, &r, &e)) {
			fprintf(stderr, "bench_replay: %s: %s\n", policy, e.msg);
			fs_workload_fini(&w);
			fs_scenario_fini(&sc);
			return -1;
		}
		dt = now_s() - t0;
		best = fmin(best, dt);
		n = r.n_jobs;
		wait_h = r.sum.mean_wait_s / 3600.0;
		fs_run_result_fini(&r);
		fs_workload_fini(&w);
		fs_scenario_fini(&sc);
	}
	printf("replay case=%s jobs=%zu jobs_per_s=%.0f wall_s=%.4f mean_wait_h=%.3f\n", policy, n,
	       (double)n / best, best, wait_h);
	return 0;
}

int main(void)
{
	static const char *const cases[] = { "fifo", "first-fit", "easy-backfill" };
	char path[64];
	int rc = 0;

	gsl_set_error_handler_off();
	if (write_history(path, sizeof(path))) {
		fprintf(stderr, "bench_replay: cannot write the history\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		if (!fs_sched_find(cases[i])) {
			printf("replay case=%s skipped (not in the policy table)\n", cases[i]);
			continue;
		}
		if (run_case(path, cases[i]))
			rc = 1;
	}
	unlink(path);
	return rc;
}
