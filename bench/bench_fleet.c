/*
 * bench_fleet.c - speed of whole fleet runs: the example scenario's fleet
 * options, and a large synthetic fleet under heavy streams.
 *
 * Prints one line per case:
 *   fleet case=<name> events_per_s=<n> fleet_years_per_s=<n> jobs=<n>
 * where fleet-years are simulated time (arrival horizon) per wall second,
 * and for bench/fleet_1m.cfg (about 10^6 jobs, two fleet options) the phases
 * of a whole 'fleetsim run':
 *   fleet case=1m workload_s=<s> run_s=<s> store_s=<s> total_s=<s> jobs=<n>
 *   fleet case=1m-cpu ... (the same phases in process CPU seconds, steadier
 *   than wall time on a shared machine)
 * and for bench/fleet_services.cfg (a year of 4,096 H100 with 3 hourly
 * services and about 20,000 training jobs), with the services' plans made
 * once (plan_s, the first run's planning) and the training-only variant of
 * the same scenario for comparison (its services removed):
 *   fleet case=<name> sim_years_per_s=<n> cpu_years_per_s=<n> jobs=<n> plan_s=<s>
 */
#include "fleetsim/run.h"
#include "fleetsim/scenario.h"
#include "fleetsim/service.h"
#include "fleetsim/store.h"
#include "fleetsim/workload.h"

#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int bench(const char *name, const struct fs_scenario *sc, size_t fleet)
{
	struct fs_run_result r;
	struct fs_error e;
	double t0, wall, events = 0, years = 0;
	size_t jobs = 0;
	int reps = 0;

	t0 = now();
	do {
		if (fs_run_fleet(sc, fleet, sc->seed + (uint64_t)reps, &r, &e)) {
			fprintf(stderr, "%s: %s\n", name, e.msg);
			return 1;
		}
		events += (double)r.sum.events;
		years += sc->horizon_s / (365.25 * 86400.0);
		jobs = r.n_jobs;
		fs_run_result_fini(&r);
		reps++;
		wall = now() - t0;
	} while (wall < 1.0);
	printf("fleet case=%s events_per_s=%.0f fleet_years_per_s=%.1f jobs=%zu\n", name,
	       events / wall, years / wall, jobs);
	return 0;
}

/*
 * Simulated years per second of fleet option 0 of sc over repeated runs
 * (at least 1 s; workload generated once, service plans memoised across
 * runs after the first, which is timed apart as plan_s).
 */
static int bench_years(const char *name, const struct fs_scenario *sc)
{
	struct fs_workload w;
	struct fs_service_memo *memo;
	struct fs_run_result r;
	struct fs_error e;
	double t0, c0, wall, cpu, plan_s, years = 0;
	int reps = 0, rc = 1;

	if (fs_workload_generate(sc, sc->seed, &w, &e)) {
		fprintf(stderr, "%s: %s\n", name, e.msg);
		return 1;
	}
	if (fs_service_memo_create(&memo)) {
		fs_workload_fini(&w);
		return 1;
	}
	t0 = now();
	if (fs_run_fleet_workload_memo(sc, &w, 0, sc->seed, memo, &r, &e))
		goto out;
	plan_s = now() - t0;    /* less a planned run's time, below */
	fs_run_result_fini(&r);
	t0 = now();
	c0 = cpu_now();
	do {
		if (fs_run_fleet_workload_memo(sc, &w, 0, sc->seed, memo, &r, &e))
			goto out;
		years += sc->horizon_s / (365.25 * 86400.0);
		fs_run_result_fini(&r);
		reps++;
		wall = now() - t0;
	} while (wall < 1.0);
	cpu = cpu_now() - c0;
	plan_s -= wall / reps;
	printf("fleet case=%s sim_years_per_s=%.1f cpu_years_per_s=%.1f jobs=%zu plan_s=%.3f\n",
	       name, years / wall, years / cpu, w.n, plan_s > 0 ? plan_s : 0.0);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "%s: %s\n", name, e.msg);
	fs_service_memo_destroy(memo);
	fs_workload_fini(&w);
	return rc;
}

static int bench_services(const char *path)
{
	struct fs_scenario sc;
	struct fs_error e;
	int rc;

	if (fs_scenario_load(path, &sc, &e)) {
		fprintf(stderr, "bench_fleet: %s\n", e.msg);
		return 1;
	}
	rc = bench_years("services-4096-3svc-20k-jobs", &sc);
	sc.serving.n_services = 0;  /* the same fleet and training, no services */
	rc |= bench_years("services-4096-training-only", &sc);
	fs_scenario_fini(&sc);
	return rc;
}

static const char big[] =
	"name = \"big\"; seed = 3; horizon_days = 365.25;\n"
	"fleets = ( { name = \"h100-8192\"; gpu = \"H100\"; nodes = 1024; } );\n"
	"training = { streams = (\n"
	"  { name = \"small\"; rate_per_day = 400.0; growth_per_month = 0.05; model = \"Llama-3-8B\";\n"
	"    tokens = { dist = \"lognormal\"; median = 2e9; sigma = 1.0; max = 1e11; };\n"
	"    gpus = { dist = \"choice\"; values = [8, 16, 32, 64]; }; },\n"
	"  { name = \"large\"; rate_per_day = 2.0; model = \"Llama-3-70B\"; tokens = 5e10;\n"
	"    gpus = { dist = \"choice\"; values = [256, 512, 1024]; }; } ); };\n";

/* One whole 'fleetsim run' of path, phase by phase: workload once, each fleet, the store. */
static int bench_1m(const char *path)
{
	struct fs_scenario sc;
	struct fs_workload w = { 0 };
	struct fs_run_result *res = NULL;
	struct fs_store *st = NULL;
	struct fs_error e;
	struct fs_invocation inv;
	char *argv[] = { (char *)"1m", (char *)path };
	char db[] = "/tmp/bench_fleet_XXXXXX";
	int64_t *ids = NULL;
	double t0, t1, t2, t3, c0, c1, c2, c3;
	size_t done = 0;
	int fd, rc = 1;

	if (fs_scenario_load(path, &sc, &e)) {
		fprintf(stderr, "bench_fleet: %s\n", e.msg);
		return 1;
	}
	fd = mkstemp(db);
	if (fd < 0)
		goto out;
	close(fd);
	unlink(db);
	res = calloc(sc.n_fleets, sizeof(*res));
	ids = calloc(sc.n_fleets, sizeof(*ids));
	t0 = now();
	c0 = cpu_now();
	if (!res || !ids || fs_workload_generate(&sc, sc.seed, &w, &e))
		goto out;
	t1 = now();
	c1 = cpu_now();
	for (; done < sc.n_fleets; done++)
		if (fs_run_fleet_workload(&sc, &w, done, sc.seed, &res[done], &e))
			goto out;
	t2 = now();
	c2 = cpu_now();
	fs_invocation_init(&inv, "bench_fleet", 2, argv, "bench");
	if (fs_store_open(db, FS_STORE_WRITE, &st, &e) ||
	    fs_store_write_runs(st, &sc, res, sc.n_fleets, &inv, ids, &e))
		goto out;
	t3 = now();
	c3 = cpu_now();
	printf("fleet case=1m workload_s=%.3f run_s=%.3f store_s=%.3f total_s=%.3f jobs=%zu\n",
	       t1 - t0, t2 - t1, t3 - t2, t3 - t0, w.n);
	printf("fleet case=1m-cpu workload_s=%.3f run_s=%.3f store_s=%.3f total_s=%.3f\n", c1 - c0,
	       c2 - c1, c3 - c2, c3 - c0);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "bench_fleet: 1m: %s\n", e.msg);
	fs_store_close(st);
	unlink(db);
	for (size_t f = 0; f < done; f++)
		fs_run_result_fini(&res[f]);
	free(res);
	free(ids);
	fs_workload_fini(&w);
	fs_scenario_fini(&sc);
	return rc;
}

int main(int argc, char **argv)
{
	struct fs_scenario sc;
	struct fs_error e;
	int rc = 0;

	fs_gsl_errors_off(); /* library code checks every GSL status (error.h) */
	if (argc > 1 && strcmp(argv[1], "1m") == 0)
		return bench_1m("bench/fleet_1m.cfg");
	if (argc > 1 && strcmp(argv[1], "services") == 0)
		return bench_services("bench/fleet_services.cfg");

	if (fs_scenario_load("scenarios/example.cfg", &sc, &e) == FS_OK) {
		for (size_t f = 0; f < sc.n_fleets; f++) {
			char name[80];
			snprintf(name, sizeof(name), "example-%s", sc.fleets[f].name);
			rc |= bench(name, &sc, f);
		}
		fs_scenario_fini(&sc);
	} else {
		fprintf(stderr, "bench_fleet: %s (run from the repository root)\n", e.msg);
		rc = 1;
	}
	if (fs_scenario_load_text(big, "big.cfg", &sc, &e) == FS_OK) {
		rc |= bench("h100-8192-150k-jobs", &sc, 0);
		fs_scenario_fini(&sc);
	} else {
		fprintf(stderr, "bench_fleet: %s\n", e.msg);
		rc = 1;
	}
	rc |= bench_services("bench/fleet_services.cfg");
	return rc;
}
