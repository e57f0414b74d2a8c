/*
 * cmd_train_validate.c - `fleetsim validate train`: the training model over
 * the calibration rows compiled in from models/calibration/training.csv.
 * Parsing and printing only; rows are loaded and predicted by train.h
 * (models/train_calib.c), errors summarised by stats.h.
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/builtin.h"
#include "fleetsim/catalog.h"
#include "fleetsim/scenario.h"
#include "fleetsim/stats.h"
#include "fleetsim/train.h"

#define CMD "validate train"

static const char usage[] =
	"usage: fleetsim validate train [--format table|csv|json] [--rows step|run|all]\n"
	"\n"
	"Runs the training model over the calibration rows compiled in from\n"
	"models/calibration/training.csv (published layout, the rest searched) and\n"
	"prints per row the published and predicted figure and the relative error,\n"
	"then the median and worst absolute error of the step-level rows (all, and\n"
	"the shared set alone) and of the whole-run rows. Whole-run rows are run twice:\n"
	"with the published layout (kind run) and as a blind check would run them, GPU,\n"
	"GPU count, model, sequence and tokens only, the rest searched (kind run-search).\n"
	"Their role: fit (used to fit the two stall coefficients of the whole-run goodput\n"
	"model), holdout (scored, not fitted), ref (reported, not scored). Step-level rows\n"
	"run on the software stack their source used (models/train_calib.c maps row ids to\n"
	"stacks); a step-level row may be held out. Then the step-level residuals by GPU\n"
	"and precision (n, mean signed error, + = predicted faster, median |error|), the\n"
	"published speed ratios on the same software (H100/A100, FP8/BF16) against the\n"
	"predicted ones, and the stall fit re-derived from the fit rows (searched layouts)\n"
	"with its fit and holdout errors.\n";

static const char *const rows_names[] = { "all", "step", "run", NULL };
enum { ROWS_ALL, ROWS_STEP, ROWS_RUN };

enum { O_FORMAT, O_ROWS, N_OPTS };
static const struct fs_opt opts[N_OPTS] = {
	[O_FORMAT] = FS_CLI_OPT_FORMAT,
	[O_ROWS] = { .name = "rows", .type = FS_OPT_ENUM, .metavar = "R", .choices = rows_names,
		     .def = "all", .help = "step-level rows, whole-run rows, or both" },
};

static const struct fs_emit_col cols[] = {
	{ .name = "id", .type = FS_EMIT_STR },
	{ .name = "kind", .type = FS_EMIT_STR },
	{ .name = "added", .type = FS_EMIT_INT },
	{ .name = "role", .type = FS_EMIT_STR },
	{ .name = "metric", .type = FS_EMIT_STR },
	{ .name = "published", .type = FS_EMIT_NUM },
	{ .name = "predicted", .type = FS_EMIT_NUM },
	{ .name = "rel_error", .type = FS_EMIT_NUM, .fmt = "%.4f" },
	{ .name = "gpu", .type = FS_EMIT_STR },
	{ .name = "gpus", .type = FS_EMIT_INT },
	FS_CLI_PLAN_COLS,
	{ .name = "precision", .type = FS_EMIT_STR },
	{ .name = "stack", .type = FS_EMIT_STR },
};
#define N_COLS ((int)(sizeof(cols) / sizeof(cols[0])))

/* The |errors| of one group of rows and their ids. */
struct err_list {
	double *v;
	const char **id;
	size_t n;
};

static void err_add(struct err_list *l, double err, const char *id)
{
	l->v[l->n] = err;
	l->id[l->n++] = id;
}

static void err_print(const char *label, const struct err_list *l, double *scratch)
{
	struct fs_err_summary s;

	if (l->n == 0) {
		printf("%-36s none\n", label);
		return;
	}
	fs_err_summarize(l->v, l->n, scratch, &s);
	printf("%-36s %3zu rows   median |error| %5.1f%%   worst %5.1f%% (%s)\n", label, s.n,
	       100.0 * s.median, 100.0 * s.worst, l->id[s.worst_index]);
}

static const char *role_name(enum fs_train_calib_role r)
{
	static const char *const names[] = { "", "fit", "holdout", "ref" };

	return (int)r >= 0 && (int)r < 4 ? names[r] : "";
}

/*
 * Predicts one row (searched: as a blind check, else with the published
 * layout), prints it and returns its relative error (INFINITY when no plan
 * was found). em is NULL for the table.
 */
static double validate_row(struct fs_train_memo *memo, const struct fs_train_calib_row *row,
			   bool searched, struct fs_emitter *em, double *pred_out,
			   enum fs_precision *prec_out, struct fs_goodput_obs *obs)
{
	bool is_run = fs_train_metric_is_run(row->metric);
	const char *kind = !is_run ? "step" : searched ? "run-search" : "run";
	struct fs_train_result res;
	struct fs_error e;
	double pred = 0, err;
	enum fs_status st;

	fs_error_clear(&e);
	memset(&res, 0, sizeof(res));
	st = searched ? fs_train_calib_predict_searched(memo, row, &pred, &res, &e)
		      : fs_train_calib_predict(memo, row, &pred, &res, &e);
	err = st ? INFINITY : (pred - row->value) / row->value;
	if (obs && !st && res.run.wall_s > 0 && isfinite(res.run.wall_s)) {
		obs->run = res.run_in;
		obs->published_wall_s = res.run.wall_s * row->value / pred;
	}
	*pred_out = st ? NAN : pred;
	*prec_out = res.precision;
	if (em) {
		struct fs_emit_val v[N_COLS] = {
			fs_emit_str(row->id), fs_emit_str(kind), fs_emit_int(row->added),
			fs_emit_str(role_name(row->role)), fs_emit_str(fs_train_metric_name(row->metric)),
			fs_emit_num(row->value), fs_emit_num(pred), fs_emit_num(err),
			fs_emit_str(row->req.gpu->name), fs_emit_int(row->req.n_gpus),
			[10 + FS_CLI_N_PLAN_COLS] = fs_emit_str(fs_precision_name(res.precision)),
			[11 + FS_CLI_N_PLAN_COLS] = fs_emit_str(fs_train_stack_name(row->req.stack)),
		};
		fs_cli_plan_vals(&res.plan, &v[10]);
		if (st)
			for (int k = 6; k < N_COLS - 1; k++)
				v[k] = fs_emit_missing();
		fs_emit_row(em, v);
		return err;
	}
	if (st) {
		char buf[1200];
		fs_error_format(&e, buf, sizeof(buf));
		printf("%-34s %-10s %-7s %-21s %11.5g %11s %8s  %s\n", row->id, kind,
		       role_name(row->role), fs_train_metric_name(row->metric), row->value, "-", "-", buf);
		return err;
	}
	printf("%-34s %-10s %-7s %-21s %11.5g %11.5g %+7.1f%%  %d/%d/%d/%d/%d, %d, %s, %d, %s\n", row->id,
	       kind, role_name(row->role), fs_train_metric_name(row->metric), row->value, pred,
	       100.0 * err, res.plan.tp, res.plan.pp, res.plan.cp, res.plan.dp, res.plan.vp,
	       res.plan.micro_batch, fs_recompute_name(res.plan.recompute), res.plan.zero,
	       fs_train_stack_name(row->req.stack));
	return err;
}

enum { L_ALL_STEP, L_SHARED_STEP, L_HOLD_STEP, L_RUN_PUB, L_RUN_SEARCH, L_FIT_SEARCH, L_HOLD_SEARCH,
       L_RATIO, N_LISTS };

/* Per-row results of the step-level pass, for grouping and ratios. */
struct step_out {
	const char **gpu;
	enum fs_precision *prec;
	double *speed_err;
	double *pred;
	size_t n;
};

/* Index of the row named id, or n when absent. */
static size_t row_index(const struct fs_train_calib_row *rows, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n && strcmp(rows[i].id, id) != 0; i++)
		;
	return i;
}

/* The published-ratio rows: printed (table) or emitted, errors into l. */
static void validate_ratios(const struct fs_train_calib_row *rows, size_t n, const double *pred,
			    struct fs_emitter *em, struct err_list *l)
{
	size_t nr;
	const struct fs_train_calib_ratio *r = fs_train_calib_ratios(&nr);

	for (size_t k = 0; k < nr; k++) {
		size_t a = row_index(rows, n, r[k].num_id), b = row_index(rows, n, r[k].den_id);
		double pub, pr, err;

		if (a == n || b == n)
			continue; /* rows filtered out (--rows run) */
		pub = rows[a].value / rows[b].value;
		pr = pred[a] / pred[b];
		err = isfinite(pr) ? (pr - pub) / pub : INFINITY;
		err_add(l, err, r[k].id);
		if (em) {
			struct fs_emit_val v[N_COLS];
			for (int c = 0; c < N_COLS; c++)
				v[c] = fs_emit_missing();
			v[0] = fs_emit_str(r[k].id);
			v[1] = fs_emit_str("ratio");
			v[4] = fs_emit_str("speed_ratio");
			v[5] = fs_emit_num(pub);
			v[6] = fs_emit_num(pr);
			v[7] = fs_emit_num(err);
			fs_emit_row(em, v);
			continue;
		}
		printf("%-34s %-10s %-7s %-21s %11.4g %11.4g %+7.1f%%  %s\n", r[k].id, "ratio", "",
		       "speed_ratio", pub, pr, 100.0 * err, r[k].what);
	}
}

/* Step-level residuals by GPU and precision. */
static void print_groups(const struct step_out *so, double *scratch,
			 struct fs_train_calib_group *groups)
{
	size_t ng = fs_train_calib_group(so->gpu, so->prec, so->speed_err, so->n, groups, scratch);

	printf("\nstep-level residuals by GPU and precision (+ = predicted faster than published):\n");
	for (size_t g = 0; g < ng; g++)
		printf("  %-20s %-5s %3zu rows   mean signed %+6.1f%%   median |error| %5.1f%%\n",
		       groups[g].gpu, fs_precision_name(groups[g].precision), groups[g].n,
		       100.0 * groups[g].mean_signed, 100.0 * groups[g].median_abs);
}

/* Whole-run observations (searched layouts) of the fit and holdout rows. */
struct run_obs {
	struct fs_goodput_obs *fit, *hold;
	const char **fit_id, **hold_id;
	size_t n_fit, n_hold;
};

/* The errors of coefficients c over observations o, into l. */
static void obs_errors(const struct fs_goodput_obs *o, const char **ids, size_t n,
		       const struct fs_goodput_coef *c, struct err_list *l)
{
	struct fs_goodput_parts p;

	l->n = 0;
	for (size_t i = 0; i < n; i++) {
		fs_goodput_parts(&o[i].run, c, &p);
		err_add(l, p.wall_s / o[i].published_wall_s - 1.0, ids[i]);
	}
}

/* Re-derives the stall coefficients from the fit rows and scores them. */
static void print_fit(const struct run_obs *ro, struct err_list *tmp, double *scratch)
{
	struct fs_goodput_coef c, def;
	double rms;

	fs_goodput_coef_default(&def);
	fs_goodput_fit(ro->fit, ro->n_fit, &c, &rms);
	printf("\nstall fit (least squares on log error, %zu fit rows, searched): share %.2f at %g "
	       "GPUs, exponent %+.2f (rms log error %.3f); in the model: %.2f, %+.2f\n",
	       ro->n_fit, c.stall_frac_at_ref, FS_GOODPUT_STALL_REF_GPUS, c.stall_scale_exp, rms,
	       def.stall_frac_at_ref, def.stall_scale_exp);
	obs_errors(ro->fit, ro->fit_id, ro->n_fit, &c, tmp);
	err_print("  re-derived fit: fit rows", tmp, scratch);
	obs_errors(ro->hold, ro->hold_id, ro->n_hold, &c, tmp);
	err_print("  re-derived fit: holdout rows", tmp, scratch);
}

static void print_summary(int which, const struct err_list *l, double *scratch)
{
	printf("\n");
	if (which != ROWS_RUN) {
		err_print("step-level rows (all)", &l[L_ALL_STEP], scratch);
		err_print("step-level rows (shared set)", &l[L_SHARED_STEP], scratch);
		err_print("step-level rows (holdout)", &l[L_HOLD_STEP], scratch);
		err_print("speed ratios (same software)", &l[L_RATIO], scratch);
	}
	if (which != ROWS_STEP) {
		err_print("whole-run rows, published layout", &l[L_RUN_PUB], scratch);
		err_print("whole-run rows, searched layout", &l[L_RUN_SEARCH], scratch);
		err_print("  of which fit, searched", &l[L_FIT_SEARCH], scratch);
		err_print("  of which holdout, searched", &l[L_HOLD_SEARCH], scratch);
	}
	printf("targets: step-level median <= 10%%, worst <= 25%%; speed ratios within 8%%; whole-run "
	       "(fit and holdout, ref rows not scored) median <= 15%%, worst <= 30%%\n");
	printf("whole run = steady-state time + failures (lost work, restarts) + checkpoints + "
	       "evaluation + ramp-up + stalls (docs/models/training.md section 7)\n");
}

int fs_cli_validate_train(int argc, char **argv)
{
	struct fs_opt_val vals[N_OPTS];
	struct fs_catalog cat;
	struct fs_error e;
	struct fs_train_calib_row *rows = NULL;
	size_t n = 0;
	struct fs_train_memo *memo = NULL;
	struct err_list l[N_LISTS], tmp;
	struct run_obs ro = { 0 };
	double *space = NULL;
	const char **ids = NULL;
	struct step_out so = { 0 };
	struct fs_train_calib_group *groups = NULL;
	struct fs_emitter em, *emp = NULL;
	int which, rc = 0;

	if (fs_cli_wants_help(argc, argv)) {
		fs_cli_help(usage, opts, N_OPTS);
		return 0;
	}
	if ((rc = fs_cli_parse(CMD, opts, N_OPTS, argc, argv, vals, NULL, 0, NULL)))
		return rc;
	which = vals[O_ROWS].set ? (int)vals[O_ROWS].i : ROWS_ALL;
	fs_error_clear(&e);
	if (fs_catalog_load_builtin(&cat, &e))
		return fs_cli_report(&e);
	if (fs_train_calib_load(fs_builtin_training_csv, fs_builtin_training_csv_path, &cat, &rows, &n, &e) ||
	    fs_train_memo_create(&memo, 256)) {
		rc = fs_cli_report(&e);
		goto out;
	}
	space = calloc((N_LISTS + 2) * (n + 1), sizeof(*space));
	ids = calloc((N_LISTS + 3) * (n + 1), sizeof(*ids));
	memset(&ro, 0, sizeof(ro));
	ro.fit = calloc(n + 1, sizeof(*ro.fit));
	ro.hold = calloc(n + 1, sizeof(*ro.hold));
	so.gpu = calloc(n + 1, sizeof(*so.gpu));
	so.prec = calloc(n + 1, sizeof(*so.prec));
	so.speed_err = calloc(n + 1, sizeof(*so.speed_err));
	so.pred = calloc(n + 1, sizeof(*so.pred));
	groups = calloc(n + 1, sizeof(*groups));
	if (!space || !ids || !ro.fit || !ro.hold || !so.gpu || !so.prec || !so.speed_err ||
	    !so.pred || !groups) {
		fs_error_set(&e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		rc = fs_cli_report(&e);
		goto out;
	}
	for (int k = 0; k < N_LISTS; k++)
		l[k] = (struct err_list){ space + (size_t)k * (n + 1), ids + (size_t)k * (n + 1), 0 };
	tmp = (struct err_list){ space + (size_t)(N_LISTS + 1) * (n + 1),
				 ids + (size_t)N_LISTS * (n + 1), 0 };
	ro.fit_id = ids + (size_t)(N_LISTS + 1) * (n + 1);
	ro.hold_id = ids + (size_t)(N_LISTS + 2) * (n + 1);
	if (vals[O_FORMAT].set && strcmp(vals[O_FORMAT].s, "table") != 0) {
		emp = &em;
		fs_emit_begin(emp, stdout, fs_cli_format(&vals[O_FORMAT]), cols, N_COLS, false);
	} else {
		printf("%-34s %-10s %-7s %-21s %11s %11s %8s  %s\n", "row", "kind", "role", "metric",
		       "published", "predicted", "error", "plan (tp/pp/cp/dp/vp, mb, recompute, zero, stack)");
	}
	for (size_t i = 0; i < n; i++) {
		const struct fs_train_calib_row *row = &rows[i];
		bool is_run = fs_train_metric_is_run(row->metric);
		struct fs_goodput_obs obs;
		enum fs_precision prec = FS_PREC_BF16;
		double err, pred;

		so.pred[i] = NAN;
		if ((which == ROWS_STEP && is_run) || (which == ROWS_RUN && !is_run))
			continue;
		err = validate_row(memo, row, false, emp, &pred, &prec, NULL);
		if (!is_run) {
			so.pred[i] = pred;
			so.gpu[so.n] = row->req.gpu->name;
			so.prec[so.n] = prec;
			so.speed_err[so.n++] = fs_train_calib_speed_error(row->metric, err);
			err_add(&l[L_ALL_STEP], err, row->id);
			if (!row->added)
				err_add(&l[L_SHARED_STEP], err, row->id);
			if (row->role == FS_CALIB_ROLE_HOLDOUT)
				err_add(&l[L_HOLD_STEP], err, row->id);
			continue;
		}
		if (row->role != FS_CALIB_ROLE_REF)
			err_add(&l[L_RUN_PUB], err, row->id);
		obs.published_wall_s = 0;
		err = validate_row(memo, row, true, emp, &pred, &prec, &obs);
		if (row->role == FS_CALIB_ROLE_REF)
			continue;
		if (obs.published_wall_s > 0 && row->role == FS_CALIB_ROLE_FIT) {
			ro.fit_id[ro.n_fit] = row->id;
			ro.fit[ro.n_fit++] = obs;
		} else if (obs.published_wall_s > 0) {
			ro.hold_id[ro.n_hold] = row->id;
			ro.hold[ro.n_hold++] = obs;
		}
		err_add(&l[L_RUN_SEARCH], err, row->id);
		err_add(&l[row->role == FS_CALIB_ROLE_FIT ? L_FIT_SEARCH : L_HOLD_SEARCH], err, row->id);
	}
	if (which != ROWS_RUN)
		validate_ratios(rows, n, so.pred, emp, &l[L_RATIO]);
	if (emp) {
		fs_emit_end(emp);
	} else {
		print_summary(which, l, space + (size_t)N_LISTS * (n + 1));
		if (which != ROWS_RUN)
			print_groups(&so, space + (size_t)N_LISTS * (n + 1), groups);
		if (which != ROWS_STEP)
			print_fit(&ro, &tmp, space + (size_t)N_LISTS * (n + 1));
	}
out:
	free(ro.hold);
	free(ro.fit);
	free(groups);
	free(so.pred);
	free(so.speed_err);
	free(so.prec);
	free(so.gpu);
	free(ids);
	free(space);
	fs_train_memo_destroy(memo);
	free(rows);
	fs_catalog_fini(&cat);
	return rc;
}
