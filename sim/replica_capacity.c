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

struct entry {
	struct fs_replica_spec key;
	struct fs_llm llm; /* copies: the key compares contents, not addresses */
	struct fs_gpu gpu;
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

static bool dist_same(const struct fs_dist *a, const struct fs_dist *b)
{
	if (a->kind != b->kind || a->a != b->a || a->b != b->b || a->lo != b->lo ||
	    a->hi != b->hi || a->n_values != b->n_values)
		return false;
	for (int i = 0; i < a->n_values && i < FS_MAX_CHOICES; i++)
		if (a->values[i] != b->values[i] || a->weights[i] != b->weights[i])
			return false;
	return true;
}

static bool llm_same(const struct fs_llm *a, const struct fs_llm *b)
{
	return strcmp(a->name, b->name) == 0 && a->n_layers == b->n_layers &&
	       a->hidden == b->hidden && a->n_heads == b->n_heads &&
	       a->n_kv_heads == b->n_kv_heads && a->ffn == b->ffn && a->vocab == b->vocab &&
	       a->gated_ffn == b->gated_ffn && a->tied_embeddings == b->tied_embeddings &&
	       a->n_experts == b->n_experts && a->n_experts_active == b->n_experts_active &&
	       a->params_b == b->params_b && a->active_params_b == b->active_params_b;
}

static bool gpu_same(const struct fs_gpu *a, const struct fs_gpu *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->arch, b->arch) == 0 &&
	       a->bf16_tflops == b->bf16_tflops && a->fp8_tflops == b->fp8_tflops &&
	       a->int8_tops == b->int8_tops && a->tf32_tflops == b->tf32_tflops &&
	       a->mem_gb == b->mem_gb && a->mem_bw_gbps == b->mem_bw_gbps &&
	       a->nvlink_gbps == b->nvlink_gbps && a->nvlink_domain == b->nvlink_domain &&
	       a->pcie_gbps == b->pcie_gbps && a->gemm_eff_frac == b->gemm_eff_frac &&
	       a->hbm_eff_frac == b->hbm_eff_frac;
}

static bool spec_same(const struct entry *en, const struct fs_replica_spec *s)
{
	const struct fs_replica_spec *k = &en->key;

	return llm_same(&en->llm, s->serve.llm) && gpu_same(&en->gpu, s->serve.gpu) &&
	       k->serve.tp == s->serve.tp && k->serve.precision == s->serve.precision &&
	       k->serve.legacy_gqa_attention == s->serve.legacy_gqa_attention &&
	       k->serve.mem_util_frac == s->serve.mem_util_frac &&
	       k->sched.max_num_seqs == s->sched.max_num_seqs &&
	       k->sched.max_batched_tokens == s->sched.max_batched_tokens &&
	       k->sched.chunked_prefill == s->sched.chunked_prefill &&
	       k->sched.prefix_caching == s->sched.prefix_caching &&
	       dist_same(&k->input_tokens, &s->input_tokens) &&
	       dist_same(&k->output_tokens, &s->output_tokens) &&
	       k->slo.ttft_p99_s == s->slo.ttft_p99_s && k->slo.tpot_p99_s == s->slo.tpot_p99_s &&
	       k->n_requests == s->n_requests && k->seed == s->seed;
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

	*out = NULL;
	for (long i = 0; i < memo->n; i++) {
		if (spec_same(memo->e[i], spec)) {
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
	en->key = *spec;
	en->llm = *spec->serve.llm;
	en->gpu = *spec->serve.gpu;
	en->key.serve.llm = &en->llm;
	en->key.serve.gpu = &en->gpu;
	m.cfg.llm = &en->llm;
	m.cfg.gpu = &en->gpu;
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
