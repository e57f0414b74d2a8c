/*
 * scenario.c - libconfig adapter: catalogs and scenario files into validated
 * records. The only module that includes libconfig.h.
 */
#include "fleetsim/scenario.h"
#include "fleetsim/builtin.h"
#include "fleetsim/util.h"

#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ld {
	const char *file;
	struct fs_error *e;
};

static int line_of(const config_setting_t *s)
{
	return s ? (int)config_setting_source_line(s) : 0;
}

static const char *type_name(int t)
{
	switch (t) {
	case CONFIG_TYPE_GROUP: return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array [ ... ]";
	case CONFIG_TYPE_LIST: return "a list ( ... )";
	default: return "nothing";
	}
}

/* "found ..." text for a setting: its value for scalars, its type otherwise. */
static void describe(const config_setting_t *s, char *buf, size_t n)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		snprintf(buf, n, "%lld", (long long)config_setting_get_int64(s));
		break;
	case CONFIG_TYPE_FLOAT:
		snprintf(buf, n, "%g", config_setting_get_float(s));
		break;
	case CONFIG_TYPE_STRING:
		snprintf(buf, n, "\"%s\"", config_setting_get_string(s));
		break;
	case CONFIG_TYPE_BOOL:
		snprintf(buf, n, "%s", config_setting_get_bool(s) ? "true" : "false");
		break;
	default:
		snprintf(buf, n, "%s", type_name(config_setting_type(s)));
	}
}

static void join_path(char *out, size_t n, const char *prefix, const char *key)
{
	if (prefix && prefix[0])
		snprintf(out, n, "%s.%s", prefix, key);
	else
		snprintf(out, n, "%s", key);
}

static enum fs_status fail(struct ld *ld, const config_setting_t *s, const char *path,
			   const char *fmt, const char *a, const char *b)
{
	char msg[900];

	snprintf(msg, sizeof(msg), fmt, a ? a : "", b ? b : "");
	return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path, "%s", msg);
}

/* Every child of group must be one of keys[]; else "unknown key" with a suggestion. */
static enum fs_status check_keys(struct ld *ld, const config_setting_t *grp, const char *prefix,
				 const char *const *keys, size_t n)
{
	int len = config_setting_length(grp);

	for (int i = 0; i < len; i++) {
		const config_setting_t *c = config_setting_get_elem(grp, (unsigned)i);
		const char *name = config_setting_name(c);
		bool ok = false;
		char path[256], expected[700] = "";
		const char *best;

		for (size_t k = 0; k < n && !ok; k++)
			ok = strcmp(keys[k], name) == 0;
		if (ok)
			continue;
		join_path(path, sizeof(path), prefix, name);
		for (size_t k = 0; k < n; k++) {
			size_t u = strlen(expected);
			snprintf(expected + u, sizeof(expected) - u, "%s%s", k ? ", " : "", keys[k]);
		}
		best = fs_closest(name, keys, n);
		if (best)
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(c), path,
					    "unknown key '%s'; did you mean '%s'? expected one of: %s",
					    name, best, expected);
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(c), path,
				    "unknown key '%s'; expected one of: %s", name, expected);
	}
	return FS_OK;
}

static bool is_number(const config_setting_t *s)
{
	int t = config_setting_type(s);
	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 || t == CONFIG_TYPE_FLOAT;
}

static bool is_integer(const config_setting_t *s)
{
	int t = config_setting_type(s);
	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

static double num_of(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
							    : (double)config_setting_get_int64(s);
}

/*
 * Reads a number key. Absent: *out = def, or an error when required.
 * The value must be finite and within [lo, hi] (lo_open: > lo).
 */
static enum fs_status get_num(struct ld *ld, const config_setting_t *grp, const char *prefix,
			      const char *key, bool required, double def, double lo, bool lo_open,
			      double hi, const char *unit, double *out)
{
	const config_setting_t *s = config_setting_get_member(grp, key);
	char path[256], found[128], want[200];
	double v;

	join_path(path, sizeof(path), prefix, key);
	if (!s) {
		if (required)
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(grp), path,
					    "missing required key '%s' (a number%s%s)", key,
					    unit[0] ? " in " : "", unit);
		*out = def;
		return FS_OK;
	}
	describe(s, found, sizeof(found));
	snprintf(want, sizeof(want), "a number %s %g%s%s and <= %g", lo_open ? ">" : ">=", lo,
		 unit[0] ? " " : "", unit, hi);
	if (!is_number(s))
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path,
				    "found %s; expected %s", found, want);
	v = num_of(s);
	if (!isfinite(v) || v < lo || (lo_open && v <= lo) || v > hi)
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path,
				    "found %s; expected %s", found, want);
	*out = v;
	return FS_OK;
}

static enum fs_status get_int(struct ld *ld, const config_setting_t *grp, const char *prefix,
			      const char *key, bool required, long long def, long long lo,
			      long long hi, long long *out)
{
	const config_setting_t *s = config_setting_get_member(grp, key);
	char path[256], found[128];

	join_path(path, sizeof(path), prefix, key);
	if (!s) {
		if (required)
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(grp), path,
					    "missing required key '%s' (an integer)", key);
		*out = def;
		return FS_OK;
	}
	describe(s, found, sizeof(found));
	if (!is_integer(s) || config_setting_get_int64(s) < lo || config_setting_get_int64(s) > hi)
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path,
				    "found %s; expected an integer from %lld to %lld", found, lo, hi);
	*out = config_setting_get_int64(s);
	return FS_OK;
}

static enum fs_status get_str(struct ld *ld, const config_setting_t *grp, const char *prefix,
			      const char *key, bool required, const char *def, char *out, size_t n)
{
	const config_setting_t *s = config_setting_get_member(grp, key);
	char path[256], found[128];

	join_path(path, sizeof(path), prefix, key);
	if (!s) {
		if (required)
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(grp), path,
					    "missing required key '%s' (a string)", key);
		fs_strlcpy(out, def, n);
		return FS_OK;
	}
	describe(s, found, sizeof(found));
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path,
				    "found %s; expected a string", found);
	if (strlen(config_setting_get_string(s)) >= n || config_setting_get_string(s)[0] == '\0')
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path,
				    "found %s; expected a non-empty string of at most %zu characters",
				    found, n - 1);
	fs_strlcpy(out, config_setting_get_string(s), n);
	return FS_OK;
}

/* Fills a catalog record from a group through the field table; seen marks the keys set. */
static enum fs_status load_record(struct ld *ld, const config_setting_t *grp, const char *prefix,
				  const struct fs_field *f, size_t nf, void *rec, uint64_t *seen)
{
	int len = config_setting_length(grp);
	const char *keys[64];

	for (size_t k = 0; k < nf; k++)
		keys[k] = f[k].key;
	if (check_keys(ld, grp, prefix, keys, nf))
		return FS_ERR_INPUT;
	for (int i = 0; i < len; i++) {
		const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct fs_field *fd = fs_field_find(f, nf, name);
		char *dst = (char *)rec + fd->offset;
		char path[256], found[128];

		join_path(path, sizeof(path), prefix, name);
		describe(s, found, sizeof(found));
		switch (fd->type) {
		case FS_FIELD_DOUBLE: {
			double v;
			if (!is_number(s) || !isfinite(v = num_of(s)) || v < fd->min || v > fd->max)
				return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path,
						    "found %s; expected a number from %g to %g%s%s (%s)",
						    found, fd->min, fd->max, fd->unit[0] ? " " : "",
						    fd->unit, fd->doc);
			memcpy(dst, &v, sizeof(v));
			break;
		}
		case FS_FIELD_INT: {
			int v;
			if (!is_integer(s) || config_setting_get_int64(s) < (long long)fd->min ||
			    config_setting_get_int64(s) > (long long)fd->max)
				return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path,
						    "found %s; expected an integer from %g to %g (%s)",
						    found, fd->min, fd->max, fd->doc);
			v = (int)config_setting_get_int64(s);
			memcpy(dst, &v, sizeof(v));
			break;
		}
		case FS_FIELD_BOOL: {
			bool v;
			if (config_setting_type(s) != CONFIG_TYPE_BOOL)
				return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path,
						    "found %s; expected true or false (%s)", found, fd->doc);
			v = config_setting_get_bool(s) != 0;
			memcpy(dst, &v, sizeof(v));
			break;
		}
		case FS_FIELD_STRING:
			if (config_setting_type(s) != CONFIG_TYPE_STRING ||
			    strlen(config_setting_get_string(s)) >= fd->size)
				return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path,
						    "found %s; expected a string of at most %zu characters (%s)",
						    found, fd->size - 1, fd->doc);
			fs_strlcpy(dst, config_setting_get_string(s), fd->size);
			break;
		}
		*seen |= 1ULL << (fd - f);
	}
	return FS_OK;
}

static enum fs_status check_required(struct ld *ld, const config_setting_t *grp, const char *prefix,
				     const struct fs_field *f, size_t nf, uint64_t seen,
				     const char *what, const char *name)
{
	for (size_t k = 0; k < nf; k++) {
		char path[256];
		if (!f[k].required || (seen & (1ULL << k)))
			continue;
		join_path(path, sizeof(path), prefix, f[k].key);
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(grp), path,
				    "new %s '%s' lacks required key '%s' (%s%s%s)", what, name,
				    f[k].key, f[k].doc, f[k].unit[0] ? ", " : "", f[k].unit);
	}
	return FS_OK;
}

static void llm_defaults(struct fs_llm *m, uint64_t seen, const struct fs_field *f, size_t nf)
{
	double total, active;
	size_t k_params = (size_t)(fs_field_find(f, nf, "params_b") - f);
	size_t k_active = (size_t)(fs_field_find(f, nf, "active_params_b") - f);

	if (m->n_kv_heads <= 0)
		m->n_kv_heads = m->n_heads;
	if (m->n_experts <= 0)
		m->n_experts = 1;
	if (m->n_experts_active <= 0)
		m->n_experts_active = 1;
	if (m->max_seq <= 0)
		m->max_seq = 4096;
	fs_llm_params_from_shape(m, &total, &active);
	if (!(seen & (1ULL << k_params)) && m->params_b <= 0)
		m->params_b = total;
	if (!(seen & (1ULL << k_active)) && m->active_params_b <= 0)
		m->active_params_b = m->n_experts > 1 ? active * (m->params_b / total) : m->params_b;
}

/* Merges "gpus", "models" and "aliases" sections of root into cat. */
static enum fs_status merge_catalog(struct ld *ld, const config_setting_t *root, struct fs_catalog *cat)
{
	static const char *const sections[2] = { "gpus", "models" };

	for (int sec = 0; sec < 2; sec++) {
		const config_setting_t *list = config_setting_get_member(root, sections[sec]);
		bool is_gpu = sec == 0;
		size_t nf;
		const struct fs_field *f = is_gpu ? fs_gpu_fields(&nf) : fs_llm_fields(&nf);

		if (!list)
			continue;
		if (!config_setting_is_list(list)) {
			char found[64];
			describe(list, found, sizeof(found));
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(list), sections[sec],
					    "found %s; expected a list ( { name = ...; ... }, ... )", found);
		}
		for (int i = 0; i < config_setting_length(list); i++) {
			const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
			char prefix[64], name[FS_NAME_MAX];
			bool created;
			uint64_t seen = 0;
			void *rec;
			union { struct fs_gpu g; struct fs_llm m; } tmp;

			snprintf(prefix, sizeof(prefix), "%s.[%d]", sections[sec], i);
			if (!config_setting_is_group(g))
				return fail(ld, g, prefix, "expected a group { name = ...; ... }%s%s", NULL, NULL);
			if (get_str(ld, g, prefix, "name", true, "", name, sizeof(name)))
				return FS_ERR_INPUT;
			rec = is_gpu ? (void *)fs_catalog_gpu_upsert(cat, name, &created)
				     : (void *)fs_catalog_llm_upsert(cat, name, &created);
			if (!rec)
				return fs_error_set(ld->e, FS_ERR_NOMEM, ld->file, 0, NULL, "out of memory");
			/* Work on a copy so a failing entry leaves the catalog as it was. */
			memcpy(&tmp, rec, is_gpu ? sizeof(tmp.g) : sizeof(tmp.m));
			if (load_record(ld, g, prefix, f, nf, &tmp, &seen))
				return FS_ERR_INPUT;
			if (created && check_required(ld, g, prefix, f, nf, seen,
						      is_gpu ? "GPU" : "model", name))
				return FS_ERR_INPUT;
			if (is_gpu) {
				if (fs_gpu_check(&tmp.g, ld->file, line_of(g), ld->e))
					return FS_ERR_INPUT;
			} else {
				if (created || (seen & ~1ULL))
					llm_defaults(&tmp.m, seen, f, nf);
				if (fs_llm_check(&tmp.m, ld->file, line_of(g), ld->e))
					return FS_ERR_INPUT;
			}
			memcpy(rec, &tmp, is_gpu ? sizeof(tmp.g) : sizeof(tmp.m));
		}
	}
	{
		const config_setting_t *al = config_setting_get_member(root, "aliases");
		if (al) {
			if (!config_setting_is_group(al))
				return fail(ld, al, "aliases", "expected a group { short = \"Full-Name\"; ... }%s%s",
					    NULL, NULL);
			for (int i = 0; i < config_setting_length(al); i++) {
				const config_setting_t *a = config_setting_get_elem(al, (unsigned)i);
				char path[128];
				const char *target;
				snprintf(path, sizeof(path), "aliases.%s", config_setting_name(a));
				if (config_setting_type(a) != CONFIG_TYPE_STRING)
					return fail(ld, a, path, "expected a string naming a GPU or model%s%s",
						    NULL, NULL);
				target = config_setting_get_string(a);
				if (!fs_catalog_gpu(cat, target) && !fs_catalog_llm(cat, target))
					return fail(ld, a, path, "alias target '%s' is neither a known GPU nor a known model%s",
						    target, NULL);
				if (fs_catalog_add_alias(cat, config_setting_name(a), target))
					return fs_error_set(ld->e, FS_ERR_NOMEM, ld->file, 0, NULL, "out of memory");
			}
		}
	}
	return FS_OK;
}

static enum fs_status parse_text(struct ld *ld, config_t *cfg, const char *text)
{
	config_init(cfg);
	if (config_read_string(cfg, text) != CONFIG_TRUE) {
		enum fs_status st = fs_error_set(ld->e, FS_ERR_INPUT, ld->file, config_error_line(cfg),
						 NULL, "syntax error: %s", config_error_text(cfg));
		config_destroy(cfg);
		return st;
	}
	return FS_OK;
}

static enum fs_status load_catalog_text(struct fs_catalog *cat, const char *text, const char *path,
					const char *const *allowed, size_t n_allowed, struct fs_error *e)
{
	struct ld ld = { path, e };
	config_t cfg;
	enum fs_status st;

	if ((st = parse_text(&ld, &cfg, text)))
		return st;
	st = check_keys(&ld, config_root_setting(&cfg), "", allowed, n_allowed);
	if (!st)
		st = merge_catalog(&ld, config_root_setting(&cfg), cat);
	config_destroy(&cfg);
	return st;
}

enum fs_status fs_catalog_load_builtin(struct fs_catalog *cat, struct fs_error *e)
{
	static const char *const gk[] = { "gpus", "aliases" };
	static const char *const mk[] = { "models", "aliases" };
	enum fs_status st;

	fs_catalog_init(cat);
	st = load_catalog_text(cat, fs_builtin_gpus_cfg, fs_builtin_gpus_cfg_path, gk, 2, e);
	if (!st)
		st = load_catalog_text(cat, fs_builtin_llms_cfg, fs_builtin_llms_cfg_path, mk, 2, e);
	if (st)
		fs_catalog_fini(cat);
	return st;
}
