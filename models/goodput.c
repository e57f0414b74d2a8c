/*
 * goodput.c - whole-run goodput as named parts (goodput.h; formulas and
 * sources: docs/models/training.md section 7).
 */
#include "fleetsim/goodput.h"

#include <math.h>
#include <string.h>

void fs_goodput_coef_default(struct fs_goodput_coef *c)
{
	c->stall_frac_at_ref = FS_GOODPUT_STALL_FRAC_AT_REF;
	c->stall_scale_exp = FS_GOODPUT_STALL_SCALE_EXP;
}

/* Stall share of the steady time on n GPUs (clamped to the fitted range). */
static double stall_frac(const struct fs_goodput_coef *c, int n)
{
	double k = fmin(fmax((double)n, FS_GOODPUT_STALL_MIN_GPUS), FS_GOODPUT_STALL_MAX_GPUS) /
		   FS_GOODPUT_STALL_REF_GPUS;

	return c->stall_frac_at_ref > 0 ? c->stall_frac_at_ref * pow(k, c->stall_scale_exp) : 0.0;
}

void fs_goodput_parts(const struct fs_goodput_run *in, const struct fs_goodput_coef *c,
		      struct fs_goodput_parts *out)
{
	double T = in->steady_s, tau = in->ckpt_interval_s;
	double w = in->ckpt_write_s > 0 ? in->ckpt_write_s : 0.0;
	double ramp_extra, train_s, steps, x, g, pre, per_fail, f;

	memset(out, 0, sizeof(*out));
	if (!(T > 0))
		return;
	out->steady_s = T;
	/* batch-size ramp: its tokens at a lower throughput, plus the start */
	ramp_extra = FS_GOODPUT_RAMP_TOKEN_FRAC * T * (1.0 / FS_GOODPUT_RAMP_SPEED_FRAC - 1.0);
	out->ramp_s = FS_GOODPUT_STARTUP_S + ramp_extra;
	out->stall_s = stall_frac(c, in->n_gpus) * T;
	/* checkpoints fall every tau seconds of training, ramp included */
	train_s = T + ramp_extra;
	if (tau > 0 && w > 0) {
		out->n_ckpts = floor(train_s / tau);
		out->ckpt_s = out->n_ckpts * w;
	}
	steps = in->step_time_s > 0 ? T / in->step_time_s : 0.0;
	out->n_evals = floor(steps / FS_GOODPUT_EVAL_INTERVAL_STEPS);
	out->eval_s = out->n_evals * FS_GOODPUT_EVAL_ITERS * FS_GOODPUT_EVAL_STEP_FRAC *
		      in->step_time_s;

	/* long-run gate on the steady time */
	x = T / FS_GOODPUT_LONG_RUN_S;
	g = -expm1(-(x * x) * (x * x));
	out->long_run_frac = g;
	out->ramp_s *= g;
	out->stall_s *= g;
	pre = T + out->ckpt_s + out->eval_s + out->ramp_s + out->stall_s;

	/* interruptions at rate g/M over the whole wall time, each losing half
	 * a checkpoint period (none with free checkpoints, tau = 0) and the
	 * restart: wall = pre + wall * f */
	per_fail = (tau > 0 ? (tau + w) / 2.0 : 0.0) + in->restart_s;
	f = in->job_mtbf_s > 0 ? g * per_fail / in->job_mtbf_s : 0.0;
	if (!(f < 1.0)) {
		out->wall_s = INFINITY;
		return;
	}
	out->wall_s = pre / (1.0 - f);
	if (in->job_mtbf_s > 0) {
		out->n_interruptions = g * out->wall_s / in->job_mtbf_s;
		out->failure_restart_s = out->n_interruptions * in->restart_s;
		out->failure_lost_s = out->wall_s - pre - out->failure_restart_s;
	}
}

double fs_goodput_frac(const struct fs_goodput_parts *p)
{
	if (p->wall_s <= 0)
		return 1.0;
	if (isinf(p->wall_s))
		return 0.0;
	return p->steady_s / p->wall_s;
}

/* Sum of squared log errors of c over the observations. */
static double sq_log_err(const struct fs_goodput_obs *obs, size_t n, const struct fs_goodput_coef *c)
{
	struct fs_goodput_parts p;
	double sum = 0.0;

	for (size_t i = 0; i < n; i++) {
		double e;

		fs_goodput_parts(&obs[i].run, c, &p);
		e = log(p.wall_s / obs[i].published_wall_s);
		sum += e * e;
	}
	return sum;
}

void fs_goodput_fit(const struct fs_goodput_obs *obs, size_t n, struct fs_goodput_coef *out,
		    double *rms_log)
{
	struct fs_goodput_coef c, best;
	double best_sum = INFINITY;

	fs_goodput_coef_default(&best);
	for (int i = 0; n > 0 && i <= 150; i++) {
		for (int j = -150; j <= 50; j++) {
			double sum;

			c.stall_frac_at_ref = i / 100.0;
			c.stall_scale_exp = j / 100.0;
			sum = sq_log_err(obs, n, &c);
			if (sum < best_sum) {
				best_sum = sum;
				best = c;
			}
		}
	}
	*out = best;
	if (rms_log)
		*rms_log = n > 0 ? sqrt(best_sum / (double)n) : 0.0;
}
