/*
 * bench_fleet.c - speed of whole fleet runs: the example scenario's fleet
 * options, and a large synthetic fleet under heavy streams.
 *
 * Prints one line per case:
 *   fleet case=<name> events_per_s=<n> fleet_years_per_s=<n> jobs=<n>
 * where fleet-years are simulated time (arrival horizon) per wall second.
 */
#include "fleetsim/run.h"
#include "fleetsim/scenario.h"

#include <stdio.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
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

static const char big[] =
	"name = \"big\"; seed = 3; horizon_days = 365.25;\n"
	"fleets = ( { name = \"h100-8192\"; gpu = \"H100\"; nodes = 1024; } );\n"
	"training = { streams = (\n"
	"  { name = \"small\"; rate_per_day = 400.0; growth_per_month = 0.05; model = \"Llama-3-8B\";\n"
	"    tokens = { dist = \"lognormal\"; median = 2e9; sigma = 1.0; max = 1e11; };\n"
	"    gpus = { dist = \"choice\"; values = [8, 16, 32, 64]; }; },\n"
	"  { name = \"large\"; rate_per_day = 2.0; model = \"Llama-3-70B\"; tokens = 5e10;\n"
	"    gpus = { dist = \"choice\"; values = [256, 512, 1024]; }; } ); };\n";

int main(void)
{
	struct fs_scenario sc;
	struct fs_error e;
	int rc = 0;

	fs_gsl_errors_off(); /* library code checks every GSL status (error.h) */
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
	return rc;
}
