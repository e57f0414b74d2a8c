/*
 * opt.c - the table-driven option parser of opt.h.
 */
#include "fleetsim/opt.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const *choices(const struct fs_opt *o)
{
	return o->choices ? o->choices : o->choices_of();
}

/* true when the n bytes at s equal one of the space-separated words of list. */
static bool word_in(const char *list, const char *s, size_t n)
{
	while (list && *list) {
		size_t w = strcspn(list, " ");
		if (w == n && strncmp(list, s, n) == 0)
			return true;
		list += w;
		list += strspn(list, " ");
	}
	return false;
}

static int find(const struct fs_opt *opts, int n_opts, const char *s, size_t n)
{
	for (int k = 0; k < n_opts; k++)
		if ((strlen(opts[k].name) == n && strncmp(opts[k].name, s, n) == 0) ||
		    word_in(opts[k].aliases, s, n))
			return k;
	return -1;
}

int fs_opt_index(const struct fs_opt *opts, int n_opts, const char *name)
{
	for (int k = 0; k < n_opts; k++)
		if (strcmp(opts[k].name, name) == 0)
			return k;
	return -1;
}

/* Edit distance of a and b[0..nb), capped at 3 (enough to suggest). */
static int distance(const char *a, const char *b, size_t nb)
{
	size_t na = strlen(a);
	int row[64];

	if (na >= 64 || nb >= 64)
		return 3;
	for (size_t j = 0; j <= nb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= na; i++) {
		int diag = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= nb; j++) {
			int up = row[j];
			int best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[nb] < 3 ? row[nb] : 3;
}

static enum fs_status unknown(const struct fs_opt *opts, int n_opts, const char *arg, size_t n,
			      struct fs_error *e)
{
	int best = -1, best_d = 3;

	for (int k = 0; k < n_opts; k++) {
		int d = distance(opts[k].name, arg + 2, n - 2);
		if (d < best_d) {
			best_d = d;
			best = k;
		}
	}
	if (best >= 0)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
				    "unknown option '%.*s' (did you mean --%s?)", (int)n, arg,
				    opts[best].name);
	return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL, "unknown option '%.*s'", (int)n, arg);
}

static double suffix_mult(const char *end)
{
	if (end[0] == '\0')
		return 1.0;
	if (end[1] != '\0')
		return 0.0;
	switch (end[0]) {
	case 'k': case 'K': return 1e3;
	case 'm': case 'M': return 1e6;
	case 'b': case 'B': case 'g': case 'G': return 1e9;
	case 't': case 'T': return 1e12;
	default: return 0.0;
	}
}

static enum fs_status bad_double(const struct fs_opt *o, const char *flag, const char *val,
				 struct fs_error *e)
{
	const char *sfx = o->si_suffix ? " (K, M, B, T suffixes allowed)" : "";

	if (o->dmax > o->dmin)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
				    "%s '%s': expected a number from %g%s to %g%s", flag, val, o->dmin,
				    o->min_open ? " (excluded)" : "", o->dmax, sfx);
	return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL, "%s '%s': expected a number %s %g%s", flag,
			    val, o->min_open ? "above" : "of at least", o->dmin, sfx);
}

/* Converts val for option o into *v. flag is the spelling used, for messages. */
static enum fs_status convert(const struct fs_opt *o, const char *flag, const char *val,
			      struct fs_opt_val *v, struct fs_error *e)
{
	char *end;

	v->s = val;
	switch (o->type) {
	case FS_OPT_FLAG:
	case FS_OPT_STRING:
		return FS_OK;
	case FS_OPT_INT: {
		long long x;
		errno = 0;
		x = strtoll(val, &end, 10);
		if (errno || end == val || *end || x < o->imin || x > o->imax)
			return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
					    "%s '%s': expected a whole number from %lld to %lld", flag,
					    val, o->imin, o->imax);
		v->i = x;
		return FS_OK;
	}
	case FS_OPT_DOUBLE: {
		double x, mult;
		errno = 0;
		x = strtod(val, &end);
		mult = o->si_suffix ? suffix_mult(end) : *end ? 0.0 : 1.0;
		if (errno || end == val || mult == 0.0 || !isfinite(x))
			return bad_double(o, flag, val, e);
		x *= mult;
		if (!isfinite(x) || x < o->dmin || (o->min_open && x <= o->dmin) ||
		    (o->dmax > o->dmin && x > o->dmax))
			return bad_double(o, flag, val, e);
		v->d = x;
		return FS_OK;
	}
	case FS_OPT_ENUM: {
		const char *const *names = choices(o);
		char list[256];
		size_t u = 0;
		for (int c = 0; names[c]; c++) {
			if (strcmp(names[c], val) == 0) {
				v->i = c;
				return FS_OK;
			}
			u += (size_t)snprintf(list + u, u < sizeof(list) ? sizeof(list) - u : 0, "%s%s",
					      c ? (names[c + 1] ? ", " : " or ") : "", names[c]);
		}
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL, "%s '%s': expected %s", flag, val,
				    list);
	}
	}
	return FS_OK;
}

enum fs_status fs_opt_parse(const struct fs_opt *opts, int n_opts, int argc, char **argv,
			    struct fs_opt_val *vals, const char **pos, int max_pos, int *n_pos,
			    struct fs_error *e)
{
	int np = 0;

	memset(vals, 0, (size_t)n_opts * sizeof(*vals));
	if (n_pos)
		*n_pos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq, *val;
		size_t n;
		int k;
		char flag[128];
		enum fs_status st;

		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			if (a[0] == '-' && a[1] != '\0')
				return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
						    "unknown option '%s'", a);
			if (np >= max_pos)
				return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
						    "unexpected argument '%s'", a);
			pos[np++] = a;
			continue;
		}
		eq = strchr(a, '=');
		n = eq ? (size_t)(eq - a) : strlen(a);
		k = find(opts, n_opts, a + 2, n - 2);
		if (k < 0)
			return unknown(opts, n_opts, a, n, e);
		snprintf(flag, sizeof(flag), "%.*s", (int)n, a);
		if (opts[k].type == FS_OPT_FLAG) {
			if (eq)
				return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
						    "%s takes no value", flag);
			vals[k].set = true;
			continue;
		}
		if (eq) {
			val = eq + 1;
		} else {
			if (i + 1 >= argc)
				return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL, "%s needs a value",
						    flag);
			val = argv[++i];
		}
		if ((st = convert(&opts[k], flag, val, &vals[k], e)))
			return st;
		vals[k].set = true;
	}
	if (n_pos)
		*n_pos = np;
	return FS_OK;
}

static const char *metavar(const struct fs_opt *o)
{
	if (o->metavar)
		return o->metavar;
	switch (o->type) {
	case FS_OPT_INT: return "N";
	case FS_OPT_DOUBLE: return "X";
	case FS_OPT_STRING: return "TEXT";
	case FS_OPT_ENUM: return "WORD";
	case FS_OPT_FLAG: break;
	}
	return "";
}

void fs_opt_help(FILE *out, const struct fs_opt *opts, int n_opts)
{
	for (int k = 0; k < n_opts; k++) {
		const struct fs_opt *o = &opts[k];
		char head[160];
		int u;

		u = snprintf(head, sizeof(head), "  --%s%s%s", o->name, o->type == FS_OPT_FLAG ? "" : " ",
			     metavar(o));
		if (u < 26)
			fprintf(out, "%-26s %s", head, o->help);
		else
			fprintf(out, "%s\n%-26s %s", head, "", o->help);
		if (o->type == FS_OPT_ENUM) {
			const char *const *names = choices(o);
			fputs(" (", out);
			for (int c = 0; names[c]; c++)
				fprintf(out, "%s%s", c ? "|" : "", names[c]);
			fputc(')', out);
		} else if (o->type == FS_OPT_INT) {
			fprintf(out, " (%lld..%lld)", o->imin, o->imax);
		} else if (o->type == FS_OPT_DOUBLE && o->dmax > o->dmin) {
			fprintf(out, " (%g..%g)", o->dmin, o->dmax);
		} else if (o->type == FS_OPT_DOUBLE) {
			fprintf(out, " (%s %g%s)", o->min_open ? ">" : ">=", o->dmin,
				o->si_suffix ? "; K, M, B, T suffixes" : "");
		}
		if (o->unit)
			fprintf(out, " [%s]", o->unit);
		if (o->def)
			fprintf(out, "; default %s", o->def);
		for (const char *a = o->aliases; a && *a;) {
			size_t w = strcspn(a, " ");
			fprintf(out, "%s--%.*s", a == o->aliases ? "; also " : ", ", (int)w, a);
			a += w;
			a += strspn(a, " ");
		}
		fputc('\n', out);
	}
}

bool fs_opt_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	return false;
}
