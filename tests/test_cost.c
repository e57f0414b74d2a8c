/*
 * test_cost.c - the cost model (cost.h): cloud on-demand and committed,
 * owned (depreciation, power busy and idle with PUE, hosting), parts
 * summing to the total, facility power, overrides, the idle-GPU share, the
 * built-in catalog's prices, and published owned-cost figures.
 * Expected values are hand calculations (the arithmetic is in the comment
 * beside each) or figures from ../shared/reference/hardware_and_prices.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "fleetsim/cost.h"
#include "fleetsim/scenario.h"
#include "testutil.h"

/* relative tolerance: the hand values are exact to 14+ digits */
#define REL 1e-12

static void assert_close(double got, double want, double rel)
{
	if (!(fabs(got - want) <= rel * fabs(want) + 1e-12)) {
		print_error("got %.17g, want %.17g (rel %g)\n", got, want, rel);
		fail();
	}
}

/* A made-up GPU with high-entropy prices and power. */
static struct fs_gpu hand_gpu(void)
{
	struct fs_gpu g;

	memset(&g, 0, sizeof(g));
	strcpy(g.name, "G");
	strcpy(g.arch, "hopper");
	g.cloud_usd_per_gpu_hour = 2.37;
	g.cloud_committed_usd_per_gpu_hour = 1.13;
	g.capex_usd_per_gpu = 27350.0;
	g.server_kw_per_gpu = 1.175;
	g.idle_power_frac = 0.3;
	return g;
}

static struct fs_cost_spec owned_spec(void)
{
	struct fs_cost_spec c;

	fs_cost_spec_default(&c);
	c.mode = FS_COST_OWNED;
	c.depreciation_years = 4.0;
	c.pue = 1.18;
	c.usd_per_kwh = 0.0915;
	c.hosting_usd_per_kw_month = 185.0;
	return c;
}

/* 96 GPUs installed, 41.5 busy on average, 3.25 h: 312 installed GPU-hours. */
#define N_INST 96.0
#define N_BUSY 41.5
#define DT_H 3.25

static void test_cost_default_spec(void **state)
{
	struct fs_cost_spec c;

	(void)state;
	fs_cost_spec_default(&c);
	assert_int_equal(c.mode, FS_COST_CLOUD);
	assert_false(c.committed);
	assert_true(isnan(c.usd_per_gpu_hour));
	assert_true(isnan(c.idle_power_frac));
	/* Epoch: 5-yr life for 2023+ hardware, PUE 1.25 non-hyperscaler;
	 * US industrial power 0.077-0.083 $/kWh 2022-2025; colo $150-250/kW-month */
	assert_close(c.depreciation_years, 5.0, REL);
	assert_close(c.pue, 1.25, REL);
	assert_true(c.usd_per_kwh >= 0.077 && c.usd_per_kwh <= 0.0832);
	assert_true(c.hosting_usd_per_kw_month >= 150 && c.hosting_usd_per_kw_month <= 250);
	assert_int_equal(c.line, 0);
}

static void test_cost_cloud_on_demand(void **state)
{
	struct fs_gpu g = hand_gpu();
	struct fs_cost_spec c;
	struct fs_cost_parts p = { 0 };

	(void)state;
	fs_cost_spec_default(&c);
	fs_cost_add_interval(&c, &g, N_INST, N_BUSY, DT_H, &p);
	/* 96 x 3.25 = 312 GPU-h x 2.37 = 739.44, busy or idle alike */
	assert_close(p.rent_usd, 739.44, REL);
	assert_true(p.depreciation_usd == 0 && p.power_usd == 0 && p.hosting_usd == 0);
	assert_true(p.energy_kwh == 0);
	assert_close(fs_cost_parts_total(&p), 739.44, REL);
	/* the price does not depend on how busy the pool was */
	memset(&p, 0, sizeof(p));
	fs_cost_add_interval(&c, &g, N_INST, 0, DT_H, &p);
	assert_close(p.rent_usd, 739.44, REL);
	assert_close(fs_cost_usd_per_gpu_hour(&c, &g), 2.37, REL);
}

static void test_cost_cloud_committed(void **state)
{
	struct fs_gpu g = hand_gpu();
	struct fs_cost_spec c;
	struct fs_cost_parts p = { 0 };

	(void)state;
	fs_cost_spec_default(&c);
	c.committed = true;
	fs_cost_add_interval(&c, &g, N_INST, N_BUSY, DT_H, &p);
	/* 312 GPU-h x 1.13 = 352.56 */
	assert_close(p.rent_usd, 352.56, REL);
	/* an entry without a committed price: on-demand x 0.40 (AWS 3-yr 35-45 %) */
	g.cloud_committed_usd_per_gpu_hour = 0;
	assert_close(fs_cost_usd_per_gpu_hour(&c, &g), 0.948, REL);
	memset(&p, 0, sizeof(p));
	fs_cost_add_interval(&c, &g, N_INST, N_BUSY, DT_H, &p);
	assert_close(p.rent_usd, 312 * 0.948, REL); /* 295.776 */
}

static void test_cost_override_price(void **state)
{
	struct fs_gpu g = hand_gpu();
	struct fs_cost_spec c;
	struct fs_cost_parts p = { 0 };

	(void)state;
	fs_cost_spec_default(&c);
	c.usd_per_gpu_hour = 1.85;
	c.committed = true; /* the spec's own price wins over either catalog price */
	assert_close(fs_cost_usd_per_gpu_hour(&c, &g), 1.85, REL);
	fs_cost_add_interval(&c, &g, N_INST, N_BUSY, DT_H, &p);
	assert_close(p.rent_usd, 577.2, REL); /* 312 x 1.85 */
}

static void test_cost_owned_parts(void **state)
{
	struct fs_gpu g = hand_gpu();
	struct fs_cost_spec c = owned_spec();
	struct fs_cost_parts p = { 0 };
	double kw, kwh, dep, pow_usd, host;

	(void)state;
	fs_cost_add_interval(&c, &g, N_INST, N_BUSY, DT_H, &p);
	/* depreciation: 312 GPU-h x 27,350 / (4 yr x 8,766 h) = 8,533,200 / 35,064 */
	dep = 243.36071184120465;
	/* IT power: (41.5 busy + 0.3 x 54.5 idle) x 1.175 kW = 57.85 x 1.175 = 67.97375 kW;
	 * facility: x 1.18 = 80.209025 kW; x 3.25 h = 260.67933125 kWh */
	kw = 80.209025;
	kwh = 260.67933125;
	/* power: 260.67933125 kWh x 0.0915 $/kWh */
	pow_usd = 23.852158809375;
	/* hosting: 312 GPU-h x 1.175 kW x 185 $/kW-month / 730.5 h per month = 67,821 / 730.5 */
	host = 92.84188911704312;
	assert_true(p.rent_usd == 0);
	assert_close(p.depreciation_usd, dep, REL);
	assert_close(p.energy_kwh, kwh, REL);
	assert_close(p.power_usd, pow_usd, REL);
	assert_close(p.hosting_usd, host, REL);
	assert_close(fs_cost_parts_total(&p), dep + pow_usd + host, REL);
	assert_close(fs_cost_power_kw(&c, &g, N_INST, N_BUSY), kw, REL);
}

static void test_cost_owned_idle_power_override(void **state)
{
	struct fs_gpu g = hand_gpu();
	struct fs_cost_spec c = owned_spec();
	struct fs_cost_parts p = { 0 };

	(void)state;
	c.idle_power_frac = 0.12;
	assert_close(fs_cost_idle_power_frac(&c, &g), 0.12, REL);
	/* (41.5 + 0.12 x 54.5) x 1.175 x 1.18 = 48.04 x 1.38650 = 66.60746 kW */
	assert_close(fs_cost_power_kw(&c, &g, N_INST, N_BUSY), 66.60746, REL);
	fs_cost_add_interval(&c, &g, N_INST, N_BUSY, DT_H, &p);
	assert_close(p.energy_kwh, 66.60746 * 3.25, REL);
	/* a catalog entry without idle_power_frac (0) falls back to 0.25 */
	fs_cost_spec_default(&c);
	g.idle_power_frac = 0;
	assert_close(fs_cost_idle_power_frac(&c, &g), 0.25, REL);
	/* all idle: 96 x 0.25 x 1.175 x 1.25 = 35.25 kW */
	assert_close(fs_cost_power_kw(&c, &g, N_INST, 0), 35.25, REL);
}

static void test_cost_power_bounds(void **state)
{
	struct fs_gpu g = hand_gpu();
	struct fs_cost_spec c = owned_spec();

	(void)state;
	/* all busy: 96 x 1.175 x 1.18 = 133.104 kW; all idle: x 0.3 = 39.9312 kW */
	assert_close(fs_cost_power_kw(&c, &g, N_INST, N_INST), 133.104, REL);
	assert_close(fs_cost_power_kw(&c, &g, N_INST, 0), 39.9312, REL);
	/* time averages that cross the installed count by rounding are clamped */
	assert_close(fs_cost_power_kw(&c, &g, N_INST, N_INST * (1 + 1e-15)), 133.104, REL);
	assert_close(fs_cost_power_kw(&c, &g, N_INST, -1e-13), 39.9312, REL);
	/* an empty pool costs and draws nothing */
	assert_true(fs_cost_power_kw(&c, &g, 0, 0) == 0);
	assert_true(fs_cost_idle_usd(&c, &g, 0, DT_H) == 0);
	/* the cloud series reports power too (the same formula) */
	fs_cost_spec_default(&c);
	assert_close(fs_cost_power_kw(&c, &g, N_INST, N_INST), 96 * 1.175 * 1.25, REL);
}

static void test_cost_sums_into(void **state)
{
	struct fs_gpu g = hand_gpu();
	struct fs_cost_spec c = owned_spec();
	struct fs_cost_parts one = { 0 }, two = { 0 };

	(void)state;
	fs_cost_add_interval(&c, &g, N_INST, N_BUSY, DT_H, &one);
	/* two half intervals add up to the whole one */
	fs_cost_add_interval(&c, &g, N_INST, N_BUSY, DT_H / 2, &two);
	fs_cost_add_interval(&c, &g, N_INST, N_BUSY, DT_H / 2, &two);
	assert_close(two.depreciation_usd, one.depreciation_usd, REL);
	assert_close(two.power_usd, one.power_usd, REL);
	assert_close(two.hosting_usd, one.hosting_usd, REL);
	assert_close(two.energy_kwh, one.energy_kwh, REL);
	assert_close(fs_cost_parts_total(&two), fs_cost_parts_total(&one), REL);
}

/* cost(installed, busy) = cost(busy, busy) + idle_usd(installed - busy): linearity */
static void test_cost_idle_share(void **state)
{
	struct fs_gpu g = hand_gpu();
	struct fs_cost_spec specs[2];

	(void)state;
	fs_cost_spec_default(&specs[0]);
	specs[1] = owned_spec();
	for (int i = 0; i < 2; i++) {
		struct fs_cost_parts all = { 0 }, busy = { 0 };
		double idle = fs_cost_idle_usd(&specs[i], &g, N_INST - N_BUSY, DT_H);

		fs_cost_add_interval(&specs[i], &g, N_INST, N_BUSY, DT_H, &all);
		fs_cost_add_interval(&specs[i], &g, N_BUSY, N_BUSY, DT_H, &busy);
		assert_close(fs_cost_parts_total(&busy) + idle, fs_cost_parts_total(&all), 1e-12);
	}
	/* cloud: 54.5 idle x 3.25 h = 177.125 GPU-h x 2.37 = 419.78625 */
	assert_close(fs_cost_idle_usd(&specs[0], &g, 54.5, DT_H), 419.78625, REL);
	/* owned, one idle GPU for one hour: 27,350 / 35,064 (depreciation)
	 * + 0.3 x 1.175 x 1.18 x 0.0915 (power) + 1.175 x 185 / 730.5 (hosting) */
	assert_close(fs_cost_idle_usd(&specs[1], &g, 1, 1),
		     27350.0 / 35064.0 + 0.3 * 1.175 * 1.18 * 0.0915 + 1.175 * 185.0 / 730.5, REL);
}

/* Every built-in GPU carries dated rental and purchase prices, a committed
 * price below its on-demand one and an idle power fraction. */
static void test_cost_catalog_prices(void **state)
{
	const struct fs_catalog *cat = tu_catalog();

	(void)state;
	assert_true(cat->n_gpus >= 7);
	for (size_t i = 0; i < cat->n_gpus; i++) {
		const struct fs_gpu *g = &cat->gpus[i];

		if (!(g->cloud_usd_per_gpu_hour > 0 && g->cloud_committed_usd_per_gpu_hour > 0 &&
		      g->cloud_committed_usd_per_gpu_hour < g->cloud_usd_per_gpu_hour &&
		      g->price_year >= 2020 && g->price_year < 2027 &&
		      g->capex_year >= 2020 && g->capex_year < 2027 && g->capex_usd_per_gpu > 0 &&
		      g->server_kw_per_gpu > 0 && g->idle_power_frac > 0 && g->idle_power_frac < 1 &&
		      (strstr(g->source, "[COMMIT]") || strstr(g->source, "committed")))) {
			print_error("GPU %s lacks a dated, sourced price or power field\n", g->name);
			fail();
		}
	}
}

/* Published owned-cost figures (hardware_and_prices.md section 7: 5-yr life,
 * PUE 1.25, $0.08/kWh; energy there at 0.75 of nameplate, here at nameplate). */
static void test_cost_published_owned_h100(void **state)
{
	struct fs_gpu g = *tu_gpu("H100");
	struct fs_cost_spec c;
	struct fs_cost_parts p = { 0 };

	(void)state;
	fs_cost_spec_default(&c);
	c.mode = FS_COST_OWNED;
	c.hosting_usd_per_kw_month = 0; /* section 7 leaves facility rent out */
	/* HGX H100 bought 2025-01: all-in $39,388 per GPU -> $0.90 per GPU-hour over 5 years */
	g.capex_usd_per_gpu = 39388.0;
	fs_cost_add_interval(&c, &g, 1, 1, 1, &p);
	assert_true(fabs(p.depreciation_usd - 0.90) < 0.005); /* the table rounds to cents */
	/* energy $0.096 per GPU-hour at 0.75 of 1.275 kW -> 0.096 / 0.75 = 0.128 at nameplate */
	assert_true(fabs(p.power_usd - 0.096 / 0.75) < 0.0005 / 0.75 + 1e-12);
	assert_true(p.hosting_usd == 0);
}

/* A scenario overrides the new catalog keys by alias; bad values name the key. */
static void test_cost_catalog_override(void **state)
{
	static const char base[] =
		"name = \"t\"; seed = 7; horizon_days = 30.0;\n"
		"fleets = ( { name = \"a\"; gpu = \"A100\"; nodes = 2; } );\n"
		"training = { jobs = ( { name = \"j\"; model = \"Llama-2-7B\"; tokens = 1e9; gpus = 8; } ); };\n";
	char text[2048];
	struct fs_scenario sc;
	struct fs_error e;
	struct fs_cost_spec c;

	(void)state;
	snprintf(text, sizeof(text),
		 "%sgpus = ( { name = \"A100\"; idle_power_frac = 0.17; price_year = 2026.5;\n"
		 "  cloud_committed_usd_per_gpu_hour = 1.234; } );\n", base);
	assert_int_equal(fs_scenario_load_text(text, "ov.cfg", &sc, &e), FS_OK);
	{
		const struct fs_gpu *g = fs_catalog_gpu(&sc.catalog, "A100-SXM4-80GB");

		assert_non_null(g);
		fs_cost_spec_default(&c);
		assert_close(fs_cost_idle_power_frac(&c, g), 0.17, REL);
		c.committed = true;
		assert_close(fs_cost_usd_per_gpu_hour(&c, g), 1.234, REL);
		assert_close(g->price_year, 2026.5, REL);
	}
	fs_scenario_fini(&sc);
	snprintf(text, sizeof(text), "%sgpus = ( { name = \"A100\"; idle_power_frac = 0.0; } );\n", base);
	assert_int_not_equal(fs_scenario_load_text(text, "bad.cfg", &sc, &e), FS_OK);
	assert_non_null(strstr(e.key, "idle_power_frac"));
	assert_int_equal(e.line, 4);
}

static void test_cost_spec_check(void **state)
{
	struct fs_cost_spec c;
	struct fs_error e;

	(void)state;
	fs_cost_spec_default(&c);
	assert_int_equal(fs_cost_spec_check(&c, "s.cfg", &e), FS_OK);
	c.line = 17;
	c.pue = 0.9; /* facility power below IT power */
	assert_int_equal(fs_cost_spec_check(&c, "s.cfg", &e), FS_ERR_INPUT);
	assert_string_equal(e.key, "cost.pue");
	assert_string_equal(e.file, "s.cfg");
	assert_int_equal(e.line, 17);
	fs_cost_spec_default(&c);
	c.depreciation_years = 0;
	assert_int_equal(fs_cost_spec_check(&c, "s.cfg", &e), FS_ERR_INPUT);
	assert_string_equal(e.key, "cost.depreciation_years");
	fs_cost_spec_default(&c);
	c.idle_power_frac = 1.5;
	assert_int_equal(fs_cost_spec_check(&c, "s.cfg", &e), FS_ERR_INPUT);
	assert_string_equal(e.key, "cost.idle_power_frac");
	fs_cost_spec_default(&c);
	c.usd_per_gpu_hour = -2.0;
	assert_int_equal(fs_cost_spec_check(&c, "s.cfg", &e), FS_ERR_INPUT);
	assert_string_equal(e.key, "cost.usd_per_gpu_hour");
	fs_cost_spec_default(&c);
	c.usd_per_kwh = INFINITY;
	assert_int_equal(fs_cost_spec_check(&c, "s.cfg", &e), FS_ERR_INPUT);
	assert_string_equal(e.key, "cost.usd_per_kwh");
	fs_cost_spec_default(&c);
	c.hosting_usd_per_kw_month = -1;
	assert_int_equal(fs_cost_spec_check(&c, "s.cfg", &e), FS_ERR_INPUT);
	assert_string_equal(e.key, "cost.hosting_usd_per_kw_month");
	/* the boundaries are accepted */
	fs_cost_spec_default(&c);
	c.pue = 1.0;
	c.idle_power_frac = 0.0;
	c.usd_per_gpu_hour = 0.0;
	c.usd_per_kwh = 0.0;
	c.hosting_usd_per_kw_month = 0.0;
	assert_int_equal(fs_cost_spec_check(&c, "s.cfg", &e), FS_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cost_default_spec),
		cmocka_unit_test(test_cost_cloud_on_demand),
		cmocka_unit_test(test_cost_cloud_committed),
		cmocka_unit_test(test_cost_override_price),
		cmocka_unit_test(test_cost_owned_parts),
		cmocka_unit_test(test_cost_owned_idle_power_override),
		cmocka_unit_test(test_cost_power_bounds),
		cmocka_unit_test(test_cost_sums_into),
		cmocka_unit_test(test_cost_idle_share),
		cmocka_unit_test(test_cost_catalog_prices),
		cmocka_unit_test(test_cost_published_owned_h100),
		cmocka_unit_test(test_cost_catalog_override),
		cmocka_unit_test(test_cost_spec_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
