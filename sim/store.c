/*
 * store.c - SQLite adapter: the schema, writing runs in one transaction,
 * reading them back. The only module that includes sqlite3.h.
 */
#include "fleetsim/store.h"
#include "fleetsim/sha256.h"
#include "fleetsim/util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fs_store {
	sqlite3 *db;
	char path[512];
};

static const char schema_v1[] =
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
	"CREATE TABLE jobs("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  model TEXT NOT NULL,"
	"  gpus INTEGER NOT NULL,"
	"  tokens REAL NOT NULL,"
	"  submit_s REAL NOT NULL,"
	"  start_s REAL,"
	"  end_s REAL,"
	"  wait_s REAL,"
	"  tts_s REAL,"
	"  gpu_hours REAL NOT NULL,"
	"  status TEXT NOT NULL,"
	"  restarts INTEGER NOT NULL,"
	"  PRIMARY KEY(run_id, name));"
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

static enum fs_status db_fail(struct fs_store *s, struct fs_error *e, enum fs_status code,
			      const char *what)
{
	return fs_error_set(e, code, s->path, 0, NULL, "%s: %s", what, sqlite3_errmsg(s->db));
}

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int table_exists(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", -1,
			       &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* Reads user_version; -1 when the file is not a database. */
static int user_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static enum fs_status ensure_schema(struct fs_store *s, enum fs_store_mode mode, struct fs_error *e)
{
	int v = user_version(s->db);
	int has_runs;

	if (v < 0)
		return fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL,
				    "not a fleetsim results database (%s)", sqlite3_errmsg(s->db));
	if (v > FS_STORE_SCHEMA_VERSION)
		return fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL,
				    "database schema version %d is newer than this fleetsim supports (%d); "
				    "use a newer fleetsim or another --db", v, FS_STORE_SCHEMA_VERSION);
	if (v == FS_STORE_SCHEMA_VERSION)
		return FS_OK;
	has_runs = table_exists(s->db, "runs");
	if (has_runs < 0)
		return fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL,
				    "not a fleetsim results database (%s)", sqlite3_errmsg(s->db));
	if (v == 0 && has_runs)
		return fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL,
				    "holds a 'runs' table but no fleetsim schema version; "
				    "expected a fleetsim results database");
	if (mode == FS_STORE_READ)
		return fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL,
				    "no fleetsim results in this database; run 'fleetsim run' first");
	/* v == 0 and empty of ours: create (later versions migrate here, step by step). */
	if (exec(s->db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL, "cannot write the database: %s",
				    sqlite3_errmsg(s->db));
	if (exec(s->db, schema_v1) != SQLITE_OK ||
	    exec(s->db, "PRAGMA user_version = 1") != SQLITE_OK) {
		enum fs_status st = fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL,
						 "cannot create the schema: %s", sqlite3_errmsg(s->db));
		exec(s->db, "ROLLBACK");
		return st;
	}
	if (exec(s->db, "COMMIT") != SQLITE_OK) {
		enum fs_status st = fs_error_set(e, FS_ERR_INPUT, s->path, 0, NULL,
						 "cannot write the database: %s", sqlite3_errmsg(s->db));
		exec(s->db, "ROLLBACK");
		return st;
	}
	return FS_OK;
}

enum fs_status fs_store_open(const char *path, enum fs_store_mode mode, struct fs_store **out,
			     struct fs_error *e)
{
	struct fs_store *s = calloc(1, sizeof(*s));
	int flags = mode == FS_STORE_WRITE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
					   : SQLITE_OPEN_READONLY;
	enum fs_status st;

	*out = NULL;
	if (!s)
		return fs_error_set(e, FS_ERR_NOMEM, path, 0, NULL, "out of memory");
	fs_strlcpy(s->path, path, sizeof(s->path));
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		st = fs_error_set(e, FS_ERR_INPUT, path, 0, NULL, "cannot open the database%s: %s",
				  mode == FS_STORE_WRITE ? " for writing" : "",
				  s->db ? sqlite3_errmsg(s->db) : "out of memory");
		fs_store_close(s);
		return st;
	}
	sqlite3_busy_timeout(s->db, 10000);
	exec(s->db, "PRAGMA foreign_keys = ON");
	if ((st = ensure_schema(s, mode, e))) {
		fs_store_close(s);
		return st;
	}
	*out = s;
	return FS_OK;
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

static int write_run(struct fs_store *s, int64_t sid, const struct fs_run_result *r,
		     const char *version, sqlite3_stmt *sj, sqlite3_stmt *ss, int64_t *id)
{
	sqlite3_stmt *st;
	const struct fs_run_summary *m = &r->sum;
	int rc, k = 1;

	rc = sqlite3_prepare_v2(s->db,
		"INSERT INTO runs(scenario_id, fleet, gpu, gpus, seed, status, started_at, wall_s,"
		" version, horizon_s, n_jobs, n_done_in_horizon, n_infeasible, n_failures, mean_wait_s,"
		" p90_wait_s, mean_tts_s, p90_tts_s, mean_util_frac, makespan_s, gpu_hours,"
		" fleet_cost_usd, events)"
		" VALUES(?, ?, ?, ?, ?, 'ok', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?, ?, ?, ?, ?,"
		" ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, k++, sid);
	sqlite3_bind_text(st, k++, r->fleet->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, k++, r->fleet->gpu->name, -1, SQLITE_STATIC);
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
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc;
	*id = sqlite3_last_insert_rowid(s->db);
	for (size_t i = 0; i < r->n_jobs; i++) {
		const struct fs_job_result *j = &r->jobs[i];
		k = 1;
		sqlite3_reset(sj);
		sqlite3_bind_int64(sj, k++, *id);
		sqlite3_bind_text(sj, k++, j->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(sj, k++, j->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(sj, k++, j->model->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(sj, k++, j->gpus);
		sqlite3_bind_double(sj, k++, j->tokens);
		sqlite3_bind_double(sj, k++, j->submit_s);
		if (j->status == FS_JOB_DONE) {
			sqlite3_bind_double(sj, k++, j->start_s);
			sqlite3_bind_double(sj, k++, j->end_s);
			sqlite3_bind_double(sj, k++, j->wait_s);
			sqlite3_bind_double(sj, k++, j->tts_s);
		} else {
			/* an infeasible job never ran: no times */
			for (int c = 0; c < 4; c++)
				sqlite3_bind_null(sj, k++);
		}
		sqlite3_bind_double(sj, k++, j->gpu_hours);
		sqlite3_bind_text(sj, k++, j->status == FS_JOB_DONE ? "done" : "infeasible", -1,
				  SQLITE_STATIC);
		sqlite3_bind_int(sj, k++, j->restarts);
		if ((rc = sqlite3_step(sj)) != SQLITE_DONE)
			return rc;
	}
	for (size_t i = 0; i < r->n_series; i++) {
		const struct fs_series_point *p = &r->series[i];
		sqlite3_reset(ss);
		sqlite3_bind_int64(ss, 1, *id);
		sqlite3_bind_double(ss, 2, p->t_s);
		sqlite3_bind_int(ss, 3, p->gpus_total);
		sqlite3_bind_double(ss, 4, p->gpus_busy);
		sqlite3_bind_int(ss, 5, p->jobs_running);
		sqlite3_bind_int(ss, 6, p->jobs_queued);
		if ((rc = sqlite3_step(ss)) != SQLITE_DONE)
			return rc;
	}
	return SQLITE_OK;
}

enum fs_status fs_store_write_runs(struct fs_store *s, const struct fs_scenario *sc,
				   const struct fs_run_result *runs, size_t n,
				   const char *version, int64_t *run_ids, struct fs_error *e)
{
	sqlite3_stmt *sj = NULL, *ss = NULL;
	int rc;
	int64_t sid;
	enum fs_status st = FS_OK;

	if (exec(s->db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return db_fail(s, e, FS_ERR_DB, "cannot start a transaction");
	sid = scenario_id(s, sc, &rc);
	if (sid < 0) {
		st = db_fail(s, e, FS_ERR_DB, "cannot store the scenario");
		goto rollback;
	}
	if (sqlite3_prepare_v2(s->db, "INSERT INTO jobs VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &sj,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO series VALUES(?,?,?,?,?,?)", -1, &ss, NULL) !=
		    SQLITE_OK) {
		st = db_fail(s, e, FS_ERR_DB, "cannot prepare the inserts");
		goto rollback;
	}
	for (size_t i = 0; i < n; i++) {
		if (write_run(s, sid, &runs[i], version, sj, ss, &run_ids[i]) != SQLITE_OK) {
			st = db_fail(s, e, FS_ERR_DB, "cannot store the run");
			goto rollback;
		}
	}
	sqlite3_finalize(sj);
	sqlite3_finalize(ss);
	if (exec(s->db, "COMMIT") != SQLITE_OK) {
		st = db_fail(s, e, FS_ERR_DB, "cannot commit the runs");
		exec(s->db, "ROLLBACK");
		return st;
	}
	return FS_OK;
rollback:
	sqlite3_finalize(sj);
	sqlite3_finalize(ss);
	exec(s->db, "ROLLBACK");
	return st;
}

static const char run_cols[] =
	"SELECT r.id, r.scenario_id, s.name, r.fleet, r.gpu, r.gpus, r.seed, r.status, r.started_at,"
	" r.wall_s, r.version, r.horizon_s, r.n_jobs, r.n_done_in_horizon, r.n_infeasible,"
	" r.n_failures, r.mean_wait_s,"
	" r.p90_wait_s, r.mean_tts_s, r.p90_tts_s, r.mean_util_frac, r.makespan_s, r.gpu_hours,"
	" r.fleet_cost_usd, r.events FROM runs r JOIN scenarios s ON s.id = r.scenario_id";

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
	r->sum.mean_wait_s = sqlite3_column_double(st, c++);
	r->sum.p90_wait_s = sqlite3_column_double(st, c++);
	r->sum.mean_tts_s = sqlite3_column_double(st, c++);
	r->sum.p90_tts_s = sqlite3_column_double(st, c++);
	r->sum.mean_util_frac = sqlite3_column_double(st, c++);
	r->sum.makespan_s = sqlite3_column_double(st, c++);
	r->sum.gpu_hours = sqlite3_column_double(st, c++);
	r->sum.fleet_cost_usd = sqlite3_column_double(st, c++);
	r->sum.events = (uint64_t)sqlite3_column_int64(st, c++);
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

enum fs_status fs_store_monthly_util(struct fs_store *s, int64_t id, fs_store_util_fn fn,
				     void *ctx, struct fs_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db,
			       "SELECT CAST(t_s / 2629800.0 AS INTEGER) AS month, AVG(gpus_busy),"
			       " AVG(gpus_busy * 1.0 / gpus_total), AVG(jobs_queued)"
			       " FROM series WHERE run_id = ? GROUP BY month ORDER BY month",
			       -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, e, FS_ERR_DB, "cannot read the series");
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct fs_util_row row = {
			sqlite3_column_int(st, 0), sqlite3_column_double(st, 1),
			sqlite3_column_double(st, 2), sqlite3_column_double(st, 3),
		};
		if (fn(ctx, &row))
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, e, FS_ERR_DB, "cannot read the series");
	return FS_OK;
}

enum fs_status fs_store_job_kinds(struct fs_store *s, int64_t id, fs_store_kind_fn fn,
				  void *ctx, struct fs_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db,
			       "SELECT kind, COUNT(*), AVG(wait_s), AVG(tts_s), SUM(gpu_hours),"
			       " SUM(status = 'infeasible'), SUM(restarts)"
			       " FROM jobs WHERE run_id = ? GROUP BY kind ORDER BY MIN(rowid)",
			       -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, e, FS_ERR_DB, "cannot read the jobs");
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct fs_kind_row row;
		memset(&row, 0, sizeof(row));
		text_col(st, 0, row.kind, sizeof(row.kind));
		row.n_jobs = sqlite3_column_int64(st, 1);
		row.mean_wait_s = sqlite3_column_double(st, 2);
		row.mean_tts_s = sqlite3_column_double(st, 3);
		row.gpu_hours = sqlite3_column_double(st, 4);
		row.n_infeasible = sqlite3_column_int64(st, 5);
		row.restarts = sqlite3_column_int64(st, 6);
		if (fn(ctx, &row))
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, e, FS_ERR_DB, "cannot read the jobs");
	return FS_OK;
}
