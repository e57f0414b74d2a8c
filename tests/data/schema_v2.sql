-- The version-2 schema exactly as fleetsim created it (sim/store.c: schema_base,
-- schema_jobs_v2 and schema_jobs_view before schema 3), one C string a line.
CREATE TABLE scenarios(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  source_text TEXT NOT NULL,
  sha256 TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL);
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  scenario_id INTEGER NOT NULL REFERENCES scenarios(id),
  fleet TEXT NOT NULL,
  gpu TEXT NOT NULL,
  gpus INTEGER NOT NULL,
  seed INTEGER NOT NULL,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  wall_s REAL NOT NULL,
  version TEXT NOT NULL,
  horizon_s REAL NOT NULL,
  n_jobs INTEGER NOT NULL,
  n_done_in_horizon INTEGER NOT NULL,
  n_infeasible INTEGER NOT NULL,
  n_failures INTEGER NOT NULL,
  mean_wait_s REAL, p90_wait_s REAL, mean_tts_s REAL, p90_tts_s REAL,
  mean_util_frac REAL NOT NULL,
  makespan_s REAL NOT NULL,
  gpu_hours REAL NOT NULL,
  fleet_cost_usd REAL NOT NULL,
  events INTEGER NOT NULL);
CREATE TABLE series(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  t_s REAL NOT NULL,
  gpus_total INTEGER NOT NULL,
  gpus_busy REAL NOT NULL,
  jobs_running INTEGER NOT NULL,
  jobs_queued INTEGER NOT NULL,
  PRIMARY KEY(run_id, t_s));
CREATE VIEW run_summary AS
  SELECT r.id AS run_id, s.name AS scenario, r.fleet, r.gpu, r.gpus, r.seed,
         r.n_jobs, r.n_done_in_horizon, r.n_infeasible, r.n_failures,
         r.mean_wait_s / 3600.0 AS mean_wait_h,
         r.p90_wait_s / 3600.0 AS p90_wait_h, r.mean_tts_s / 86400.0 AS mean_tts_days,
         r.p90_tts_s / 86400.0 AS p90_tts_days, r.mean_util_frac, r.gpu_hours,
         r.fleet_cost_usd, r.started_at
  FROM runs r JOIN scenarios s ON s.id = r.scenario_id;
CREATE VIEW daily_utilization AS
  SELECT run_id, CAST(t_s / 86400 AS INTEGER) AS day,
         AVG(gpus_busy) AS gpus_busy, AVG(gpus_busy * 1.0 / gpus_total) AS util_frac
  FROM series GROUP BY run_id, day;
CREATE TABLE models(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE);
CREATE TABLE job_sources(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  name TEXT);
CREATE TABLE run_jobs(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  job_idx INTEGER NOT NULL,
  source_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  model_id INTEGER NOT NULL,
  gpus INTEGER NOT NULL CHECK(gpus >= 1),
  tokens REAL NOT NULL,
  submit_s REAL NOT NULL,
  start_s REAL,
  end_s REAL,
  status INTEGER NOT NULL CHECK(status IN (0, 1)),
  restarts INTEGER NOT NULL,
  PRIMARY KEY(run_id, job_idx)) WITHOUT ROWID;
CREATE VIEW jobs AS
  SELECT j.run_id AS run_id, COALESCE(s.name, s.kind || '-' || j.seq) AS name,
         s.kind AS kind, m.name AS model, j.gpus AS gpus, j.tokens AS tokens,
         j.submit_s AS submit_s, j.start_s AS start_s, j.end_s AS end_s,
         j.start_s - j.submit_s AS wait_s, j.end_s - j.submit_s AS tts_s,
         COALESCE(j.gpus * (j.end_s - j.start_s) / 3600.0, 0.0) AS gpu_hours,
         CASE j.status WHEN 0 THEN 'done' ELSE 'infeasible' END AS status,
         j.restarts AS restarts, j.job_idx AS job_idx
  FROM run_jobs j JOIN job_sources s ON s.id = j.source_id
  JOIN models m ON m.id = j.model_id;
