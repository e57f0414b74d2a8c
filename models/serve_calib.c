/*
 * serve_calib.c - loading the serving calibration rows
 * (models/calibration/serving.csv): every cell typed and checked, errors
 * with file, line and column.
 */
#include "fleetsim/serve_calib.h"

#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/csv.h"
#include "fleetsim/stats.h"
#include "fleetsim/util.h"

#define MAX_FIELDS 48
#define MAX_RECORD 8192

static const char *const set_names[FS_SERVE_SET_COUNT] = { "cal", "extra", "holdout", "excluded" };
static const char *const mode_names[FS_SERVE_MODE_COUNT] = { "batch", "burst", "ratio" };
static const char *const metric_names[FS_SERVE_METRIC_COUNT] = {
	"throughput_output_tokens", "throughput_total_tokens", "throughput_requests", "ttft",
	"prefill_latency", "ttft_mean", "tpot_mean", "throughput_ratio_h100_over_a100",
};

const char *fs_serve_calib_set_name(enum fs_serve_calib_set s)
{
	return (unsigned)s < FS_SERVE_SET_COUNT ? set_names[s] : "?";
}

const char *fs_serve_calib_mode_name(enum fs_serve_calib_mode m)
{
	return (unsigned)m < FS_SERVE_MODE_COUNT ? mode_names[m] : "?";
}

/* Index of s in names[0..n), or -1. */
static int name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

enum col {
	C_ID, C_SET, C_SOFTWARE, C_MODEL, C_GPU, C_TP, C_PRECISION, C_ENGINE, C_LEGACY_GQA, C_MODE, C_BATCH,
	C_N_REQUESTS, C_INPUT_LEN, C_OUTPUT_LEN, C_INPUT_DIST, C_OUTPUT_DIST, C_MAX_NUM_SEQS,
	C_MAX_BATCHED_TOKENS, C_CHUNKED, C_METRIC, C_VALUE, C_UNIT, C_NOTE, C_COUNT
};

static const char *const col_names[C_COUNT] = {
	"id", "set", "engine", "fleetsim_model", "fleetsim_gpu", "tp", "precision", "fleetsim_engine",
	"legacy_gqa_attention", "mode", "batch", "n_requests", "input_len", "output_len", "input_dist",
	"output_dist", "max_num_seqs", "max_batched_tokens", "chunked_prefill", "metric", "value",
	"unit", "stats_note",
};

/* Required columns; the others may be absent (then empty). */
static bool col_required(int c)
{
	return c == C_ID || c == C_SET || c == C_MODEL || c == C_GPU || c == C_PRECISION ||
	       c == C_ENGINE || c == C_MODE || c == C_METRIC || c == C_VALUE || c == C_UNIT;
}

struct cursor {
	char **f;
	const int *ci;
	const char *name;
	int line;
	struct fs_error *e;
};

static const char *cell(const struct cursor *c, int col)
{
	return c->ci[col] >= 0 ? c->f[c->ci[col]] : "";
}

/* Optional whole number in [lo, hi]; "" gives 0. */
static enum fs_status whole(const struct cursor *c, int col, long lo, long hi, long *out)
{
	const char *s = cell(c, col);
	char *end;
	long v;

	*out = 0;
	if (!*s)
		return FS_OK;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return fs_error_set(c->e, FS_ERR_INPUT, c->name, c->line, col_names[col],
				    "'%s' is not a whole number from %ld to %ld", s, lo, hi);
	*out = v;
	return FS_OK;
}

/* Optional 0/1 flag; "" gives false. */
static enum fs_status flag(const struct cursor *c, int col, bool *out)
{
	long v;
	enum fs_status st = whole(c, col, 0, 1, &v);

	*out = v != 0;
	return st;
}

/* Required name out of names[0..n). */
static enum fs_status word(const struct cursor *c, int col, const char *const *names, int n, int *out)
{
	*out = name_index(names, n, cell(c, col));
	if (*out < 0)
		return fs_error_set(c->e, FS_ERR_INPUT, c->name, c->line, col_names[col],
				    "unknown %s '%s'", col_names[col], cell(c, col));
	return FS_OK;
}

/* Optional distribution text; "" gives fixed len. */
static enum fs_status lengths(const struct cursor *c, int col, long len, struct fs_dist *out)
{
	const char *s = cell(c, col);
	struct fs_error sub;

	if (!*s) {
		*out = fs_dist_fixed((double)len);
		return FS_OK;
	}
	if (fs_dist_parse(s, out, &sub))
		return fs_error_set(c->e, FS_ERR_INPUT, c->name, c->line, col_names[col], "%s", sub.msg);
	return FS_OK;
}

static enum fs_status parse_row(const struct cursor *c, struct fs_serve_calib_row *r)
{
	const char *v = cell(c, C_VALUE);
	enum fs_status st;
	int k;
	char *end;

	memset(r, 0, sizeof(*r));
	r->line = c->line;
	fs_strlcpy(r->id, cell(c, C_ID), sizeof(r->id));
	fs_strlcpy(r->model, cell(c, C_MODEL), sizeof(r->model));
	fs_strlcpy(r->gpu, cell(c, C_GPU), sizeof(r->gpu));
	fs_strlcpy(r->metric_text, cell(c, C_METRIC), sizeof(r->metric_text));
	fs_strlcpy(r->unit, cell(c, C_UNIT), sizeof(r->unit));
	fs_strlcpy(r->note, cell(c, C_NOTE), sizeof(r->note));
	fs_strlcpy(r->software, cell(c, C_SOFTWARE), sizeof(r->software));
	if ((st = word(c, C_SET, set_names, FS_SERVE_SET_COUNT, &k)))
		return st;
	r->set = (enum fs_serve_calib_set)k;
	if ((st = word(c, C_MODE, mode_names, FS_SERVE_MODE_COUNT, &k)))
		return st;
	r->mode = (enum fs_serve_calib_mode)k;
	if ((st = word(c, C_METRIC, metric_names, FS_SERVE_METRIC_COUNT, &k)))
		return st;
	r->metric = (enum fs_serve_metric)k;
	if (fs_precision_parse(cell(c, C_PRECISION), &r->precision))
		return fs_error_set(c->e, FS_ERR_INPUT, c->name, c->line, "precision",
				    "unknown precision '%s'", cell(c, C_PRECISION));
	if (fs_serve_engine_parse(cell(c, C_ENGINE), &r->engine))
		return fs_error_set(c->e, FS_ERR_INPUT, c->name, c->line, "fleetsim_engine",
				    "unknown engine '%s' (expected trtllm or vllm)", cell(c, C_ENGINE));
	errno = 0;
	r->value = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(r->value) || !(r->value > 0))
		return fs_error_set(c->e, FS_ERR_INPUT, c->name, c->line, "value",
				    "'%s' is not a number above 0", v);
	if ((st = whole(c, C_TP, 1, 1024, &r->tp)) || (st = whole(c, C_BATCH, 1, 1000000, &r->batch)) ||
	    (st = whole(c, C_N_REQUESTS, 1, 100000000, &r->n_requests)) ||
	    (st = whole(c, C_INPUT_LEN, 1, 100000000, &r->input_len)) ||
	    (st = whole(c, C_OUTPUT_LEN, 1, 100000000, &r->output_len)) ||
	    (st = whole(c, C_MAX_NUM_SEQS, 1, 1000000, &r->max_num_seqs)) ||
	    (st = whole(c, C_MAX_BATCHED_TOKENS, 1, 100000000, &r->max_batched_tokens)) ||
	    (st = flag(c, C_CHUNKED, &r->chunked_prefill)) ||
	    (st = flag(c, C_LEGACY_GQA, &r->legacy_gqa)))
		return st;
	if ((st = lengths(c, C_INPUT_DIST, r->input_len, &r->input_tokens)) ||
	    (st = lengths(c, C_OUTPUT_DIST, r->output_len, &r->output_tokens)))
		return st;
	return FS_OK;
}

enum fs_status fs_serve_calib_load(const char *csv_text, const char *name,
				   struct fs_serve_calib_row **rows, size_t *n_rows, struct fs_error *e)
{
	char hbuf[MAX_RECORD], buf[MAX_RECORD];
	char *h[MAX_FIELDS], *f[MAX_FIELDS];
	int ci[C_COUNT];
	const char *cur = csv_text;
	struct fs_serve_calib_row *out = NULL;
	size_t n = 0, cap = 0;
	int nh, line = 1;
	enum fs_status st = FS_OK;

	*rows = NULL;
	*n_rows = 0;
	nh = fs_csv_next(&cur, hbuf, sizeof(hbuf), h, MAX_FIELDS, &line);
	if (nh < 1)
		return fs_error_set(e, FS_ERR_INPUT, name, 1, NULL, "no header row");
	for (int c = 0; c < C_COUNT; c++) {
		ci[c] = fs_csv_col(h, nh, col_names[c]);
		if (ci[c] < 0 && col_required(c))
			return fs_error_set(e, FS_ERR_INPUT, name, 1, col_names[c], "column missing");
	}
	for (;;) {
		int at = line, nf;
		struct cursor c = { f, ci, name, at, e };

		nf = fs_csv_next(&cur, buf, sizeof(buf), f, MAX_FIELDS, &line);
		if (nf == 0)
			break;
		if (nf < 0) {
			st = fs_error_set(e, FS_ERR_INPUT, name, at, NULL, "record too long");
			goto fail;
		}
		if (nf == 1 && f[0][0] == '\0')
			continue;
		if (nf != nh) {
			st = fs_error_set(e, FS_ERR_INPUT, name, at, NULL, "%d fields where the header has %d",
					  nf, nh);
			goto fail;
		}
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			struct fs_serve_calib_row *grown = realloc(out, ncap * sizeof(*out));
			if (!grown) {
				st = fs_error_set(e, FS_ERR_NOMEM, name, at, NULL, "out of memory");
				goto fail;
			}
			out = grown;
			cap = ncap;
		}
		if ((st = parse_row(&c, &out[n])))
			goto fail;
		n++;
	}
	*rows = out;
	*n_rows = n;
	return FS_OK;
fail:
	free(out);
	return st;
}

static bool is_latency(enum fs_serve_metric m)
{
	switch (m) {
	case FS_SERVE_METRIC_TTFT:
	case FS_SERVE_METRIC_PREFILL_LATENCY:
	case FS_SERVE_METRIC_TTFT_MEAN:
	case FS_SERVE_METRIC_TPOT_MEAN:
		return true;
	case FS_SERVE_METRIC_OUTPUT_TOKENS_PER_S:
	case FS_SERVE_METRIC_TOTAL_TOKENS_PER_S:
	case FS_SERVE_METRIC_REQUESTS_PER_S:
	case FS_SERVE_METRIC_RATIO_H100_OVER_A100:
	case FS_SERVE_METRIC_COUNT:
		break;
	}
	return false;
}

const char *fs_serve_calib_shape(const struct fs_serve_calib_row *r)
{
	double in, out;

	if (is_latency(r->metric))
		return "latency";
	in = fs_dist_mean(&r->input_tokens);
	out = fs_dist_mean(&r->output_tokens);
	if (in >= 2.0 * out)
		return "prompt-heavy";
	if (out >= 2.0 * in)
		return "output-heavy";
	return "balanced";
}

double fs_serve_calib_speed_error(const struct fs_serve_calib_row *r, double predicted)
{
	return is_latency(r->metric) ? r->value / predicted - 1.0 : predicted / r->value - 1.0;
}

static bool counts(const struct fs_serve_calib_row *r, double predicted)
{
	return r->set != FS_SERVE_SET_EXCLUDED && !isnan(predicted);
}

static void group_name(const struct fs_serve_calib_row *r, enum fs_serve_group_by by, char *buf,
		       size_t size)
{
	if (by == FS_SERVE_GROUP_GPU)
		snprintf(buf, size, "%s %s", r->gpu, fs_precision_name(r->precision));
	else
		snprintf(buf, size, "%s", fs_serve_calib_shape(r));
}

size_t fs_serve_calib_group(const struct fs_serve_calib_row *rows, const double *predicted, size_t n,
			    enum fs_serve_group_by by, struct fs_serve_resid_group *out, size_t max_out,
			    double *scratch)
{
	size_t n_out = 0;
	double *abs_err = scratch, *tmp = scratch + n;

	for (size_t i = 0; i < n; i++) {
		char name[sizeof(out->name)];
		bool seen = false;

		if (!counts(&rows[i], predicted[i]))
			continue;
		group_name(&rows[i], by, name, sizeof(name));
		for (size_t g = 0; g < n_out; g++)
			seen = seen || strcmp(out[g].name, name) == 0;
		if (seen || n_out == max_out)
			continue;
		/* A new group: gather its rows (those from i on; earlier ones would have opened it). */
		struct fs_serve_resid_group *g = &out[n_out++];
		struct fs_err_summary sum;
		double total = 0.0;
		size_t k = 0;

		memset(g, 0, sizeof(*g));
		fs_strlcpy(g->name, name, sizeof(g->name));
		for (size_t j = i; j < n; j++) {
			char other[sizeof(out->name)];
			double err;
			if (!counts(&rows[j], predicted[j]))
				continue;
			group_name(&rows[j], by, other, sizeof(other));
			if (strcmp(other, name) != 0)
				continue;
			err = fs_serve_calib_speed_error(&rows[j], predicted[j]);
			total += err;
			abs_err[k++] = err;
		}
		fs_err_summarize(abs_err, k, tmp, &sum);
		g->n = k;
		g->mean_signed = total / (double)k;
		g->median_abs = sum.median;
	}
	return n_out;
}

static bool is_pair(const struct fs_serve_calib_row *a, const struct fs_serve_calib_row *b)
{
	return strcmp(a->software, b->software) == 0 && strcmp(a->model, b->model) == 0 &&
	       a->metric == b->metric && strcmp(a->unit, b->unit) == 0 &&
	       a->input_len == b->input_len && a->output_len == b->output_len &&
	       a->mode == b->mode && a->input_len > 0 && a->output_len > 0;
}

size_t fs_serve_calib_ratios(const struct fs_serve_calib_row *rows, const double *predicted, size_t n,
			     const char *gpu_a, const char *gpu_b, struct fs_serve_ratio_check *out,
			     size_t max_out)
{
	size_t n_out = 0;

	for (size_t i = 0; i < n; i++) {
		const struct fs_serve_calib_row *a = &rows[i];
		struct fs_serve_ratio_check *c = NULL;
		if (!counts(a, predicted[i]) || is_latency(a->metric) || !fs_streq_ci(a->gpu, gpu_a) ||
		    !a->software[0])
			continue;
		for (size_t j = 0; j < n; j++) {
			const struct fs_serve_calib_row *b = &rows[j];
			double pub, pred, pair_err;
			if (!counts(b, predicted[j]) || !fs_streq_ci(b->gpu, gpu_b) || !is_pair(a, b))
				continue;
			if (!c) {
				for (size_t k = 0; k < n_out && !c; k++)
					if (strcmp(out[k].software, a->software) == 0)
						c = &out[k];
				if (!c && n_out == max_out)
					break;
				if (!c) {
					c = &out[n_out++];
					memset(c, 0, sizeof(*c));
					fs_strlcpy(c->software, a->software, sizeof(c->software));
					fs_strlcpy(c->gpu_a, gpu_a, sizeof(c->gpu_a));
					fs_strlcpy(c->gpu_b, gpu_b, sizeof(c->gpu_b));
				}
			}
			pub = log(b->value / a->value);
			pred = log(predicted[j] / predicted[i]);
			/* running sums of logs; turned into geometric means below */
			c->published += pub;
			c->predicted += pred;
			pair_err = exp(pred - pub) - 1.0;
			if (fabs(pair_err) > fabs(c->worst_pair_err))
				c->worst_pair_err = pair_err;
			c->n_pairs++;
			break;
		}
	}
	for (size_t k = 0; k < n_out; k++) {
		struct fs_serve_ratio_check *c = &out[k];
		c->published = exp(c->published / (double)c->n_pairs);
		c->predicted = exp(c->predicted / (double)c->n_pairs);
		c->err = c->predicted / c->published - 1.0;
	}
	return n_out;
}
