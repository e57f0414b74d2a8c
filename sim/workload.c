/*
 * workload.c - training arrivals: explicit jobs and Poisson streams whose
 * rate grows geometrically month over month.
 */
#include "fleetsim/workload.h"
#include "fleetsim/history.h"
#include "fleetsim/train.h"
#include "fleetsim/util.h"

#include <assert.h>

#include <gsl/gsl_randist.h>
#include <inttypes.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Arrival time of the stream's k-th event given the cumulative unit-rate
 * exponential sum E: inverts Lambda(t) = r0 M / ln g (g^((t-t0)/M) - 1)
 * for rate r(t) = r0 g^((t-t0)/M); g = 1 gives t0 + E / r0.
 */
static double arrival_at(const struct fs_stream_spec *s, double E)
{
	double g = 1.0 + s->growth_per_month_frac;
	double M = FS_SECONDS_PER_MONTH;
	double lg, arg;

	if (fabs(s->growth_per_month_frac) < 1e-12)
		return s->start_s + E / s->rate_per_s;
	lg = log(g);
	arg = 1.0 + E * lg / (s->rate_per_s * M);
	if (arg <= 0) /* a shrinking stream whose total expected arrivals ran out */
		return INFINITY;
	return s->start_s + M * log(arg) / lg;
}

struct gen {
	struct fs_arrival *jobs;
	size_t n, cap;
};

static struct fs_arrival *push_job(struct gen *g)
{
	if (g->n == g->cap) {
		size_t ncap = g->cap ? g->cap * 2 : 256;
		void *p = realloc(g->jobs, ncap * sizeof(*g->jobs));
		if (!p)
			return NULL;
		g->jobs = p;
		g->cap = ncap;
	}
	memset(&g->jobs[g->n], 0, sizeof(g->jobs[0]));
	return &g->jobs[g->n++];
}

/* Submit time, then declaration order: (source, seq) is the order of generation. */
static int by_submit(const void *a, const void *b)
{
	const struct fs_arrival *x = a, *y = b;

	if (x->submit_s != y->submit_s)
		return x->submit_s < y->submit_s ? -1 : 1;
	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static enum fs_status gen_stream(const struct fs_scenario *sc, size_t k_stream, uint64_t seed,
				 struct gen *g, struct fs_error *e)
{
	const struct fs_stream_spec *s = &sc->streams[k_stream];
	char comp[96];
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_ran_discrete_t *mix = NULL;
	double w[FS_MAX_MIX], E = 0.0, end = fmin(s->end_s, sc->horizon_s);
	enum fs_status st = FS_OK;
	uint32_t k = 0;

	for (int i = 0; i < s->n_models; i++)
		w[i] = s->models[i].weight;
	mix = gsl_ran_discrete_preproc((size_t)s->n_models, w);
	if (!r || !mix) {
		st = fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory drawing stream '%s'", s->name);
		goto out;
	}
	snprintf(comp, sizeof(comp), "stream:%s", s->name);
	gsl_rng_set(r, (unsigned long)fs_seed_mix(seed, comp));
	for (;;) {
		struct fs_arrival *j;
		double t;

		E += gsl_ran_exponential(r, 1.0);
		t = arrival_at(s, E);
		if (!(t < end))
			break;
		j = push_job(g);
		if (!j) {
			st = fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory drawing stream '%s'",
					  s->name);
			goto out;
		}
		/* Fixed draw order per job keeps streams reproducible: model, tokens, gpus. */
		j->model = s->models[gsl_ran_discrete(r, mix)].model;
		j->opts = &s->opts;
		j->priority = s->priority;
		j->gpu = s->gpu;
		j->team = s->team;          /* key `team` of the stream (-1: none) */
		j->tokens = fs_dist_draw(&s->tokens, r);
		j->gpus = (int)floor(fs_dist_draw(&s->gpus, r) + 0.5);
		if (j->gpus < 1)
			j->gpus = 1;
		j->submit_s = t;
		j->source = (uint32_t)(sc->n_jobs + k_stream);
		j->seq = ++k;
		if (k > 50000000) {
			st = fs_error_set(e, FS_ERR_SIM, sc->file, s->line, s->name,
					  "stream '%s' produced more than 50 million jobs; expected a lower rate",
					  s->name);
			goto out;
		}
	}
out:
	gsl_ran_discrete_free(mix);
	gsl_rng_free(r);
	return st;
}

/*
 * The history's arrivals, scaled: each row appears floor(k) times plus once
 * more with probability frac(k) (one uniform draw per row, only when k is not
 * whole), in file order from fs_seed_mix(seed, "history-scale"); copy 0 keeps
 * the row's submit time, further copies are shifted by U(0, FS_HISTORY_JITTER_S).
 * A row cancelled before it started is submitted like the others, marked
 * cancelled: the run records it at its submit time without running it.
 */
static enum fs_status gen_history(const struct fs_scenario *sc, uint64_t seed, struct gen *g,
				  struct fs_error *e)
{
	const struct fs_history *h = sc->history;
	const struct fs_gpu *def = fs_catalog_gpu(&sc->catalog, FS_HISTORY_DEFAULT_GPU);
	double k = sc->history_scale, whole = floor(k), frac = k - whole;
	gsl_rng *r = NULL;
	enum fs_status st = FS_OK;

	if (frac > 0 || whole > 1) {
		if (!(r = gsl_rng_alloc(gsl_rng_mt19937)))
			return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		gsl_rng_set(r, (unsigned long)fs_seed_mix(seed, "history-scale"));
	}
	for (size_t i = 0; i < h->n_jobs; i++) {
		const struct fs_history_job *hj = &h->jobs[i];
		unsigned n = (unsigned)whole;

		if (frac > 0 && gsl_rng_uniform(r) < frac)
			n++;
		for (unsigned c = 0; c < n; c++) {
			struct fs_arrival *j = push_job(g);
			if (!j) {
				st = fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
				goto out;
			}
			j->submit_s = hj->submit_s + (c ? FS_HISTORY_JITTER_S * gsl_rng_uniform(r) : 0);
			j->gpus = hj->gpus;
			j->priority = hj->priority;
			j->team = hj->team;
			j->opts = &sc->history_opts;
			j->cancelled = hj->cancelled;
			if (hj->model && hj->tokens > 0) {
				/* the training model knows this job: it gives the time */
				j->model = hj->model;
				j->tokens = hj->tokens;
			} else {
				j->duration_s = hj->duration_s;
				j->ref_gpu = hj->gpu ? hj->gpu : def;
			}
			j->source = (uint32_t)(sc->n_jobs + sc->n_streams);
			j->seq = (uint32_t)(c * h->n_jobs + i + 1);
		}
	}
out:
	gsl_rng_free(r);
	return st;
}

/* Each job's estimate factor; no generator at all when estimates are exact. */
static enum fs_status draw_estimates(const struct fs_scenario *sc, uint64_t seed, struct gen *g,
				     struct fs_error *e)
{
	gsl_rng *r;

	for (size_t i = 0; i < g->n; i++)
		g->jobs[i].est_factor = 1.0;
	if (!(sc->estimate_noise_frac > 0))
		return FS_OK;
	r = gsl_rng_alloc(gsl_rng_mt19937);
	if (!r)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	gsl_rng_set(r, (unsigned long)fs_seed_mix(seed, "estimates"));
	for (size_t i = 0; i < g->n; i++)
		g->jobs[i].est_factor = exp(gsl_ran_gaussian(r, sc->estimate_noise_frac));
	gsl_rng_free(r);
	return FS_OK;
}

enum fs_status fs_workload_generate(const struct fs_scenario *sc, uint64_t seed,
				    struct fs_workload *w, struct fs_error *e)
{
	struct gen g = { 0 };
	enum fs_status st = FS_OK;

	for (size_t i = 0; i < sc->n_jobs; i++) {
		const struct fs_job_spec *js = &sc->jobs[i];
		struct fs_arrival *j = push_job(&g);
		if (!j) {
			st = fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
			goto fail;
		}
		j->model = js->model;
		j->opts = &js->opts;
		j->gpus = js->gpus;
		j->priority = js->priority;
		j->gpu = js->gpu;
		j->team = js->team;         /* key `team` of the job (-1: none) */
		j->tokens = js->tokens;
		j->submit_s = js->submit_s;
		j->source = (uint32_t)i;
	}
	for (size_t i = 0; i < sc->n_streams; i++)
		if ((st = gen_stream(sc, i, seed, &g, e)))
			goto fail;
	if (sc->history && (st = gen_history(sc, seed, &g, e)))
		goto fail;
	if (g.n)
		qsort(g.jobs, g.n, sizeof(*g.jobs), by_submit);
	if ((st = draw_estimates(sc, seed, &g, e)))
		goto fail;
	w->jobs = g.jobs;
	w->n = g.n;
	return FS_OK;
fail:
	free(g.jobs);
	w->jobs = NULL;
	w->n = 0;
	return st;
}

void fs_workload_fini(struct fs_workload *w)
{
	free(w->jobs);
	w->jobs = NULL;
	w->n = 0;
}

double fs_workload_expected_stream_jobs(const struct fs_scenario *sc, size_t k)
{
	const struct fs_stream_spec *s;
	double span, lg;

	assert(k < sc->n_streams);
	s = &sc->streams[k];
	span = fmin(s->end_s, sc->horizon_s) - s->start_s;
	if (!(span > 0))
		return 0.0;
	if (fabs(s->growth_per_month_frac) < 1e-12)
		return s->rate_per_s * span;
	lg = log1p(s->growth_per_month_frac);
	return s->rate_per_s * FS_SECONDS_PER_MONTH * expm1(span / FS_SECONDS_PER_MONTH * lg) / lg;
}

double fs_workload_expected_jobs(const struct fs_scenario *sc)
{
	double n = (double)sc->n_jobs;

	for (size_t k = 0; k < sc->n_streams; k++)
		n += fs_workload_expected_stream_jobs(sc, k);
	if (sc->history)
		n += (double)sc->history->n_jobs * sc->history_scale;
	return n;
}

enum fs_status fs_workload_check_size(const struct fs_scenario *sc, double max_job_runs,
				      const char *option, struct fs_error *e)
{
	double jobs = fs_workload_expected_jobs(sc), most = -1.0;
	double runs = jobs * (double)sc->n_fleets;
	size_t big = 0;
	char key[64];

	if (runs <= max_job_runs)
		return FS_OK;
	for (size_t k = 0; k < sc->n_streams; k++) {
		double n = fs_workload_expected_stream_jobs(sc, k);
		if (!(n <= most)) {
			most = n;
			big = k;
		}
	}
	if (sc->history && (double)sc->history->n_jobs * sc->history_scale >= most) {
		return fs_error_set(e, FS_ERR_INPUT, sc->file, sc->history_line, "training.history",
				    "the history's %zu jobs x scale %g with the other work, %.4g jobs x "
				    "%zu fleet options = %.4g job runs; expected at most %.0f (raise the "
				    "limit with %s N)", sc->history->n_jobs, sc->history_scale, jobs,
				    sc->n_fleets, runs, max_job_runs, option);
	}
	if (most < 0)
		return fs_error_set(e, FS_ERR_INPUT, sc->file, sc->n_jobs ? sc->jobs[0].line : 0,
				    "training.jobs",
				    "%zu explicit jobs x %zu fleet options = %.4g job runs; expected at "
				    "most %.0f (raise the limit with %s N)", sc->n_jobs, sc->n_fleets,
				    runs, max_job_runs, option);
	snprintf(key, sizeof(key), "training.streams.[%zu]", big);
	return fs_error_set(e, FS_ERR_INPUT, sc->file, sc->streams[big].line, key,
			    "stream '%s' expects about %.4g jobs over its window (%g jobs/day, "
			    "growing %g%%/month, days %g to %g); with the other work, %.4g jobs x %zu "
			    "fleet options = %.4g job runs; expected at most %.0f: lower the rate, "
			    "growth or window, or raise the limit with %s N", sc->streams[big].name,
			    most, sc->streams[big].rate_per_s * FS_SECONDS_PER_DAY,
			    100.0 * sc->streams[big].growth_per_month_frac,
			    sc->streams[big].start_s / FS_SECONDS_PER_DAY,
			    fmin(sc->streams[big].end_s, sc->horizon_s) / FS_SECONDS_PER_DAY, jobs,
			    sc->n_fleets, runs, max_job_runs, option);
}

const char *fs_workload_kind(const struct fs_scenario *sc, uint32_t source)
{
	assert(source < sc->n_jobs + sc->n_streams + (sc->history != NULL));
	if (source == sc->n_jobs + sc->n_streams)
		return "history";
	return source < sc->n_jobs ? "job" : sc->streams[source - sc->n_jobs].name;
}

char *fs_workload_job_name(const struct fs_scenario *sc, uint32_t source, uint32_t seq,
			   char *buf, size_t n)
{
	assert(source < sc->n_jobs + sc->n_streams + (sc->history != NULL) && n > 0);
	if (source == sc->n_jobs + sc->n_streams) {
		/* the original id; copies of a scaled history get "#<copy>" */
		const struct fs_history *h = sc->history;
		size_t i = (seq - 1) % h->n_jobs, c = (seq - 1) / h->n_jobs;
		char id[48];
		if (h->jobs[i].name[0])
			fs_strlcpy(id, h->jobs[i].name, sizeof(id));
		else
			snprintf(id, sizeof(id), "history-%zu", i + 1);
		if (c)
			snprintf(buf, n, "%s#%zu", id, c);
		else
			fs_strlcpy(buf, id, n);
	} else if (source < sc->n_jobs)
		fs_strlcpy(buf, sc->jobs[source].name, n);
	else
		snprintf(buf, n, "%s-%" PRIu32, sc->streams[source - sc->n_jobs].name, seq);
	return buf;
}
