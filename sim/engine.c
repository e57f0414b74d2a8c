/*
 * engine.c - the event queue: a two-tier ladder queue (a sorted bottom, one
 * rung of time buckets, an unsorted top), a plain heap for small queues, and
 * a handle set made on the first cancel. Design, measurements and limits:
 * docs/ENGINE.md.
 *
 * Entries are 32 bytes: key { t = time biased to unsigned order,
 * w = (prio + bias) << 48 | seq } and the payload. Comparing (t, w) as one
 * unsigned 128-bit number gives the total order (t_ns, prio, seq) exactly,
 * and every key is distinct because seq is.
 *
 * Tiers, split by time alone, so that equal times always share a tier:
 *   bottom  the entries before the rung's current bucket (t < lo, or bucket
 *           index d < cur): a sorted run (one bucket, sorted when it was
 *           moved down) plus a 4-ary heap, "side", for entries pushed into
 *           that range later, unless they sort after the run's last entry
 *           (then they are appended to it). The head is the smaller of the
 *           two fronts.
 *   rung    nb buckets of width 2^shift from lo; bucket d (cur <= d < nb)
 *           holds, unsorted, the entries with (t - lo) >> shift == d.
 *   top     unsorted, every entry at or beyond the rung's end.
 * When the bottom runs dry the next non-empty bucket is sorted into the run
 * (a counting sort on the time's next bits, then an insertion sort that the
 * counting leaves with little to do; heapsort if it would take long). When
 * the rung is used up it is rebuilt from the top, with a width chosen so
 * that a bucket holds about BUCKET_TARGET (BUCKET_WIDE when the rung is
 * built from WIDE_FROM entries or more) entries at the density of the
 * first eighth of the entries (a quantile of a sample, so heavy tails and
 * far outliers do not widen the buckets). Each entry is moved a few times
 * in all, so push and pop are O(1) amortised for spread-out times; events
 * crowded into one bucket cost O(log n) each (heapsort, or the side heap).
 * A side heap grown past n / 8 by pushes, or a rung built for less than half
 * the entries now stored, is rebuilt.
 *
 * Heap mode: a refill that finds at most SMALL_N entries puts them all in
 * the side heap and leaves the rung unused; a push that grows the side past
 * SMALL_EXIT returns to the ladder. Rebuilding a rung for one or two
 * entries on every pop cost several times what a heap does.
 *
 * Buckets and the top are lists of CHUNK-entry chunks from one pool with a
 * free list. Push reserves every chunk, bucket and bottom slot a later pop
 * could need, so pop never allocates and never fails.
 *
 * Handles: seqs are consecutive. Until the first cancel nothing records
 * them (every stored entry is live). The first cancel builds a hash set of
 * the pending seqs (open addressing, Fibonacci-hashed home slot, linear
 * probing, at most half full, deletion by shifting the cluster back); from then on push inserts,
 * pop and cancel remove. Cancelling removes the seq; the entry stays where
 * it is (stale) and is dropped when it reaches the head, when its tier is
 * moved, or when stale entries outnumber live ones.
 *
 * Invariant (I): whenever an event is pending, the bottom is non-empty and
 * its head is live; so peek is O(1) and const.
 */
#include "fleetsim/engine.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define SEQ_BITS 48
#define SEQ_MASK ((UINT64_C(1) << SEQ_BITS) - 1)
#define PRIO_BIAS (-(int64_t)FS_EVQ_PRIO_MIN)
#define TIME_BIAS (UINT64_C(1) << 63)
#define CHUNK 16u          /* entries per chunk (512 bytes) */
#define BUCKET_TARGET 32u  /* wanted entries per bucket when it is reached */
#define BUCKET_WIDE 128u   /* the same for a rung built from WIDE_FROM entries
			    * on: fewer bucket tails to keep warm in cache */
#define WIDE_FROM 4096u
#define SAMPLES 64u        /* top entries sampled to choose the bucket width */
#define FRONT 8u           /* density is estimated over the first 1/FRONT */
#define SUB_BITS_MAX 10u   /* at most 2^10 counters in the counting sort */
#define COMPACT_MIN 64u    /* stale entries tolerated before flattening */
#define SPILL_MIN 256u     /* side heap size that may trigger a re-spread */
#define SMALL_N 32u        /* at most this many entries at a refill: heap mode */
#define SMALL_EXIT 128u    /* heap mode for a small queue ends past this */
#define MIN_CAP 16u
#define ALIGN 64u
#define SIDE_PAD 3u        /* side[0] is entry 3 of an aligned block */
#define SIDE_ALIGN 128u    /* four 32-byte entries */
#define NONE UINT32_MAX
#define MAX_ENTRIES (UINT32_MAX / 4) /* list counts and chunk ids are 32-bit */

struct ent {
	uint64_t t;       /* t_ns ^ TIME_BIAS */
	uint64_t w;       /* (prio + PRIO_BIAS) << SEQ_BITS | seq */
	uint32_t kind;
	uint32_t subject;
	uint64_t arg;
};

struct list {
	uint32_t head, tail; /* chunk ids, valid when n > 0 */
	uint32_t n;          /* entries; every chunk but the tail is full */
};

struct fs_evq {
	struct ent *run;    /* run[run_pos .. run_n) sorted ascending */
	size_t run_pos, run_n, run_cap;
	struct ent *side;   /* 4-ary heap; children of i are 4i+1 .. 4i+4 */
	struct ent *side_mem; /* side - SIDE_PAD: the children of any entry
			       * share one 128-byte aligned block */
	size_t n_side, side_cap;
	size_t spill_at;    /* re-spread everything when side grows past this */
	bool heap_mode;     /* small queue: every entry is in the side heap */
	size_t room;        /* entries the capacities below allow (bar the set) */

	struct list *bk;    /* rung buckets; those below cur are empty */
	uint32_t nb, cur, bk_cap;
	unsigned shift;
	uint64_t lo;        /* biased time where bucket 0 starts */
	size_t rung_n;      /* entries when the rung was built */

	struct list top;
	uint64_t top_min, top_max; /* over the top's entries, when any */

	struct ent *chunk;  /* n_chunks * CHUNK entries */
	uint32_t *next;     /* next chunk in a list or in the free list */
	uint32_t n_chunks, free_head;

	uint64_t *ring;     /* handle set: pending seqs, 0 = empty; NULL until
			     * the first cancel */
	uint64_t mask;      /* slots - 1 */
	unsigned hs_shift;  /* 64 - log2(slots) */
	uint64_t next_seq;  /* never reset, so old handles stay stale */

	size_t n_live;      /* pending events */
	size_t n_stale;     /* cancelled entries still stored somewhere */
	int64_t now_ns;
	uint64_t n_popped;
};

__extension__ typedef unsigned __int128 u128;

/* One 128-bit compare, so minimum searches compile to conditional moves. */
static inline bool ent_less(const struct ent *a, const struct ent *b)
{
	u128 x = (u128)a->t << 64 | a->w, y = (u128)b->t << 64 | b->w;

	return x < y;
}

static inline uint64_t ent_seq(const struct ent *e)
{
	return e->w & SEQ_MASK;
}

/* ---- the handle set: pending seqs, open addressing, made on first use ---- */

/*
 * Home slot of seq: Fibonacci hashing. Not seq & mask: pending seqs are
 * consecutive runs (recent pushes) among old long-lived ones, and with
 * linear probing those runs made clusters as long as the queue.
 */
static inline uint64_t hs_home(const struct fs_evq *q, uint64_t seq)
{
	return (seq * UINT64_C(0x9E3779B97F4A7C15)) >> q->hs_shift;
}

/* The slot holding seq, or the empty slot where it would go. */
static inline uint64_t hs_find(const struct fs_evq *q, uint64_t seq)
{
	uint64_t i = hs_home(q, seq);

	while (q->ring[i] != 0 && q->ring[i] != seq)
		i = (i + 1) & q->mask;
	return i;
}

static inline void hs_insert(struct fs_evq *q, uint64_t seq)
{
	q->ring[hs_find(q, seq)] = seq;
}

/* Removes seq; false when it was not there. Later entries of its cluster
 * shift back into the hole, so lookups never need tombstones. */
static bool hs_remove(struct fs_evq *q, uint64_t seq)
{
	uint64_t i = hs_find(q, seq), j = i, m = q->mask;

	if (q->ring[i] == 0)
		return false;
	for (;;) {
		j = (j + 1) & m;
		if (q->ring[j] == 0)
			break;
		/* the entry at j may fill i when i lies on its probe path */
		if (((j - hs_home(q, q->ring[j])) & m) >= ((j - i) & m)) {
			q->ring[i] = q->ring[j];
			i = j;
		}
	}
	q->ring[i] = 0;
	return true;
}

/* Every entry is live while no handle was ever used (no set, no stale). */
static inline bool ent_is_live(const struct fs_evq *q, const struct ent *e)
{
	uint64_t seq = ent_seq(e);

	return !q->ring || q->ring[hs_find(q, seq)] == seq;
}

static inline size_t n_entries(const struct fs_evq *q)
{
	return q->n_live + q->n_stale;
}

/* ---- side heap ---- */

/* Index of the smallest child of i, or 0 when i has none. */
static inline size_t min_child(const struct ent *h, size_t n, size_t i)
{
	size_t c = 4 * i + 1, a, b, m;

	if (c + 3 < n) {
		a = ent_less(&h[c + 1], &h[c]) ? c + 1 : c;
		b = ent_less(&h[c + 3], &h[c + 2]) ? c + 3 : c + 2;
		return ent_less(&h[b], &h[a]) ? b : a;
	}
	if (c >= n)
		return 0;
	m = c;
	for (size_t j = c + 1; j < n; j++)
		if (ent_less(&h[j], &h[m]))
			m = j;
	return m;
}

/*
 * Refills the vacant root with e: the vacancy walks down along smallest
 * children to a leaf, then e climbs back. The last key, moved up by a pop,
 * belongs near the leaves, so this saves comparing it at every level.
 */
static void side_fill_root(struct ent *h, size_t n, struct ent e)
{
	size_t i = 0, m;

	while ((m = min_child(h, n, i)) != 0) {
		/* the next level's block depends on compares: fetch the four
		 * candidate blocks now so the misses overlap */
		size_t g = 16 * i + 5;

		if (g < n) {
			const char *b = (const char *)&h[g];

			for (int k = 0; k < 8; k++)
				__builtin_prefetch(b + 64 * k);
		}
		h[i] = h[m];
		i = m;
	}
	while (i > 0) {
		size_t p = (i - 1) / 4;

		if (!ent_less(&e, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = e;
}

/* Floyd's heap construction over side[0 .. n_side). */
static void side_heapify(struct fs_evq *q)
{
	struct ent *h = q->side;
	size_t n = q->n_side;

	for (size_t i = n > 1 ? (n - 2) / 4 + 1 : 0; i-- > 0;) {
		struct ent x = h[i];
		size_t j = i, m;

		while ((m = min_child(h, n, j)) != 0 && ent_less(&h[m], &x)) {
			h[j] = h[m];
			j = m;
		}
		h[j] = x;
	}
}

/* Pushes straight into the side heap: the hole climbs first and the fields
 * are written once into their final slot. */
static inline void side_push_fields(struct fs_evq *q, uint64_t t, uint64_t w,
				    uint32_t kind, uint32_t subject,
				    uint64_t arg)
{
	struct ent *h = q->side;
	size_t i = q->n_side++;
	u128 key = (u128)t << 64 | w;

	assert(q->n_side <= q->side_cap);
	while (i > 0) {
		size_t p = (i - 1) / 4;

		if (key >= ((u128)h[p].t << 64 | h[p].w))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i].t = t;
	h[i].w = w;
	h[i].kind = kind;
	h[i].subject = subject;
	h[i].arg = arg;
}

static void side_push(struct fs_evq *q, const struct ent *e)
{
	struct ent *h = q->side;
	size_t i = q->n_side++;

	assert(q->n_side <= q->side_cap);
	while (i > 0) {
		size_t p = (i - 1) / 4;

		if (!ent_less(e, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = *e;
}

static void side_pop(struct fs_evq *q)
{
	assert(q->n_side > 0);
	q->n_side--;
	if (q->n_side > 0)
		side_fill_root(q->side, q->n_side, q->side[q->n_side]);
}

/* ---- bottom: the run and the side heap ---- */

static inline bool bottom_is_empty(const struct fs_evq *q)
{
	return q->run_pos == q->run_n && q->n_side == 0;
}

/* Whether the head is the run's front (else the side's root). */
static inline bool head_in_run(const struct fs_evq *q)
{
	return q->run_pos < q->run_n &&
	       (q->n_side == 0 || ent_less(&q->run[q->run_pos], &q->side[0]));
}

static inline const struct ent *bottom_head(const struct fs_evq *q)
{
	return head_in_run(q) ? &q->run[q->run_pos] : &q->side[0];
}

static inline void drop_head(struct fs_evq *q)
{
	if (head_in_run(q))
		q->run_pos++;
	else
		side_pop(q);
}

static inline bool in_bottom_range(const struct fs_evq *q, uint64_t t)
{
	return t < q->lo || (t - q->lo) >> q->shift < q->cur;
}

/* Binary max-heap sift for heapsort. */
static void sift_max(struct ent *a, size_t n, size_t i)
{
	struct ent x = a[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && ent_less(&a[c], &a[c + 1]))
			c++;
		if (!ent_less(&x, &a[c]))
			break;
		a[i] = a[c];
		i = c;
	}
	a[i] = x;
}

static void heap_sort(struct ent *a, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_max(a, n, i);
	for (size_t m = n; m-- > 1;) {
		struct ent x = a[0];

		a[0] = a[m];
		a[m] = x;
		sift_max(a, m, 0);
	}
}

/* Sorts a nearly sorted array; false (unfinished) past a budget of moves. */
static bool insertion_sort(struct ent *a, size_t n, size_t budget)
{
	size_t moves = 0;

	for (size_t i = 1; i < n; i++) {
		struct ent x;
		size_t j = i;

		if (!ent_less(&a[i], &a[i - 1]))
			continue;
		x = a[i];
		do {
			a[j] = a[j - 1];
			j--;
		} while (j > 0 && ent_less(&x, &a[j - 1]));
		a[j] = x;
		moves += i - j;
		if (moves > budget)
			return false;
	}
	return true;
}

/*
 * The slot after the run's last entry when the key (t, w) sorts after it,
 * so the run stays sorted (a bulk load at one time goes here); else NULL.
 */
static inline struct ent *run_slot(struct fs_evq *q, uint64_t t, uint64_t w)
{
	if (q->run_pos == q->run_n) {
		q->run_pos = q->run_n = 0;
	} else {
		const struct ent *last = &q->run[q->run_n - 1];

		if (((u128)t << 64 | w) < ((u128)last->t << 64 | last->w))
			return NULL;
	}
	return q->run_n < q->run_cap ? &q->run[q->run_n++] : NULL;
}

/* ---- chunk lists ---- */

static inline uint32_t chunk_take(struct fs_evq *q)
{
	uint32_t c = q->free_head;

	assert(c != NONE); /* reserve() keeps enough chunks */
	q->free_head = q->next[c];
	return c;
}

static inline void chunk_give(struct fs_evq *q, uint32_t c)
{
	q->next[c] = q->free_head;
	q->free_head = c;
}

static inline struct ent *chunk_at(const struct fs_evq *q, uint32_t c)
{
	return &q->chunk[(size_t)c * CHUNK];
}

/* A new slot at the end of l, for the caller to fill. */
static inline struct ent *list_slot(struct fs_evq *q, struct list *l)
{
	uint32_t pos = l->n % CHUNK;

	if (pos == 0) {
		uint32_t c = chunk_take(q);

		if (l->n == 0)
			l->head = c;
		else
			q->next[l->tail] = c;
		l->tail = c;
	}
	l->n++;
	return &chunk_at(q, l->tail)[pos];
}

/* A new slot at the end of the top for an entry at biased time t. */
static inline struct ent *top_slot(struct fs_evq *q, uint64_t t)
{
	if (q->top.n == 0 || t < q->top_min)
		q->top_min = t;
	if (q->top.n == 0 || t > q->top_max)
		q->top_max = t;
	return list_slot(q, &q->top);
}

/* The chunk after c, when left entries remain from c on; NONE at the end. */
static inline uint32_t list_step(const struct fs_evq *q, uint32_t c,
				 uint32_t left)
{
	return left > CHUNK ? q->next[c] : NONE;
}

/* Returns every chunk of l to the free list and empties it. */
static void list_free(struct fs_evq *q, struct list *l)
{
	uint32_t c = l->head;

	for (uint32_t left = l->n; left > 0; left -= left < CHUNK ? left : CHUNK) {
		uint32_t nxt = list_step(q, c, left);

		chunk_give(q, c);
		c = nxt;
	}
	l->n = 0;
}

/* Calls fn on every entry of l (for the cold paths). */
typedef void entry_fn(struct fs_evq *q, const struct ent *e, void *ctx);

static void list_visit(struct fs_evq *q, const struct list *l, entry_fn *fn,
		       void *ctx)
{
	uint32_t c = l->head;

	for (uint32_t left = l->n; left > 0; left -= left < CHUNK ? left : CHUNK) {
		uint32_t k = left < CHUNK ? left : CHUNK;

		for (uint32_t i = 0; i < k; i++)
			fn(q, &chunk_at(q, c)[i], ctx);
		c = list_step(q, c, left);
	}
}

/*
 * Like list_visit, but empties l and frees each chunk as soon as it has been
 * visited, so that fn may append elsewhere within the reserved chunks.
 */
static void list_drain(struct fs_evq *q, struct list *l, entry_fn *fn,
		       void *ctx)
{
	uint32_t c = l->head, left = l->n;

	l->n = 0;
	while (left > 0) {
		uint32_t k = left < CHUNK ? left : CHUNK;
		uint32_t nxt = list_step(q, c, left);

		for (uint32_t i = 0; i < k; i++)
			fn(q, &chunk_at(q, c)[i], ctx);
		chunk_give(q, c);
		left -= k;
		c = nxt;
	}
}

/* ---- placing entries into the tiers ---- */

/* The bucket or top slot for an entry at biased time t; NULL when t is in
 * the bottom's range (the entry then goes into the side heap). */
static inline struct ent *place_slot(struct fs_evq *q, uint64_t t)
{
	if (t >= q->lo) {
		uint64_t d = (t - q->lo) >> q->shift;

		if (d >= q->cur)
			return d < q->nb ? list_slot(q, &q->bk[d]) :
					   top_slot(q, t);
	}
	return NULL;
}

/* Keeps live entries; a stale one is dropped for good. */
static inline bool keep(struct fs_evq *q, const struct ent *e)
{
	if (q->n_stale == 0 || ent_is_live(q, e))
		return true;
	q->n_stale--;
	return false;
}

/* Counting sort digit: the bits of t just below the bucket's own. */
static unsigned sub_bits(uint32_t n)
{
	unsigned b = 1;

	while (b < SUB_BITS_MAX && (UINT32_C(1) << b) < 2 * n)
		b++;
	return b;
}

/*
 * Moves bucket d into the empty run, sorted: a counting sort by the next
 * bits of t (about two counters per entry), then an insertion sort that
 * mostly finds neighbours in order. Stale entries come along and are
 * skipped when they reach the head.
 */
static void move_bucket(struct fs_evq *q, uint32_t d)
{
	uint32_t cnt[(1u << SUB_BITS_MAX) + 1];
	struct list *b = &q->bk[d];
	uint32_t n = b->n, c, n_sub;
	uint64_t base = q->lo + ((uint64_t)d << q->shift);
	unsigned sb = sub_bits(n);
	unsigned sub_shift = q->shift > sb ? q->shift - sb : 0;

	assert(q->run_pos == q->run_n && n > 0 && n <= q->run_cap);
	n_sub = (uint32_t)((((UINT64_C(1) << q->shift) - 1) >> sub_shift) + 1);
	memset(cnt, 0, (n_sub + 1) * sizeof(cnt[0]));
	c = b->head;
	for (uint32_t left = n; left > 0; left -= left < CHUNK ? left : CHUNK) {
		const struct ent *e = chunk_at(q, c);
		uint32_t k = left < CHUNK ? left : CHUNK;

		for (uint32_t i = 0; i < k; i++)
			cnt[((e[i].t - base) >> sub_shift) + 1]++;
		c = list_step(q, c, left);
	}
	for (uint32_t i = 1; i <= n_sub; i++)
		cnt[i] += cnt[i - 1];
	c = b->head;
	for (uint32_t left = n; left > 0; left -= left < CHUNK ? left : CHUNK) {
		const struct ent *e = chunk_at(q, c);
		uint32_t k = left < CHUNK ? left : CHUNK, nxt = list_step(q, c, left);

		for (uint32_t i = 0; i < k; i++)
			q->run[cnt[(e[i].t - base) >> sub_shift]++] = e[i];
		chunk_give(q, c);
		c = nxt;
	}
	b->n = 0;
	q->run_pos = 0;
	q->run_n = n;
	if (!insertion_sort(q->run, n, 8 * (size_t)n + 64))
		heap_sort(q->run, n);
}

/*
 * Bucket width (log2) for the n entries of l from lo on: sample SAMPLES
 * entries across the list, take the time below which a fraction 1/FRONT of
 * them lie (a quantile, so one far entry cannot stretch the estimate, as a
 * span would), and aim at BUCKET_TARGET entries per bucket at that density
 * (BUCKET_WIDE for large rungs: at N = 10^6 the wider buckets held about
 * twice the hold rate, at N = 10^3 the narrower ones, docs/ENGINE.md).
 */
static unsigned pick_shift(const struct fs_evq *q, const struct list *l,
			   uint64_t lo)
{
	uint64_t smp[SAMPLES];
	uint32_t n_ch = (l->n + CHUNK - 1) / CHUNK;
	uint32_t stride = n_ch / SAMPLES + 1, c = l->head, taken = 0, k;
	double width;
	unsigned shift = 0;

	for (uint32_t i = 0; i < n_ch && taken < SAMPLES; i++) {
		if (i % stride == 0) {
			const struct ent *e = chunk_at(q, c);
			uint32_t in = i + 1 < n_ch ? CHUNK : l->n - i * CHUNK;

			/* a different slot per chunk: chunks fill in order */
			smp[taken] = e[(taken * 7u) % in].t - lo;
			taken++;
		}
		if (i + 1 < n_ch)
			c = q->next[c];
	}
	/* insertion sort of at most SAMPLES values */
	for (uint32_t i = 1; i < taken; i++) {
		uint64_t x = smp[i];
		uint32_t j = i;

		for (; j > 0 && smp[j - 1] > x; j--)
			smp[j] = smp[j - 1];
		smp[j] = x;
	}
	k = taken / FRONT;
	width = (l->n < WIDE_FROM ? BUCKET_TARGET : BUCKET_WIDE) *
		((double)smp[k] + 1) * taken /
		((double)(k + 1) * l->n);
	while (shift < 62 && (double)(UINT64_C(2) << shift) <= width)
		shift++;
	return shift;
}

/* Rebuilds the rung from the top; the bottom and the rung are empty. */
static void rebuild(struct fs_evq *q)
{
	struct list old = q->top;
	uint64_t lo = q->top_min, span = q->top_max - q->top_min, full;
	uint32_t c = old.head;

	assert(bottom_is_empty(q) && q->cur == q->nb && old.n > 0);
	q->shift = pick_shift(q, &old, lo);
	full = span >> q->shift;
	q->nb = full < q->bk_cap ? (uint32_t)full + 1 : q->bk_cap;
	memset(q->bk, 0, (size_t)q->nb * sizeof(*q->bk));
	q->cur = 0;
	q->lo = lo;
	q->top.n = 0;
	for (uint32_t left = old.n; left > 0; left -= left < CHUNK ? left : CHUNK) {
		const struct ent *e = chunk_at(q, c);
		uint32_t k = left < CHUNK ? left : CHUNK, nxt = list_step(q, c, left);

		for (uint32_t i = 0; i < k; i++) {
			uint64_t d = (e[i].t - lo) >> q->shift;

			if (!keep(q, &e[i]))
				continue;
			if (d < q->nb)
				*list_slot(q, &q->bk[d]) = e[i];
			else
				*top_slot(q, e[i].t) = e[i];
		}
		chunk_give(q, c);
		c = nxt;
	}
	q->rung_n = n_entries(q);
}

static void append_top_if_kept(struct fs_evq *q, const struct ent *e,
			       void *ctx)
{
	(void)ctx;
	if (keep(q, e))
		*top_slot(q, e->t) = *e;
}

/* Moves every tier into the top, dropping stale entries; the rung is gone. */
static void spread_to_top(struct fs_evq *q)
{
	struct list old = q->top;

	q->top.n = 0;
	list_drain(q, &old, append_top_if_kept, NULL);
	for (uint32_t i = q->cur; i < q->nb; i++)
		list_drain(q, &q->bk[i], append_top_if_kept, NULL);
	for (size_t i = q->run_pos; i < q->run_n; i++)
		append_top_if_kept(q, &q->run[i], NULL);
	for (size_t i = 0; i < q->n_side; i++)
		append_top_if_kept(q, &q->side[i], NULL);
	q->run_pos = q->run_n = 0;
	q->n_side = 0;
	q->nb = q->cur = 0;
}

static void append_side_if_kept(struct fs_evq *q, const struct ent *e,
				void *ctx)
{
	(void)ctx;
	if (keep(q, e))
		q->side[q->n_side++] = *e;
}

/*
 * Puts every live entry into the side heap and leaves the rung unused: heap
 * mode, for a queue too small to be worth a rung (rebuilding one for two
 * entries on every pop costs several times a heap's work). A push that
 * grows the side past SMALL_EXIT entries ends it by a flatten.
 */
static void to_heap(struct fs_evq *q)
{
	size_t k = 0;

	for (size_t i = q->run_pos; i < q->run_n; i++)
		if (keep(q, &q->run[i]))
			q->run[k++] = q->run[i];
	memcpy(q->side + q->n_side, q->run, k * sizeof(*q->run));
	q->n_side += k;
	q->run_pos = q->run_n = 0;
	for (uint32_t i = q->cur; i < q->nb; i++)
		list_drain(q, &q->bk[i], append_side_if_kept, NULL);
	list_drain(q, &q->top, append_side_if_kept, NULL);
	q->nb = q->cur = 0;
	side_heapify(q);
	q->heap_mode = true;
	q->spill_at = SMALL_EXIT;
}

/* Fills the empty bottom from the next non-empty bucket, or a new rung;
 * or switches to heap mode (which fills the bottom). */
static void refill(struct fs_evq *q)
{
	assert(bottom_is_empty(q) && q->n_live > 0 && !q->heap_mode);
	if (n_entries(q) <= SMALL_N) {
		to_heap(q);
		return;
	}
	/* a rung sized for far fewer entries makes huge buckets: redo it */
	if (q->nb > 0 && n_entries(q) > 2 * q->rung_n + SPILL_MIN)
		spread_to_top(q);
	/* Each rebuild moves at least the top's minimum out of the top (into
	 * bucket 0, or dropped when stale), so this ends. */
	for (;;) {
		while (q->cur < q->nb && q->bk[q->cur].n == 0)
			q->cur++;
		if (q->cur < q->nb)
			break;
		rebuild(q);
	}
	move_bucket(q, q->cur++);
	q->spill_at = n_entries(q) / 8;
	if (q->spill_at < SPILL_MIN)
		q->spill_at = SPILL_MIN;
}

/* Empties every tier: no event is pending, every stored entry is stale. */
static void drop_all(struct fs_evq *q)
{
	for (uint32_t i = q->cur; i < q->nb; i++)
		list_free(q, &q->bk[i]);
	list_free(q, &q->top);
	q->run_pos = q->run_n = 0;
	q->n_side = 0;
	q->nb = q->cur = 0;
	q->lo = 0;
	q->shift = 0;
	q->rung_n = 0;
	q->n_stale = 0;
	q->spill_at = SPILL_MIN;
	q->heap_mode = false;
}

/* Restores (I) after an event left or was cancelled. */
static void settle(struct fs_evq *q)
{
	for (;;) {
		if (q->n_live == 0) {
			if (q->n_stale > 0)
				drop_all(q);
			return;
		}
		if (bottom_is_empty(q)) {
			refill(q);
			continue;
		}
		if (q->n_stale == 0 || ent_is_live(q, bottom_head(q)))
			return;
		drop_head(q);
		q->n_stale--;
	}
}

/*
 * Drops every stale entry and rebuilds: for too many stale entries, or a
 * side heap grown by pushes (a bulk load before the first pop, say). O(n);
 * a trigger needs on the order of n / 8 operations since the last refill,
 * so it is O(1) amortised.
 */
static void flatten(struct fs_evq *q)
{
	q->heap_mode = false;
	spread_to_top(q);
	assert(q->n_stale == 0);
	settle(q);
}

static void maybe_compact(struct fs_evq *q)
{
	if (q->n_stale > COMPACT_MIN && q->n_stale > q->n_live)
		flatten(q);
}

/* ---- allocation ---- */

/*
 * A fresh aligned block of bytes holding the first used bytes of old, which
 * is freed; NULL (old kept) when out of memory. Only the used bytes are
 * copied, so reserved but unused memory is never touched.
 */
static void *regrow(void *old, size_t used, size_t bytes)
{
	void *p = aligned_alloc(ALIGN, (bytes + ALIGN - 1) / ALIGN * ALIGN);

	if (!p)
		return NULL;
	if (used > 0)
		memcpy(p, old, used);
	free(old);
	return p;
}

static bool ring_resize(struct fs_evq *q, size_t cap)
{
	uint64_t *r = calloc(cap, sizeof(*r));
	uint64_t mask = (uint64_t)cap - 1;
	uint64_t *old = q->ring, old_mask = q->mask;

	if (!r)
		return false;
	q->ring = r;
	q->mask = mask;
	q->hs_shift = 64;
	while (((uint64_t)1 << (64 - q->hs_shift)) < cap)
		q->hs_shift--;
	if (old) {
		for (uint64_t i = 0; i <= old_mask; i++)
			if (old[i] != 0)
				hs_insert(q, old[i]);
		free(old);
	}
	return true;
}

static bool chunks_resize(struct fs_evq *q, uint32_t cap)
{
	size_t have = q->n_chunks;
	uint32_t *nx;
	struct ent *ch;

	nx = regrow(q->next, have * sizeof(*nx), cap * sizeof(*nx));
	if (!nx)
		return false;
	q->next = nx; /* larger, harmless if the chunks cannot follow */
	ch = regrow(q->chunk, have * CHUNK * sizeof(*ch),
		    (size_t)cap * CHUNK * sizeof(*ch));
	if (!ch)
		return false;
	q->chunk = ch;
	for (uint32_t i = cap; i-- > q->n_chunks;)
		chunk_give(q, i);
	q->n_chunks = cap;
	return true;
}

static size_t grown(size_t have, size_t need)
{
	return have * 2 > need ? have * 2 : need;
}

/*
 * Capacities for n_ent stored entries: any bucket, or the side heap, might
 * get them all; buckets for twice n_ent / BUCKET_TARGET; chunks for every
 * entry plus one part-filled chunk per list (buckets, top, the old top
 * during a rebuild).
 */
static size_t need_bk(size_t n_ent)
{
	return 2 * n_ent / BUCKET_TARGET + MIN_CAP;
}

static size_t need_chunks(size_t n_ent, size_t bk_cap)
{
	return n_ent / CHUNK + bk_cap + 4;
}

/* The largest entry count that needs no growth: need_bk and need_chunks
 * inverted exactly. */
static void update_room(struct fs_evq *q)
{
	size_t r = ((q->bk_cap - MIN_CAP + 1) * (size_t)BUCKET_TARGET - 1) / 2;
	size_t by_chunks = (q->n_chunks - q->bk_cap - 4 + 1) * (size_t)CHUNK - 1;

	if (r > by_chunks)
		r = by_chunks;
	if (r > q->run_cap)
		r = q->run_cap;
	if (r > q->side_cap)
		r = q->side_cap;
	q->room = r < MAX_ENTRIES ? r : MAX_ENTRIES;
}

/* Grows what n_ent entries (and one more pending event) need. */
static bool reserve(struct fs_evq *q, size_t n_ent)
{
	size_t cap;
	void *p;

	if (n_ent > MAX_ENTRIES)
		return false;
	if (q->ring && q->n_live + 1 > ((size_t)q->mask + 1) / 2 &&
	    !ring_resize(q, ((size_t)q->mask + 1) * 2))
		return false;
	if (q->bk_cap < need_bk(n_ent)) {
		cap = grown(q->bk_cap, need_bk(n_ent));
		p = regrow(q->bk, q->nb * sizeof(*q->bk), cap * sizeof(*q->bk));
		if (!p)
			return false;
		q->bk = p;
		q->bk_cap = (uint32_t)cap;
	}
	if (q->n_chunks < need_chunks(n_ent, q->bk_cap) &&
	    !chunks_resize(q, (uint32_t)grown(q->n_chunks,
					      need_chunks(n_ent, q->bk_cap))))
		return false;
	if (q->run_cap < n_ent) {
		cap = grown(q->run_cap, n_ent);
		p = regrow(q->run, q->run_n * sizeof(*q->run),
			   cap * sizeof(*q->run));
		if (!p)
			return false;
		q->run = p;
		q->run_cap = cap;
	}
	if (q->side_cap < n_ent) {
		struct ent *m;

		cap = grown(q->side_cap, n_ent);
		m = aligned_alloc(SIDE_ALIGN, ((cap + SIDE_PAD) * sizeof(*m) +
					       SIDE_ALIGN - 1) /
					      SIDE_ALIGN * SIDE_ALIGN);
		if (!m)
			return false;
		if (q->n_side > 0)
			memcpy(m + SIDE_PAD, q->side,
			       q->n_side * sizeof(*q->side));
		free(q->side_mem);
		q->side_mem = m;
		q->side = m + SIDE_PAD;
		q->side_cap = cap;
	}
	update_room(q);
	assert(need_bk(q->room) <= q->bk_cap &&
	       need_chunks(q->room, q->bk_cap) <= q->n_chunks);
	return true;
}

/* ---- the contract ---- */

enum fs_status fs_evq_create(struct fs_evq **out, size_t capacity_hint)
{
	struct fs_evq *q = calloc(1, sizeof(*q));
	size_t hint = capacity_hint < MIN_CAP ? MIN_CAP : capacity_hint;

	if (!q)
		return FS_ERR_NOMEM;
	q->free_head = NONE;
	q->next_seq = 1;
	q->spill_at = SPILL_MIN;
	if (hint > MAX_ENTRIES)
		hint = MAX_ENTRIES;
	if (!reserve(q, hint)) {
		fs_evq_destroy(q);
		return FS_ERR_NOMEM;
	}
	*out = q;
	return FS_OK;
}

void fs_evq_destroy(struct fs_evq *q)
{
	if (!q)
		return;
	free(q->run);
	free(q->side_mem);
	free(q->bk);
	free(q->chunk);
	free(q->next);
	free(q->ring);
	free(q);
}

void fs_evq_reset(struct fs_evq *q)
{
	if (q->ring)
		memset(q->ring, 0, ((size_t)q->mask + 1) * sizeof(*q->ring));
	q->n_live = 0;
	drop_all(q);
	q->now_ns = 0;
	q->n_popped = 0;
}

uint64_t fs_evq_push(struct fs_evq *q, int64_t t_ns, int32_t prio,
		     uint32_t kind, uint32_t subject, uint64_t arg)
{
	struct ent side, *e;
	uint64_t seq, t, w;

	assert(t_ns >= q->now_ns);
	assert(prio >= FS_EVQ_PRIO_MIN && prio <= FS_EVQ_PRIO_MAX);
	if (prio < FS_EVQ_PRIO_MIN || prio > FS_EVQ_PRIO_MAX)
		return 0;
	if ((n_entries(q) >= q->room ||
	     (q->ring && 2 * (q->n_live + 1) > q->mask + 1)) &&
	    !reserve(q, n_entries(q) + 1))
		return 0;
	seq = q->next_seq;
	if (seq > SEQ_MASK)
		return 0;
	q->next_seq = seq + 1;
	if (q->ring)
		hs_insert(q, seq);

	/* Fields are written straight into their slot: going through a local
	 * struct costs a failed store-to-load forwarding on the 32-byte copy. */
	t = (uint64_t)t_ns ^ TIME_BIAS;
	w = (uint64_t)((int64_t)prio + PRIO_BIAS) << SEQ_BITS | seq;
	if (q->heap_mode) {
		side_push_fields(q, t, w, kind, subject, arg);
		q->n_live++;
		if (q->n_side > q->spill_at)
			flatten(q); /* a small queue grew: back to the ladder */
		return seq;
	}
	e = place_slot(q, t);
	if (!e)
		e = run_slot(q, t, w);
	if (!e)
		e = &side;
	e->t = t;
	e->w = w;
	e->kind = kind;
	e->subject = subject;
	e->arg = arg;
	if (e == &side)
		side_push(q, &side);
	q->n_live++;
	if (q->n_side > q->spill_at)
		flatten(q); /* pushes crowd the bottom: spread them out */
	else if (bottom_is_empty(q))
		settle(q);
	return seq;
}

static void fill_event(const struct ent *e, struct fs_event *out)
{
	out->t_ns = (int64_t)(e->t ^ TIME_BIAS);
	out->prio = (int32_t)((int64_t)(e->w >> SEQ_BITS) - PRIO_BIAS);
	out->kind = e->kind;
	out->subject = e->subject;
	out->arg = e->arg;
	out->id = ent_seq(e);
}

bool fs_evq_pop(struct fs_evq *q, struct fs_event *out)
{
	if (q->n_live == 0)
		return false;
	if (head_in_run(q)) {
		fill_event(&q->run[q->run_pos++], out);
	} else {
		fill_event(&q->side[0], out);
		side_pop(q);
	}
	if (q->ring) {
		bool was = hs_remove(q, out->id);

		assert(was);
		(void)was;
	}
	q->n_live--;
	q->n_popped++;
	q->now_ns = out->t_ns;
	if (q->n_stale > 0 || bottom_is_empty(q))
		settle(q);
	return true;
}

bool fs_evq_peek(const struct fs_evq *q, struct fs_event *out)
{
	if (q->n_live == 0)
		return false;
	fill_event(bottom_head(q), out);
	return true;
}

static void hs_add_entry(struct fs_evq *q, const struct ent *e, void *ctx)
{
	(void)ctx;
	hs_insert(q, ent_seq(e));
}

/*
 * Makes the handle set on the first cancellation: pushes and pops keep no
 * record of handles until one is used. Every stored entry is live then.
 * false when out of memory (queue unchanged).
 */
static bool handles_on(struct fs_evq *q)
{
	size_t cap = MIN_CAP;

	if (q->ring)
		return true;
	assert(q->n_stale == 0);
	while (cap < 2 * (q->n_live + 1))
		cap *= 2;
	if (!ring_resize(q, cap))
		return false;
	for (size_t i = q->run_pos; i < q->run_n; i++)
		hs_add_entry(q, &q->run[i], NULL);
	for (size_t i = 0; i < q->n_side; i++)
		hs_add_entry(q, &q->side[i], NULL);
	for (uint32_t i = q->cur; i < q->nb; i++)
		list_visit(q, &q->bk[i], hs_add_entry, NULL);
	list_visit(q, &q->top, hs_add_entry, NULL);
	return true;
}

bool fs_evq_cancel(struct fs_evq *q, uint64_t id)
{
	if (id == 0 || id >= q->next_seq || !handles_on(q) ||
	    !hs_remove(q, id))
		return false;
	q->n_live--;
	q->n_stale++;
	settle(q);
	maybe_compact(q);
	return true;
}

struct match {
	uint32_t kind, subject;
	size_t count;
};

static void cancel_if_match(struct fs_evq *q, const struct ent *e, void *ctx)
{
	struct match *m = ctx;

	if (e->subject == m->subject &&
	    (m->kind == FS_KIND_ANY || e->kind == m->kind) &&
	    ent_is_live(q, e)) {
		hs_remove(q, ent_seq(e));
		m->count++;
	}
}

size_t fs_evq_cancel_subject(struct fs_evq *q, uint32_t kind, uint32_t subject)
{
	struct match m = { kind, subject, 0 };

	if (!handles_on(q))
		return 0;

	for (size_t i = q->run_pos; i < q->run_n; i++)
		cancel_if_match(q, &q->run[i], &m);
	for (size_t i = 0; i < q->n_side; i++)
		cancel_if_match(q, &q->side[i], &m);
	for (uint32_t i = q->cur; i < q->nb; i++)
		list_visit(q, &q->bk[i], cancel_if_match, &m);
	list_visit(q, &q->top, cancel_if_match, &m);
	q->n_live -= m.count;
	q->n_stale += m.count;
	settle(q);
	maybe_compact(q);
	return m.count;
}

size_t fs_evq_size(const struct fs_evq *q)
{
	return q->n_live;
}

int64_t fs_evq_now(const struct fs_evq *q)
{
	return q->now_ns;
}

uint64_t fs_evq_popped(const struct fs_evq *q)
{
	return q->n_popped;
}

/* ---- self-check ---- */

struct tally {
	size_t live, stale, bad;
	uint32_t tier; /* bucket index; UINT32_MAX: top; UINT32_MAX - 1: bottom */
};

#define TIER_TOP UINT32_MAX
#define TIER_BOTTOM (UINT32_MAX - 1)

static void tally_entry(struct fs_evq *q, const struct ent *e, void *ctx)
{
	struct tally *t = ctx;
	uint64_t seq = ent_seq(e);

	if (ent_is_live(q, e))
		t->live++;
	else
		t->stale++;
	if (seq == 0 || seq >= q->next_seq ||
	    (e->w >> SEQ_BITS) > (uint64_t)(FS_EVQ_PRIO_MAX + PRIO_BIAS))
		t->bad++;
	else if (t->tier == TIER_BOTTOM)
		t->bad += !q->heap_mode && !in_bottom_range(q, e->t);
	else if (e->t < q->lo)
		t->bad++;
	else if (t->tier == TIER_TOP)
		t->bad += (e->t - q->lo) >> q->shift < q->nb ||
			  e->t < q->top_min || e->t > q->top_max;
	else
		t->bad += (e->t - q->lo) >> q->shift != t->tier;
}

/* Counts a list's chunks; false when it is malformed. */
static bool list_ok(const struct fs_evq *q, const struct list *l,
		    uint32_t *chunks)
{
	uint32_t need = (l->n + CHUNK - 1) / CHUNK, c = l->head;

	for (uint32_t i = 0; i < need; i++) {
		if (c >= q->n_chunks || (i + 1 == need && c != l->tail))
			return false;
		if (i + 1 < need)
			c = q->next[c];
	}
	*chunks += need;
	return true;
}

static bool check_bottom(const struct fs_evq *q, struct tally *t)
{
	struct fs_evq *mq = (struct fs_evq *)q; /* tally_entry only reads */

	if (q->run_pos > q->run_n || q->run_n > q->run_cap ||
	    q->n_side > q->side_cap)
		return false;
	if (q->heap_mode && (q->run_n > 0 || q->nb > 0 || q->top.n > 0))
		return false;
	t->tier = TIER_BOTTOM;
	for (size_t i = q->run_pos; i < q->run_n; i++) {
		if (i > q->run_pos && !ent_less(&q->run[i - 1], &q->run[i]))
			return false;
		tally_entry(mq, &q->run[i], t);
	}
	for (size_t i = 0; i < q->n_side; i++) {
		if (i > 0 && ent_less(&q->side[i], &q->side[(i - 1) / 4]))
			return false;
		tally_entry(mq, &q->side[i], t);
	}
	return true;
}

static bool check_ring(const struct fs_evq *q)
{
	size_t used = 0;

	if (!q->ring)
		return q->n_stale == 0;
	for (uint64_t i = 0; i <= q->mask; i++) {
		uint64_t seq = q->ring[i];

		if (seq == 0)
			continue;
		if (hs_find(q, seq) != i || seq >= q->next_seq)
			return false;
		used++;
	}
	return used == q->n_live && q->n_live <= (q->mask + 1) / 2;
}

bool fs_evq_check(const struct fs_evq *q)
{
	struct fs_evq *mq = (struct fs_evq *)q; /* list_visit only reads */
	struct tally t = { 0, 0, 0, 0 };
	uint32_t chunks = 0, free_chunks = 0;

	if (!q || q->nb > q->bk_cap || q->cur > q->nb)
		return false;
	if (!check_ring(q) || !check_bottom(q, &t))
		return false;
	for (uint32_t i = 0; i < q->nb; i++) {
		if (i < q->cur && q->bk[i].n != 0)
			return false;
		if (!list_ok(q, &q->bk[i], &chunks))
			return false;
		t.tier = i;
		list_visit(mq, &q->bk[i], tally_entry, &t);
	}
	if (!list_ok(q, &q->top, &chunks))
		return false;
	t.tier = TIER_TOP;
	list_visit(mq, &q->top, tally_entry, &t);
	for (uint32_t c = q->free_head; c != NONE; c = q->next[c])
		if (c >= q->n_chunks || ++free_chunks > q->n_chunks)
			return false;
	if (t.bad || t.live != q->n_live || t.stale != q->n_stale ||
	    chunks + free_chunks != q->n_chunks)
		return false;
	if (q->n_live > 0 &&
	    (bottom_is_empty(q) || !ent_is_live(q, bottom_head(q))))
		return false;
	return true;
}
