/*
 * report.h - planning-review reports and comparisons, made from the results
 * database alone (store.h read functions; nothing else is opened).
 *
 * A report of a run (or an analysis) is a directory: summary.txt, one CSV
 * (RFC 4180, emit.h) per table read back (series.csv, service_series.csv,
 * job_months.csv, ...), one chart per section as NAME.gp (a gnuplot script)
 * + NAME.dat (its data) + NAME.svg (rendered by the `gnuplot` program when it
 * is on PATH), and report.html: self-contained (SVGs inline, no external
 * reference, CSS for print), one section per chart with its data points as
 * a table. Chart kinds are rows of a static table in report.c (name, title,
 * data writer, script writer); a kind with no data for the run (no
 * services, say) has no section and summary.txt says so.
 *
 * Without gnuplot the text, CSV, scripts, data and HTML (tables, no SVG)
 * are still written and fs_report_info says why the charts are missing.
 * The library never prints: gnuplot's own messages go to DIR/gnuplot.log.
 * Deterministic: the same database gives byte-identical text, CSV, .dat
 * and .gp files.
 */
#ifndef FLEETSIM_REPORT_H
#define FLEETSIM_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "fleetsim/error.h"
#include "fleetsim/store.h"

struct fs_report_opts {
	const char *out_dir;   /* made when missing (its parent must exist) */
	const char *gnuplot;   /* the program, looked up on PATH; NULL = "gnuplot" */
};

struct fs_report_info {
	int n_sections;        /* charts with data: sections of report.html */
	int n_rendered;        /* of those, SVGs gnuplot made */
	int n_csv;             /* CSV files written */
	bool gnuplot_missing;  /* the program was not found: no SVG at all */
	char note[256];        /* why charts are missing, for the user; "" when none are */
};

/*
 * Writes the report of run run_id into o->out_dir. FS_OK (info filled);
 * FS_ERR_INPUT: no such run (message "no run with id N"), the directory
 * cannot be made or written; FS_ERR_DB, FS_ERR_NOMEM. A chart gnuplot fails
 * on is not an error: it is counted out of n_rendered and named in note.
 */
enum fs_status fs_report_run(struct fs_store *s, int64_t run_id, const struct fs_report_opts *o,
			     struct fs_report_info *info, struct fs_error *e);

/*
 * The report of analysis analysis_id (tables of `fleetsim outgrow`): every
 * row of its tables as CSV, its runs' utilization per fleet with the outgrow
 * month marked, months held vs demand scale with confidence intervals.
 * FS_ERR_INPUT when the database has no analyses or no such analysis.
 */
enum fs_status fs_report_analysis(struct fs_store *s, int64_t analysis_id,
				  const struct fs_report_opts *o, struct fs_report_info *info,
				  struct fs_error *e);

/*
 * The report of sweep sweep_id (tables of `fleetsim sweep`, schema 7), from
 * the (merged) database alone: sweep_outcomes, sweep_items, sweep_points,
 * sweep_params and sweep_fleets as CSV, heat maps over (point, fleet
 * option) of the mean first failing month, cost per month and utilization,
 * the per-point table in summary.txt. FS_ERR_INPUT when the database has no
 * sweeps or no such sweep.
 */
enum fs_status fs_report_sweep(struct fs_store *s, int64_t sweep_id, const struct fs_report_opts *o,
			       struct fs_report_info *info, struct fs_error *e);

/* Which of two values is better on a metric. */
enum fs_better { FS_BETTER_LOWER = -1, FS_BETTER_NONE = 0, FS_BETTER_HIGHER = 1 };

/* One summary metric compared between two runs. */
struct fs_compare_metric {
	const char *name;      /* machine name, as in run_summary where it exists */
	const char *unit;
	enum fs_better better;
	double (*get)(const struct fs_run_row *r);
};

/* The metrics compare shows, in order (static storage); *n receives their number. */
const struct fs_compare_metric *fs_compare_metrics(int *n);

/*
 * Which run is better on m: "a", "b", "same" (equal within 1e-9 relative),
 * or "-" (a value is missing, or m has no better direction).
 */
const char *fs_compare_winner(const struct fs_compare_metric *m, double a, double b);

/* One row of an analysis comparison: a fleet option present in both, one metric. */
typedef int (*fs_compare_fn)(void *ctx, const char *fleet, const struct fs_compare_metric *m,
			     double a, double b);

/*
 * Compares analyses a and b fleet by fleet (options of the same name in both,
 * in a's order) on the outgrow metrics: first failing month (months held,
 * higher better), the demand scale at the analysis month (higher better) and
 * the cost per month, per training run and per million tokens until then
 * (lower better). m->get is NULL for these metrics. FS_OK; FS_ERR_INPUT when
 * the database has no analyses, either id is missing, or no fleet option is
 * in both; FS_ERR_DB, FS_ERR_NOMEM.
 */
enum fs_status fs_compare_analyses(struct fs_store *s, int64_t a, int64_t b, fs_compare_fn fn,
				   void *ctx, struct fs_error *e);

#endif
