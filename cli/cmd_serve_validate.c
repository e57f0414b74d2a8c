/*
 * cmd_serve_validate.c - `fleetsim validate serve`: the serving model against
 * the published measurements compiled in from models/calibration/serving.csv.
 * Parsing and printing only; rows are loaded and predicted by serve_calib.h,
 * errors summarised by stats.h.
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/builtin.h"
#include "fleetsim/replica.h"
#include "fleetsim/scenario.h"
#include "fleetsim/serve_calib.h"
#include "fleetsim/stats.h"
#include "fleetsim/util.h"

#define CMD "validate serve"

static const char usage[] =
	"usage: fleetsim validate serve [--format table|csv|json]\n"
	"\n"
	"Runs the serving model on every row of the calibration set compiled into the\n"
	"binary (models/calibration/serving.csv) and prints predicted against published,\n"
	"the relative error, and the median and worst absolute error over the shared\n"
	"calibration rows (set 'cal', the targets) and, separately, over the extra rows\n"
	"from the same published sources (set 'extra', also used in the fit) and over\n"
	"rows never used in the fit (set 'holdout'). Rows of set 'excluded' are listed\n"
	"with the reason they do not count.\n"
	"\n"
	"Then the residuals of every counted row (cal, extra, holdout) grouped by GPU and\n"
	"precision and by shape (prompt-heavy, output-heavy, balanced, latency): rows,\n"
	"mean signed speed error (+ = the model is too fast: predicted/published - 1 for\n"
	"throughputs, published/predicted - 1 for latencies) and median |error|; and the\n"
	"H100/A100 and H200/H100 throughput ratios on the same software (geometric mean\n"
	"over the pairs of rows that differ only in the GPU) against the published ones.\n"
	"csv/json add records group_gpu, group_shape and ratio with these figures.\n";

static const struct fs_opt opts[] = { FS_CLI_OPT_FORMAT };
#define N_OPTS ((int)(sizeof(opts) / sizeof(opts[0])))

/* One row's outcome. */
struct outcome {
	bool simulated;
	double predicted, err;
	char why[256];
};

/* Errors of the simulated rows of one set, summarised; worst is a row index or -1. */
struct set_summary {
	struct fs_err_summary s;
	long worst;
};

static void summarize_set(const struct fs_serve_calib_row *rows, const struct outcome *out, size_t n,
			  enum fs_serve_calib_set set, double *errs, long *idx, double *scratch,
			  struct set_summary *sum)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (rows[i].set != set || !out[i].simulated)
			continue;
		errs[k] = out[i].err;
		idx[k++] = (long)i;
	}
	fs_err_summarize(errs, k, scratch, &sum->s);
	sum->worst = k ? idx[sum->s.worst_index] : -1;
}

static const struct fs_emit_col cols[] = {
	{ .name = "id", .type = FS_EMIT_STR },
	{ .name = "set", .type = FS_EMIT_STR },
	{ .name = "metric", .type = FS_EMIT_STR },
	{ .name = "unit", .type = FS_EMIT_STR },
	{ .name = "published", .type = FS_EMIT_NUM },
	{ .name = "predicted", .type = FS_EMIT_NUM },
	{ .name = "rel_error", .type = FS_EMIT_NUM, .fmt = "%.4f" },
	{ .name = "in_stats", .type = FS_EMIT_INT },
	{ .name = "note", .type = FS_EMIT_STR },
};
#define N_COLS ((int)(sizeof(cols) / sizeof(cols[0])))

static void emit_summary(struct fs_emitter *em, const char *id, const char *what, bool in_stats,
			 double n, double value, const char *note)
{
	struct fs_emit_val v[N_COLS] = {
		fs_emit_str(id), fs_emit_missing(), fs_emit_str(what), fs_emit_missing(), fs_emit_num(n),
		fs_emit_missing(), fs_emit_num(value), fs_emit_int(in_stats),
		note ? fs_emit_str(note) : fs_emit_missing(),
	};

	fs_emit_row(em, v);
}

/* The grouped residuals and ratio checks of one run of the rows. */
struct analysis {
	struct fs_serve_resid_group groups[FS_SERVE_GROUP_COUNT][32];
	size_t n_groups[FS_SERVE_GROUP_COUNT];
	struct fs_serve_ratio_check ratios[16];
	size_t n_ratios;
};

/* The GPU pairs whose throughput ratio is checked: b over a. */
static const char *const ratio_pairs[][2] = {
	{ "A100-SXM4-80GB", "H100-SXM5-80GB" },
	{ "H100-SXM5-80GB", "H200-SXM-141GB" },
};

static void analyse(const struct fs_serve_calib_row *rows, const double *pred, size_t n,
		    double *scratch, struct analysis *a)
{
	memset(a, 0, sizeof(*a));
	for (int by = 0; by < FS_SERVE_GROUP_COUNT; by++)
		a->n_groups[by] = fs_serve_calib_group(rows, pred, n, (enum fs_serve_group_by)by,
						       a->groups[by], 32, scratch);
	for (size_t p = 0; p < sizeof(ratio_pairs) / sizeof(ratio_pairs[0]); p++)
		a->n_ratios += fs_serve_calib_ratios(rows, pred, n, ratio_pairs[p][0], ratio_pairs[p][1],
						     a->ratios + a->n_ratios, 16 - a->n_ratios);
}

static const char *const group_ids[FS_SERVE_GROUP_COUNT] = { "group_gpu", "group_shape" };

static void emit_analysis(struct fs_emitter *em, const struct analysis *a)
{
	for (int by = 0; by < FS_SERVE_GROUP_COUNT; by++)
		for (size_t g = 0; g < a->n_groups[by]; g++) {
			const struct fs_serve_resid_group *x = &a->groups[by][g];
			emit_summary(em, group_ids[by], "mean_speed_error", false, (double)x->n,
				     x->mean_signed, x->name);
			emit_summary(em, group_ids[by], "median_abs_speed_error", false, (double)x->n,
				     x->median_abs, x->name);
		}
	for (size_t k = 0; k < a->n_ratios; k++) {
		const struct fs_serve_ratio_check *c = &a->ratios[k];
		char note[256];
		snprintf(note, sizeof(note), "%s / %s, %s: published %.4g, predicted %.4g", c->gpu_b,
			 c->gpu_a, c->software, c->published, c->predicted);
		emit_summary(em, "ratio", "ratio_error", false, (double)c->n_pairs, c->err, note);
	}
}

static void print_analysis(const struct analysis *a)
{
	static const char *const titles[FS_SERVE_GROUP_COUNT] = { "GPU and precision", "shape" };

	for (int by = 0; by < FS_SERVE_GROUP_COUNT; by++) {
		printf("\nresiduals by %s (speed error: + = model too fast)\n", titles[by]);
		printf("  %-32s %5s %9s %12s\n", "group", "rows", "mean", "median |e|");
		for (size_t g = 0; g < a->n_groups[by]; g++) {
			const struct fs_serve_resid_group *x = &a->groups[by][g];
			printf("  %-32s %5zu %+8.1f%% %11.1f%%\n", x->name, x->n, 100.0 * x->mean_signed,
			       100.0 * x->median_abs);
		}
	}
	printf("\nthroughput ratios on the same software (target: within 8%%)\n");
	for (size_t k = 0; k < a->n_ratios; k++) {
		const struct fs_serve_ratio_check *c = &a->ratios[k];
		printf("  %s / %s, %s: %zu pairs, published %.3gx, predicted %.3gx (%+.1f%%; worst pair %+.1f%%)\n",
		       c->gpu_b, c->gpu_a, c->software, c->n_pairs, c->published, c->predicted,
		       100.0 * c->err, 100.0 * c->worst_pair_err);
	}
}

static void emit_rows(const struct fs_emit_format *f, const struct fs_serve_calib_row *rows,
		      const struct outcome *out, size_t n, const struct set_summary *sum,
		      const struct analysis *a)
{
	static const struct {
		const char *id;
		enum fs_serve_calib_set set;
	} sets[] = { { "summary_cal", FS_SERVE_SET_CAL },
		     { "summary_extra", FS_SERVE_SET_EXTRA },
		     { "summary_holdout", FS_SERVE_SET_HOLDOUT } };
	struct fs_emitter em;

	fs_emit_begin(&em, stdout, f, cols, N_COLS, false);
	for (size_t i = 0; i < n; i++) {
		const struct fs_serve_calib_row *r = &rows[i];
		struct fs_emit_val v[N_COLS] = {
			fs_emit_str(r->id), fs_emit_str(fs_serve_calib_set_name(r->set)),
			fs_emit_str(r->metric_text), fs_emit_str(r->unit), fs_emit_num(r->value),
			out[i].simulated ? fs_emit_num(out[i].predicted) : fs_emit_missing(),
			out[i].simulated ? fs_emit_num(out[i].err) : fs_emit_missing(),
			fs_emit_int(r->set == FS_SERVE_SET_CAL),
			fs_emit_str(out[i].simulated ? r->note : out[i].why),
		};
		fs_emit_row(&em, v);
	}
	for (int k = 0; k < 3; k++) {
		const struct set_summary *s = &sum[sets[k].set];
		bool cal = sets[k].set == FS_SERVE_SET_CAL;
		emit_summary(&em, sets[k].id, "median_abs_rel_error", cal, (double)s->s.n, s->s.median,
			     NULL);
		emit_summary(&em, sets[k].id, "worst_abs_rel_error", cal, (double)s->s.n, s->s.worst,
			     s->worst >= 0 ? rows[s->worst].id : "");
	}
	emit_analysis(&em, a);
	fs_emit_end(&em);
}

static void print_summary_line(const char *what, const struct set_summary *s,
			       const struct fs_serve_calib_row *rows)
{
	printf("%s: %zu rows, median |error| %.1f%%, worst %.1f%% (%s)\n", what, s->s.n,
	       100.0 * s->s.median, 100.0 * s->s.worst, s->worst >= 0 ? rows[s->worst].id : "-");
}

static void print_table(const struct fs_serve_calib_row *rows, const struct outcome *out, size_t n,
			const struct set_summary *sum, const struct analysis *a)
{
	printf("%-44s %-6s %-25s %11s %11s %8s\n", "row", "set", "metric", "published", "predicted",
	       "error");
	for (size_t i = 0; i < n; i++) {
		const struct fs_serve_calib_row *r = &rows[i];
		const char *set = fs_serve_calib_set_name(r->set);
		if (r->set == FS_SERVE_SET_EXCLUDED)
			continue;
		if (out[i].simulated)
			printf("%-44s %-6s %-25s %11.5g %11.5g %+7.1f%%\n", r->id, set, r->metric_text,
			       r->value, out[i].predicted, 100.0 * out[i].err);
		else
			printf("%-44s %-6s %-25s %11.5g %11s   %s\n", r->id, set, r->metric_text, r->value,
			       "-", out[i].why);
	}
	printf("\n");
	print_summary_line("calibration set (shared rows, the targets)", &sum[FS_SERVE_SET_CAL], rows);
	printf("  rows above 15%%:");
	for (size_t i = 0, k = 0; i < n; i++)
		if (rows[i].set == FS_SERVE_SET_CAL && out[i].simulated && fabs(out[i].err) > 0.15)
			printf("%s %s (%+.0f%%)", k++ ? "," : "", rows[i].id, 100.0 * out[i].err);
	printf("\n");
	print_summary_line("extra published rows (same sources, used in the fit)",
			   &sum[FS_SERVE_SET_EXTRA], rows);
	print_summary_line("holdout rows (never used in the fit)", &sum[FS_SERVE_SET_HOLDOUT], rows);
	print_analysis(a);
	printf("\nexcluded from the statistics:\n");
	for (size_t i = 0; i < n; i++) {
		const struct fs_serve_calib_row *r = &rows[i];
		if (r->set != FS_SERVE_SET_EXCLUDED)
			continue;
		if (out[i].simulated)
			printf("  %-42s %11.5g published, %11.5g predicted (%+.1f%%)\n    %s\n", r->id,
			       r->value, out[i].predicted, 100.0 * out[i].err, r->note);
		else
			printf("  %-42s %s\n", r->id, r->note[0] ? r->note : out[i].why);
	}
}

int fs_cli_validate_serve(int argc, char **argv)
{
	struct fs_opt_val vals[N_OPTS];
	struct fs_serve_calib_row *rows = NULL;
	struct outcome *out = NULL;
	struct set_summary sum[FS_SERVE_SET_COUNT];
	double *errs = NULL, *scratch = NULL, *pred = NULL;
	struct analysis *an = NULL;
	long *idx = NULL;
	struct fs_catalog cat;
	struct fs_replica_ws *ws = NULL;
	struct fs_error e;
	size_t n = 0;
	int rc;

	if (fs_cli_wants_help(argc, argv)) {
		fs_cli_help(usage, opts, N_OPTS);
		return 0;
	}
	if ((rc = fs_cli_parse(CMD, opts, N_OPTS, argc, argv, vals, NULL, 0, NULL)))
		return rc;
	fs_error_clear(&e);
	if (fs_serve_calib_load(fs_builtin_serving_csv, fs_builtin_serving_csv_path, &rows, &n, &e))
		return fs_cli_report(&e);
	if (fs_catalog_load_builtin(&cat, &e)) {
		free(rows);
		return fs_cli_report(&e);
	}
	out = calloc(n + 1, sizeof(*out));
	errs = calloc(n + 1, sizeof(*errs));
	scratch = calloc(n + 1, sizeof(*scratch));
	idx = calloc(n + 1, sizeof(*idx));
	pred = calloc(3 * n + 1, sizeof(*pred));
	an = calloc(1, sizeof(*an));
	if (!out || !errs || !scratch || !idx || !pred || !an || fs_replica_ws_create(&ws, 1024)) {
		fs_error_set(&e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		rc = fs_cli_report(&e);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		struct outcome *o = &out[i];
		fs_error_clear(&e);
		o->simulated = fs_serve_calib_predict(&cat, ws, &rows[i], &o->predicted, &e) == FS_OK;
		if (o->simulated)
			o->err = (o->predicted - rows[i].value) / rows[i].value;
		else
			fs_strlcpy(o->why, e.msg, sizeof(o->why));
		pred[i] = o->simulated ? o->predicted : NAN;
	}
	/* The grouping needs 2n scratch doubles: pred holds 3n. */
	analyse(rows, pred, n, pred + n, an);
	for (int s = 0; s < FS_SERVE_SET_COUNT; s++)
		summarize_set(rows, out, n, (enum fs_serve_calib_set)s, errs, idx, scratch, &sum[s]);
	if (!vals[0].set || strcmp(vals[0].s, "table") == 0)
		print_table(rows, out, n, sum, an);
	else
		emit_rows(fs_cli_format(&vals[0]), rows, out, n, sum, an);
	rc = 0;
done:
	fs_replica_ws_destroy(ws);
	fs_catalog_fini(&cat);
	free(an);
	free(pred);
	free(idx);
	free(scratch);
	free(errs);
	free(out);
	free(rows);
	return rc;
}
