/*
 * test_invariants.c - what must hold in any results database, checked in
 * SQL on runs written through the library and the store: GPUs conserved
 * per interval, job GPU-hours equal to the busy series' integral, no job
 * before its submission, allocation within what is installed and up, cost
 * the sum of its parts, the same seed giving the same rows.
 *
 * A check that needs a series field the run code does not fill yet (all
 * zero in every row) is skipped with a message saying which field, so it
 * turns itself on when the field is filled; it is never loosened.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetsim/run.h"
#include "fleetsim/scenario.h"
#include "fleetsim/store.h"
#include "testutil.h"

/* 30 days in 6-hour intervals (the horizon a whole number of them); job
 * failures on (the default), jobs queueing on both fleets. */
static const char text[] =
	"name = \"inv\"; seed = 11; horizon_days = 30.0; series_interval_hours = 6.0;\n"
	"fleets = ( { name = \"a\"; gpu = \"A100\"; nodes = 2; },\n"
	"           { name = \"h\"; gpu = \"H100\"; nodes = 1; } );\n"
	"training = {\n"
	"  jobs = ( { name = \"pre\"; model = \"Llama-3-8B\"; tokens = 2e10; gpus = 8; submit_day = 1.5; } );\n"
	"  streams = ( { name = \"ft\"; rate_per_day = 4.0; model = \"Llama-2-7B\";\n"
	"    tokens = { dist = \"lognormal\"; median = 2e9; sigma = 0.8; };\n"
	"    gpus = { dist = \"choice\"; values = [1, 2, 4, 8]; }; } ); };\n";

/*
 * A 7B chat service on a 64-GPU H100 fleet, served hourly for 30 days
 * (series in 6-hour intervals), sharing the pool with training streams of
 * lower priority that it preempts, and a reserved service whose demand
 * outgrows its replicas; node failures and a procurement step
 * that adds two nodes on day 10. Every invariant check runs on it.
 */
static const char svc_text[] =
	"name = \"inv-svc\"; seed = 7; horizon_days = 30.0; series_interval_hours = 6.0;\n"
	"node_failures = { mtbf_hours = 2000.0; repair_hours = 12.0; };\n"
	"fleets = ( { name = \"h\"; gpu = \"H100\"; nodes = 8;\n"
	"  procurement = ( { day = 10.0; gpu = \"H100\"; nodes = 2; } ); } );\n"
	"serving = { interval_hours = 1.0; services = (\n"
	"  { name = \"chat\"; model = \"Llama-2-7B\"; tp = 1;\n"
	"    input_tokens = { dist = \"lognormal\"; median = 500.0; sigma = 0.5; max = 4000.0; };\n"
	"    output_tokens = { dist = \"lognormal\"; median = 200.0; sigma = 0.5; max = 1000.0; };\n"
	"    ttft_p99_s = 2.0; tpot_p99_s = 0.1;\n"
	"    demand = { rps = 150.0; growth_per_month = 0.2;\n"
	"      daily = [0.4, 0.3, 0.3, 0.3, 0.4, 0.5, 0.7, 0.9, 1.1, 1.3, 1.4, 1.5,\n"
	"               1.5, 1.5, 1.5, 1.4, 1.4, 1.3, 1.3, 1.2, 1.1, 0.9, 0.7, 0.5]; };\n"
	"    priority = 10; preempt_training = true; },\n"
	"  { name = \"batch\"; model = \"Llama-2-7B\"; tp = 2; reserved_gpus = 4;\n"
	"    input_tokens = { dist = \"lognormal\"; median = 1000.0; sigma = 0.5; max = 4000.0; };\n"
	"    output_tokens = { dist = \"lognormal\"; median = 300.0; sigma = 0.5; max = 1000.0; };\n"
	"    ttft_p99_s = 5.0; tpot_p99_s = 0.2; demand = { rps = 60.0; }; } ); };\n"
	"training = {\n"
	"  jobs = ( { name = \"pre\"; model = \"Llama-3-8B\"; tokens = 5e10; gpus = 16; submit_day = 1.5; } );\n"
	"  streams = ( { name = \"ft\"; rate_per_day = 8.0; model = \"Llama-2-7B\";\n"
	"    tokens = { dist = \"lognormal\"; median = 8e9; sigma = 0.8; };\n"
	"    gpus = { dist = \"choice\"; values = [2, 4, 8]; }; } ); };\n";

/* Relative tolerance of the conservation checks (sums of time-averaged doubles). */
#define REL_TOL 1e-9

struct fixture {
	struct fs_scenario sc, svc;
	const char *db;
	int64_t ids[6];             /* fleets a, h; then a, h again with the same seed;
				     * the services scenario twice */
};

static struct fixture fx;

static int setup(void **state)
{
	struct fs_run_result r[6];
	struct fs_store *s;
	struct fs_error e;
	char *argv[] = { (char *)"run", (char *)"inv.cfg" };
	struct fs_invocation inv;

	(void)state;
	fx.db = tu_path("inv.db");
	unlink(fx.db);
	if (fs_scenario_load_text(text, "inv.cfg", &fx.sc, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	if (fs_scenario_load_text(svc_text, "inv-svc.cfg", &fx.svc, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	for (int k = 0; k < 6; k++)
		if (fs_run_fleet(k < 4 ? &fx.sc : &fx.svc, (size_t)(k < 4 ? k % 2 : 0),
				 k < 4 ? fx.sc.seed : fx.svc.seed, &r[k], &e)) {
			fprintf(stderr, "%s\n", e.msg);
			return -1;
		}
	fs_invocation_init(&inv, "fleetsim", 2, argv, "test");
	if (fs_store_open(fx.db, FS_STORE_WRITE, &s, &e) ||
	    fs_store_write_runs(s, &fx.sc, r, 2, &inv, fx.ids, &e) ||
	    fs_store_write_runs(s, &fx.sc, r + 2, 2, &inv, fx.ids + 2, &e) ||
	    fs_store_write_runs(s, &fx.svc, r + 4, 1, &inv, fx.ids + 4, &e) ||
	    fs_store_write_runs(s, &fx.svc, r + 5, 1, &inv, fx.ids + 5, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	fs_store_close(s);
	for (int k = 0; k < 6; k++)
		fs_run_result_fini(&r[k]);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fs_scenario_fini(&fx.sc);
	fs_scenario_fini(&fx.svc);
	return 0;
}

/* The first column of a one-row query as a double (NULL reads as NaN). */
static double q(const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	double x = NAN;

	assert_int_equal(sqlite3_open_v2(fx.db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(h));
		fail();
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		x = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return x;
}

/* Rows that break an invariant: 0 expected; the query counts them. */
static void none(const char *what, const char *sql)
{
	double n = q(sql);

	if (n != 0) {
		fprintf(stderr, "invariant broken: %s (%g rows)\n", what, n);
		fail();
	}
	assert_true(n == 0);
}

/* Skips the calling test while the run code leaves a series column at 0 everywhere. */
static bool filled(const char *column)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM series WHERE %s <> 0", column);
	if (q(sql) > 0)
		return true;
	fprintf(stderr, "series.%s is 0 in every row: the run code does not fill it yet; "
		"check skipped\n", column);
	return false;
}

static void test_invariants_sanity(void **state)
{
	(void)state;
	/* the fixture is not vacuous: jobs ran and queued on both fleets */
	assert_true(q("SELECT COUNT(*) FROM jobs WHERE status = 'done'") > 4 * 20);
	assert_true(q("SELECT COUNT(DISTINCT run_id) FROM jobs WHERE wait_s > 0") >= 4);
	/* and the services scenario is not either: it served, preempted, lost nodes */
	assert_true(q("SELECT COUNT(*) FROM service_series WHERE replicas_granted > 0") > 1000);
	assert_true(q("SELECT MIN(n_preemptions) FROM runs WHERE n_preemptions > 0") > 0);
	assert_true(q("SELECT COUNT(*) FROM runs WHERE n_preemptions > 0 AND n_node_failures > 0")
		    == 2);
	assert_true(q("SELECT COUNT(*) FROM series WHERE gpus_serving > 0") >= 2 * 120);
	/* the reserved service's demand exceeds its replicas: attainment below 1 */
	assert_true(q("SELECT COUNT(*) FROM service_series WHERE replicas_wanted >"
		      " replicas_granted AND attainment_frac < 1") > 100);
	assert_true(q("SELECT COUNT(*) FROM series") >= 4 * 120);
}

static void test_invariants_job_times(void **state)
{
	(void)state;
	none("a job starts before it is submitted",
	     "SELECT COUNT(*) FROM run_jobs WHERE start_s < submit_s");
	none("a job ends before it starts", "SELECT COUNT(*) FROM run_jobs WHERE end_s < start_s");
	none("a job that ran has no pool, or one that did not has one",
	     "SELECT COUNT(*) FROM run_jobs WHERE (start_s IS NULL) <> (pool IS NULL)");
	none("a job's pool is not one of its run's pools",
	     "SELECT COUNT(*) FROM run_jobs j WHERE pool IS NOT NULL AND NOT EXISTS"
	     " (SELECT 1 FROM run_prices p WHERE p.run_id = j.run_id AND p.pool = j.pool)");
	none("GPU-hours lost exceed GPU-hours held",
	     "SELECT COUNT(*) FROM jobs WHERE gpu_hours_lost > gpu_hours * (1 + 1e-12)");
}

/* sum of the jobs' GPU-hours = integral of the busy (training) series */
static void test_invariants_gpu_hours_conserved(void **state)
{
	(void)state;
	none("job GPU-hours differ from the integral of busy GPUs",
	     "SELECT COUNT(*) FROM runs r WHERE abs("
	     " (SELECT SUM(gpu_hours) FROM jobs j WHERE j.run_id = r.id) -"
	     " (SELECT SUM(gpus_busy) FROM series s WHERE s.run_id = r.id) * 6.0)"
	     " > 1e-9 * r.gpu_hours");
	none("runs.gpu_hours differs from its jobs' sum",
	     "SELECT COUNT(*) FROM runs r WHERE abs(r.gpu_hours -"
	     " (SELECT SUM(gpu_hours) FROM jobs j WHERE j.run_id = r.id)) > 1e-9 * r.gpu_hours");
}

/* busy training + serving + idle + down = installed, per interval */
static void test_invariants_gpus_conserved(void **state)
{
	(void)state;
	if (!filled("gpus_installed") || !filled("gpus_idle"))
		skip();
	none("busy + serving + idle + down differs from installed",
	     "SELECT COUNT(*) FROM series WHERE abs(gpus_busy + gpus_serving + gpus_idle + gpus_down"
	     " - gpus_installed) > 1e-9 * gpus_installed");
	none("a negative GPU count",
	     "SELECT COUNT(*) FROM series WHERE min(gpus_busy, gpus_serving, gpus_idle, gpus_down,"
	     " gpus_installed) < 0");
}

/* what is allocated never exceeds what is installed and up */
static void test_invariants_allocation_within_up(void **state)
{
	(void)state;
	/* holds with the fixed fleets of today: gpus_total is what is installed */
	none("busy GPUs exceed the fleet",
	     "SELECT COUNT(*) FROM series WHERE gpus_busy > gpus_total * (1 + 1e-12)");
	/* by the jobs' own first start and end: only where no job was stopped
	 * and started again (a node failure or a service in between) */
	none("running jobs hold more GPUs than the fleet (by the jobs' own times)",
	     "SELECT COUNT(*) FROM series s JOIN runs r ON r.id = s.run_id WHERE"
	     " r.n_node_failures = 0 AND r.n_preemptions = 0 AND"
	     " (SELECT COALESCE(SUM(j.gpus), 0) FROM run_jobs j WHERE j.run_id = s.run_id"
	     "  AND j.start_s <= s.t_s AND j.end_s > s.t_s) > r.gpus");
	if (!filled("gpus_installed"))
		skip();
	none("busy + serving exceed installed and up",
	     "SELECT COUNT(*) FROM series WHERE gpus_busy + gpus_serving >"
	     " (gpus_installed - gpus_down) * (1 + 1e-12) + 1e-9");
	none("installed exceed the pools' most nodes",
	     "SELECT COUNT(*) FROM series s WHERE gpus_installed > (SELECT SUM(max_nodes *"
	     " gpus_per_node) FROM run_prices p WHERE p.run_id = s.run_id) * (1 + 1e-12)");
}

/* cost = the sum of its parts per interval, and a run's = its series' over the horizon */
static void test_invariants_cost(void **state)
{
	(void)state;
	none("a run's price is missing",
	     "SELECT COUNT(*) FROM runs r WHERE (SELECT COUNT(*) FROM run_prices p"
	     " WHERE p.run_id = r.id) = 0");
	if (!filled("cost_usd"))
		skip();
	none("a run's cost differs from its parts",
	     "SELECT COUNT(*) FROM runs WHERE abs(fleet_cost_usd - (rent_usd + depreciation_usd +"
	     " power_usd + hosting_usd)) > 1e-9 * fleet_cost_usd");
	none("an interval's cost differs from its parts",
	     "SELECT COUNT(*) FROM series WHERE abs(cost_usd - (rent_usd + depreciation_usd +"
	     " power_usd + hosting_usd)) > 1e-9 * cost_usd");
	/* the horizon (30 days) is 120 whole intervals of 6 hours */
	none("a run's cost differs from its series' over the horizon",
	     "SELECT COUNT(*) FROM runs r WHERE abs(r.fleet_cost_usd - (SELECT SUM(cost_usd)"
	     " FROM series s WHERE s.run_id = r.id AND s.t_s < r.horizon_s))"
	     " > 1e-9 * r.fleet_cost_usd");
	none("the months' costs differ from the run's",
	     "SELECT COUNT(*) FROM runs r WHERE abs(r.fleet_cost_usd - (SELECT SUM(cost_usd)"
	     " FROM cost_by_month m WHERE m.run_id = r.id)) > 1e-9 * r.fleet_cost_usd");
	none("training's and serving's costs exceed the cost",
	     "SELECT COUNT(*) FROM cost_by_month WHERE COALESCE(training_cost_usd, 0) +"
	     " COALESCE(serving_cost_usd, 0) > cost_usd * (1 + 1e-12)");
	none("idle GPUs cost more than the interval, or less than nothing",
	     "SELECT COUNT(*) FROM series WHERE idle_cost_usd < 0 OR"
	     " idle_cost_usd > cost_usd * (1 + 1e-12)");
	none("the run's idle cost differs from its series'",
	     "SELECT COUNT(*) FROM runs r WHERE abs(r.idle_cost_usd - (SELECT SUM(idle_cost_usd)"
	     " FROM series s WHERE s.run_id = r.id AND s.t_s < r.horizon_s))"
	     " > 1e-9 * r.fleet_cost_usd");
	/* the unit costs split the run's cost: jobs x per job + tokens x per token = cost */
	none("the unit costs do not add up to the run's cost",
	     "SELECT COUNT(*) FROM runs WHERE usd_per_training_job IS NOT NULL AND abs("
	     " usd_per_training_job * n_done_in_horizon + COALESCE(usd_per_mtok_served, 0) *"
	     " serve_output_tokens / 1e6 - fleet_cost_usd) > 1e-9 * fleet_cost_usd");
	none("a cloud run without its price",
	     "SELECT COUNT(*) FROM run_prices WHERE cost_mode = 'cloud' AND usd_per_gpu_hour IS NULL");
	/* cloud: every installed GPU-hour at the stored price */
	none("cloud rent differs from installed GPU-hours x the stored price",
	     "SELECT COUNT(*) FROM series s JOIN run_prices p ON p.run_id = s.run_id"
	     " WHERE p.cost_mode = 'cloud' AND (SELECT COUNT(*) FROM run_prices p2"
	     "  WHERE p2.run_id = s.run_id) = 1"
	     " AND abs(s.rent_usd - s.gpus_installed * 6.0 * p.usd_per_gpu_hour) > 1e-9 * s.rent_usd");
}

/* services: what is served is within demand and capacity (vacuous without services) */
static void test_invariants_services(void **state)
{
	(void)state;
	/* capacity_rps is the load at which p99 TTFT and TPOT just meet the
	 * objectives; above it most requests still meet them (service.h), up to
	 * the curve's last point at 2 x capacity, beyond which the rate served
	 * within the objectives stays constant: served <= 2 x capacity */
	none("served beyond demand or the attainment curve's reach",
	     "SELECT COUNT(*) FROM service_series WHERE served_rps > demand_rps * (1 + 1e-12)"
	     " OR served_rps > 2.0 * capacity_rps * (1 + 1e-12)");
	none("attainment outside [0, 1] or not served / demand",
	     "SELECT COUNT(*) FROM service_series WHERE attainment_frac < 0 OR attainment_frac > 1"
	     " OR (demand_rps > 0 AND abs(attainment_frac - served_rps / demand_rps) > 1e-9)");
	none("more replicas granted than wanted",
	     "SELECT COUNT(*) FROM service_series WHERE replicas_granted > replicas_wanted");
	none("a service point without its service",
	     "SELECT COUNT(*) FROM service_series ss WHERE NOT EXISTS (SELECT 1 FROM run_services rs"
	     " WHERE rs.run_id = ss.run_id AND rs.service = ss.service)");
}

/* Every row of a query as one text (doubles in hex: exact); without each
 * row's first column when skip_first (the run id). */
static char *rows(const char *sql, bool skip_first)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);

	assert_non_null(out);
	assert_int_equal(sqlite3_open_v2(fx.db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = skip_first ? 1 : 0; c < sqlite3_column_count(st); c++) {
			char cell[64];
			int n;
			if (sqlite3_column_type(st, c) == SQLITE_FLOAT)
				n = snprintf(cell, sizeof(cell), "%a|", sqlite3_column_double(st, c));
			else
				n = snprintf(cell, sizeof(cell), "%s|",
					     sqlite3_column_type(st, c) == SQLITE_NULL ? "NULL" :
					     (const char *)sqlite3_column_text(st, c));
			while (len + (size_t)n + 2 > cap) {
				cap *= 2;
				out = realloc(out, cap);
				assert_non_null(out);
			}
			memcpy(out + len, cell, (size_t)n);
			len += (size_t)n;
		}
		out[len++] = '\n';
	}
	out[len] = '\0';
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

/* Two runs of the same scenario, fleet and seed give the same rows, bit for bit. */
static void test_invariants_same_seed_same_rows(void **state)
{
	static const char *const tables[] = {
		/* every column but the ids, the wall time and the write time */
		"SELECT fleet, gpu, gpus, seed, status, version, horizon_s, n_jobs, n_done_in_horizon,"
		" n_infeasible, n_failures, mean_wait_s, p90_wait_s, mean_tts_s, p90_tts_s,"
		" mean_util_frac, makespan_s, gpu_hours, fleet_cost_usd, events, n_preemptions,"
		" n_node_failures, gpu_hours_lost, rent_usd, depreciation_usd, power_usd, hosting_usd,"
		" energy_kwh, serve_attainment_frac, serve_output_tokens FROM runs WHERE id = %lld",
		"SELECT * FROM jobs WHERE run_id = %lld ORDER BY job_idx",
		"SELECT * FROM series WHERE run_id = %lld ORDER BY t_s",
		"SELECT * FROM run_prices WHERE run_id = %lld ORDER BY pool",
		"SELECT * FROM service_series WHERE run_id = %lld ORDER BY service, t_s",
	};

	(void)state;
	static const int pairs[3][2] = { { 0, 2 }, { 1, 3 }, { 4, 5 } };

	for (int f = 0; f < 3; f++) {
		for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
			char sql[1024];
			char *a, *b;

			snprintf(sql, sizeof(sql), tables[t], (long long)fx.ids[pairs[f][0]]);
			a = rows(sql, t > 0);
			snprintf(sql, sizeof(sql), tables[t], (long long)fx.ids[pairs[f][1]]);
			b = rows(sql, t > 0);
			assert_string_equal(a, b);
			free(a);
			free(b);
		}
	}
	/* and the two writes are told apart: two invocations, the second the latest */
	assert_true(q("SELECT COUNT(DISTINCT invocation_id) FROM runs") == 4);
	assert_true(q("SELECT MIN(run_id) FROM latest_runs") == (double)fx.ids[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invariants_sanity),
		cmocka_unit_test(test_invariants_job_times),
		cmocka_unit_test(test_invariants_gpu_hours_conserved),
		cmocka_unit_test(test_invariants_gpus_conserved),
		cmocka_unit_test(test_invariants_allocation_within_up),
		cmocka_unit_test(test_invariants_cost),
		cmocka_unit_test(test_invariants_services),
		cmocka_unit_test(test_invariants_same_seed_same_rows),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
