/*
 * report.c - reports of a run or an analysis from the results database
 * alone, and the metrics of `compare`. Charts are a table of kinds (name,
 * title, data writer, script writer); gnuplot runs as a child process in
 * the report directory, so the scripts keep relative paths and can be
 * rerun there by hand.
 */
#include "fleetsim/report.h"
#include "fleetsim/emit.h"
#include "fleetsim/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#define DAY_S 86400.0
#define MONTH_S (30.4375 * DAY_S)

/* What a report is made of, read once from the database. */
struct rdata {
	const char *title;                 /* "run 3" */
	const struct fs_run_row *run;      /* NULL for an analysis */
	struct fs_store_table t[FS_Q_N];   /* the run's tables */
	/* analysis: one utilization table per fleet, outgrow months, scale table */
	int n_fleets;
	struct fs_store_table *fleet_series;
	const char **fleet_names;
	double *fleet_mark_month;          /* mean first failing month (0-based), NaN = held */
	/* sweep: its row, params, points, fleets, outcomes (views and tables of schema 7) */
	struct fs_store_table sw[5];
};

enum { SW_ROW, SW_PARAMS, SW_POINTS, SW_FLEETS, SW_OUTCOMES };

/* A chart kind: writes its data (returns the number of points; 0 = no chart) and script. */
struct chart_kind {
	const char *name;                  /* file stem */
	const char *title;
	const char *what;                  /* a sentence under the title */
	long (*data)(const struct rdata *d, FILE *f);
	void (*script)(const struct rdata *d, FILE *f);
};

static double cell(const struct fs_store_table *t, size_t row, int col)
{
	return col < 0 || row >= t->n_rows ? NAN : t->num[row * (size_t)t->n_cols + (size_t)col];
}

static const char *text_cell(const struct fs_store_table *t, size_t row, int col)
{
	const char *s = col < 0 || row >= t->n_rows ? NULL : t->txt[row * (size_t)t->n_cols + (size_t)col];
	return s ? s : "";
}

/* A number for a .dat file: %.6g, or NaN (gnuplot's missing value, set in every script). */
static void dat_num(FILE *f, double x)
{
	if (isfinite(x))
		fprintf(f, " %.6g", x);
	else
		fputs(" NaN", f);
}

/* A word for a .dat header: no blanks. */
static void dat_word(FILE *f, const char *s)
{
	fputc(' ', f);
	for (; *s; s++)
		fputc(*s == ' ' || *s == '\t' || *s == '"' ? '_' : *s, f);
}

static void script_head(FILE *f, const char *name, const char *title, const char *xlabel,
			const char *ylabel)
{
	fprintf(f,
		"# fleetsim chart '%s': edit and rerun with 'gnuplot %s.gp' in this directory\n"
		"set terminal svg size 900,440 dynamic enhanced font 'Helvetica,13' background '#ffffff'\n"
		"set output '%s.svg'\n"
		"set datafile missing 'NaN'\n"
		"set key autotitle columnhead\n"
		"set key outside bottom center horizontal\n"
		"set grid lc rgb '#dddddd'\n"
		"set border 3\nset tics nomirror\n"
		"set title \"%s\"\n"
		"set xlabel \"%s\"\n"
		"set ylabel \"%s\"\n",
		name, name, name, title, xlabel, ylabel);
}

/* Utilization of one series table into f, rows "day util busy serving" (%); the points. */
static long util_rows(const struct fs_store_table *t, FILE *f)
{
	int ct = fs_store_table_col(t, "t_s"), ci = fs_store_table_col(t, "gpus_installed"),
	    cb = fs_store_table_col(t, "gpus_busy"), cs = fs_store_table_col(t, "gpus_serving");

	for (size_t i = 0; i < t->n_rows; i++) {
		double inst = cell(t, i, ci), busy = cell(t, i, cb), serv = cell(t, i, cs);
		double k = inst > 0 ? 100.0 / inst : NAN;

		if (!isfinite(serv))
			serv = 0;
		fprintf(f, "%.6g", cell(t, i, ct) / DAY_S);
		dat_num(f, (busy + serv) * k);
		dat_num(f, busy * k);
		dat_num(f, serv * k);
		fputc('\n', f);
	}
	return (long)t->n_rows;
}

static long util_data(const struct rdata *d, FILE *f)
{
	fputs("day in_use_pct training_pct serving_pct\n", f);
	return util_rows(&d->t[FS_Q_SERIES], f);
}

static void util_script(const struct rdata *d, FILE *f)
{
	script_head(f, "utilization", "GPUs in use over time", "days since start",
		    "GPUs in use (% of installed)");
	fputs("set yrange [0:105]\n", f);
	if (d->run)
		fprintf(f, "set arrow from %.6g, graph 0 to %.6g, graph 1 nohead dt 2 lc rgb '#888888'\n"
			   "set label 'horizon' at %.6g, graph 0.05 right offset -0.5,0 tc rgb '#555555'\n",
			d->run->horizon_s / DAY_S, d->run->horizon_s / DAY_S, d->run->horizon_s / DAY_S);
	{
		const struct fs_store_table *t = &d->t[FS_Q_SERIES];
		int cs = fs_store_table_col(t, "gpus_serving");
		bool serving = false;

		for (size_t i = 0; i < t->n_rows; i++)
			serving |= cell(t, i, cs) > 0;
		fprintf(f, "plot 'utilization.dat' u 1:2 w l lw 2 lc rgb '#1f77b4' t '%s'%s\n",
			serving ? "in use (training + serving)" : "in use (training)",
			serving ? ", '' u 1:4 w l lw 1 lc rgb '#2ca02c' t 'serving'" : "");
	}
}

/* The '(all)' rows of job_months: month (1-based), p50, p90, mean of the column stem. */
static long month_rows(const struct rdata *d, FILE *f, const char *stem)
{
	const struct fs_store_table *t = &d->t[FS_Q_JOB_MONTHS];
	char p50[32], p90[32], mean[32];
	int ck = fs_store_table_col(t, "kind"), cm = fs_store_table_col(t, "month"),
	    cn = fs_store_table_col(t, "n_ran");
	long n = 0;

	snprintf(p50, sizeof(p50), "p50_%s", stem);
	snprintf(p90, sizeof(p90), "p90_%s", stem);
	snprintf(mean, sizeof(mean), "mean_%s", stem);
	fprintf(f, "month %s %s %s jobs_ran\n", p50, p90, mean);
	for (size_t i = 0; i < t->n_rows; i++) {
		if (strcmp(text_cell(t, i, ck), "(all)") != 0)
			continue;
		fprintf(f, "%.0f", cell(t, i, cm) + 1);
		dat_num(f, cell(t, i, fs_store_table_col(t, p50)));
		dat_num(f, cell(t, i, fs_store_table_col(t, p90)));
		dat_num(f, cell(t, i, fs_store_table_col(t, mean)));
		dat_num(f, cell(t, i, cn));
		fputc('\n', f);
		n++;
	}
	return n;
}

static void band_script(FILE *f, const char *name, const char *what, const char *unit)
{
	char title[96], ylabel[96];

	snprintf(title, sizeof(title), "%s by month of submission", what);
	snprintf(ylabel, sizeof(ylabel), "%s (%s)", what, unit);
	script_head(f, name, title, "month of submission (30.4-day months from the start)", ylabel);
	fprintf(f, "set xtics 1\nset yrange [0:*]\n"
		   "plot '%s.dat' u 1:2:3 w filledcurves fc rgb '#9ecae1' fs solid 0.5 noborder"
		   " t 'p50 to p90 band', '' u 1:2 w lp lw 2 pt 7 ps 0.6 lc rgb '#08519c' t 'median (p50)',"
		   " '' u 1:3 w lp lw 1 pt 6 ps 0.6 dt 2 lc rgb '#6baed6' t 'p90'\n", name);
}

static long tts_data(const struct rdata *d, FILE *f)
{
	return month_rows(d, f, "tts_days");
}

static void tts_script(const struct rdata *d, FILE *f)
{
	(void)d;
	band_script(f, "tts_by_month", "time to solution", "days");
}

static long wait_data(const struct rdata *d, FILE *f)
{
	return month_rows(d, f, "wait_h");
}

static void wait_script(const struct rdata *d, FILE *f)
{
	(void)d;
	band_script(f, "wait_by_month", "queue wait", "hours");
}

/* Services of service_months: their number, and the name of service k. */
static int n_services(const struct fs_store_table *t)
{
	int cs = fs_store_table_col(t, "service"), n = 0;

	for (size_t i = 0; i < t->n_rows; i++)
		if ((int)cell(t, i, cs) + 1 > n)
			n = (int)cell(t, i, cs) + 1;
	return n;
}

static long attain_data(const struct rdata *d, FILE *f)
{
	const struct fs_store_table *t = &d->t[FS_Q_SERVICE_MONTHS];
	int cs = fs_store_table_col(t, "service"), cm = fs_store_table_col(t, "month"),
	    ca = fs_store_table_col(t, "attainment_frac"), cn = fs_store_table_col(t, "service_name");
	int ns = n_services(t), months = 0;
	long n = 0;

	if (ns == 0)
		return 0;
	fputs("month", f);
	for (int k = 0; k < ns; k++)
		for (size_t i = 0; i < t->n_rows; i++)
			if ((int)cell(t, i, cs) == k) {
				dat_word(f, text_cell(t, i, cn));
				break;
			}
	fputc('\n', f);
	for (size_t i = 0; i < t->n_rows; i++)
		if ((int)cell(t, i, cm) + 1 > months)
			months = (int)cell(t, i, cm) + 1;
	for (int m = 0; m < months; m++) {
		fprintf(f, "%d", m + 1);
		for (int k = 0; k < ns; k++) {
			double a = NAN;
			for (size_t i = 0; i < t->n_rows; i++)
				if ((int)cell(t, i, cs) == k && (int)cell(t, i, cm) == m)
					a = 100.0 * cell(t, i, ca);
			dat_num(f, a);
		}
		fputc('\n', f);
		n++;
	}
	return n;
}

static void attain_script(const struct rdata *d, FILE *f)
{
	int ns = n_services(&d->t[FS_Q_SERVICE_MONTHS]);

	script_head(f, "attainment", "service objective attainment by month", "month (30.4-day months)",
		    "requests served within objectives (%)");
	/* the low end from the data: 99 % and 95 % must look different */
	fprintf(f, "set xtics 1\nset yrange [*:100.5]\n"
		   "plot for [c=2:%d] 'attainment.dat' u 1:c w lp lw 2 pt 7 ps 0.6\n", ns + 1);
}

/* Whether the run recorded any cost per interval (schema 2 runs did not). */
static bool has_cost(const struct rdata *d)
{
	const struct fs_store_table *t = &d->t[FS_Q_COST_MONTHS];
	int c = fs_store_table_col(t, "cost_usd");

	for (size_t i = 0; i < t->n_rows; i++)
		if (cell(t, i, c) > 0)
			return true;
	return false;
}

static long cost_data(const struct rdata *d, FILE *f)
{
	const struct fs_store_table *t = &d->t[FS_Q_COST_MONTHS];
	static const char *const parts[] = { "rent_usd", "depreciation_usd", "power_usd",
					     "hosting_usd", "cost_usd" };

	if (!has_cost(d))
		return 0;
	fputs("month rent_kusd depreciation_kusd power_kusd hosting_kusd total_kusd\n", f);
	for (size_t i = 0; i < t->n_rows; i++) {
		fprintf(f, "%.0f", cell(t, i, fs_store_table_col(t, "month")) + 1);
		for (size_t p = 0; p < sizeof(parts) / sizeof(*parts); p++) {
			double v = cell(t, i, fs_store_table_col(t, parts[p]));
			dat_num(f, isfinite(v) ? v / 1000.0 : 0.0);
		}
		fputc('\n', f);
	}
	return (long)t->n_rows;
}

static void cost_script(const struct rdata *d, FILE *f)
{
	static const char *const parts[] = { "rent_usd", "depreciation_usd", "power_usd",
					     "hosting_usd" };
	static const char *const titles[] = { "rent", "depreciation", "power", "hosting" };
	const struct fs_store_table *t = &d->t[FS_Q_COST_MONTHS];
	bool first = true;

	script_head(f, "cost_by_month", "fleet cost per month", "month (30.4-day months)",
		    "cost (thousand USD)");
	fputs("set yrange [0:*]\nset style data histograms\n"
	      "set style histogram rowstacked\nset style fill solid 0.8 border -1\nset boxwidth 0.7\n"
	      "plot", f);
	/* only the parts this fleet pays: a rented fleet has no depreciation */
	for (int p = 0; p < 4; p++) {
		bool any = false;
		for (size_t i = 0; i < t->n_rows; i++)
			any |= cell(t, i, fs_store_table_col(t, parts[p])) > 0;
		if (!any)
			continue;
		fprintf(f, "%s 'cost_by_month.dat' u %d%s t '%s'", first ? "" : ",", p + 2,
			first ? ":xtic(1)" : "", titles[p]);
		first = false;
	}
	if (first)
		fputs(" 'cost_by_month.dat' u 6:xtic(1) t 'total'", f);
	fputc('\n', f);
}

/* Whether column col of the cost months has a finite value. */
static bool has_col(const struct rdata *d, const char *col)
{
	const struct fs_store_table *t = &d->t[FS_Q_COST_MONTHS];
	int c = fs_store_table_col(t, col);

	for (size_t i = 0; i < t->n_rows; i++)
		if (isfinite(cell(t, i, c)))
			return true;
	return false;
}

static long unit_data(const struct rdata *d, FILE *f)
{
	const struct fs_store_table *t = &d->t[FS_Q_COST_MONTHS];

	if (!has_cost(d) || (!has_col(d, "usd_per_training_job") && !has_col(d, "usd_per_mtok")))
		return 0;
	fputs("month usd_per_training_job usd_per_mtok jobs_done\n", f);
	for (size_t i = 0; i < t->n_rows; i++) {
		fprintf(f, "%.0f", cell(t, i, fs_store_table_col(t, "month")) + 1);
		dat_num(f, cell(t, i, fs_store_table_col(t, "usd_per_training_job")));
		dat_num(f, cell(t, i, fs_store_table_col(t, "usd_per_mtok")));
		dat_num(f, cell(t, i, fs_store_table_col(t, "jobs_done")));
		fputc('\n', f);
	}
	return (long)t->n_rows;
}

static void unit_script(const struct rdata *d, FILE *f)
{
	bool tok = has_col(d, "usd_per_mtok"), job = has_col(d, "usd_per_training_job");

	script_head(f, "cost_per_unit", "cost per unit of work by month", "month (30.4-day months)",
		    job ? "USD per finished training job" : "USD per million output tokens");
	fputs("set xtics 1\nset yrange [0:*]\n", f);
	if (job && tok)
		fputs("set y2range [0:*]\nset y2tics\nset ytics nomirror\n"
		      "set y2label 'USD per million output tokens'\n"
		      "plot 'cost_per_unit.dat' u 1:2 w lp lw 2 pt 7 ps 0.6 t 'per training job (left)',"
		      " '' u 1:3 axes x1y2 w lp lw 2 pt 5 ps 0.6 dt 2 t 'per million tokens (right)'\n", f);
	else
		fprintf(f, "plot 'cost_per_unit.dat' u 1:%d w lp lw 2 pt 7 ps 0.6 t '%s'\n", job ? 2 : 3,
			job ? "per finished training job" : "per million output tokens served");
}

/* Analysis: utilization per fleet, outgrow months marked. */
static long fleets_data(const struct rdata *d, FILE *f)
{
	long n = 0;

	for (int k = 0; k < d->n_fleets; k++) {
		if (k)
			fputs("\n\n", f);
		fputs("day", f);
		dat_word(f, d->fleet_names[k]);
		fputs(" training_pct serving_pct\n", f);
		n += util_rows(&d->fleet_series[k], f);
	}
	return n;
}

static void fleets_script(const struct rdata *d, FILE *f)
{
	script_head(f, "fleet_utilization", "GPUs in use per fleet option", "days since start",
		    "GPUs in use (% of installed)");
	/* labels low and staggered, on an opaque box: clear of each other and of the lines */
	fputs("set yrange [0:105]\nset style textbox opaque noborder\n", f);
	for (int k = 0; k < d->n_fleets; k++)
		if (isfinite(d->fleet_mark_month[k]))
			fprintf(f, "set arrow from %.6g, graph 0 to %.6g, graph 1 nohead dt 2 lw 1.5 "
				   "lc %d\nset label \"%s outgrown\" at %.6g, graph %.2f left offset "
				   "0.5,0 tc lt %d front boxed\n",
				d->fleet_mark_month[k] * 30.4375, d->fleet_mark_month[k] * 30.4375,
				k + 1, d->fleet_names[k], d->fleet_mark_month[k] * 30.4375,
				0.06 + 0.07 * k, k + 1);
	fprintf(f, "plot for [i=0:%d] 'fleet_utilization.dat' index i u 1:2 w l lw 2 lt i+1\n",
		d->n_fleets - 1);
}

/*
 * Analysis: months held vs demand scale, per fleet: at scale 1 the mean first
 * failing month (months held; its 95 % interval as y error), and the scale
 * at which the analysis month fails (its 95 % interval as x error).
 */
static long scale_data(const struct rdata *d, FILE *f)
{
	const struct fs_store_table *t = &d->t[FS_Q_OUTGROW], *a = &d->t[FS_Q_ANALYSIS];
	int cf = fs_store_table_col(t, "fleet");
	double month = cell(a, 0, fs_store_table_col(a, "month"));
	long n = 0;

	for (size_t i = 0; i < t->n_rows; i++) {
		double m = cell(t, i, fs_store_table_col(t, "first_fail_month_mean"));
		double sc = cell(t, i, fs_store_table_col(t, "scale_at_month_mean"));

		if (i)
			fputs("\n\n", f);
		fputs("scale", f);
		dat_word(f, text_cell(t, i, cf));
		fputs(" scale_lo scale_hi months_lo months_hi\n", f);
		fprintf(f, "1 %.6g 1 1", m);
		dat_num(f, cell(t, i, fs_store_table_col(t, "first_fail_month_lo")));
		dat_num(f, cell(t, i, fs_store_table_col(t, "first_fail_month_hi")));
		fprintf(f, "\n%.6g %.6g", sc, month);
		dat_num(f, cell(t, i, fs_store_table_col(t, "scale_at_month_ci_lo")));
		dat_num(f, cell(t, i, fs_store_table_col(t, "scale_at_month_ci_hi")));
		fprintf(f, " %.6g %.6g\n", month, month);
		n += 2;
	}
	return n;
}

static void scale_script(const struct rdata *d, FILE *f)
{
	script_head(f, "months_held", "months held vs demand scale (95 % confidence intervals)",
		    "demand scale k (all workloads x k)", "months until a criterion fails");
	fprintf(f, "set yrange [0:*]\nset xrange [0:*]\n"
		   "plot for [i=0:%d] 'months_held.dat' index i u 1:2:3:4:5:6 w xyerrorlines lw 2 "
		   "pt 7 lt i+1\n", (int)d->t[FS_Q_OUTGROW].n_rows - 1);
}

static const struct chart_kind run_charts[] = {
	{ "utilization", "Utilization over time",
	  "Share of the installed GPUs busy with training or serving, per series interval; the "
	  "dashed line is the horizon (the run drains its queue past it).", util_data, util_script },
	{ "tts_by_month", "Time to solution by month of submission",
	  "Median and 90th percentile of submit-to-finish time of the jobs submitted in each month.",
	  tts_data, tts_script },
	{ "wait_by_month", "Queue wait by month of submission",
	  "Median and 90th percentile of the time jobs waited for GPUs, by month of submission.",
	  wait_data, wait_script },
	{ "attainment", "Service attainment by month",
	  "Share of each service's requests served within its latency objectives.", attain_data,
	  attain_script },
	{ "cost_by_month", "Cost per month", "Fleet cost per month by part.", cost_data,
	  cost_script },
	{ "cost_per_unit", "Cost per unit of work",
	  "Training's share of the month's cost (by GPU-hours) per training job finished that "
	  "month, and serving's share per million output tokens served.",
	  unit_data, unit_script },
};

static const struct chart_kind analysis_charts[] = {
	{ "fleet_utilization", "Utilization per fleet option",
	  "GPUs in use over time for each fleet option (first replication); a dashed line marks the "
	  "month a criterion first fails.", fleets_data, fleets_script },
	{ "months_held", "Months held vs demand scale",
	  "For each option: at the scenario's demand (k = 1), the months until a criterion first "
	  "fails; at the analysis month, the demand scale k at which it fails. Error bars are 95 % "
	  "confidence intervals over the replications.", scale_data, scale_script },
};

/*
 * Sweep: heat maps over (point, fleet option) of the outcome means over the
 * replications. x is the point, labelled by its values of the varied keys
 * (the last key varies fastest), y the fleet option.
 */
static size_t sw_n_points(const struct rdata *d)
{
	return (size_t)cell(&d->sw[SW_ROW], 0, fs_store_table_col(&d->sw[SW_ROW], "n_points"));
}

/* The label of point p: its values joined by '/'. */
static void sw_point_label(const struct rdata *d, size_t p, char *buf, size_t n)
{
	const struct fs_store_table *t = &d->sw[SW_POINTS];
	int cp = fs_store_table_col(t, "point"), cv = fs_store_table_col(t, "value");
	size_t u = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->n_rows && u + 1 < n; i++)
		if ((size_t)cell(t, i, cp) == p)
			u += (size_t)snprintf(buf + u, n - u, "%s%.4g", u ? "/" : "", cell(t, i, cv));
	if (!buf[0])
		snprintf(buf, n, "%zu", p);
}

static long sw_map_data(const struct rdata *d, FILE *f, const char *col)
{
	const struct fs_store_table *t = &d->sw[SW_OUTCOMES];
	int cp = fs_store_table_col(t, "point"), cf = fs_store_table_col(t, "fleet_idx"),
	    cv = fs_store_table_col(t, col);
	long n = 0;
	double last = -1;

	fprintf(f, "point fleet %s\n", col);
	for (size_t i = 0; i < t->n_rows; i++) {
		if (last >= 0 && cell(t, i, cp) != last)
			fputc('\n', f);
		last = cell(t, i, cp);
		fprintf(f, "%.0f %.0f", cell(t, i, cp), cell(t, i, cf));
		dat_num(f, cell(t, i, cv));
		fputc('\n', f);
		n++;
	}
	return n;
}

static void sw_map_script(const struct rdata *d, FILE *f, const char *name, const char *title,
			  bool low_is_blue, const char *fmt)
{
	const struct fs_store_table *pr = &d->sw[SW_PARAMS], *fl = &d->sw[SW_FLEETS];
	size_t np = sw_n_points(d);
	char xlabel[512] = "", lab[128];

	for (size_t i = 0; i < pr->n_rows; i++) {
		size_t u = strlen(xlabel);
		snprintf(xlabel + u, sizeof(xlabel) - u, "%s%s", i ? " / " : "",
			 text_cell(pr, i, fs_store_table_col(pr, "key")));
	}
	script_head(f, name, title, xlabel[0] ? xlabel : "point", "");
	/* key paths and fleet names hold '_': plain text, not enhanced-mode subscripts */
	fprintf(f, "set termoption noenhanced\nset key off\nset palette defined (0 '%s', 1 '#f7f7f7', 2 '%s')\n"
		   "set xtics rotate by -45\nset tics out\n", low_is_blue ? "#2166ac" : "#b2182b",
		low_is_blue ? "#b2182b" : "#2166ac");
	fprintf(f, "set xrange [-0.5:%g]\nset yrange [-0.5:%g]\n", (double)np - 0.5,
		(double)fl->n_rows - 0.5);
	fputs("set xtics (", f);
	for (size_t p = 0; p < np; p++) {
		sw_point_label(d, p, lab, sizeof(lab));
		fprintf(f, "%s\"%s\" %zu", p ? ", " : "", lab, p);
	}
	fputs(")\nset ytics (", f);
	for (size_t i = 0; i < fl->n_rows; i++)
		fprintf(f, "%s\"%s\" %zu", i ? ", " : "",
			text_cell(fl, i, fs_store_table_col(fl, "name")), i);
	/* one filled cell per (point, fleet): no interpolation between them */
	fprintf(f, ")\nset style fill solid 1.0 noborder\n"
		   "plot '%s.dat' u 1:2:(0.5):(0.5):3 w boxxyerror lc palette, "
		   "'' u 1:2:(sprintf('%s', $3)) w labels font ',11'\n", name, fmt);
}

static long sw_fail_data(const struct rdata *d, FILE *f)
{
	return sw_map_data(d, f, "fail_month_mean");
}

static void sw_fail_script(const struct rdata *d, FILE *f)
{
	sw_map_script(d, f, "sweep_fail_month",
		      "mean month a criterion first fails (0 = the first; held = the horizon's months)",
		      false, "%.1f");
}

static long sw_cost_data(const struct rdata *d, FILE *f)
{
	return sw_map_data(d, f, "usd_per_month_mean");
}

static void sw_cost_script(const struct rdata *d, FILE *f)
{
	sw_map_script(d, f, "sweep_cost", "mean fleet cost per month (USD)", true, "%.0f");
}

static long sw_util_data(const struct rdata *d, FILE *f)
{
	return sw_map_data(d, f, "util_mean");
}

static void sw_util_script(const struct rdata *d, FILE *f)
{
	sw_map_script(d, f, "sweep_util", "mean utilization (training + serving)", false, "%.2f");
}

static const struct chart_kind sweep_charts[] = {
	{ "sweep_fail_month", "Months until a criterion first fails",
	  "For every point of the sweep (the varied values, x) and fleet option (y): the mean over "
	  "the replications of the first month (0 = the first) a criterion of the scenario fails; "
	  "a replication that holds counts as the horizon's months. Red fails early, blue holds.",
	  sw_fail_data, sw_fail_script },
	{ "sweep_cost", "Cost per month",
	  "The mean fleet cost per 30.4375-day month over the replications, per point and fleet "
	  "option (blue is cheaper).", sw_cost_data, sw_cost_script },
	{ "sweep_util", "Utilization",
	  "The mean share of the installed GPUs busy with training or serving over the horizon.",
	  sw_util_data, sw_util_script },
};

/* ---- files ---- */

static enum fs_status io_fail(struct fs_error *e, const char *path, const char *what)
{
	return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL, "%s: %s", what, strerror(errno));
}

static void path_in(char *out, size_t n, const char *dir, const char *name, const char *ext)
{
	snprintf(out, n, "%s/%s%s", dir, name, ext);
}

static enum fs_status make_dir(const char *dir, struct fs_error *e)
{
	struct stat sb;

	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return io_fail(e, dir, "cannot make the report directory");
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return fs_error_set(e, FS_ERR_INPUT, dir, 0, NULL,
				    "exists and is not a directory; give another --out");
	if (access(dir, W_OK | X_OK) != 0)
		return io_fail(e, dir, "cannot write the report directory");
	return FS_OK;
}

/* Writes table t as NAME.csv (RFC 4180, through the emitter). */
static enum fs_status write_csv(const char *dir, const char *name, const struct fs_store_table *t,
				struct fs_error *e)
{
	char path[1024];
	struct fs_emit_col *cols;
	struct fs_emit_val *v;
	struct fs_emitter em;
	FILE *f;
	int bad;

	path_in(path, sizeof(path), dir, name, ".csv");
	cols = calloc((size_t)(t->n_cols ? t->n_cols : 1), sizeof(*cols));
	v = calloc((size_t)(t->n_cols ? t->n_cols : 1), sizeof(*v));
	if (!cols || !v) {
		free(cols);
		free(v);
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	}
	if (!(f = fopen(path, "w"))) {
		free(cols);
		free(v);
		return io_fail(e, path, "cannot write");
	}
	for (int c = 0; c < t->n_cols; c++) {
		cols[c].name = t->names[c];
		cols[c].type = t->is_text[c] ? FS_EMIT_STR : FS_EMIT_NUM;
	}
	fs_emit_begin(&em, f, fs_emit_format_find("csv"), cols, t->n_cols, false);
	for (size_t i = 0; i < t->n_rows; i++) {
		for (int c = 0; c < t->n_cols; c++) {
			size_t k = i * (size_t)t->n_cols + (size_t)c;
			if (t->is_text[c])
				v[c] = t->txt[k] ? fs_emit_str(t->txt[k]) : fs_emit_missing();
			else
				v[c] = fs_emit_num(t->num[k]);
		}
		fs_emit_row(&em, v);
	}
	fs_emit_end(&em);
	bad = ferror(f);
	bad |= fclose(f) != 0;
	free(cols);
	free(v);
	return bad ? io_fail(e, path, "cannot write") : FS_OK;
}

/* The gnuplot program's path when it is an executable on PATH (or a path), into out. */
static bool find_program(const char *prog, char *out, size_t n)
{
	const char *path = getenv("PATH");

	if (strchr(prog, '/')) {
		fs_strlcpy(out, prog, n);
		return access(prog, X_OK) == 0;
	}
	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);

		snprintf(out, n, "%.*s/%s", (int)len, len ? path : ".", prog);
		if (access(out, X_OK) == 0)
			return true;
		path = end ? end + 1 : NULL;
	}
	return false;
}

/* Runs "prog NAME.gp" in dir, its output appended to dir/gnuplot.log; true when it made NAME.svg. */
static bool render(const char *prog, const char *dir, const char *name)
{
	char gp[256], svg[1024];
	struct stat sb;
	pid_t pid;
	int status;

	snprintf(gp, sizeof(gp), "%s.gp", name);
	path_in(svg, sizeof(svg), dir, name, ".svg");
	unlink(svg);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		int fd;
		if (chdir(dir) != 0)
			_exit(126);
		fd = open("gnuplot.log", O_WRONLY | O_CREAT | O_APPEND, 0666);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl(prog, prog, gp, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && stat(svg, &sb) == 0 && sb.st_size > 0;
}

/* ---- HTML ---- */

static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static const char css[] =
	"body{font-family:Helvetica,Arial,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;"
	"color:#222;line-height:1.4}"
	"h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #ccc;"
	"padding-bottom:.2em;margin-top:1.8em}"
	"pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85em}"
	".meta{color:#555}.note{background:#fff4d6;border:1px solid #e0c060;padding:.5em 1em}"
	"table{border-collapse:collapse;font-size:.85em;font-variant-numeric:tabular-nums}"
	"td,th{border:1px solid #ddd;padding:.15em .6em;text-align:right}"
	"th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
	"figure{margin:.5em 0}figure svg{width:100%;height:auto;display:block}"
	".data{max-height:18em;overflow:auto;display:inline-block;margin-top:.5em}"
	"@media print{body{max-width:none;margin:0}section{break-inside:avoid;page-break-inside:"
	"avoid}.data{max-height:none;overflow:visible}.note{border-color:#999}}";

/* Copies NAME.svg into f without its XML prolog and namespace lines (inline SVG needs neither). */
static bool inline_svg(FILE *f, const char *dir, const char *name)
{
	char path[1024], line[4096];
	FILE *in;

	path_in(path, sizeof(path), dir, name, ".svg");
	if (!(in = fopen(path, "r")))
		return false;
	while (fgets(line, sizeof(line), in)) {
		static const char canvas[] = "id=\"gnuplot_canvas\"";
		char *id;
		if (strncmp(line, "<?xml", 5) == 0 || strstr(line, "xmlns"))
			continue;
		/* every gnuplot SVG names its group gnuplot_canvas: ids must be unique in a page */
		if ((id = strstr(line, canvas))) {
			fwrite(line, 1, (size_t)(id - line), f);
			fprintf(f, "id=\"%s_canvas\"", name);
			fputs(id + sizeof(canvas) - 1, f);
			continue;
		}
		fputs(line, f);
	}
	fclose(in);
	return true;
}

/* The rows of NAME.dat as an HTML table (header from its first line; blocks by blank lines). */
static void dat_table(FILE *f, const char *dir, const char *name)
{
	char path[1024], line[4096];
	FILE *in;
	bool header = true;

	path_in(path, sizeof(path), dir, name, ".dat");
	if (!(in = fopen(path, "r")))
		return;
	fputs("<div class=\"data\"><table>\n", f);
	while (fgets(line, sizeof(line), in)) {
		char *save = NULL, *tok;
		const char *cellt;

		line[strcspn(line, "\n")] = '\0';
		if (!line[0]) {
			header = true;
			continue;
		}
		cellt = header ? "th" : "td";
		fputs("<tr>", f);
		for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			fprintf(f, "<%s>", cellt);
			html_text(f, strcmp(tok, "NaN") == 0 ? "-" : tok);
			fprintf(f, "</%s>", cellt);
		}
		fputs("</tr>\n", f);
		header = false;
	}
	fputs("</table></div>\n", f);
	fclose(in);
}

/* The lines of summary.txt as a preformatted block. */
static void summary_block(FILE *f, const char *dir)
{
	char path[1024], line[1024];
	FILE *in;

	path_in(path, sizeof(path), dir, "summary", ".txt");
	if (!(in = fopen(path, "r")))
		return;
	fputs("<pre>", f);
	while (fgets(line, sizeof(line), in))
		html_text(f, line);
	fputs("</pre>\n", f);
	fclose(in);
}

struct chart_state {
	long points;
	bool rendered;
};

static enum fs_status write_html(const char *dir, const struct rdata *d,
				 const struct chart_kind *kinds, int n_kinds,
				 const struct chart_state *cs, const struct fs_report_info *info,
				 struct fs_error *e)
{
	char path[1024];
	FILE *f;
	int bad;

	path_in(path, sizeof(path), dir, "report", ".html");
	if (!(f = fopen(path, "w")))
		return io_fail(e, path, "cannot write");
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
	fputs("fleetsim report: ", f);
	html_text(f, d->title);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>fleetsim report: ", css);
	html_text(f, d->title);
	fputs("</h1>\n", f);
	if (d->run) {
		char line[512];
		snprintf(line, sizeof(line), "scenario '%s', fleet '%s' (%d x %s), seed %llu, started %s",
			 d->run->scenario, d->run->fleet, d->run->gpus, d->run->gpu,
			 (unsigned long long)d->run->seed, d->run->started_at);
		fputs("<p class=\"meta\">", f);
		html_text(f, line);
		fputs("</p>\n", f);
	}
	if (info->note[0]) {
		fputs("<p class=\"note\">", f);
		html_text(f, info->note);
		fputs("</p>\n", f);
	}
	fputs("<section id=\"summary\">\n<h2>Summary</h2>\n", f);
	summary_block(f, dir);
	fputs("</section>\n", f);
	for (int k = 0; k < n_kinds; k++) {
		if (cs[k].points == 0)
			continue;
		fprintf(f, "<section class=\"chart\" id=\"%s\">\n<h2>", kinds[k].name);
		html_text(f, kinds[k].title);
		fputs("</h2>\n<p>", f);
		html_text(f, kinds[k].what);
		fputs("</p>\n<figure>\n", f);
		if (!cs[k].rendered || !inline_svg(f, dir, kinds[k].name))
			fprintf(f, "<p class=\"note\">chart not rendered (%s); its data points follow"
				   "</p>\n", info->gnuplot_missing ? "gnuplot not found" : "gnuplot failed");
		fprintf(f, "</figure>\n<p class=\"meta\">data points: %ld (files %s.dat, %s.gp)</p>\n",
			cs[k].points, kinds[k].name, kinds[k].name);
		dat_table(f, dir, kinds[k].name);
		fputs("</section>\n", f);
	}
	fputs("</body>\n</html>\n", f);
	bad = ferror(f);
	bad |= fclose(f) != 0;
	return bad ? io_fail(e, path, "cannot write") : FS_OK;
}

/* Writes every chart's .dat and .gp, renders them, fills cs and info. */
static enum fs_status make_charts(const char *dir, const struct rdata *d,
				  const struct chart_kind *kinds, int n_kinds,
				  const struct fs_report_opts *o, struct chart_state *cs,
				  struct fs_report_info *info, struct fs_error *e)
{
	const char *prog = o->gnuplot ? o->gnuplot : "gnuplot";
	char exe[1024], path[1024];
	bool have = find_program(prog, exe, sizeof(exe));
	int failed = 0;

	info->gnuplot_missing = !have;
	for (int k = 0; k < n_kinds; k++) {
		FILE *f;

		path_in(path, sizeof(path), dir, kinds[k].name, ".dat");
		if (!(f = fopen(path, "w")))
			return io_fail(e, path, "cannot write");
		cs[k].points = kinds[k].data(d, f);
		if (fclose(f) != 0)
			return io_fail(e, path, "cannot write");
		if (cs[k].points == 0) {
			/* no stale chart of an earlier report in the same directory */
			unlink(path);
			path_in(path, sizeof(path), dir, kinds[k].name, ".gp");
			unlink(path);
			path_in(path, sizeof(path), dir, kinds[k].name, ".svg");
			unlink(path);
			continue;
		}
		info->n_sections++;
		path_in(path, sizeof(path), dir, kinds[k].name, ".gp");
		if (!(f = fopen(path, "w")))
			return io_fail(e, path, "cannot write");
		kinds[k].script(d, f);
		if (fclose(f) != 0)
			return io_fail(e, path, "cannot write");
		if (have && (cs[k].rendered = render(exe, dir, kinds[k].name)))
			info->n_rendered++;
		else if (have)
			failed++;
	}
	if (!have)
		snprintf(info->note, sizeof(info->note),
			 "gnuplot (%s) was not found on PATH: no charts were rendered; the text, CSV, "
			 "data (.dat) and scripts (.gp) were written - install gnuplot and run "
			 "'gnuplot NAME.gp' in the report directory", prog);
	else if (failed)
		snprintf(info->note, sizeof(info->note),
			 "gnuplot failed on %d of %d charts; see gnuplot.log in the report directory",
			 failed, info->n_sections);
	return FS_OK;
}

/* ---- the run report ---- */

static void fmt_or_dash(char *buf, size_t n, const char *fmt, double x)
{
	if (isfinite(x))
		snprintf(buf, n, fmt, x);
	else
		fs_strlcpy(buf, "-", n);
}

static void summary_line(FILE *f, const char *label, const char *fmt, double x, const char *unit)
{
	char b[64];

	fmt_or_dash(b, sizeof(b), fmt, x);
	fprintf(f, "  %-34s %14s%s%s\n", label, b, isfinite(x) && unit[0] ? " " : "",
		isfinite(x) ? unit : "");
}

static void run_summary_text(FILE *f, const struct rdata *d, const struct chart_kind *kinds,
			     int n_kinds, const struct chart_state *cs)
{
	const struct fs_run_row *r = d->run;
	const struct fs_store_table *jm = &d->t[FS_Q_JOB_MONTHS], *um = &d->t[FS_Q_UTIL_MONTHS],
				    *cm = &d->t[FS_Q_COST_MONTHS], *jk = &d->t[FS_Q_JOB_KINDS];
	double worst = -1;
	int worst_m = -1;

	fprintf(f, "fleetsim report: run %lld\n", (long long)r->id);
	fprintf(f, "scenario '%s', fleet '%s' (%d x %s), seed %llu\n", r->scenario, r->fleet,
		r->gpus, r->gpu, (unsigned long long)r->seed);
	fprintf(f, "stored %s by fleetsim %s\n\n", r->started_at, r->version);
	summary_line(f, "horizon", "%.0f", r->horizon_s / DAY_S, "days");
	summary_line(f, "jobs submitted", "%.0f", (double)r->sum.n_jobs, "");
	summary_line(f, "finished within horizon", "%.0f", (double)r->sum.n_done_in_horizon, "");
	summary_line(f, "infeasible (do not fit)", "%.0f", (double)r->sum.n_infeasible, "");
	summary_line(f, "queue wait, mean", "%.1f", r->sum.mean_wait_s / 3600.0, "h");
	summary_line(f, "queue wait, p90", "%.1f", r->sum.p90_wait_s / 3600.0, "h");
	summary_line(f, "time to solution, mean", "%.2f", r->sum.mean_tts_s / DAY_S, "days");
	summary_line(f, "time to solution, p90", "%.2f", r->sum.p90_tts_s / DAY_S, "days");
	summary_line(f, "utilization within horizon", "%.1f", 100.0 * r->sum.mean_util_frac, "%");
	summary_line(f, "service attainment", "%.2f", 100.0 * r->sum.serve_attainment_frac, "%");
	summary_line(f, "GPU-hours of jobs", "%.0f", r->sum.gpu_hours, "");
	summary_line(f, "fleet cost over horizon", "%.0f", r->sum.fleet_cost_usd, "USD");
	summary_line(f, "cost per job GPU-hour", "%.3f",
		     r->sum.gpu_hours > 0 ? r->sum.fleet_cost_usd / r->sum.gpu_hours : NAN, "USD");
	summary_line(f, "cost of idle GPUs", "%.0f", r->sum.idle_cost_usd, "USD");
	summary_line(f, "cost per finished training job", "%.0f", r->sum.usd_per_training_job, "USD");
	summary_line(f, "cost per million tokens served", "%.3f", r->sum.usd_per_mtok_served, "USD");
	fprintf(f, "\n  %-20s %8s %10s %10s %10s %14s\n", "workload", "jobs", "infeasible",
		"wait_h", "tts_days", "gpu_hours");
	for (size_t i = 0; i < jk->n_rows; i++) {
		char w[32], t[32], g[32];
		fmt_or_dash(w, sizeof(w), "%.1f", cell(jk, i, fs_store_table_col(jk, "mean_wait_h")));
		fmt_or_dash(t, sizeof(t), "%.2f", cell(jk, i, fs_store_table_col(jk, "mean_tts_days")));
		fmt_or_dash(g, sizeof(g), "%.0f", cell(jk, i, fs_store_table_col(jk, "gpu_hours")));
		fprintf(f, "  %-20s %8.0f %10.0f %10s %10s %14s\n",
			text_cell(jk, i, fs_store_table_col(jk, "kind")),
			cell(jk, i, fs_store_table_col(jk, "n_jobs")),
			cell(jk, i, fs_store_table_col(jk, "n_infeasible")), w, t, g);
	}
	fprintf(f, "\n  %5s %7s %8s %9s %9s %10s %10s %12s\n", "month", "util%", "jobs", "wait_p50h",
		"wait_p90h", "tts_p50_d", "tts_p90_d", "cost_usd");
	for (size_t i = 0; i < um->n_rows; i++) {
		int m = (int)cell(um, i, fs_store_table_col(um, "month"));
		double n = NAN, w50 = NAN, w90 = NAN, t50 = NAN, t90 = NAN, c = NAN;
		char b[6][32];

		for (size_t j = 0; j < jm->n_rows; j++)
			if (strcmp(text_cell(jm, j, fs_store_table_col(jm, "kind")), "(all)") == 0 &&
			    (int)cell(jm, j, fs_store_table_col(jm, "month")) == m) {
				n = cell(jm, j, fs_store_table_col(jm, "n_jobs"));
				w50 = cell(jm, j, fs_store_table_col(jm, "p50_wait_h"));
				w90 = cell(jm, j, fs_store_table_col(jm, "p90_wait_h"));
				t50 = cell(jm, j, fs_store_table_col(jm, "p50_tts_days"));
				t90 = cell(jm, j, fs_store_table_col(jm, "p90_tts_days"));
			}
		for (size_t j = 0; j < cm->n_rows; j++)
			if ((int)cell(cm, j, fs_store_table_col(cm, "month")) == m)
				c = cell(cm, j, fs_store_table_col(cm, "cost_usd"));
		if (isfinite(t90) && t90 > worst) {
			worst = t90;
			worst_m = m;
		}
		fmt_or_dash(b[0], 32, "%.0f", n);
		fmt_or_dash(b[1], 32, "%.1f", w50);
		fmt_or_dash(b[2], 32, "%.1f", w90);
		fmt_or_dash(b[3], 32, "%.2f", t50);
		fmt_or_dash(b[4], 32, "%.2f", t90);
		fmt_or_dash(b[5], 32, "%.0f", c);
		fprintf(f, "  %5d %7.1f %8s %9s %9s %10s %10s %12s%s\n", m + 1,
			100.0 * cell(um, i, fs_store_table_col(um, "util_frac")), b[0], b[1], b[2],
			b[3], b[4], b[5],
			cell(um, i, fs_store_table_col(um, "in_horizon")) > 0 ? "" : "  (drain)");
	}
	if (worst_m >= 0)
		fprintf(f, "\nworst month by p90 time to solution: month %d (%.2f days)\n", worst_m + 1,
			worst);
	fputs("\nmonths are 30.4375-day periods from the start; wait and time to solution by month\n"
	      "of submission; (drain) = after the horizon, no new jobs arrive.\n\ncharts:", f);
	for (int k = 0; k < n_kinds; k++)
		if (cs[k].points == 0)
			fprintf(f, "\n  %s: no data in this run", kinds[k].name);
		else
			fprintf(f, "\n  %s: %ld points%s", kinds[k].name, cs[k].points,
				cs[k].rendered ? "" : " (not rendered)");
	fputc('\n', f);
}

static void rdata_fini(struct rdata *d)
{
	for (int q = 0; q < FS_Q_N; q++)
		fs_store_table_fini(&d->t[q]);
	for (int k = 0; k < d->n_fleets; k++)
		fs_store_table_fini(&d->fleet_series[k]);
	free(d->fleet_series);
	free(d->fleet_names);
	free(d->fleet_mark_month);
	for (int k = 0; k < 5; k++)
		fs_store_table_fini(&d->sw[k]);
}

static enum fs_status write_summary(const char *dir, const struct rdata *d,
				    const struct chart_kind *kinds, int n, const struct chart_state *cs,
				    void (*text)(FILE *, const struct rdata *, const struct chart_kind *,
						 int, const struct chart_state *),
				    struct fs_error *e)
{
	char path[1024];
	FILE *f;
	int bad;

	path_in(path, sizeof(path), dir, "summary", ".txt");
	if (!(f = fopen(path, "w")))
		return io_fail(e, path, "cannot write");
	text(f, d, kinds, n, cs);
	bad = ferror(f);
	bad |= fclose(f) != 0;
	return bad ? io_fail(e, path, "cannot write") : FS_OK;
}

enum fs_status fs_report_run(struct fs_store *s, int64_t run_id, const struct fs_report_opts *o,
			     struct fs_report_info *info, struct fs_error *e)
{
	enum { N_KINDS = sizeof(run_charts) / sizeof(run_charts[0]) };
	struct chart_state cs[N_KINDS];
	struct fs_run_row run;
	struct rdata d;
	char title[64];
	enum fs_status st;

	memset(info, 0, sizeof(*info));
	memset(&d, 0, sizeof(d));
	memset(cs, 0, sizeof(cs));
	if ((st = fs_store_get_run(s, run_id, &run, e)))
		return st;
	snprintf(title, sizeof(title), "run %lld", (long long)run_id);
	d.title = title;
	d.run = &run;
	if ((st = make_dir(o->out_dir, e)))
		return st;
	for (int q = 0; q < FS_Q_RUN_N; q++) {
		if ((st = fs_store_table_read(s, (enum fs_store_query)q, run_id, &d.t[q], e)))
			goto out;
		if ((st = write_csv(o->out_dir, fs_store_query_name((enum fs_store_query)q), &d.t[q], e)))
			goto out;
		info->n_csv++;
	}
	if ((st = make_charts(o->out_dir, &d, run_charts, N_KINDS, o, cs, info, e)) ||
	    (st = write_summary(o->out_dir, &d, run_charts, N_KINDS, cs, run_summary_text, e)))
		goto out;
	st = write_html(o->out_dir, &d, run_charts, N_KINDS, cs, info, e);
out:
	rdata_fini(&d);
	return st;
}

/* ---- the analysis report ---- */

static void analysis_summary_text(FILE *f, const struct rdata *d, const struct chart_kind *kinds,
				  int n_kinds, const struct chart_state *cs)
{
	const struct fs_store_table *a = &d->t[FS_Q_ANALYSIS], *o = &d->t[FS_Q_OUTGROW];
	int cs_ = fs_store_table_col(a, "summary");

	fprintf(f, "fleetsim report: %s\n\n", d->title);
	fprintf(f, "  %-20s %-20s %26s %24s %12s\n", "fleet", "criterion",
		"first fail month (95% CI)", "scale at month (95% CI)", "usd/month");
	for (size_t i = 0; i < o->n_rows; i++) {
		char b1[64], b2[64], b3[32];
		snprintf(b1, sizeof(b1), "%.1f [%.1f, %.1f]",
			 cell(o, i, fs_store_table_col(o, "first_fail_month_mean")),
			 cell(o, i, fs_store_table_col(o, "first_fail_month_lo")),
			 cell(o, i, fs_store_table_col(o, "first_fail_month_hi")));
		snprintf(b2, sizeof(b2), "%.2f [%.2f, %.2f]",
			 cell(o, i, fs_store_table_col(o, "scale_at_month_mean")),
			 cell(o, i, fs_store_table_col(o, "scale_at_month_ci_lo")),
			 cell(o, i, fs_store_table_col(o, "scale_at_month_ci_hi")));
		if (cell(o, i, fs_store_table_col(o, "n_held")) >=
		    cell(a, 0, fs_store_table_col(a, "replications")))
			fs_strlcpy(b1, "holds to the horizon", sizeof(b1));
		fmt_or_dash(b3, sizeof(b3), "%.0f", cell(o, i, fs_store_table_col(o, "usd_per_month")));
		fprintf(f, "  %-20s %-20s %26s %24s %12s\n",
			text_cell(o, i, fs_store_table_col(o, "fleet")),
			*text_cell(o, i, fs_store_table_col(o, "criterion")) ?
				text_cell(o, i, fs_store_table_col(o, "criterion")) : "(none)",
			b1, b2, b3);
	}
	fputs("\n  month 0 is the first (as in the decision summary); a replication that holds\n"
	      "  counts as the whole horizon. scale: the demand (x the scenario's) at which a\n"
	      "  criterion fails by the analysis month.\n", f);
	if (*text_cell(a, 0, cs_))
		fprintf(f, "\n%s\n", text_cell(a, 0, cs_));
	fputs("\ncharts:", f);
	for (int k = 0; k < n_kinds; k++)
		fprintf(f, "\n  %s: %ld points%s", kinds[k].name, cs[k].points,
			cs[k].points == 0 ? " (no data)" : cs[k].rendered ? "" : " (not rendered)");
	fputs("\n\nthe analysis's tables are in the CSV files beside this summary.\n", f);
}

/* One run per fleet option (the first replication at scale 1) and its outgrow month. */
static enum fs_status analysis_fleets(struct fs_store *s, struct rdata *d, struct fs_error *e)
{
	const struct fs_store_table *runs = &d->t[FS_Q_ANALYSIS_RUNS], *o = &d->t[FS_Q_OUTGROW];
	int cf = fs_store_table_col(runs, "fleet"), cr = fs_store_table_col(runs, "run_id"),
	    of = fs_store_table_col(o, "fleet");
	double reps = cell(&d->t[FS_Q_ANALYSIS], 0, fs_store_table_col(&d->t[FS_Q_ANALYSIS],
									 "replications"));
	enum fs_status st;

	d->fleet_series = calloc(runs->n_rows + 1, sizeof(*d->fleet_series));
	d->fleet_names = calloc(runs->n_rows + 1, sizeof(*d->fleet_names));
	d->fleet_mark_month = calloc(runs->n_rows + 1, sizeof(*d->fleet_mark_month));
	if (!d->fleet_series || !d->fleet_names || !d->fleet_mark_month)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	for (size_t i = 0; cf >= 0 && cr >= 0 && i < runs->n_rows; i++) {
		const char *fl = text_cell(runs, i, cf);
		bool seen = false;
		int k;

		for (k = 0; k < d->n_fleets; k++)
			seen |= strcmp(d->fleet_names[k], fl) == 0;
		if (seen || cell(runs, i, fs_store_table_col(runs, "scale")) != 1.0)
			continue;
		k = d->n_fleets++;
		d->fleet_names[k] = fl;
		d->fleet_mark_month[k] = NAN;
		for (size_t j = 0; of >= 0 && j < o->n_rows; j++)
			if (strcmp(text_cell(o, j, of), fl) == 0 &&
			    cell(o, j, fs_store_table_col(o, "n_held")) < reps)
				d->fleet_mark_month[k] = cell(o, j, fs_store_table_col(o,
								"first_fail_month_mean"));
		if ((st = fs_store_table_read(s, FS_Q_SERIES, (int64_t)cell(runs, i, cr),
					      &d->fleet_series[k], e)))
			return st;
	}
	return FS_OK;
}

enum fs_status fs_report_analysis(struct fs_store *s, int64_t analysis_id,
				  const struct fs_report_opts *o, struct fs_report_info *info,
				  struct fs_error *e)
{
	enum { N_KINDS = sizeof(analysis_charts) / sizeof(analysis_charts[0]) };
	struct chart_state cs[N_KINDS];
	struct rdata d;
	char title[64];
	enum fs_status st;

	memset(info, 0, sizeof(*info));
	memset(&d, 0, sizeof(d));
	memset(cs, 0, sizeof(cs));
	if (!fs_store_has_table(s, "analyses"))
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
				    "no analysis with id %lld: the database holds no analyses (run "
				    "'fleetsim outgrow' first)", (long long)analysis_id);
	if ((st = fs_store_table_read(s, FS_Q_ANALYSIS, analysis_id, &d.t[FS_Q_ANALYSIS], e)))
		return st;
	if (d.t[FS_Q_ANALYSIS].n_rows == 0) {
		rdata_fini(&d);
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL, "no analysis with id %lld",
				    (long long)analysis_id);
	}
	snprintf(title, sizeof(title), "analysis %lld", (long long)analysis_id);
	d.title = title;
	if ((st = make_dir(o->out_dir, e)))
		goto out;
	for (int q = FS_Q_RUN_N; q < FS_Q_N; q++) {
		/* a table of the analysis this database lacks is left out (not written yet) */
		if (q != FS_Q_ANALYSIS && !fs_store_has_table(s, fs_store_query_name((enum fs_store_query)q)))
			continue;
		if (q != FS_Q_ANALYSIS &&
		    (st = fs_store_table_read(s, (enum fs_store_query)q, analysis_id, &d.t[q], e)))
			goto out;
		if ((st = write_csv(o->out_dir, fs_store_query_name((enum fs_store_query)q), &d.t[q], e)))
			goto out;
		info->n_csv++;
	}
	if ((st = analysis_fleets(s, &d, e)) ||
	    (st = make_charts(o->out_dir, &d, analysis_charts, N_KINDS, o, cs, info, e)) ||
	    (st = write_summary(o->out_dir, &d, analysis_charts, N_KINDS, cs, analysis_summary_text,
				e)))
		goto out;
	st = write_html(o->out_dir, &d, analysis_charts, N_KINDS, cs, info, e);
out:
	rdata_fini(&d);
	return st;
}

/* ---- compare ---- */

static double m_mean_wait_h(const struct fs_run_row *r) { return r->sum.mean_wait_s / 3600.0; }
static double m_p90_wait_h(const struct fs_run_row *r) { return r->sum.p90_wait_s / 3600.0; }
static double m_mean_tts_days(const struct fs_run_row *r) { return r->sum.mean_tts_s / DAY_S; }
static double m_p90_tts_days(const struct fs_run_row *r) { return r->sum.p90_tts_s / DAY_S; }
static double m_infeasible(const struct fs_run_row *r) { return (double)r->sum.n_infeasible; }
static double m_done(const struct fs_run_row *r) { return (double)r->sum.n_done_in_horizon; }
static double m_util(const struct fs_run_row *r) { return r->sum.mean_util_frac; }
static double m_attain(const struct fs_run_row *r) { return r->sum.serve_attainment_frac; }
static double m_cost(const struct fs_run_row *r) { return r->sum.fleet_cost_usd; }
static double m_gpus(const struct fs_run_row *r) { return (double)r->gpus; }
static double m_gpu_hours(const struct fs_run_row *r) { return r->sum.gpu_hours; }
static double m_makespan(const struct fs_run_row *r) { return r->sum.makespan_s / DAY_S; }
static double m_energy(const struct fs_run_row *r) { return r->sum.cost.energy_kwh; }
static double m_lost(const struct fs_run_row *r) { return r->sum.gpu_hours_lost; }
static double m_per_job(const struct fs_run_row *r) { return r->sum.usd_per_training_job; }
static double m_per_mtok(const struct fs_run_row *r) { return r->sum.usd_per_mtok_served; }
static double m_idle(const struct fs_run_row *r) { return r->sum.idle_cost_usd; }

static double m_usd_per_gpu_hour(const struct fs_run_row *r)
{
	return r->sum.gpu_hours > 0 ? r->sum.fleet_cost_usd / r->sum.gpu_hours : NAN;
}

static const struct fs_compare_metric metrics[] = {
	{ "gpus", "GPUs", FS_BETTER_NONE, m_gpus },
	{ "mean_wait_h", "h", FS_BETTER_LOWER, m_mean_wait_h },
	{ "p90_wait_h", "h", FS_BETTER_LOWER, m_p90_wait_h },
	{ "mean_tts_days", "days", FS_BETTER_LOWER, m_mean_tts_days },
	{ "p90_tts_days", "days", FS_BETTER_LOWER, m_p90_tts_days },
	{ "n_done_in_horizon", "jobs", FS_BETTER_HIGHER, m_done },
	{ "n_infeasible", "jobs", FS_BETTER_LOWER, m_infeasible },
	{ "makespan_days", "days", FS_BETTER_LOWER, m_makespan },
	{ "mean_util_frac", "fraction", FS_BETTER_NONE, m_util },
	{ "serve_attainment_frac", "fraction", FS_BETTER_HIGHER, m_attain },
	{ "gpu_hours", "GPU-h", FS_BETTER_NONE, m_gpu_hours },
	{ "gpu_hours_lost", "GPU-h", FS_BETTER_LOWER, m_lost },
	{ "fleet_cost_usd", "USD", FS_BETTER_LOWER, m_cost },
	{ "usd_per_job_gpu_hour", "USD/GPU-h", FS_BETTER_LOWER, m_usd_per_gpu_hour },
	{ "usd_per_training_job", "USD/job", FS_BETTER_LOWER, m_per_job },
	{ "usd_per_mtok_served", "USD/Mtok", FS_BETTER_LOWER, m_per_mtok },
	{ "idle_cost_usd", "USD", FS_BETTER_LOWER, m_idle },
	{ "energy_kwh", "kWh", FS_BETTER_LOWER, m_energy },
};

const struct fs_compare_metric *fs_compare_metrics(int *n)
{
	*n = (int)(sizeof(metrics) / sizeof(metrics[0]));
	return metrics;
}

const char *fs_compare_winner(const struct fs_compare_metric *m, double a, double b)
{
	double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);

	if (!isfinite(a) || !isfinite(b) || m->better == FS_BETTER_NONE)
		return "-";
	if (fabs(a - b) <= 1e-9 * scale)
		return "same";
	if (m->better == FS_BETTER_LOWER)
		return a < b ? "a" : "b";
	return a > b ? "a" : "b";
}

/* The outgrow metrics of an analysis comparison; name is the outgrow table's column. */
static const struct fs_compare_metric outgrow_metrics[] = {
	{ "first_fail_month_mean", "month", FS_BETTER_HIGHER, NULL },
	{ "n_held", "reps", FS_BETTER_HIGHER, NULL },
	{ "scale_at_month_mean", "x demand", FS_BETTER_HIGHER, NULL },
	{ "usd_per_month", "USD", FS_BETTER_LOWER, NULL },
	{ "usd_per_training_run", "USD", FS_BETTER_LOWER, NULL },
	{ "usd_per_mtok", "USD/Mtok", FS_BETTER_LOWER, NULL },
};

enum fs_status fs_compare_analyses(struct fs_store *s, int64_t a, int64_t b, fs_compare_fn fn,
				   void *ctx, struct fs_error *e)
{
	struct fs_store_table t[2] = { { 0 }, { 0 } }, an = { 0 };
	int64_t ids[2] = { a, b };
	enum fs_status st = FS_OK;
	int n_common = 0;

	if (!fs_store_has_table(s, "analyses") || !fs_store_has_table(s, "outgrow"))
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL, "no analysis with id %lld: the "
				    "database holds no analyses (run 'fleetsim outgrow' first)",
				    (long long)a);
	for (int k = 0; k < 2; k++) {
		if ((st = fs_store_table_read(s, FS_Q_ANALYSIS, ids[k], &an, e)))
			goto out;
		if (an.n_rows == 0) {
			st = fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL, "no analysis with id %lld",
					  (long long)ids[k]);
			goto out;
		}
		fs_store_table_fini(&an);
		if ((st = fs_store_table_read(s, FS_Q_OUTGROW, ids[k], &t[k], e)))
			goto out;
	}
	for (size_t i = 0; i < t[0].n_rows; i++) {
		const char *fl = text_cell(&t[0], i, fs_store_table_col(&t[0], "fleet"));

		for (size_t j = 0; j < t[1].n_rows; j++) {
			if (strcmp(fl, text_cell(&t[1], j, fs_store_table_col(&t[1], "fleet"))) != 0)
				continue;
			n_common++;
			for (size_t m = 0; m < sizeof(outgrow_metrics) / sizeof(*outgrow_metrics); m++) {
				const char *col = outgrow_metrics[m].name;
				if (fn(ctx, fl, &outgrow_metrics[m],
				       cell(&t[0], i, fs_store_table_col(&t[0], col)),
				       cell(&t[1], j, fs_store_table_col(&t[1], col))))
					goto out;
			}
		}
	}
	if (n_common == 0)
		st = fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL, "analyses %lld and %lld have no fleet "
				  "option of the same name to compare", (long long)a, (long long)b);
out:
	fs_store_table_fini(&an);
	fs_store_table_fini(&t[0]);
	fs_store_table_fini(&t[1]);
	return st;
}

/* ---- the sweep report ---- */

static void sweep_summary_text(FILE *f, const struct rdata *d, const struct chart_kind *kinds,
			       int n_kinds, const struct chart_state *cs)
{
	const struct fs_store_table *r = &d->sw[SW_ROW], *o = &d->sw[SW_OUTCOMES];
	char lab[128];

	fprintf(f, "fleetsim report: %s\n\n", d->title);
	fprintf(f, "  sweep '%s' of scenario '%s' (%s), sha256 %.12s\n",
		text_cell(r, 0, fs_store_table_col(r, "name")),
		text_cell(r, 0, fs_store_table_col(r, "base_name")),
		text_cell(r, 0, fs_store_table_col(r, "base_file")),
		text_cell(r, 0, fs_store_table_col(r, "sha256")));
	fprintf(f, "  %.0f points x %.0f fleet options x %.0f replications = %.0f items, seed %.0f\n\n",
		cell(r, 0, fs_store_table_col(r, "n_points")),
		cell(r, 0, fs_store_table_col(r, "n_fleets")),
		cell(r, 0, fs_store_table_col(r, "replications")),
		cell(r, 0, fs_store_table_col(r, "n_items")), cell(r, 0, fs_store_table_col(r, "seed")));
	fprintf(f, "  %-24s %-18s %4s %5s %20s %22s %7s %8s\n", "point (values)", "fleet", "n", "held",
		"fail month (95% CI)", "usd/month (95% CI)", "util%", "attain%");
	for (size_t i = 0; i < o->n_rows; i++) {
		char b1[64], b2[64], b3[16], b4[16];
		sw_point_label(d, (size_t)cell(o, i, fs_store_table_col(o, "point")), lab, sizeof(lab));
		snprintf(b1, sizeof(b1), "%.1f +- %.1f", cell(o, i, fs_store_table_col(o, "fail_month_mean")),
			 cell(o, i, fs_store_table_col(o, "fail_month_ci95")));
		snprintf(b2, sizeof(b2), "%.0f +- %.0f",
			 cell(o, i, fs_store_table_col(o, "usd_per_month_mean")),
			 cell(o, i, fs_store_table_col(o, "usd_per_month_ci95")));
		fmt_or_dash(b3, sizeof(b3), "%.1f", 100 * cell(o, i, fs_store_table_col(o, "util_mean")));
		fmt_or_dash(b4, sizeof(b4), "%.2f", 100 * cell(o, i, fs_store_table_col(o, "attain_mean")));
		fprintf(f, "  %-24s %-18s %4.0f %5.0f %20s %22s %7s %8s\n", lab,
			text_cell(o, i, fs_store_table_col(o, "fleet")),
			cell(o, i, fs_store_table_col(o, "n")), cell(o, i, fs_store_table_col(o, "n_held")),
			b1, b2, b3, b4);
	}
	fputs("\n  fail month: the first month (0 = the first) a criterion fails; a replication\n"
	      "  that holds counts as the horizon's months (held: how many held). +-: half the\n"
	      "  95 % t-interval over the replications (- with one replication).\n", f);
	fputs("\ncharts:", f);
	for (int k = 0; k < n_kinds; k++)
		fprintf(f, "\n  %s: %ld points%s", kinds[k].name, cs[k].points,
			cs[k].points == 0 ? " (no data)" : cs[k].rendered ? "" : " (not rendered)");
	fputs("\n\nthe sweep's tables are in the CSV files beside this summary.\n", f);
}

enum fs_status fs_report_sweep(struct fs_store *s, int64_t sweep_id, const struct fs_report_opts *o,
			       struct fs_report_info *info, struct fs_error *e)
{
	enum { N_KINDS = sizeof(sweep_charts) / sizeof(sweep_charts[0]) };
	static const struct { const char *table, *key; } reads[5] = {
		[SW_ROW] = { "sweeps", "id" }, [SW_PARAMS] = { "sweep_params", "sweep_id" },
		[SW_POINTS] = { "sweep_points", "sweep_id" }, [SW_FLEETS] = { "sweep_fleets", "sweep_id" },
		[SW_OUTCOMES] = { "sweep_outcomes", "sweep_id" },
	};
	struct chart_state cs[N_KINDS];
	struct fs_store_table items;
	struct rdata d;
	char title[64], sha[65];
	enum fs_status st;

	memset(info, 0, sizeof(*info));
	memset(&d, 0, sizeof(d));
	memset(cs, 0, sizeof(cs));
	if ((st = fs_store_sweep_find(s, sweep_id, sha, e)))
		return st;
	snprintf(title, sizeof(title), "sweep %lld", (long long)sweep_id);
	d.title = title;
	if ((st = make_dir(o->out_dir, e)))
		return st;
	for (int k = 0; k < 5; k++) {
		if ((st = fs_store_table_read_where(s, reads[k].table, reads[k].key, sweep_id, &d.sw[k], e)))
			goto out;
		if (k != SW_ROW && (st = write_csv(o->out_dir, reads[k].table, &d.sw[k], e)))
			goto out;
		info->n_csv += k != SW_ROW;
	}
	if ((st = fs_store_table_read_where(s, "sweep_items", "sweep_id", sweep_id, &items, e)))
		goto out;
	st = write_csv(o->out_dir, "sweep_items", &items, e);
	fs_store_table_fini(&items);
	if (st)
		goto out;
	info->n_csv++;
	if ((st = make_charts(o->out_dir, &d, sweep_charts, N_KINDS, o, cs, info, e)) ||
	    (st = write_summary(o->out_dir, &d, sweep_charts, N_KINDS, cs, sweep_summary_text, e)))
		goto out;
	st = write_html(o->out_dir, &d, sweep_charts, N_KINDS, cs, info, e);
out:
	rdata_fini(&d);
	return st;
}
