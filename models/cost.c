/*
 * cost.c - what a fleet costs (cost.h). Minimal placeholder holding only the
 * default spec the scenario loader needs; the cost model replaces this file.
 */
#include "fleetsim/cost.h"

#include <math.h>
#include <string.h>

/* Defaults and their sources: docs/MODELS.md ("Cost"). */
void fs_cost_spec_default(struct fs_cost_spec *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = FS_COST_CLOUD;
	c->committed = false;
	c->usd_per_gpu_hour = NAN;          /* the catalog's price */
	c->depreciation_years = 4.0;        /* hardware_and_prices.md: 3-5 yr; 4 the middle */
	c->pue = 1.25;                      /* Epoch: 1.25 for non-hyperscalers */
	c->usd_per_kwh = 0.08;              /* US industrial average 2023-2025 (Epoch) */
	c->hosting_usd_per_kw_month = 150.0; /* colocation $150-250/kW-month, low end */
	c->idle_power_frac = NAN;           /* the catalog's */
	c->line = 0;
}
