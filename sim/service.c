/*
 * service.c - an inference service at fleet level (service.h): the TP size,
 * the replica capacity at the objectives (replica_capacity.c) and the
 * attainment-vs-load curve from request-level runs of one replica.
 *
 * The curve: Poisson runs of PROBE_REQUESTS requests at loads of 0.25 to
 * 2 times the capacity, with the seed of the capacity search (common random
 * numbers), each counting the requests whose own TTFT and TPOT meet the
 * objectives (fs_replica_stats.n_within_slo). Sampling noise could make the
 * share rise with load by a fraction of a percent; a running minimum keeps
 * the curve non-increasing (docs/models/serving.md, "Services at fleet level").
 */
#include "fleetsim/service.h"

#include "fleetsim/demand.h"
#include "fleetsim/dispatch.h"
#include "fleetsim/replica.h"

#include <assert.h>
#include <gsl/gsl_interp.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Requests per curve probe: the capacity search's own default. */
#define PROBE_REQUESTS 4000
/* Seed of every plan's runs: estimate serve's default, so both print one capacity. */
#define PLAN_SEED 1
#define N_TP_SIZES 4

static const int tp_sizes[N_TP_SIZES] = { 1, 2, 4, 8 };
static const double load_fracs[] = { 0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0 };

/* A plan, keyed by the capacity curve of its replica: the replica memo hands
 * out one curve per replica content (model, GPU, TP, precision, engine,
 * lengths, objectives), and a plan depends on nothing else, so a memo kept
 * across scenarios (a sweep's points) plans each such content once. */
struct entry {
	const struct fs_replica_curve *curve;
	struct fs_service_plan plan;
};

struct fs_service_memo {
	struct fs_replica_memo *rm;
	struct fs_replica_ws *ws;
	struct entry **e;
	long n, cap;
};

enum fs_status fs_service_memo_create(struct fs_service_memo **out)
{
	struct fs_service_memo *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return FS_ERR_NOMEM;
	if (fs_replica_memo_create(&m->rm) != FS_OK)
		goto fail_memo;
	if (fs_replica_ws_create(&m->ws, PROBE_REQUESTS) != FS_OK)
		goto fail_ws;
	*out = m;
	return FS_OK;
fail_ws:
	fs_replica_memo_destroy(m->rm);
fail_memo:
	free(m);
	return FS_ERR_NOMEM;
}

void fs_service_memo_destroy(struct fs_service_memo *memo)
{
	if (!memo)
		return;
	for (long i = 0; i < memo->n; i++)
		free(memo->e[i]);
	free(memo->e);
	fs_replica_ws_destroy(memo->ws);
	fs_replica_memo_destroy(memo->rm);
	free(memo);
}

static void replica_spec_of(const struct fs_service_spec *svc, const struct fs_gpu *g, int tp,
			    struct fs_replica_spec *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->serve.llm = svc->model;
	rs->serve.gpu = g;
	rs->serve.tp = tp;
	rs->serve.precision = svc->precision;
	rs->serve.engine = svc->engine;
	rs->sched = fs_replica_sched_default();
	rs->input_tokens = svc->input_tokens;
	rs->output_tokens = svc->output_tokens;
	rs->slo.ttft_p99_s = svc->ttft_p99_s;
	rs->slo.tpot_p99_s = svc->tpot_p99_s;
	rs->n_requests = PROBE_REQUESTS;
	rs->seed = PLAN_SEED;
}

static int replicas_for(double demand_rps, double capacity_rps)
{
	double r;

	if (!(demand_rps > 0))
		return 0;
	r = ceil(demand_rps / capacity_rps);
	return r < (double)INT32_MAX ? (int)r : INT32_MAX;
}

int fs_service_tp_sizes(const struct fs_service_spec *svc, int gpus_per_node, int sizes[4])
{
	int n = 0;

	if (svc->tp > 0) {
		if (svc->tp <= gpus_per_node)
			sizes[n++] = svc->tp;
		return n;
	}
	for (int i = 0; i < N_TP_SIZES; i++)
		if (tp_sizes[i] <= gpus_per_node)
			sizes[n++] = tp_sizes[i];
	return n;
}

enum fs_status fs_service_tp_table(struct fs_service_memo *memo, const struct fs_service_spec *svc,
				   const struct fs_gpu *g, int gpus_per_node, double design_rps,
				   struct fs_service_tp_row rows[4], int *n_rows, struct fs_error *e)
{
	struct fs_error why;
	int n = 0, tried = 0, n_sizes = svc->tp > 0 ? 1 : N_TP_SIZES;

	*n_rows = 0;
	fs_error_clear(&why);
	for (int i = 0; i < n_sizes; i++) {
		int tp = svc->tp > 0 ? svc->tp : tp_sizes[i];
		struct fs_replica_spec rs;
		const struct fs_replica_curve *c;
		enum fs_status rc;
		int reps;

		if (svc->tp == 0 && tp > gpus_per_node)
			continue;
		if (tp > gpus_per_node)
			return fs_error_set(e, FS_ERR_INFEASIBLE, NULL, 0, NULL,
					    "tp %d is more than the %d GPUs of a %s node", tp,
					    gpus_per_node, g->name);
		tried++;
		replica_spec_of(svc, g, tp, &rs);
		rc = fs_replica_capacity(memo->rm, &rs, &c, &why);
		if (rc == FS_ERR_NOMEM || rc == FS_ERR_SIM || (rc == FS_ERR_INPUT && svc->tp > 0)) {
			if (e)
				*e = why;
			return rc;
		}
		if (rc != FS_OK)
			continue; /* this size does not fit or shard the model */
		if (!(c->capacity_qps > 0)) {
			fs_error_set(&why, FS_ERR_INFEASIBLE, NULL, 0, NULL,
				     "tp %d: p99 TTFT %.3g s and TPOT %.3g s even at %.3g requests/s "
				     "miss the objectives (%.3g s, %.3g s)",
				     tp, c->at_capacity.ttft_p99_s, c->at_capacity.tpot_p99_s,
				     0.01 * c->saturation_qps, svc->ttft_p99_s, svc->tpot_p99_s);
			continue;
		}
		reps = replicas_for(design_rps, c->capacity_qps);
		rows[n].tp = tp;
		rows[n].capacity_rps = c->capacity_qps;
		rows[n].replicas = reps > 1 ? reps : 1;
		rows[n].gpus = rows[n].replicas * tp;
		n++;
	}
	if (n == 0) {
		if (tried == 0)
			return fs_error_set(e, FS_ERR_INFEASIBLE, NULL, 0, NULL,
					    "no tensor-parallel size fits a %d-GPU node", gpus_per_node);
		return fs_error_set(e, FS_ERR_INFEASIBLE, NULL, 0, NULL,
				    "%s on %s: no tensor-parallel size up to %d serves it (%s)",
				    svc->model->name, g->name, svc->tp > 0 ? svc->tp : gpus_per_node,
				    why.msg);
	}
	*n_rows = n;
	return FS_OK;
}

/* The attainment-vs-load curve of plan p (capacity already known). */
static enum fs_status build_curve(struct fs_service_memo *memo, struct fs_service_plan *p,
				  struct fs_error *e)
{
	struct fs_replica_spec rs;
	struct fs_serve_model m;
	struct fs_replica_workload w;
	struct fs_replica_stats st;
	enum fs_status rc;
	double n_within = 0, tokens_within = 0;
	int k = 0;

	replica_spec_of(p->svc, p->gpu, p->tp, &rs);
	if ((rc = fs_serve_model_init(&m, &rs.serve, e)))
		return rc;
	memset(&w, 0, sizeof(w));
	w.arrival = FS_ARRIVAL_POISSON;
	w.n_requests = PROBE_REQUESTS;
	w.input_tokens = rs.input_tokens;
	w.output_tokens = rs.output_tokens;
	w.seed = rs.seed;
	w.count_ttft_s = rs.slo.ttft_p99_s;
	w.count_tpot_s = rs.slo.tpot_p99_s;
	for (size_t i = 0; i < sizeof(load_fracs) / sizeof(load_fracs[0]); i++) {
		double a;

		w.qps = load_fracs[i] * p->capacity_rps;
		if ((rc = fs_replica_run(memo->ws, &m, &rs.sched, &w, &st, e)))
			return rc;
		a = (double)st.n_within_slo / (double)st.n_requests;
		if (load_fracs[i] <= 1.0) {
			n_within += (double)st.n_within_slo;
			tokens_within += st.output_tokens_within_slo;
		}
		if (k == 0) {
			/* An idle replica serves as well as one at a quarter of its capacity. */
			p->load_rps[k] = 0;
			p->attain_frac[k++] = a;
		}
		p->load_rps[k] = w.qps;
		p->attain_frac[k] = fmin(a, p->attain_frac[k - 1]);
		k++;
	}
	p->n_points = k;
	/* Sampled, not fs_dist_mean: draws are clamped and rounded, and served requests
	 * are the ones the objectives let through. */
	p->output_tokens_per_req = n_within > 0 ? tokens_within / n_within
						: fs_dist_mean(&rs.output_tokens);
	return FS_OK;
}

static struct entry *find_entry(const struct fs_service_memo *memo, const struct fs_replica_curve *c)
{
	for (long i = 0; i < memo->n; i++)
		if (memo->e[i]->curve == c)
			return memo->e[i];
	return NULL;
}

/* Appends a copy of plan, keyed by its replica curve c; *out is the entry. */
static enum fs_status add_entry(struct fs_service_memo *memo, const struct fs_replica_curve *c,
				const struct fs_service_plan *plan, struct entry **out,
				struct fs_error *e)
{
	struct entry *en;

	if (memo->n == memo->cap) {
		long ncap = memo->cap ? 2 * memo->cap : 4;
		struct entry **pe = realloc(memo->e, (size_t)ncap * sizeof(*pe));
		if (!pe)
			return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "no memory for service plans");
		memo->e = pe;
		memo->cap = ncap;
	}
	if (!(en = malloc(sizeof(*en))))
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "no memory for service plans");
	en->curve = c;
	en->plan = *plan;
	memo->e[memo->n++] = en;
	*out = en;
	return FS_OK;
}

enum fs_status fs_service_plan_get(struct fs_service_memo *memo, const struct fs_service_spec *svc,
				   const struct fs_gpu *g, int gpus_per_node, double design_rps,
				   const struct fs_service_plan **out, struct fs_error *e)
{
	struct fs_service_tp_row rows[N_TP_SIZES];
	struct fs_replica_spec rs;
	const struct fs_replica_curve *c;
	struct fs_service_plan plan;
	struct entry *en;
	enum fs_status rc;
	int n, best = 0;

	*out = NULL;
	if ((rc = fs_service_tp_table(memo, svc, g, gpus_per_node, design_rps, rows, &n, e)))
		return rc;
	/* Fewest GPUs for the design demand; ties keep the smaller TP (rows are in TP order). */
	for (int i = 1; i < n; i++)
		if (rows[i].gpus < rows[best].gpus)
			best = i;
	replica_spec_of(svc, g, rows[best].tp, &rs);
	if ((rc = fs_replica_capacity(memo->rm, &rs, &c, e))) /* memoised: a lookup */
		return rc;
	if ((en = find_entry(memo, c))) {
		*out = &en->plan;
		return FS_OK;
	}
	memset(&plan, 0, sizeof(plan));
	plan.svc = svc;
	plan.gpu = g;
	plan.tp = rows[best].tp;
	plan.capacity_rps = c->capacity_qps;
	plan.saturation_rps = c->saturation_qps;
	if ((rc = build_curve(memo, &plan, e)) || (rc = add_entry(memo, c, &plan, &en, e)))
		return rc;
	*out = &en->plan;
	return FS_OK;
}

/* ---- export and import ------------------------------------------------------ */

/* "FSSMEMO1": the word after the replica section's length, then the plan count. */
#define EXPORT_MAGIC 0x314f4d454d535346ull

/* A plan's numbers as exported: everything but svc and gpu. */
struct plan_rec {
	uint64_t key_n;
	uint64_t key[FS_REPLICA_KEY_WORDS];
	int64_t tp, n_points;
	double capacity_rps, saturation_rps, output_tokens_per_req;
	double load_rps[FS_SERVICE_CURVE_MAX], attain_frac[FS_SERVICE_CURVE_MAX];
};

enum fs_status fs_service_memo_export(const struct fs_service_memo *memo, struct fs_dbuf *out)
{
	size_t at = out->len;
	uint64_t len = 0, head[2] = { EXPORT_MAGIC, (uint64_t)memo->n };

	/* the replica section, preceded by its length (patched in once known) */
	if (fs_dbuf_put(out, &len, sizeof(len)) || fs_replica_memo_export(memo->rm, out))
		return FS_ERR_NOMEM;
	len = (uint64_t)(out->len - at - sizeof(len));
	memcpy(out->data + at, &len, sizeof(len));
	if (fs_dbuf_put(out, head, sizeof(head)))
		return FS_ERR_NOMEM;
	for (long i = 0; i < memo->n; i++) {
		const struct fs_service_plan *p = &memo->e[i]->plan;
		struct plan_rec r;

		memset(&r, 0, sizeof(r));
		r.key_n = fs_replica_memo_key_of(memo->rm, memo->e[i]->curve, r.key);
		assert(r.key_n > 0); /* a plan's curve is its memo's */
		r.tp = p->tp;
		r.n_points = p->n_points;
		r.capacity_rps = p->capacity_rps;
		r.saturation_rps = p->saturation_rps;
		r.output_tokens_per_req = p->output_tokens_per_req;
		memcpy(r.load_rps, p->load_rps, sizeof(r.load_rps));
		memcpy(r.attain_frac, p->attain_frac, sizeof(r.attain_frac));
		if (fs_dbuf_put(out, &r, sizeof(r)))
			return FS_ERR_NOMEM;
	}
	return FS_OK;
}

/* The curve of plan record r in memo's replica memo, when r is sound; NULL otherwise. */
static const struct fs_replica_curve *rec_curve(const struct fs_service_memo *memo,
						const struct plan_rec *r)
{
	const struct fs_replica_curve *c;

	if (r->key_n == 0 || r->key_n > FS_REPLICA_KEY_WORDS || r->tp < 1 ||
	    r->n_points < 0 || r->n_points > FS_SERVICE_CURVE_MAX)
		return NULL;
	c = fs_replica_memo_find(memo->rm, r->key, (size_t)r->key_n);
	/* a plan's capacity is its curve's, bit for bit */
	if (!c || memcmp(&c->capacity_qps, &r->capacity_rps, sizeof(double)) != 0 ||
	    memcmp(&c->saturation_qps, &r->saturation_rps, sizeof(double)) != 0)
		return NULL;
	return c;
}

enum fs_status fs_service_memo_import(struct fs_service_memo *memo, const void *data, size_t n,
				      struct fs_error *e)
{
	const unsigned char *p = data;
	uint64_t len, head[2];
	struct plan_rec r;
	enum fs_status rc;
	size_t plans_at;

	if (n < sizeof(len))
		goto bad;
	memcpy(&len, p, sizeof(len));
	if (len > n - sizeof(len) || n - sizeof(len) - len < sizeof(head))
		goto bad;
	if ((rc = fs_replica_memo_import(memo->rm, p + sizeof(len), (size_t)len, e)))
		return rc;
	plans_at = sizeof(len) + (size_t)len;
	memcpy(head, p + plans_at, sizeof(head));
	plans_at += sizeof(head);
	if (head[0] != EXPORT_MAGIC || head[1] > (n - plans_at) / sizeof(r) ||
	    n - plans_at != head[1] * sizeof(r))
		goto bad;
	/* every plan checked before any is added */
	for (uint64_t i = 0; i < head[1]; i++) {
		memcpy(&r, p + plans_at + i * sizeof(r), sizeof(r));
		if (!rec_curve(memo, &r))
			return fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL,
					    "service memo: plan %llu of %llu is damaged or its replica "
					    "curve is missing", (unsigned long long)i,
					    (unsigned long long)head[1]);
	}
	for (uint64_t i = 0; i < head[1]; i++) {
		const struct fs_replica_curve *c;
		struct fs_service_plan plan;
		struct entry *en;

		memcpy(&r, p + plans_at + i * sizeof(r), sizeof(r));
		c = rec_curve(memo, &r);
		if (find_entry(memo, c))
			continue;
		memset(&plan, 0, sizeof(plan)); /* svc, gpu NULL: only a curve's build reads them */
		plan.tp = (int)r.tp;
		plan.capacity_rps = r.capacity_rps;
		plan.saturation_rps = r.saturation_rps;
		plan.output_tokens_per_req = r.output_tokens_per_req;
		plan.n_points = (int)r.n_points;
		memcpy(plan.load_rps, r.load_rps, sizeof(r.load_rps));
		memcpy(plan.attain_frac, r.attain_frac, sizeof(r.attain_frac));
		if ((rc = add_entry(memo, c, &plan, &en, e)))
			return rc;
	}
	return FS_OK;
bad:
	return fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL,
			    "service memo: %zu bytes that are not an export", n);
}

int fs_service_replicas_needed(const struct fs_service_plan *p, double demand_rps)
{
	return replicas_for(demand_rps, p->capacity_rps);
}

double fs_service_attainment(const struct fs_service_plan *p, double demand_rps, int replicas)
{
	int n = p->n_points;
	double load;
	size_t i;

	if (!(demand_rps > 0))
		return 1.0;
	if (replicas <= 0 || n < 1)
		return 0.0;
	load = demand_rps / replicas;
	if (load >= p->load_rps[n - 1])
		return p->attain_frac[n - 1] * p->load_rps[n - 1] / load;
	if (load <= p->load_rps[0])
		return p->attain_frac[0];
	i = gsl_interp_bsearch(p->load_rps, load, 0, (size_t)n - 1);
	return p->attain_frac[i] + (p->attain_frac[i + 1] - p->attain_frac[i]) *
					   (load - p->load_rps[i]) /
					   (p->load_rps[i + 1] - p->load_rps[i]);
}

double fs_service_design_rps(const struct fs_service_spec *svc, double horizon_s)
{
	return fs_demand_peak_rps(&svc->demand, 0.0, horizon_s);
}
