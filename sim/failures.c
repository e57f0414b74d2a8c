/*
 * failures.c - job interruptions and checkpoints (see failures.h).
 */
#include "fleetsim/failures.h"
#include "fleetsim/run.h"
#include "fleetsim/util.h"

#include <assert.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

enum fs_status fs_failures_init(struct fs_failures *f, const struct fs_scenario *sc,
				const struct fs_gpu *g, int pool, uint64_t seed, struct fs_error *e)
{
	char name[32];

	memset(f, 0, sizeof(*f));
	f->enabled = sc->failures.enabled;
	fs_run_failure_params(sc, g, &f->fp);
	f->rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!f->rng)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	if (pool == 0)
		snprintf(name, sizeof(name), "failures");
	else
		snprintf(name, sizeof(name), "failures:%d", pool);
	gsl_rng_set(f->rng, (unsigned long)fs_seed_mix(seed, name));
	return FS_OK;
}

void fs_failures_fini(struct fs_failures *f)
{
	gsl_rng_free(f->rng);
	memset(f, 0, sizeof(*f));
}

double fs_failures_tau_s(const struct fs_failures *f, int gpus)
{
	double tau = fs_failure_ckpt_interval_s(&f->fp, gpus);

	/* Young's interval is 0 only when a write costs nothing: the model then
	 * keeps every second of work (goodput 1 - r/M), and so must a failure */
	return tau > 0 ? tau : 0.0;
}

double fs_failures_wall_to_finish_s(const struct fs_failures *f, double work_left_s, double tau_s)
{
	double n_ckpt;

	if (!(tau_s > 0))
		return work_left_s;
	n_ckpt = ceil(work_left_s / tau_s) - 1.0;

	return work_left_s + (n_ckpt > 0 ? n_ckpt * f->fp.ckpt_write_s : 0.0);
}

double fs_failures_next_s(struct fs_failures *f, int gpus)
{
	if (!f->enabled)
		return INFINITY;
	return gsl_ran_exponential(f->rng, fs_failure_job_mtbf_s(&f->fp, gpus));
}

double fs_failures_left_after_s(const struct fs_failures *f, double work_left_s, double tau_s,
				double elapsed_s, double *lost_s)
{
	double cycles;

	if (!(tau_s > 0)) {
		/* continuous, free checkpoints: all the work so far is kept */
		*lost_s = 0.0;
		work_left_s -= elapsed_s;
		return work_left_s < 0 ? 0.0 : work_left_s;
	}
	cycles = floor(elapsed_s / (tau_s + f->fp.ckpt_write_s));
	*lost_s = elapsed_s - cycles * (tau_s + f->fp.ckpt_write_s);
	work_left_s -= cycles * tau_s;
	return work_left_s < 0 ? 0.0 : work_left_s;
}

double fs_failures_work_left_s(struct fs_failures *f, double work_left_s, double tau_s,
			       double elapsed_s, double *lost_s)
{
	f->n_failures++;
	return fs_failures_left_after_s(f, work_left_s, tau_s, elapsed_s, lost_s);
}

enum fs_status fs_node_failures_init(struct fs_node_failures *nf, const struct fs_scenario *sc,
				     uint64_t seed, struct fs_error *e)
{
	memset(nf, 0, sizeof(*nf));
	nf->enabled = sc->node_failures.enabled;
	if (!nf->enabled)
		return FS_OK;
	nf->mtbf_s = sc->node_failures.mtbf_s;
	nf->repair_s = sc->node_failures.repair_s;
	nf->rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!nf->rng)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	gsl_rng_set(nf->rng, (unsigned long)fs_seed_mix(seed, "node-failures"));
	return FS_OK;
}

void fs_node_failures_fini(struct fs_node_failures *nf)
{
	if (nf->rng)
		gsl_rng_free(nf->rng);
	memset(nf, 0, sizeof(*nf));
}

double fs_node_failures_next_s(struct fs_node_failures *nf)
{
	assert(nf->enabled && nf->mtbf_s > 0);
	return gsl_ran_exponential(nf->rng, nf->mtbf_s);
}
