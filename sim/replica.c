/*
 * replica.c - request-level simulation of one serving replica (replica.h).
 *
 * State kept so that an iteration costs O(1) whatever the batch size:
 *  - G counts iterations. A decode that joined the decode set at G = g0 with
 *    KV length `base` has length base + (G - g0) now, and finishes at the
 *    end of the iteration that brings G to g0 + (out_len - gen). The decode
 *    set is a min-heap on that finishing G.
 *  - sum_base = sum over decodes of (base - g0), so the KV tokens all decodes
 *    read in iteration G is sum_base + n_dec * (G + 1).
 *  - cnt[r] = decodes with (base - g0) mod 16 == r. A decode needs a new KV
 *    block when its length is a multiple of 16 before the iteration, that is
 *    when r == -G mod 16: cnt[-G mod 16] blocks per iteration.
 * Requests live in one preallocated array; the waiting queue is a ring
 * (preempted requests return to its front); the running list (admission
 * order) gives the preemption victim (its tail), as in vLLM.
 */
#include "fleetsim/replica.h"
#include "fleetsim/util.h"

#include <assert.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BT FS_SERVE_BLOCK_TOKENS

/*
 * At most two events are pending: the next arrival (an open-loop workload)
 * and the end of the iteration in flight. They are kept in two fields of
 * struct sim rather than in an event queue; an arrival at the instant an
 * iteration ends comes first, so the next schedule sees it (the order the
 * queue of engine.h gave them with the arrival at the lower priority).
 */
enum ev_kind { EV_NONE, EV_ARRIVE, EV_ITER_END };
enum { R_PENDING, R_WAITING, R_PREFILL, R_DECODE, R_DONE };

struct req {
	int64_t arrive_ns, first_ns;
	int64_t g0;          /* G when it joined the decode set */
	int64_t fin_g;       /* heap key: G at which it finishes */
	int32_t in_len, out_len;
	int32_t gen;         /* output tokens sampled (for a decode: when it joined) */
	int32_t pf_target;   /* tokens to (re)compute: in_len + gen at admission */
	int32_t pf_done;
	int32_t base;        /* KV length when it joined the decode set */
	int32_t heap_pos;
	int32_t prev, next;  /* running list; -1 = none */
	int32_t state;
	/* prefix cache after a preemption: tokens computed, blocks held, pool state then */
	int32_t cached_tokens;
	long cached_blocks, older_free_blocks;
	int64_t alloc_at_preempt;
};

struct fs_replica_ws {
	long cap;
	struct req *r;
	int32_t *heap;      /* decode set */
	int32_t *wq;        /* waiting ring */
	int32_t *pf;        /* requests prefilling, admission order */
	int32_t *sid, *sc;  /* prefill chunks of the iteration in flight */
	double *ttft, *tpot, *e2e;
	gsl_rng *rng_arr, *rng_len;
};

/* One run's state; lives on the stack of fs_replica_run. */
struct sim {
	struct fs_replica_ws *ws;
	struct req *r;
	const struct fs_serve_model *m;
	const struct fs_replica_sched *s;
	const struct fs_replica_workload *w;
	long n;              /* requests */
	long next_issue;     /* closed loop: next request to issue */
	/* decode set */
	long n_heap;
	int64_t G;
	int64_t sum_base;
	long cnt[BT];
	/* waiting ring */
	long wq_head, wq_n;
	/* prefilling */
	long pf_n, n_sched;
	/* running list */
	int32_t run_head, run_tail;
	long n_running;
	/* KV blocks */
	long free_blocks;
	int64_t blocks_allocated; /* ever, for the prefix-cache eviction estimate */
	bool preempted_this_step;
	/* clock and accounting */
	bool busy;           /* an iteration is in flight, ending at iter_end_ns */
	int64_t iter_end_ns;
	int32_t next_arrival; /* request whose arrival is pending; -1: none */
	int64_t now, last_ns, iter_start_ns;
	double in_sys_ns_sum; /* integral of requests in system over time, ns */
	long n_in_sys;
	long n_done, n_tpot;
	int64_t first_arrival_ns, last_finish_ns;
	double busy_ns, batch_seqs_sum;
	long n_iter, n_preempt, max_running;
	double in_tokens, out_tokens;
	long n_within;
	double out_within;
};

/* ---- workspace ------------------------------------------------------------ */

static void ws_free_arrays(struct fs_replica_ws *ws)
{
	free(ws->r);
	free(ws->heap);
	free(ws->wq);
	free(ws->pf);
	free(ws->sid);
	free(ws->sc);
	free(ws->ttft);
	free(ws->tpot);
	free(ws->e2e);
	ws->r = NULL;
	ws->heap = ws->wq = ws->pf = ws->sid = ws->sc = NULL;
	ws->ttft = ws->tpot = ws->e2e = NULL;
	ws->cap = 0;
}

static enum fs_status ws_reserve(struct fs_replica_ws *ws, long n)
{
	size_t k;

	if (n <= ws->cap)
		return FS_OK;
	ws_free_arrays(ws);
	k = (size_t)n;
	ws->r = malloc(k * sizeof(*ws->r));
	ws->heap = malloc(k * sizeof(*ws->heap));
	ws->wq = malloc(k * sizeof(*ws->wq));
	ws->pf = malloc(k * sizeof(*ws->pf));
	ws->sid = malloc(k * sizeof(*ws->sid));
	ws->sc = malloc(k * sizeof(*ws->sc));
	ws->ttft = malloc(k * sizeof(*ws->ttft));
	ws->tpot = malloc(k * sizeof(*ws->tpot));
	ws->e2e = malloc(k * sizeof(*ws->e2e));
	if (!ws->r || !ws->heap || !ws->wq || !ws->pf || !ws->sid || !ws->sc || !ws->ttft ||
	    !ws->tpot || !ws->e2e) {
		ws_free_arrays(ws);
		return FS_ERR_NOMEM;
	}
	ws->cap = n;
	return FS_OK;
}

enum fs_status fs_replica_ws_create(struct fs_replica_ws **out, long max_requests)
{
	struct fs_replica_ws *ws = calloc(1, sizeof(*ws));

	*out = NULL;
	if (!ws)
		return FS_ERR_NOMEM;
	ws->rng_arr = gsl_rng_alloc(gsl_rng_mt19937);
	ws->rng_len = gsl_rng_alloc(gsl_rng_mt19937);
	if (!ws->rng_arr || !ws->rng_len)
		goto fail_rng;
	if (ws_reserve(ws, max_requests > 0 ? max_requests : 1) != FS_OK)
		goto fail_rng;
	*out = ws;
	return FS_OK;
fail_rng:
	if (ws->rng_arr)
		gsl_rng_free(ws->rng_arr);
	if (ws->rng_len)
		gsl_rng_free(ws->rng_len);
	free(ws);
	return FS_ERR_NOMEM;
}

void fs_replica_ws_destroy(struct fs_replica_ws *ws)
{
	if (!ws)
		return;
	ws_free_arrays(ws);
	gsl_rng_free(ws->rng_arr);
	gsl_rng_free(ws->rng_len);
	free(ws);
}

struct fs_replica_sched fs_replica_sched_default(void)
{
	/* vLLM V1 server defaults on an 80 GB-class GPU (arg_utils.get_batch_defaults). */
	return (struct fs_replica_sched){
		.max_num_seqs = 256, .max_batched_tokens = 8192, .chunked_prefill = true,
		.prefix_caching = true
	};
}

/* ---- small helpers ---------------------------------------------------------- */

static long blocks_for(long tokens)
{
	return tokens <= 0 ? 0 : (tokens + BT - 1) / BT;
}

static int residue(int64_t x)
{
	return (int)(((x % BT) + BT) % BT);
}

static int32_t draw_len(const struct fs_dist *d, gsl_rng *rng)
{
	double x = floor(fs_dist_draw(d, rng) + 0.5);

	if (!(x >= 1.0))
		return 1;
	return x > 1e9 ? 1000000000 : (int32_t)x;
}

/* ---- decode heap (min on fin_g, ties by request id) ------------------------- */

static bool heap_less(const struct req *r, int32_t a, int32_t b)
{
	return r[a].fin_g < r[b].fin_g || (r[a].fin_g == r[b].fin_g && a < b);
}

static void heap_set(struct sim *S, long i, int32_t id)
{
	S->ws->heap[i] = id;
	S->r[id].heap_pos = (int32_t)i;
}

static void heap_up(struct sim *S, long i)
{
	int32_t *h = S->ws->heap, id = h[i];

	while (i > 0) {
		long p = (i - 1) / 2;
		if (!heap_less(S->r, id, h[p]))
			break;
		heap_set(S, i, h[p]);
		i = p;
	}
	heap_set(S, i, id);
}

static void heap_down(struct sim *S, long i)
{
	int32_t *h = S->ws->heap, id = h[i];
	long n = S->n_heap;

	for (;;) {
		long c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && heap_less(S->r, h[c + 1], h[c]))
			c++;
		if (!heap_less(S->r, h[c], id))
			break;
		heap_set(S, i, h[c]);
		i = c;
	}
	heap_set(S, i, id);
}

static void heap_remove_at(struct sim *S, long i)
{
	int32_t *h = S->ws->heap;

	S->r[h[i]].heap_pos = -1;
	S->n_heap--;
	if (i == S->n_heap)
		return;
	heap_set(S, i, h[S->n_heap]);
	heap_down(S, i);
	heap_up(S, S->r[h[i]].heap_pos);
}

/* ---- request lists ---------------------------------------------------------- */

static void run_append(struct sim *S, int32_t id)
{
	struct req *q = &S->r[id];

	q->prev = S->run_tail;
	q->next = -1;
	if (S->run_tail >= 0)
		S->r[S->run_tail].next = id;
	else
		S->run_head = id;
	S->run_tail = id;
	S->n_running++;
	if (S->n_running > S->max_running)
		S->max_running = S->n_running;
}

static void run_unlink(struct sim *S, int32_t id)
{
	struct req *q = &S->r[id];

	assert(S->n_running > 0);
	if (q->prev >= 0)
		S->r[q->prev].next = q->next;
	else
		S->run_head = q->next;
	if (q->next >= 0)
		S->r[q->next].prev = q->prev;
	else
		S->run_tail = q->prev;
	q->prev = q->next = -1;
	S->n_running--;
}

static void wq_push_back(struct sim *S, int32_t id)
{
	assert(S->wq_n < S->n);
	S->ws->wq[(S->wq_head + S->wq_n) % S->n] = id;
	S->wq_n++;
}

static void wq_push_front(struct sim *S, int32_t id)
{
	assert(S->wq_n < S->n);
	S->wq_head = (S->wq_head + S->n - 1) % S->n;
	S->ws->wq[S->wq_head] = id;
	S->wq_n++;
}

static int32_t wq_front(const struct sim *S)
{
	assert(S->wq_n > 0);
	return S->ws->wq[S->wq_head];
}

static void wq_pop_front(struct sim *S)
{
	assert(S->wq_n > 0);
	S->wq_head = (S->wq_head + 1) % S->n;
	S->wq_n--;
}

static void pf_remove(struct sim *S, int32_t id)
{
	int32_t *pf = S->ws->pf;
	long j = 0;

	for (long i = 0; i < S->pf_n; i++)
		if (pf[i] != id)
			pf[j++] = pf[i];
	S->pf_n = j;
}

/* ---- decode set aggregates ---------------------------------------------------- */

static void dec_add(struct sim *S, int32_t id)
{
	struct req *q = &S->r[id];
	int64_t rel = (int64_t)q->base - q->g0;

	assert(q->state == R_DECODE && S->n_heap < S->n);
	S->sum_base += rel;
	S->cnt[residue(rel)]++;
	S->ws->heap[S->n_heap] = id;
	q->heap_pos = (int32_t)S->n_heap;
	S->n_heap++;
	heap_up(S, q->heap_pos);
}

static void dec_remove(struct sim *S, int32_t id)
{
	struct req *q = &S->r[id];
	int64_t rel = (int64_t)q->base - q->g0;

	assert(q->heap_pos >= 0 && q->heap_pos < S->n_heap &&
	       S->ws->heap[q->heap_pos] == id);
	assert(S->cnt[residue(rel)] > 0);
	S->sum_base -= rel;
	S->cnt[residue(rel)]--;
	heap_remove_at(S, q->heap_pos);
}

/* ---- request life ------------------------------------------------------------- */

static void arrive(struct sim *S, int32_t id)
{
	struct req *q = &S->r[id];

	assert(q->state == R_PENDING);
	q->arrive_ns = S->now;
	q->state = R_WAITING;
	if (S->first_arrival_ns < 0)
		S->first_arrival_ns = S->now;
	S->n_in_sys++;
	wq_push_back(S, id);
}

static void finish(struct sim *S, int32_t id, long kv_len)
{
	struct req *q = &S->r[id];
	struct fs_replica_ws *ws = S->ws;
	/* The engine's per-request host work delays what the client sees, not the GPU. */
	double fixed = fs_serve_request_fixed_s(S->m);
	double first = (double)(q->first_ns - q->arrive_ns) / 1e9 + fixed;
	double e2e = (double)(S->now - q->arrive_ns) / 1e9 + fixed;

	assert(S->n_done < S->n && S->n_in_sys > 0);
	S->free_blocks += blocks_for(kv_len);
	assert(S->free_blocks <= S->m->n_kv_blocks);
	run_unlink(S, id);
	q->state = R_DONE;
	ws->ttft[S->n_done] = first;
	ws->e2e[S->n_done] = e2e;
	S->n_done++;
	if (q->out_len > 1)
		ws->tpot[S->n_tpot++] = (double)(S->now - q->first_ns) / 1e9 / (q->out_len - 1);
	if (S->w->count_ttft_s > 0 && first <= S->w->count_ttft_s &&
	    (q->out_len <= 1 ||
	     (double)(S->now - q->first_ns) / 1e9 / (q->out_len - 1) <= S->w->count_tpot_s)) {
		S->n_within++;
		S->out_within += q->out_len;
	}
	S->n_in_sys--;
	S->last_finish_ns = S->now;
	S->out_tokens += q->out_len;
	S->in_tokens += q->in_len;
	if (S->w->arrival == FS_ARRIVAL_CLOSED && S->next_issue < S->n)
		arrive(S, (int32_t)S->next_issue++);
}

/* Preempts the most recently admitted running request (vLLM's victim). */
static void preempt_tail(struct sim *S)
{
	int32_t id = S->run_tail;
	struct req *q = &S->r[id];

	long held, tokens;

	if (q->state == R_DECODE) {
		int64_t k = S->G - q->g0;
		tokens = q->base + (long)k;
		q->gen += (int32_t)k;
		dec_remove(S, id);
	} else {
		tokens = q->pf_done;
		pf_remove(S, id);
	}
	held = blocks_for(tokens);
	q->cached_tokens = S->s->prefix_caching ? (int32_t)tokens : 0;
	q->cached_blocks = held;
	q->older_free_blocks = S->free_blocks;
	q->alloc_at_preempt = S->blocks_allocated;
	S->free_blocks += held;
	S->preempted_this_step = true;
	run_unlink(S, id);
	q->pf_target = q->in_len + q->gen;
	q->pf_done = 0;
	q->state = R_WAITING;
	wq_push_front(S, id);
	S->n_preempt++;
}

static void take_blocks(struct sim *S, long n)
{
	S->free_blocks -= n;
	S->blocks_allocated += n;
}

/*
 * Tokens of a preempted request still in the prefix cache. Freed blocks are
 * reused oldest first (vLLM's free queue), and a request's own blocks from
 * its last block backwards, so its prefix survives until the allocations
 * since its preemption exceed the blocks that were free before it.
 */
static long cached_prefix(const struct sim *S, const struct req *q)
{
	int64_t used = S->blocks_allocated - q->alloc_at_preempt - q->older_free_blocks;
	long keep = q->cached_blocks - (used > 0 ? (long)used : 0);
	long tokens;

	if (keep <= 0 || q->cached_tokens <= 0)
		return 0;
	tokens = keep * BT;
	return tokens < q->cached_tokens ? tokens : q->cached_tokens;
}

static void schedule_chunk(struct sim *S, struct fs_serve_batch *b, int32_t id, long c)
{
	struct req *q = &S->r[id];

	S->ws->sid[S->n_sched] = id;
	S->ws->sc[S->n_sched] = (int32_t)c;
	S->n_sched++;
	take_blocks(S, blocks_for(q->pf_done + c) - blocks_for(q->pf_done));
	b->n_prefill_tokens += (double)c;
	b->n_prefill_seqs += 1.0;
	b->prefill_attn_units += (double)c * ((double)q->pf_done + 0.5 * (double)c);
	if (q->pf_done + c == q->pf_target)
		b->n_logits += 1.0;
}

/*
 * Builds the next iteration into b: running decodes (preempting when their
 * blocks run out), continuing prefills, then admissions. Returns the number
 * of sequences scheduled.
 */
static long build(struct sim *S, struct fs_serve_batch *b)
{
	const struct fs_replica_sched *s = S->s;
	long budget = s->max_batched_tokens > 0 ? s->max_batched_tokens : LONG_MAX;
	long left, need;

	memset(b, 0, sizeof(*b));
	S->n_sched = 0;
	S->preempted_this_step = false;
	for (;;) {
		need = S->cnt[residue(-S->G)];
		if (need <= S->free_blocks || S->n_running == 0)
			break;
		preempt_tail(S);
	}
	take_blocks(S, need);
	b->n_decode = (double)S->n_heap;
	b->decode_ctx_tokens = (double)(S->sum_base + (int64_t)S->n_heap * (S->G + 1));
	b->n_logits = (double)S->n_heap;
	left = budget - S->n_heap;

	/* Prompts already partly computed go first (chunked prefill only). */
	for (long i = 0; i < S->pf_n && left > 0; i++) {
		int32_t id = S->ws->pf[i];
		struct req *q = &S->r[id];
		long rem = q->pf_target - q->pf_done;
		long room = blocks_for(q->pf_done) * BT - q->pf_done + S->free_blocks * BT;
		long c = rem < left ? rem : left;
		if (c > room)
			c = room;
		if (c <= 0)
			continue;
		schedule_chunk(S, b, id, c);
		left -= c;
	}
	/* vLLM admits nothing in a step that had to preempt. */
	while (!S->preempted_this_step && S->wq_n > 0 && S->n_running < s->max_num_seqs &&
	       left > 0) {
		int32_t id = wq_front(S);
		struct req *q = &S->r[id];
		long hit = cached_prefix(S, q), rem, c;
		/* A prefix-cache hit skips recomputing its tokens; one token always runs. */
		if (hit >= q->pf_target)
			hit = q->pf_target - 1;
		rem = q->pf_target - hit;
		if (s->chunked_prefill) {
			c = rem < left ? rem : left;
		} else {
			/* Whole prompts only; one larger than the budget runs alone. */
			if (rem > left && (S->n_heap > 0 || S->n_sched > 0))
				break;
			c = rem;
		}
		if (blocks_for(hit + c) > S->free_blocks)
			break;
		wq_pop_front(S);
		q->state = R_PREFILL;
		q->pf_done = 0;
		if (hit > 0) {
			take_blocks(S, blocks_for(hit));
			q->pf_done = (int32_t)hit;
		}
		run_append(S, id);
		S->ws->pf[S->pf_n++] = id;
		schedule_chunk(S, b, id, c);
		left -= c;
	}
	return S->n_heap + S->n_sched;
}

/* Applies the iteration that just ended at S->now. */
static void complete(struct sim *S)
{
	struct fs_replica_ws *ws = S->ws;
	long j = 0;

	S->G++;
	while (S->n_heap > 0 && S->r[ws->heap[0]].fin_g <= S->G) {
		int32_t id = ws->heap[0];
		struct req *q = &S->r[id];
		long len = q->base + (long)(S->G - q->g0);
		dec_remove(S, id);
		finish(S, id, len);
	}
	for (long k = 0; k < S->n_sched; k++) {
		int32_t id = ws->sid[k];
		struct req *q = &S->r[id];
		q->pf_done += ws->sc[k];
		if (q->pf_done < q->pf_target)
			continue;
		q->gen++;
		if (q->first_ns < 0)
			q->first_ns = S->now;
		if (q->gen >= q->out_len) {
			q->state = R_DONE; /* finish() below; pf entry dropped next */
			finish(S, id, q->pf_target);
			continue;
		}
		q->state = R_DECODE;
		q->base = q->pf_target;
		q->g0 = S->G;
		q->fin_g = S->G + (q->out_len - q->gen);
		dec_add(S, id);
	}
	for (long i = 0; i < S->pf_n; i++)
		if (S->r[ws->pf[i]].state == R_PREFILL)
			ws->pf[j++] = ws->pf[i];
	S->pf_n = j;
	S->n_sched = 0;
}

static enum fs_status try_start(struct sim *S, struct fs_error *e)
{
	struct fs_serve_batch b;
	double t;
	int64_t dt;
	long seqs;

	if (S->busy || (S->n_running == 0 && S->wq_n == 0))
		return FS_OK;
	for (;;) {
		seqs = build(S, &b);
		if (seqs > 0)
			break;
		/* Everything running was preempted and admissions waited a step: retry. */
		if (S->preempted_this_step)
			continue;
		if (S->n_running == 0)
			return fs_error_set(e, FS_ERR_INFEASIBLE, NULL, 0, NULL,
					    "a request of %d prompt tokens cannot get KV blocks "
					    "(%ld free of %ld)", S->r[wq_front(S)].pf_target,
					    S->free_blocks, S->m->n_kv_blocks);
		/* Prefills stuck on blocks with nothing decoding: free the newest. */
		preempt_tail(S);
	}
	t = fs_serve_iter_time_s(S->m, &b);
	dt = (int64_t)llround(t * 1e9);
	if (dt < 1)
		dt = 1;
	S->iter_end_ns = S->now + dt;
	S->busy = true;
	S->busy_ns += (double)dt;
	S->n_iter++;
	S->batch_seqs_sum += (double)seqs;
	return FS_OK;
}

/* ---- statistics ----------------------------------------------------------------- */

static void swapd(double *a, double *b)
{
	double t = *a;
	*a = *b;
	*b = t;
}

/* k-th smallest of x[0..n) (0-based), partially reordering x. O(n) expected. */
static double select_k(double *x, long n, long k)
{
	long lo = 0, hi = n - 1;

	while (hi > lo) {
		double pivot;
		long i = lo, j = hi, mid = lo + (hi - lo) / 2;
		/* median of three */
		if (x[mid] < x[lo])
			swapd(&x[mid], &x[lo]);
		if (x[hi] < x[lo])
			swapd(&x[hi], &x[lo]);
		if (x[hi] < x[mid])
			swapd(&x[hi], &x[mid]);
		pivot = x[mid];
		while (i <= j) {
			while (x[i] < pivot)
				i++;
			while (x[j] > pivot)
				j--;
			if (i <= j) {
				swapd(&x[i], &x[j]);
				i++;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return x[k];
	}
	return x[k];
}

/* Percentile p (0..100) with linear interpolation between order statistics (numpy's default). */
static double percentile(double *x, long n, double p)
{
	double pos, frac, lo, hi;
	long k;

	if (n <= 0)
		return NAN;
	pos = p / 100.0 * (double)(n - 1);
	k = (long)floor(pos);
	frac = pos - (double)k;
	lo = select_k(x, n, k);
	if (frac <= 0 || k + 1 >= n)
		return lo;
	/* After selection, x[k+1..] are all >= lo: the next order statistic is their minimum. */
	hi = x[k + 1];
	for (long i = k + 2; i < n; i++)
		if (x[i] < hi)
			hi = x[i];
	return lo + frac * (hi - lo);
}

static double mean_of(const double *x, long n)
{
	double s = 0;

	for (long i = 0; i < n; i++)
		s += x[i];
	return n > 0 ? s / (double)n : NAN;
}

static void fill_stats(struct sim *S, struct fs_replica_stats *o)
{
	struct fs_replica_ws *ws = S->ws;
	long n = S->n_done, nt = S->n_tpot;
	double span = (double)(S->last_finish_ns - S->first_arrival_ns) / 1e9;

	memset(o, 0, sizeof(*o));
	o->n_requests = n;
	o->n_preemptions = S->n_preempt;
	o->n_iterations = S->n_iter;
	o->makespan_s = span;
	o->ttft_mean_s = mean_of(ws->ttft, n);
	o->tpot_mean_s = mean_of(ws->tpot, nt);
	o->e2e_mean_s = mean_of(ws->e2e, n);
	o->ttft_p50_s = percentile(ws->ttft, n, 50);
	o->ttft_p90_s = percentile(ws->ttft, n, 90);
	o->ttft_p99_s = percentile(ws->ttft, n, 99);
	o->tpot_p50_s = percentile(ws->tpot, nt, 50);
	o->tpot_p90_s = percentile(ws->tpot, nt, 90);
	o->tpot_p99_s = percentile(ws->tpot, nt, 99);
	o->e2e_p50_s = percentile(ws->e2e, n, 50);
	o->e2e_p90_s = percentile(ws->e2e, n, 90);
	o->e2e_p99_s = percentile(ws->e2e, n, 99);
	o->input_tokens = S->in_tokens;
	o->output_tokens = S->out_tokens;
	if (span > 0) {
		o->requests_per_s = (double)n / span;
		o->output_tokens_per_s = S->out_tokens / span;
		o->total_tokens_per_s = (S->in_tokens + S->out_tokens) / span;
		o->mean_in_flight = S->in_sys_ns_sum / 1e9 / span;
		o->busy_frac = S->busy_ns / 1e9 / span;
	}
	o->mean_batch_seqs = S->n_iter > 0 ? S->batch_seqs_sum / (double)S->n_iter : 0;
	o->max_running = S->max_running;
	o->n_within_slo = S->n_within;
	o->output_tokens_within_slo = S->out_within;
}

/* ---- the run ------------------------------------------------------------------------ */

static enum fs_status check_inputs(const struct fs_serve_model *m, const struct fs_replica_sched *s,
				   const struct fs_replica_workload *w, struct fs_error *e)
{
	if (w->n_requests < 1 || w->n_requests > INT32_MAX / 2)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "requests",
				    "%ld requests; expected 1 .. %d", w->n_requests, INT32_MAX / 2);
	if (s->max_num_seqs < 1)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "max_num_seqs",
				    "max_num_seqs %d; expected at least 1", s->max_num_seqs);
	if (s->max_batched_tokens < 0)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "max_batched_tokens",
				    "token budget %ld; expected 0 (unlimited) or more", s->max_batched_tokens);
	if (s->max_batched_tokens > 0 && s->max_batched_tokens < s->max_num_seqs)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "max_batched_tokens",
				    "token budget %ld is below max_num_seqs %d; every running sequence "
				    "needs a token per iteration", s->max_batched_tokens, s->max_num_seqs);
	switch (w->arrival) {
	case FS_ARRIVAL_POISSON:
		if (!(w->qps > 0) || !isfinite(w->qps))
			return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "qps",
					    "request rate %g; expected a positive number", w->qps);
		break;
	case FS_ARRIVAL_CLOSED:
		if (w->concurrency < 1)
			return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "batch",
					    "%d sequences in flight; expected at least 1", w->concurrency);
		break;
	case FS_ARRIVAL_TRACE:
		if (!w->trace_s)
			return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "trace", "no arrival times given");
		for (long i = 0; i < w->n_requests; i++)
			if (!(w->trace_s[i] >= 0) || (i > 0 && w->trace_s[i] < w->trace_s[i - 1]))
				return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "trace",
						    "arrival %ld at %g s: times must be >= 0 and non-decreasing",
						    i, w->trace_s[i]);
		break;
	case FS_ARRIVAL_BURST:
		break;
	default:
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "arrival", "unknown arrival kind");
	}
	if (m->n_kv_blocks < 1)
		return fs_error_set(e, FS_ERR_INFEASIBLE, NULL, 0, NULL, "no memory left for the KV cache");
	return FS_OK;
}

/* Draws every request's lengths and (open loop) arrival time. */
static enum fs_status make_requests(struct sim *S, struct fs_error *e)
{
	const struct fs_replica_workload *w = S->w;
	struct fs_replica_ws *ws = S->ws;
	double cum = 0;

	gsl_rng_set(ws->rng_arr, (unsigned long)fs_seed_mix(w->seed, "replica.arrivals"));
	gsl_rng_set(ws->rng_len, (unsigned long)fs_seed_mix(w->seed, "replica.lengths"));
	for (long i = 0; i < S->n; i++) {
		struct req *q = &S->r[i];
		memset(q, 0, sizeof(*q));
		q->in_len = draw_len(&w->input_tokens, ws->rng_len);
		q->out_len = draw_len(&w->output_tokens, ws->rng_len);
		q->pf_target = q->in_len;
		q->first_ns = -1;
		q->heap_pos = -1;
		q->prev = q->next = -1;
		q->state = R_PENDING;
		if (fs_serve_max_seqs(S->m, (long)q->in_len + q->out_len) < 1)
			return fs_serve_check_fits(S->m, (long)q->in_len + q->out_len, e);
		if (w->arrival == FS_ARRIVAL_POISSON) {
			cum += gsl_ran_exponential(ws->rng_arr, 1.0);
			q->arrive_ns = (int64_t)llround(cum / w->qps * 1e9);
		} else if (w->arrival == FS_ARRIVAL_TRACE) {
			q->arrive_ns = (int64_t)llround(w->trace_s[i] * 1e9);
		}
	}
	return FS_OK;
}

/*
 * The run's invariants, between events (O(1), asserts): every request in
 * the system is waiting or running; decodes are running; KV blocks and
 * counts stay in range; an iteration in flight ends no earlier than now.
 */
static void sim_check(const struct sim *S)
{
	assert(S->n_in_sys == S->wq_n + S->n_running);
	assert(S->n_heap <= S->n_running && S->pf_n <= S->n_running);
	assert(S->n_done + S->n_in_sys <= S->n);
	assert(S->free_blocks >= 0 && S->free_blocks <= S->m->n_kv_blocks);
	assert(!S->busy || S->iter_end_ns >= S->now);
	assert(S->next_arrival < S->n);
	(void)S;
}

/* The earliest pending event: time, then the arrival first at equal times. */
static enum ev_kind next_event(const struct sim *S)
{
	if (S->next_arrival < 0)
		return S->busy ? EV_ITER_END : EV_NONE;
	if (!S->busy || S->r[S->next_arrival].arrive_ns <= S->iter_end_ns)
		return EV_ARRIVE;
	return EV_ITER_END;
}

/* The pending arrival happens; the next request's becomes pending. */
static void on_arrival(struct sim *S)
{
	int32_t id = S->next_arrival;

	arrive(S, id);
	S->next_arrival = id + 1 < S->n ? id + 1 : -1;
	assert(S->next_arrival < 0 ||
	       S->r[S->next_arrival].arrive_ns >= S->r[id].arrive_ns);
}

enum fs_status fs_replica_run(struct fs_replica_ws *ws, const struct fs_serve_model *m,
			      const struct fs_replica_sched *s, const struct fs_replica_workload *w,
			      struct fs_replica_stats *out, struct fs_error *e)
{
	struct sim S;
	enum ev_kind k;
	enum fs_status st;

	if ((st = check_inputs(m, s, w, e)))
		return st;
	if (ws_reserve(ws, w->n_requests) != FS_OK)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "no memory for %ld requests",
				    w->n_requests);
	memset(&S, 0, sizeof(S));
	S.ws = ws;
	S.r = ws->r;
	S.m = m;
	S.s = s;
	S.w = w;
	S.n = w->n_requests;
	S.run_head = S.run_tail = -1;
	S.free_blocks = m->n_kv_blocks;
	S.first_arrival_ns = -1;
	S.next_arrival = -1;
	if ((st = make_requests(&S, e)))
		return st;

	switch (w->arrival) {
	case FS_ARRIVAL_CLOSED:
		while (S.next_issue < S.n && S.next_issue < w->concurrency)
			arrive(&S, (int32_t)S.next_issue++);
		break;
	case FS_ARRIVAL_BURST:
		for (long i = 0; i < S.n; i++)
			arrive(&S, (int32_t)i);
		break;
	default:
		S.next_arrival = 0;
	}
	if ((st = try_start(&S, e)))
		return st;
	while ((k = next_event(&S)) != EV_NONE) {
		int64_t t = k == EV_ARRIVE ? S.r[S.next_arrival].arrive_ns : S.iter_end_ns;

		assert(t >= S.now);
		S.in_sys_ns_sum += (double)S.n_in_sys * (double)(t - S.now);
		S.now = t;
		switch (k) {
		case EV_ARRIVE:
			on_arrival(&S);
			break;
		case EV_ITER_END:
			S.busy = false;
			complete(&S);
			break;
		case EV_NONE:
			break;
		}
		if ((st = try_start(&S, e)))
			return st;
		sim_check(&S);
	}
	if (S.n_done != S.n)
		return fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL,
				    "run ended with %ld of %ld requests finished", S.n_done, S.n);
	fill_stats(&S, out);
	return FS_OK;
}
