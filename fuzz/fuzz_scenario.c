/*
 * fuzz_scenario.c - libFuzzer target for the scenario loader.
 *
 * Each input is a scenario text. It is loaded with fs_scenario_load_text and
 * freed; nothing is simulated. Besides the sanitizers (ASan, UBSan, LSan),
 * the target checks the loader's contract from scenario.h and aborts when it
 * is broken:
 *   - the status is FS_OK, FS_ERR_INPUT or FS_ERR_NOMEM, nothing else;
 *   - on failure the error names the file it was given and has a message,
 *     and the scenario is empty (nothing half-loaded);
 *   - on success the scenario is complete: a name, a positive horizon, at
 *     least one fleet and some work, every fleet's n_gpus = nodes x
 *     gpus_per_node, and every job fits every fleet option.
 *
 * Inputs holding "@include" are skipped: libconfig then opens files named by
 * the input (absolute paths, FIFOs, /dev/zero), which makes a run depend on
 * the machine and can block forever; the include rules are tested on their
 * own (issue 8, class 7). Inputs holding a NUL byte are skipped because
 * fs_scenario_load refuses them before the text loader sees them.
 *
 * Built by -DFLEETSIM_FUZZ=ON with clang; run by `make fuzz` (docs/FUZZ.md).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/scenario.h"

#define FUZZ_NAME "fuzz.cfg"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
	if (!cond)
		abort();
}

static int has_include(const uint8_t *data, size_t n)
{
	static const char tag[] = "@include";
	const size_t len = sizeof(tag) - 1;

	for (size_t i = 0; i + len <= n; i++)
		if (data[i] == '@' && !memcmp(data + i, tag, len))
			return 1;
	return 0;
}

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

static void check_failure(const struct fs_scenario *sc, const struct fs_error *e,
			  enum fs_status st)
{
	require(st == FS_ERR_INPUT || st == FS_ERR_NOMEM);
	require(e->code == st);
	require(st != FS_ERR_INPUT || strcmp(e->file, FUZZ_NAME) == 0);
	require(e->msg[0] != '\0');
	require(!sc->source_text && !sc->fleets && !sc->jobs && !sc->streams);
	require(sc->n_fleets == 0 && sc->n_jobs == 0 && sc->n_streams == 0);
}

static void check_success(const struct fs_scenario *sc, size_t len)
{
	require(sc->source_text && sc->source_len == len);
	require(sc->name[0] != '\0');
	require(sc->horizon_s > 0.0);
	require(sc->n_fleets >= 1 && sc->fleets);
	require(sc->n_jobs + sc->n_streams >= 1);
	for (size_t i = 0; i < sc->n_fleets; i++) {
		const struct fs_fleet_opt *f = &sc->fleets[i];
		require(f->gpu && f->nodes >= 1 && f->gpus_per_node >= 1);
		require((long long)f->nodes * f->gpus_per_node == f->n_gpus);
	}
	for (size_t j = 0; j < sc->n_jobs; j++) {
		const struct fs_job_spec *job = &sc->jobs[j];
		require(job->model && job->gpus >= 1 && job->tokens > 0.0);
		require(job->submit_s >= 0.0 && job->submit_s < sc->horizon_s);
		for (size_t i = 0; i < sc->n_fleets; i++)
			require(job->gpus <= sc->fleets[i].n_gpus);
	}
	for (size_t s = 0; s < sc->n_streams; s++) {
		const struct fs_stream_spec *st = &sc->streams[s];
		require(st->n_models >= 1 && st->n_models <= FS_MAX_MIX);
		require(st->rate_per_s > 0.0 && st->start_s < st->end_s);
		for (int m = 0; m < st->n_models; m++)
			require(st->models[m].model && st->models[m].weight > 0.0);
		if (st->gpus.kind == FS_DIST_CHOICE)
			require(st->gpus.n_values >= 1 && st->gpus.n_values <= FS_MAX_CHOICES);
		for (size_t i = 0; i < sc->n_fleets; i++)
			require(floor(dist_largest(&st->gpus) + 0.5) <= sc->fleets[i].n_gpus);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_scenario sc;
	struct fs_error e;
	enum fs_status st;
	char *text;

	if (memchr(data, '\0', size) || has_include(data, size))
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	st = fs_scenario_load_text(text, FUZZ_NAME, &sc, &e);
	if (st == FS_OK) {
		check_success(&sc, size);
		fs_scenario_fini(&sc);
	} else {
		check_failure(&sc, &e, st);
	}
	free(text);
	return 0;
}
