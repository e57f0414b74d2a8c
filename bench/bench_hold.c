/*
 * bench_hold.c - the classic hold model on the event queue, against a
 * textbook binary heap of (time, seq) keys fed the same draws.
 *
 * N events pending; each hold pops the earliest and pushes one at now plus
 * an increment, so the queue size stays N. The increments are drawn once per
 * distribution into a table (GSL, taus2, fixed seed) that both queues read in
 * the same order, so they see the same keys; drawing is not timed. Each
 * (distribution, N) fills and warms up (2N holds) both, then times them in
 * alternating rounds, ROUNDS each, in this process on one core, and keeps
 * each one's best round (other load on the machine only ever slows a round
 * down); the ratio is the queue's best rate over the heap's.
 *
 * Distributions of the increment (mean about 1 ms unless said):
 *   exp       Exp(mean 1 ms)
 *   unif      U(0, 2 ms)
 *   bimodal   90 % U(0, 0.2 ms), 10 % U(9, 11 ms)
 *   pareto    Pareto(alpha 1.1, minimum 1/11 ms): heavy tail
 *   tied      0, 1, 2 or 3 ms exactly: many equal times
 *   twoscale  99 % Exp(mean 1 us), 1 % Exp(mean 1 h)
 *
 * stdout, one line per distribution and N (10^3 .. 10^6):
 *     hold dist=<d> n=<N> events_per_s=<x> heap_events_per_s=<y> ratio=<x/y>
 * and, for exp, the historical line
 *     hold n=<N> events_per_s=<x>
 * Usage: bench_hold [holds per round (default 3*10^5) [N [distribution]]].
 */
#include "fleetsim/engine.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MS 1e6
#define SEED 20240611UL
#define TABLE (1u << 20) /* draws per distribution, read cyclically */
#define ROUNDS 3

enum dist { D_EXP, D_UNIF, D_BIMODAL, D_PARETO, D_TIED, D_TWOSCALE, N_DIST };

static const char *const dist_name[N_DIST] = {
	"exp", "unif", "bimodal", "pareto", "tied", "twoscale"
};

static int64_t draw_ns(const gsl_rng *r, enum dist d)
{
	switch (d) {
	case D_EXP:
		return (int64_t)gsl_ran_exponential(r, MS);
	case D_UNIF:
		return (int64_t)gsl_ran_flat(r, 0, 2 * MS);
	case D_BIMODAL:
		return gsl_rng_uniform(r) < 0.9 ?
		       (int64_t)gsl_ran_flat(r, 0, 0.2 * MS) :
		       (int64_t)gsl_ran_flat(r, 9 * MS, 11 * MS);
	case D_PARETO:
		return (int64_t)gsl_ran_pareto(r, 1.1, MS / 11);
	case D_TIED:
		return (int64_t)gsl_rng_uniform_int(r, 4) * (int64_t)MS;
	case D_TWOSCALE:
		return gsl_rng_uniform(r) < 0.99 ?
		       (int64_t)gsl_ran_exponential(r, 1e3) :
		       (int64_t)gsl_ran_exponential(r, 3600e9);
	case N_DIST:
		break;
	}
	return 0;
}

/* ---- the reference: a textbook binary min-heap of (t, seq) ---- */

struct hent {
	int64_t t;
	uint64_t seq;
	uint64_t arg;
	uint32_t subject;
};

struct bheap {
	struct hent *a;
	size_t n, cap;
	uint64_t next_seq;
};

static inline int hless(const struct hent *x, const struct hent *y)
{
	return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static void bheap_push(struct bheap *h, int64_t t, uint32_t subject,
		       uint64_t arg)
{
	struct hent e = { t, h->next_seq++, arg, subject };
	size_t i = h->n++;

	while (i > 0 && hless(&e, &h->a[(i - 1) / 2])) {
		h->a[i] = h->a[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->a[i] = e;
}

static struct hent bheap_pop(struct bheap *h)
{
	struct hent top = h->a[0], x = h->a[--h->n];
	size_t i = 0, n = h->n;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && hless(&h->a[c + 1], &h->a[c]))
			c++;
		if (!hless(&h->a[c], &x))
			break;
		h->a[i] = h->a[c];
		i = c;
	}
	h->a[i] = x;
	return top;
}

static double elapsed_s(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) * 1e-9;
}

/*
 * One structure's hold model: it is filled and warmed up once (2N holds),
 * then timed in rounds that continue where the last one stopped; k indexes
 * the draws, so both structures read the same sequence.
 */
struct hold_evq {
	struct fs_evq *q;
	size_t k;
	int64_t last;
};

struct hold_heap {
	struct bheap h;
	size_t k;
	int64_t last;
};

static bool evq_holds(struct hold_evq *s, unsigned long holds,
		      const int64_t *inc)
{
	struct fs_event ev;

	for (unsigned long i = 0; i < holds; i++) {
		if (!fs_evq_pop(s->q, &ev) || ev.t_ns < s->last)
			return false;
		s->last = ev.t_ns;
		if (!fs_evq_push(s->q, ev.t_ns + inc[s->k++ % TABLE], 0, 0,
				 ev.subject, ev.arg + 1))
			return false;
	}
	return true;
}

static bool heap_holds(struct hold_heap *s, unsigned long holds,
		       const int64_t *inc)
{
	for (unsigned long i = 0; i < holds; i++) {
		struct hent e = bheap_pop(&s->h);

		if (e.t < s->last)
			return false;
		s->last = e.t;
		bheap_push(&s->h, e.t + inc[s->k++ % TABLE], e.subject,
			   e.arg + 1);
	}
	return true;
}

static bool evq_start(struct hold_evq *s, size_t n, const int64_t *inc)
{
	if (fs_evq_create(&s->q, n) != FS_OK)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!fs_evq_push(s->q, inc[s->k++ % TABLE], 0, 0, (uint32_t)i,
				 0))
			return false;
	return evq_holds(s, 2 * n, inc);
}

static bool heap_start(struct hold_heap *s, size_t n, const int64_t *inc)
{
	s->h.a = malloc(n * sizeof(struct hent));
	s->h.cap = n;
	s->h.next_seq = 1;
	if (!s->h.a)
		return false;
	for (size_t i = 0; i < n; i++)
		bheap_push(&s->h, inc[s->k++ % TABLE], (uint32_t)i, 0);
	return heap_holds(s, 2 * n, inc);
}

/*
 * Rates (holds per second) of the queue and the heap at size n, each the
 * best of ROUNDS alternating rounds; false on an engine failure (order,
 * memory, or the final check).
 */
static bool measure(size_t n, unsigned long holds, const int64_t *inc,
		    double *evq_rate, double *heap_rate)
{
	struct hold_evq a = { NULL, 0, 0 };
	struct hold_heap b = { { NULL, 0, 0, 1 }, 0, 0 };
	struct timespec t0, t1;
	bool ok = evq_start(&a, n, inc) && heap_start(&b, n, inc);

	*evq_rate = *heap_rate = 0;
	for (int r = 0; ok && r < ROUNDS; r++) {
		double x, y;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		ok = evq_holds(&a, holds, inc);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		x = (double)holds / elapsed_s(&t0, &t1);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ok = ok && heap_holds(&b, holds, inc);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		y = (double)holds / elapsed_s(&t0, &t1);
		*evq_rate = x > *evq_rate ? x : *evq_rate;
		*heap_rate = y > *heap_rate ? y : *heap_rate;
	}
	ok = ok && fs_evq_size(a.q) == n && fs_evq_check(a.q);
	fs_evq_destroy(a.q);
	free(b.h.a);
	return ok;
}

int main(int argc, char **argv)
{
	size_t sizes[] = { 1000, 10000, 100000, 1000000 };
	size_t n_sizes = sizeof(sizes) / sizeof(sizes[0]);
	unsigned long holds = 300000UL;
	const char *only = NULL;
	int64_t *inc = malloc(TABLE * sizeof(*inc));
	gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
	int rc = 0;

	fs_gsl_errors_off(); /* library code checks every GSL status (error.h) */
	if (argc > 1)
		holds = strtoul(argv[1], NULL, 10);
	if (argc > 2) {
		sizes[0] = strtoul(argv[2], NULL, 10);
		n_sizes = 1;
	}
	if (argc > 3)
		only = argv[3];
	if (holds == 0 || sizes[0] == 0 || argc > 4 || !inc || !r) {
		fprintf(stderr, "usage: %s [holds per run > 0 [size > 0 "
			"[distribution]]]\n",
			argv[0]);
		rc = 2;
		goto out;
	}
	fprintf(stderr, "bench_hold: best of %d rounds of %lu holds after 2N "
		"warm-up, same draws for the queue and a binary heap, one "
		"core\n", ROUNDS, holds);
	for (int d = 0; d < N_DIST; d++) {
		if (only && strcmp(only, dist_name[d]) != 0)
			continue;
		gsl_rng_set(r, SEED + (unsigned long)d);
		for (size_t i = 0; i < TABLE; i++)
			inc[i] = draw_ns(r, (enum dist)d);
		for (size_t i = 0; i < n_sizes; i++) {
			double x, y;

			if (!measure(sizes[i], holds, inc, &x, &y)) {
				fprintf(stderr, "bench_hold: %s n=%zu failed "
					"(order, memory or check)\n",
					dist_name[d], sizes[i]);
				rc = 1;
				goto out;
			}
			printf("hold dist=%s n=%zu events_per_s=%.0f "
			       "heap_events_per_s=%.0f ratio=%.2f\n",
			       dist_name[d], sizes[i], x, y, x / y);
			if (d == D_EXP)
				printf("hold n=%zu events_per_s=%.0f\n",
				       sizes[i], x);
			fflush(stdout);
		}
	}
out:
	free(inc);
	if (r)
		gsl_rng_free(r);
	return rc;
}
