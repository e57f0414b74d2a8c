/*
 * replica_capacity.c - capacity of a replica at latency objectives and its
 * latency-vs-load curve, memoised (replica.h).
 *
 * Search (after Vidur-Search, capacity_search.py): the saturation rate X
 * comes from a burst run that keeps the replica full. A probe at rate q
 * runs the full Poisson simulation with one fixed seed (common random
 * numbers: the same requests at compressed or stretched times) and passes
 * when p99 TTFT and p99 TPOT meet the objectives. The bracket [0.01 X, 1.2 X]
 * is bisected geometrically until it is narrower than 2.5 % of its lower end
 * (Vidur's stopping rule) or after 24 probes.
 */
#include "fleetsim/replica.h"

#include "fleetsim/dispatch.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_interp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_PROBE_REQUESTS 4000
#define MAX_PROBES 24
#define BRACKET_LO_FRAC 0.01
#define BRACKET_HI_FRAC 1.2
#define STOP_REL_WIDTH 0.025

/* Words of a spec's key: GPU, model, serving and scheduler settings, two distributions. */
#define KEY_N FS_REPLICA_KEY_WORDS

struct entry {
	uint64_t hash;
	size_t key_n;
	uint64_t key[KEY_N]; /* by value: the caller's records may change or go */
	struct fs_replica_curve curve;
};

struct fs_replica_memo {
	struct entry **e;
	long n, cap;
	struct fs_replica_ws *ws;
};

enum fs_status fs_replica_memo_create(struct fs_replica_memo **out)
{
	struct fs_replica_memo *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return FS_ERR_NOMEM;
	if (fs_replica_ws_create(&m->ws, DEFAULT_PROBE_REQUESTS) != FS_OK) {
		free(m);
		return FS_ERR_NOMEM;
	}
	*out = m;
	return FS_OK;
}

static void curve_free_interp(struct fs_replica_curve *c)
{
	for (int k = 0; k < FS_RM_COUNT; k++) {
		if (c->interp[k])
			gsl_interp_free(c->interp[k]);
		c->interp[k] = NULL;
	}
}

void fs_replica_memo_destroy(struct fs_replica_memo *memo)
{
	if (!memo)
		return;
	for (long i = 0; i < memo->n; i++) {
		curve_free_interp(&memo->e[i]->curve);
		free(memo->e[i]);
	}
	free(memo->e);
	fs_replica_ws_destroy(memo->ws);
	free(memo);
}

long fs_replica_memo_size(const struct fs_replica_memo *memo)
{
	return memo->n;
}

/* ---- keys ------------------------------------------------------------------ */

/*
 * Every input the curve depends on, by value: the model and GPU records
 * through their catalog field tables (so a new catalog field joins the key
 * by itself), then every field of the spec.
 */
static void spec_key(const struct fs_replica_spec *s, struct fs_key *k)
{
	fs_llm_key(k, s->serve.llm);
	fs_gpu_key(k, s->serve.gpu);
	fs_key_i64(k, s->serve.tp);
	fs_key_i64(k, s->serve.precision);
	fs_key_u64(k, s->serve.legacy_gqa_attention);
	fs_key_double(k, s->serve.mem_util_frac);
	fs_key_i64(k, s->serve.engine);
	fs_key_i64(k, s->serve.ep);
	fs_key_i64(k, s->sched.max_num_seqs);
	fs_key_i64(k, s->sched.max_batched_tokens);
	fs_key_u64(k, s->sched.chunked_prefill);
	fs_key_u64(k, s->sched.prefix_caching);
	fs_dist_key(k, &s->input_tokens);
	fs_dist_key(k, &s->output_tokens);
	fs_key_double(k, s->slo.ttft_p99_s);
	fs_key_double(k, s->slo.tpot_p99_s);
	fs_key_i64(k, s->n_requests);
	fs_key_u64(k, s->seed);
}

static bool entry_has_key(const struct entry *en, const struct fs_key *k, uint64_t hash)
{
	return en->hash == hash && en->key_n == k->n &&
	       memcmp(en->key, k->w, k->n * sizeof(*k->w)) == 0;
}

/* ---- search ---------------------------------------------------------------- */

struct search {
	struct fs_replica_ws *ws;
	const struct fs_serve_model *m;
	const struct fs_replica_spec *spec;
	struct fs_replica_workload w;
	int probes;
};

static enum fs_status probe(struct search *S, double qps, struct fs_replica_stats *st,
			    bool *ok, struct fs_error *e)
{
	enum fs_status rc;

	S->w.arrival = FS_ARRIVAL_POISSON;
	S->w.qps = qps;
	rc = fs_replica_run(S->ws, S->m, &S->spec->sched, &S->w, st, e);
	S->probes++;
	if (rc)
		return rc;
	*ok = st->ttft_p99_s <= S->spec->slo.ttft_p99_s &&
	      (isnan(st->tpot_p99_s) || st->tpot_p99_s <= S->spec->slo.tpot_p99_s);
	return FS_OK;
}

static enum fs_status build_interp(struct fs_replica_curve *c, struct fs_error *e)
{
	const gsl_interp_type *t = c->n_points >= 3 ? gsl_interp_steffen : gsl_interp_linear;

	if (c->n_points < 2)
		return FS_OK;
	for (int k = 0; k < FS_RM_COUNT; k++) {
		gsl_interp *ip = gsl_interp_alloc(t, (size_t)c->n_points);
		if (!ip)
			return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "no memory for interpolation");
		c->interp[k] = ip;
		if (gsl_interp_init(ip, c->qps, c->y[k], (size_t)c->n_points) != GSL_SUCCESS)
			return fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL,
					    "latency curve interpolation failed");
	}
	return FS_OK;
}

static void put_point(struct fs_replica_curve *c, double qps, const struct fs_replica_stats *st)
{
	int i = c->n_points++;

	c->qps[i] = qps;
	c->y[FS_RM_TTFT_P50][i] = st->ttft_p50_s;
	c->y[FS_RM_TTFT_P99][i] = st->ttft_p99_s;
	/* No request with two output tokens: no TPOT; 0 keeps the interpolant defined. */
	c->y[FS_RM_TPOT_P50][i] = isnan(st->tpot_p50_s) ? 0.0 : st->tpot_p50_s;
	c->y[FS_RM_TPOT_P99][i] = isnan(st->tpot_p99_s) ? 0.0 : st->tpot_p99_s;
	c->y[FS_RM_E2E_MEAN][i] = st->e2e_mean_s;
	c->y[FS_RM_OUT_TOKENS_PER_S][i] = st->output_tokens_per_s;
}

static enum fs_status search(struct search *S, struct fs_replica_curve *c, struct fs_error *e)
{
	static const double fracs[] = { 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7,
					0.8, 0.9, 0.95, 1.0, 1.05, 1.1 };
	struct fs_replica_stats st, best;
	enum fs_status rc;
	double X, lo, hi, ref;
	bool ok;

	/* Saturation: everything at once keeps the replica full. */
	S->w.arrival = FS_ARRIVAL_BURST;
	if ((rc = fs_replica_run(S->ws, S->m, &S->spec->sched, &S->w, &st, e)))
		return rc;
	S->probes++;
	X = st.requests_per_s;
	c->saturation_qps = X;

	lo = BRACKET_LO_FRAC * X;
	if ((rc = probe(S, lo, &best, &ok, e)))
		return rc;
	if (!ok) {
		/* The objectives fail even when the replica is nearly idle. */
		c->capacity_qps = 0;
		c->at_capacity = best;
	} else {
		hi = BRACKET_HI_FRAC * X;
		if ((rc = probe(S, hi, &st, &ok, e)))
			return rc;
		if (ok) {
			lo = hi;
			best = st;
		} else {
			while (hi - lo > STOP_REL_WIDTH * lo && S->probes < MAX_PROBES) {
				double mid = sqrt(lo * hi);
				if ((rc = probe(S, mid, &st, &ok, e)))
					return rc;
				if (ok) {
					lo = mid;
					best = st;
				} else {
					hi = mid;
				}
			}
		}
		c->capacity_qps = lo;
		c->at_capacity = best;
	}

	ref = c->capacity_qps > 0 ? c->capacity_qps : X;
	for (size_t i = 0; i < sizeof(fracs) / sizeof(fracs[0]); i++) {
		double q = fracs[i] * ref;
		/* Above capacity only while the replica is not saturated (latency grows without bound). */
		if (fracs[i] > 1.0 && q > 0.98 * X)
			break;
		if ((rc = probe(S, q, &st, &ok, e)))
			return rc;
		put_point(c, q, &st);
	}
	return build_interp(c, e);
}

enum fs_status fs_replica_capacity(struct fs_replica_memo *memo, const struct fs_replica_spec *spec,
				   const struct fs_replica_curve **out, struct fs_error *e)
{
	struct fs_serve_model m;
	struct search S;
	struct entry *en;
	enum fs_status rc;
	long per_seq;
	uint64_t words[KEY_N], hash;
	struct fs_key key;

	*out = NULL;
	fs_key_init(&key, words, KEY_N);
	spec_key(spec, &key);
	hash = fs_key_hash(&key);
	for (long i = 0; i < memo->n; i++) {
		if (entry_has_key(memo->e[i], &key, hash)) {
			*out = &memo->e[i]->curve;
			return FS_OK;
		}
	}
	if (!(spec->slo.ttft_p99_s > 0) || !(spec->slo.tpot_p99_s > 0))
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "slo",
				    "latency objectives %g s (TTFT) and %g s (TPOT); expected positive",
				    spec->slo.ttft_p99_s, spec->slo.tpot_p99_s);
	if ((rc = fs_serve_model_init(&m, &spec->serve, e)))
		return rc;
	per_seq = (long)ceil(fs_dist_mean(&spec->input_tokens) + fs_dist_mean(&spec->output_tokens));
	if ((rc = fs_serve_check_fits(&m, per_seq, e)))
		return rc;

	if (memo->n == memo->cap) {
		long ncap = memo->cap ? memo->cap * 2 : 8;
		struct entry **p = realloc(memo->e, (size_t)ncap * sizeof(*p));
		if (!p)
			return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "no memory for the memo");
		memo->e = p;
		memo->cap = ncap;
	}
	en = calloc(1, sizeof(*en));
	if (!en)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "no memory for the memo");
	en->hash = hash;
	en->key_n = key.n;
	memcpy(en->key, words, key.n * sizeof(*words));
	en->curve.max_concurrent_seqs = fs_serve_max_seqs(&m, per_seq);

	memset(&S, 0, sizeof(S));
	S.ws = memo->ws;
	S.m = &m;
	S.spec = spec;
	S.w.n_requests = spec->n_requests > 0 ? spec->n_requests : DEFAULT_PROBE_REQUESTS;
	S.w.input_tokens = spec->input_tokens;
	S.w.output_tokens = spec->output_tokens;
	S.w.seed = spec->seed;
	rc = search(&S, &en->curve, e);
	en->curve.n_probes = S.probes;
	if (rc) {
		curve_free_interp(&en->curve);
		free(en);
		return rc;
	}
	memo->e[memo->n++] = en;
	*out = &en->curve;
	return FS_OK;
}

/* ---- export and import ------------------------------------------------------ */

/* "FSRMEMO1": the first word of an export, then the entry count. */
#define EXPORT_MAGIC 0x314f4d454d525346ull

enum fs_status fs_replica_memo_export(const struct fs_replica_memo *memo, struct fs_dbuf *out)
{
	uint64_t head[2] = { EXPORT_MAGIC, (uint64_t)memo->n };

	if (fs_dbuf_put(out, head, sizeof(head)))
		return FS_ERR_NOMEM;
	for (long i = 0; i < memo->n; i++) {
		const struct entry *en = memo->e[i];
		struct fs_replica_curve c;
		uint64_t w[2] = { en->hash, (uint64_t)en->key_n };

		/* entries are calloc'd, so the copy's padding (none today) is zero too */
		memcpy(&c, &en->curve, sizeof(c));
		for (int k = 0; k < FS_RM_COUNT; k++)
			c.interp[k] = NULL;
		if (fs_dbuf_put(out, w, sizeof(w)) ||
		    fs_dbuf_put(out, en->key, en->key_n * sizeof(*en->key)) ||
		    fs_dbuf_put(out, &c, sizeof(c)))
			return FS_ERR_NOMEM;
	}
	return FS_OK;
}

/* Reads n bytes at *p into dst when they lie before end. */
static bool take_bytes(const unsigned char **p, const unsigned char *end, void *dst, size_t n)
{
	if ((size_t)(end - *p) < n)
		return false;
	memcpy(dst, *p, n);
	*p += n;
	return true;
}

/* One entry of an export at *p into en (interpolants NULL); false when the bytes are not one. */
static bool read_entry(const unsigned char **p, const unsigned char *end, struct entry *en)
{
	struct fs_key k;
	uint64_t w[2];

	memset(en, 0, sizeof(*en));
	if (!take_bytes(p, end, w, sizeof(w)) || w[1] > KEY_N)
		return false;
	en->hash = w[0];
	en->key_n = (size_t)w[1];
	if (!take_bytes(p, end, en->key, en->key_n * sizeof(*en->key)) ||
	    !take_bytes(p, end, &en->curve, sizeof(en->curve)))
		return false;
	for (int j = 0; j < FS_RM_COUNT; j++)
		en->curve.interp[j] = NULL;
	k.w = en->key;
	k.n = k.cap = en->key_n;
	if (fs_key_hash(&k) != en->hash)
		return false;
	if (en->curve.n_points < 0 || en->curve.n_points > FS_REPLICA_CURVE_MAX)
		return false;
	/* GSL wants strictly increasing abscissae */
	for (int j = 1; j < en->curve.n_points; j++)
		if (!(en->curve.qps[j] > en->curve.qps[j - 1]))
			return false;
	return true;
}

static struct entry *memo_find(const struct fs_replica_memo *memo, const uint64_t *key, size_t n,
			       uint64_t hash)
{
	for (long i = 0; i < memo->n; i++) {
		const struct entry *en = memo->e[i];
		if (en->hash == hash && en->key_n == n && memcmp(en->key, key, n * sizeof(*key)) == 0)
			return memo->e[i];
	}
	return NULL;
}

enum fs_status fs_replica_memo_import(struct fs_replica_memo *memo, const void *data, size_t n,
				      struct fs_error *e)
{
	const unsigned char *p = data, *end = p + n;
	uint64_t head[2];
	struct entry *tmp;
	enum fs_status rc;

	if (!take_bytes(&p, end, head, sizeof(head)) || head[0] != EXPORT_MAGIC ||
	    head[1] > (uint64_t)(n / sizeof(struct fs_replica_curve)))
		return fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL,
				    "replica memo: %zu bytes that are not an export", n);
	/* every entry checked before any is added: bad bytes add nothing */
	if (!(tmp = malloc(sizeof(*tmp))))
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "no memory for the memo");
	for (uint64_t i = 0; i < head[1]; i++) {
		if (!read_entry(&p, end, tmp)) {
			free(tmp);
			return fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL,
					    "replica memo: entry %llu of %llu is truncated or damaged",
					    (unsigned long long)i, (unsigned long long)head[1]);
		}
	}
	free(tmp);
	if (p != end)
		return fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL,
				    "replica memo: %zu bytes after the last entry", (size_t)(end - p));
	p = (const unsigned char *)data + sizeof(head);
	for (uint64_t i = 0; i < head[1]; i++) {
		struct entry *en = malloc(sizeof(*en));

		if (!en)
			return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "no memory for the memo");
		read_entry(&p, end, en);
		if (memo_find(memo, en->key, en->key_n, en->hash)) {
			free(en);
			continue;
		}
		if (memo->n == memo->cap) {
			long ncap = memo->cap ? memo->cap * 2 : 8;
			struct entry **pe = realloc(memo->e, (size_t)ncap * sizeof(*pe));
			if (!pe) {
				free(en);
				return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL,
						    "no memory for the memo");
			}
			memo->e = pe;
			memo->cap = ncap;
		}
		if ((rc = build_interp(&en->curve, e))) {
			curve_free_interp(&en->curve);
			free(en);
			return rc;
		}
		memo->e[memo->n++] = en;
	}
	return FS_OK;
}

size_t fs_replica_memo_key_of(const struct fs_replica_memo *memo, const struct fs_replica_curve *c,
			      uint64_t key[FS_REPLICA_KEY_WORDS])
{
	for (long i = 0; i < memo->n; i++) {
		const struct entry *en = memo->e[i];
		if (&en->curve == c) {
			memcpy(key, en->key, en->key_n * sizeof(*key));
			return en->key_n;
		}
	}
	return 0;
}

const struct fs_replica_curve *fs_replica_memo_find(const struct fs_replica_memo *memo,
						    const uint64_t *key, size_t n)
{
	uint64_t words[KEY_N];
	struct fs_key k;
	struct entry *en;

	if (n > KEY_N)
		return NULL;
	memcpy(words, key, n * sizeof(*key));
	k.w = words;
	k.n = k.cap = n;
	en = memo_find(memo, key, n, fs_key_hash(&k));
	return en ? &en->curve : NULL;
}

double fs_replica_curve_at(const struct fs_replica_curve *c, enum fs_replica_metric which,
			   double qps, bool *beyond)
{
	int n = c->n_points;

	if (beyond)
		*beyond = false;
	if ((unsigned)which >= FS_RM_COUNT || n < 1)
		return NAN;
	if (qps <= c->qps[0] || n < 2)
		return c->y[which][0];
	if (qps >= c->qps[n - 1]) {
		if (beyond)
			*beyond = qps > c->qps[n - 1];
		return c->y[which][n - 1];
	}
	return gsl_interp_eval(c->interp[which], c->qps, c->y[which], qps, NULL);
}
