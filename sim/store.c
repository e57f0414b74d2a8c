/*
 * store.c - SQLite adapter: the schema, writing runs in one transaction,
 * reading them back. The only module that includes sqlite3.h.
 */
#include "fleetsim/store.h"
#include "fleetsim/sha256.h"
#include "fleetsim/util.h"
#include "fleetsim/workload.h"

#include <assert.h>
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

/* Brings a database of version v (0: new, empty) to FS_STORE_SCHEMA_VERSION; in a transaction. */
static int upgrade(sqlite3 *db, int v)
{
	int rc = SQLITE_OK;

	if (v == 0)
		rc = exec(db, schema_base);
	if (rc == SQLITE_OK)
		rc = exec(db, schema_jobs_v2);
	if (rc == SQLITE_OK && v == 1)
		rc = exec(db, migrate_v1_v2);
	if (rc == SQLITE_OK)
		rc = exec(db, schema_jobs_view);
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
	if ((rc = sqlite3_open_v2(path, &s->db, flags, NULL)) != SQLITE_OK) {
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
	int64_t *id;                /* [n_llms], 0 = not yet known */
	size_t n;
	sqlite3_stmt *add, *get;
};

static int model_id(struct model_ids *m, const struct fs_llm *model, int64_t *out)
{
	size_t i = (size_t)(model - m->base);
	int rc;

	assert(i < m->n);
	if (m->id[i]) {
		*out = m->id[i];
		return SQLITE_OK;
	}
	sqlite3_reset(m->add);
	sqlite3_bind_text(m->add, 1, model->name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(m->add)) != SQLITE_DONE)
		return rc;
	sqlite3_reset(m->get);
	sqlite3_bind_text(m->get, 1, model->name, -1, SQLITE_STATIC);
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
	size_t n = sc->n_jobs + sc->n_streams;
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

/* Rows per multi-row INSERT: fewer statement executions per job (12 values a row). */
#define JOB_BATCH 32

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
		/* an infeasible job never ran: no times */
		sqlite3_bind_null(sj, k++);
		sqlite3_bind_null(sj, k++);
	}
	sqlite3_bind_int(sj, k++, j->status == FS_JOB_DONE ? 0 : 1);
	sqlite3_bind_int(sj, k, j->restarts);
}

/* sj inserts one row, sb JOB_BATCH rows. */
static int write_jobs(const struct fs_run_result *r, int64_t run_id, const int64_t *src,
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
			bind_job(st, (int)(12 * b + 1), run_id, i, j, src[j->source], mid);
		}
		if ((rc = sqlite3_step(st)) != SQLITE_DONE)
			return rc;
	}
	return SQLITE_OK;
}

static int write_run(struct fs_store *s, const struct fs_scenario *sc, int64_t sid,
		     const struct fs_run_result *r, const char *version, struct model_ids *mids,
		     int64_t *src, sqlite3_stmt *sj, sqlite3_stmt *sb, sqlite3_stmt *ss, int64_t *id)
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
	if ((rc = write_sources(s, sc, *id, src)) != SQLITE_OK ||
	    (rc = write_jobs(r, *id, src, mids, sj, sb)) != SQLITE_OK)
		return rc;
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
	sqlite3_stmt *sj = NULL, *sb = NULL, *ss = NULL;
	char batch_sql[64 + JOB_BATCH * 26];
	struct model_ids mids = { sc->catalog.llms, NULL, sc->catalog.n_llms, NULL, NULL };
	int64_t *src = NULL;
	int rc;
	int64_t sid;
	enum fs_status st = FS_OK;

	if (!s->db && (st = open_checked(s, FS_STORE_WRITE,
					  SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, e)))
		return st;
	mids.id = calloc(mids.n ? mids.n : 1, sizeof(*mids.id));
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
	sid = scenario_id(s, sc, &rc);
	if (sid < 0) {
		st = db_fail(s, e, FS_ERR_DB, "cannot store the scenario");
		goto rollback;
	}
	fs_strlcpy(batch_sql, "INSERT INTO run_jobs VALUES", sizeof(batch_sql));
	for (int b = 0; b < JOB_BATCH; b++)
		strcat(batch_sql, b ? ",(?,?,?,?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?,?,?,?)");
	if (sqlite3_prepare_v2(s->db, "INSERT INTO run_jobs VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", -1,
			       &sj, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, batch_sql, -1, &sb, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO series VALUES(?,?,?,?,?,?)", -1, &ss, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO models(name) VALUES(?)", -1, &mids.add,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT id FROM models WHERE name = ?", -1, &mids.get, NULL) !=
		    SQLITE_OK) {
		st = db_fail(s, e, FS_ERR_DB, "cannot prepare the inserts");
		goto rollback;
	}
	for (size_t i = 0; i < n; i++) {
		if ((rc = write_run(s, sc, sid, &runs[i], version, &mids, src, sj, sb, ss,
				    &run_ids[i])) != SQLITE_OK) {
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
	sqlite3_finalize(sj);
	sqlite3_finalize(sb);
	sqlite3_finalize(ss);
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
	" r.fleet_cost_usd, r.events FROM runs r JOIN scenarios s ON s.id = r.scenario_id";

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
			       " FROM jobs WHERE run_id = ? GROUP BY kind ORDER BY MIN(job_idx)",
			       -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, e, FS_ERR_DB, "cannot read the jobs");
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct fs_kind_row row;
		memset(&row, 0, sizeof(row));
		text_col(st, 0, row.kind, sizeof(row.kind));
		row.n_jobs = sqlite3_column_int64(st, 1);
		row.mean_wait_s = real_or_nan(st, 2);
		row.mean_tts_s = real_or_nan(st, 3);
		row.gpu_hours = real_or_nan(st, 4);
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
