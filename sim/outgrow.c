/*
 * outgrow.c - replications, scale search and verdicts of an outgrow
 * analysis (outgrow.h).
 */
#include "fleetsim/outgrow.h"
#include "fleetsim/workload.h"
#include "fleetsim/service.h"
#include "fleetsim/util.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEARCH_MAX_POINTS 64
#define SEARCH_MAX_ITER 50

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void fs_interval_t95(const double *x, size_t n, struct fs_interval *out)
{
	double sum = 0, ss = 0, half;

	out->n = n;
	if (n == 0) {
		out->mean = out->lo = out->hi = out->min = out->max = out->sd = NAN;
		return;
	}
	out->min = out->max = x[0];
	for (size_t i = 0; i < n; i++) {
		sum += x[i];
		out->min = fmin(out->min, x[i]);
		out->max = fmax(out->max, x[i]);
	}
	out->mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - out->mean) * (x[i] - out->mean);
	out->sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
	half = n > 1 ? gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * out->sd / sqrt((double)n) : 0;
	out->lo = out->mean - half;
	out->hi = out->mean + half;
}

/* ---- one (replication, fleet) --------------------------------------------- */

/* The scale search of one (replication, fleet): the state g(k) needs. */
struct search {
	const struct fs_scenario *base;
	struct fs_scenario *scaled;
	struct fs_service_memo *memo;
	size_t fleet;
	uint64_t seed;
	int month;
	double k[SEARCH_MAX_POINTS], g[SEARCH_MAX_POINTS];
	int n;
	double wall_s;
	enum fs_status st;
	struct fs_error *e;
};

static void search_add(struct search *s, double k, double g)
{
	if (s->n < SEARCH_MAX_POINTS) {
		s->k[s->n] = k;
		s->g[s->n] = g;
	}
	s->n++;
}

/*
 * What one process keeps across its (replication, fleet) units: one scaled
 * copy of the scenario, rescaled in place for every point, and one memo of
 * service plans. Plans are keyed by the service's record and GPU type, and
 * both the base scenario's and the scaled copy's records stay at one address
 * for the process's life, so each (service, GPU type) is planned at most
 * twice per process instead of once per simulation (capacity does not depend
 * on demand; the TP choice of "auto" is made again for each demand).
 */
struct unit_ctx {
	struct fs_scenario scaled;
	struct fs_service_memo *memo;   /* NULL without services */
};

static enum fs_status unit_ctx_init(const struct fs_scenario *sc, struct unit_ctx *c,
				    struct fs_error *e)
{
	enum fs_status st;

	memset(c, 0, sizeof(*c));
	if ((st = fs_scenario_scaled_init(sc, &c->scaled, e)))
		return st;
	if (sc->serving.n_services > 0 && fs_service_memo_create(&c->memo)) {
		fs_scenario_scaled_fini(&c->scaled);
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	}
	return FS_OK;
}

static void unit_ctx_fini(struct unit_ctx *c)
{
	fs_service_memo_destroy(c->memo);
	fs_scenario_scaled_fini(&c->scaled);
}

/* One simulation of fleet option f of sc with seed, service plans from memo. */
static enum fs_status run_planned(const struct fs_scenario *sc, size_t f, uint64_t seed,
				  struct fs_service_memo *memo, struct fs_run_result *out,
				  struct fs_error *e)
{
	struct fs_workload w;
	enum fs_status st;

	if ((st = fs_workload_generate(sc, seed, &w, e)))
		return st;
	st = fs_run_fleet_workload_memo(sc, &w, f, seed, memo, out, e);
	fs_workload_fini(&w);
	return st;
}

/* g(k): the criteria margin through month M at scale k (simulated once per k). */
static double margin_at(double k, void *ctx)
{
	struct search *s = ctx;
	struct fs_run_result r;
	struct fs_criteria_eval ev;
	double t0, g;

	for (int i = 0; i < s->n && i < SEARCH_MAX_POINTS; i++)
		if (s->k[i] == k)
			return s->g[i];
	if (s->st)
		return NAN;
	t0 = now_s();
	fs_scenario_scale(s->base, k, s->scaled);
	if ((s->st = run_planned(s->scaled, s->fleet, s->seed, s->memo, &r, s->e)))
		return NAN;
	s->st = fs_criteria_eval(s->base, &r, &ev, s->e);
	fs_run_result_fini(&r);
	if (s->st)
		return NAN;
	g = fs_criteria_margin(s->base, &ev, s->month);
	fs_criteria_eval_fini(&ev);
	s->wall_s += now_s() - t0;
	search_add(s, k, g);
	return g;
}

/* Brackets and bisects g from g(1) = g1 into rep->scale and rep->scale_bound. */
static enum fs_status search_scale(struct search *s, const struct fs_outgrow_params *p, double g1,
				   struct fs_outgrow_rep *rep)
{
	double lo = 1, hi = 1, glo, ghi;
	gsl_function fn = { margin_at, s };
	gsl_root_fsolver *solver;
	int status = GSL_CONTINUE;

	search_add(s, 1.0, g1);
	if (g1 > 0) {
		for (glo = g1; glo > 0 && lo > FS_OUTGROW_SCALE_MIN && !s->st;) {
			hi = lo;
			lo = fmax(lo / 2, FS_OUTGROW_SCALE_MIN);
			glo = margin_at(lo, s);
		}
		if (!s->st && glo > 0) {
			rep->scale = lo;
			rep->scale_bound = -1;
			return FS_OK;
		}
	} else {
		for (ghi = g1; ghi <= 0 && hi < p->scale_max && !s->st;) {
			lo = hi;
			hi = fmin(hi * 2, p->scale_max);
			ghi = margin_at(hi, s);
		}
		if (!s->st && ghi <= 0) {
			rep->scale = hi;
			rep->scale_bound = 1;
			return FS_OK;
		}
	}
	if (s->st)
		return s->st;
	solver = gsl_root_fsolver_alloc(gsl_root_fsolver_bisection);
	if (!solver)
		return fs_error_set(s->e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	if (gsl_root_fsolver_set(solver, &fn, lo, hi) != GSL_SUCCESS) {
		gsl_root_fsolver_free(solver);
		return s->st ? s->st : fs_error_set(s->e, FS_ERR_SIM, NULL, 0, NULL,
						     "scale search: no sign change in [%g, %g]", lo, hi);
	}
	for (int it = 0; it < SEARCH_MAX_ITER && status == GSL_CONTINUE; it++) {
		if (gsl_root_fsolver_iterate(solver) != GSL_SUCCESS || s->st)
			break;
		status = gsl_root_test_interval(gsl_root_fsolver_x_lower(solver),
						gsl_root_fsolver_x_upper(solver), 0,
						p->scale_tol_frac);
	}
	rep->scale = 0.5 * (gsl_root_fsolver_x_lower(solver) + gsl_root_fsolver_x_upper(solver));
	rep->scale_bound = 0;
	gsl_root_fsolver_free(solver);
	if (s->st)
		return s->st;
	if (status != GSL_SUCCESS)
		return fs_error_set(s->e, FS_ERR_SIM, NULL, 0, NULL,
				    "scale search did not converge (GSL status %d)", status);
	return FS_OK;
}

/* Costs and work over [0, until_s) of rep's run at scale 1. */
static void rep_costs(const struct fs_scenario *sc, struct fs_outgrow_rep *rep)
{
	const struct fs_run_result *r = &rep->run;
	int m = rep->ev.first_fail_month;
	double until = m < 0 ? sc->horizon_s : fmin(sc->horizon_s, fmax(1, m) * FS_SECONDS_PER_MONTH);

	rep->until_s = until;
	rep->cost_usd = rep->n_training_runs = rep->tokens = 0;
	for (size_t i = 0; i < r->n_series; i++)
		if (r->series[i].t_s < until)
			rep->cost_usd += r->series[i].cost_usd;
	for (size_t i = 0; i < r->n_jobs; i++)
		if (r->jobs[i].status == FS_JOB_DONE && r->jobs[i].end_s <= until) {
			rep->n_training_runs += 1;
			rep->tokens += r->jobs[i].tokens;
		}
	for (size_t i = 0; i < r->n_svc; i++)
		if (r->svc[i].t_s < until)
			rep->tokens += r->svc[i].output_tokens;
}

/* Simulates replication i of fleet f: the run at scale 1, then the scale search. */
static enum fs_status run_unit(const struct fs_scenario *sc, const struct fs_outgrow_params *p,
			       struct unit_ctx *ctx, int i, size_t f, struct fs_outgrow_rep *rep,
			       struct fs_error *e)
{
	char name[32];
	struct search s;
	double t0 = now_s(), g1;
	enum fs_status st;

	memset(rep, 0, sizeof(*rep));
	snprintf(name, sizeof(name), "rep:%d", i);
	rep->replication = i;
	/* 63 bits: the seed is stored as an SQLite integer and given back to
	 * `fleetsim run --seed` (0 .. 2^63 - 1) to reproduce the replication */
	rep->seed = fs_seed_mix(p->seed, name) & (uint64_t)INT64_MAX;
	if ((st = run_planned(sc, f, rep->seed, ctx->memo, &rep->run, e)))
		return st;
	if ((st = fs_criteria_eval(sc, &rep->run, &rep->ev, e)))
		return st;
	g1 = fs_criteria_margin(sc, &rep->ev, p->month);
	memset(&s, 0, sizeof(s));
	s.base = sc;
	s.fleet = f;
	s.seed = rep->seed;
	s.month = p->month;
	s.e = e;
	s.scaled = &ctx->scaled;
	s.memo = ctx->memo;
	s.wall_s = now_s() - t0;
	st = search_scale(&s, p, g1, rep);
	rep->n_points = s.n;
	rep->search_wall_s = s.wall_s;
	return st;
}

static void rep_fini(struct fs_outgrow_rep *rep)
{
	fs_run_result_fini(&rep->run);
	fs_criteria_eval_fini(&rep->ev);
}

/* ---- the work list: one item per (replication, fleet) ------------------------ */

/*
 * Item u is replication u / n_fleets of fleet u % n_fleets, so with one
 * worker the units run in the order they always did (replication-major).
 * A worker sends one unit as bytes the writer can read in any process, MPI
 * ranks included: the rep record (its pointers cleared), the run's jobs,
 * one catalog index per job for its model, then the series and service
 * points. The writer rebuilds every pointer from the scenario it loaded
 * itself: the run's fleet from the item, a job's model from its catalog
 * index, its training options from its source (an explicit job's or a
 * stream's; history jobs get NULL, as nothing after the run reads them),
 * and the criteria from the run (fs_criteria_eval), so every backend and
 * every number of workers gives the same records.
 */
struct og_ctx {
	const struct fs_scenario *sc;
	struct fs_outgrow_result *out;
	struct unit_ctx unit;       /* per process, made on its first item */
	bool unit_ready;
};

/* Catalog index + 1 of model (0: none); -1 when it is not in sc's catalog. */
static int64_t model_code(const struct fs_scenario *sc, const struct fs_llm *m)
{
	if (!m)
		return 0;
	for (size_t k = 0; k < sc->catalog.n_llms; k++)
		if (&sc->catalog.llms[k] == m)
			return (int64_t)k + 1;
	return -1;
}

static enum fs_status unit_work(void *vctx, size_t item, struct fs_dbuf *out, struct fs_error *e)
{
	struct og_ctx *c = vctx;
	const struct fs_scenario *sc = c->sc;
	int i = (int)(item / sc->n_fleets);
	size_t f = item % sc->n_fleets;
	struct fs_outgrow_rep rep, rec;
	const struct fs_run_result *r = &rep.run;
	enum fs_status st;

	if (!c->unit_ready) {
		if ((st = unit_ctx_init(sc, &c->unit, e)))
			return st;
		c->unit_ready = true;
	}
	if ((st = run_unit(sc, &c->out->params, &c->unit, i, f, &rep, e))) {
		rep_fini(&rep);
		return st;
	}
	rec = rep;
	rec.run.fleet = NULL;
	rec.run.jobs = NULL;
	rec.run.series = NULL;
	rec.run.svc = NULL;
	memset(&rec.ev, 0, sizeof(rec.ev));
	st = fs_dbuf_put(out, &rec, sizeof(rec));
	if (!st && r->n_jobs)
		st = fs_dbuf_put(out, r->jobs, r->n_jobs * sizeof(*r->jobs));
	for (size_t j = 0; !st && j < r->n_jobs; j++) {
		int64_t code = model_code(sc, r->jobs[j].model);
		uint32_t c32 = (uint32_t)code;
		if (code < 0) {
			st = fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL,
					  "job %zu of replication %d of fleet '%s' has a model "
					  "outside the scenario's catalog", j, i, sc->fleets[f].name);
			break;
		}
		st = fs_dbuf_put(out, &c32, sizeof(c32));
	}
	if (!st && r->n_series)
		st = fs_dbuf_put(out, r->series, r->n_series * sizeof(*r->series));
	if (!st && r->n_svc)
		st = fs_dbuf_put(out, r->svc, r->n_svc * sizeof(*r->svc));
	rep_fini(&rep);
	if (st == FS_ERR_NOMEM)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	return st;
}

/* Copies n records of size sz at *p (advancing it) into a new array; false when short. */
static bool take_array(const unsigned char **p, const unsigned char *end, size_t n, size_t sz,
		       void **out)
{
	*out = NULL;
	if (n > (size_t)(end - *p) / sz)
		return false;
	if (n == 0)
		return true;
	if (!(*out = malloc(n * sz)))
		return false;
	memcpy(*out, *p, n * sz);
	*p += n * sz;
	return true;
}

static enum fs_status unit_take(void *vctx, size_t item, const void *data, size_t n,
				struct fs_error *e)
{
	struct og_ctx *c = vctx;
	const struct fs_scenario *sc = c->sc;
	int R = c->out->params.replications, i = (int)(item / sc->n_fleets);
	size_t f = item % sc->n_fleets;
	struct fs_outgrow_rep *rep = &c->out->reps[f * (size_t)R + (size_t)i];
	const unsigned char *p = data, *end = p + n;
	struct fs_run_result *r = &rep->run;
	void *codes = NULL;
	bool ok;

	if (n < sizeof(*rep))
		return fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL, "a worker sent a short record "
				    "for replication %d of fleet '%s'", i, sc->fleets[f].name);
	memcpy(rep, p, sizeof(*rep));
	p += sizeof(*rep);
	r->fleet = &sc->fleets[f];
	r->jobs = NULL;
	r->series = NULL;
	r->svc = NULL;
	ok = take_array(&p, end, r->n_jobs, sizeof(*r->jobs), (void **)&r->jobs) &&
	     take_array(&p, end, r->n_jobs, sizeof(uint32_t), &codes) &&
	     take_array(&p, end, r->n_series, sizeof(*r->series), (void **)&r->series) &&
	     take_array(&p, end, r->n_svc, sizeof(*r->svc), (void **)&r->svc) && p == end;
	for (size_t j = 0; ok && j < r->n_jobs; j++) {
		struct fs_job_result *jr = &r->jobs[j];
		uint32_t code, src = jr->source;
		memcpy(&code, (const unsigned char *)codes + j * sizeof(code), sizeof(code));
		ok = code <= sc->catalog.n_llms;
		jr->model = code ? &sc->catalog.llms[code - 1] : NULL;
		jr->opts = src < sc->n_jobs ? &sc->jobs[src].opts
			   : src - sc->n_jobs < sc->n_streams ? &sc->streams[src - sc->n_jobs].opts
			   : NULL;
	}
	free(codes);
	memset(&rep->ev, 0, sizeof(rep->ev));
	if (!ok) {
		rep_fini(rep);
		memset(rep, 0, sizeof(*rep));
		return fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL, "a worker sent a bad record for "
				    "replication %d of fleet '%s'", i, sc->fleets[f].name);
	}
	return fs_criteria_eval(sc, r, &rep->ev, e);
}

/* Runs every unit through the dispatcher into out->reps. */
static enum fs_status run_units(const struct fs_scenario *sc, struct fs_outgrow_result *out,
				struct fs_error *e)
{
	const struct fs_outgrow_params *p = &out->params;
	struct og_ctx c = { .sc = sc, .out = out };
	struct fs_dispatch_params dp;
	bool writer = true;
	enum fs_status st;

	fs_dispatch_params_init(&dp);
	dp.jobs = p->jobs;
	dp.progress = p->progress;
	dp.note = p->note;
	dp.cb_ctx = p->progress_ctx;
	if (p->test_fault_unit > 0)
		dp.fault_item = p->test_fault_unit - 1;
	st = fs_dispatch_run((size_t)p->replications * sc->n_fleets, NULL, unit_work, unit_take, &c,
			     &dp, &writer, &out->dispatch, e);
	if (c.unit_ready)
		unit_ctx_fini(&c.unit);
	out->is_writer = writer;
	return st;
}

/* ---- per fleet ------------------------------------------------------------ */

static double div_or_nan(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

static void summarize_fleet(const struct fs_scenario *sc, struct fs_outgrow_result *out, size_t f,
			    double *scratch)
{
	struct fs_outgrow_fleet *fl = &out->fleets[f];
	int R = out->params.replications;
	const struct fs_outgrow_rep *reps = &out->reps[f * (size_t)R];
	int counts[FS_MAX_CRITERIA] = { 0 };
	double cost = 0, months = 0, runs = 0, tokens = 0;

	fl->fleet = f;
	fl->criterion = -1;
	for (int i = 0; i < R; i++) {
		int m = reps[i].ev.first_fail_month;
		scratch[i] = m < 0 ? out->n_months : m;
		fl->n_held += m < 0;
		if (reps[i].ev.first_fail_criterion >= 0)
			counts[reps[i].ev.first_fail_criterion]++;
	}
	fs_interval_t95(scratch, (size_t)R, &fl->first_fail_month);
	for (size_t c = 0; c < sc->n_criteria; c++)
		if (counts[c] > fl->n_criterion) {
			fl->n_criterion = counts[c];
			fl->criterion = (int)c;
		}
	for (int i = 0; i < R; i++) {
		scratch[i] = reps[i].scale;
		fl->n_scale_bound += reps[i].scale_bound != 0;
		cost += reps[i].cost_usd;
		months += reps[i].until_s / FS_SECONDS_PER_MONTH;
		runs += reps[i].n_training_runs;
		tokens += reps[i].tokens;
		out->n_points += (size_t)reps[i].n_points;
		out->points_wall_s += reps[i].search_wall_s;
	}
	fs_interval_t95(scratch, (size_t)R, &fl->scale);
	fl->usd_per_month = div_or_nan(cost, months);
	fl->usd_per_training_run = div_or_nan(cost, runs);
	fl->usd_per_mtok = div_or_nan(cost, tokens / 1e6);
}

/* true when fleet a holds longer than fleet b (later first failure, then larger scale). */
static bool holds_longer(const struct fs_outgrow_fleet *a, const struct fs_outgrow_fleet *b)
{
	if (a->first_fail_month.mean != b->first_fail_month.mean)
		return a->first_fail_month.mean > b->first_fail_month.mean;
	return a->scale.mean > b->scale.mean;
}

static void verdict_groups(const struct fs_scenario *sc, struct fs_outgrow_result *out)
{
	size_t n = out->n_fleets, *order = malloc(n * sizeof(*order));
	int g = -1;
	double group_cost = 0;

	if (!order)
		return;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	/* insertion sort by cost per month, ties by declaration order: few options */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && out->fleets[order[j]].usd_per_month <
						   out->fleets[order[j - 1]].usd_per_month; j--) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		struct fs_outgrow_fleet *fl = &out->fleets[order[i]];
		if (g < 0 || !(fl->usd_per_month <= group_cost * (1 + FS_OUTGROW_BUDGET_TOL_FRAC))) {
			g++;
			group_cost = fl->usd_per_month;
		}
		fl->budget_group = g;
	}
	free(order);
	for (size_t i = 0; i < n; i++) {
		out->fleets[i].gpu_group = (int)i;
		for (size_t j = 0; j < i; j++)
			if (sc->fleets[j].n_gpus == sc->fleets[i].n_gpus) {
				out->fleets[i].gpu_group = out->fleets[j].gpu_group;
				break;
			}
	}
	for (size_t i = 0; i < n; i++) {
		struct fs_outgrow_fleet *a = &out->fleets[i];
		int n_budget = 0, n_gpus = 0;
		bool best_budget = true, best_gpus = true;
		for (size_t j = 0; j < n; j++) {
			const struct fs_outgrow_fleet *b = &out->fleets[j];
			if (b->budget_group == a->budget_group) {
				n_budget++;
				best_budget &= j == i || !holds_longer(b, a);
			}
			if (b->gpu_group == a->gpu_group) {
				n_gpus++;
				best_gpus &= j == i || !holds_longer(b, a);
			}
		}
		a->longest_in_budget = n_budget > 1 && best_budget;
		a->longest_in_gpus = n_gpus > 1 && best_gpus;
	}
}

enum fs_status fs_outgrow_run(const struct fs_scenario *sc, const struct fs_outgrow_params *p,
			      struct fs_outgrow_result *out, struct fs_error *e)
{
	double t0 = now_s(), *scratch;
	size_t n_reps;
	enum fs_status st;

	memset(out, 0, sizeof(*out));
	if (sc->n_criteria == 0)
		return fs_error_set(e, FS_ERR_INPUT, sc->file, 0, "criteria",
				    "the scenario has no criteria; expected a 'criteria' list "
				    "(docs/SCENARIO.md, \"Criteria\")");
	out->n_months = fs_criteria_n_months(sc);
	if (p->replications < 2 || p->jobs < 1 || p->month < 0 || p->month >= out->n_months ||
	    !(p->scale_max > 1) || !(p->scale_tol_frac > 0))
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
				    "outgrow: expected at least 2 replications, at least 1 job, a "
				    "month from 0 to %d, scale_max > 1 and a tolerance > 0",
				    out->n_months - 1);
	out->sc = sc;
	out->params = *p;
	out->n_fleets = sc->n_fleets;
	n_reps = (size_t)p->replications * sc->n_fleets;
	out->reps = calloc(n_reps, sizeof(*out->reps));
	out->fleets = calloc(sc->n_fleets, sizeof(*out->fleets));
	scratch = malloc((size_t)p->replications * sizeof(*scratch));
	if (!out->reps || !out->fleets || !scratch) {
		free(scratch);
		fs_outgrow_result_fini(out);
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	}
	st = run_units(sc, out, e);
	if (st || !out->is_writer) {
		/* a worker rank keeps nothing: the writer has every record */
		bool writer = out->is_writer;
		free(scratch);
		fs_outgrow_result_fini(out);
		out->is_writer = writer;
		return st;
	}
	out->params.jobs = out->dispatch.n_workers;
	for (size_t i = 0; i < n_reps; i++)
		rep_costs(sc, &out->reps[i]);
	for (size_t f = 0; f < sc->n_fleets; f++)
		summarize_fleet(sc, out, f, scratch);
	free(scratch);
	verdict_groups(sc, out);
	out->wall_s = now_s() - t0;
	return FS_OK;
}

void fs_outgrow_result_fini(struct fs_outgrow_result *r)
{
	if (r->reps)
		for (size_t i = 0; i < (size_t)r->params.replications * r->n_fleets; i++)
			rep_fini(&r->reps[i]);
	free(r->reps);
	free(r->fleets);
	memset(r, 0, sizeof(*r));
}

/* ---- decision summary ------------------------------------------------------ */

struct text {
	char *buf;
	size_t n, len;
};

static void say(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(t->len < t->n ? t->buf + t->len : NULL, t->len < t->n ? t->n - t->len : 0,
		      fmt, ap);
	va_end(ap);
	if (k > 0)
		t->len += (size_t)k;
}

/* What a criterion kind is in planners' words: the bottleneck it measures. */
static const char *bottleneck(enum fs_criterion_kind k)
{
	switch (k) {
	case FS_CRIT_TTS_P90_DAYS:
		return "training time";
	case FS_CRIT_WAIT_P90_HOURS:
	case FS_CRIT_WAIT_MEAN_HOURS:
		return "throughput (queue wait)";
	case FS_CRIT_ATTAINMENT:
		return "serving latency";
	case FS_CRIT_UTILIZATION:
		return "headroom";
	}
	return "?";
}

static const char *unit_of(enum fs_criterion_kind k)
{
	switch (k) {
	case FS_CRIT_TTS_P90_DAYS:
		return " days";
	case FS_CRIT_WAIT_P90_HOURS:
	case FS_CRIT_WAIT_MEAN_HOURS:
		return " h";
	case FS_CRIT_ATTAINMENT:
	case FS_CRIT_UTILIZATION:
		return "";
	}
	return "";
}

/* The mean value of criterion c at the first failing month of fleet f's
 * replications that failed on c first; NaN when none did. */
static double mean_failing_value(const struct fs_outgrow_result *r, size_t f, int c)
{
	int R = r->params.replications, n = 0;
	double sum = 0;

	for (int i = 0; i < R; i++) {
		const struct fs_criteria_eval *ev = &r->reps[f * (size_t)R + (size_t)i].ev;
		if (ev->first_fail_criterion != c)
			continue;
		sum += ev->value[(size_t)c * (size_t)ev->n_months + (size_t)ev->first_fail_month];
		n++;
	}
	return n ? sum / n : NAN;
}

/* true when every replication of fl failed by month M even at the smallest scale. */
static bool fails_at_any_scale(const struct fs_outgrow_fleet *fl)
{
	return fl->scale.n && fl->n_scale_bound == (int)fl->scale.n &&
	       fl->scale.max <= FS_OUTGROW_SCALE_MIN;
}

static void fleet_words(const struct fs_outgrow_result *r, size_t f, char *buf, size_t n)
{
	const struct fs_fleet_opt *fo = &r->sc->fleets[f];

	snprintf(buf, n, "%s (%d x %s%s)", fo->name, fo->n_gpus, fo->gpu->name,
		 fo->n_pools > 1 ? " and more pools" : "");
}

static void scale_words(const struct fs_outgrow_fleet *fl, char *buf, size_t n)
{
	if (fl->n_scale_bound == (int)fl->scale.n && fl->scale.n && fl->scale.min == fl->scale.max)
		snprintf(buf, n, "%s %.3gx", fl->scale.mean > 1 ? "beyond" : "below", fl->scale.mean);
	else
		snprintf(buf, n, "%.2fx (95 %% CI %.2f to %.2f%s)", fl->scale.mean, fl->scale.lo,
			 fl->scale.hi, fl->n_scale_bound ? "; some replications at the search's bound"
							 : "");
}

static void summary_fleet(const struct fs_outgrow_result *r, size_t f, struct text *t)
{
	const struct fs_scenario *sc = r->sc;
	const struct fs_outgrow_fleet *fl = &r->fleets[f];
	char who[160], k[128];
	int R = r->params.replications, M = r->params.month;

	fleet_words(r, f, who, sizeof(who));
	scale_words(fl, k, sizeof(k));
	if (fl->n_held == R) {
		say(t, "- %s meets every criterion through the horizon (%d months) in all %d "
		    "replications, at $%.0f per month.\n", who, r->n_months, R, fl->usd_per_month);
	} else {
		const struct fs_criterion *c = &sc->criteria[fl->criterion];
		say(t, "- %s first fails in month %.1f on average (range %.0f to %.0f, 95 %% CI "
		    "%.1f to %.1f; month 0 is the first; %d of %d replications held to the horizon); "
		    "the criterion that breaks first is '%s' (%s %s %g%s) in %d of %d "
		    "replications: %s is its bottleneck.", who, fl->first_fail_month.mean,
		    fl->first_fail_month.min, fl->first_fail_month.max, fl->first_fail_month.lo,
		    fl->first_fail_month.hi, fl->n_held, R, c->name, fs_criterion_kind_name(c->kind),
		    c->kind == FS_CRIT_ATTAINMENT ? ">=" : "<=", c->limit, unit_of(c->kind),
		    fl->n_criterion, R, bottleneck(c->kind));
		say(t, " In the month it first breaks it measures %.3g%s on average.",
		    mean_failing_value(r, f, fl->criterion), unit_of(c->kind));
		say(t, "\n");
	}
	if (fails_at_any_scale(fl))
		say(t, "  It fails by month %d even at %.3gx of today's stream and service demand: "
		    "the explicit jobs, which do not scale, break a criterion by themselves.", M,
		    FS_OUTGROW_SCALE_MIN);
	else
		say(t, "  Demand can grow to %s of today's before a criterion fails by month %d.", k,
		    M);
	say(t, " Until its first failure it costs $%.0f per month, $%.0f per training run and "
	    "$%.2f per million tokens.\n", fl->usd_per_month, fl->usd_per_training_run,
	    fl->usd_per_mtok);
}

size_t fs_outgrow_summary(const struct fs_outgrow_result *r, char *buf, size_t n)
{
	struct text t = { buf, n, 0 };
	size_t cheapest = 0;
	const struct fs_outgrow_fleet *fc;
	char who[160];

	if (n)
		buf[0] = '\0';
	for (size_t f = 0; f < r->n_fleets; f++)
		summary_fleet(r, f, &t);
	for (size_t f = 1; f < r->n_fleets; f++)
		if (r->fleets[f].usd_per_month < r->fleets[cheapest].usd_per_month)
			cheapest = f;
	fc = &r->fleets[cheapest];
	fleet_words(r, cheapest, who, sizeof(who));
	if (fails_at_any_scale(fc))
		say(&t, "- The cheapest option, %s, is enough under the scenario's growth until month "
		    "%.1f, and at no demand through month %d.\n", who, fc->first_fail_month.mean,
		    r->params.month);
	else
		say(&t, "- The cheapest option, %s, is enough while demand stays below %.2fx of "
		    "today's (through month %d) and, under the scenario's growth, %s %.1f.\n", who,
		    fc->scale.mean, r->params.month,
		    fc->n_held == r->params.replications ? "through the horizon: month"
							  : "until month",
		    fc->first_fail_month.mean);
	for (size_t f = 0; f < r->n_fleets; f++) {
		const struct fs_outgrow_fleet *fl = &r->fleets[f];
		double extra;
		char other[160];
		if (f == cheapest)
			continue;
		fleet_words(r, f, other, sizeof(other));
		extra = 100.0 * (fl->usd_per_month / fc->usd_per_month - 1);
		if (holds_longer(fl, fc) && (fl->scale.lo > fc->scale.hi ||
					     fl->first_fail_month.lo > fc->first_fail_month.hi)) {
			say(&t, "- %s becomes worth it ", other);
			if (!fails_at_any_scale(fc))
				say(&t, "when demand passes %.2fx of today's or ", fc->scale.mean);
			say(&t, "when the calendar passes month %.1f: it holds to %.2fx (month %.1f) for "
			    "%+.0f %% cost per month ($%.0f vs $%.0f), at $%.0f vs $%.0f per training "
			    "run; %s was the cheaper option's bottleneck.\n",
			    fc->first_fail_month.mean, fl->scale.mean, fl->first_fail_month.mean, extra,
			    fl->usd_per_month, fc->usd_per_month, fl->usd_per_training_run,
			    fc->usd_per_training_run,
			    fc->criterion >= 0 ? bottleneck(r->sc->criteria[fc->criterion].kind)
					       : "nothing");
		} else if (holds_longer(fl, fc)) {
			say(&t, "- %s holds a little longer (scale %.2fx vs %.2fx, month %.1f vs %.1f) "
			    "but the confidence intervals overlap: not shown to be worth %+.0f %% "
			    "cost per month.\n", other, fl->scale.mean, fc->scale.mean,
			    fl->first_fail_month.mean, fc->first_fail_month.mean, extra);
		} else {
			say(&t, "- %s costs %+.0f %% per month ($%.0f vs $%.0f) and holds no longer "
			    "(scale %.2fx vs %.2fx, month %.1f vs %.1f): not worth it under these "
			    "criteria.\n", other, extra, fl->usd_per_month, fc->usd_per_month,
			    fl->scale.mean, fc->scale.mean, fl->first_fail_month.mean,
			    fc->first_fail_month.mean);
		}
	}
	return t.len;
}
