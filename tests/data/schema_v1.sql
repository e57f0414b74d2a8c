-- The version-1 schema exactly as release 1 created it (sim/store.c before
-- schema 2), one C string a line.
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
CREATE TABLE jobs(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  model TEXT NOT NULL,
  gpus INTEGER NOT NULL,
  tokens REAL NOT NULL,
  submit_s REAL NOT NULL,
  start_s REAL,
  end_s REAL,
  wait_s REAL,
  tts_s REAL,
  gpu_hours REAL NOT NULL,
  status TEXT NOT NULL,
  restarts INTEGER NOT NULL,
  PRIMARY KEY(run_id, name));
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
