/*
 * bench_hold.c - the classic hold model on the event queue.
 *
 * N events pending; each hold pops the earliest and pushes one at
 * now + Exp(mean 1 ms), so the queue size stays N. The exponential draw
 * (GSL, taus2 by default) is part of each event's cost, as in the
 * textbook comparisons. Prints one line per N on stdout:
 *     hold n=<N> events_per_s=<holds per second>
 * Notes go to stderr. Usage: bench_hold [holds per N (default 10^7) [N]];
 * the default runs N = 10^3, 10^5 and 10^6.
 * GSL_RNG_TYPE=mt19937 (etc.) picks another generator.
 */
#include "fleetsim/engine.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MEAN_NS 1e6
#define SEED 20240611UL

static double elapsed_s(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) * 1e-9;
}

static int64_t draw_ns(const gsl_rng *r)
{
	return (int64_t)gsl_ran_exponential(r, MEAN_NS);
}

/* Pops one event and pushes its successor; false on an engine failure. */
static inline bool hold_once(struct fs_evq *q, const gsl_rng *r,
			     int64_t *last_ns)
{
	struct fs_event ev;

	if (!fs_evq_pop(q, &ev) || ev.t_ns < *last_ns)
		return false;
	*last_ns = ev.t_ns;
	return fs_evq_push(q, ev.t_ns + draw_ns(r), 0, 0, ev.subject,
			   ev.arg + 1) != 0;
}

/* Runs the hold model at size n; events per second, or -1 on failure. */
static double run_hold(size_t n, unsigned long holds, const gsl_rng_type *type)
{
	struct fs_evq *q = NULL;
	gsl_rng *r = gsl_rng_alloc(type);
	struct timespec t0, t1;
	int64_t last_ns = 0;
	double rate = -1;

	if (!r || fs_evq_create(&q, n) != FS_OK)
		goto out;
	gsl_rng_set(r, SEED);
	for (size_t i = 0; i < n; i++)
		if (!fs_evq_push(q, draw_ns(r), 0, 0, (uint32_t)i, 0))
			goto out;
	for (unsigned long i = 0; i < holds / 10; i++)
		if (!hold_once(q, r, &last_ns))
			goto out;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long i = 0; i < holds; i++)
		if (!hold_once(q, r, &last_ns))
			goto out;
	clock_gettime(CLOCK_MONOTONIC, &t1);

	if (fs_evq_size(q) != n || !fs_evq_check(q))
		goto out;
	rate = (double)holds / elapsed_s(&t0, &t1);
out:
	fs_evq_destroy(q);
	if (r)
		gsl_rng_free(r);
	return rate;
}

int main(int argc, char **argv)
{
	size_t sizes[] = { 1000, 100000, 1000000 };
	size_t n_sizes = sizeof(sizes) / sizeof(sizes[0]);
	unsigned long holds = 10000000UL;
	const gsl_rng_type *type = gsl_rng_taus2;

	fs_gsl_errors_off(); /* library code checks every GSL status (error.h) */
	if (argc > 1)
		holds = strtoul(argv[1], NULL, 10);
	if (argc > 2) {
		sizes[0] = strtoul(argv[2], NULL, 10);
		n_sizes = 1;
	}
	if (holds == 0 || sizes[0] == 0 || argc > 3) {
		fprintf(stderr, "usage: %s [holds per size > 0 [size > 0]]\n",
			argv[0]);
		return 2;
	}
	if (getenv("GSL_RNG_TYPE"))
		type = gsl_rng_env_setup();
	fprintf(stderr, "bench_hold: %lu holds per size, Exp(mean %.0f ns) "
		"draws from gsl_rng_%s, one core\n", holds, MEAN_NS,
		type->name);
	for (size_t i = 0; i < n_sizes; i++) {
		double rate = run_hold(sizes[i], holds, type);

		if (rate < 0) {
			fprintf(stderr, "bench_hold: n=%zu failed (order, "
				"memory or check)\n", sizes[i]);
			return 1;
		}
		printf("hold n=%zu events_per_s=%.0f\n", sizes[i], rate);
		fflush(stdout);
	}
	return 0;
}
