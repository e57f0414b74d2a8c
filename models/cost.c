/*
 * cost.c - what a fleet costs, rented or owned (cost.h). Every formula and
 * default is in docs/MODELS.md, "Cost", with its source.
 */
#include "fleetsim/cost.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>

void fs_cost_spec_default(struct fs_cost_spec *c)
{
	*c = (struct fs_cost_spec){
		.mode = FS_COST_CLOUD,
		.committed = false,
		.usd_per_gpu_hour = NAN,
		.depreciation_years = FS_COST_DEPRECIATION_YEARS_DEFAULT,
		.pue = FS_COST_PUE_DEFAULT,
		.usd_per_kwh = FS_COST_USD_PER_KWH_DEFAULT,
		.hosting_usd_per_kw_month = FS_COST_HOSTING_USD_PER_KW_MONTH_DEFAULT,
		.idle_power_frac = NAN,
		.line = 0,
	};
}

/* a number outside [lo, hi] (NAN allowed when nan_ok) -> FS_ERR_INPUT naming cost.<key> */
static enum fs_status check_range(double v, bool nan_ok, double lo, bool lo_open, double hi,
				  const char *key, const struct fs_cost_spec *c, const char *file,
				  struct fs_error *e)
{
	char path[64];

	if (nan_ok && isnan(v))
		return FS_OK;
	if (isfinite(v) && v >= lo && !(lo_open && v <= lo) && v <= hi)
		return FS_OK;
	snprintf(path, sizeof(path), "cost.%s", key);
	return fs_error_set(e, FS_ERR_INPUT, file, c->line, path,
			    "found %g; expected a number %s %g and <= %g", v, lo_open ? ">" : ">=",
			    lo, hi);
}

enum fs_status fs_cost_spec_check(const struct fs_cost_spec *c, const char *file,
				  struct fs_error *e)
{
	if (check_range(c->depreciation_years, false, 0, true, 50, "depreciation_years", c, file, e) ||
	    check_range(c->pue, false, 1, false, 5, "pue", c, file, e) ||
	    check_range(c->usd_per_kwh, false, 0, false, 10, "usd_per_kwh", c, file, e) ||
	    check_range(c->hosting_usd_per_kw_month, false, 0, false, 1e4,
			"hosting_usd_per_kw_month", c, file, e) ||
	    check_range(c->usd_per_gpu_hour, true, 0, false, 1e3, "usd_per_gpu_hour", c, file, e) ||
	    check_range(c->idle_power_frac, true, 0, false, 1, "idle_power_frac", c, file, e))
		return FS_ERR_INPUT;
	return FS_OK;
}

double fs_cost_usd_per_gpu_hour(const struct fs_cost_spec *c, const struct fs_gpu *g)
{
	if (!isnan(c->usd_per_gpu_hour))
		return c->usd_per_gpu_hour;
	if (!c->committed)
		return g->cloud_usd_per_gpu_hour;
	/* 0 is what a catalog entry without the key holds */
	if (g->cloud_committed_usd_per_gpu_hour > 0)
		return g->cloud_committed_usd_per_gpu_hour;
	return g->cloud_usd_per_gpu_hour * FS_COST_COMMITTED_FRAC_DEFAULT;
}

double fs_cost_idle_power_frac(const struct fs_cost_spec *c, const struct fs_gpu *g)
{
	if (!isnan(c->idle_power_frac))
		return c->idle_power_frac;
	if (g->idle_power_frac > 0)
		return g->idle_power_frac;
	return FS_COST_IDLE_POWER_FRAC_DEFAULT;
}

/* busy GPUs within [0, installed]: time averages of the two may cross by rounding */
static double clamp_busy(double installed, double busy)
{
	assert(installed >= 0);
	if (!(busy > 0))
		return 0;
	return busy < installed ? busy : installed;
}

/* IT power of a pool in kW, before PUE */
static double it_kw(const struct fs_cost_spec *c, const struct fs_gpu *g,
		    double installed, double busy)
{
	double idle = installed - busy;

	return (busy + fs_cost_idle_power_frac(c, g) * idle) * g->server_kw_per_gpu;
}

double fs_cost_power_kw(const struct fs_cost_spec *c, const struct fs_gpu *g,
			double gpus_installed, double busy_gpus)
{
	double busy = clamp_busy(gpus_installed, busy_gpus);

	return it_kw(c, g, gpus_installed, busy) * c->pue;
}

void fs_cost_add_interval(const struct fs_cost_spec *c, const struct fs_gpu *g,
			  double gpus_installed, double busy_gpus, double dt_h,
			  struct fs_cost_parts *out)
{
	double gpu_h = gpus_installed * dt_h;
	double busy, kwh;

	assert(dt_h >= 0);
	busy = clamp_busy(gpus_installed, busy_gpus);
	switch (c->mode) {
	case FS_COST_CLOUD:
		/* power and hosting are in the rental price */
		out->rent_usd += gpu_h * fs_cost_usd_per_gpu_hour(c, g);
		break;
	case FS_COST_OWNED:
		assert(c->depreciation_years > 0);
		out->depreciation_usd += gpu_h * g->capex_usd_per_gpu /
					 (c->depreciation_years * FS_COST_HOURS_PER_YEAR);
		kwh = it_kw(c, g, gpus_installed, busy) * c->pue * dt_h;
		out->energy_kwh += kwh;
		out->power_usd += kwh * c->usd_per_kwh;
		/* hosting is billed on nameplate kW, used or not, without PUE */
		out->hosting_usd += gpu_h * g->server_kw_per_gpu * c->hosting_usd_per_kw_month /
				    FS_COST_HOURS_PER_MONTH;
		break;
	}
}

double fs_cost_parts_total(const struct fs_cost_parts *p)
{
	return p->rent_usd + p->depreciation_usd + p->power_usd + p->hosting_usd;
}

double fs_cost_idle_usd(const struct fs_cost_spec *c, const struct fs_gpu *g,
			double idle_gpus, double dt_h)
{
	struct fs_cost_parts p = { 0 };

	fs_cost_add_interval(c, g, idle_gpus, 0, dt_h, &p);
	return fs_cost_parts_total(&p);
}
