/*
 * sweep.c - sweep files (sweep.h): loading through the scenario loader's
 * libconfig seam (cfg.h), the work list, point scenarios written in place
 * into the base text, and one item's simulation.
 */
#include "fleetsim/sweep.h"
#include "fleetsim/builtin.h"
#include "fleetsim/criteria.h"
#include "fleetsim/dispatch.h"
#include "fleetsim/run.h"
#include "fleetsim/service.h"
#include "fleetsim/sha256.h"
#include "fleetsim/util.h"
#include "fleetsim/workload.h"
#include "cfg.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEED_MAX INT64_MAX

/* Where a varied value sits in the base text: [off, off + len). */
struct slot {
	size_t off, len;
};

static const char *const sweep_keys[] = {
	"name", "base", "vary", "fleets", "replications", "seed", "analysis",
};
static const char *const vary_keys[] = { "key", "values", "range" };
static const char *const range_keys[] = { "from", "to", "steps", "step", "scale" };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static bool cfg_is_number(const config_setting_t *s)
{
	int t = config_setting_type(s);
	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 || t == CONFIG_TYPE_FLOAT;
}

static double cfg_num(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
							    : (double)config_setting_get_int64(s);
}

/* ---- values ---- */

/* The shortest %g form of x that reads back to x exactly. */
static void shortest(double x, char *buf, size_t n)
{
	/* plain digits where people write them so (20, not 2e+01) */
	bool plain = fabs(x) >= 1e-4 && fabs(x) < 1e15;

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, x);
		if (strtod(buf, NULL) == x && (!plain || !strpbrk(buf, "eE")))
			return;
	}
	snprintf(buf, n, "%.17g", x);
}

/* x as a literal for a setting that holds an integer (integer) or a number. */
void fs_sweep_format_value(double x, char *buf, size_t n)
{
	shortest(x, buf, n);
}

static void literal(double x, bool integer, char *buf, size_t n)
{
	if (integer && x == floor(x) && fabs(x) < 9007199254740992.0) {
		snprintf(buf, n, "%lld", (long long)x);
		return;
	}
	shortest(x, buf, n);
	if (!strpbrk(buf, ".eEn")) {
		size_t u = strlen(buf);
		snprintf(buf + u, n - u, ".0");
	}
}

static enum fs_status read_values(struct fs_sweep *sw, struct fs_sweep_param *p,
				  const config_setting_t *vs, const char *path, struct fs_error *e)
{
	int len = config_setting_length(vs), t = config_setting_type(vs);
	char found[128];

	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		fs_cfg_describe(vs, found, sizeof(found));
		return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(vs), path,
				    "found %s; expected an array of numbers [ ... ]", found);
	}
	if (len == 0)
		return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(vs), path,
				    "empty values; expected at least one number");
	if (len > FS_SWEEP_MAX_VALUES)
		return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(vs), path,
				    "%d values; expected at most %d", len, FS_SWEEP_MAX_VALUES);
	if (!(p->values = calloc((size_t)len, sizeof(*p->values))))
		return fs_error_set(e, FS_ERR_NOMEM, sw->file, 0, NULL, "out of memory");
	for (int i = 0; i < len; i++) {
		const config_setting_t *v = config_setting_get_elem(vs, (unsigned)i);
		if (!cfg_is_number(v) || !isfinite(cfg_num(v))) {
			fs_cfg_describe(v, found, sizeof(found));
			return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(v), path,
					    "value %d: found %s; expected a finite number", i + 1, found);
		}
		p->values[i] = cfg_num(v);
	}
	p->n_values = (size_t)len;
	return FS_OK;
}

static enum fs_status range_num(struct fs_sweep *sw, const config_setting_t *r, const char *path,
				const char *key, bool required, double *out, bool *set,
				struct fs_error *e)
{
	const config_setting_t *s = config_setting_get_member(r, key);
	char found[128], p[300];

	snprintf(p, sizeof(p), "%s.%s", path, key);
	*set = s != NULL;
	if (!s) {
		if (required)
			return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(r), p,
					    "missing required key '%s' (a number)", key);
		return FS_OK;
	}
	if (!cfg_is_number(s) || !isfinite(cfg_num(s))) {
		fs_cfg_describe(s, found, sizeof(found));
		return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(s), p,
				    "found %s; expected a finite number", found);
	}
	*out = cfg_num(s);
	return FS_OK;
}

/*
 * range = { from; to; steps } (linear or, with scale = "log", geometric:
 * steps values including both ends) or { from; to; step } (linear: from,
 * from + step, ... while within to, allowing 1e-9 of a step of rounding).
 */
static enum fs_status read_range(struct fs_sweep *sw, struct fs_sweep_param *p,
				 const config_setting_t *r, const char *path, struct fs_error *e)
{
	double from = 0, to = 0, steps = 0, step = 0;
	bool set, has_steps, has_step, log_scale = false;
	const config_setting_t *sc;
	enum fs_status st;
	size_t n;

	if (config_setting_type(r) != CONFIG_TYPE_GROUP)
		return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(r), path,
				    "expected a group { from = ...; to = ...; steps = ...; }");
	if ((st = fs_cfg_check_keys(sw->file, r, path, range_keys, 5, e)) ||
	    (st = range_num(sw, r, path, "from", true, &from, &set, e)) ||
	    (st = range_num(sw, r, path, "to", true, &to, &set, e)) ||
	    (st = range_num(sw, r, path, "steps", false, &steps, &has_steps, e)) ||
	    (st = range_num(sw, r, path, "step", false, &step, &has_step, e)))
		return st;
	if ((sc = config_setting_get_member(r, "scale"))) {
		const char *v = config_setting_type(sc) == CONFIG_TYPE_STRING
					? config_setting_get_string(sc) : NULL;
		if (!v || (strcmp(v, "linear") != 0 && strcmp(v, "log") != 0))
			return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(sc), path,
					    "scale: expected \"linear\" or \"log\"");
		log_scale = strcmp(v, "log") == 0;
	}
	if (has_steps == has_step)
		return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(r), path,
				    "give either 'steps' (number of values) or 'step' (their "
				    "spacing), not %s", has_steps ? "both" : "neither");
	if (from == to)
		return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(r), path,
				    "from = to = %g; expected a range (or values = [%g])", from, from);
	if (has_steps) {
		if (steps != floor(steps) || steps < 2 || steps > FS_SWEEP_MAX_VALUES)
			return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(r), path,
					    "steps = %g; expected an integer from 2 to %d", steps,
					    FS_SWEEP_MAX_VALUES);
		if (log_scale && (from <= 0 || to <= 0))
			return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(r), path,
					    "scale = \"log\" with from = %g, to = %g; expected both > 0",
					    from, to);
		n = (size_t)steps;
	} else {
		double span = (to - from) / step;
		if (log_scale)
			return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(r), path,
					    "scale = \"log\" needs 'steps', not 'step'");
		if (!(step != 0) || span < 0)
			return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(r), path,
					    "step = %g does not lead from %g to %g; expected a step "
					    "of the sign of to - from", step, from, to);
		if (span + 1 > FS_SWEEP_MAX_VALUES)
			return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(r), path,
					    "%.0f values; expected at most %d", floor(span) + 1,
					    FS_SWEEP_MAX_VALUES);
		n = (size_t)floor(span + 1e-9) + 1;
	}
	if (!(p->values = calloc(n, sizeof(*p->values))))
		return fs_error_set(e, FS_ERR_NOMEM, sw->file, 0, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (has_step)
			p->values[i] = from + (double)i * step;
		else if (log_scale)
			p->values[i] = from * pow(to / from, (double)i / (double)(n - 1));
		else
			p->values[i] = from + (to - from) * (double)i / (double)(n - 1);
	}
	if (!has_step)
		p->values[n - 1] = to;  /* the end exactly, whatever the rounding */
	p->n_values = n;
	return FS_OK;
}

/* ---- finding a setting in the base text ---- */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '*';
}

/*
 * The literal of setting `name` whose line is line: the one place on that
 * line where the name stands as a word followed by '=' or ':'. Fails when
 * the name is not there or is there twice (two settings of one name on a
 * line: put the varied one on its own line).
 */
static bool find_literal(const char *text, int line, const char *name, struct slot *out)
{
	const char *p = text, *end, *hit = NULL;
	size_t nl = strlen(name);
	int n_hits = 0;

	for (int l = 1; l < line && p; l++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return false;
	end = strchr(p, '\n');
	if (!end)
		end = p + strlen(p);
	for (const char *q = p; q + nl <= end; q++) {
		const char *r;
		if (strncmp(q, name, nl) != 0 || (q > p && name_char(q[-1])) || name_char(q[nl]))
			continue;
		for (r = q + nl; r < end && (*r == ' ' || *r == '\t'); r++)
			;
		if (r < end && (*r == '=' || *r == ':')) {
			n_hits++;
			hit = r + 1;
		}
	}
	if (n_hits != 1)
		return false;
	while (*hit == ' ' || *hit == '\t' || *hit == '\n' || *hit == '\r')
		hit++;
	out->off = (size_t)(hit - text);
	out->len = 0;
	if (hit[0] == '-' || hit[0] == '+')
		out->len++;
	while (hit[out->len] && (strchr("0123456789.xXaAbBcCdDeEfFL", hit[out->len]) ||
				 ((hit[out->len] == '-' || hit[out->len] == '+') &&
				  (hit[out->len - 1] == 'e' || hit[out->len - 1] == 'E'))))
		out->len++;
	return out->len > 0;
}

/* ---- loading ---- */

static enum fs_status read_param(struct fs_sweep *sw, const config_setting_t *v, size_t idx,
				 config_t *base, struct slot *slot, struct fs_error *e)
{
	struct fs_sweep_param *p = &sw->params[idx];
	const config_setting_t *k, *vals, *rng, *target;
	char path[64], found[128];
	enum fs_status st;

	snprintf(path, sizeof(path), "vary.[%zu]", idx);
	p->line = fs_cfg_line(v);
	if (config_setting_type(v) != CONFIG_TYPE_GROUP)
		return fs_error_set(e, FS_ERR_INPUT, sw->file, p->line, path,
				    "expected a group { key = \"...\"; values = [ ... ]; }");
	if ((st = fs_cfg_check_keys(sw->file, v, path, vary_keys, 3, e)))
		return st;
	k = config_setting_get_member(v, "key");
	if (!k || config_setting_type(k) != CONFIG_TYPE_STRING ||
	    strlen(config_setting_get_string(k)) >= sizeof(p->key) ||
	    !config_setting_get_string(k)[0])
		return fs_error_set(e, FS_ERR_INPUT, sw->file, k ? fs_cfg_line(k) : p->line, path,
				    "key: expected the path of a numeric scenario key, e.g. "
				    "\"serving.services.[0].demand.growth_per_month\"");
	fs_strlcpy(p->key, config_setting_get_string(k), sizeof(p->key));
	for (size_t j = 0; j < idx; j++)
		if (strcmp(sw->params[j].key, p->key) == 0)
			return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(k), p->key,
					    "varied twice (also vary.[%zu]); expected each key once", j);
	target = config_lookup(base, p->key);
	if (!target)
		return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(k), p->key,
				    "no such setting in the base scenario %s; expected the path of a "
				    "numeric key it sets, groups joined by '.', list entries as [N] "
				    "(e.g. \"serving.services.[0].demand.growth_per_month\")",
				    sw->base_file);
	if (!cfg_is_number(target)) {
		fs_cfg_describe(target, found, sizeof(found));
		return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(k), p->key,
				    "the base scenario has %s there (%s:%d); expected a numeric key",
				    found, sw->base_file, fs_cfg_line(target));
	}
	if (!config_setting_name(target) ||
	    !find_literal(sw->base_text, fs_cfg_line(target), config_setting_name(target), slot))
		return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(k), p->key,
				    "cannot place a value there (%s:%d): expected a named setting "
				    "alone on its line, not an array element", sw->base_file,
				    fs_cfg_line(target));
	p->integer = config_setting_type(target) != CONFIG_TYPE_FLOAT;
	vals = config_setting_get_member(v, "values");
	rng = config_setting_get_member(v, "range");
	if (!vals == !rng)
		return fs_error_set(e, FS_ERR_INPUT, sw->file, p->line, path,
				    "give either 'values = [ ... ]' or 'range = { ... }', not %s",
				    vals ? "both" : "neither");
	{
		char vpath[300];
		snprintf(vpath, sizeof(vpath), "%s.%s", path, vals ? "values" : "range");
		return vals ? read_values(sw, p, vals, vpath, e) : read_range(sw, p, rng, vpath, e);
	}
}

static void base_path(struct fs_sweep *sw, const char *base)
{
	const char *slash = strrchr(sw->file, '/');

	if (base[0] == '/' || !slash)
		fs_strlcpy(sw->base_file, base, sizeof(sw->base_file));
	else
		snprintf(sw->base_file, sizeof(sw->base_file), "%.*s/%s", (int)(slash - sw->file),
			 sw->file, base);
}

/* Where the varied settings sit in the base text, kept for writing points. */
struct fs_sweep_priv {
	struct slot slots[FS_SWEEP_MAX_PARAMS];
};

static enum fs_status make_definition(struct fs_sweep *sw, struct fs_error *e)
{
	size_t cap = 1024, len = 0;
	char *d;

	for (size_t i = 0; i < sw->n_params; i++)
		cap += FS_SWEEP_KEY_MAX + 32 * sw->params[i].n_values;
	cap += (FS_NAME_MAX + 16) * sw->n_fleets;
	if (!(d = malloc(cap)))
		return fs_error_set(e, FS_ERR_NOMEM, sw->file, 0, NULL, "out of memory");
	len += (size_t)snprintf(d + len, cap - len,
				"fleetsim sweep 1\nbase_sha256 = %s\nanalysis = run\nseed = %" PRIu64
				"\nreplications = %d\nfleets =",
				sw->base_sha256, sw->seed, sw->replications);
	for (size_t f = 0; f < sw->n_fleets; f++)
		len += (size_t)snprintf(d + len, cap - len, " %zu:%s", sw->fleet_idx[f],
					sw->fleet_names[f]);
	for (size_t i = 0; i < sw->n_params; i++) {
		len += (size_t)snprintf(d + len, cap - len, "\nvary %s =", sw->params[i].key);
		for (size_t j = 0; j < sw->params[i].n_values; j++)
			len += (size_t)snprintf(d + len, cap - len, " %.17g", sw->params[i].values[j]);
	}
	len += (size_t)snprintf(d + len, cap - len, "\n");
	sw->definition = d;
	fs_sha256_hex(d, len, sw->sha256);
	return FS_OK;
}

static enum fs_status load_fleets(struct fs_sweep *sw, const config_setting_t *root,
				  const struct fs_scenario *sc, struct fs_error *e)
{
	const config_setting_t *fl = config_setting_get_member(root, "fleets");
	size_t n = fl ? (size_t)config_setting_length(fl) : sc->n_fleets;

	if (fl && config_setting_type(fl) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(fl) != CONFIG_TYPE_LIST)
		return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(fl), "fleets",
				    "expected an array of fleet option names [ \"...\", ... ]");
	if (n == 0)
		return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(fl), "fleets",
				    "no fleet option; expected at least one name (or leave 'fleets' "
				    "out for all of them)");
	sw->fleet_idx = calloc(n, sizeof(*sw->fleet_idx));
	sw->fleet_names = calloc(n, sizeof(*sw->fleet_names));
	if (!sw->fleet_idx || !sw->fleet_names)
		return fs_error_set(e, FS_ERR_NOMEM, sw->file, 0, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *s = fl ? config_setting_get_elem(fl, (unsigned)i) : NULL;
		const char *name = s && config_setting_type(s) == CONFIG_TYPE_STRING
					   ? config_setting_get_string(s) : NULL;
		size_t f;

		if (!fl) {
			sw->fleet_idx[i] = i;
			fs_strlcpy(sw->fleet_names[i], sc->fleets[i].name, FS_NAME_MAX);
			continue;
		}
		if (!name)
			return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(s), "fleets",
					    "entry %zu: expected a fleet option name (a string)", i + 1);
		for (f = 0; f < sc->n_fleets && strcmp(sc->fleets[f].name, name) != 0; f++)
			;
		if (f == sc->n_fleets) {
			char expected[600] = "";
			for (size_t k = 0; k < sc->n_fleets; k++) {
				size_t u = strlen(expected);
				snprintf(expected + u, sizeof(expected) - u, "%s%s", k ? ", " : "",
					 sc->fleets[k].name);
			}
			return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(s), "fleets",
					    "unknown fleet option '%s'; expected one of the base "
					    "scenario's: %s", name, expected);
		}
		for (size_t k = 0; k < i; k++)
			if (sw->fleet_idx[k] == f)
				return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(s), "fleets",
						    "fleet option '%s' named twice", name);
		sw->fleet_idx[i] = f;
		fs_strlcpy(sw->fleet_names[i], name, FS_NAME_MAX);
	}
	sw->n_fleets = n;
	return FS_OK;
}

static enum fs_status get_int_key(struct fs_sweep *sw, const config_setting_t *root,
				  const char *key, long long def, long long lo, long long hi,
				  long long *out, struct fs_error *e)
{
	const config_setting_t *s = config_setting_get_member(root, key);
	char found[128];

	if (!s) {
		*out = def;
		return FS_OK;
	}
	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) {
		fs_cfg_describe(s, found, sizeof(found));
		return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(s), key,
				    "found %s; expected an integer from %lld to %lld", found, lo, hi);
	}
	*out = config_setting_get_int64(s);
	if (*out < lo || *out > hi)
		return fs_error_set(e, FS_ERR_INPUT, sw->file, fs_cfg_line(s), key,
				    "found %lld; expected an integer from %lld to %lld", *out, lo, hi);
	return FS_OK;
}

/* Loads every point once: a value the scenario loader refuses is reported against its `vary` entry. */
static enum fs_status check_points(struct fs_sweep *sw, struct fs_error *e)
{
	double vals[FS_SWEEP_MAX_PARAMS];

	for (size_t p = 0; p < sw->n_points; p++) {
		struct fs_scenario sc;
		struct fs_error le;
		enum fs_status st = fs_sweep_point_load(sw, p, &sc, &le);
		char at[512] = "";
		size_t blame = 0;

		if (st == FS_OK) {
			fs_scenario_fini(&sc);
			continue;
		}
		if (st != FS_ERR_INPUT) {
			*e = le;
			return st;
		}
		fs_sweep_point_values(sw, p, vals);
		for (size_t i = 0; i < sw->n_params; i++) {
			size_t u = strlen(at);
			char lit[40];
			literal(vals[i], sw->params[i].integer, lit, sizeof(lit));
			snprintf(at + u, sizeof(at) - u, "%s%s = %s", i ? ", " : "", sw->params[i].key,
				 lit);
			/* the entry whose key the loader names, else the first */
			if (strstr(le.key, strrchr(sw->params[i].key, '.') ?
						   strrchr(sw->params[i].key, '.') + 1 : sw->params[i].key))
				blame = i;
		}
		{
			char msg[1024];
			fs_error_format(&le, msg, sizeof(msg));
			return fs_error_set(e, FS_ERR_INPUT, sw->file, sw->params[blame].line,
					    sw->params[blame].key,
					    "point %zu (%s): the scenario loader refuses it: %s", p, at,
					    msg);
		}
	}
	return FS_OK;
}

/* Key `base`: the base scenario's text, its SHA-256, and its fleets that the sweep runs. */
static enum fs_status load_base(struct fs_sweep *sw, const config_setting_t *root, const char *name,
				struct fs_error *e)
{
	const config_setting_t *s = config_setting_get_member(root, "base");
	struct fs_scenario sc;
	struct fs_error be;
	enum fs_status st;

	if (!s || config_setting_type(s) != CONFIG_TYPE_STRING || !config_setting_get_string(s)[0])
		return fs_error_set(e, FS_ERR_INPUT, name, s ? fs_cfg_line(s) : 0, "base",
				    s ? "expected the path of the base scenario (a string, relative "
					"to the sweep file)"
				      : "missing required key 'base' (the path of the base scenario, "
					"relative to the sweep file)");
	base_path(sw, config_setting_get_string(s));
	if ((st = fs_cfg_read_file(sw->base_file, "scenario file", &sw->base_text, &be))) {
		char msg[1024];
		fs_error_format(&be, msg, sizeof(msg));
		return fs_error_set(e, st, name, fs_cfg_line(s), "base", "%s", msg);
	}
	fs_sha256_hex(sw->base_text, strlen(sw->base_text), sw->base_sha256);
	if ((st = fs_catalog_load_builtin(&sw->builtin, e)))
		return st;
	/* the base as it is must load: its own errors name its own lines */
	if ((st = fs_scenario_load_text_with(sw->base_text, sw->base_file, &sw->builtin, &sc, e)))
		return st;
	fs_strlcpy(sw->base_name, sc.name, sizeof(sw->base_name));
	st = load_fleets(sw, root, &sc, e);
	fs_scenario_fini(&sc);
	return st;
}

/* Keys `name`, `replications`, `seed` and `analysis`. */
static enum fs_status load_scalars(struct fs_sweep *sw, const config_setting_t *root, const char *name,
				   struct fs_error *e)
{
	const config_setting_t *s = config_setting_get_member(root, "name");
	long long reps, seed;
	enum fs_status st;
	char found[128];

	if (s && (config_setting_type(s) != CONFIG_TYPE_STRING || !config_setting_get_string(s)[0] ||
		  strlen(config_setting_get_string(s)) >= sizeof(sw->name))) {
		fs_cfg_describe(s, found, sizeof(found));
		return fs_error_set(e, FS_ERR_INPUT, name, fs_cfg_line(s), "name",
				    "found %s; expected a non-empty string of at most %zu characters",
				    found, sizeof(sw->name) - 1);
	}
	if (s) {
		fs_strlcpy(sw->name, config_setting_get_string(s), sizeof(sw->name));
	} else {
		const char *stem = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
		snprintf(sw->name, sizeof(sw->name), "%.*s", (int)strcspn(stem, "."), stem);
	}
	if ((st = get_int_key(sw, root, "replications", 1, 1, FS_SWEEP_MAX_REPLICATIONS, &reps, e)) ||
	    (st = get_int_key(sw, root, "seed", 42, 0, SEED_MAX, &seed, e)))
		return st;
	sw->replications = (int)reps;
	sw->seed = (uint64_t)seed;
	s = config_setting_get_member(root, "analysis");
	if (s && (config_setting_type(s) != CONFIG_TYPE_STRING ||
		  strcmp(config_setting_get_string(s), "run") != 0)) {
		fs_cfg_describe(s, found, sizeof(found));
		return fs_error_set(e, FS_ERR_INPUT, name, fs_cfg_line(s), "analysis",
				    "found %s; expected \"run\" (one simulation per point, fleet option "
				    "and replication; \"outgrow\" per point is not supported yet, "
				    "docs/SCALE.md)", found);
	}
	sw->analysis = FS_SWEEP_ANALYSIS_RUN;
	return FS_OK;
}

/* Key `vary`: each parameter's slot in the base text and its values; the item count. */
static enum fs_status load_vary(struct fs_sweep *sw, const config_setting_t *root, const char *name,
				config_t *base, struct fs_sweep_priv *priv, struct fs_error *e)
{
	const config_setting_t *vary = config_setting_get_member(root, "vary");
	double n_items = (double)sw->n_fleets * (double)sw->replications;
	enum fs_status st;

	if (vary && config_setting_type(vary) != CONFIG_TYPE_LIST)
		return fs_error_set(e, FS_ERR_INPUT, name, fs_cfg_line(vary), "vary",
				    "expected a list ( { key = \"...\"; values = [ ... ]; }, ... )");
	if (vary && config_setting_length(vary) > FS_SWEEP_MAX_PARAMS)
		return fs_error_set(e, FS_ERR_INPUT, name, fs_cfg_line(vary), "vary",
				    "%d entries; expected at most %d", config_setting_length(vary),
				    FS_SWEEP_MAX_PARAMS);
	sw->n_points = 1;
	for (int i = 0; vary && i < config_setting_length(vary); i++) {
		sw->n_params = (size_t)i + 1;
		if ((st = read_param(sw, config_setting_get_elem(vary, (unsigned)i), (size_t)i, base,
				     &priv->slots[i], e)))
			return st;
		for (int j = 0; j < i; j++)
			if (priv->slots[j].off == priv->slots[i].off)
				return fs_error_set(e, FS_ERR_INPUT, name, sw->params[i].line,
						    sw->params[i].key, "the same setting as vary.[%d]", j);
		n_items *= (double)sw->params[i].n_values;
		if (n_items > FS_SWEEP_MAX_ITEMS)
			return fs_error_set(e, FS_ERR_INPUT, name, sw->params[i].line, sw->params[i].key,
					    "the sweep has more than %.0f items (points x fleets x "
					    "replications); expected fewer", FS_SWEEP_MAX_ITEMS);
		sw->n_points *= sw->params[i].n_values;
	}
	sw->n_items = (size_t)n_items;
	return FS_OK;
}

enum fs_status fs_sweep_load_text(const char *text, const char *name, struct fs_sweep *sw,
				  struct fs_error *e)
{
	config_t cfg, base;
	bool cfg_ok = false, base_ok = false;
	const config_setting_t *root;
	struct fs_sweep_priv *priv;
	enum fs_status st;

	memset(sw, 0, sizeof(*sw));
	fs_error_clear(e);
	fs_strlcpy(sw->file, name, sizeof(sw->file));
	if (!(priv = calloc(1, sizeof(*priv))))
		return fs_error_set(e, FS_ERR_NOMEM, name, 0, NULL, "out of memory");
	if ((st = fs_cfg_parse(text, name, &cfg, e))) {
		free(priv);
		return st;
	}
	cfg_ok = true;
	root = config_root_setting(&cfg);
	if ((st = fs_cfg_check_keys(name, root, "", sweep_keys,
				    sizeof(sweep_keys) / sizeof(*sweep_keys), e)) ||
	    (st = load_base(sw, root, name, e)) || (st = load_scalars(sw, root, name, e)))
		goto fail;
	if ((st = fs_cfg_parse(sw->base_text, sw->base_file, &base, e)))
		goto fail;
	base_ok = true;
	if ((st = load_vary(sw, root, name, &base, priv, e)))
		goto fail;
	sw->priv = priv;
	priv = NULL;
	if ((st = make_definition(sw, e)) || (st = check_points(sw, e)))
		goto fail;
	config_destroy(&base);
	config_destroy(&cfg);
	return FS_OK;
fail:
	free(priv);
	if (base_ok)
		config_destroy(&base);
	if (cfg_ok)
		config_destroy(&cfg);
	fs_sweep_fini(sw);
	return st;
}

enum fs_status fs_sweep_load(const char *path, struct fs_sweep *sw, struct fs_error *e)
{
	char *text;
	enum fs_status st;

	memset(sw, 0, sizeof(*sw));
	if ((st = fs_cfg_read_file(path, "sweep file", &text, e)))
		return st;
	st = fs_sweep_load_text(text, path, sw, e);
	free(text);
	return st;
}

void fs_sweep_fini(struct fs_sweep *sw)
{
	for (size_t i = 0; i < FS_SWEEP_MAX_PARAMS; i++)
		free(sw->params[i].values);
	free(sw->base_text);
	free(sw->fleet_idx);
	free(sw->fleet_names);
	free(sw->definition);
	free(sw->priv);
	fs_catalog_fini(&sw->builtin);
	memset(sw, 0, sizeof(*sw));
}

/* ---- the work list ---- */

void fs_sweep_item_at(const struct fs_sweep *sw, size_t i, struct fs_sweep_item *out)
{
	size_t reps = (size_t)sw->replications;

	out->item = i;
	out->replication = i % reps;
	out->fleet = (i / reps) % sw->n_fleets;
	out->point = i / reps / sw->n_fleets;
	out->fleet_idx = sw->fleet_idx[out->fleet];
	out->seed = fs_sweep_item_seed(sw->seed, out->point, out->replication);
}

void fs_sweep_point_values(const struct fs_sweep *sw, size_t p, double *out)
{
	/* the last entry fastest: mixed radix, least significant last */
	for (size_t i = sw->n_params; i-- > 0;) {
		out[i] = sw->params[i].values[p % sw->params[i].n_values];
		p /= sw->params[i].n_values;
	}
}

uint64_t fs_sweep_item_seed(uint64_t master, size_t point, size_t replication)
{
	char name[64];

	snprintf(name, sizeof(name), "sweep:%zu:%zu", point, replication);
	return fs_seed_mix(master, name) & (uint64_t)SEED_MAX;
}

enum fs_status fs_sweep_point_text(const struct fs_sweep *sw, size_t p, char **text,
				   struct fs_error *e)
{
	const struct slot *slots = sw->priv->slots;
	double vals[FS_SWEEP_MAX_PARAMS];
	char lits[FS_SWEEP_MAX_PARAMS][40];
	size_t order[FS_SWEEP_MAX_PARAMS], len = strlen(sw->base_text), cap = len + 1, o = 0, at = 0;
	char *out;

	fs_sweep_point_values(sw, p, vals);
	for (size_t i = 0; i < sw->n_params; i++) {
		literal(vals[i], sw->params[i].integer, lits[i], sizeof(lits[i]));
		cap += strlen(lits[i]);
		order[i] = i;
	}
	/* in text order */
	for (size_t i = 1; i < sw->n_params; i++)
		for (size_t j = i; j > 0 && slots[order[j]].off < slots[order[j - 1]].off; j--) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	if (!(out = malloc(cap)))
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	for (size_t k = 0; k < sw->n_params; k++) {
		const struct slot *s = &slots[order[k]];
		size_t n = strlen(lits[order[k]]);
		memcpy(out + o, sw->base_text + at, s->off - at);
		o += s->off - at;
		memcpy(out + o, lits[order[k]], n);
		o += n;
		at = s->off + s->len;
	}
	memcpy(out + o, sw->base_text + at, len - at);
	o += len - at;
	out[o] = '\0';
	*text = out;
	return FS_OK;
}

enum fs_status fs_sweep_point_load(const struct fs_sweep *sw, size_t p, struct fs_scenario *sc,
				   struct fs_error *e)
{
	char *text;
	enum fs_status st;

	memset(sc, 0, sizeof(*sc));
	if ((st = fs_sweep_point_text(sw, p, &text, e)))
		return st;
	st = fs_scenario_load_text_with(text, sw->base_file, &sw->builtin, sc, e);
	free(text);
	return st;
}

/* ---- Slurm ---- */

static enum fs_status env_uint(const char *var, const char *v, size_t *out, struct fs_error *e)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 10);
	if (!*v || *end || errno || v[0] == '-' || x > SIZE_MAX / 2)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, var,
				    "found \"%s\"; expected a non-negative integer", v);
	*out = (size_t)x;
	return FS_OK;
}

enum fs_status fs_sweep_shard_slurm(const char *id, const char *min, const char *step,
				    const char *count, size_t *k, size_t *n, bool *found,
				    struct fs_error *e)
{
	size_t vid = 0, vmin = 0, vstep = 1, vcount = 0;
	enum fs_status st;

	*k = 0;
	*n = 1;
	*found = false;
	if (!id || !count)
		return FS_OK;
	if ((st = env_uint("SLURM_ARRAY_TASK_ID", id, &vid, e)) ||
	    (st = env_uint("SLURM_ARRAY_TASK_COUNT", count, &vcount, e)) ||
	    (min && (st = env_uint("SLURM_ARRAY_TASK_MIN", min, &vmin, e))) ||
	    (step && (st = env_uint("SLURM_ARRAY_TASK_STEP", step, &vstep, e))))
		return st;
	if (vcount == 0 || vstep == 0 || vid < vmin || (vid - vmin) % vstep != 0 ||
	    (vid - vmin) / vstep >= vcount)
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "SLURM_ARRAY_TASK_ID",
				    "task %zu of an array from %zu step %zu with %zu tasks is not one "
				    "of its tasks; expected --array=0-(N-1) or 1-N", vid, vmin, vstep,
				    vcount);
	*k = (vid - vmin) / vstep;
	*n = vcount;
	*found = true;
	return FS_OK;
}

/* ---- one item ---- */

void fs_sweep_cache_fini(struct fs_sweep_cache *c)
{
	if (c->loaded)
		fs_scenario_fini(&c->sc);
	fs_service_memo_destroy(c->memo);
	memset(c, 0, sizeof(*c));
}

/* Loads item i's point into cache (when it holds another). */
static enum fs_status cache_point(const struct fs_sweep *sw, struct fs_sweep_cache *cache,
				  size_t point, struct fs_error *e)
{
	enum fs_status st;

	if (cache->loaded && cache->point == point)
		return FS_OK;
	/* the service plans outlive the point: they are keyed by content
	 * (service.c), so points that leave a service's shape alone (its
	 * demand, prices, fleet sizes) reuse them, in every worker */
	if (cache->loaded)
		fs_scenario_fini(&cache->sc);
	cache->loaded = false;
	if ((st = fs_sweep_point_load(sw, point, &cache->sc, e)))
		return st;
	cache->loaded = true;
	cache->point = point;
	if (cache->sc.serving.n_services > 0 && !cache->memo && fs_service_memo_create(&cache->memo))
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	return FS_OK;
}

/* A (service, GPU type) pair to plan: what a fleet run asks of the service memo. */
struct warm_pair {
	size_t service;
	const struct fs_gpu *gpu;
	int gpus_per_node;
};

/*
 * The pairs of the cached point's services and the sweep's fleets, each
 * once, in the order the serial warm met them, into *out (malloc'd; NULL
 * when none).
 */
static enum fs_status warm_pairs(const struct fs_sweep *sw, const struct fs_sweep_cache *cache,
				 struct warm_pair **out, size_t *n_out, struct fs_error *e)
{
	struct warm_pair *v = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	*n_out = 0;
	for (size_t s = 0; s < cache->sc.serving.n_services; s++) {
		const struct fs_service_spec *spec = &cache->sc.serving.services[s];

		for (size_t f = 0; f < sw->n_fleets; f++) {
			const struct fs_fleet_opt *fl = &cache->sc.fleets[sw->fleet_idx[f]];

			for (int p = 0; p < fl->n_pools; p++) {
				struct warm_pair w = { s, fl->pools[p].gpu, fl->pools[p].gpus_per_node };
				bool seen = false;

				if (spec->gpu && spec->gpu != w.gpu)
					continue;
				for (size_t k = 0; k < n && !seen; k++)
					seen = v[k].service == w.service && v[k].gpu == w.gpu &&
					       v[k].gpus_per_node == w.gpus_per_node;
				if (seen)
					continue;
				if (n == cap) {
					size_t ncap = cap ? 2 * cap : 8;
					struct warm_pair *nv = realloc(v, ncap * sizeof(*nv));
					if (!nv) {
						free(v);
						return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL,
								    "out of memory");
					}
					v = nv;
					cap = ncap;
				}
				v[n++] = w;
			}
		}
	}
	*out = v;
	*n_out = n;
	return FS_OK;
}

/* Plans pair w into cache's memo as the runs would (the same design demand). */
static enum fs_status warm_one(struct fs_sweep_cache *cache, const struct warm_pair *w,
			       struct fs_error *e)
{
	const struct fs_service_spec *spec = &cache->sc.serving.services[w->service];
	double design = fs_service_design_rps(spec, cache->sc.horizon_s);
	const struct fs_service_plan *plan;
	struct fs_error ignored;
	enum fs_status st;

	/* infeasible here is the run's to report, item by item */
	st = fs_service_plan_get(cache->memo, spec, w->gpu, w->gpus_per_node, design, &plan,
				 &ignored);
	if (st == FS_ERR_NOMEM || st == FS_ERR_SIM)
		return fs_error_set(e, st, NULL, 0, NULL, "%s", ignored.msg);
	return FS_OK;
}

enum fs_status fs_sweep_cache_warm(const struct fs_sweep *sw, struct fs_sweep_cache *cache, size_t i,
				   struct fs_error *e)
{
	struct fs_sweep_item it;
	struct warm_pair *v;
	size_t n;
	enum fs_status st;

	fs_sweep_item_at(sw, i, &it);
	if ((st = cache_point(sw, cache, it.point, e)) || (st = warm_pairs(sw, cache, &v, &n, e)))
		return st;
	for (size_t k = 0; k < n && st == FS_OK; k++)
		st = warm_one(cache, &v[k], e);
	free(v);
	return st;
}

/* An item of the parallel warm: one tensor-parallel size of one pair. */
struct warm_size {
	size_t pair;
	int tp;
};

struct warm_ctx {
	struct fs_sweep_cache *cache; /* in a worker: its copy of the writer's */
	const struct warm_pair *pairs;
	const struct warm_size *sizes;
};

/* Worker: the capacity curve of one TP size of a pair (what fs_service_tp_table
 * computes for it), then its whole memo; the writer adds what it lacks. */
static enum fs_status warm_work(void *c, size_t item, struct fs_dbuf *out, struct fs_error *e)
{
	struct warm_ctx *x = c;
	const struct warm_pair *w = &x->pairs[x->sizes[item].pair];
	struct fs_service_spec one = x->cache->sc.serving.services[w->service];
	double design = fs_service_design_rps(&one, x->cache->sc.horizon_s);
	struct fs_service_tp_row rows[4];
	struct fs_error ignored;
	enum fs_status st;
	int n;

	/* the same replica spec as the size gets in an auto search: the spec's tp is not in it */
	one.tp = x->sizes[item].tp;
	st = fs_service_tp_table(x->cache->memo, &one, w->gpu, w->gpus_per_node, design, rows, &n,
				 &ignored);
	if (st == FS_ERR_NOMEM || st == FS_ERR_SIM)
		return fs_error_set(e, st, NULL, 0, NULL, "%s", ignored.msg);
	if (fs_service_memo_export(x->cache->memo, out))
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	return FS_OK;
}

static enum fs_status warm_take(void *c, size_t item, const void *data, size_t n,
				struct fs_error *e)
{
	struct warm_ctx *x = c;

	(void)item;
	return fs_service_memo_import(x->cache->memo, data, n, e);
}

enum fs_status fs_sweep_cache_warm_jobs(const struct fs_sweep *sw, struct fs_sweep_cache *cache,
					size_t i, const struct fs_dispatch_params *dp,
					struct fs_error *e)
{
	struct fs_sweep_item it;
	struct fs_dispatch_stats ds;
	struct warm_ctx x;
	struct warm_pair *v;
	struct warm_size *sz = NULL;
	size_t n, n_sz = 0;
	enum fs_status st;

	fs_sweep_item_at(sw, i, &it);
	if ((st = cache_point(sw, cache, it.point, e)) || (st = warm_pairs(sw, cache, &v, &n, e)))
		return st;
	if (n > 0 && !(sz = malloc(4 * n * sizeof(*sz)))) {
		free(v);
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	}
	for (size_t k = 0; k < n; k++) {
		int tp[4], m = fs_service_tp_sizes(&cache->sc.serving.services[v[k].service],
						   v[k].gpus_per_node, tp);
		for (int j = 0; j < m; j++)
			sz[n_sz++] = (struct warm_size){ k, tp[j] };
	}
	x.cache = cache;
	x.pairs = v;
	x.sizes = sz;
	/* The capacity searches (most of a plan's cost) in parallel: items are
	 * TP sizes, not pairs, since a worker is handed two items at a time
	 * (dispatch_proc.c) and a sweep has few pairs (bench/sweep_200.cfg: 2). */
	if (n_sz > 0)
		st = fs_dispatch_run(n_sz, NULL, warm_work, warm_take, &x, dp, NULL, &ds, e);
	/* then each pair's plan here: its capacities are lookups now, its curve is built */
	for (size_t k = 0; k < n && st == FS_OK; k++)
		st = warm_one(cache, &v[k], e);
	free(sz);
	free(v);
	return st;
}

enum fs_status fs_sweep_run_item(const struct fs_sweep *sw, struct fs_sweep_cache *cache, size_t i,
				 struct fs_sweep_outcome *out, struct fs_error *e)
{
	struct fs_sweep_item it;
	struct fs_workload wl = { 0 };
	struct fs_run_result r;
	struct fs_criteria_eval ev;
	const struct fs_run_summary *s = &r.sum;
	double t0 = now_s();
	enum fs_status st;

	memset(out, 0, sizeof(*out));
	fs_sweep_item_at(sw, i, &it);
	if ((st = cache_point(sw, cache, it.point, e)))
		return st;
	if ((st = fs_workload_generate(&cache->sc, it.seed, &wl, e)))
		return st;
	st = fs_run_fleet_workload_memo(&cache->sc, &wl, it.fleet_idx, it.seed, cache->memo, &r, e);
	fs_workload_fini(&wl);
	if (st)
		return st;
	if ((st = fs_criteria_eval(&cache->sc, &r, &ev, e))) {
		fs_run_result_fini(&r);
		return st;
	}
	out->horizon_s = r.horizon_s;
	out->n_jobs = (int64_t)s->n_jobs;
	out->n_done_in_horizon = (int64_t)s->n_done_in_horizon;
	out->n_infeasible = (int64_t)s->n_infeasible;
	out->n_preemptions = (int64_t)s->n_preemptions;
	out->mean_wait_s = s->mean_wait_s;
	out->p90_wait_s = s->p90_wait_s;
	out->mean_tts_s = s->mean_tts_s;
	out->p90_tts_s = s->p90_tts_s;
	out->mean_util_frac = s->mean_util_frac;
	out->gpu_hours = s->gpu_hours;
	out->fleet_cost_usd = s->fleet_cost_usd;
	out->usd_per_month = s->fleet_cost_usd / (r.horizon_s / FS_SECONDS_PER_MONTH);
	out->serve_attainment_frac = cache->sc.serving.n_services ? s->serve_attainment_frac : NAN;
	out->usd_per_training_job = s->usd_per_training_job;
	out->usd_per_mtok_served = s->usd_per_mtok_served;
	out->n_months = ev.n_months;
	out->n_criteria = (int)cache->sc.n_criteria;
	out->first_fail_month = ev.first_fail_month;
	out->first_fail_criterion = ev.first_fail_criterion;
	if (ev.first_fail_criterion >= 0)
		fs_strlcpy(out->first_fail_name, cache->sc.criteria[ev.first_fail_criterion].name,
			   sizeof(out->first_fail_name));
	out->events = (int64_t)s->events;
	fs_criteria_eval_fini(&ev);
	fs_run_result_fini(&r);
	out->wall_s = now_s() - t0;
	return FS_OK;
}
