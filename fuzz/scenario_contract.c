/*
 * scenario_contract.c - the loader's promises checked on one outcome
 * (scenario_contract.h). Expected values come from the documented meaning of
 * each field, not from the loader's own helpers.
 */
#include "scenario_contract.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Largest value a draw can give, from the documented meaning of each kind. */
static double dist_largest(const struct fs_dist *d)
{
	double m;

	switch (d->kind) {
	case FS_DIST_FIXED:
		return d->a;
	case FS_DIST_CHOICE:
		m = d->values[0];
		for (int i = 1; i < d->n_values; i++)
			m = d->values[i] > m ? d->values[i] : m;
		return m;
	case FS_DIST_UNIFORM:
		return d->hi > d->lo && d->hi < d->b ? d->hi : d->b;
	case FS_DIST_LOGNORMAL:
	case FS_DIST_EXPONENTIAL:
		return d->hi;
	}
	abort();
}

/* A choice's weights: each >= 0 and finite, their sum > 0 and finite (a draw divides by it). */
static bool choice_weights_ok(const struct fs_dist *d)
{
	double sum = 0;

	if (d->kind != FS_DIST_CHOICE)
		return true;
	for (int i = 0; i < d->n_values; i++) {
		if (!(d->weights[i] >= 0) || !isfinite(d->weights[i]))
			return false;
		sum += d->weights[i];
	}
	return sum > 0 && isfinite(sum);
}

static const char *check_failure(const struct fs_scenario *sc, const struct fs_error *e,
				 enum fs_status st, const char *name)
{
	if (st != FS_ERR_INPUT && st != FS_ERR_NOMEM)
		return "status is neither FS_OK, FS_ERR_INPUT nor FS_ERR_NOMEM";
	if (e->code != st)
		return "error code differs from the status returned";
	if (e->msg[0] == '\0')
		return "error without a message";
	if (st == FS_ERR_INPUT && strcmp(e->file, name) != 0)
		return "input error does not name the file";
	if (sc->source_text || sc->fleets || sc->jobs || sc->streams || sc->n_fleets ||
	    sc->n_jobs || sc->n_streams)
		return "scenario half-loaded after a failure";
	return NULL;
}

static const char *check_fleets(const struct fs_scenario *sc)
{
	if (sc->n_fleets < 1 || !sc->fleets)
		return "no fleet option";
	for (size_t i = 0; i < sc->n_fleets; i++) {
		const struct fs_fleet_opt *f = &sc->fleets[i];
		if (!f->gpu || f->nodes < 1 || f->gpus_per_node < 1)
			return "fleet without a GPU, nodes or GPUs per node";
		if ((long long)f->nodes * f->gpus_per_node != f->n_gpus)
			return "fleet n_gpus differs from nodes x gpus_per_node";
	}
	return NULL;
}

static const char *check_work(const struct fs_scenario *sc)
{
	if (sc->n_jobs + sc->n_streams < 1)
		return "no job and no stream";
	for (size_t j = 0; j < sc->n_jobs; j++) {
		const struct fs_job_spec *job = &sc->jobs[j];
		if (!job->model || job->gpus < 1 || !(job->tokens > 0.0))
			return "job without a model, GPUs or tokens";
		if (!(job->submit_s >= 0.0 && job->submit_s < sc->horizon_s))
			return "job submitted outside [0, horizon)";
		for (size_t i = 0; i < sc->n_fleets; i++)
			if (job->gpus > sc->fleets[i].n_gpus)
				return "job larger than a fleet option";
	}
	for (size_t s = 0; s < sc->n_streams; s++) {
		const struct fs_stream_spec *st = &sc->streams[s];
		if (st->n_models < 1 || st->n_models > FS_MAX_MIX)
			return "stream model mix empty or too long";
		for (int m = 0; m < st->n_models; m++)
			if (!st->models[m].model || !(st->models[m].weight > 0.0))
				return "stream mix entry without a model or a positive weight";
		if (!(st->rate_per_s > 0.0))
			return "stream without a positive rate";
		if (!(st->start_s < st->end_s))
			return "stream arrival window empty (start_day >= end_day)";
		if (st->gpus.kind == FS_DIST_CHOICE &&
		    (st->gpus.n_values < 1 || st->gpus.n_values > FS_MAX_CHOICES))
			return "stream GPU choice with no or too many values";
		if (!choice_weights_ok(&st->gpus) || !choice_weights_ok(&st->tokens))
			return "stream choice weights negative, not finite, or summing to 0 or infinity";
		for (size_t i = 0; i < sc->n_fleets; i++)
			if (floor(dist_largest(&st->gpus) + 0.5) > sc->fleets[i].n_gpus)
				return "stream GPU draw larger than a fleet option";
	}
	return NULL;
}

const char *fz_scenario_contract(const struct fs_scenario *sc, const struct fs_error *e,
				 enum fs_status st, const char *name, size_t len)
{
	const char *why;

	if (st != FS_OK)
		return check_failure(sc, e, st, name);
	if (!sc->source_text || sc->source_len != len)
		return "source text not kept whole";
	if (sc->name[0] == '\0')
		return "scenario without a name";
	if (!(sc->horizon_s > 0.0))
		return "horizon not positive";
	if ((why = check_fleets(sc)) || (why = check_work(sc)))
		return why;
	return NULL;
}
