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

/* Cloud price per installed GPU-hour of g under c (the catalog's unless overridden). */
double fs_cost_usd_per_gpu_hour(const struct fs_cost_spec *c, const struct fs_gpu *g);

/*
 * Cost of dt_h hours of a pool of GPU type g with gpus_installed GPUs of
 * which busy_gpus (training + serving, time-averaged) were busy, into *out
 * (summed into, so a caller adds pools and intervals). Parts add up to the
 * total: fs_cost_parts_total(out).
 */
void fs_cost_add_interval(const struct fs_cost_spec *c, const struct fs_gpu *g,
			  double gpus_installed, double busy_gpus, double dt_h,
			  struct fs_cost_parts *out);

double fs_cost_parts_total(const struct fs_cost_parts *p);

/* Facility power in kW of a pool (owned and cloud alike, for the series). */
double fs_cost_power_kw(const struct fs_cost_spec *c, const struct fs_gpu *g,
			double gpus_installed, double busy_gpus);

#endif
