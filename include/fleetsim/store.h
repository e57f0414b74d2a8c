/*
 * store.h - the results database (SQLite): schema, migrations, writing runs
 * and reading them back. The only module that sees sqlite3.
 *
 * Schema version FS_STORE_SCHEMA_VERSION is kept in PRAGMA user_version. A
 * database written by a newer fleetsim is refused (FS_ERR_INPUT); an older
 * one is migrated forward inside a transaction. Runs are written in one
 * transaction: a failure or a kill leaves no partial rows. The file uses
 * SQLite's rollback journal (no WAL: it works on network file systems and
 * keeps one file plus a transient journal); writers take turns through
 * SQLite's file locks and wait for each other up to a bound. Tables and views
 * are documented in docs/ARCHITECTURE.md ("Results database").
 */
#ifndef FLEETSIM_STORE_H
#define FLEETSIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/error.h"
#include "fleetsim/outgrow.h"
#include "fleetsim/run.h"
#include "fleetsim/scenario.h"
#include "fleetsim/sweep.h"

#define FS_STORE_SCHEMA_VERSION 7

struct fs_store; /* opaque */

enum fs_store_mode { FS_STORE_READ, FS_STORE_WRITE };

/* The default bound on waiting for another process's lock, in seconds (per lock). */
#define FS_STORE_WAIT_S_DEFAULT 300.0

/*
 * Opens path, checked before anything is simulated. FS_STORE_WRITE creates
 * the file and schema when missing; FS_STORE_READ requires an existing
 * fleetsim database. wait_s (>= 0) bounds each wait for a lock another
 * process holds (SQLite's busy handler, then retries). Outcomes:
 *  FS_OK, *out set;
 *  FS_ERR_INPUT (exit 2), nothing written, the file byte for byte as it
 *   was: the path is empty, a directory or not a regular file, in a
 *   missing or read-only directory; the file is read-only (WRITE), not
 *   SQLite, damaged (PRAGMA quick_check, WRITE), another application's
 *   database (tables but user_version 0), a schema version below 0 or
 *   newer than FS_STORE_SCHEMA_VERSION; READ: missing or without runs;
 *  FS_ERR_DB (exit 1): the lock was held past wait_s ("busy"), or SQLite
 *   failed otherwise (I/O, disk full);
 *  FS_ERR_NOMEM.
 * Creation, migration and the version check happen in one BEGIN IMMEDIATE
 * transaction, the version re-read under the lock: concurrent first
 * writers of a new file all succeed.
 */
enum fs_status fs_store_open_wait(const char *path, enum fs_store_mode mode, double wait_s,
				  struct fs_store **out, struct fs_error *e);

/* fs_store_open_wait with FS_STORE_WAIT_S_DEFAULT. */
enum fs_status fs_store_open(const char *path, enum fs_store_mode mode, struct fs_store **out,
			     struct fs_error *e);
void fs_store_close(struct fs_store *s);

/*
 * The command that produced a batch of runs: one `invocations` row per
 * fs_store_write_runs call, shared by its runs, so a rerun of the same
 * scenario and seed is told apart (view latest_runs). All pointers are
 * borrowed for the call.
 */
struct fs_invocation {
	const char *prog;           /* a first word before argv ("fleetsim"); NULL = none */
	int argc;
	char *const *argv;          /* the command line, joined with POSIX shell quoting */
	const char *version;        /* fleetsim version (also runs.version) */
	const char *host;           /* optional host name; NULL = not recorded */
	int64_t started_unix_s;     /* when the command started (UTC); 0 = at the write */
};

/* An invocation "prog argv..." started now, without host name. */
void fs_invocation_init(struct fs_invocation *inv, const char *prog, int argc,
			char *const *argv, const char *version);

/*
 * Joins argv into out (size n, NUL-terminated) so that a POSIX shell splits
 * it back into the same words: a word of only [A-Za-z0-9_@%+=:,./-] stays as
 * it is, any other (or an empty one) is single-quoted with ' as '\''.
 * Returns the length the whole line needs (like snprintf); out is cut
 * short when that is >= n.
 */
size_t fs_invocation_join(int argc, char *const *argv, char *out, size_t n);

/*
 * Writes the invocation inv, the scenario (once per distinct text, keyed by
 * SHA-256) and the n runs with their jobs, series, services' series and
 * prices, all in one transaction. run_ids[i] receives the id of runs[i].
 * Waits for other writers (the open's wait_s per lock). FS_OK, or
 * FS_ERR_DB (the lock held past the wait, or SQLite failed) or
 * FS_ERR_NOMEM with nothing written.
 */
enum fs_status fs_store_write_runs(struct fs_store *s, const struct fs_scenario *sc,
				   const struct fs_run_result *runs, size_t n,
				   const struct fs_invocation *inv, int64_t *run_ids,
				   struct fs_error *e);

struct fs_run_row {
	int64_t id;
	int64_t scenario_id;
	char scenario[64];
	char fleet[FS_NAME_MAX];
	char gpu[FS_NAME_MAX];
	int gpus;
	int64_t seed;
	char status[16];
	char started_at[32];
	double wall_s;
	char version[16];
	double horizon_s;
	int64_t invocation_id;
	/* a NULL mean or p90 (no job ran), serve attainment (no services) or
	 * GPU-hours lost (a run of schema 2) reads as NaN */
	struct fs_run_summary sum;
};

typedef int (*fs_store_run_fn)(void *ctx, const struct fs_run_row *row);

/* Calls fn for every run, oldest first; stops early when fn returns non-zero. */
enum fs_status fs_store_list_runs(struct fs_store *s, fs_store_run_fn fn, void *ctx,
				  struct fs_error *e);

/* One run by id: FS_OK, FS_ERR_INPUT when there is no such run, FS_ERR_DB. */
enum fs_status fs_store_get_run(struct fs_store *s, int64_t id, struct fs_run_row *out,
				struct fs_error *e);

struct fs_util_row {
	int month;             /* 0-based 30.4375-day month since t = 0 */
	double gpus_busy;      /* mean over the month */
	double util_frac;      /* gpus_busy / gpus_total */
	double jobs_queued;    /* mean of the interval samples */
};
typedef int (*fs_store_util_fn)(void *ctx, const struct fs_util_row *row);

/* Monthly utilization of a run from its series. */
enum fs_status fs_store_monthly_util(struct fs_store *s, int64_t id, fs_store_util_fn fn,
				     void *ctx, struct fs_error *e);

struct fs_kind_row {
	char kind[64];
	int64_t n_jobs;
	int64_t n_infeasible;
	int64_t restarts;
	double mean_wait_s, mean_tts_s, gpu_hours;  /* over the jobs that ran; NaN when none did */
};
typedef int (*fs_store_kind_fn)(void *ctx, const struct fs_kind_row *row);

struct fs_service_month_row {
	char service[64];
	int month;             /* 0-based 30.4375-day month since t = 0 */
	double demand_rps;     /* mean */
	double attainment_frac; /* served within objectives / demand; NaN without demand */
	double replicas_wanted, replicas_granted; /* means */
	double output_tokens;  /* served within the objectives */
};
typedef int (*fs_store_service_month_fn)(void *ctx, const struct fs_service_month_row *row);

/* A run's services month by month (view service_months), by service then month. */
enum fs_status fs_store_service_months(struct fs_store *s, int64_t id,
				       fs_store_service_month_fn fn, void *ctx,
				       struct fs_error *e);

/* Per-kind (explicit jobs, each stream) job statistics of a run. */
enum fs_status fs_store_job_kinds(struct fs_store *s, int64_t id, fs_store_kind_fn fn,
				  void *ctx, struct fs_error *e);

/*
 * Writes an outgrow analysis in one transaction: its invocation, the
 * scenario, every replication's run at scale 1 (in replication order, the
 * fleets of a replication together), the analyses row with the decision
 * summary (borrowed text), analysis_runs (one per run: its seed is the run's,
 * its first failing month and bisected scale), criteria_monthly (every
 * criterion in every month of every run) and outgrow (one row per fleet).
 * *analysis_id receives the analysis's id. FS_OK, or FS_ERR_DB /
 * FS_ERR_NOMEM with nothing written.
 */
enum fs_status fs_store_write_outgrow(struct fs_store *s, const struct fs_outgrow_result *r,
				      const struct fs_invocation *inv, const char *summary,
				      int64_t *analysis_id, struct fs_error *e);

struct fs_analysis_row {
	int64_t id;
	char kind[16];
	char scenario[64];
	int month, n_months, replications;
	int64_t seed;
	char started_at[32];
	double wall_s;
	int64_t points;
	char summary[8192];
};

/* One analysis by id: FS_OK; FS_ERR_INPUT when there is none (or the
 * database holds no analyses); FS_ERR_DB. */
enum fs_status fs_store_get_analysis(struct fs_store *s, int64_t id, struct fs_analysis_row *out,
				     struct fs_error *e);

struct fs_outgrow_row {
	char fleet[FS_NAME_MAX];
	char gpu[FS_NAME_MAX];
	int gpus;
	char criterion[64];         /* "" when none failed */
	double first_fail_month_mean, first_fail_month_lo, first_fail_month_hi;
	double first_fail_month_min, first_fail_month_max;
	int n_held;
	double scale_mean, scale_lo, scale_hi;
	int n_scale_bound;
	double usd_per_month, usd_per_training_run, usd_per_mtok; /* NaN when NULL */
	int longest_in_budget, longest_in_gpus;
};
typedef int (*fs_store_outgrow_fn)(void *ctx, const struct fs_outgrow_row *row);

/* The outgrow rows of analysis id in fleet order; fn returning non-zero stops. */
enum fs_status fs_store_outgrow_rows(struct fs_store *s, int64_t id, fs_store_outgrow_fn fn,
				     void *ctx, struct fs_error *e);

/*
 * A table read back for reports and exports: the rows of one of the named
 * queries below for one run (or analysis), columns named as in the database
 * (views of schema 4, docs/QUERIES.md). Cells are numbers (an integer or a
 * REAL read as double, NaN for NULL) or, in a text column, strings. The
 * caller owns it: fs_store_table_fini frees it.
 */
struct fs_store_table {
	int n_cols;
	char **names;          /* [n_cols] */
	bool *is_text;         /* [n_cols]: the column holds text (from its first non-NULL value) */
	size_t n_rows;
	double *num;           /* [n_rows * n_cols]; NaN for text or NULL */
	char **txt;            /* [n_rows * n_cols]; NULL unless is_text and not NULL */
};

/* What fs_store_table_read can read, each for one id (a run unless said). */
enum fs_store_query {
	FS_Q_SERIES,           /* series: one row per interval, t_s order */
	FS_Q_SERVICE_SERIES,   /* service_series with the service's name, (service, t_s) order */
	FS_Q_UTIL_MONTHS,      /* view fleet_months */
	FS_Q_JOB_MONTHS,       /* view job_months: (kind, month) order, '(all)' first */
	FS_Q_SERVICE_MONTHS,   /* view service_months */
	FS_Q_COST_MONTHS,      /* view cost_months */
	FS_Q_JOB_KINDS,        /* per kind: counts, mean wait and tts, GPU-hours */
	FS_Q_RUN_N,            /* the queries above are of a run; those below of an analysis */
	FS_Q_ANALYSIS = FS_Q_RUN_N, /* its analyses row */
	FS_Q_ANALYSIS_RUNS,    /* analysis_runs with each run's fleet, replication order */
	FS_Q_OUTGROW,          /* the outgrow rows, one per fleet option */
	FS_Q_FLEETS_SIDE,      /* view fleets_side_by_side */
	FS_Q_CRITERIA,         /* criteria_monthly of its runs */
	FS_Q_N
};

/* The query's name (also the CSV file stem of reports): "series", "job_months", ... */
const char *fs_store_query_name(enum fs_store_query q);

/*
 * Reads query q for id into out (zeroed first). FS_OK (possibly no rows),
 * FS_ERR_DB (an analysis query on a database without analyses included),
 * FS_ERR_NOMEM; out is empty on failure. The analysis queries read the
 * tables of `fleetsim outgrow` (analyses, analysis_runs, outgrow,
 * criteria_monthly): check fs_store_has_table(s, "analyses") first.
 */
enum fs_status fs_store_table_read(struct fs_store *s, enum fs_store_query q, int64_t id,
				   struct fs_store_table *out, struct fs_error *e);

/*
 * Reads the rows of table (a table or view of the database whose name is
 * [a-z_0-9]+) where column key = id, in rowid/natural order, as above.
 * FS_ERR_INPUT when there is no such table or column (its name in the
 * message), FS_ERR_DB, FS_ERR_NOMEM.
 */
enum fs_status fs_store_table_read_where(struct fs_store *s, const char *table, const char *key,
					 int64_t id, struct fs_store_table *out, struct fs_error *e);

/* Whether the database has a table or view of that name. */
bool fs_store_has_table(struct fs_store *s, const char *name);

/* The column index of name in t, or -1. */
int fs_store_table_col(const struct fs_store_table *t, const char *name);

void fs_store_table_fini(struct fs_store_table *t);

/* ---- sweeps (schema 7; docs/SCALE.md) ---- */

/*
 * Finds sweep sw in the database by its SHA-256, or stores it (sweeps,
 * sweep_params, sweep_points, sweep_fleets) in one transaction. *existed
 * says which: a rerun or another shard of the same sweep finds it. Creates
 * the file on first use. FS_OK, FS_ERR_DB, FS_ERR_NOMEM.
 */
enum fs_status fs_store_sweep_begin(struct fs_store *s, const struct fs_sweep *sw,
				    int64_t *sweep_id, bool *existed, struct fs_error *e);

/* Marks done[i] for every item of sweep_id stored (done has n_items entries); *n_done counts them. */
enum fs_status fs_store_sweep_done(struct fs_store *s, int64_t sweep_id, size_t n_items,
				   bool *done, size_t *n_done, struct fs_error *e);

/*
 * Stores one item's outcome in its own transaction (a killed sweep keeps
 * every item written before), INSERT OR IGNORE on (sweep_id, item): an item
 * written twice keeps its first row. shard ("K/N") may be NULL. FS_OK,
 * FS_ERR_DB (lock held past the wait, SQLite failed).
 */
enum fs_status fs_store_sweep_write_item(struct fs_store *s, int64_t sweep_id,
					 const struct fs_sweep *sw, const struct fs_sweep_item *it,
					 const struct fs_sweep_outcome *o, const char *shard,
					 struct fs_error *e);

/*
 * Stores n items (its[i] with os[i]) in one transaction, INSERT OR IGNORE as
 * above: what a sweep run with --commit-s writes (fewer commits, each an
 * fsync; a kill loses the items of the open group only). FS_OK, FS_ERR_DB.
 */
enum fs_status fs_store_sweep_write_items(struct fs_store *s, int64_t sweep_id,
					  const struct fs_sweep *sw, const struct fs_sweep_item *its,
					  const struct fs_sweep_outcome *os, size_t n,
					  const char *shard, struct fs_error *e);

/*
 * Reads a shard's database part without changing it: FS_OK when it is a
 * fleetsim database of schema FS_STORE_SCHEMA_VERSION holding exactly one
 * sweep (its SHA-256 into sha, its stored items into *n_items); else
 * FS_ERR_INPUT naming the file and the reason.
 */
enum fs_status fs_store_sweep_part(const char *path, char sha[65], int64_t *n_items,
				   struct fs_error *e);

/*
 * Adds the sweep sha's rows of part (checked with fs_store_sweep_part) to s
 * in one transaction: the sweep's definition rows once (under s's own
 * sweep id), then its items with INSERT OR IGNORE on (sweep, item), so
 * merging a part twice adds nothing. *n_added counts the new items.
 * FS_OK; FS_ERR_INPUT when part holds no sweep sha; FS_ERR_DB.
 */
enum fs_status fs_store_sweep_merge(struct fs_store *s, const char *part, const char *sha,
				    int64_t *n_added, struct fs_error *e);

/* The SHA-256 of sweep id: FS_OK; FS_ERR_INPUT when there is none (or no sweeps at all). */
enum fs_status fs_store_sweep_find(struct fs_store *s, int64_t id, char sha[65],
				   struct fs_error *e);

#endif
