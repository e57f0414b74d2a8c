/*
 * test_engine.c - the event queue: ordering, cancellation, clock, growth,
 * and a randomised comparison with a plain reference model.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fleetsim/engine.h"

/* xorshift64*: a fixed, self-contained stream for the randomised tests. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static struct fs_evq *new_queue(size_t hint)
{
	struct fs_evq *q = NULL;

	assert_int_equal(fs_evq_create(&q, hint), FS_OK);
	assert_non_null(q);
	assert_true(fs_evq_check(q));
	return q;
}

/* Pops one event and checks its time and arg. */
static void expect_pop(struct fs_evq *q, int64_t t_ns, uint64_t arg)
{
	struct fs_event ev;

	assert_true(fs_evq_pop(q, &ev));
	assert_int_equal(ev.t_ns, t_ns);
	assert_int_equal(ev.arg, arg);
}

/* (t, prio, id) of a strictly before b. */
static bool event_before(const struct fs_event *a, const struct fs_event *b)
{
	if (a->t_ns != b->t_ns)
		return a->t_ns < b->t_ns;
	if (a->prio != b->prio)
		return a->prio < b->prio;
	return a->id < b->id;
}

/* Field by field: struct fs_event has padding. */
static void assert_same_event(const struct fs_event *a, const struct fs_event *b)
{
	assert_int_equal(a->t_ns, b->t_ns);
	assert_int_equal(a->prio, b->prio);
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->subject, b->subject);
	assert_int_equal(a->arg, b->arg);
	assert_int_equal(a->id, b->id);
}

static void test_engine_equal_times_fire_fifo(void **state)
{
	struct fs_evq *q = new_queue(4);
	uint64_t id[4];
	struct fs_event ev;

	(void)state;
	id[0] = fs_evq_push(q, 2385, 0, 1, 9, 11);
	id[1] = fs_evq_push(q, 2385, 0, 1, 9, 22);
	id[2] = fs_evq_push(q, 2385, 0, 1, 9, 33);
	id[3] = fs_evq_push(q, 2385, 0, 1, 9, 44);
	assert_true(id[0] > 0 && id[0] < id[1] && id[1] < id[2] && id[2] < id[3]);
	for (int i = 0; i < 4; i++) {
		assert_true(fs_evq_pop(q, &ev));
		assert_int_equal(ev.id, id[i]);
		assert_int_equal(ev.arg, 11 * (uint64_t)(i + 1));
		assert_int_equal(ev.kind, 1);
		assert_int_equal(ev.subject, 9);
	}
	assert_false(fs_evq_pop(q, &ev));
	fs_evq_destroy(q);
}

static void test_engine_priority_beats_sequence(void **state)
{
	struct fs_evq *q = new_queue(4);
	struct fs_event ev;

	(void)state;
	fs_evq_push(q, 700, 5, 0, 0, 1);
	fs_evq_push(q, 700, -3, 0, 0, 2);
	fs_evq_push(q, 700, 0, 0, 0, 3);
	fs_evq_push(q, 700, -3, 0, 0, 4);
	assert_true(fs_evq_peek(q, &ev));
	assert_int_equal(ev.arg, 2);
	assert_int_equal(ev.prio, -3);
	expect_pop(q, 700, 2);
	expect_pop(q, 700, 4);
	expect_pop(q, 700, 3);
	expect_pop(q, 700, 1);
	fs_evq_destroy(q);
}

static void test_engine_earlier_time_beats_priority(void **state)
{
	struct fs_evq *q = new_queue(4);

	(void)state;
	fs_evq_push(q, 151, -100, 0, 0, 1);
	fs_evq_push(q, 150, 100, 0, 0, 2);
	fs_evq_push(q, 152, FS_EVQ_PRIO_MIN, 0, 0, 3);
	expect_pop(q, 150, 2);
	expect_pop(q, 151, 1);
	expect_pop(q, 152, 3);
	fs_evq_destroy(q);
}

static void test_engine_priority_limits(void **state)
{
	struct fs_evq *q = new_queue(4);
	struct fs_event ev;

	(void)state;
	assert_true(fs_evq_push(q, 9, FS_EVQ_PRIO_MAX, 0, 0, 1) > 0);
	assert_true(fs_evq_push(q, 9, FS_EVQ_PRIO_MIN, 0, 0, 2) > 0);
	assert_true(fs_evq_push(q, 9, 0, 0, 0, 3) > 0);
	assert_true(fs_evq_pop(q, &ev));
	assert_int_equal(ev.prio, FS_EVQ_PRIO_MIN);
	assert_true(fs_evq_pop(q, &ev));
	assert_int_equal(ev.prio, 0);
	assert_true(fs_evq_pop(q, &ev));
	assert_int_equal(ev.prio, FS_EVQ_PRIO_MAX);
	assert_int_equal(ev.arg, 1);
	fs_evq_destroy(q);
}

static void test_engine_extreme_times(void **state)
{
	struct fs_evq *q = new_queue(4);

	(void)state;
	fs_evq_push(q, INT64_MAX, 0, 0, 0, 1);
	fs_evq_push(q, 0, 0, 0, 0, 2);
	fs_evq_push(q, INT64_MAX - 1, 0, 0, 0, 3);
	fs_evq_push(q, 3 * FS_NS_PER_S, 0, 0, 0, 4);
	fs_evq_push(q, INT64_MAX, -1, 0, 0, 5);
	assert_true(fs_evq_check(q));
	expect_pop(q, 0, 2);
	expect_pop(q, 3 * FS_NS_PER_S, 4);
	expect_pop(q, INT64_MAX - 1, 3);
	fs_evq_push(q, INT64_MAX, -1, 0, 0, 6);
	assert_true(fs_evq_check(q));
	expect_pop(q, INT64_MAX, 5);
	expect_pop(q, INT64_MAX, 6);
	expect_pop(q, INT64_MAX, 1);
	assert_int_equal(fs_evq_size(q), 0);
	fs_evq_destroy(q);
}

static void test_engine_cancel_head(void **state)
{
	struct fs_evq *q = new_queue(4);
	uint64_t a, b;
	struct fs_event ev;

	(void)state;
	a = fs_evq_push(q, 10, 0, 0, 0, 1);
	b = fs_evq_push(q, 20, 0, 0, 0, 2);
	fs_evq_push(q, 30, 0, 0, 0, 3);
	assert_true(fs_evq_cancel(q, a));
	assert_true(fs_evq_check(q));
	assert_int_equal(fs_evq_size(q), 2);
	assert_true(fs_evq_peek(q, &ev));
	assert_int_equal(ev.id, b);
	assert_int_equal(ev.t_ns, 20);
	expect_pop(q, 20, 2);
	expect_pop(q, 30, 3);
	assert_false(fs_evq_pop(q, &ev));
	fs_evq_destroy(q);
}

static void test_engine_cancel_middle(void **state)
{
	struct fs_evq *q = new_queue(4);
	uint64_t b;

	(void)state;
	fs_evq_push(q, 10, 0, 0, 0, 1);
	b = fs_evq_push(q, 20, 0, 0, 0, 2);
	fs_evq_push(q, 30, 0, 0, 0, 3);
	assert_true(fs_evq_cancel(q, b));
	assert_int_equal(fs_evq_size(q), 2);
	assert_true(fs_evq_check(q));
	expect_pop(q, 10, 1);
	expect_pop(q, 30, 3);
	assert_int_equal(fs_evq_size(q), 0);
	fs_evq_destroy(q);
}

static void test_engine_cancel_stale_handles(void **state)
{
	struct fs_evq *q = new_queue(4);
	uint64_t a, b, c;
	struct fs_event ev;

	(void)state;
	a = fs_evq_push(q, 10, 0, 0, 0, 1);
	b = fs_evq_push(q, 20, 0, 0, 0, 2);
	c = fs_evq_push(q, 30, 0, 0, 0, 3);
	assert_true(fs_evq_cancel(q, b));
	assert_false(fs_evq_cancel(q, b));      /* cancelled twice */
	assert_true(fs_evq_pop(q, &ev));
	assert_int_equal(ev.id, a);
	assert_false(fs_evq_cancel(q, a));      /* already fired */
	assert_false(fs_evq_cancel(q, 0));      /* never a handle */
	assert_false(fs_evq_cancel(q, c + 1000)); /* never issued */
	assert_int_equal(fs_evq_size(q), 1);
	assert_true(fs_evq_check(q));
	expect_pop(q, 30, 3);
	assert_false(fs_evq_cancel(q, c));
	fs_evq_destroy(q);
}

/* Subjects 7 and 8, kinds 1 and 2, times 10 .. 80. */
static void push_subjects(struct fs_evq *q)
{
	fs_evq_push(q, 10, 0, 1, 7, 1);
	fs_evq_push(q, 20, 0, 2, 8, 2);
	fs_evq_push(q, 30, 0, 2, 7, 3);
	fs_evq_push(q, 40, 0, 1, 8, 4);
	fs_evq_push(q, 50, 0, 1, 7, 5);
	fs_evq_push(q, 60, 0, 2, 7, 6);
	fs_evq_push(q, 70, 0, 1, 8, 7);
	fs_evq_push(q, 80, 0, 2, 8, 8);
}

static void test_engine_cancel_subject_any_kind(void **state)
{
	struct fs_evq *q = new_queue(4);

	(void)state;
	push_subjects(q);
	assert_int_equal(fs_evq_cancel_subject(q, FS_KIND_ANY, 7), 4);
	assert_int_equal(fs_evq_size(q), 4);
	assert_true(fs_evq_check(q));
	assert_int_equal(fs_evq_cancel_subject(q, FS_KIND_ANY, 7), 0);
	expect_pop(q, 20, 2);
	expect_pop(q, 40, 4);
	expect_pop(q, 70, 7);
	expect_pop(q, 80, 8);
	assert_int_equal(fs_evq_size(q), 0);
	fs_evq_destroy(q);
}

static void test_engine_cancel_subject_one_kind(void **state)
{
	struct fs_evq *q = new_queue(4);

	(void)state;
	push_subjects(q);
	assert_int_equal(fs_evq_cancel_subject(q, 2, 8), 2);
	assert_int_equal(fs_evq_cancel_subject(q, 3, 7), 0);
	assert_int_equal(fs_evq_size(q), 6);
	assert_true(fs_evq_check(q));
	expect_pop(q, 10, 1);
	expect_pop(q, 30, 3);
	expect_pop(q, 40, 4);
	expect_pop(q, 50, 5);
	expect_pop(q, 60, 6);
	expect_pop(q, 70, 7);
	assert_int_equal(fs_evq_size(q), 0);
	fs_evq_destroy(q);
}

static void test_engine_empty_pop_peek(void **state)
{
	struct fs_evq *q = new_queue(0);
	struct fs_event ev, before;

	(void)state;
	memset(&ev, 0xA5, sizeof(ev));
	before = ev;
	assert_false(fs_evq_pop(q, &ev));
	assert_false(fs_evq_peek(q, &ev));
	assert_memory_equal(&ev, &before, sizeof(ev));
	assert_int_equal(fs_evq_size(q), 0);
	fs_evq_push(q, 5, 0, 0, 0, 1);
	expect_pop(q, 5, 1);
	assert_false(fs_evq_pop(q, &ev));
	assert_false(fs_evq_peek(q, &ev));
	assert_true(fs_evq_check(q));
	fs_evq_destroy(q);
	fs_evq_destroy(NULL); /* harmless, like free(NULL) */
}

static void test_engine_clock_advances_with_pops(void **state)
{
	struct fs_evq *q = new_queue(4);
	struct fs_event ev;

	(void)state;
	assert_int_equal(fs_evq_now(q), 0);
	fs_evq_push(q, 2385, 0, 0, 0, 1);
	fs_evq_push(q, 4770, 0, 0, 0, 2);
	assert_int_equal(fs_evq_now(q), 0);      /* push does not move it */
	assert_true(fs_evq_peek(q, &ev));
	assert_int_equal(fs_evq_now(q), 0);      /* nor does peek */
	assert_true(fs_evq_pop(q, &ev));
	assert_int_equal(fs_evq_now(q), 2385);
	assert_int_equal(fs_evq_popped(q), 1);
	fs_evq_push(q, 2385, 0, 0, 0, 3);        /* at the current time */
	expect_pop(q, 2385, 3);
	assert_int_equal(fs_evq_now(q), 2385);
	expect_pop(q, 4770, 2);
	assert_int_equal(fs_evq_now(q), 4770);
	assert_int_equal(fs_evq_popped(q), 3);
	fs_evq_destroy(q);
}

static void test_engine_reset(void **state)
{
	struct fs_evq *q = new_queue(4);
	uint64_t a, b;
	struct fs_event ev;

	(void)state;
	a = fs_evq_push(q, 100, 0, 0, 0, 1);
	fs_evq_push(q, 200, 0, 0, 0, 2);
	fs_evq_push(q, 300, 0, 0, 0, 3);
	expect_pop(q, 100, 1);
	b = fs_evq_push(q, 400, 0, 0, 0, 4);
	fs_evq_reset(q);
	assert_true(fs_evq_check(q));
	assert_int_equal(fs_evq_size(q), 0);
	assert_int_equal(fs_evq_now(q), 0);
	assert_int_equal(fs_evq_popped(q), 0);
	assert_false(fs_evq_pop(q, &ev));
	assert_false(fs_evq_cancel(q, b));
	assert_false(fs_evq_cancel(q, a));
	assert_true(fs_evq_push(q, 50, 0, 0, 0, 5) > b); /* handles not reused */
	expect_pop(q, 50, 5);
	assert_int_equal(fs_evq_popped(q), 1);
	fs_evq_destroy(q);
}

static void test_engine_many_equal_times_fifo(void **state)
{
	enum { N = 5000 };
	struct fs_evq *q = new_queue(8);
	struct fs_event ev;

	(void)state;
	for (uint64_t i = 0; i < N; i++)
		assert_true(fs_evq_push(q, 42, 0, 0, 0, i) > 0);
	for (uint64_t i = 0; i < N; i++) {
		assert_true(fs_evq_pop(q, &ev));
		assert_int_equal(ev.arg, i);
		/* events scheduled "now" go after those already due */
		if (i % 2 == 0)
			fs_evq_push(q, 42, 0, 0, 0, N + i);
	}
	for (uint64_t i = 0; i < N; i += 2)
		expect_pop(q, 42, N + i);
	assert_true(fs_evq_check(q));
	fs_evq_destroy(q);
}

/* A bulk load at one time before any pop: the side heap is spread out and
 * rebuilt several times while the queue grows. */
static void test_engine_bulk_load_at_one_time(void **state)
{
	enum { N = 300000 };
	struct fs_evq *q = new_queue(16);
	struct fs_event ev;

	(void)state;
	for (int i = 0; i < N; i++)
		assert_true(fs_evq_push(q, 2385, 0, 0, 0, (uint64_t)i) > 0);
	assert_true(fs_evq_check(q));
	for (int i = 0; i < N; i++) {
		assert_true(fs_evq_pop(q, &ev));
		assert_int_equal(ev.arg, i);
	}
	assert_true(fs_evq_check(q));
	fs_evq_destroy(q);
}

/*
 * Holds where half the events are scheduled at the current time with mixed
 * priorities: the side heap fills and is spread out again and again.
 */
static void test_engine_zero_delay_holds(void **state)
{
	enum { N = 20000, HOLDS = 200000 };
	struct fs_evq *q = new_queue(16);
	uint64_t s = 99;
	struct fs_event prev, ev;

	(void)state;
	for (int i = 0; i < N; i++)
		fs_evq_push(q, (int64_t)(rnd(&s) % 1000000), 0, 0, 0, 0);
	prev.t_ns = 0;
	prev.prio = FS_EVQ_PRIO_MIN;
	prev.id = 0;
	for (int i = 0; i < HOLDS; i++) {
		int64_t d = rnd(&s) % 2 ? 0 : (int64_t)(rnd(&s) % 2000000);

		assert_true(fs_evq_pop(q, &ev));
		/* a pushed event may precede the previous pop only by prio/seq
		 * at the same time, never by time */
		assert_true(ev.t_ns >= prev.t_ns);
		prev = ev;
		assert_true(fs_evq_push(q, ev.t_ns + d, (int32_t)(rnd(&s) % 3),
					0, 0, 0) > 0);
		if (i % 20011 == 0)
			assert_true(fs_evq_check(q));
	}
	assert_int_equal(fs_evq_size(q), N);
	assert_true(fs_evq_check(q));
	fs_evq_destroy(q);
}

/* Bulk loads of random times from many seeds, each drained in order: the
 * rebuilds and spreads meet many different fill levels of the chunk pool. */
static void test_engine_bulk_loads_many_seeds(void **state)
{
	enum { SEEDS = 64, N = 20000 };
	struct fs_event prev, ev;

	(void)state;
	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		struct fs_evq *q = new_queue(16);
		uint64_t s = seed;

		for (int i = 0; i < N; i++)
			assert_true(fs_evq_push(q, (int64_t)(rnd(&s) % 1000000),
						0, 0, 0, (uint64_t)i) > 0);
		assert_true(fs_evq_check(q));
		assert_true(fs_evq_pop(q, &prev));
		while (fs_evq_pop(q, &ev)) {
			assert_true(event_before(&prev, &ev));
			prev = ev;
		}
		assert_int_equal(fs_evq_popped(q), N);
		fs_evq_destroy(q);
	}
}

/* One time, priorities in reverse push order: the sort's worst case. */
static void test_engine_equal_times_reverse_priorities(void **state)
{
	enum { N = 3000 };
	struct fs_evq *q = new_queue(8);
	struct fs_event ev;

	(void)state;
	for (int i = 0; i < N; i++)
		fs_evq_push(q, 5, N - i, 0, 0, (uint64_t)i);
	assert_true(fs_evq_check(q));
	for (int i = N - 1; i >= 0; i--) {
		assert_true(fs_evq_pop(q, &ev));
		assert_int_equal(ev.prio, N - i);
		assert_int_equal(ev.arg, i);
	}
	assert_false(fs_evq_pop(q, &ev));
	fs_evq_destroy(q);
}

/* A dense cluster near 0 and a sparse tail 10^12 ns away: the rung covers
 * the cluster and leaves the tail in the top for a later rebuild. */
static void test_engine_dense_cluster_and_sparse_tail(void **state)
{
	enum { N = 4000 };
	struct fs_evq *q = new_queue(16);
	uint64_t s = 11;
	struct fs_event prev, ev;

	(void)state;
	for (int i = 0; i < N; i++) {
		int64_t t = i % 20 == 0 ?
			    1000000000000 + (int64_t)(rnd(&s) % 1000000000000) :
			    (int64_t)(rnd(&s) % 1000);

		fs_evq_push(q, t, 0, 0, 0, (uint64_t)i);
	}
	assert_true(fs_evq_pop(q, &prev));
	for (int i = 1; i < N; i++) {
		assert_true(fs_evq_pop(q, &ev));
		assert_true(event_before(&prev, &ev));
		assert_int_equal(ev.arg % 20 == 0, ev.t_ns >= 1000000000000);
		prev = ev;
		if (i % 250 == 0)
			assert_true(fs_evq_check(q));
	}
	assert_int_equal(fs_evq_size(q), 0);
	fs_evq_destroy(q);
}

static void test_engine_grows_past_capacity_hint(void **state)
{
	enum { N = 100000, EVERY = 9973 };
	struct fs_evq *q = new_queue(16);
	uint64_t s = 2385;
	struct fs_event prev, ev;

	(void)state;
	for (int i = 0; i < N; i++) {
		int64_t t = (int64_t)(rnd(&s) % 1000000);
		int32_t prio = (int32_t)(rnd(&s) % 5) - 2;

		assert_true(fs_evq_push(q, t, prio, 0, 0, (uint64_t)i) > 0);
		if (i % EVERY == 0)
			assert_true(fs_evq_check(q));
	}
	assert_int_equal(fs_evq_size(q), N);
	assert_true(fs_evq_check(q));
	assert_true(fs_evq_pop(q, &prev));
	for (int i = 1; i < N; i++) {
		assert_true(fs_evq_pop(q, &ev));
		assert_true(event_before(&prev, &ev));
		prev = ev;
		if (i % EVERY == 0)
			assert_true(fs_evq_check(q));
	}
	assert_int_equal(fs_evq_size(q), 0);
	assert_int_equal(fs_evq_popped(q), N);
	assert_true(fs_evq_check(q));
	fs_evq_destroy(q);
}

/* ---- reference model: an unsorted array searched for its minimum ---- */

enum { REF_MAX = 8192 };

struct ref {
	struct fs_event ev[REF_MAX];
	size_t n;
};

static size_t ref_min(const struct ref *r)
{
	size_t m = 0;

	for (size_t i = 1; i < r->n; i++)
		if (event_before(&r->ev[i], &r->ev[m]))
			m = i;
	return m;
}

static void ref_remove(struct ref *r, size_t i)
{
	r->ev[i] = r->ev[--r->n];
}

static size_t ref_find(const struct ref *r, uint64_t id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->ev[i].id == id)
			return i;
	return SIZE_MAX;
}

/*
 * Increment distributions of the hold benchmark (bench_hold.c), in ns, plus
 * the original few-distinct-values draw and a spread over 60 binary orders.
 */
enum incr { I_FEW, I_EXP, I_UNIF, I_BIMODAL, I_PARETO, I_TIED, I_TWOSCALE,
	    I_HUGE, N_INCR };

/* Uniform on (0, 1]. */
static double unit(uint64_t *s)
{
	return (double)((rnd(s) >> 11) + 1) * 0x1p-53;
}

static int64_t draw_incr(uint64_t *s, enum incr d, int64_t now)
{
	double u = unit(s);

	switch (d) {
	case I_FEW:
		return (int64_t)(rnd(s) % 4) * (int64_t)(rnd(s) % 2 ? 1 : 100000);
	case I_EXP:
		return (int64_t)(-1e6 * log(u));
	case I_UNIF:
		return (int64_t)(2e6 * u);
	case I_BIMODAL:
		return u < 0.9 ? (int64_t)(2e5 * unit(s)) :
				 (int64_t)(9e6 + 2e6 * unit(s));
	case I_PARETO: /* alpha 1.1, minimum 1e6 / 11; capped far out */
		return (int64_t)fmin(1e6 / 11 * pow(u, -1 / 1.1), 1e15);
	case I_TIED:
		return (int64_t)(rnd(s) % 4) * 1000000;
	case I_TWOSCALE:
		return (int64_t)(-(u < 0.99 ? 1e3 : 3.6e12) * log(unit(s)));
	case I_HUGE: /* any binary order up to a quarter of the room left */
		return (int64_t)(((uint64_t)(INT64_MAX - now) / 4) >>
				 (rnd(s) % 60));
	case N_INCR:
		break;
	}
	return 0;
}

/*
 * One random operation on both; weights shift with phase so the queue
 * grows, churns under heavy cancellation, and drains. Without cancels,
 * handles are never used, so the queue keeps no handle set until the first.
 */
static void random_op(struct fs_evq *q, struct ref *r, uint64_t *s,
		      uint64_t *ids, size_t *n_ids, int phase, enum incr d,
		      bool cancels)
{
	unsigned op = (unsigned)(rnd(s) % 100);
	unsigned push_w = phase == 0 ? 60 : phase == 1 ? 35 : 10;
	struct fs_event ev, want;

	if (!cancels && op >= push_w + 25 && op < push_w + 37)
		op = push_w; /* a pop instead */
	if (op < push_w && r->n < REF_MAX) {
		/* few distinct priorities, so ties are common */
		int64_t t = fs_evq_now(q) + draw_incr(s, d, fs_evq_now(q));
		struct fs_event e = {
			.t_ns = t, .prio = (int32_t)(rnd(s) % 3) - 1,
			.kind = (uint32_t)(rnd(s) % 3),
			.subject = (uint32_t)(rnd(s) % 5), .arg = rnd(s),
		};

		e.id = fs_evq_push(q, e.t_ns, e.prio, e.kind, e.subject, e.arg);
		assert_true(e.id > 0);
		r->ev[r->n++] = e;
		ids[(*n_ids)++ % 4096] = e.id;
	} else if (op < push_w + 25) {
		bool got = fs_evq_pop(q, &ev);

		assert_int_equal(got, r->n > 0);
		if (got) {
			size_t m = ref_min(r);

			want = r->ev[m];
			assert_same_event(&ev, &want);
			assert_int_equal(fs_evq_now(q), want.t_ns);
			ref_remove(r, m);
		}
	} else if (op < push_w + 35) {
		uint64_t id = *n_ids ? ids[rnd(s) % (*n_ids < 4096 ? *n_ids : 4096)] : 0;
		size_t i = ref_find(r, id);

		assert_int_equal(fs_evq_cancel(q, id), i != SIZE_MAX);
		if (i != SIZE_MAX)
			ref_remove(r, i);
	} else if (op < push_w + 37) {
		uint32_t kind = rnd(s) % 2 ? FS_KIND_ANY : (uint32_t)(rnd(s) % 3);
		uint32_t subject = (uint32_t)(rnd(s) % 5);
		size_t count = 0;

		for (size_t i = r->n; i-- > 0;)
			if (r->ev[i].subject == subject &&
			    (kind == FS_KIND_ANY || r->ev[i].kind == kind)) {
				ref_remove(r, i);
				count++;
			}
		assert_int_equal(fs_evq_cancel_subject(q, kind, subject), count);
	} else {
		bool got = fs_evq_peek(q, &ev);

		assert_int_equal(got, r->n > 0);
		if (got)
			assert_same_event(&ev, &r->ev[ref_min(r)]);
	}
	assert_int_equal(fs_evq_size(q), r->n);
}

static void test_engine_matches_reference_model(void **state)
{
	static struct ref r;
	static uint64_t ids[4096];
	struct fs_evq *q = new_queue(16);
	uint64_t s = 0x2385A11CEULL;
	size_t n_ids = 0;

	(void)state;
	r.n = 0;
	for (int round = 0; round < 3; round++)
		for (int phase = 0; phase < 3; phase++)
			for (int i = 0; i < 3000; i++) {
				random_op(q, &r, &s, ids, &n_ids, phase, I_FEW,
					  true);
				if (i % 97 == 0)
					assert_true(fs_evq_check(q));
			}
	assert_true(fs_evq_check(q));
	fs_evq_destroy(q);
}

/*
 * The reference comparison for every increment distribution: a first round
 * without cancels (no handle set), then rounds where cancels create the set
 * while entries sit in every tier. Growing past a few hundred entries and
 * draining to none also crosses the small-queue heap mode both ways.
 */
static void test_engine_matches_reference_every_distribution(void **state)
{
	static struct ref r;
	static uint64_t ids[4096];

	(void)state;
	for (int d = I_EXP; d < N_INCR; d++) {
		struct fs_evq *q = new_queue(16);
		uint64_t s = 0x5EED0000ULL + (uint64_t)d;
		size_t n_ids = 0;

		r.n = 0;
		for (int round = 0; round < 2; round++)
			for (int phase = 0; phase < 3; phase++)
				for (int i = 0; i < 2500; i++) {
					random_op(q, &r, &s, ids, &n_ids, phase,
						  (enum incr)d, round > 0 ||
						  phase > 0);
					if (i % 251 == 0)
						assert_true(fs_evq_check(q));
				}
		assert_true(fs_evq_check(q));
		fs_evq_destroy(q);
	}
}

/* One pending event at a time: push, peek, pop; then cancel it. */
static void test_engine_one_element_queue(void **state)
{
	struct fs_evq *q = new_queue(0);
	struct fs_event ev;
	uint64_t id;

	(void)state;
	for (int64_t i = 0; i < 1000; i++) {
		id = fs_evq_push(q, 7 * i, 0, 1, 2, (uint64_t)i);
		assert_int_equal(fs_evq_size(q), 1);
		assert_true(fs_evq_peek(q, &ev));
		assert_int_equal(ev.id, id);
		expect_pop(q, 7 * i, (uint64_t)i);
		assert_int_equal(fs_evq_size(q), 0);
	}
	id = fs_evq_push(q, 7000, 0, 1, 2, 0);
	assert_true(fs_evq_cancel(q, id));
	assert_false(fs_evq_cancel(q, id));
	assert_false(fs_evq_pop(q, &ev));
	assert_true(fs_evq_check(q));
	fs_evq_destroy(q);
}

/*
 * Two pending events, the replica's case: one at a fixed step, one at a
 * varying step, over the whole of the small-queue mode.
 */
static void test_engine_two_element_queue(void **state)
{
	struct fs_evq *q = new_queue(0);
	int64_t a = 10, b = 15;
	struct fs_event ev;

	(void)state;
	fs_evq_push(q, a, 0, 1, 0, 0);
	fs_evq_push(q, b, 0, 2, 0, 0);
	for (int i = 0; i < 5000; i++) {
		assert_true(fs_evq_pop(q, &ev));
		assert_int_equal(ev.t_ns, a < b ? a : b);
		assert_int_equal(ev.kind, a < b ? 1 : 2);
		if (ev.kind == 1)
			a += 10;
		else
			b += 1 + (i * 7) % 23;
		fs_evq_push(q, ev.kind == 1 ? a : b, 0, ev.kind, 0, 0);
		assert_int_equal(fs_evq_size(q), 2);
	}
	assert_true(fs_evq_check(q));
	fs_evq_destroy(q);
}

/*
 * Handles are recorded only from the first cancel on: a cancel after many
 * pushes and pops without one must still find any pending event, and reject
 * those that fired.
 */
static void test_engine_first_cancel_finds_every_pending(void **state)
{
	enum { N = 4000 };
	static uint64_t id[N];
	static bool fired[N];
	struct fs_evq *q = new_queue(16);
	struct fs_event ev;
	uint64_t s = 99;
	size_t left, cancelled = 0;

	(void)state;
	memset(fired, 0, sizeof(fired));
	for (int i = 0; i < N; i++)
		id[i] = fs_evq_push(q, (int64_t)(rnd(&s) % 1000000) * 1000, 0,
				    0, 0, (uint64_t)i);
	for (int i = 0; i < N / 4; i++) {
		assert_true(fs_evq_pop(q, &ev));
		fired[ev.arg] = true;
	}
	left = fs_evq_size(q);
	for (int i = 0; i < N; i += 4) {
		bool got = fs_evq_cancel(q, id[i]);

		assert_int_equal(got, !fired[i]);
		cancelled += got;
	}
	assert_true(fs_evq_check(q));
	assert_int_equal(fs_evq_size(q), left - cancelled);
	while (fs_evq_pop(q, &ev)) {
		assert_false(fired[ev.arg]);
		assert_true(ev.arg % 4 != 0);
	}
	assert_true(fs_evq_check(q));
	fs_evq_destroy(q);
}

/* Pushes 3000, cancels nine in ten, pops the rest: the compaction path. */
static void test_engine_mass_cancel_then_drain(void **state)
{
	enum { N = 3000 };
	static uint64_t id[N];
	struct fs_evq *q = new_queue(16);
	uint64_t s = 77;
	size_t left = N;
	struct fs_event prev, ev;

	(void)state;
	for (int i = 0; i < N; i++)
		id[i] = fs_evq_push(q, (int64_t)(rnd(&s) % 50000), 0, 0, 0,
				    (uint64_t)i);
	for (int i = 0; i < N; i++)
		if (i % 10 != 3) {
			assert_true(fs_evq_cancel(q, id[i]));
			left--;
			if (i % 101 == 0)
				assert_true(fs_evq_check(q));
		}
	assert_int_equal(fs_evq_size(q), left);
	assert_true(fs_evq_check(q));
	assert_true(fs_evq_pop(q, &prev));
	assert_int_equal(prev.arg % 10, 3);
	while (fs_evq_pop(q, &ev)) {
		assert_int_equal(ev.arg % 10, 3);
		assert_true(event_before(&prev, &ev));
		prev = ev;
		left--;
	}
	assert_int_equal(left, 1);
	assert_true(fs_evq_check(q));
	fs_evq_destroy(q);
}

/* Cancelling every event of a spread-out queue empties every tier. */
static void test_engine_cancel_everything(void **state)
{
	enum { N = 2000 };
	struct fs_evq *q = new_queue(16);
	uint64_t s = 3;
	struct fs_event ev;

	(void)state;
	for (int i = 0; i < N; i++)
		fs_evq_push(q, (int64_t)(rnd(&s) % 10000000), 0, i % 2, 4, 0);
	assert_true(fs_evq_pop(q, &ev)); /* spreads the rest over buckets */
	assert_true(fs_evq_check(q));
	assert_int_equal(fs_evq_cancel_subject(q, FS_KIND_ANY, 4), N - 1);
	assert_int_equal(fs_evq_size(q), 0);
	assert_true(fs_evq_check(q));
	assert_false(fs_evq_pop(q, &ev));
	assert_false(fs_evq_peek(q, &ev));
	fs_evq_push(q, 20000000, 0, 0, 0, 1);
	fs_evq_push(q, 10000000, 0, 0, 0, 2);
	expect_pop(q, 10000000, 2);
	expect_pop(q, 20000000, 1);
	assert_true(fs_evq_check(q));
	fs_evq_destroy(q);
}

/* The same operations on two queues give the same events, ids included. */
static void test_engine_deterministic(void **state)
{
	struct fs_evq *a = new_queue(16), *b = new_queue(1000);
	uint64_t s = 5;
	struct fs_event ea, eb;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		int64_t t = fs_evq_now(a) + (int64_t)(rnd(&s) % 1000);
		uint64_t x = rnd(&s);

		assert_int_equal(fs_evq_push(a, t, 0, 0, 0, x),
				 fs_evq_push(b, t, 0, 0, 0, x));
		if (x % 3 == 0) {
			assert_int_equal(fs_evq_pop(a, &ea), fs_evq_pop(b, &eb));
			assert_same_event(&ea, &eb);
		}
	}
	while (fs_evq_pop(a, &ea)) {
		assert_true(fs_evq_pop(b, &eb));
		assert_same_event(&ea, &eb);
	}
	assert_false(fs_evq_pop(b, &eb));
	fs_evq_destroy(a);
	fs_evq_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_equal_times_fire_fifo),
		cmocka_unit_test(test_engine_priority_beats_sequence),
		cmocka_unit_test(test_engine_earlier_time_beats_priority),
		cmocka_unit_test(test_engine_priority_limits),
		cmocka_unit_test(test_engine_extreme_times),
		cmocka_unit_test(test_engine_cancel_head),
		cmocka_unit_test(test_engine_cancel_middle),
		cmocka_unit_test(test_engine_cancel_stale_handles),
		cmocka_unit_test(test_engine_cancel_subject_any_kind),
		cmocka_unit_test(test_engine_cancel_subject_one_kind),
		cmocka_unit_test(test_engine_empty_pop_peek),
		cmocka_unit_test(test_engine_clock_advances_with_pops),
		cmocka_unit_test(test_engine_reset),
		cmocka_unit_test(test_engine_many_equal_times_fifo),
		cmocka_unit_test(test_engine_bulk_load_at_one_time),
		cmocka_unit_test(test_engine_zero_delay_holds),
		cmocka_unit_test(test_engine_bulk_loads_many_seeds),
		cmocka_unit_test(test_engine_equal_times_reverse_priorities),
		cmocka_unit_test(test_engine_dense_cluster_and_sparse_tail),
		cmocka_unit_test(test_engine_grows_past_capacity_hint),
		cmocka_unit_test(test_engine_matches_reference_model),
		cmocka_unit_test(test_engine_matches_reference_every_distribution),
		cmocka_unit_test(test_engine_one_element_queue),
		cmocka_unit_test(test_engine_two_element_queue),
		cmocka_unit_test(test_engine_first_cancel_finds_every_pending),
		cmocka_unit_test(test_engine_mass_cancel_then_drain),
		cmocka_unit_test(test_engine_cancel_everything),
		cmocka_unit_test(test_engine_deterministic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
