/*
 * store.c - SQLite adapter: the schema, writing runs in one transaction,
 * reading them back. The only module that includes sqlite3.h.
 */
#include "fleetsim/history.h"
#include "fleetsim/store.h"
#include "fleetsim/sha256.h"
#include "fleetsim/util.h"
#include "fleetsim/workload.h"

#include <assert.h>
#include <gsl/gsl_cdf.h>
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct fs_store {
	sqlite3 *db;   /* NULL while a new file waits for its first write */
	double wait_s; /* the longest wait for another process's lock, per lock */
	char path[512];
};

/*
 * Version 2: the tables shared with version 1 (scenarios, runs, series and
 * their views) plus the lean job rows below; version 1 had a wide `jobs`
 * table instead, now a view of the same name and columns.
 */
static const char schema_base[] =
	"CREATE TABLE scenarios("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  source_text TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL UNIQUE,"
	"  created_at TEXT NOT NULL);"
	"CREATE TABLE runs("
	"  id INTEGER PRIMARY KEY,"
	"  scenario_id INTEGER NOT NULL REFERENCES scenarios(id),"
	"  fleet TEXT NOT NULL,"
	"  gpu TEXT NOT NULL,"
	"  gpus INTEGER NOT NULL,"
	"  seed INTEGER NOT NULL,"
	"  status TEXT NOT NULL,"
	"  started_at TEXT NOT NULL,"
	"  wall_s REAL NOT NULL,"
	"  version TEXT NOT NULL,"
	"  horizon_s REAL NOT NULL,"
	"  n_jobs INTEGER NOT NULL,"
	"  n_done_in_horizon INTEGER NOT NULL,"
	"  n_infeasible INTEGER NOT NULL,"
	"  n_failures INTEGER NOT NULL,"
	"  mean_wait_s REAL, p90_wait_s REAL, mean_tts_s REAL, p90_tts_s REAL,"
	"  mean_util_frac REAL NOT NULL,"
	"  makespan_s REAL NOT NULL,"
	"  gpu_hours REAL NOT NULL,"
	"  fleet_cost_usd REAL NOT NULL,"
	"  events INTEGER NOT NULL);"
	"CREATE TABLE series("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  t_s REAL NOT NULL,"
	"  gpus_total INTEGER NOT NULL,"
	"  gpus_busy REAL NOT NULL,"
	"  jobs_running INTEGER NOT NULL,"
	"  jobs_queued INTEGER NOT NULL,"
	"  PRIMARY KEY(run_id, t_s));"
	"CREATE VIEW run_summary AS"
	"  SELECT r.id AS run_id, s.name AS scenario, r.fleet, r.gpu, r.gpus, r.seed,"
	"         r.n_jobs, r.n_done_in_horizon, r.n_infeasible, r.n_failures,"
	"         r.mean_wait_s / 3600.0 AS mean_wait_h,"
	"         r.p90_wait_s / 3600.0 AS p90_wait_h, r.mean_tts_s / 86400.0 AS mean_tts_days,"
	"         r.p90_tts_s / 86400.0 AS p90_tts_days, r.mean_util_frac, r.gpu_hours,"
	"         r.fleet_cost_usd, r.started_at"
	"  FROM runs r JOIN scenarios s ON s.id = r.scenario_id;"
	"CREATE VIEW daily_utilization AS"
	"  SELECT run_id, CAST(t_s / 86400 AS INTEGER) AS day,"
	"         AVG(gpus_busy) AS gpus_busy, AVG(gpus_busy * 1.0 / gpus_total) AS util_frac"
	"  FROM series GROUP BY run_id, day;";

/*
 * Jobs, version 2: integer keys only. A job's name and kind come from its
 * source (an explicit job, or a stream whose jobs are named
 * "<stream>-<seq>"), its model from `models`; wait, time to solution and
 * GPU-hours derive from the times. The view `jobs` shows the version-1
 * columns (same values, bit for bit) plus job_idx, the workload order.
 */
static const char schema_jobs_v2[] =
	"CREATE TABLE models("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE);"
	"CREATE TABLE job_sources("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL,"          /* 'job' or the stream's name */
	"  name TEXT);"                  /* the explicit job's name; NULL for a stream */
	"CREATE TABLE run_jobs("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  job_idx INTEGER NOT NULL,"    /* 0.. in workload (submit) order */
	"  source_id INTEGER NOT NULL,"   /* job_sources(id) */
	"  seq INTEGER NOT NULL,"        /* 1.. within a stream; 0 for an explicit job */
	"  model_id INTEGER NOT NULL,"    /* models(id) */
	"  gpus INTEGER NOT NULL CHECK(gpus >= 1),"
	"  tokens REAL NOT NULL,"
	"  submit_s REAL NOT NULL,"
	"  start_s REAL,"                /* NULL: infeasible, never ran */
	"  end_s REAL,"
	"  status INTEGER NOT NULL CHECK(status IN (0, 1)),"  /* 0 done, 1 infeasible */
	"  restarts INTEGER NOT NULL,"
	"  PRIMARY KEY(run_id, job_idx)) WITHOUT ROWID;";

static const char schema_jobs_view[] =
	"CREATE VIEW jobs AS"
	"  SELECT j.run_id AS run_id, COALESCE(s.name, s.kind || '-' || j.seq) AS name,"
	"         s.kind AS kind, m.name AS model, j.gpus AS gpus, j.tokens AS tokens,"
	"         j.submit_s AS submit_s, j.start_s AS start_s, j.end_s AS end_s,"
	"         j.start_s - j.submit_s AS wait_s, j.end_s - j.submit_s AS tts_s,"
	"         COALESCE(j.gpus * (j.end_s - j.start_s) / 3600.0, 0.0) AS gpu_hours,"
	"         CASE j.status WHEN 0 THEN 'done' ELSE 'infeasible' END AS status,"
	"         j.restarts AS restarts, j.job_idx AS job_idx"
	"  FROM run_jobs j JOIN job_sources s ON s.id = j.source_id"
	"  JOIN models m ON m.id = j.model_id;";

/*
 * Version 1 -> 2: moves the wide `jobs` rows into run_jobs (rowid order is
 * the workload order), then replaces the table by the view. A stream job's
 * name "<kind>-<n>" becomes seq n of the stream's source; any other name
 * (explicit jobs) keeps a source of its own.
 */
static const char migrate_v1_v2[] =
	"CREATE TEMP TABLE v1 AS"
	"  SELECT rowid AS rid, j.*,"
	"    CASE WHEN kind <> 'job' AND substr(name, 1, length(kind) + 1) = kind || '-'"
	"          AND CAST(CAST(substr(name, length(kind) + 2) AS INTEGER) AS TEXT)"
	"              = substr(name, length(kind) + 2)"
	"          AND CAST(substr(name, length(kind) + 2) AS INTEGER) > 0"
	"         THEN CAST(substr(name, length(kind) + 2) AS INTEGER) ELSE 0 END AS seq"
	"  FROM jobs j;"
	"CREATE TEMP TABLE v1_base AS SELECT run_id, MIN(rid) AS base FROM v1 GROUP BY run_id;"
	"INSERT OR IGNORE INTO models(name) SELECT model FROM v1 GROUP BY model ORDER BY MIN(rid);"
	"INSERT INTO job_sources(run_id, kind, name)"
	"  SELECT run_id, kind, CASE WHEN seq > 0 THEN NULL ELSE name END AS sname FROM v1"
	"  GROUP BY run_id, kind, sname ORDER BY MIN(rid);"
	"CREATE INDEX v1_src ON job_sources(run_id, kind, name);"
	"INSERT INTO run_jobs"
	"  SELECT v.run_id, v.rid - b.base, s.id, v.seq, m.id, v.gpus, v.tokens, v.submit_s,"
	"         v.start_s, v.end_s, CASE v.status WHEN 'done' THEN 0 ELSE 1 END, v.restarts"
	"  FROM v1 v JOIN v1_base b ON b.run_id = v.run_id"
	"  JOIN job_sources s ON s.run_id = v.run_id AND s.kind = v.kind"
	"    AND s.name IS (CASE WHEN v.seq > 0 THEN NULL ELSE v.name END)"
	"  JOIN models m ON m.name = v.model ORDER BY v.rid;"
	"DROP INDEX v1_src;"
	"DROP TABLE v1; DROP TABLE v1_base;"
	"DROP TABLE main.jobs;";

/*
 * Version 2 -> 3 (and the last step of creating a new database): fleets of
 * several pools, services, node failures, cost parts, invocations. Columns
 * are added, never changed, so a version-2 row keeps its values; what a
 * version-2 run implies is filled in (one pool, no services, no node
 * failures, cloud rent at the price its fleet_cost_usd was computed with);
 * what it never measured (power, per-interval cost, GPU-hours lost) stays
 * NULL. Old runs get one invocation per (version, started_at, scenario):
 * their command lines were not recorded.
 */
static const char migrate_v2_v3[] =
	"CREATE TABLE invocations("
	"  id INTEGER PRIMARY KEY,"
	"  command_line TEXT,"           /* NULL: written before version 3 */
	"  version TEXT NOT NULL,"
	"  started_at TEXT NOT NULL,"    /* UTC, ISO 8601 */
	"  host TEXT);"
	"ALTER TABLE runs ADD COLUMN invocation_id INTEGER REFERENCES invocations(id);"
	"ALTER TABLE runs ADD COLUMN n_preemptions INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN n_node_failures INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN gpu_hours_lost REAL;"
	"ALTER TABLE runs ADD COLUMN rent_usd REAL;"
	"ALTER TABLE runs ADD COLUMN depreciation_usd REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN power_usd REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN hosting_usd REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN energy_kwh REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN serve_attainment_frac REAL;"  /* NULL: no demand */
	"ALTER TABLE runs ADD COLUMN serve_output_tokens REAL NOT NULL DEFAULT 0;"
	/* units of cost (docs/MODELS.md, "Cost"); NULL: none (or not measured, v2) */
	"ALTER TABLE runs ADD COLUMN idle_cost_usd REAL;"
	"ALTER TABLE runs ADD COLUMN usd_per_training_job REAL;"
	"ALTER TABLE runs ADD COLUMN usd_per_mtok_served REAL;"
	"UPDATE runs SET rent_usd = fleet_cost_usd;"
	/* an old invocation takes the id of its first run: ids stay in time order */
	"INSERT INTO invocations(id, version, started_at)"
	"  SELECT MIN(id), version, started_at FROM runs GROUP BY version, started_at, scenario_id;"
	"UPDATE runs SET invocation_id = (SELECT MIN(r2.id) FROM runs r2"
	"  WHERE r2.version = runs.version AND r2.started_at = runs.started_at"
	"  AND r2.scenario_id = runs.scenario_id);"
	"CREATE INDEX runs_key ON runs(scenario_id, fleet, seed);"
	"ALTER TABLE series ADD COLUMN gpus_installed REAL;"
	"ALTER TABLE series ADD COLUMN gpus_down REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE series ADD COLUMN gpus_serving REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE series ADD COLUMN gpus_idle REAL;"
	"ALTER TABLE series ADD COLUMN power_kw REAL;"
	"ALTER TABLE series ADD COLUMN cost_usd REAL;"
	"ALTER TABLE series ADD COLUMN rent_usd REAL;"
	"ALTER TABLE series ADD COLUMN depreciation_usd REAL;"
	"ALTER TABLE series ADD COLUMN power_usd REAL;"
	"ALTER TABLE series ADD COLUMN hosting_usd REAL;"
	"ALTER TABLE series ADD COLUMN energy_kwh REAL;"
	"ALTER TABLE series ADD COLUMN idle_cost_usd REAL;"
	"UPDATE series SET gpus_installed = gpus_total, gpus_idle = gpus_total - gpus_busy;"
	"ALTER TABLE run_jobs ADD COLUMN pool INTEGER;"            /* NULL: never started */
	"ALTER TABLE run_jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE run_jobs ADD COLUMN preemptions INTEGER NOT NULL DEFAULT 0;"
	/* GPU-hours held, when not gpus x (end - start) (a preempted job waits unheld) */
	"ALTER TABLE run_jobs ADD COLUMN gpu_hours REAL;"
	"ALTER TABLE run_jobs ADD COLUMN gpu_hours_lost REAL;"     /* NULL: not measured (v2) */
	"UPDATE run_jobs SET pool = 0 WHERE start_s IS NOT NULL;"
	"CREATE TABLE run_prices("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  pool INTEGER NOT NULL,"
	"  gpu TEXT NOT NULL,"
	"  nodes INTEGER,"                /* installed at t = 0 */
	"  gpus_per_node INTEGER,"
	"  max_nodes INTEGER,"
	"  cost_mode TEXT NOT NULL CHECK(cost_mode IN ('cloud', 'owned')),"
	"  term TEXT,"                    /* cloud: 'on-demand' or 'committed' */
	"  usd_per_gpu_hour REAL,"        /* cloud: the price charged; NULL: not recorded */
	"  capex_usd_per_gpu REAL,"       /* owned: the rest */
	"  depreciation_years REAL,"
	"  server_kw_per_gpu REAL,"
	"  idle_power_frac REAL,"
	"  pue REAL,"
	"  usd_per_kwh REAL,"
	"  hosting_usd_per_kw_month REAL,"
	"  PRIMARY KEY(run_id, pool)) WITHOUT ROWID;"
	"INSERT INTO run_prices(run_id, pool, gpu, gpus_per_node, cost_mode, term,"
	"  usd_per_gpu_hour)"
	"  SELECT id, 0, gpu, NULL, 'cloud', 'on-demand',"
	"         CASE WHEN gpus > 0 AND horizon_s > 0"
	"              THEN fleet_cost_usd / (gpus * horizon_s / 3600.0) END FROM runs;"
	"CREATE TABLE run_services("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  service INTEGER NOT NULL,"     /* index in the scenario's serving.services */
	"  name TEXT NOT NULL,"
	"  model TEXT NOT NULL,"
	"  ttft_p99_s REAL NOT NULL,"
	"  tpot_p99_s REAL NOT NULL,"
	"  reserved_gpus INTEGER NOT NULL,"
	"  priority INTEGER NOT NULL,"
	"  PRIMARY KEY(run_id, service)) WITHOUT ROWID;"
	"CREATE TABLE service_series("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  service INTEGER NOT NULL,"     /* run_services(run_id, service) */
	"  t_s REAL NOT NULL,"            /* interval start */
	"  demand_rps REAL NOT NULL,"
	"  pool INTEGER,"                 /* NULL: no replica granted */
	"  gpu TEXT,"
	"  tp INTEGER NOT NULL,"
	"  replicas_wanted INTEGER NOT NULL,"
	"  replicas_granted INTEGER NOT NULL,"
	"  capacity_rps REAL NOT NULL,"
	"  attainment_frac REAL,"         /* NULL: no demand in the interval */
	"  served_rps REAL NOT NULL,"
	"  output_tokens REAL NOT NULL,"
	"  PRIMARY KEY(run_id, service, t_s)) WITHOUT ROWID;"
	"DROP VIEW run_summary;"
	"DROP VIEW jobs;";

/* Views of version 3, created after every creation or migration. */
static const char schema_views_v3[] =
	"CREATE VIEW run_summary AS"
	"  SELECT r.id AS run_id, s.name AS scenario, r.fleet, r.gpu, r.gpus, r.seed,"
	"         r.n_jobs, r.n_done_in_horizon, r.n_infeasible, r.n_failures,"
	"         r.mean_wait_s / 3600.0 AS mean_wait_h,"
	"         r.p90_wait_s / 3600.0 AS p90_wait_h, r.mean_tts_s / 86400.0 AS mean_tts_days,"
	"         r.p90_tts_s / 86400.0 AS p90_tts_days, r.mean_util_frac, r.gpu_hours,"
	"         r.fleet_cost_usd, r.started_at,"
	"         r.invocation_id, r.n_preemptions, r.n_node_failures, r.gpu_hours_lost,"
	"         r.rent_usd, r.depreciation_usd, r.power_usd, r.hosting_usd, r.energy_kwh,"
	"         r.serve_attainment_frac, r.serve_output_tokens, s.sha256 AS scenario_sha256,"
	"         r.idle_cost_usd, r.usd_per_training_job, r.usd_per_mtok_served"
	"  FROM runs r JOIN scenarios s ON s.id = r.scenario_id;"
	"CREATE VIEW latest_runs AS"
	"  SELECT * FROM run_summary WHERE run_id IN"
	"    (SELECT MAX(id) FROM runs GROUP BY scenario_id, fleet, seed);"
	"CREATE VIEW jobs AS"
	"  SELECT j.run_id AS run_id, COALESCE(s.name, s.kind || '-' || j.seq) AS name,"
	"         s.kind AS kind, m.name AS model, j.gpus AS gpus, j.tokens AS tokens,"
	"         j.submit_s AS submit_s, j.start_s AS start_s, j.end_s AS end_s,"
	"         j.start_s - j.submit_s AS wait_s, j.end_s - j.submit_s AS tts_s,"
	"         COALESCE(j.gpu_hours, j.gpus * (j.end_s - j.start_s) / 3600.0, 0.0) AS gpu_hours,"
	"         CASE j.status WHEN 0 THEN 'done' ELSE 'infeasible' END AS status,"
	"         j.restarts AS restarts, j.job_idx AS job_idx,"
	"         j.pool AS pool, p.gpu AS gpu, j.priority AS priority,"
	"         j.preemptions AS preemptions, j.gpu_hours_lost AS gpu_hours_lost"
	"  FROM run_jobs j JOIN job_sources s ON s.id = j.source_id"
	"  JOIN models m ON m.id = j.model_id"
	"  LEFT JOIN run_prices p ON p.run_id = j.run_id AND p.pool = j.pool;"
	"CREATE VIEW service_days AS"
	"  SELECT ss.run_id, ss.service, rs.name AS service_name,"
	"         CAST(ss.t_s / 86400 AS INTEGER) AS day, AVG(ss.demand_rps) AS demand_rps,"
	"         AVG(ss.served_rps) AS served_rps,"
	"         SUM(ss.served_rps) / NULLIF(SUM(ss.demand_rps), 0) AS attainment_frac,"
	"         AVG(ss.replicas_wanted) AS replicas_wanted,"
	"         AVG(ss.replicas_granted) AS replicas_granted, SUM(ss.output_tokens) AS output_tokens"
	"  FROM service_series ss JOIN run_services rs"
	"    ON rs.run_id = ss.run_id AND rs.service = ss.service"
	"  GROUP BY ss.run_id, ss.service, day;"
	/* months of 30.4375 days (2,629,800 s), over the horizon; the cost units of
	 * docs/MODELS.md ("Cost") per month: training's and serving's shares of the
	 * cost by their GPU-hours */
	"CREATE VIEW cost_by_month AS"
	"  SELECT s.run_id, CAST(s.t_s / 2629800 AS INTEGER) AS month,"
	"         AVG(s.gpus_installed) AS gpus_installed, AVG(s.gpus_busy) AS gpus_training,"
	"         AVG(s.gpus_serving) AS gpus_serving, AVG(s.gpus_idle) AS gpus_idle,"
	"         AVG(s.gpus_down) AS gpus_down, AVG(s.power_kw) AS power_kw,"
	"         SUM(s.energy_kwh) AS energy_kwh, SUM(s.cost_usd) AS cost_usd,"
	"         SUM(s.rent_usd) AS rent_usd, SUM(s.depreciation_usd) AS depreciation_usd,"
	"         SUM(s.power_usd) AS power_usd, SUM(s.hosting_usd) AS hosting_usd,"
	"         SUM(s.idle_cost_usd) AS idle_cost_usd,"
	"         SUM(s.cost_usd * s.gpus_busy / NULLIF(s.gpus_busy + s.gpus_serving, 0))"
	"           AS training_cost_usd,"
	"         SUM(s.cost_usd * s.gpus_serving / NULLIF(s.gpus_busy + s.gpus_serving, 0))"
	"           AS serving_cost_usd,"
	"         (SELECT SUM(ss.output_tokens) FROM service_series ss WHERE ss.run_id = s.run_id"
	"           AND CAST(ss.t_s / 2629800 AS INTEGER) = CAST(s.t_s / 2629800 AS INTEGER))"
	"           AS output_tokens"
	"  FROM series s JOIN runs r ON r.id = s.run_id WHERE s.t_s < r.horizon_s"
	"  GROUP BY s.run_id, month;"
	"CREATE VIEW service_months AS"
	"  SELECT ss.run_id, ss.service, rs.name AS service_name,"
	"         CAST(ss.t_s / 2629800 AS INTEGER) AS month, AVG(ss.demand_rps) AS demand_rps,"
	"         SUM(ss.served_rps) / NULLIF(SUM(ss.demand_rps), 0) AS attainment_frac,"
	"         AVG(ss.replicas_wanted) AS replicas_wanted,"
	"         AVG(ss.replicas_granted) AS replicas_granted, SUM(ss.output_tokens) AS output_tokens"
	"  FROM service_series ss JOIN run_services rs"
	"    ON rs.run_id = ss.run_id AND rs.service = ss.service"
	"  GROUP BY ss.run_id, ss.service, month;";

/*
 * Views for the questions asked in planning reviews (docs/QUERIES.md), by
 * 30.4375-day month since t = 0: GPUs and queue per fleet, wait and time to
 * solution by month of submission per stream (kind '(all)' for every job;
 * p50 and p90 interpolated between order statistics as fs_quantile does),
 * and the fleet options of one command side by side. Views only, made with
 * IF NOT EXISTS as the last step of every creation or migration, so they
 * join whichever schema version is current; cost and attainment by month
 * are the views cost_by_month and service_months above.
 */
/*
 * fleet_months: per run and month, the fleet's GPUs and queue, the months of
 * the drain past the horizon included (in_horizon 0). Means and util_frac
 * weight each interval by its length (the last one by the one before it), as
 * the outgrow analyses' view monthly_utilization does within the horizon.
 */
static const char view_fleet_months[] =
	"CREATE VIEW IF NOT EXISTS fleet_months AS "
	"  SELECT run_id, fleet, gpu, CAST(t_s / 2629800.0 AS INTEGER) AS month, "
	"         SUM(gpus_installed * dt) / SUM(dt) AS gpus_installed, "
	"         SUM(gpus_busy * dt) / SUM(dt) AS gpus_busy, "
	"         SUM(gpus_serving * dt) / SUM(dt) AS gpus_serving, "
	"         SUM(gpus_down * dt) / SUM(dt) AS gpus_down, "
	"         SUM((gpus_busy + gpus_serving) * dt) / NULLIF(SUM(gpus_installed * dt), 0) AS util_frac, "
	"         SUM(jobs_running * dt) / SUM(dt) AS jobs_running, "
	"         SUM(jobs_queued * dt) / SUM(dt) AS jobs_queued, "
	"         MIN(t_s) < horizon_s AS in_horizon "
	"  FROM (SELECT s.run_id, r.fleet, r.gpu, r.horizon_s, s.t_s, s.gpus_busy, s.gpus_serving, "
	"               s.gpus_down, s.jobs_running, s.jobs_queued, "
	"               COALESCE(s.gpus_installed, s.gpus_total) AS gpus_installed, "
	"               COALESCE(LEAD(s.t_s) OVER w - s.t_s, s.t_s - LAG(s.t_s) OVER w, 1.0) AS dt "
	"        FROM series s JOIN runs r ON r.id = s.run_id "
	"        WINDOW w AS (PARTITION BY s.run_id ORDER BY s.t_s)) "
	"  WHERE dt > 0 GROUP BY run_id, month";
/*
 * Wait and time to solution by month of submission, per (run, kind) and for
 * kind '(all)', with filter (a WHERE clause on `jobs`, or "") applied before
 * the window functions: SQLite does not push a run_id condition into them.
 * Order statistics are numbered per (month, status); p = x[l] (1 - (h - l)) +
 * x[l + 1] (h - l) with h = (n - 1) p, l = floor(h), as fs_quantile.
 */
#define JOB_MONTHS_SQL(filter) \
	"  WITH j AS ( " \
	"    SELECT run_id, kind, CAST(submit_s / 2629800.0 AS INTEGER) AS month, wait_s, tts_s, status " \
	"    FROM jobs " filter \
	"    UNION ALL " \
	"    SELECT run_id, '(all)', CAST(submit_s / 2629800.0 AS INTEGER), wait_s, tts_s, status FROM jobs " filter "), " \
	"  o AS ( " \
	"    SELECT run_id, kind, month, wait_s, tts_s, status, " \
	"           ROW_NUMBER() OVER (PARTITION BY run_id, kind, month, status ORDER BY wait_s) - 1 AS wi, " \
	"           ROW_NUMBER() OVER (PARTITION BY run_id, kind, month, status ORDER BY tts_s) - 1 AS ti, " \
	"           SUM(status = 'done') OVER (PARTITION BY run_id, kind, month) AS n " \
	"    FROM j), " \
	"  q AS ( " \
	"    SELECT *, (n - 1) * 0.5 AS h50, CAST((n - 1) * 0.5 AS INTEGER) AS l50, " \
	"           (n - 1) * 0.9 AS h90, CAST((n - 1) * 0.9 AS INTEGER) AS l90, " \
	"           status = 'done' AS ran " \
	"    FROM o) " \
	"  SELECT run_id, kind, month, COUNT(*) AS n_jobs, SUM(status = 'infeasible') AS n_infeasible, MAX(n) AS n_ran, " \
	"         AVG(wait_s) / 3600.0 AS mean_wait_h, " \
	"         SUM(CASE WHEN NOT ran THEN NULL WHEN wi = l50 THEN wait_s * (1 - (h50 - l50)) " \
	"                  WHEN wi = l50 + 1 THEN wait_s * (h50 - l50) END) / 3600.0 AS p50_wait_h, " \
	"         SUM(CASE WHEN NOT ran THEN NULL WHEN wi = l90 THEN wait_s * (1 - (h90 - l90)) " \
	"                  WHEN wi = l90 + 1 THEN wait_s * (h90 - l90) END) / 3600.0 AS p90_wait_h, " \
	"         AVG(tts_s) / 86400.0 AS mean_tts_days, " \
	"         SUM(CASE WHEN NOT ran THEN NULL WHEN ti = l50 THEN tts_s * (1 - (h50 - l50)) " \
	"                  WHEN ti = l50 + 1 THEN tts_s * (h50 - l50) END) / 86400.0 AS p50_tts_days, " \
	"         SUM(CASE WHEN NOT ran THEN NULL WHEN ti = l90 THEN tts_s * (1 - (h90 - l90)) " \
	"                  WHEN ti = l90 + 1 THEN tts_s * (h90 - l90) END) / 86400.0 AS p90_tts_days " \
	"  FROM q GROUP BY run_id, kind, month "

static const char view_job_months[] =
	"CREATE VIEW IF NOT EXISTS job_months AS " JOB_MONTHS_SQL("");
static const char view_fleet_comparison[] =
	"CREATE VIEW IF NOT EXISTS fleet_comparison AS "
	"  SELECT invocation_id, scenario, seed, run_id, fleet, gpu, gpus, mean_wait_h, p90_wait_h, "
	"         mean_tts_days, p90_tts_days, mean_util_frac, serve_attainment_frac, fleet_cost_usd, "
	"         fleet_cost_usd / NULLIF(gpu_hours, 0) AS usd_per_job_gpu_hour, "
	"         usd_per_training_job, usd_per_mtok_served, "
	"         RANK() OVER (PARTITION BY invocation_id ORDER BY p90_tts_days) AS p90_tts_rank, "
	"         RANK() OVER (PARTITION BY invocation_id ORDER BY mean_wait_h) AS mean_wait_rank, "
	"         RANK() OVER (PARTITION BY invocation_id ORDER BY fleet_cost_usd) AS cost_rank, "
	"         fleet_cost_usd / MIN(fleet_cost_usd) OVER (PARTITION BY invocation_id) AS cost_vs_cheapest "
	"  FROM run_summary;";


static const char *const report_views[] = {
	view_fleet_months, view_job_months, view_fleet_comparison,
};

static enum fs_status db_fail(struct fs_store *s, struct fs_error *e, enum fs_status code,
			      const char *what)
{
	return fs_error_set(e, code, s->path, 0, NULL, "%s: %s", what, sqlite3_errmsg(s->db));
}

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/*
 * Runs sql (BEGIN IMMEDIATE or COMMIT), waiting while another process holds
 * the lock: SQLite's busy handler sleeps and retries inside the call, and a
 * SQLITE_BUSY that still comes back (the handler gave up or was not asked)
 * is retried here until s->wait_s has passed since the first try. A COMMIT
 * that returns SQLITE_BUSY keeps its transaction open, so retrying it is
 * safe. Returns the last SQLite result code.
 */
static int exec_waiting(struct fs_store *s, const char *sql)
{
	double t0 = mono_s();
	int rc;

	while ((rc = exec(s->db, sql)) == SQLITE_BUSY && mono_s() - t0 < s->wait_s) {
		struct timespec nap = { 0, 20 * 1000000L };
		nanosleep(&nap, NULL);
	}
	return rc;
}

/*
 * Turns a failed SQLite call into a status and a message that says what is
 * wrong with the database. Before simulating (phase "open"), a file that is
 * not usable is the user's input (FS_ERR_INPUT, exit 2); a lock held past
 * the wait, a full disk or an I/O error is a database failure (FS_ERR_DB,
 * exit 1), and so is everything once the runs are being written.
 */
static enum fs_status sql_fail(struct fs_store *s, struct fs_error *e, int rc, bool opening,
			       const char *what)
{
	const char *msg = s->db ? sqlite3_errmsg(s->db) : "out of memory";

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return fs_error_set(e, FS_ERR_DB, s->path, 0, NULL,
				    "%s: the database is busy, locked by another process for more "
				    "than %g s (FLEETSIM_DB_WAIT_S sets the wait)", what, s->wait_s);
	case SQLITE_NOMEM:
		return fs_error_set(e, FS_ERR_NOMEM, s->path, 0, NULL, "%s: out of memory", what);
	case SQLITE_NOTADB:
		return fs_error_set(e, opening ? FS_ERR_INPUT : FS_ERR_DB, s->path, 0, NULL,
				    "not an SQLite database (%s)", msg);
	case SQLITE_CORRUPT:
		return fs_error_set(e, opening ? FS_ERR_INPUT : FS_ERR_DB, s->path, 0, NULL,
				    "damaged database (%s); nothing was written to it", msg);
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return fs_error_set(e, opening ? FS_ERR_INPUT : FS_ERR_DB, s->path, 0, NULL,
				    "%s: the database or the directory that holds it (where SQLite "
				    "writes its journal) is read-only (%s)",
				    what, msg);
	default:
		return fs_error_set(e, FS_ERR_DB, s->path, 0, NULL, "%s: %s", what, msg);
	}
}

/* Whether table name exists: 1, 0, or -(SQLite result code) on failure. */
static int table_exists(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
				     -1, &st, NULL)) != SQLITE_OK)
		return -rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -rc;
}

/* The first column of a one-row query as an integer into *out; SQLite result code. */
static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
}

static int migrate_v3_v4(sqlite3 *db, int v); /* analyses (at the end of this file) */
static int migrate_v6_v7_run(sqlite3 *db);   /* sweeps (at the end of this file) */
static int create_sweep_views(sqlite3 *db);  /* CREATE VIEW IF NOT EXISTS sweep_outcomes */

/*
 * Version 4 -> 5 (and the last step of creating a new database): replayed
 * histories. A history job keeps its original id (run_jobs.name; NULL for
 * jobs whose name derives from their source) and team (NULL: none); each
 * run of a history records what was read (run_histories). The `jobs` view
 * gains `team` and prefers the stored name; team_months sums wait and
 * GPU-hours by team and 30.4375-day month of submission.
 */
static const char migrate_v4_v5[] =
	"ALTER TABLE run_jobs ADD COLUMN name TEXT;"
	"ALTER TABLE run_jobs ADD COLUMN team TEXT;"
	"CREATE TABLE run_histories("
	"  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
	"  file TEXT NOT NULL,"
	"  format TEXT NOT NULL CHECK(format IN ('csv', 'slurm')),"
	"  sha256 TEXT NOT NULL,"         /* of the file's content */
	"  n_rows INTEGER NOT NULL,"      /* data rows read */
	"  n_jobs INTEGER NOT NULL,"      /* jobs kept (cancelled included) */
	"  n_skipped INTEGER NOT NULL,"   /* bad rows skipped (skip_bad_rows) */
	"  n_steps INTEGER NOT NULL,"     /* Slurm steps folded into their job */
	"  n_cpu_only INTEGER NOT NULL,"  /* Slurm jobs without GPUs, left out */
	"  n_cancelled INTEGER NOT NULL," /* cancelled before start: job rows with status 2 */
	"  scale REAL NOT NULL);"
	"DROP VIEW IF EXISTS jobs;"
	"CREATE VIEW jobs AS"
	"  SELECT j.run_id AS run_id, COALESCE(j.name, s.name, s.kind || '-' || j.seq) AS name,"
	"         s.kind AS kind, m.name AS model, j.gpus AS gpus, j.tokens AS tokens,"
	"         j.submit_s AS submit_s, j.start_s AS start_s, j.end_s AS end_s,"
	"         j.start_s - j.submit_s AS wait_s, j.end_s - j.submit_s AS tts_s,"
	"         COALESCE(j.gpu_hours, j.gpus * (j.end_s - j.start_s) / 3600.0, 0.0) AS gpu_hours,"
	"         CASE j.status WHEN 0 THEN 'done' ELSE 'infeasible' END AS status,"
	"         j.restarts AS restarts, j.job_idx AS job_idx,"
	"         j.pool AS pool, p.gpu AS gpu, j.priority AS priority,"
	"         j.preemptions AS preemptions, j.gpu_hours_lost AS gpu_hours_lost,"
	"         j.team AS team"
	"  FROM run_jobs j JOIN job_sources s ON s.id = j.source_id"
	"  JOIN models m ON m.id = j.model_id"
	"  LEFT JOIN run_prices p ON p.run_id = j.run_id AND p.pool = j.pool;"
	"CREATE VIEW team_months AS"
	"  SELECT run_id, team, CAST(submit_s / 2629800.0 AS INTEGER) AS month,"
	"         COUNT(*) AS n_jobs, SUM(status = 'done') AS n_ran,"
	"         AVG(wait_s) / 3600.0 AS mean_wait_h, MAX(wait_s) / 3600.0 AS max_wait_h,"
	"         SUM(gpu_hours) AS gpu_hours"
	"  FROM jobs GROUP BY run_id, team, month;";

/*
 * Version 5 -> 6 (and the last step of creating a new database): history
 * jobs cancelled before they started are job rows with status 2, shown as
 * 'cancelled' (no times, no GPU-hours). SQLite cannot alter a CHECK, so
 * run_jobs is rebuilt: the views that read it are dropped first (job_months
 * comes back with the report views), the rows copied as they are, and the
 * views made again.
 */
static const char migrate_v5_v6[] =
	"DROP VIEW IF EXISTS job_months;"
	"DROP VIEW IF EXISTS team_months;"
	"DROP VIEW IF EXISTS jobs;"
	"CREATE TABLE run_jobs_v6("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  job_idx INTEGER NOT NULL,"
	"  source_id INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  model_id INTEGER NOT NULL,"
	"  gpus INTEGER NOT NULL CHECK(gpus >= 1),"
	"  tokens REAL NOT NULL,"
	"  submit_s REAL NOT NULL,"
	"  start_s REAL,"                /* NULL: infeasible or cancelled, never ran */
	"  end_s REAL,"
	"  status INTEGER NOT NULL CHECK(status IN (0, 1, 2)),"  /* 0 done, 1 infeasible, 2 cancelled */
	"  restarts INTEGER NOT NULL,"
	"  pool INTEGER,"
	"  priority INTEGER NOT NULL DEFAULT 0,"
	"  preemptions INTEGER NOT NULL DEFAULT 0,"
	"  gpu_hours REAL,"
	"  gpu_hours_lost REAL,"
	"  name TEXT,"
	"  team TEXT,"
	"  PRIMARY KEY(run_id, job_idx)) WITHOUT ROWID;"
	"INSERT INTO run_jobs_v6(run_id, job_idx, source_id, seq, model_id, gpus, tokens, submit_s,"
	"  start_s, end_s, status, restarts, pool, priority, preemptions, gpu_hours, gpu_hours_lost,"
	"  name, team)"
	"  SELECT run_id, job_idx, source_id, seq, model_id, gpus, tokens, submit_s,"
	"  start_s, end_s, status, restarts, pool, priority, preemptions, gpu_hours, gpu_hours_lost,"
	"  name, team FROM run_jobs;"
	"DROP TABLE run_jobs;"
	"ALTER TABLE run_jobs_v6 RENAME TO run_jobs;"
	"CREATE VIEW jobs AS"
	"  SELECT j.run_id AS run_id, COALESCE(j.name, s.name, s.kind || '-' || j.seq) AS name,"
	"         s.kind AS kind, m.name AS model, j.gpus AS gpus, j.tokens AS tokens,"
	"         j.submit_s AS submit_s, j.start_s AS start_s, j.end_s AS end_s,"
	"         j.start_s - j.submit_s AS wait_s, j.end_s - j.submit_s AS tts_s,"
	"         COALESCE(j.gpu_hours, j.gpus * (j.end_s - j.start_s) / 3600.0, 0.0) AS gpu_hours,"
	"         CASE j.status WHEN 0 THEN 'done' WHEN 2 THEN 'cancelled' ELSE 'infeasible' END"
	"           AS status,"
	"         j.restarts AS restarts, j.job_idx AS job_idx,"
	"         j.pool AS pool, p.gpu AS gpu, j.priority AS priority,"
	"         j.preemptions AS preemptions, j.gpu_hours_lost AS gpu_hours_lost,"
	"         j.team AS team"
	"  FROM run_jobs j JOIN job_sources s ON s.id = j.source_id"
	"  JOIN models m ON m.id = j.model_id"
	"  LEFT JOIN run_prices p ON p.run_id = j.run_id AND p.pool = j.pool;"
	"CREATE VIEW team_months AS"
	"  SELECT run_id, team, CAST(submit_s / 2629800.0 AS INTEGER) AS month,"
	"         COUNT(*) AS n_jobs, SUM(status = 'done') AS n_ran,"
	"         AVG(wait_s) / 3600.0 AS mean_wait_h, MAX(wait_s) / 3600.0 AS max_wait_h,"
	"         SUM(gpu_hours) AS gpu_hours"
	"  FROM jobs GROUP BY run_id, team, month;";

/* Brings a database of version v (0: new, empty) to FS_STORE_SCHEMA_VERSION; in a transaction. */
static int upgrade(sqlite3 *db, int v)
{
	int rc = SQLITE_OK;

	if (v == 0)
		rc = exec(db, schema_base);
	if (rc == SQLITE_OK && v < 2)
		rc = exec(db, schema_jobs_v2);
	if (rc == SQLITE_OK && v == 1)
		rc = exec(db, migrate_v1_v2);
	if (rc == SQLITE_OK && v < 2)
		rc = exec(db, schema_jobs_view);
	if (rc == SQLITE_OK && v < 3)
		rc = exec(db, migrate_v2_v3);
	if (rc == SQLITE_OK && v < 3)
		rc = exec(db, schema_views_v3);
	if (rc == SQLITE_OK && v < 4)
		rc = migrate_v3_v4(db, v);
	if (rc == SQLITE_OK && v < 5)
		rc = exec(db, migrate_v4_v5);
	if (rc == SQLITE_OK && v < 6)
		rc = exec(db, migrate_v5_v6);
	if (rc == SQLITE_OK && v < 7)
		rc = migrate_v6_v7_run(db);
	if (rc == SQLITE_OK)
		rc = create_sweep_views(db);
	for (size_t i = 0; rc == SQLITE_OK && i < sizeof(report_views) / sizeof(*report_views); i++)
		rc = exec(db, report_views[i]);
	return rc;
}

/*
 * What the database holds, read inside the caller's transaction: its
 * schema version *v; FS_OK when it is a fleetsim database fleetsim can use
 * (a version from 1 to FS_STORE_SCHEMA_VERSION with a runs table) or an
 * empty one (version 0, no tables); FS_ERR_INPUT with the reason otherwise.
 */
static enum fs_status inspect(struct fs_store *s, int *v, struct fs_error *e)
{
	int64_t uv = 0, n_objects = 0;
	int rc, has_runs;

	if ((rc = query_int(s->db, "PRAGMA user_version", &uv)) != SQLITE_OK)
		return sql_fail(s, e, rc, true, "cannot read the schema version");
	*v = (int)uv;
	if (uv < 0 || uv > FS_STORE_SCHEMA_VERSION)
		return fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL,
				    "database schema version %lld is %s (this fleetsim reads and "
				    "writes versions 1 to %d); use %s or another --db",
				    (long long)uv, uv < 0 ? "not one fleetsim ever wrote" : "newer than "
				    "this fleetsim supports", FS_STORE_SCHEMA_VERSION,
				    uv < 0 ? "a fleetsim database" : "a newer fleetsim");
	if ((rc = query_int(s->db, "SELECT COUNT(*) FROM sqlite_master WHERE name NOT LIKE "
				   "'sqlite\\_%' ESCAPE '\\'", &n_objects)) != SQLITE_OK)
		return sql_fail(s, e, rc, true, "cannot read the schema");
	if ((has_runs = table_exists(s->db, "runs")) < 0)
		return sql_fail(s, e, -has_runs, true, "cannot read the schema");
	if (uv == 0 && n_objects > 0)
		return fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL,
				    "an SQLite database of another application (%lld schema objects, "
				    "no fleetsim schema version); left untouched, give "
				    "another --db", (long long)n_objects);
	if (uv > 0 && !has_runs)
		return fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL,
				    "schema version %lld but no fleetsim tables: not a fleetsim results "
				    "database; left untouched, give another --db", (long long)uv);
	return FS_OK;
}

/*
 * For writing: checks the file's pages (PRAGMA quick_check), then, in one
 * BEGIN IMMEDIATE transaction, re-reads the version under the write lock,
 * refuses what is not fleetsim's, creates or migrates the schema, and
 * proves the file and its journal can be written (the version is written
 * again; the transaction is rolled back when nothing else changed, so the
 * file stays byte for byte as it was). Ten processes creating one new
 * database meet here one at a time: the first creates, the others find
 * version FS_STORE_SCHEMA_VERSION.
 */
static enum fs_status ensure_schema_write(struct fs_store *s, struct fs_error *e)
{
	char sql[64];
	sqlite3_stmt *st;
	int v = 0, rc;
	enum fs_status status;

	/* a damaged database is never appended to */
	if ((rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL)) != SQLITE_OK)
		return sql_fail(s, e, rc, true, "cannot check the database");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
		char what[256];
		fs_strlcpy(what, (const char *)sqlite3_column_text(st, 0), sizeof(what));
		for (char *c = what; *c; c++)
			*c = *c == '\n' ? ' ' : *c;
		status = fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL,
				      "damaged database (quick_check: %s); nothing was written to it",
				      what);
		sqlite3_finalize(st);
		return status;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return sql_fail(s, e, rc, true, "cannot check the database");
	if ((rc = exec_waiting(s, "BEGIN IMMEDIATE")) != SQLITE_OK)
		return sql_fail(s, e, rc, true, "cannot lock the database for writing");
	if ((status = inspect(s, &v, e)))
		goto rollback;
	if (v < FS_STORE_SCHEMA_VERSION && (rc = upgrade(s->db, v)) != SQLITE_OK) {
		status = sql_fail(s, e, rc, true, v ? "cannot migrate the schema"
						     : "cannot create the schema");
		goto rollback;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", FS_STORE_SCHEMA_VERSION);
	if ((rc = exec(s->db, sql)) != SQLITE_OK) {
		status = sql_fail(s, e, rc, true, "cannot write the database");
		goto rollback;
	}
	if (v == FS_STORE_SCHEMA_VERSION) {
		exec(s->db, "ROLLBACK");
		return FS_OK;
	}
	if ((rc = exec_waiting(s, "COMMIT")) != SQLITE_OK) {
		status = sql_fail(s, e, rc, true, "cannot write the schema");
		goto rollback;
	}
	return FS_OK;
rollback:
	exec(s->db, "ROLLBACK");
	return status;
}

/*
 * Checks of the path before SQLite sees it, each with its own message:
 * empty, a directory or other non-file, a file that is not SQLite, a
 * missing or unwritable directory, a file without write permission.
 */
static enum fs_status check_path(const char *path, enum fs_store_mode mode, bool *missing,
				 struct fs_error *e)
{
	static const char header[16] = "SQLite format 3";
	struct stat sb;
	char dir[512], head[16];
	char *slash;
	FILE *f;
	size_t n;

	if (!*path)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
				    "the database path is empty; give a file name with --db");
	if (stat(path, &sb) != 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL, "cannot use the database "
					    "path: %s", strerror(errno));
		if (mode == FS_STORE_READ)
			return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL,
					    "no such database; run 'fleetsim run' first");
		fs_strlcpy(dir, path, sizeof(dir));
		slash = strrchr(dir, '/');
		if (!slash)
			fs_strlcpy(dir, ".", sizeof(dir));
		else if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
		if (stat(dir, &sb) != 0)
			return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL,
					    "cannot open the database for writing: the directory '%s' "
					    "does not exist", dir);
		if (!S_ISDIR(sb.st_mode))
			return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL,
					    "cannot open the database for writing: '%s' is not a "
					    "directory", dir);
		if (access(dir, W_OK | X_OK) != 0)
			return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL,
					    "cannot open the database for writing: the directory '%s' "
					    "is read-only", dir);
		*missing = true;
		return FS_OK;
	}
	if (S_ISDIR(sb.st_mode))
		return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL,
				    "is a directory; give a database file name with --db");
	if (!S_ISREG(sb.st_mode))
		return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL,
				    "not a regular file; give a database file name with --db");
	if (!(f = fopen(path, "rb")))
		return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL, "cannot read the database: %s",
				    strerror(errno));
	n = fread(head, 1, sizeof(head), f);
	fclose(f);
	/* an empty file is a new database to SQLite */
	if (sb.st_size > 0 && (n < sizeof(head) || memcmp(head, header, sizeof(head)) != 0))
		return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL,
				    "not an SQLite database (no SQLite header); left untouched, "
				    "give another --db");
	if (mode == FS_STORE_WRITE && access(path, W_OK) != 0)
		return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL,
				    "the database is read-only (%s); cannot add runs", strerror(errno));
	return FS_OK;
}

/* Opens s->path and checks or migrates its schema (see fs_store_open_wait). */
static enum fs_status open_checked(struct fs_store *s, enum fs_store_mode mode, int flags,
				   struct fs_error *e)
{
	const char *path = s->path;
	int rc, v = 0;
	enum fs_status st;

reopen:
	/* a handle is used by one thread: no per-call mutex (a tenth of the write time) */
	if ((rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL)) != SQLITE_OK) {
		return sql_fail(s, e, rc, true, "cannot open the database");
	}
	sqlite3_busy_timeout(s->db, s->wait_s * 1000 < INT_MAX ? (int)(s->wait_s * 1000) : INT_MAX);
	exec(s->db, "PRAGMA foreign_keys = ON");
	if (mode == FS_STORE_WRITE) {
		/* SQLite falls back to read-only when the file cannot be written */
		if (sqlite3_db_readonly(s->db, "main") == 1) {
			return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL,
					    "the database is read-only; cannot add runs");
		}
		return ensure_schema_write(s, e);
	}
	if ((st = inspect(s, &v, e)))
		return st;
	if (v == 0) {
		return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL,
				    "no fleetsim results in this database; run 'fleetsim run' first");
	}
	if (v < FS_STORE_SCHEMA_VERSION && flags == SQLITE_OPEN_READONLY) {
		/* an older schema is migrated even by readers: the views need it */
		sqlite3_close(s->db);
		s->db = NULL;
		flags = SQLITE_OPEN_READWRITE;
		goto reopen;
	}
	if (v < FS_STORE_SCHEMA_VERSION)
		return ensure_schema_write(s, e);
	return FS_OK;
}

enum fs_status fs_store_open_wait(const char *path, enum fs_store_mode mode, double wait_s,
				  struct fs_store **out, struct fs_error *e)
{
	struct fs_store *s;
	int flags = mode == FS_STORE_WRITE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
					   : SQLITE_OPEN_READONLY;
	bool missing = false;
	enum fs_status st;

	*out = NULL;
	if ((st = check_path(path, mode, &missing, e)))
		return st;
	if (!(s = calloc(1, sizeof(*s))))
		return fs_error_set(e, FS_ERR_NOMEM, path, 0, NULL, "out of memory");
	fs_strlcpy(s->path, path, sizeof(s->path));
	s->wait_s = wait_s > 0 ? wait_s : 0;
	if (missing) {
		/* A new file is made by the first write, so a command that fails
		 * before writing (bad input found while simulating) leaves no file. */
		*out = s;
		return FS_OK;
	}
	st = open_checked(s, mode, flags, e);
	if (st) {
		fs_store_close(s);
		return st;
	}
	*out = s;
	return FS_OK;
}

enum fs_status fs_store_open(const char *path, enum fs_store_mode mode, struct fs_store **out,
			     struct fs_error *e)
{
	return fs_store_open_wait(path, mode, FS_STORE_WAIT_S_DEFAULT, out, e);
}

void fs_store_close(struct fs_store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s);
}

static int64_t scenario_id(struct fs_store *s, const struct fs_scenario *sc, int *rc)
{
	char hex[65];
	sqlite3_stmt *st;
	int64_t id = -1;

	fs_sha256_hex(sc->source_text, sc->source_len, hex);
	*rc = sqlite3_prepare_v2(s->db,
				 "INSERT INTO scenarios(name, source_text, sha256, created_at) "
				 "VALUES(?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) "
				 "ON CONFLICT(sha256) DO NOTHING", -1, &st, NULL);
	if (*rc != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, sc->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sc->source_text, (int)sc->source_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hex, -1, SQLITE_STATIC);
	*rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (*rc != SQLITE_DONE)
		return -1;
	*rc = sqlite3_prepare_v2(s->db, "SELECT id FROM scenarios WHERE sha256 = ?", -1, &st, NULL);
	if (*rc != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	*rc = sqlite3_step(st);
	if (*rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		*rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return id;
}

/* Per write: the database ids of the catalog's models, looked up or added once each. */
struct model_ids {
	const struct fs_llm *base;
	int64_t *id;                /* [n_llms + 1] (the last: no model), 0 = not yet known */
	size_t n;
	sqlite3_stmt *add, *get;
};

/* A replayed history job without a model is stored with the model "-". */
static int model_id(struct model_ids *m, const struct fs_llm *model, int64_t *out)
{
	size_t i = model ? (size_t)(model - m->base) : m->n;
	const char *name = model ? model->name : "-";
	int rc;

	assert(i <= m->n);
	if (m->id[i]) {
		*out = m->id[i];
		return SQLITE_OK;
	}
	sqlite3_reset(m->add);
	sqlite3_bind_text(m->add, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(m->add)) != SQLITE_DONE)
		return rc;
	sqlite3_reset(m->get);
	sqlite3_bind_text(m->get, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(m->get)) != SQLITE_ROW)
		return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
	*out = m->id[i] = sqlite3_column_int64(m->get, 0);
	sqlite3_reset(m->get);
	return SQLITE_OK;
}

/* One job_sources row per explicit job and per stream; src[k] gets the id of source k. */
static int write_sources(struct fs_store *s, const struct fs_scenario *sc, int64_t run_id,
			 int64_t *src)
{
	sqlite3_stmt *st;
	size_t n = sc->n_jobs + sc->n_streams + (sc->history != NULL);
	int rc;

	rc = sqlite3_prepare_v2(s->db, "INSERT INTO job_sources(run_id, kind, name) VALUES(?, ?, ?)",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	for (size_t k = 0; k < n && rc == SQLITE_OK; k++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, run_id);
		sqlite3_bind_text(st, 2, fs_workload_kind(sc, (uint32_t)k), -1, SQLITE_STATIC);
		if (k < sc->n_jobs)
			sqlite3_bind_text(st, 3, sc->jobs[k].name, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 3);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		src[k] = sqlite3_last_insert_rowid(s->db);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Rows per multi-row INSERT: fewer statement executions per job. */
#define JOB_BATCH 32
#define JOB_COLS 19
#define JOB_INSERT "INSERT INTO run_jobs(run_id, job_idx, source_id, seq, model_id, gpus," \
	" tokens, submit_s, start_s, end_s, status, restarts, pool, priority, preemptions," \
	" gpu_hours, gpu_hours_lost, name, team) VALUES"
#define JOB_ROW "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"

static void bind_job(sqlite3_stmt *sj, int k, int64_t run_id, size_t i,
		     const struct fs_job_result *j, int64_t source_id, int64_t model_id)
{
	sqlite3_bind_int64(sj, k++, run_id);
	sqlite3_bind_int64(sj, k++, (int64_t)i);
	sqlite3_bind_int64(sj, k++, source_id);
	sqlite3_bind_int64(sj, k++, j->seq);
	sqlite3_bind_int64(sj, k++, model_id);
	sqlite3_bind_int(sj, k++, j->gpus);
	sqlite3_bind_double(sj, k++, j->tokens);
	sqlite3_bind_double(sj, k++, j->submit_s);
	if (j->status == FS_JOB_DONE) {
		sqlite3_bind_double(sj, k++, j->start_s);
		sqlite3_bind_double(sj, k++, j->end_s);
	} else {
		/* an infeasible or cancelled job never ran: no times */
		sqlite3_bind_null(sj, k++);
		sqlite3_bind_null(sj, k++);
	}
	sqlite3_bind_int(sj, k++, j->status == FS_JOB_DONE ? 0 : j->status == FS_JOB_CANCELLED ? 2 : 1);
	sqlite3_bind_int(sj, k++, j->restarts);
	if (j->status == FS_JOB_DONE && j->pool >= 0)
		sqlite3_bind_int(sj, k++, j->pool);
	else
		sqlite3_bind_null(sj, k++);
	sqlite3_bind_int(sj, k++, j->priority);
	sqlite3_bind_int(sj, k++, j->preemptions);
	/* stored only when it is not what the `jobs` view derives (the same
	 * expression, so equal bit for bit): most rows stay lean */
	if (j->status == FS_JOB_DONE && j->gpu_hours != j->gpus * (j->end_s - j->start_s) / 3600.0)
		sqlite3_bind_double(sj, k++, j->gpu_hours);
	else
		sqlite3_bind_null(sj, k++);
	sqlite3_bind_double(sj, k++, j->gpu_hours_lost);
}

/* A history job's original id (NULL for other jobs) and any job's team (NULL: none). */
static void bind_job_history(sqlite3_stmt *sj, int k, const struct fs_scenario *sc,
			     const struct fs_job_result *j)
{
	char name[96];

	if (!sc->history || j->source != sc->n_jobs + sc->n_streams) {
		sqlite3_bind_null(sj, k++);
	} else {
		fs_workload_job_name(sc, j->source, j->seq, name, sizeof(name));
		sqlite3_bind_text(sj, k++, name, -1, SQLITE_TRANSIENT);
	}
	/* every job's team (jobs, streams and history rows share sc->teams) */
	if (j->team >= 0 && (size_t)j->team < sc->n_teams)
		sqlite3_bind_text(sj, k, sc->teams[j->team].name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(sj, k);
}

/* sj inserts one row, sb JOB_BATCH rows. */
static int write_jobs(const struct fs_scenario *sc, const struct fs_run_result *r,
		      int64_t run_id, const int64_t *src,
		      struct model_ids *mids, sqlite3_stmt *sj, sqlite3_stmt *sb)
{
	size_t i = 0;
	int rc;

	while (i < r->n_jobs) {
		size_t n = r->n_jobs - i >= JOB_BATCH ? JOB_BATCH : 1;
		sqlite3_stmt *st = n > 1 ? sb : sj;

		sqlite3_reset(st);
		for (size_t b = 0; b < n; b++, i++) {
			const struct fs_job_result *j = &r->jobs[i];
			int64_t mid = 0;

			if ((rc = model_id(mids, j->model, &mid)) != SQLITE_OK)
				return rc;
			bind_job(st, (int)(JOB_COLS * b + 1), run_id, i, j, src[j->source], mid);
			bind_job_history(st, (int)(JOB_COLS * b + JOB_COLS - 1), sc, j);
		}
		if ((rc = sqlite3_step(st)) != SQLITE_DONE)
			return rc;
	}
	return SQLITE_OK;
}

/* The statements a write reuses for every run. */
struct write_stmts {
	sqlite3_stmt *job, *jobs;   /* one job row, JOB_BATCH job rows */
	sqlite3_stmt *series, *price, *svc, *svc_point;
};

/* Pools of a fleet option: a fleet loaded without pools is one pool of its GPU. */
static int n_pools(const struct fs_fleet_opt *f)
{
	return f->n_pools > 0 ? f->n_pools : 1;
}

static const struct fs_gpu *pool_gpu(const struct fs_fleet_opt *f, int p)
{
	return f->n_pools > 0 && p >= 0 && p < f->n_pools ? f->pools[p].gpu : f->gpu;
}

/* A double that may be NaN (not applicable): NULL then. */
static void bind_real_or_null(sqlite3_stmt *st, int k, double x)
{
	if (isnan(x))
		sqlite3_bind_null(st, k);
	else
		sqlite3_bind_double(st, k, x);
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int write_series(const struct fs_run_result *r, int64_t id, sqlite3_stmt *ss)
{
	int rc;

	for (size_t i = 0; i < r->n_series; i++) {
		const struct fs_series_point *p = &r->series[i];
		int k = 1;

		sqlite3_reset(ss);
		sqlite3_bind_int64(ss, k++, id);
		sqlite3_bind_double(ss, k++, p->t_s);
		sqlite3_bind_int(ss, k++, p->gpus_total);
		sqlite3_bind_double(ss, k++, p->gpus_busy);
		sqlite3_bind_int(ss, k++, p->jobs_running);
		sqlite3_bind_int(ss, k++, p->jobs_queued);
		sqlite3_bind_double(ss, k++, p->gpus_installed);
		sqlite3_bind_double(ss, k++, p->gpus_down);
		sqlite3_bind_double(ss, k++, p->gpus_serving);
		sqlite3_bind_double(ss, k++, p->gpus_idle);
		sqlite3_bind_double(ss, k++, p->power_kw);
		sqlite3_bind_double(ss, k++, p->cost_usd);
		sqlite3_bind_double(ss, k++, p->cost.rent_usd);
		sqlite3_bind_double(ss, k++, p->cost.depreciation_usd);
		sqlite3_bind_double(ss, k++, p->cost.power_usd);
		sqlite3_bind_double(ss, k++, p->cost.hosting_usd);
		sqlite3_bind_double(ss, k++, p->cost.energy_kwh);
		bind_real_or_null(ss, k, p->idle_cost_usd);
		if ((rc = step_done(ss)) != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* One run_prices row per pool: what the run assumed each GPU-hour costs. */
static int write_prices(const struct fs_run_result *r, int64_t id, sqlite3_stmt *sp)
{
	const struct fs_fleet_opt *f = r->fleet;
	const struct fs_cost_spec *c = &f->cost;
	bool owned = c->mode == FS_COST_OWNED;
	int rc;

	for (int p = 0; p < n_pools(f); p++) {
		const struct fs_gpu *g = pool_gpu(f, p);
		int k = 1;

		sqlite3_reset(sp);
		sqlite3_bind_int64(sp, k++, id);
		sqlite3_bind_int(sp, k++, p);
		sqlite3_bind_text(sp, k++, g->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(sp, k++, f->n_pools > 0 ? f->pools[p].nodes : f->nodes);
		sqlite3_bind_int(sp, k++, f->n_pools > 0 ? f->pools[p].gpus_per_node
							  : f->gpus_per_node);
		if (f->n_pools > 0)
			sqlite3_bind_int(sp, k++, f->pools[p].max_nodes);
		else
			sqlite3_bind_int(sp, k++, f->nodes);
		sqlite3_bind_text(sp, k++, owned ? "owned" : "cloud", -1, SQLITE_STATIC);
		if (owned) {
			sqlite3_bind_null(sp, k++);
			sqlite3_bind_null(sp, k++);
			sqlite3_bind_double(sp, k++, g->capex_usd_per_gpu);
			sqlite3_bind_double(sp, k++, c->depreciation_years);
			sqlite3_bind_double(sp, k++, g->server_kw_per_gpu);
			bind_real_or_null(sp, k++, c->idle_power_frac);
			sqlite3_bind_double(sp, k++, c->pue);
			sqlite3_bind_double(sp, k++, c->usd_per_kwh);
			sqlite3_bind_double(sp, k, c->hosting_usd_per_kw_month);
		} else {
			sqlite3_bind_text(sp, k++, c->committed ? "committed" : "on-demand", -1,
					  SQLITE_STATIC);
			/* 0: a run result that does not say (not a free GPU) */
			if (r->usd_per_gpu_hour[p] > 0)
				sqlite3_bind_double(sp, k++, r->usd_per_gpu_hour[p]);
			else
				sqlite3_bind_null(sp, k++);
			for (int i = 0; i < 7; i++)
				sqlite3_bind_null(sp, k++);
		}
		if ((rc = step_done(sp)) != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* The scenario's services (one row each) and their per-interval points. */
static int write_services(const struct fs_scenario *sc, const struct fs_run_result *r,
			  int64_t id, sqlite3_stmt *sv, sqlite3_stmt *sp)
{
	int rc;

	for (size_t i = 0; i < sc->serving.n_services; i++) {
		const struct fs_service_spec *v = &sc->serving.services[i];
		int k = 1;

		sqlite3_reset(sv);
		sqlite3_bind_int64(sv, k++, id);
		sqlite3_bind_int64(sv, k++, (int64_t)i);
		sqlite3_bind_text(sv, k++, v->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(sv, k++, v->model ? v->model->name : "", -1, SQLITE_STATIC);
		sqlite3_bind_double(sv, k++, v->ttft_p99_s);
		sqlite3_bind_double(sv, k++, v->tpot_p99_s);
		sqlite3_bind_int(sv, k++, v->reserved_gpus);
		sqlite3_bind_int(sv, k, v->priority);
		if ((rc = step_done(sv)) != SQLITE_OK)
			return rc;
	}
	for (size_t i = 0; i < r->n_svc; i++) {
		const struct fs_service_point *q = &r->svc[i];
		int k = 1;

		assert(q->service < sc->serving.n_services);
		sqlite3_reset(sp);
		sqlite3_bind_int64(sp, k++, id);
		sqlite3_bind_int64(sp, k++, q->service);
		sqlite3_bind_double(sp, k++, q->t_s);
		sqlite3_bind_double(sp, k++, q->demand_rps);
		if (q->pool >= 0) {
			sqlite3_bind_int(sp, k++, q->pool);
			sqlite3_bind_text(sp, k++, pool_gpu(r->fleet, q->pool)->name, -1,
					  SQLITE_STATIC);
		} else {
			sqlite3_bind_null(sp, k++);
			sqlite3_bind_null(sp, k++);
		}
		sqlite3_bind_int(sp, k++, q->tp);
		sqlite3_bind_int(sp, k++, q->replicas_wanted);
		sqlite3_bind_int(sp, k++, q->replicas_granted);
		sqlite3_bind_double(sp, k++, q->capacity_rps);
		bind_real_or_null(sp, k++, q->attainment_frac);
		sqlite3_bind_double(sp, k++, q->served_rps);
		sqlite3_bind_double(sp, k, q->output_tokens);
		if ((rc = step_done(sp)) != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* What the run's history held (run_histories). */
static int write_history(struct fs_store *s, const struct fs_scenario *sc, int64_t run_id)
{
	const struct fs_history *h = sc->history;
	sqlite3_stmt *st;
	int rc, k = 1;

	if ((rc = sqlite3_prepare_v2(s->db, "INSERT INTO run_histories(run_id, file, format, sha256,"
				     " n_rows, n_jobs, n_skipped, n_steps, n_cpu_only, n_cancelled,"
				     " scale) VALUES(?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, k++, run_id);
	sqlite3_bind_text(st, k++, h->file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, k++, h->format == FS_HISTORY_SLURM ? "slurm" : "csv", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, k++, h->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, k++, (int64_t)h->n_rows);
	sqlite3_bind_int64(st, k++, (int64_t)h->n_jobs);
	sqlite3_bind_int64(st, k++, (int64_t)h->n_skipped);
	sqlite3_bind_int64(st, k++, (int64_t)h->n_steps);
	sqlite3_bind_int64(st, k++, (int64_t)h->n_cpu_only);
	sqlite3_bind_int64(st, k++, (int64_t)h->n_cancelled);
	sqlite3_bind_double(st, k, sc->history_scale);
	rc = step_done(st);
	sqlite3_finalize(st);
	return rc;
}

/* The runs.gpu text: the GPU type, or the pools' types joined by '+'. */
static void fleet_gpus(const struct fs_fleet_opt *f, char *out, size_t n)
{
	fs_strlcpy(out, pool_gpu(f, 0)->name, n);
	for (int p = 1; p < n_pools(f); p++) {
		size_t len = strlen(out);
		snprintf(out + len, n - len, "+%s", pool_gpu(f, p)->name);
	}
}

static int write_run(struct fs_store *s, const struct fs_scenario *sc, int64_t sid, int64_t inv,
		     const struct fs_run_result *r, const char *version, struct model_ids *mids,
		     int64_t *src, const struct write_stmts *ws, int64_t *id)
{
	sqlite3_stmt *st;
	const struct fs_run_summary *m = &r->sum;
	char gpus[FS_MAX_POOLS * (FS_NAME_MAX + 1)];
	int rc, k = 1;

	rc = sqlite3_prepare_v2(s->db,
		"INSERT INTO runs(scenario_id, fleet, gpu, gpus, seed, status, started_at, wall_s,"
		" version, horizon_s, n_jobs, n_done_in_horizon, n_infeasible, n_failures, mean_wait_s,"
		" p90_wait_s, mean_tts_s, p90_tts_s, mean_util_frac, makespan_s, gpu_hours,"
		" fleet_cost_usd, events, invocation_id, n_preemptions, n_node_failures,"
		" gpu_hours_lost, rent_usd, depreciation_usd, power_usd, hosting_usd, energy_kwh,"
		" serve_attainment_frac, serve_output_tokens, idle_cost_usd, usd_per_training_job,"
		" usd_per_mtok_served)"
		" VALUES(?, ?, ?, ?, ?, 'ok', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?, ?, ?, ?, ?,"
		" ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st,
		NULL);
	if (rc != SQLITE_OK)
		return rc;
	fleet_gpus(r->fleet, gpus, sizeof(gpus));
	sqlite3_bind_int64(st, k++, sid);
	sqlite3_bind_text(st, k++, r->fleet->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, k++, gpus, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, k++, r->fleet->n_gpus);
	sqlite3_bind_int64(st, k++, (int64_t)r->seed);
	sqlite3_bind_double(st, k++, r->wall_s);
	sqlite3_bind_text(st, k++, version, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, k++, r->horizon_s);
	sqlite3_bind_int64(st, k++, (int64_t)m->n_jobs);
	sqlite3_bind_int64(st, k++, (int64_t)m->n_done_in_horizon);
	sqlite3_bind_int64(st, k++, (int64_t)m->n_infeasible);
	sqlite3_bind_int64(st, k++, (int64_t)m->n_failures);
	if (m->n_jobs > m->n_infeasible) {
		sqlite3_bind_double(st, k++, m->mean_wait_s);
		sqlite3_bind_double(st, k++, m->p90_wait_s);
		sqlite3_bind_double(st, k++, m->mean_tts_s);
		sqlite3_bind_double(st, k++, m->p90_tts_s);
	} else {
		for (int i = 0; i < 4; i++)
			sqlite3_bind_null(st, k++);
	}
	sqlite3_bind_double(st, k++, m->mean_util_frac);
	sqlite3_bind_double(st, k++, m->makespan_s);
	sqlite3_bind_double(st, k++, m->gpu_hours);
	sqlite3_bind_double(st, k++, m->fleet_cost_usd);
	sqlite3_bind_int64(st, k++, (int64_t)m->events);
	sqlite3_bind_int64(st, k++, inv);
	sqlite3_bind_int64(st, k++, (int64_t)m->n_preemptions);
	sqlite3_bind_int64(st, k++, (int64_t)m->n_node_failures);
	sqlite3_bind_double(st, k++, m->gpu_hours_lost);
	sqlite3_bind_double(st, k++, m->cost.rent_usd);
	sqlite3_bind_double(st, k++, m->cost.depreciation_usd);
	sqlite3_bind_double(st, k++, m->cost.power_usd);
	sqlite3_bind_double(st, k++, m->cost.hosting_usd);
	sqlite3_bind_double(st, k++, m->cost.energy_kwh);
	/* no services (or no demand): NULL, not a made-up attainment */
	if (sc->serving.n_services > 0)
		bind_real_or_null(st, k++, m->serve_attainment_frac);
	else
		sqlite3_bind_null(st, k++);
	sqlite3_bind_double(st, k++, m->serve_output_tokens);
	bind_real_or_null(st, k++, m->idle_cost_usd);
	bind_real_or_null(st, k++, m->usd_per_training_job);
	bind_real_or_null(st, k, m->usd_per_mtok_served);
	rc = step_done(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return rc;
	*id = sqlite3_last_insert_rowid(s->db);
	if ((rc = write_sources(s, sc, *id, src)) != SQLITE_OK ||
	    (rc = write_jobs(sc, r, *id, src, mids, ws->job, ws->jobs)) != SQLITE_OK ||
	    (rc = write_series(r, *id, ws->series)) != SQLITE_OK ||
	    (rc = write_prices(r, *id, ws->price)) != SQLITE_OK)
		return rc;
	if (sc->history && (rc = write_history(s, sc, *id)) != SQLITE_OK)
		return rc;
	return write_services(sc, r, *id, ws->svc, ws->svc_point);
}

/* A word a POSIX shell reads as itself, unquoted. */
static bool shell_safe(const char *w)
{
	if (!*w)
		return false;
	for (; *w; w++) {
		unsigned char c = (unsigned char)*w;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("_@%+=:,./-", c)))
			return false;
	}
	return true;
}

size_t fs_invocation_join(int argc, char *const *argv, char *out, size_t n)
{
	size_t len = 0;

	/* appends one character, counting what does not fit */
#define PUT(ch) do { if (len + 1 < n) out[len] = (ch); len++; } while (0)
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i] ? argv[i] : "";
		bool quote = !shell_safe(w);

		if (i)
			PUT(' ');
		if (quote)
			PUT('\'');
		for (; *w; w++) {
			if (*w == '\'') {
				/* close, an escaped quote, reopen */
				PUT('\'');
				PUT('\\');
				PUT('\'');
				PUT('\'');
			} else {
				PUT(*w);
			}
		}
		if (quote)
			PUT('\'');
	}
#undef PUT
	if (n)
		out[len < n ? len : n - 1] = '\0';
	return len;
}

void fs_invocation_init(struct fs_invocation *inv, const char *prog, int argc,
			char *const *argv, const char *version)
{
	memset(inv, 0, sizeof(*inv));
	inv->prog = prog;
	inv->argc = argc;
	inv->argv = argv;
	inv->version = version;
	inv->started_unix_s = (int64_t)time(NULL);
}

/* The invocations row of this write; its id, or -1 with *rc set. */
static int64_t invocation_id(struct fs_store *s, const struct fs_invocation *inv, int *rc)
{
	sqlite3_stmt *st;
	size_t pre = inv->prog ? fs_invocation_join(1, (char *const *)&inv->prog, NULL, 0) + 1 : 0;
	size_t need = pre + fs_invocation_join(inv->argc, inv->argv, NULL, 0) + 1;
	char *line = malloc(need);

	if (!line) {
		*rc = SQLITE_NOMEM;
		return -1;
	}
	if (inv->prog) {
		fs_invocation_join(1, (char *const *)&inv->prog, line, need);
		line[pre - 1] = ' ';
	}
	fs_invocation_join(inv->argc, inv->argv, line + pre, need - pre);
	if (pre && inv->argc == 0)
		line[pre - 1] = '\0';
	*rc = sqlite3_prepare_v2(s->db,
				 "INSERT INTO invocations(command_line, version, started_at, host)"
				 " VALUES(?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', ?, 'unixepoch'), ?)",
				 -1, &st, NULL);
	if (*rc != SQLITE_OK) {
		free(line);
		return -1;
	}
	sqlite3_bind_text(st, 1, line, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, inv->version ? inv->version : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, inv->started_unix_s > 0 ? inv->started_unix_s
							 : (int64_t)time(NULL));
	if (inv->host)
		sqlite3_bind_text(st, 4, inv->host, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	*rc = step_done(st);
	sqlite3_finalize(st);
	free(line);
	return *rc == SQLITE_OK ? sqlite3_last_insert_rowid(s->db) : -1;
}

static void write_stmts_fini(struct write_stmts *ws)
{
	sqlite3_finalize(ws->job);
	sqlite3_finalize(ws->jobs);
	sqlite3_finalize(ws->series);
	sqlite3_finalize(ws->price);
	sqlite3_finalize(ws->svc);
	sqlite3_finalize(ws->svc_point);
}

static int write_stmts_init(sqlite3 *db, struct write_stmts *ws)
{
	static const char series_sql[] =
		"INSERT INTO series(run_id, t_s, gpus_total, gpus_busy, jobs_running, jobs_queued,"
		" gpus_installed, gpus_down, gpus_serving, gpus_idle, power_kw, cost_usd, rent_usd,"
		" depreciation_usd, power_usd, hosting_usd, energy_kwh, idle_cost_usd)"
		" VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	static const char price_sql[] =
		"INSERT INTO run_prices(run_id, pool, gpu, nodes, gpus_per_node, max_nodes, cost_mode,"
		" term, usd_per_gpu_hour, capex_usd_per_gpu, depreciation_years, server_kw_per_gpu,"
		" idle_power_frac, pue, usd_per_kwh, hosting_usd_per_kw_month)"
		" VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	static const char svc_sql[] =
		"INSERT INTO run_services(run_id, service, name, model, ttft_p99_s, tpot_p99_s,"
		" reserved_gpus, priority) VALUES(?,?,?,?,?,?,?,?)";
	static const char svc_point_sql[] =
		"INSERT INTO service_series(run_id, service, t_s, demand_rps, pool, gpu, tp,"
		" replicas_wanted, replicas_granted, capacity_rps, attainment_frac, served_rps,"
		" output_tokens) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)";
	char batch_sql[sizeof(JOB_INSERT) + JOB_BATCH * (sizeof(JOB_ROW) + 1)];
	int rc;

	memset(ws, 0, sizeof(*ws));
	fs_strlcpy(batch_sql, JOB_INSERT, sizeof(batch_sql));
	for (int b = 0; b < JOB_BATCH; b++) {
		if (b)
			strcat(batch_sql, ",");
		strcat(batch_sql, JOB_ROW);
	}
	if ((rc = sqlite3_prepare_v2(db, JOB_INSERT JOB_ROW, -1, &ws->job, NULL)) ||
	    (rc = sqlite3_prepare_v2(db, batch_sql, -1, &ws->jobs, NULL)) ||
	    (rc = sqlite3_prepare_v2(db, series_sql, -1, &ws->series, NULL)) ||
	    (rc = sqlite3_prepare_v2(db, price_sql, -1, &ws->price, NULL)) ||
	    (rc = sqlite3_prepare_v2(db, svc_sql, -1, &ws->svc, NULL)) ||
	    (rc = sqlite3_prepare_v2(db, svc_point_sql, -1, &ws->svc_point, NULL)))
		return rc;
	return SQLITE_OK;
}

enum fs_status fs_store_write_runs(struct fs_store *s, const struct fs_scenario *sc,
				   const struct fs_run_result *runs, size_t n,
				   const struct fs_invocation *inv, int64_t *run_ids,
				   struct fs_error *e)
{
	struct write_stmts ws = { 0 };
	struct model_ids mids = { sc->catalog.llms, NULL, sc->catalog.n_llms, NULL, NULL };
	int64_t *src = NULL;
	int rc;
	int64_t sid, iid;
	enum fs_status st = FS_OK;

	if (!s->db && (st = open_checked(s, FS_STORE_WRITE,
					  SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, e)))
		return st;
	mids.id = calloc(mids.n + 1, sizeof(*mids.id)); /* + the model-less slot */
	src = calloc(sc->n_jobs + sc->n_streams + 1, sizeof(*src));
	if (!mids.id || !src) {
		free(mids.id);
		free(src);
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	}
	if ((rc = exec_waiting(s, "BEGIN IMMEDIATE")) != SQLITE_OK) {
		st = sql_fail(s, e, rc, false, "cannot start a transaction");
		goto out;
	}
	if ((iid = invocation_id(s, inv, &rc)) < 0) {
		st = sql_fail(s, e, rc, false, "cannot store the invocation");
		goto rollback;
	}
	sid = scenario_id(s, sc, &rc);
	if (sid < 0) {
		st = db_fail(s, e, FS_ERR_DB, "cannot store the scenario");
		goto rollback;
	}
	if (write_stmts_init(s->db, &ws) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO models(name) VALUES(?)", -1, &mids.add,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT id FROM models WHERE name = ?", -1, &mids.get, NULL) !=
		    SQLITE_OK) {
		st = db_fail(s, e, FS_ERR_DB, "cannot prepare the inserts");
		goto rollback;
	}
	for (size_t i = 0; i < n; i++) {
		if ((rc = write_run(s, sc, sid, iid, &runs[i], inv->version ? inv->version : "",
				    &mids, src, &ws, &run_ids[i])) != SQLITE_OK) {
			st = sql_fail(s, e, rc, false, "cannot store the run");
			goto rollback;
		}
	}
	if ((rc = exec_waiting(s, "COMMIT")) != SQLITE_OK) {
		st = sql_fail(s, e, rc, false, "cannot commit the runs");
		goto rollback;
	}
	goto out;
rollback:
	exec(s->db, "ROLLBACK");
out:
	write_stmts_fini(&ws);
	sqlite3_finalize(mids.add);
	sqlite3_finalize(mids.get);
	free(mids.id);
	free(src);
	return st;
}

static const char run_cols[] =
	"SELECT r.id, r.scenario_id, s.name, r.fleet, r.gpu, r.gpus, r.seed, r.status, r.started_at,"
	" r.wall_s, r.version, r.horizon_s, r.n_jobs, r.n_done_in_horizon, r.n_infeasible,"
	" r.n_failures, r.mean_wait_s,"
	" r.p90_wait_s, r.mean_tts_s, r.p90_tts_s, r.mean_util_frac, r.makespan_s, r.gpu_hours,"
	" r.fleet_cost_usd, r.events, r.invocation_id, r.n_preemptions, r.n_node_failures,"
	" r.gpu_hours_lost, r.rent_usd, r.depreciation_usd, r.power_usd, r.hosting_usd,"
	" r.energy_kwh, r.serve_attainment_frac, r.serve_output_tokens, r.idle_cost_usd,"
	" r.usd_per_training_job, r.usd_per_mtok_served"
	" FROM runs r JOIN scenarios s ON s.id = r.scenario_id";

/* A REAL column that may be NULL (a mean over no jobs): NaN for NULL, so
 * readers show it missing rather than 0. */
static double real_or_nan(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
}

static void text_col(sqlite3_stmt *st, int c, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, c);
	fs_strlcpy(dst, t ? (const char *)t : "", n);
}

static void read_run_row(sqlite3_stmt *st, struct fs_run_row *r)
{
	int c = 0;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, c++);
	r->scenario_id = sqlite3_column_int64(st, c++);
	text_col(st, c++, r->scenario, sizeof(r->scenario));
	text_col(st, c++, r->fleet, sizeof(r->fleet));
	text_col(st, c++, r->gpu, sizeof(r->gpu));
	r->gpus = sqlite3_column_int(st, c++);
	r->seed = sqlite3_column_int64(st, c++);
	text_col(st, c++, r->status, sizeof(r->status));
	text_col(st, c++, r->started_at, sizeof(r->started_at));
	r->wall_s = sqlite3_column_double(st, c++);
	text_col(st, c++, r->version, sizeof(r->version));
	r->horizon_s = sqlite3_column_double(st, c++);
	r->sum.n_jobs = (size_t)sqlite3_column_int64(st, c++);
	r->sum.n_done_in_horizon = (size_t)sqlite3_column_int64(st, c++);
	r->sum.n_infeasible = (size_t)sqlite3_column_int64(st, c++);
	r->sum.n_failures = (uint64_t)sqlite3_column_int64(st, c++);
	r->sum.mean_wait_s = real_or_nan(st, c++);
	r->sum.p90_wait_s = real_or_nan(st, c++);
	r->sum.mean_tts_s = real_or_nan(st, c++);
	r->sum.p90_tts_s = real_or_nan(st, c++);
	r->sum.mean_util_frac = sqlite3_column_double(st, c++);
	r->sum.makespan_s = sqlite3_column_double(st, c++);
	r->sum.gpu_hours = sqlite3_column_double(st, c++);
	r->sum.fleet_cost_usd = sqlite3_column_double(st, c++);
	r->sum.events = (uint64_t)sqlite3_column_int64(st, c++);
	r->invocation_id = sqlite3_column_int64(st, c++);
	r->sum.n_preemptions = (uint64_t)sqlite3_column_int64(st, c++);
	r->sum.n_node_failures = (uint64_t)sqlite3_column_int64(st, c++);
	r->sum.gpu_hours_lost = real_or_nan(st, c++);
	r->sum.cost.rent_usd = sqlite3_column_double(st, c++);
	r->sum.cost.depreciation_usd = sqlite3_column_double(st, c++);
	r->sum.cost.power_usd = sqlite3_column_double(st, c++);
	r->sum.cost.hosting_usd = sqlite3_column_double(st, c++);
	r->sum.cost.energy_kwh = sqlite3_column_double(st, c++);
	r->sum.serve_attainment_frac = real_or_nan(st, c++);
	r->sum.serve_output_tokens = sqlite3_column_double(st, c++);
	r->sum.idle_cost_usd = real_or_nan(st, c++);
	r->sum.usd_per_training_job = real_or_nan(st, c++);
	r->sum.usd_per_mtok_served = real_or_nan(st, c++);
}

enum fs_status fs_store_list_runs(struct fs_store *s, fs_store_run_fn fn, void *ctx,
				  struct fs_error *e)
{
	sqlite3_stmt *st;
	char sql[1024];
	int rc;

	snprintf(sql, sizeof(sql), "%s ORDER BY r.id", run_cols);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, e, FS_ERR_DB, "cannot list runs");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct fs_run_row row;
		read_run_row(st, &row);
		if (fn(ctx, &row))
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, e, FS_ERR_DB, "cannot list runs");
	return FS_OK;
}

enum fs_status fs_store_get_run(struct fs_store *s, int64_t id, struct fs_run_row *out,
				struct fs_error *e)
{
	sqlite3_stmt *st;
	char sql[1024];
	int rc;

	snprintf(sql, sizeof(sql), "%s WHERE r.id = ?", run_cols);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, e, FS_ERR_DB, "cannot read the run");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_run_row(st, out);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL, "no run with id %lld",
				    (long long)id);
	if (rc != SQLITE_ROW)
		return db_fail(s, e, FS_ERR_DB, "cannot read the run");
	return FS_OK;
}

/*
 * Runs sql (one parameter: id) and calls row(st, ctx) for each result row
 * until it returns non-zero. FS_OK, or FS_ERR_DB "cannot read <what>".
 */
static enum fs_status each_row(struct fs_store *s, const char *sql, int64_t id,
			       int (*row)(sqlite3_stmt *st, void *ctx), void *ctx, const char *what,
			       struct fs_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, e, FS_ERR_DB, what);
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !row(st, ctx))
		;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, e, FS_ERR_DB, what);
	return FS_OK;
}

struct util_ctx { fs_store_util_fn fn; void *ctx; };

static int util_row(sqlite3_stmt *st, void *c)
{
	struct util_ctx *u = c;
	struct fs_util_row row = {
		sqlite3_column_int(st, 0), sqlite3_column_double(st, 1),
		sqlite3_column_double(st, 2), sqlite3_column_double(st, 3),
	};

	return u->fn(u->ctx, &row);
}

enum fs_status fs_store_monthly_util(struct fs_store *s, int64_t id, fs_store_util_fn fn,
				     void *ctx, struct fs_error *e)
{
	struct util_ctx u = { fn, ctx };

	return each_row(s,
			"SELECT CAST(t_s / 2629800.0 AS INTEGER) AS month, AVG(gpus_busy),"
			" AVG(gpus_busy * 1.0 / gpus_total), AVG(jobs_queued)"
			" FROM series WHERE run_id = ? GROUP BY month ORDER BY month",
			id, util_row, &u, "cannot read the series", e);
}

struct service_month_ctx { fs_store_service_month_fn fn; void *ctx; };

static int service_month_row(sqlite3_stmt *st, void *c)
{
	struct service_month_ctx *m = c;
	struct fs_service_month_row row;

	memset(&row, 0, sizeof(row));
	text_col(st, 0, row.service, sizeof(row.service));
	row.month = sqlite3_column_int(st, 1);
	row.demand_rps = sqlite3_column_double(st, 2);
	row.attainment_frac = real_or_nan(st, 3);
	row.replicas_wanted = sqlite3_column_double(st, 4);
	row.replicas_granted = sqlite3_column_double(st, 5);
	row.output_tokens = sqlite3_column_double(st, 6);
	return m->fn(m->ctx, &row);
}

enum fs_status fs_store_service_months(struct fs_store *s, int64_t id,
				       fs_store_service_month_fn fn, void *ctx,
				       struct fs_error *e)
{
	struct service_month_ctx m = { fn, ctx };

	return each_row(s,
			"SELECT service_name, month, demand_rps, attainment_frac,"
			" replicas_wanted, replicas_granted, output_tokens"
			" FROM service_months WHERE run_id = ? ORDER BY service, month",
			id, service_month_row, &m, "cannot read the services", e);
}

struct kind_ctx { fs_store_kind_fn fn; void *ctx; };

static int kind_row(sqlite3_stmt *st, void *c)
{
	struct kind_ctx *k = c;
	struct fs_kind_row row;

	memset(&row, 0, sizeof(row));
	text_col(st, 0, row.kind, sizeof(row.kind));
	row.n_jobs = sqlite3_column_int64(st, 1);
	row.mean_wait_s = real_or_nan(st, 2);
	row.mean_tts_s = real_or_nan(st, 3);
	row.gpu_hours = real_or_nan(st, 4);
	row.n_infeasible = sqlite3_column_int64(st, 5);
	row.restarts = sqlite3_column_int64(st, 6);
	return k->fn(k->ctx, &row);
}

enum fs_status fs_store_job_kinds(struct fs_store *s, int64_t id, fs_store_kind_fn fn,
				  void *ctx, struct fs_error *e)
{
	struct kind_ctx k = { fn, ctx };

	return each_row(s,
			"SELECT kind, COUNT(*), AVG(wait_s), AVG(tts_s), SUM(gpu_hours),"
			" SUM(status = 'infeasible'), SUM(restarts)"
			" FROM jobs WHERE run_id = ? GROUP BY kind ORDER BY MIN(job_idx)",
			id, kind_row, &k, "cannot read the jobs", e);
}

/* ---- analyses (schema version 4) ------------------------------------------ */

/*
 * Version 3 -> 4 (and the last step of creating a new database): analyses
 * and their results. Only tables and views are added; no row of version 3
 * changes.
 */
static const char schema_v4[] =
	"CREATE TABLE analyses("
	"  id INTEGER PRIMARY KEY,"
	"  invocation_id INTEGER NOT NULL REFERENCES invocations(id),"
	"  scenario_id INTEGER NOT NULL REFERENCES scenarios(id),"
	"  kind TEXT NOT NULL CHECK(kind IN ('outgrow')),"
	"  month INTEGER NOT NULL,"          /* of the scale search, 0 = the first */
	"  n_months INTEGER NOT NULL,"
	"  replications INTEGER NOT NULL,"
	"  seed INTEGER NOT NULL,"           /* master seed; replication i: mix(seed, 'rep:<i>') & (2^63 - 1) */
	"  scale_max REAL NOT NULL,"
	"  scale_tol_frac REAL NOT NULL,"
	"  jobs INTEGER NOT NULL,"           /* worker processes */
	"  points INTEGER NOT NULL,"         /* simulations, all fleets and replications */
	"  points_wall_s REAL NOT NULL,"     /* their host seconds, summed over workers */
	"  started_at TEXT NOT NULL,"
	"  wall_s REAL NOT NULL,"
	"  summary TEXT NOT NULL);"          /* the decision summary as printed */
	"CREATE TABLE analysis_runs("
	"  analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  replication INTEGER NOT NULL,"
	"  scale REAL NOT NULL,"             /* the demand scale the run was simulated at */
	"  first_fail_month INTEGER,"        /* NULL: met every criterion to the horizon */
	"  first_fail_criterion TEXT,"
	"  scale_at_month REAL NOT NULL,"    /* the replication's bisected scale */
	"  scale_bound INTEGER NOT NULL,"    /* 0 bisected, 1 lower bound, -1 upper bound */
	"  search_points INTEGER NOT NULL,"
	"  search_wall_s REAL NOT NULL,"
	"  PRIMARY KEY(analysis_id, run_id)) WITHOUT ROWID;"
	"CREATE TABLE outgrow("
	"  analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,"
	"  fleet TEXT NOT NULL,"
	"  gpu TEXT NOT NULL,"
	"  gpus INTEGER NOT NULL,"
	"  criterion TEXT,"                  /* failing first most often; NULL: none failed */
	"  criterion_replications INTEGER NOT NULL,"
	"  first_fail_month_mean REAL NOT NULL," /* a replication that holds counts as n_months */
	"  first_fail_month_lo REAL NOT NULL,"   /* 95 % t-interval */
	"  first_fail_month_hi REAL NOT NULL,"
	"  first_fail_month_min REAL NOT NULL,"
	"  first_fail_month_max REAL NOT NULL,"
	"  n_held INTEGER NOT NULL,"
	"  scale_at_month_mean REAL NOT NULL,"
	"  scale_at_month_ci_lo REAL NOT NULL,"
	"  scale_at_month_ci_hi REAL NOT NULL,"
	"  scale_at_month_min REAL NOT NULL,"
	"  scale_at_month_max REAL NOT NULL,"
	"  n_scale_bound INTEGER NOT NULL,"
	"  usd_per_month REAL,"
	"  usd_per_training_run REAL,"
	"  usd_per_mtok REAL,"
	"  budget_group INTEGER NOT NULL,"
	"  gpu_group INTEGER NOT NULL,"
	"  longest_in_budget INTEGER NOT NULL,"
	"  longest_in_gpus INTEGER NOT NULL,"
	"  PRIMARY KEY(analysis_id, fleet));"    /* rowid order is the scenario's fleet order */
	"CREATE TABLE criteria_monthly("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  criterion TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  month INTEGER NOT NULL,"
	"  value REAL,"                      /* NULL: nothing to measure that month */
	"  \"limit\" REAL NOT NULL,"
	"  ok INTEGER NOT NULL,"
	"  PRIMARY KEY(run_id, criterion, month)) WITHOUT ROWID;";

/* The views of version 4 (kept apart: one literal of C99's 4095 characters at most). */
static const char schema_v4_views[] =
	"CREATE VIEW outgrow_table AS"
	"  SELECT a.id AS analysis_id, s.name AS scenario, a.month, a.replications, o.fleet, o.gpu,"
	"         o.gpus, o.criterion, o.criterion_replications, o.first_fail_month_mean,"
	"         o.first_fail_month_lo, o.first_fail_month_hi, o.first_fail_month_min,"
	"         o.first_fail_month_max, o.n_held, o.scale_at_month_mean, o.scale_at_month_ci_lo,"
	"         o.scale_at_month_ci_hi, o.n_scale_bound, o.usd_per_month, o.usd_per_training_run,"
	"         o.usd_per_mtok, o.longest_in_budget, o.longest_in_gpus"
	"  FROM outgrow o JOIN analyses a ON a.id = o.analysis_id"
	"  JOIN scenarios s ON s.id = a.scenario_id;"
	"CREATE VIEW fleets_side_by_side AS"
	"  SELECT ar.analysis_id, r.fleet, r.gpu, r.gpus, COUNT(*) AS replications,"
	"         AVG(r.mean_util_frac) AS mean_util_frac, AVG(r.mean_wait_s) / 3600.0 AS mean_wait_h,"
	"         AVG(r.p90_wait_s) / 3600.0 AS p90_wait_h, AVG(r.p90_tts_s) / 86400.0 AS p90_tts_days,"
	"         AVG(r.serve_attainment_frac) AS serve_attainment_frac,"
	"         AVG(r.fleet_cost_usd) AS fleet_cost_usd, AVG(r.n_done_in_horizon) AS n_done_in_horizon,"
	"         AVG(ar.first_fail_month) AS first_fail_month_of_failing,"
	"         SUM(ar.first_fail_month IS NULL) AS n_held, AVG(ar.scale_at_month) AS scale_at_month,"
	"         o.usd_per_month, o.usd_per_training_run, o.usd_per_mtok"
	"  FROM analysis_runs ar JOIN runs r ON r.id = ar.run_id"
	"  LEFT JOIN outgrow o ON o.analysis_id = ar.analysis_id AND o.fleet = r.fleet"
	"  WHERE ar.scale = 1.0"
	"  GROUP BY ar.analysis_id, r.fleet ORDER BY ar.analysis_id, MIN(r.id);"
	/* as the utilization criterion: intervals by their start, weighted by their length */
	"CREATE VIEW monthly_utilization AS"
	"  SELECT run_id, fleet, CAST(t_s / 2629800.0 AS INTEGER) AS month,"
	"         SUM((gpus_busy + gpus_serving) * dt) / NULLIF(SUM(gpus_installed * dt), 0)"
	"           AS util_frac,"
	"         SUM(gpus_busy * dt) / NULLIF(SUM(gpus_installed * dt), 0) AS train_frac,"
	"         SUM(gpus_serving * dt) / NULLIF(SUM(gpus_installed * dt), 0) AS serve_frac,"
	"         SUM(gpus_installed * dt) / NULLIF(SUM(dt), 0) AS gpus_installed"
	"  FROM (SELECT s.run_id, r.fleet, s.t_s, s.gpus_busy, s.gpus_serving,"
	"               COALESCE(s.gpus_installed, s.gpus_total) AS gpus_installed,"
	"               MIN(LEAD(s.t_s, 1, r.horizon_s) OVER (PARTITION BY s.run_id ORDER BY s.t_s),"
	"                   r.horizon_s) - s.t_s AS dt"
	"        FROM series s JOIN runs r ON r.id = s.run_id)"
	"  WHERE dt > 0 GROUP BY run_id, month;"
	/* the criteria of an analysis month by month, over its replications */
	"CREATE VIEW outgrow_monthly AS"
	"  SELECT ar.analysis_id, r.fleet, c.criterion, c.kind, c.month, c.\"limit\","
	"         AVG(c.value) AS value_mean, MIN(c.value) AS value_min, MAX(c.value) AS value_max,"
	"         COUNT(c.value) AS n_measured, SUM(c.ok) AS n_ok, COUNT(*) AS replications"
	"  FROM criteria_monthly c JOIN analysis_runs ar ON ar.run_id = c.run_id"
	"  JOIN runs r ON r.id = c.run_id"
	"  GROUP BY ar.analysis_id, r.fleet, c.criterion, c.month"
	"  ORDER BY ar.analysis_id, MIN(r.id), c.criterion, c.month;";

/*
 * From version 3 the views of version 3 are made again as well: a database
 * written before cost_by_month and service_months existed gains them.
 */
static int migrate_v3_v4(sqlite3 *db, int v)
{
	int rc = SQLITE_OK;

	if (v == 3)
		rc = exec(db, "DROP VIEW IF EXISTS run_summary; DROP VIEW IF EXISTS latest_runs;"
			      "DROP VIEW IF EXISTS jobs; DROP VIEW IF EXISTS service_days;"
			      "DROP VIEW IF EXISTS cost_by_month; DROP VIEW IF EXISTS service_months;");
	if (rc == SQLITE_OK && v == 3)
		rc = exec(db, schema_views_v3);
	if (rc == SQLITE_OK)
		rc = exec(db, schema_v4);
	return rc == SQLITE_OK ? exec(db, schema_v4_views) : rc;
}

static int bind_step(sqlite3_stmt *st)
{
	int rc = step_done(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static void bind_text_or_null(sqlite3_stmt *st, int k, const char *s)
{
	if (s)
		sqlite3_bind_text(st, k, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, k);
}

/* The criteria_monthly rows of one run. */
static int write_criteria(sqlite3_stmt *st, const struct fs_scenario *sc, int64_t run_id,
			  const struct fs_criteria_eval *ev)
{
	int rc = SQLITE_OK;

	for (size_t c = 0; c < ev->n_criteria && rc == SQLITE_OK; c++)
		for (int m = 0; m < ev->n_months && rc == SQLITE_OK; m++) {
			size_t k = c * (size_t)ev->n_months + (size_t)m;
			sqlite3_bind_int64(st, 1, run_id);
			sqlite3_bind_text(st, 2, sc->criteria[c].name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, fs_criterion_kind_name(sc->criteria[c].kind), -1,
					  SQLITE_STATIC);
			sqlite3_bind_int(st, 4, m);
			bind_real_or_null(st, 5, ev->value[k]);
			sqlite3_bind_double(st, 6, sc->criteria[c].limit);
			sqlite3_bind_int(st, 7, ev->ok[k]);
			rc = bind_step(st);
		}
	return rc;
}

static int write_outgrow_fleet(sqlite3_stmt *st, const struct fs_outgrow_result *r, int64_t aid,
			       size_t f)
{
	const struct fs_outgrow_fleet *fl = &r->fleets[f];
	const struct fs_fleet_opt *fo = &r->sc->fleets[f];
	int k = 1;

	sqlite3_bind_int64(st, k++, aid);
	sqlite3_bind_text(st, k++, fo->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, k++, fo->gpu->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, k++, fo->n_gpus);
	bind_text_or_null(st, k++, fl->criterion >= 0 ? r->sc->criteria[fl->criterion].name : NULL);
	sqlite3_bind_int(st, k++, fl->n_criterion);
	sqlite3_bind_double(st, k++, fl->first_fail_month.mean);
	sqlite3_bind_double(st, k++, fl->first_fail_month.lo);
	sqlite3_bind_double(st, k++, fl->first_fail_month.hi);
	sqlite3_bind_double(st, k++, fl->first_fail_month.min);
	sqlite3_bind_double(st, k++, fl->first_fail_month.max);
	sqlite3_bind_int(st, k++, fl->n_held);
	sqlite3_bind_double(st, k++, fl->scale.mean);
	sqlite3_bind_double(st, k++, fl->scale.lo);
	sqlite3_bind_double(st, k++, fl->scale.hi);
	sqlite3_bind_double(st, k++, fl->scale.min);
	sqlite3_bind_double(st, k++, fl->scale.max);
	sqlite3_bind_int(st, k++, fl->n_scale_bound);
	bind_real_or_null(st, k++, fl->usd_per_month);
	bind_real_or_null(st, k++, fl->usd_per_training_run);
	bind_real_or_null(st, k++, fl->usd_per_mtok);
	sqlite3_bind_int(st, k++, fl->budget_group);
	sqlite3_bind_int(st, k++, fl->gpu_group);
	sqlite3_bind_int(st, k++, fl->longest_in_budget);
	sqlite3_bind_int(st, k++, fl->longest_in_gpus);
	return bind_step(st);
}

static int write_analysis_rows(struct fs_store *s, const struct fs_outgrow_result *r,
			       const int64_t *run_ids, int64_t sid, int64_t iid,
			       const char *summary, int64_t *aid)
{
	const struct fs_scenario *sc = r->sc;
	sqlite3_stmt *sa = NULL, *sr = NULL, *so = NULL, *sm = NULL;
	int R = r->params.replications, rc;

	rc = sqlite3_prepare_v2(s->db,
		"INSERT INTO analyses(invocation_id, scenario_id, kind, month, n_months, replications,"
		" seed, scale_max, scale_tol_frac, jobs, points, points_wall_s, started_at, wall_s,"
		" summary) VALUES(?,?,'outgrow',?,?,?,?,?,?,?,?,?,"
		" (SELECT started_at FROM invocations WHERE id = ?1),?,?)", -1, &sa, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(s->db,
			"INSERT INTO analysis_runs(analysis_id, run_id, replication, scale,"
			" first_fail_month, first_fail_criterion, scale_at_month, scale_bound,"
			" search_points, search_wall_s) VALUES(?,?,?,1.0,?,?,?,?,?,?)", -1, &sr, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(s->db,
			"INSERT INTO outgrow VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			-1, &so, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(s->db,
			"INSERT INTO criteria_monthly(run_id, criterion, kind, month, value, \"limit\", ok)"
			" VALUES(?,?,?,?,?,?,?)", -1, &sm, NULL);
	if (rc != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(sa, 1, iid);
	sqlite3_bind_int64(sa, 2, sid);
	sqlite3_bind_int(sa, 3, r->params.month);
	sqlite3_bind_int(sa, 4, r->n_months);
	sqlite3_bind_int(sa, 5, R);
	sqlite3_bind_int64(sa, 6, (int64_t)r->params.seed);
	sqlite3_bind_double(sa, 7, r->params.scale_max);
	sqlite3_bind_double(sa, 8, r->params.scale_tol_frac);
	sqlite3_bind_int(sa, 9, r->params.jobs);
	sqlite3_bind_int64(sa, 10, (int64_t)r->n_points);
	sqlite3_bind_double(sa, 11, r->points_wall_s);
	sqlite3_bind_double(sa, 12, r->wall_s);
	sqlite3_bind_text(sa, 13, summary, -1, SQLITE_STATIC);
	if ((rc = step_done(sa)) != SQLITE_OK)
		goto out;
	*aid = sqlite3_last_insert_rowid(s->db);
	for (size_t f = 0; f < r->n_fleets && rc == SQLITE_OK; f++) {
		for (int i = 0; i < R && rc == SQLITE_OK; i++) {
			size_t u = f * (size_t)R + (size_t)i;
			const struct fs_outgrow_rep *rep = &r->reps[u];
			int c = rep->ev.first_fail_criterion;
			sqlite3_bind_int64(sr, 1, *aid);
			sqlite3_bind_int64(sr, 2, run_ids[u]);
			sqlite3_bind_int(sr, 3, rep->replication);
			if (rep->ev.first_fail_month >= 0)
				sqlite3_bind_int(sr, 4, rep->ev.first_fail_month);
			else
				sqlite3_bind_null(sr, 4);
			bind_text_or_null(sr, 5, c >= 0 ? sc->criteria[c].name : NULL);
			sqlite3_bind_double(sr, 6, rep->scale);
			sqlite3_bind_int(sr, 7, rep->scale_bound);
			sqlite3_bind_int(sr, 8, rep->n_points);
			sqlite3_bind_double(sr, 9, rep->search_wall_s);
			if ((rc = bind_step(sr)) == SQLITE_OK)
				rc = write_criteria(sm, sc, run_ids[u], &rep->ev);
		}
		if (rc == SQLITE_OK)
			rc = write_outgrow_fleet(so, r, *aid, f);
	}
out:
	sqlite3_finalize(sa);
	sqlite3_finalize(sr);
	sqlite3_finalize(so);
	sqlite3_finalize(sm);
	return rc;
}

enum fs_status fs_store_write_outgrow(struct fs_store *s, const struct fs_outgrow_result *r,
				      const struct fs_invocation *inv, const char *summary,
				      int64_t *analysis_id, struct fs_error *e)
{
	const struct fs_scenario *sc = r->sc;
	size_t n = (size_t)r->params.replications * r->n_fleets;
	struct write_stmts ws = { 0 };
	struct model_ids mids = { sc->catalog.llms, NULL, sc->catalog.n_llms, NULL, NULL };
	int64_t *src = NULL, *run_ids = NULL, sid, iid;
	int rc;
	enum fs_status st = FS_OK;

	if (!s->db && (st = open_checked(s, FS_STORE_WRITE,
					  SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, e)))
		return st;
	mids.id = calloc(mids.n + 1, sizeof(*mids.id)); /* + the model-less slot */
	src = calloc(sc->n_jobs + sc->n_streams + 1, sizeof(*src));
	run_ids = calloc(n ? n : 1, sizeof(*run_ids));
	if (!mids.id || !src || !run_ids) {
		st = fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		goto out;
	}
	if ((rc = exec_waiting(s, "BEGIN IMMEDIATE")) != SQLITE_OK) {
		st = sql_fail(s, e, rc, false, "cannot start a transaction");
		goto out;
	}
	if ((iid = invocation_id(s, inv, &rc)) < 0) {
		st = sql_fail(s, e, rc, false, "cannot store the invocation");
		goto rollback;
	}
	if ((sid = scenario_id(s, sc, &rc)) < 0) {
		st = db_fail(s, e, FS_ERR_DB, "cannot store the scenario");
		goto rollback;
	}
	if (write_stmts_init(s->db, &ws) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO models(name) VALUES(?)", -1, &mids.add,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT id FROM models WHERE name = ?", -1, &mids.get, NULL) !=
		    SQLITE_OK) {
		st = db_fail(s, e, FS_ERR_DB, "cannot prepare the inserts");
		goto rollback;
	}
	/* runs in replication order, the fleets of one replication together */
	for (int i = 0; i < r->params.replications; i++)
		for (size_t f = 0; f < r->n_fleets; f++) {
			size_t u = f * (size_t)r->params.replications + (size_t)i;
			if ((rc = write_run(s, sc, sid, iid, &r->reps[u].run,
					    inv->version ? inv->version : "", &mids, src, &ws,
					    &run_ids[u])) != SQLITE_OK) {
				st = sql_fail(s, e, rc, false, "cannot store the run");
				goto rollback;
			}
		}
	if ((rc = write_analysis_rows(s, r, run_ids, sid, iid, summary, analysis_id)) != SQLITE_OK) {
		st = sql_fail(s, e, rc, false, "cannot store the analysis");
		goto rollback;
	}
	if ((rc = exec_waiting(s, "COMMIT")) != SQLITE_OK) {
		st = sql_fail(s, e, rc, false, "cannot commit the analysis");
		goto rollback;
	}
	goto out;
rollback:
	exec(s->db, "ROLLBACK");
out:
	write_stmts_fini(&ws);
	sqlite3_finalize(mids.add);
	sqlite3_finalize(mids.get);
	free(mids.id);
	free(src);
	free(run_ids);
	return st;
}

enum fs_status fs_store_get_analysis(struct fs_store *s, int64_t id, struct fs_analysis_row *out,
				     struct fs_error *e)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sqlite3_prepare_v2(s->db,
		"SELECT a.id, a.kind, s.name, a.month, a.n_months, a.replications, a.seed, a.started_at,"
		" a.wall_s, a.points, a.summary FROM analyses a JOIN scenarios s ON s.id = a.scenario_id"
		" WHERE a.id = ?", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		/* a version-3 database opened read-only has no analyses table */
		if (!table_exists(s->db, "analyses"))
			return fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL,
					    "no analysis %lld: this database holds no analyses "
					    "(schema version 3); see 'fleetsim outgrow'", (long long)id);
		return db_fail(s, e, FS_ERR_DB, "cannot read the analyses");
	}
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		text_col(st, 1, out->kind, sizeof(out->kind));
		text_col(st, 2, out->scenario, sizeof(out->scenario));
		out->month = sqlite3_column_int(st, 3);
		out->n_months = sqlite3_column_int(st, 4);
		out->replications = sqlite3_column_int(st, 5);
		out->seed = sqlite3_column_int64(st, 6);
		text_col(st, 7, out->started_at, sizeof(out->started_at));
		out->wall_s = sqlite3_column_double(st, 8);
		out->points = sqlite3_column_int64(st, 9);
		text_col(st, 10, out->summary, sizeof(out->summary));
		sqlite3_finalize(st);
		return FS_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(s, e, FS_ERR_DB, "cannot read the analyses");
	return fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL,
			    "no analysis with id %lld; list them with: sqlite3 %s 'SELECT * FROM "
			    "analyses'", (long long)id, s->path);
}

enum fs_status fs_store_outgrow_rows(struct fs_store *s, int64_t id, fs_store_outgrow_fn fn,
				     void *ctx, struct fs_error *e)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(s->db,
		"SELECT fleet, gpu, gpus, criterion, first_fail_month_mean, first_fail_month_lo,"
		" first_fail_month_hi, first_fail_month_min, first_fail_month_max, n_held,"
		" scale_at_month_mean, scale_at_month_ci_lo, scale_at_month_ci_hi, n_scale_bound,"
		" usd_per_month, usd_per_training_run, usd_per_mtok, longest_in_budget,"
		" longest_in_gpus FROM outgrow WHERE analysis_id = ? ORDER BY rowid", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(s, e, FS_ERR_DB, "cannot read the outgrow table");
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct fs_outgrow_row r;
		memset(&r, 0, sizeof(r));
		text_col(st, 0, r.fleet, sizeof(r.fleet));
		text_col(st, 1, r.gpu, sizeof(r.gpu));
		r.gpus = sqlite3_column_int(st, 2);
		text_col(st, 3, r.criterion, sizeof(r.criterion));
		r.first_fail_month_mean = sqlite3_column_double(st, 4);
		r.first_fail_month_lo = sqlite3_column_double(st, 5);
		r.first_fail_month_hi = sqlite3_column_double(st, 6);
		r.first_fail_month_min = sqlite3_column_double(st, 7);
		r.first_fail_month_max = sqlite3_column_double(st, 8);
		r.n_held = sqlite3_column_int(st, 9);
		r.scale_mean = sqlite3_column_double(st, 10);
		r.scale_lo = sqlite3_column_double(st, 11);
		r.scale_hi = sqlite3_column_double(st, 12);
		r.n_scale_bound = sqlite3_column_int(st, 13);
		r.usd_per_month = real_or_nan(st, 14);
		r.usd_per_training_run = real_or_nan(st, 15);
		r.usd_per_mtok = real_or_nan(st, 16);
		r.longest_in_budget = sqlite3_column_int(st, 17);
		r.longest_in_gpus = sqlite3_column_int(st, 18);
		if (fn(ctx, &r))
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, e, FS_ERR_DB, "cannot read the outgrow table");
	return FS_OK;
}

/* Reading tables for reports: named queries and whole-table reads by key. */

static const struct {
	const char *name;
	const char *sql; /* one parameter: the id */
} queries[FS_Q_N] = {
	[FS_Q_SERIES] = { "series",
		"SELECT t_s, gpus_total, gpus_installed, gpus_busy, gpus_serving, gpus_down,"
		" gpus_idle, jobs_running, jobs_queued, power_kw, cost_usd, rent_usd,"
		" depreciation_usd, power_usd, hosting_usd, energy_kwh"
		" FROM series WHERE run_id = ? ORDER BY t_s" },
	[FS_Q_SERVICE_SERIES] = { "service_series",
		"SELECT ss.service, rs.name AS service_name, ss.t_s, ss.demand_rps, ss.pool, ss.gpu,"
		" ss.tp, ss.replicas_wanted, ss.replicas_granted, ss.capacity_rps,"
		" ss.attainment_frac, ss.served_rps, ss.output_tokens"
		" FROM service_series ss JOIN run_services rs"
		" ON rs.run_id = ss.run_id AND rs.service = ss.service"
		" WHERE ss.run_id = ? ORDER BY ss.service, ss.t_s" },
	[FS_Q_UTIL_MONTHS] = { "util_months",
		"SELECT month, gpus_installed, gpus_busy, gpus_serving, gpus_down, util_frac,"
		" jobs_running, jobs_queued, in_horizon"
		" FROM fleet_months WHERE run_id = ? ORDER BY month" },
	[FS_Q_JOB_MONTHS] = { "job_months",
		"SELECT kind, month, n_jobs, n_infeasible, n_ran, mean_wait_h, p50_wait_h, p90_wait_h,"
		" mean_tts_days, p50_tts_days, p90_tts_days FROM ("
		JOB_MONTHS_SQL("WHERE run_id = ?1") ") ORDER BY kind <> '(all)', kind, month" },
	[FS_Q_SERVICE_MONTHS] = { "service_months",
		"SELECT service, service_name, month, demand_rps, attainment_frac, replicas_wanted,"
		" replicas_granted, output_tokens"
		" FROM service_months WHERE run_id = ? ORDER BY service, month" },
	/* the units of work of a month: training jobs that ended in it, output tokens served */
	[FS_Q_COST_MONTHS] = { "cost_months",
		"SELECT c.month, c.cost_usd, c.rent_usd, c.depreciation_usd, c.power_usd,"
		" c.hosting_usd, c.idle_cost_usd, c.training_cost_usd, c.serving_cost_usd,"
		" c.energy_kwh, c.gpus_installed, c.gpus_training, c.gpus_serving, c.gpus_idle,"
		" c.output_tokens, COALESCE(d.jobs_done, 0) AS jobs_done,"
		" c.training_cost_usd / NULLIF(d.jobs_done, 0) AS usd_per_training_job,"
		" c.serving_cost_usd / NULLIF(c.output_tokens / 1e6, 0) AS usd_per_mtok"
		" FROM cost_by_month c LEFT JOIN"
		" (SELECT CAST(end_s / 2629800 AS INTEGER) AS month, COUNT(*) AS jobs_done"
		"  FROM run_jobs WHERE run_id = ?1 AND status = 0 GROUP BY month) d"
		" ON d.month = c.month WHERE c.run_id = ?1 ORDER BY c.month" },
	[FS_Q_JOB_KINDS] = { "job_kinds",
		"SELECT kind, COUNT(*) AS n_jobs, SUM(status = 'infeasible') AS n_infeasible,"
		" AVG(wait_s) / 3600.0 AS mean_wait_h, AVG(tts_s) / 86400.0 AS mean_tts_days,"
		" SUM(gpu_hours) AS gpu_hours, SUM(restarts) AS restarts"
		" FROM jobs WHERE run_id = ? GROUP BY kind ORDER BY MIN(job_idx)" },
	[FS_Q_ANALYSIS] = { "analyses", "SELECT * FROM analyses WHERE id = ?" },
	[FS_Q_ANALYSIS_RUNS] = { "analysis_runs",
		"SELECT ar.*, r.fleet FROM analysis_runs ar JOIN runs r ON r.id = ar.run_id"
		" WHERE ar.analysis_id = ? ORDER BY ar.replication, ar.run_id" },
	[FS_Q_OUTGROW] = { "outgrow", "SELECT * FROM outgrow WHERE analysis_id = ?" },
	[FS_Q_FLEETS_SIDE] = { "fleets_side_by_side",
		"SELECT * FROM fleets_side_by_side WHERE analysis_id = ?" },
	[FS_Q_CRITERIA] = { "criteria_monthly",
		"SELECT cm.* FROM criteria_monthly cm JOIN analysis_runs ar ON ar.run_id = cm.run_id"
		" WHERE ar.analysis_id = ? ORDER BY cm.run_id, cm.criterion, cm.month" },
};

const char *fs_store_query_name(enum fs_store_query q)
{
	assert(q < FS_Q_N);
	return queries[q].name;
}

void fs_store_table_fini(struct fs_store_table *t)
{
	if (!t)
		return;
	for (int c = 0; c < t->n_cols; c++)
		free(t->names[c]);
	if (t->txt)
		for (size_t i = 0; i < t->n_rows * (size_t)t->n_cols; i++)
			free(t->txt[i]);
	free(t->names);
	free(t->is_text);
	free(t->num);
	free(t->txt);
	memset(t, 0, sizeof(*t));
}

int fs_store_table_col(const struct fs_store_table *t, const char *name)
{
	for (int c = 0; c < t->n_cols; c++)
		if (strcmp(t->names[c], name) == 0)
			return c;
	return -1;
}

/* Grows t to hold one more row; SQLITE_OK or SQLITE_NOMEM. */
static int table_grow(struct fs_store_table *t, size_t *cap)
{
	size_t nc = (size_t)t->n_cols;
	double *num;
	char **txt;

	if (t->n_rows < *cap)
		return SQLITE_OK;
	*cap = *cap ? 2 * *cap : 64;
	if (!(num = realloc(t->num, *cap * nc * sizeof(*num))))
		return SQLITE_NOMEM;
	t->num = num;
	if (!(txt = realloc(t->txt, *cap * nc * sizeof(*txt))))
		return SQLITE_NOMEM;
	t->txt = txt;
	return SQLITE_OK;
}

/* Steps st to the end, collecting its rows into t; an SQLite result code. */
static int table_collect(sqlite3_stmt *st, struct fs_store_table *t)
{
	size_t cap = 0;
	int rc, nc = sqlite3_column_count(st);

	t->n_cols = nc;
	t->names = calloc((size_t)(nc ? nc : 1), sizeof(*t->names));
	t->is_text = calloc((size_t)(nc ? nc : 1), sizeof(*t->is_text));
	if (!t->names || !t->is_text)
		return SQLITE_NOMEM;
	for (int c = 0; c < nc; c++) {
		const char *n = sqlite3_column_name(st, c);
		if (!(t->names[c] = strdup(n ? n : "")))
			return SQLITE_NOMEM;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t base;

		if (table_grow(t, &cap) != SQLITE_OK)
			return SQLITE_NOMEM;
		base = t->n_rows * (size_t)nc;
		for (int c = 0; c < nc; c++) {
			int type = sqlite3_column_type(st, c);

			t->num[base + c] = NAN;
			t->txt[base + c] = NULL;
			if (type == SQLITE_TEXT || type == SQLITE_BLOB)
				t->is_text[c] = true;
			if (type == SQLITE_NULL)
				continue;
			if (t->is_text[c]) {
				const unsigned char *v = sqlite3_column_text(st, c);
				if (!(t->txt[base + c] = strdup(v ? (const char *)v : "")))
					return SQLITE_NOMEM;
			} else {
				t->num[base + c] = sqlite3_column_double(st, c);
			}
		}
		t->n_rows++;
	}
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Runs sql with ?1 = id into out; the status of fs_store_table_read. */
static enum fs_status table_query(struct fs_store *s, const char *sql, int64_t id,
				  struct fs_store_table *out, const char *what, struct fs_error *e)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK)
		return sql_fail(s, e, rc, false, what);
	sqlite3_bind_int64(st, 1, id);
	rc = table_collect(st, out);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK) {
		fs_store_table_fini(out);
		return rc == SQLITE_NOMEM ? fs_error_set(e, FS_ERR_NOMEM, s->path, 0, NULL,
							 "%s: out of memory", what)
					  : sql_fail(s, e, rc, false, what);
	}
	return FS_OK;
}

enum fs_status fs_store_table_read(struct fs_store *s, enum fs_store_query q, int64_t id,
				   struct fs_store_table *out, struct fs_error *e)
{
	char what[64];

	assert(q < FS_Q_N);
	snprintf(what, sizeof(what), "cannot read %s", queries[q].name);
	return table_query(s, queries[q].sql, id, out, what, e);
}

bool fs_store_has_table(struct fs_store *s, const char *name)
{
	sqlite3_stmt *st;
	bool has;

	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view')"
			       " AND name = ?", -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	has = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return has;
}

/* A name made of [a-z_0-9] only: safe to put into SQL text. */
static bool plain_name(const char *n)
{
	if (!*n)
		return false;
	for (; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9') || *n == '_'))
			return false;
	return true;
}

enum fs_status fs_store_table_read_where(struct fs_store *s, const char *table, const char *key,
					 int64_t id, struct fs_store_table *out, struct fs_error *e)
{
	char sql[256], what[128];

	memset(out, 0, sizeof(*out));
	if (!plain_name(table) || !plain_name(key) || !fs_store_has_table(s, table))
		return fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL,
				    "the database has no table '%s'", table);
	snprintf(sql, sizeof(sql), "SELECT * FROM %s WHERE %s = ?", table, key);
	snprintf(what, sizeof(what), "cannot read %s (no column %s?)", table, key);
	return table_query(s, sql, id, out, what, e);
}

/* ---- sweeps (schema 7) ---- */

/*
 * Version 6 -> 7 (and the last step of creating a new database): sweeps.
 * A sweep is identified by the SHA-256 of its expanded definition
 * (fs_sweep.sha256), so shards run as separate jobs, in separate databases,
 * recognise each other and `merge` refuses parts of another sweep. An item
 * stores a compact summary of its run (not the run's jobs and series: a
 * sweep of 10^4-10^5 fleet-years would hold 10^8 job rows), keyed by
 * (sweep_id, item): a second write of an item adds nothing.
 */
static const char migrate_v6_v7[] =
	"CREATE TABLE sweeps("
	"  id INTEGER PRIMARY KEY,"
	"  sha256 TEXT NOT NULL UNIQUE,"      /* of the expanded definition */
	"  name TEXT NOT NULL,"
	"  base_file TEXT NOT NULL,"
	"  base_name TEXT NOT NULL,"          /* the base scenario's name */
	"  base_sha256 TEXT NOT NULL,"
	"  base_text TEXT NOT NULL,"          /* every point is this text with the values in place */
	"  analysis TEXT NOT NULL CHECK(analysis IN ('run')),"
	"  seed INTEGER NOT NULL,"            /* item seed: mix(seed, 'sweep:<point>:<rep>') & (2^63 - 1) */
	"  replications INTEGER NOT NULL,"
	"  n_params INTEGER NOT NULL,"
	"  n_points INTEGER NOT NULL,"
	"  n_fleets INTEGER NOT NULL,"
	"  n_items INTEGER NOT NULL,"
	"  definition TEXT NOT NULL,"
	"  created_at TEXT NOT NULL);"
	"CREATE TABLE sweep_params("
	"  sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL,"             /* `vary` order; the last varies fastest */
	"  key TEXT NOT NULL,"
	"  n_values INTEGER NOT NULL,"
	"  PRIMARY KEY(sweep_id, idx)) WITHOUT ROWID;"
	"CREATE TABLE sweep_points("
	"  sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,"
	"  point INTEGER NOT NULL,"
	"  idx INTEGER NOT NULL,"             /* sweep_params.idx */
	"  value REAL NOT NULL,"
	"  PRIMARY KEY(sweep_id, point, idx)) WITHOUT ROWID;"
	"CREATE TABLE sweep_fleets("
	"  sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,"
	"  fleet_idx INTEGER NOT NULL,"       /* in the sweep's fleet list */
	"  name TEXT NOT NULL,"
	"  PRIMARY KEY(sweep_id, fleet_idx)) WITHOUT ROWID;"
	"CREATE TABLE sweep_items("
	"  sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,"
	"  item INTEGER NOT NULL,"
	"  point INTEGER NOT NULL,"
	"  fleet TEXT NOT NULL,"
	"  fleet_idx INTEGER NOT NULL,"
	"  replication INTEGER NOT NULL,"
	"  seed INTEGER NOT NULL,"            /* fleetsim run POINT.cfg --seed SEED reproduces the row */
	"  shard TEXT,"                       /* 'K/N' of the process that ran it */
	"  wall_s REAL NOT NULL,"             /* the item's simulation on its host */
	"  horizon_s REAL NOT NULL,"
	"  n_months INTEGER NOT NULL,"
	"  n_jobs INTEGER NOT NULL,"
	"  n_done_in_horizon INTEGER NOT NULL,"
	"  n_infeasible INTEGER NOT NULL,"
	"  n_preemptions INTEGER NOT NULL,"
	"  mean_wait_s REAL, p90_wait_s REAL, mean_tts_s REAL, p90_tts_s REAL,"
	"  mean_util_frac REAL NOT NULL,"
	"  gpu_hours REAL NOT NULL,"
	"  fleet_cost_usd REAL NOT NULL,"
	"  usd_per_month REAL NOT NULL,"
	"  serve_attainment_frac REAL,"       /* NULL: no services */
	"  usd_per_training_job REAL, usd_per_mtok_served REAL,"
	"  n_criteria INTEGER NOT NULL,"
	"  first_fail_month INTEGER,"         /* 0-based; NULL: every criterion held to the horizon */
	"  first_fail_criterion TEXT,"
	"  events INTEGER NOT NULL,"
	"  PRIMARY KEY(sweep_id, item)) WITHOUT ROWID;"
	/* two-sided 95 % Student t quantiles by degrees of freedom, filled on creation */
	"CREATE TABLE sweep_t975(df INTEGER PRIMARY KEY, t REAL NOT NULL);";

/* Per point and fleet over the replications: means and 95 % t half-widths. */
#define SWEEP_CI(x) \
	"  COALESCE(t.t, 1.959963984540054) * sqrt(MAX(0.0, (" x "_ss - g.n * " x "_mean * " x \
	"_mean) / (g.n - 1)) / g.n) AS " x "_ci95,"
static const char view_sweep_outcomes[] =
	"CREATE VIEW IF NOT EXISTS sweep_outcomes AS"
	"  WITH g AS (SELECT sweep_id, point, fleet, MIN(fleet_idx) AS fleet_idx, COUNT(*) AS n,"
	"    SUM(first_fail_month IS NULL) AS n_held, MIN(n_months) AS n_months,"
	"    AVG(ff) AS fail_month_mean, SUM(ff * ff) AS fail_month_ss,"
	"    AVG(usd_per_month) AS usd_per_month_mean,"
	"    SUM(usd_per_month * usd_per_month) AS usd_per_month_ss,"
	"    AVG(mean_util_frac) AS util_mean, SUM(mean_util_frac * mean_util_frac) AS util_ss,"
	"    AVG(serve_attainment_frac) AS attain_mean,"
	"    SUM(serve_attainment_frac * serve_attainment_frac) AS attain_ss,"
	"    AVG(p90_wait_s) / 3600.0 AS p90_wait_h_mean, AVG(wall_s) AS wall_s_mean"
	"    FROM (SELECT *, COALESCE(first_fail_month, n_months) AS ff FROM sweep_items)"
	"    GROUP BY sweep_id, point, fleet)"
	"  SELECT g.sweep_id, g.point, g.fleet, g.fleet_idx, g.n, g.n_held, g.n_months,"
	"  g.fail_month_mean," SWEEP_CI("fail_month")
	"  g.usd_per_month_mean," SWEEP_CI("usd_per_month")
	"  g.util_mean," SWEEP_CI("util")
	"  g.attain_mean," SWEEP_CI("attain")
	"  g.p90_wait_h_mean, g.wall_s_mean"
	"  FROM g LEFT JOIN sweep_t975 t ON t.df = g.n - 1"
	"  ORDER BY g.sweep_id, g.point, g.fleet_idx;";

static int fill_t975(sqlite3 *db)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO sweep_t975(df, t) VALUES(?, ?)", -1,
				     &st, NULL)) != SQLITE_OK)
		return rc;
	for (int df = 1; df <= 1000 && rc == SQLITE_OK; df++) {
		sqlite3_bind_int(st, 1, df);
		sqlite3_bind_double(st, 2, gsl_cdf_tdist_Pinv(0.975, (double)df));
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

static int create_sweep_views(sqlite3 *db)
{
	return exec(db, view_sweep_outcomes);
}

static int migrate_v6_v7_run(sqlite3 *db)
{
	int rc = exec(db, migrate_v6_v7);

	return rc == SQLITE_OK ? fill_t975(db) : rc;
}

static enum fs_status ensure_open_write(struct fs_store *s, struct fs_error *e)
{
	if (s->db)
		return FS_OK;
	return open_checked(s, FS_STORE_WRITE, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, e);
}

static int64_t sweep_id_of(sqlite3 *db, const char *schema, const char *sha, int *rc)
{
	sqlite3_stmt *st;
	char sql[128];
	int64_t id = 0;

	snprintf(sql, sizeof(sql), "SELECT id FROM %s.sweeps WHERE sha256 = ?", schema);
	if ((*rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
	*rc = sqlite3_step(st);
	if (*rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	*rc = *rc == SQLITE_ROW || *rc == SQLITE_DONE ? SQLITE_OK : *rc;
	sqlite3_finalize(st);
	return *rc == SQLITE_OK ? id : -1;
}

static int write_sweep_rows(sqlite3 *db, const struct fs_sweep *sw, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	double vals[FS_SWEEP_MAX_PARAMS];
	int rc;

	rc = sqlite3_prepare_v2(db, "INSERT INTO sweeps(sha256, name, base_file, base_name,"
				" base_sha256, base_text, analysis, seed, replications, n_params,"
				" n_points, n_fleets, n_items, definition, created_at)"
				" VALUES(?, ?, ?, ?, ?, ?, 'run', ?, ?, ?, ?, ?, ?, ?,"
				" strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, sw->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sw->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sw->base_file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sw->base_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, sw->base_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, sw->base_text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (int64_t)sw->seed);
	sqlite3_bind_int(st, 8, sw->replications);
	sqlite3_bind_int64(st, 9, (int64_t)sw->n_params);
	sqlite3_bind_int64(st, 10, (int64_t)sw->n_points);
	sqlite3_bind_int64(st, 11, (int64_t)sw->n_fleets);
	sqlite3_bind_int64(st, 12, (int64_t)sw->n_items);
	sqlite3_bind_text(st, 13, sw->definition, -1, SQLITE_STATIC);
	if ((rc = step_done(st)) != SQLITE_OK)
		goto out;
	*id = sqlite3_last_insert_rowid(db);
	sqlite3_finalize(st);
	if ((rc = sqlite3_prepare_v2(db, "INSERT INTO sweep_params VALUES(?, ?, ?, ?)", -1, &st,
				     NULL)) != SQLITE_OK)
		return rc;
	for (size_t i = 0; i < sw->n_params && rc == SQLITE_OK; i++) {
		sqlite3_bind_int64(st, 1, *id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, sw->params[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (int64_t)sw->params[i].n_values);
		rc = bind_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(db, "INSERT INTO sweep_fleets VALUES(?, ?, ?)", -1, &st,
				     NULL)) != SQLITE_OK)
		return rc;
	for (size_t f = 0; f < sw->n_fleets && rc == SQLITE_OK; f++) {
		sqlite3_bind_int64(st, 1, *id);
		sqlite3_bind_int64(st, 2, (int64_t)f);
		sqlite3_bind_text(st, 3, sw->fleet_names[f], -1, SQLITE_STATIC);
		rc = bind_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(db, "INSERT INTO sweep_points VALUES(?, ?, ?, ?)", -1, &st,
				     NULL)) != SQLITE_OK)
		return rc;
	for (size_t p = 0; p < sw->n_points && rc == SQLITE_OK; p++) {
		fs_sweep_point_values(sw, p, vals);
		for (size_t i = 0; i < sw->n_params && rc == SQLITE_OK; i++) {
			sqlite3_bind_int64(st, 1, *id);
			sqlite3_bind_int64(st, 2, (int64_t)p);
			sqlite3_bind_int64(st, 3, (int64_t)i);
			sqlite3_bind_double(st, 4, vals[i]);
			rc = bind_step(st);
		}
	}
out:
	sqlite3_finalize(st);
	return rc;
}

enum fs_status fs_store_sweep_begin(struct fs_store *s, const struct fs_sweep *sw,
				    int64_t *sweep_id, bool *existed, struct fs_error *e)
{
	enum fs_status st;
	int rc;
	int64_t id;

	if ((st = ensure_open_write(s, e)))
		return st;
	if ((rc = exec_waiting(s, "BEGIN IMMEDIATE")) != SQLITE_OK)
		return sql_fail(s, e, rc, false, "cannot start a transaction");
	id = sweep_id_of(s->db, "main", sw->sha256, &rc);
	*existed = id > 0;
	if (rc == SQLITE_OK && id == 0)
		rc = write_sweep_rows(s->db, sw, &id);
	if (rc == SQLITE_OK && (rc = exec_waiting(s, "COMMIT")) == SQLITE_OK) {
		*sweep_id = id;
		return FS_OK;
	}
	st = sql_fail(s, e, rc, false, "cannot store the sweep");
	exec(s->db, "ROLLBACK");
	return st;
}

enum fs_status fs_store_sweep_done(struct fs_store *s, int64_t sweep_id, size_t n_items,
				   bool *done, size_t *n_done, struct fs_error *e)
{
	sqlite3_stmt *st;
	int rc;

	*n_done = 0;
	memset(done, 0, n_items * sizeof(*done));
	if ((rc = sqlite3_prepare_v2(s->db, "SELECT item FROM sweep_items WHERE sweep_id = ?", -1,
				     &st, NULL)) != SQLITE_OK)
		return sql_fail(s, e, rc, false, "cannot read the sweep's items");
	sqlite3_bind_int64(st, 1, sweep_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t i = sqlite3_column_int64(st, 0);
		if (i >= 0 && (size_t)i < n_items && !done[i]) {
			done[i] = true;
			(*n_done)++;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? FS_OK : sql_fail(s, e, rc, false, "cannot read the sweep's items");
}

static int write_item_row(sqlite3_stmt *st, int64_t sweep_id, const struct fs_sweep *sw,
			  const struct fs_sweep_item *it, const struct fs_sweep_outcome *o,
			  const char *shard)
{
	int k = 1;

	sqlite3_bind_int64(st, k++, sweep_id);
	sqlite3_bind_int64(st, k++, (int64_t)it->item);
	sqlite3_bind_int64(st, k++, (int64_t)it->point);
	sqlite3_bind_text(st, k++, sw->fleet_names[it->fleet], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, k++, (int64_t)it->fleet);
	sqlite3_bind_int64(st, k++, (int64_t)it->replication);
	sqlite3_bind_int64(st, k++, (int64_t)it->seed);
	bind_text_or_null(st, k++, shard);
	sqlite3_bind_double(st, k++, o->wall_s);
	sqlite3_bind_double(st, k++, o->horizon_s);
	sqlite3_bind_int(st, k++, o->n_months);
	sqlite3_bind_int64(st, k++, o->n_jobs);
	sqlite3_bind_int64(st, k++, o->n_done_in_horizon);
	sqlite3_bind_int64(st, k++, o->n_infeasible);
	sqlite3_bind_int64(st, k++, o->n_preemptions);
	bind_real_or_null(st, k++, o->mean_wait_s);
	bind_real_or_null(st, k++, o->p90_wait_s);
	bind_real_or_null(st, k++, o->mean_tts_s);
	bind_real_or_null(st, k++, o->p90_tts_s);
	sqlite3_bind_double(st, k++, o->mean_util_frac);
	sqlite3_bind_double(st, k++, o->gpu_hours);
	sqlite3_bind_double(st, k++, o->fleet_cost_usd);
	sqlite3_bind_double(st, k++, o->usd_per_month);
	bind_real_or_null(st, k++, o->serve_attainment_frac);
	bind_real_or_null(st, k++, o->usd_per_training_job);
	bind_real_or_null(st, k++, o->usd_per_mtok_served);
	sqlite3_bind_int(st, k++, o->n_criteria);
	if (o->first_fail_month >= 0)
		sqlite3_bind_int(st, k++, o->first_fail_month);
	else
		sqlite3_bind_null(st, k++);
	bind_text_or_null(st, k++, o->first_fail_criterion >= 0 ? o->first_fail_name : NULL);
	sqlite3_bind_int64(st, k++, o->events);
	return bind_step(st);
}

enum fs_status fs_store_sweep_write_items(struct fs_store *s, int64_t sweep_id,
					  const struct fs_sweep *sw, const struct fs_sweep_item *its,
					  const struct fs_sweep_outcome *os, size_t n,
					  const char *shard, struct fs_error *e)
{
	sqlite3_stmt *st;
	int rc;
	enum fs_status status;

	if (n == 0)
		return FS_OK;
	if ((rc = exec_waiting(s, "BEGIN IMMEDIATE")) != SQLITE_OK)
		return sql_fail(s, e, rc, false, "cannot start a transaction");
	rc = sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO sweep_items VALUES(?, ?, ?, ?, ?, ?,"
				" ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
				" ?)", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		for (size_t i = 0; i < n && rc == SQLITE_OK; i++)
			rc = write_item_row(st, sweep_id, sw, &its[i], &os[i], shard);
		sqlite3_finalize(st);
	}
	if (rc == SQLITE_OK && (rc = exec_waiting(s, "COMMIT")) == SQLITE_OK)
		return FS_OK;
	status = sql_fail(s, e, rc, false, "cannot store the sweep items");
	exec(s->db, "ROLLBACK");
	return status;
}

enum fs_status fs_store_sweep_write_item(struct fs_store *s, int64_t sweep_id,
					 const struct fs_sweep *sw, const struct fs_sweep_item *it,
					 const struct fs_sweep_outcome *o, const char *shard,
					 struct fs_error *e)
{
	return fs_store_sweep_write_items(s, sweep_id, sw, it, o, 1, shard, e);
}

/* ---- merging shards ---- */

/*
 * Checks part (a shard's database) before anything is merged: a fleetsim
 * database of exactly this schema version holding exactly one sweep; its
 * SHA-256 into sha. FS_ERR_INPUT with the reason.
 */
enum fs_status fs_store_sweep_part(const char *path, char sha[65], int64_t *n_items,
				   struct fs_error *e)
{
	struct fs_store part = { 0 }, *p = &part;
	sqlite3_stmt *st;
	int64_t v = 0, n = 0;
	bool missing = false;
	enum fs_status status;
	int rc;

	/* read-only and never migrated: a part stays byte for byte as it was */
	if ((status = check_path(path, FS_STORE_READ, &missing, e)))
		return status;
	fs_strlcpy(p->path, path, sizeof(p->path));
	if ((rc = sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READONLY, NULL)) != SQLITE_OK) {
		status = sql_fail(p, e, rc, true, "cannot open the part");
		goto out;
	}
	sqlite3_busy_timeout(p->db, (int)(FS_STORE_WAIT_S_DEFAULT * 1000));
	if ((rc = query_int(p->db, "PRAGMA user_version", &v)) != SQLITE_OK) {
		status = sql_fail(p, e, rc, true, "cannot read the schema version");
		goto out;
	}
	if (v != FS_STORE_SCHEMA_VERSION || table_exists(p->db, "sweeps") != 1) {
		status = fs_error_set(e, FS_ERR_INPUT, path, 0, NULL,
				      "schema version %lld%s; expected a part written by 'fleetsim "
				      "sweep' of this fleetsim (schema %d)", (long long)v,
				      v == FS_STORE_SCHEMA_VERSION ? " without sweeps" : "",
				      FS_STORE_SCHEMA_VERSION);
		goto out;
	}
	if ((rc = query_int(p->db, "SELECT COUNT(*) FROM sweeps", &n)) != SQLITE_OK) {
		status = sql_fail(p, e, rc, true, "cannot read the sweeps");
		goto out;
	}
	if (n != 1) {
		status = fs_error_set(e, FS_ERR_INPUT, path, 0, NULL,
				      "holds %lld sweeps; expected the part of one sweep", (long long)n);
		goto out;
	}
	if ((rc = sqlite3_prepare_v2(p->db, "SELECT s.sha256, (SELECT COUNT(*) FROM sweep_items i"
				     " WHERE i.sweep_id = s.id) FROM sweeps s", -1, &st, NULL)) !=
	    SQLITE_OK) {
		status = sql_fail(p, e, rc, true, "cannot read the sweeps");
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		fs_strlcpy(sha, (const char *)sqlite3_column_text(st, 0), 65);
		*n_items = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
out:
	sqlite3_close(p->db);
	return status;
}

enum fs_status fs_store_sweep_merge(struct fs_store *s, const char *part, const char *sha,
				    int64_t *n_added, struct fs_error *e)
{
	sqlite3_stmt *st = NULL;
	enum fs_status status;
	int64_t from, to, before = 0, after = 0;
	int rc;

	*n_added = 0;
	if ((status = ensure_open_write(s, e)))
		return status;
	if ((rc = sqlite3_prepare_v2(s->db, "ATTACH DATABASE ? AS part", -1, &st, NULL)) != SQLITE_OK)
		return sql_fail(s, e, rc, false, "cannot attach the part");
	sqlite3_bind_text(st, 1, part, -1, SQLITE_STATIC);
	rc = step_done(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return sql_fail(s, e, rc, false, "cannot attach the part");
	if ((rc = exec_waiting(s, "BEGIN IMMEDIATE")) != SQLITE_OK) {
		status = sql_fail(s, e, rc, false, "cannot start a transaction");
		goto detach;
	}
	from = sweep_id_of(s->db, "part", sha, &rc);
	if (rc == SQLITE_OK && from <= 0) {
		status = fs_error_set(e, FS_ERR_INPUT, part, 0, NULL,
				      "holds no sweep %.12s...; expected a part of that sweep", sha);
		goto rollback;
	}
	to = rc == SQLITE_OK ? sweep_id_of(s->db, "main", sha, &rc) : -1;
	/* the sweep's rows once, under this database's own id (ids are remapped) */
	if (rc == SQLITE_OK && to == 0) {
		char sql[1024];
		snprintf(sql, sizeof(sql),
			 "INSERT INTO main.sweeps(sha256, name, base_file, base_name, base_sha256,"
			 " base_text, analysis, seed, replications, n_params, n_points, n_fleets,"
			 " n_items, definition, created_at) SELECT sha256, name, base_file, base_name,"
			 " base_sha256, base_text, analysis, seed, replications, n_params, n_points,"
			 " n_fleets, n_items, definition, created_at FROM part.sweeps WHERE id = %lld",
			 (long long)from);
		if ((rc = exec(s->db, sql)) == SQLITE_OK) {
			to = sqlite3_last_insert_rowid(s->db);
			snprintf(sql, sizeof(sql),
				 "INSERT INTO main.sweep_params SELECT %lld, idx, key, n_values FROM"
				 " part.sweep_params WHERE sweep_id = %lld;"
				 "INSERT INTO main.sweep_points SELECT %lld, point, idx, value FROM"
				 " part.sweep_points WHERE sweep_id = %lld;"
				 "INSERT INTO main.sweep_fleets SELECT %lld, fleet_idx, name FROM"
				 " part.sweep_fleets WHERE sweep_id = %lld;",
				 (long long)to, (long long)from, (long long)to, (long long)from,
				 (long long)to, (long long)from);
			rc = exec(s->db, sql);
		}
	}
	if (rc == SQLITE_OK) {
		char sql[512];
		snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM main.sweep_items WHERE sweep_id = %lld",
			 (long long)to);
		if ((rc = query_int(s->db, sql, &before)) == SQLITE_OK) {
			snprintf(sql, sizeof(sql),
				 "INSERT OR IGNORE INTO main.sweep_items SELECT %lld, item, point, fleet,"
				 " fleet_idx, replication, seed, shard, wall_s, horizon_s, n_months, n_jobs,"
				 " n_done_in_horizon, n_infeasible, n_preemptions, mean_wait_s, p90_wait_s,"
				 " mean_tts_s, p90_tts_s, mean_util_frac, gpu_hours, fleet_cost_usd,"
				 " usd_per_month, serve_attainment_frac, usd_per_training_job,"
				 " usd_per_mtok_served, n_criteria, first_fail_month, first_fail_criterion,"
				 " events FROM part.sweep_items WHERE sweep_id = %lld",
				 (long long)to, (long long)from);
			rc = exec(s->db, sql);
		}
		if (rc == SQLITE_OK) {
			snprintf(sql, sizeof(sql),
				 "SELECT COUNT(*) FROM main.sweep_items WHERE sweep_id = %lld",
				 (long long)to);
			rc = query_int(s->db, sql, &after);
		}
	}
	if (rc != SQLITE_OK) {
		status = sql_fail(s, e, rc, false, "cannot merge the part");
		goto rollback;
	}
	if ((rc = exec_waiting(s, "COMMIT")) != SQLITE_OK) {
		status = sql_fail(s, e, rc, false, "cannot commit the merge");
		goto rollback;
	}
	*n_added = after - before;
	status = FS_OK;
	goto detach;
rollback:
	exec(s->db, "ROLLBACK");
detach:
	exec(s->db, "DETACH DATABASE part");
	return status;
}

enum fs_status fs_store_sweep_find(struct fs_store *s, int64_t id, char sha[65],
				   struct fs_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if (!fs_store_has_table(s, "sweeps"))
		return fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL,
				    "no sweep with id %lld: the database holds no sweeps (run "
				    "'fleetsim sweep' first)", (long long)id);
	if ((rc = sqlite3_prepare_v2(s->db, "SELECT sha256 FROM sweeps WHERE id = ?", -1, &st,
				     NULL)) != SQLITE_OK)
		return sql_fail(s, e, rc, false, "cannot read the sweeps");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		fs_strlcpy(sha, (const char *)sqlite3_column_text(st, 0), 65);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return FS_OK;
	if (rc == SQLITE_DONE)
		return fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL, "no sweep with id %lld",
				    (long long)id);
	return sql_fail(s, e, rc, false, "cannot read the sweeps");
}
