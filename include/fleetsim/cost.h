/*
 * cost.h - what a fleet costs, rented or owned. Pure: no state, no I/O.
 * Formulas and every default with its source: docs/MODELS.md ("Cost").
 *
 * Cloud: every installed GPU-hour costs the price per GPU-hour of the chosen
 * term (on-demand or committed), busy or idle; power and hosting are in it.
 * Owned: the purchase (capex per GPU slot) is depreciated straight-line over
 * depreciation_years; power is server_kw_per_gpu at busy and idle_power_frac
 * of it at idle, times PUE, at usd_per_kwh; hosting is usd_per_kw_month per
 * kW of nameplate (server_kw_per_gpu) installed. Down GPUs draw idle power.
 */
#ifndef FLEETSIM_COST_H
#define FLEETSIM_COST_H

#include <stdbool.h>

#include "fleetsim/catalog.h"
#include "fleetsim/error.h"

/* Calendar: a year of 365.25 days; a month is a twelfth of it (as demand.h's 30.4375 days). */
#define FS_COST_HOURS_PER_YEAR 8766.0
#define FS_COST_HOURS_PER_MONTH (FS_COST_HOURS_PER_YEAR / 12.0)

/* Defaults, each with its source in docs/MODELS.md ("Cost"). */
#define FS_COST_DEPRECIATION_YEARS_DEFAULT 5.0     /* Epoch: 5 yr for hardware from 2023 on */
#define FS_COST_PUE_DEFAULT 1.25                   /* Epoch: non-hyperscaler (1.10 hyperscaler) */
#define FS_COST_USD_PER_KWH_DEFAULT 0.08           /* US industrial average 2022-2025 (0.077-0.083) */
#define FS_COST_HOSTING_USD_PER_KW_MONTH_DEFAULT 200.0 /* colocation $150-250 per kW-month, midpoint */
#define FS_COST_IDLE_POWER_FRAC_DEFAULT 0.25       /* assumption: a catalog entry without idle_power_frac */
#define FS_COST_COMMITTED_FRAC_DEFAULT 0.40        /* AWS 3-yr committed 35-45 % of on-demand */

enum fs_cost_mode { FS_COST_CLOUD = 0, FS_COST_OWNED };

struct fs_cost_spec {
	enum fs_cost_mode mode;
	bool committed;             /* cloud: committed-use price instead of on-demand */
	double usd_per_gpu_hour;    /* cloud: overrides the catalog's price; NAN = catalog */
	double depreciation_years;  /* owned */
	double pue;                 /* owned: facility power / IT power */
	double usd_per_kwh;         /* owned */
	double hosting_usd_per_kw_month; /* owned: colocation per kW of nameplate */
	double idle_power_frac;     /* owned: idle power / busy power of a GPU slot; NAN = catalog */
	int line;                   /* in the scenario, 0 for defaults */
};

/* Cost of one interval split into its parts (USD). */
struct fs_cost_parts {
	double rent_usd;            /* cloud: installed GPU-hours x price */
	double depreciation_usd;    /* owned */
	double power_usd;           /* owned */
	double hosting_usd;         /* owned */
	double energy_kwh;          /* owned: facility energy (PUE included); cloud: 0 */
};

/* The default spec: cloud, on-demand, catalog prices (and owned defaults filled in). */
void fs_cost_spec_default(struct fs_cost_spec *c);

/*
 * Checks a spec's ranges: depreciation_years in (0, 50], pue in [1, 5],
 * usd_per_kwh in [0, 10], hosting_usd_per_kw_month in [0, 10^4],
 * usd_per_gpu_hour NAN or in [0, 10^3], idle_power_frac NAN or in [0, 1].
 * FS_OK, or FS_ERR_INPUT with e naming file, c->line and the key as
 * "cost.<key>" (the scenario loader calls it after reading `cost`).
 */
enum fs_status fs_cost_spec_check(const struct fs_cost_spec *c, const char *file,
				  struct fs_error *e);

/*
 * Cloud price per installed GPU-hour of g under c, USD: c->usd_per_gpu_hour
 * when set (not NAN); else, committed, the catalog's
 * cloud_committed_usd_per_gpu_hour, or when that is 0 (unknown) the
 * on-demand price x FS_COST_COMMITTED_FRAC_DEFAULT; else the catalog's
 * on-demand cloud_usd_per_gpu_hour. Used for owned fleets too: it is the
 * price a run records for the pool.
 */
double fs_cost_usd_per_gpu_hour(const struct fs_cost_spec *c, const struct fs_gpu *g);

/* Idle power / busy power of a slot of g under c: the spec's when set (not
 * NAN), else the catalog's, else (catalog 0) FS_COST_IDLE_POWER_FRAC_DEFAULT. */
double fs_cost_idle_power_frac(const struct fs_cost_spec *c, const struct fs_gpu *g);

/*
 * Cost of dt_h hours of a pool of GPU type g with gpus_installed GPUs of
 * which busy_gpus (training + serving, time-averaged) were busy, into *out
 * (summed into, so a caller adds pools and intervals). Parts add up to the
 * total: fs_cost_parts_total(out). gpus_installed >= 0 and dt_h >= 0 are
 * asserted; busy_gpus is clamped to [0, gpus_installed] (time averages may
 * differ from it by rounding). The cost is linear in both counts.
 */
void fs_cost_add_interval(const struct fs_cost_spec *c, const struct fs_gpu *g,
			  double gpus_installed, double busy_gpus, double dt_h,
			  struct fs_cost_parts *out);

/* rent + depreciation + power + hosting, USD (energy_kwh is not money). */
double fs_cost_parts_total(const struct fs_cost_parts *p);

/*
 * The cost that idle_gpus idle GPUs of type g account for over dt_h hours,
 * USD: what fs_cost_add_interval charges for idle_gpus installed GPUs none
 * of which is busy (cloud: their rent; owned: their depreciation, hosting
 * and idle power). Because the cost is linear, the cost of a pool splits
 * exactly into its busy GPUs (all busy) and this: add_interval(n, b) =
 * add_interval(b, b) + idle_usd(n - b). A caller decides whether down
 * GPUs count as idle (the series keeps them apart).
 */
double fs_cost_idle_usd(const struct fs_cost_spec *c, const struct fs_gpu *g,
			double idle_gpus, double dt_h);

/* Facility power in kW of a pool (owned and cloud alike, for the series):
 * (busy + idle_power_frac x (installed - busy)) x server_kw_per_gpu x c->pue.
 * Same assertions and clamp as fs_cost_add_interval. */
double fs_cost_power_kw(const struct fs_cost_spec *c, const struct fs_gpu *g,
			double gpus_installed, double busy_gpus);

#endif
