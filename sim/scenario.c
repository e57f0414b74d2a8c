/*
 * scenario.c - libconfig adapter: catalogs and scenario files into validated
 * records. The only module that includes libconfig.h.
 */
#include "fleetsim/scenario.h"
#include "cfg.h"
#include "fleetsim/builtin.h"
#include "fleetsim/history.h"
#include "fleetsim/sched.h"
#include "fleetsim/train.h"
#include "fleetsim/util.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ld {
	const char *file;
	struct fs_error *e;
	int train_stack;  /* key `training.stack`: the default of every job's `stack` */
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
	/* key paths are short; a longer one is cut, which only shortens a message */
	int len = prefix && prefix[0] ? snprintf(out, n, "%s.%s", prefix, key)
				       : snprintf(out, n, "%s", key);
	if (len < 0 || (size_t)len >= n)
		out[n - 1] = '\0';
}

/* Bad input at setting s (may be NULL): FS_ERR_INPUT with a printf-style message. */
static enum fs_status fail(struct ld *ld, const config_setting_t *s, const char *path,
			   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum fs_status fail(struct ld *ld, const config_setting_t *s, const char *path,
			   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fs_error_vset(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path, fmt, ap);
	va_end(ap);
	return FS_ERR_INPUT;
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

static void llm_defaults(struct fs_llm *m, uint64_t seen, const struct fs_field *f, size_t nf,
			 bool shape_changed)
{
	double total, active;
	size_t k_params = (size_t)(fs_field_find(f, nf, "params_b") - f);
	size_t k_active = (size_t)(fs_field_find(f, nf, "active_params_b") - f);

	m->n_kv_heads = fs_llm_kv_heads(m);
	if (m->n_experts <= 0)
		m->n_experts = 1;
	if (m->n_experts_active <= 0)
		m->n_experts_active = 1;
	if (m->max_seq <= 0)
		m->max_seq = 4096;
	fs_llm_params_from_shape(m, &total, &active);
	/* A new entry, or an override that changes the shape, gets counts from the
	 * shape unless it states them; a published count is kept otherwise. */
	if (!(seen & (1ULL << k_params)) && (m->params_b <= 0 || shape_changed))
		m->params_b = total;
	if (!(seen & (1ULL << k_active)) && (m->active_params_b <= 0 || shape_changed))
		m->active_params_b = m->n_experts > 1 ? active * (m->params_b / total) : m->params_b;
}

/*
 * Refuses a second entry of one catalog list (gpus or models) for the same
 * record, by name or alias: the second would silently override the first.
 */
static enum fs_status check_catalog_dup(struct ld *ld, const struct fs_catalog *cat,
					const config_setting_t *list, int i, bool is_gpu,
					const char *name)
{
	const void *rec = is_gpu ? (const void *)fs_catalog_gpu(cat, name)
				 : (const void *)fs_catalog_llm(cat, name);
	const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
	char path[64];

	if (!rec)
		return FS_OK;
	for (int k = 0; k < i; k++) {
		const config_setting_t *prev = config_setting_get_elem(list, (unsigned)k);
		const char *other;
		if (config_setting_lookup_string(prev, "name", &other) != CONFIG_TRUE)
			continue;
		if ((is_gpu ? (const void *)fs_catalog_gpu(cat, other)
			    : (const void *)fs_catalog_llm(cat, other)) != rec)
			continue;
		snprintf(path, sizeof(path), "%s.[%d].name", is_gpu ? "gpus" : "models", i);
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(g), path,
				    "%s \"%s\" is also given at line %d (as \"%s\"); expected each "
				    "catalog entry once, with all its keys", is_gpu ? "GPU" : "model",
				    name, line_of(prev), other);
	}
	return FS_OK;
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
				return fail(ld, g, prefix, "expected a group { name = ...; ... }");
			if (get_str(ld, g, prefix, "name", true, "", name, sizeof(name)) ||
			    check_catalog_dup(ld, cat, list, i, is_gpu, name))
				return FS_ERR_INPUT;
			rec = is_gpu ? (void *)fs_catalog_gpu_upsert(cat, name, &created)
				     : (void *)fs_catalog_llm_upsert(cat, name, &created);
			if (!rec)
				return fs_error_set(ld->e, FS_ERR_NOMEM, ld->file, 0, NULL, "out of memory");
			/* Work on a copy so a failing entry leaves the catalog as it was. */
			memcpy(&tmp, rec, is_gpu ? sizeof(tmp.g) : sizeof(tmp.m));
			if (load_record(ld, g, prefix, f, nf, &tmp, &seen))
				return FS_ERR_INPUT;
			/* an override named by an alias keeps the record's catalog name */
			if (!created) {
				if (is_gpu)
					fs_strlcpy(tmp.g.name, ((struct fs_gpu *)rec)->name, sizeof(tmp.g.name));
				else
					fs_strlcpy(tmp.m.name, ((struct fs_llm *)rec)->name, sizeof(tmp.m.name));
			}
			if (created && check_required(ld, g, prefix, f, nf, seen,
						      is_gpu ? "GPU" : "model", name))
				return FS_ERR_INPUT;
			if (is_gpu) {
				if (fs_gpu_check(&tmp.g, ld->file, line_of(g), ld->e))
					return FS_ERR_INPUT;
			} else {
				static const char *const meta[] = { "name", "source", "max_seq",
								     "params_b", "active_params_b" };
				uint64_t meta_mask = 0;
				for (size_t k = 0; k < sizeof(meta) / sizeof(meta[0]); k++)
					meta_mask |= 1ULL << (fs_field_find(f, nf, meta[k]) - f);
				llm_defaults(&tmp.m, seen, f, nf, !created && (seen & ~meta_mask));
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
				return fail(ld, al, "aliases", "expected a group { short = \"Full-Name\"; ... }");
			for (int i = 0; i < config_setting_length(al); i++) {
				const config_setting_t *a = config_setting_get_elem(al, (unsigned)i);
				char path[128];
				const char *target;
				snprintf(path, sizeof(path), "aliases.%s", config_setting_name(a));
				if (config_setting_type(a) != CONFIG_TYPE_STRING)
					return fail(ld, a, path, "expected a string naming a GPU or model");
				target = config_setting_get_string(a);
				if (!fs_catalog_gpu(cat, target) && !fs_catalog_llm(cat, target))
					return fail(ld, a, path, "alias target '%s' is neither a known GPU nor a known model",
						    target);
				if (fs_catalog_add_alias(cat, config_setting_name(a), target))
					return fs_error_set(ld->e, FS_ERR_NOMEM, ld->file, 0, NULL, "out of memory");
			}
		}
	}
	return FS_OK;
}

/* ---- the text before libconfig sees it ---------------------------------- */

static bool is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex_digit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Whether the decimal digits d[0..n) (no sign) exceed the 64-bit range:
 * 9223372036854775807, or ...808 when negative.
 */
static bool decimal_beyond_int64(const char *d, size_t n, bool negative)
{
	static const char max[] = "9223372036854775807";
	int cmp;

	while (n > 1 && *d == '0')
		d++, n--;
	if (n != sizeof(max) - 1)
		return n > sizeof(max) - 1;
	cmp = memcmp(d, max, n);
	return negative ? cmp > 0 && memcmp(d, "9223372036854775808", n) != 0 : cmp > 0;
}

/* Whether the hex digits h[0..n) exceed 0x7FFFFFFFFFFFFFFF. */
static bool hex_beyond_int64(const char *h, size_t n)
{
	while (n > 1 && *h == '0')
		h++, n--;
	return n > 16 || (n == 16 && !(h[0] >= '0' && h[0] <= '7'));
}

/*
 * Prepares text for libconfig 1.5 into *out (malloc'd, caller frees):
 *  - every integer literal without an L suffix gets one, so libconfig reads
 *    it with 64 bits (it reads unsuffixed literals with atoi, which wraps
 *    4294967338 to 42); all integers then have one type, so arrays of them
 *    stay uniform;
 *  - a literal beyond the 64-bit range is refused (libconfig would saturate);
 *  - @include is refused (docs/SCENARIO.md says why).
 * Strings and comments are copied as they are. Lines are unchanged, so
 * libconfig's line numbers are the user's. FS_OK, FS_ERR_INPUT or FS_ERR_NOMEM.
 */
static enum fs_status widen_ints(struct ld *ld, const char *text, char **out)
{
	size_t len = strlen(text), n_ints = 0, o = 0, i = 0;
	char *buf, key[128] = "", name[128] = "";
	int line = 1;

	/* an upper bound for the copy: one suffix per digit, at most */
	for (size_t k = 0; k < len; k++)
		n_ints += is_digit(text[k]);
	buf = malloc(len + n_ints + 1);
	if (!buf)
		return fs_error_set(ld->e, FS_ERR_NOMEM, ld->file, 0, NULL, "out of memory");
	while (i < len) {
		char c = text[i];
		size_t start = i;

		if (c == '\n') {
			line++;
			buf[o++] = text[i++];
		} else if (c == '#' || (c == '/' && text[i + 1] == '/')) {
			while (i < len && text[i] != '\n')
				buf[o++] = text[i++];
		} else if (c == '/' && text[i + 1] == '*') {
			buf[o++] = text[i++];
			buf[o++] = text[i++];
			while (i < len && !(text[i] == '*' && text[i + 1] == '/')) {
				line += text[i] == '\n';
				buf[o++] = text[i++];
			}
			for (int k = 0; k < 2 && i < len; k++)
				buf[o++] = text[i++];
		} else if (c == '"') {
			buf[o++] = text[i++];
			while (i < len && text[i] != '"') {
				if (text[i] == '\\' && i + 1 < len)
					buf[o++] = text[i++];
				line += text[i] == '\n';
				buf[o++] = text[i++];
			}
			if (i < len)
				buf[o++] = text[i++];
		} else if (c == '@') {
			free(buf);
			if (strncmp(text + i, "@include", 8) == 0)
				return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line, "@include",
						    "@include is not supported; expected one self-contained "
						    "scenario file (docs/SCENARIO.md)");
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line, NULL,
					    "syntax error: unexpected '@'");
		} else if (is_name_start(c)) {
			while (i < len && is_name_char(text[i]))
				buf[o++] = text[i++];
			if (i - start < sizeof(name)) {
				memcpy(name, text + start, i - start);
				name[i - start] = '\0';
			}
		} else if (c == '=' || c == ':') {
			memcpy(key, name, sizeof(key));
			buf[o++] = text[i++];
		} else if (c == '.' && is_digit(text[i + 1])) {
			/* a number such as .5 or .5e3: no integer in it */
			buf[o++] = text[i++];
			while (i < len && (is_name_char(text[i]) || text[i] == '.' ||
					   ((text[i] == '-' || text[i] == '+') &&
					    (text[i - 1] == 'e' || text[i - 1] == 'E'))))
				buf[o++] = text[i++];
		} else if (is_digit(c)) {
			bool hex = c == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X') &&
				   is_hex_digit(text[i + 2]);
			bool negative = start > 0 && text[start - 1] == '-';
			size_t d0 = hex ? i + 2 : i, d1;
			bool beyond;

			i = d0;
			while (i < len && (hex ? is_hex_digit(text[i]) : is_digit(text[i])))
				i++;
			d1 = i;
			if (!hex && i < len && (text[i] == '.' || text[i] == 'e' || text[i] == 'E')) {
				/* a floating-point literal: copy it whole */
				while (i < len && (is_digit(text[i]) || text[i] == '.' || text[i] == 'e' ||
						   text[i] == 'E' ||
						   ((text[i] == '-' || text[i] == '+') &&
						    (text[i - 1] == 'e' || text[i - 1] == 'E'))))
					i++;
				memcpy(buf + o, text + start, i - start);
				o += i - start;
				continue;
			}
			beyond = hex ? hex_beyond_int64(text + d0, d1 - d0)
				     : decimal_beyond_int64(text + d0, d1 - d0, negative);
			if (beyond) {
				free(buf);
				return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line, key[0] ? key : NULL,
						    "found %s%.*s; expected an integer from "
						    "-9223372036854775808 to 9223372036854775807 (64 bits)",
						    negative ? "-" : "", (int)(d1 - start > 40 ? 40 : d1 - start),
						    text + start);
			}
			memcpy(buf + o, text + start, d1 - start);
			o += d1 - start;
			if (i < len && text[i] == 'L')
				continue;  /* suffixed already */
			buf[o++] = 'L';
		} else {
			buf[o++] = text[i++];
		}
	}
	buf[o] = '\0';
	*out = buf;
	return FS_OK;
}

static enum fs_status parse_text(struct ld *ld, config_t *cfg, const char *text)
{
	char *wide;
	enum fs_status st;

	if ((st = widen_ints(ld, text, &wide)))
		return st;
	config_init(cfg);
	if (config_read_string(cfg, wide) != CONFIG_TRUE) {
		st = fs_error_set(ld->e, FS_ERR_INPUT, ld->file, config_error_line(cfg),
				  NULL, "syntax error: %s", config_error_text(cfg));
		config_destroy(cfg);
	}
	free(wide);
	return st;
}

/* ---- the seam shared with the sweep loader (cfg.h) ---- */

enum fs_status fs_cfg_parse(const char *text, const char *file, config_t *cfg,
			    struct fs_error *e)
{
	struct ld ld = { file, e, FS_TRAIN_DEFAULT_STACK };

	return parse_text(&ld, cfg, text);
}

enum fs_status fs_cfg_check_keys(const char *file, const config_setting_t *grp, const char *prefix,
				 const char *const *keys, size_t n, struct fs_error *e)
{
	struct ld ld = { file, e, FS_TRAIN_DEFAULT_STACK };

	return check_keys(&ld, grp, prefix, keys, n);
}

void fs_cfg_describe(const config_setting_t *s, char *buf, size_t n)
{
	describe(s, buf, n);
}

int fs_cfg_line(const config_setting_t *s)
{
	return line_of(s);
}

static enum fs_status load_catalog_text(struct fs_catalog *cat, const char *text, const char *path,
					const char *const *allowed, size_t n_allowed, struct fs_error *e)
{
	struct ld ld = { path, e, FS_TRAIN_DEFAULT_STACK };
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

/* ---- scenario files ---------------------------------------------------- */

static const char *const top_keys[] = {
	"name", "description", "seed", "horizon_days", "series_interval_hours", "train_model",
	"scheduler", "scheduler_estimate_noise",
	"failures", "node_failures", "fleets", "training", "serving", "gpus", "models", "aliases",
	"criteria", "outgrow", "teams",
};
static const char *const criterion_keys[] = {
	"name", "kind", "stream", "service", "max", "min", "hour_min",
};
static const char *const outgrow_keys[] = {
	"replications", "month", "scale_max", "scale_tolerance",
};
static const char *const failure_keys[] = {
	"enabled", "checkpoint_interval_s", "checkpoint_write_s", "restart_s",
};
static const char *const fleet_keys[] = {
	"name", "gpu", "nodes", "gpus_per_node", "pools", "procurement", "cost", "pool_choice",
};
static const char *const pool_keys[] = { "gpu", "nodes", "gpus_per_node" };
static const char *const procure_keys[] = { "day", "gpu", "nodes" };
static const char *const cost_keys[] = {
	"mode", "term", "usd_per_gpu_hour", "depreciation_years", "pue", "usd_per_kwh",
	"hosting_usd_per_kw_month", "idle_power_frac",
};
static const char *const node_failure_keys[] = { "mtbf_hours", "repair_hours" };
static const char *const serving_keys[] = { "interval_hours", "services" };
static const char *const service_keys[] = {
	"name", "model", "precision", "tp", "engine", "gpu", "input_tokens", "output_tokens",
	"ttft_p99_s", "tpot_p99_s", "demand", "reserved_gpus", "priority", "preempt_training",
};
static const char *const demand_keys[] = { "rps", "growth_per_month", "daily", "weekly", "steps" };
static const char *const step_keys[] = { "day", "factor" };
static const char *const training_keys[] = { "jobs", "streams", "history", "stack" };
static const char *const history_keys[] = { "file", "format", "skip_bad_rows", "scale" };
static const char *const job_keys[] = {
	"name", "model", "tokens", "gpus", "submit_day", "seq_len", "precision", "priority", "gpu",
	"team", "method", "lora_rank", "stack",
};
static const char *const stream_keys[] = {
	"name", "rate_per_day", "growth_per_month", "start_day", "end_day", "model", "models",
	"tokens", "gpus", "seq_len", "precision", "priority", "gpu", "team", "method", "lora_rank", "stack",
};
static const char *const team_keys[] = { "name", "quota_gpus" };
static const char *const mix_keys[] = { "model", "weight" };

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static const config_setting_t *get_list(struct ld *ld, const config_setting_t *grp,
					const char *prefix, const char *key, bool required,
					enum fs_status *st)
{
	const config_setting_t *s = config_setting_get_member(grp, key);
	char path[256], found[64];

	*st = FS_OK;
	join_path(path, sizeof(path), prefix, key);
	if (!s) {
		if (required)
			*st = fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(grp), path,
					   "missing required key '%s' (a list ( { ... }, ... ))", key);
		return NULL;
	}
	if (!config_setting_is_list(s)) {
		describe(s, found, sizeof(found));
		*st = fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path,
				   "found %s; expected a list ( { ... }, ... )", found);
		return NULL;
	}
	return s;
}

static enum fs_status expect_group(struct ld *ld, const config_setting_t *s, const char *path)
{
	char found[64];

	if (config_setting_is_group(s))
		return FS_OK;
	describe(s, found, sizeof(found));
	return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path,
			    "found %s; expected a group { key = value; ... }", found);
}

static enum fs_status lookup_model(struct ld *ld, const struct fs_catalog *cat,
				   const config_setting_t *grp, const char *prefix,
				   const char *key, const struct fs_llm **out)
{
	char name[FS_NAME_MAX], path[256];

	if (get_str(ld, grp, prefix, key, true, "", name, sizeof(name)))
		return FS_ERR_INPUT;
	*out = fs_catalog_llm(cat, name);
	if (*out)
		return FS_OK;
	join_path(path, sizeof(path), prefix, key);
	return fs_catalog_unknown(cat, "model", name, ld->file,
				  line_of(config_setting_get_member(grp, key)), path, ld->e);
}

/* Keys `method` and `lora_rank` of a training job or stream (docs/SCENARIO.md). */
static enum fs_status load_train_method(struct ld *ld, const config_setting_t *grp,
					const char *prefix, struct fs_train_opts *o)
{
	char name[16], path[256];
	enum fs_train_method m;
	long long rank = 0;

	if (get_str(ld, grp, prefix, "method", false, "full", name, sizeof(name)))
		return FS_ERR_INPUT;
	join_path(path, sizeof(path), prefix, "method");
	if (fs_train_method_parse(name, &m))
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file,
				    line_of(config_setting_get_member(grp, "method")), path,
				    "found \"%s\"; expected \"full\", \"lora\" or \"qlora\"", name);
	o->method = (int)m;
	if (get_int(ld, grp, prefix, "lora_rank", false, 0, 1, FS_TRAIN_MAX_LORA_RANK, &rank))
		return FS_ERR_INPUT;
	o->lora_rank = (int)rank;
	join_path(path, sizeof(path), prefix, "lora_rank");
	if (rank > 0 && m == FS_METHOD_FULL)
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file,
				    line_of(config_setting_get_member(grp, "lora_rank")), path,
				    "lora_rank applies to method \"lora\" or \"qlora\"; this job's method is \"full\"");
	join_path(path, sizeof(path), prefix, "precision");
	if (m == FS_METHOD_QLORA && o->precision != FS_PREC_BF16 && o->precision != FS_PREC_FP16)
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file,
				    line_of(config_setting_get_member(grp, "precision")), path,
				    "found \"%s\"; method \"qlora\" computes in \"bf16\" or \"fp16\"",
				    fs_precision_name(o->precision));
	return FS_OK;
}

/* A software-stack key (docs/models/training.md 3.7): one of the stack table's names. */
static enum fs_status load_train_stack(struct ld *ld, const config_setting_t *grp, const char *prefix,
				       const char *key, int def, int *out)
{
	char name[32], path[256], known[160] = "";
	enum fs_train_stack s;

	*out = def;
	if (!config_setting_get_member(grp, key))
		return FS_OK;
	if (get_str(ld, grp, prefix, key, false, "", name, sizeof(name)))
		return FS_ERR_INPUT;
	if (!fs_train_stack_parse(name, &s)) {
		*out = (int)s;
		return FS_OK;
	}
	for (int i = 0; i < FS_STACK_COUNT; i++) {
		size_t n = strlen(known);
		snprintf(known + n, sizeof(known) - n, "%s\"%s\"", i ? ", " : "",
			 fs_train_stack_name((enum fs_train_stack)i));
	}
	join_path(path, sizeof(path), prefix, key);
	return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(config_setting_get_member(grp, key)),
			    path, "found \"%s\"; expected one of %s", name, known);
}

static enum fs_status load_train_opts(struct ld *ld, const config_setting_t *grp, const char *prefix,
				      struct fs_train_opts *o)
{
	long long seq = 0;
	char prec[16], path[256];

	if (get_int(ld, grp, prefix, "seq_len", false, 0, 1, 1 << 20, &seq))
		return FS_ERR_INPUT;
	o->seq_len = (int)seq;
	if (get_str(ld, grp, prefix, "precision", false, "bf16", prec, sizeof(prec)))
		return FS_ERR_INPUT;
	join_path(path, sizeof(path), prefix, "precision");
	if (fs_precision_parse(prec, &o->precision) ||
	    (o->precision != FS_PREC_BF16 && o->precision != FS_PREC_FP16 &&
	     o->precision != FS_PREC_FP8 && o->precision != FS_PREC_TF32))
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file,
				    line_of(config_setting_get_member(grp, "precision")), path,
				    "found \"%s\"; expected \"bf16\", \"fp16\", \"fp8\" or \"tf32\"", prec);
	if (load_train_stack(ld, grp, prefix, "stack", ld->train_stack, &o->stack))
		return FS_ERR_INPUT;
	return load_train_method(ld, grp, prefix, o);
}

/*
 * A distribution: a plain number (fixed) or a group { dist = "..."; ... }.
 * Every value it states lies in [lo_min, hi_max] (lo_min <= 0: > 0), and the
 * draws of an unbounded kind are clamped to that range unless it gives its
 * own min and max.
 */
static enum fs_status load_dist(struct ld *ld, const config_setting_t *grp, const char *prefix,
				const char *key, double lo_min, double hi_max, struct fs_dist *d)
{
	static const char *const kinds[] = { "fixed", "uniform", "lognormal", "exponential", "choice" };
	static const char *const dist_keys[] = { "dist", "value", "min", "max", "median", "sigma",
						 "mean", "values", "weights" };
	const config_setting_t *s = config_setting_get_member(grp, key);
	char path[256], kind[32], found[64];
	double big = hi_max;
	/* a median or mean may be below a GPU count's 1, not below a token count's floor */
	double lo_mid = lo_min > 1 ? lo_min : 0;

	join_path(path, sizeof(path), prefix, key);
	memset(d, 0, sizeof(*d));
	d->lo = lo_min;
	d->hi = big;
	if (!s)
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(grp), path,
				    "missing required key '%s' (a number, or a group { dist = \"...\"; ... })", key);
	if (is_number(s)) {
		d->kind = FS_DIST_FIXED;
		if (get_num(ld, grp, prefix, key, true, 0, lo_min, lo_min <= 0, big, "", &d->a))
			return FS_ERR_INPUT;
		return FS_OK;
	}
	if (!config_setting_is_group(s)) {
		describe(s, found, sizeof(found));
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path,
				    "found %s; expected a number or a group { dist = \"...\"; ... }", found);
	}
	if (check_keys(ld, s, path, dist_keys, NKEYS(dist_keys)))
		return FS_ERR_INPUT;
	if (get_str(ld, s, path, "dist", true, "", kind, sizeof(kind)))
		return FS_ERR_INPUT;
	{
		int k = -1;
		for (int i = 0; i < (int)NKEYS(kinds); i++)
			if (strcmp(kind, kinds[i]) == 0)
				k = i;
		if (k < 0) {
			char p2[300];
			join_path(p2, sizeof(p2), path, "dist");
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file,
					    line_of(config_setting_get_member(s, "dist")), p2,
					    "found \"%s\"; expected \"fixed\", \"uniform\", \"lognormal\", "
					    "\"exponential\" or \"choice\"", kind);
		}
		d->kind = (enum fs_dist_kind)k;
	}
	{
		/* keys that belong to the kind chosen; others are errors, not ignored */
		static const char *const per_kind[][5] = {
			{ "dist", "value" },
			{ "dist", "min", "max" },
			{ "dist", "median", "sigma", "min", "max" },
			{ "dist", "mean", "min", "max" },
			{ "dist", "values", "weights" },
		};
		const char *const *allowed = per_kind[d->kind];
		size_t n_allowed = 0;
		while (n_allowed < 5 && allowed[n_allowed])
			n_allowed++;
		if (check_keys(ld, s, path, allowed, n_allowed))
			return FS_ERR_INPUT;
	}
	switch (d->kind) {
	case FS_DIST_FIXED:
		return get_num(ld, s, path, "value", true, 0, lo_min, false, big, "", &d->a);
	case FS_DIST_UNIFORM:
		if (get_num(ld, s, path, "min", true, 0, lo_min, false, big, "", &d->a) ||
		    get_num(ld, s, path, "max", true, 0, d->a, false, big, "", &d->b))
			return FS_ERR_INPUT;
		d->lo = d->a;
		d->hi = d->b;
		return FS_OK;
	case FS_DIST_LOGNORMAL:
		if (get_num(ld, s, path, "median", true, 0, lo_mid, lo_mid <= 0, big, "", &d->a) ||
		    get_num(ld, s, path, "sigma", true, 0, 0, false, 10, "", &d->b))
			return FS_ERR_INPUT;
		break;
	case FS_DIST_EXPONENTIAL:
		if (get_num(ld, s, path, "mean", true, 0, lo_mid, lo_mid <= 0, big, "", &d->a))
			return FS_ERR_INPUT;
		break;
	case FS_DIST_CHOICE: {
		const config_setting_t *v = config_setting_get_member(s, "values");
		const config_setting_t *w = config_setting_get_member(s, "weights");
		char pv[300], pw[300];
		join_path(pv, sizeof(pv), path, "values");
		join_path(pw, sizeof(pw), path, "weights");
		if (!v || !config_setting_is_array(v) || config_setting_length(v) < 1 ||
		    config_setting_length(v) > FS_MAX_CHOICES)
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(v ? v : s), pv,
					    "expected an array of 1 to %d numbers, e.g. [8, 16, 64]",
					    FS_MAX_CHOICES);
		d->n_values = config_setting_length(v);
		if (w && (!config_setting_is_array(w) || config_setting_length(w) != d->n_values))
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(w), pw,
					    "expected an array of %d non-negative numbers (one per value)",
					    d->n_values);
		double wsum = 0;
		for (int i = 0; i < d->n_values; i++) {
			const config_setting_t *x = config_setting_get_elem(v, (unsigned)i);
			d->values[i] = is_number(x) ? num_of(x) : -1;
			if (!is_number(x) || !isfinite(d->values[i]) || d->values[i] < lo_min ||
			    (lo_min <= 0 && d->values[i] <= 0) || d->values[i] > hi_max)
				return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(v), pv,
						    "element %d is not a number from %g to %g", i,
						    lo_min, hi_max);
			d->weights[i] = 1.0;
			if (w) {
				const config_setting_t *y = config_setting_get_elem(w, (unsigned)i);
				d->weights[i] = is_number(y) ? num_of(y) : -1;
				if (!is_number(y) || !isfinite(d->weights[i]) || d->weights[i] < 0)
					return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(w), pw,
							    "element %d is not a non-negative number", i);
			}
			wsum += d->weights[i];
		}
		/* each weight is finite, but 1e308 + 1e308 is not: the draw divides by the sum */
		if (!(wsum > 0) || !isfinite(wsum))
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(w), pw,
					    "weights sum to %g; expected a positive, finite sum",
					    wsum);
		d->lo = d->hi = d->values[0];
		for (int i = 1; i < d->n_values; i++) {
			if (d->values[i] < d->lo)
				d->lo = d->values[i];
			if (d->values[i] > d->hi)
				d->hi = d->values[i];
		}
		return FS_OK;
	}
	}
	/* lognormal and exponential take an optional clamp */
	if (get_num(ld, s, path, "min", false, lo_min, lo_min, false, big, "", &d->lo) ||
	    get_num(ld, s, path, "max", false, big, d->lo, false, big, "", &d->hi))
		return FS_ERR_INPUT;
	return FS_OK;
}

static double dist_max(const struct fs_dist *d)
{
	return d->kind == FS_DIST_FIXED ? d->a : d->hi;
}

/* The GPU type named by key of grp (a catalog name or alias); absent: NULL, or an error when required. */
static enum fs_status lookup_gpu(struct ld *ld, const struct fs_catalog *cat,
				 const config_setting_t *grp, const char *prefix,
				 const char *key, bool required, const struct fs_gpu **out)
{
	char name[FS_NAME_MAX], path[256];

	*out = NULL;
	if (!required && !config_setting_get_member(grp, key))
		return FS_OK;
	if (get_str(ld, grp, prefix, key, true, "", name, sizeof(name)))
		return FS_ERR_INPUT;
	*out = fs_catalog_gpu(cat, name);
	if (*out)
		return FS_OK;
	join_path(path, sizeof(path), prefix, key);
	return fs_catalog_unknown(cat, "gpu", name, ld->file,
				  line_of(config_setting_get_member(grp, key)), path, ld->e);
}

/* Index of f's pool of GPU type g, or -1. */
static int pool_of(const struct fs_fleet_opt *f, const struct fs_gpu *g)
{
	for (int p = 0; p < f->n_pools; p++)
		if (f->pools[p].gpu == g)
			return p;
	return -1;
}

int fs_fleet_opt_max_job_gpus(const struct fs_fleet_opt *f, const struct fs_gpu *gpu)
{
	int best = 0;

	for (int p = 0; p < f->n_pools; p++) {
		const struct fs_pool_spec *ps = &f->pools[p];
		if ((!gpu || ps->gpu == gpu) && ps->max_nodes * ps->gpus_per_node > best)
			best = ps->max_nodes * ps->gpus_per_node;
	}
	return best;
}

/* One pool from gpu, nodes (>= min_nodes) and gpus_per_node of group g. */
static enum fs_status load_pool(struct ld *ld, const config_setting_t *g, const char *prefix,
				const struct fs_catalog *cat, long long min_nodes,
				struct fs_pool_spec *p)
{
	long long nodes, gpn;

	if (lookup_gpu(ld, cat, g, prefix, "gpu", true, &p->gpu) ||
	    get_int(ld, g, prefix, "nodes", true, 0, min_nodes, 1000000, &nodes) ||
	    get_int(ld, g, prefix, "gpus_per_node", false, p->gpu->gpus_per_node, 1, 64, &gpn))
		return FS_ERR_INPUT;
	p->nodes = p->max_nodes = (int)nodes;
	p->gpus_per_node = (int)gpn;
	p->line = line_of(g);
	return FS_OK;
}

/* Either gpu/nodes/gpus_per_node (one pool) or `pools` (one per GPU type). */
static enum fs_status load_pools(struct ld *ld, const config_setting_t *g, const char *prefix,
				 const struct fs_catalog *cat, struct fs_fleet_opt *f)
{
	const config_setting_t *list = config_setting_get_member(g, "pools");
	enum fs_status st;
	char path[128];

	if (!list) {
		f->n_pools = 1;
		return load_pool(ld, g, prefix, cat, 1, &f->pools[0]);
	}
	for (size_t k = 0; k < NKEYS(pool_keys); k++) {
		const config_setting_t *one = config_setting_get_member(g, pool_keys[k]);
		join_path(path, sizeof(path), prefix, pool_keys[k]);
		if (one)
			return fail(ld, one, path, "both '%s' and 'pools' given; expected either one "
				    "pool as gpu, nodes, gpus_per_node or a list 'pools'", pool_keys[k]);
	}
	if (!(list = get_list(ld, g, prefix, "pools", true, &st)))
		return st;
	join_path(path, sizeof(path), prefix, "pools");
	if (config_setting_length(list) < 1 || config_setting_length(list) > FS_MAX_POOLS)
		return fail(ld, list, path, "'pools' holds %d entries; expected 1 to %d (one per GPU type)",
			    config_setting_length(list), FS_MAX_POOLS);
	for (int i = 0; i < config_setting_length(list); i++) {
		const config_setting_t *pg = config_setting_get_elem(list, (unsigned)i);
		struct fs_pool_spec *p = &f->pools[i];
		char pp[128];
		int prev;

		snprintf(pp, sizeof(pp), "%s.pools.[%d]", prefix, i);
		if (expect_group(ld, pg, pp) || check_keys(ld, pg, pp, pool_keys, NKEYS(pool_keys)) ||
		    load_pool(ld, pg, pp, cat, 0, p))
			return FS_ERR_INPUT;
		if ((prev = pool_of(f, p->gpu)) >= 0) {
			join_path(path, sizeof(path), pp, "gpu");
			return fail(ld, config_setting_get_member(pg, "gpu"), path,
				    "GPU type %s has a pool already (line %d); expected one pool per "
				    "GPU type", p->gpu->name, f->pools[prev].line);
		}
		f->n_pools++;
	}
	return FS_OK;
}

/*
 * `procurement`: steps sorted by day (ties in declaration order), a GPU type
 * without a pool getting one of 0 nodes; replayed to refuse retiring below 0
 * nodes and to fill each pool's max_nodes.
 */
static enum fs_status load_procurement(struct ld *ld, const config_setting_t *g, const char *prefix,
				       const struct fs_catalog *cat, struct fs_fleet_opt *f)
{
	enum fs_status st;
	const config_setting_t *list = get_list(ld, g, prefix, "procurement", false, &st);
	struct fs_procure_spec *tmp;
	int n, cur[FS_MAX_POOLS];

	if (!list)
		return st;
	n = config_setting_length(list);
	f->procure = calloc((size_t)(n ? n : 1), sizeof(*f->procure));
	tmp = calloc((size_t)(n ? n : 1), sizeof(*tmp));
	if (!f->procure || !tmp) {
		free(tmp);
		return fs_error_set(ld->e, FS_ERR_NOMEM, ld->file, 0, NULL, "out of memory");
	}
	st = FS_OK;
	for (int i = 0; i < n && !st; i++) {
		const config_setting_t *pg = config_setting_get_elem(list, (unsigned)i);
		char pp[128];
		const struct fs_gpu *gpu;
		double day;
		long long nodes;
		int k;

		snprintf(pp, sizeof(pp), "%s.procurement.[%d]", prefix, i);
		if (expect_group(ld, pg, pp) ||
		    check_keys(ld, pg, pp, procure_keys, NKEYS(procure_keys)) ||
		    get_num(ld, pg, pp, "day", true, 0, 0, false, 36500, "days", &day) ||
		    lookup_gpu(ld, cat, pg, pp, "gpu", true, &gpu) ||
		    get_int(ld, pg, pp, "nodes", true, 0, -1000000, 1000000, &nodes)) {
			st = FS_ERR_INPUT;
			break;
		}
		if (nodes == 0) {
			char path[160];
			join_path(path, sizeof(path), pp, "nodes");
			st = fail(ld, config_setting_get_member(pg, "nodes"), path,
				  "found 0; expected a non-zero number of nodes (> 0 adds, < 0 retires)");
			break;
		}
		if ((k = pool_of(f, gpu)) < 0) {
			if (f->n_pools == FS_MAX_POOLS) {
				st = fail(ld, pg, pp, "a pool for %s would be pool %d; expected at most %d "
					  "GPU types per fleet", gpu->name, FS_MAX_POOLS + 1, FS_MAX_POOLS);
				break;
			}
			k = f->n_pools++;
			f->pools[k].gpu = gpu;
			f->pools[k].nodes = f->pools[k].max_nodes = 0;
			f->pools[k].gpus_per_node = gpu->gpus_per_node;
			f->pools[k].line = line_of(pg);
		}
		tmp[i].at_s = day * FS_SECONDS_PER_DAY;
		tmp[i].pool = k;
		tmp[i].delta_nodes = (int)nodes;
		tmp[i].line = line_of(pg);
	}
	if (st) {
		free(tmp);
		return st;
	}
	/* stable insertion sort by time: steps on one day apply in declaration order */
	for (int i = 0; i < n; i++) {
		int j = (int)f->n_procure;
		while (j > 0 && f->procure[j - 1].at_s > tmp[i].at_s) {
			f->procure[j] = f->procure[j - 1];
			j--;
		}
		f->procure[j] = tmp[i];
		f->n_procure++;
	}
	free(tmp);
	for (int p = 0; p < f->n_pools; p++)
		cur[p] = f->pools[p].nodes;
	for (size_t i = 0; i < f->n_procure; i++) {
		const struct fs_procure_spec *pr = &f->procure[i];
		struct fs_pool_spec *ps = &f->pools[pr->pool];
		char path[160];

		snprintf(path, sizeof(path), "%s.procurement", prefix);
		cur[pr->pool] += pr->delta_nodes;
		if (cur[pr->pool] < 0)
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, pr->line, path,
					    "retires %d %s nodes at day %g, when %d are installed; "
					    "expected to retire at most the nodes installed",
					    -pr->delta_nodes, ps->gpu->name, pr->at_s / FS_SECONDS_PER_DAY,
					    cur[pr->pool] - pr->delta_nodes);
		if (cur[pr->pool] > 1000000)
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, pr->line, path,
					    "%d %s nodes installed at day %g; expected at most 1000000",
					    cur[pr->pool], ps->gpu->name, pr->at_s / FS_SECONDS_PER_DAY);
		if (cur[pr->pool] > ps->max_nodes)
			ps->max_nodes = cur[pr->pool];
	}
	return FS_OK;
}

/* `cost`: cloud (term, price) or owned (depreciation, power, hosting); defaults from cost.h. */
static enum fs_status load_cost(struct ld *ld, const config_setting_t *g, const char *prefix,
				struct fs_cost_spec *c)
{
	static const char *const cloud_only[] = { "term", "usd_per_gpu_hour" };
	static const char *const owned_only[] = {
		"depreciation_years", "pue", "usd_per_kwh", "hosting_usd_per_kw_month",
		"idle_power_frac",
	};
	const config_setting_t *s = config_setting_get_member(g, "cost");
	char path[128], mode[16], term[16];
	bool owned;

	fs_cost_spec_default(c);
	if (!s)
		return FS_OK;
	join_path(path, sizeof(path), prefix, "cost");
	if (expect_group(ld, s, path) || check_keys(ld, s, path, cost_keys, NKEYS(cost_keys)) ||
	    get_str(ld, s, path, "mode", false, "cloud", mode, sizeof(mode)))
		return FS_ERR_INPUT;
	if (strcmp(mode, "cloud") != 0 && strcmp(mode, "owned") != 0) {
		char p2[160];
		join_path(p2, sizeof(p2), path, "mode");
		return fail(ld, config_setting_get_member(s, "mode"), p2,
			    "found \"%s\"; expected \"cloud\" or \"owned\"", mode);
	}
	owned = strcmp(mode, "owned") == 0;
	for (size_t k = 0; k < (owned ? NKEYS(cloud_only) : NKEYS(owned_only)); k++) {
		const char *key = owned ? cloud_only[k] : owned_only[k];
		const config_setting_t *x = config_setting_get_member(s, key);
		char p2[160];
		join_path(p2, sizeof(p2), path, key);
		if (x)
			return fail(ld, x, p2, "'%s' applies to mode = \"%s\"; expected the keys of "
				    "mode = \"%s\"", key, owned ? "cloud" : "owned", mode);
	}
	c->line = line_of(s);
	if (owned) {
		c->mode = FS_COST_OWNED;
		return get_num(ld, s, path, "depreciation_years", false, c->depreciation_years, 0, true,
			       30, "years", &c->depreciation_years) ||
		       get_num(ld, s, path, "pue", false, c->pue, 1, false, 3, "", &c->pue) ||
		       get_num(ld, s, path, "usd_per_kwh", false, c->usd_per_kwh, 0, false, 10,
			       "USD/kWh", &c->usd_per_kwh) ||
		       get_num(ld, s, path, "hosting_usd_per_kw_month", false,
			       c->hosting_usd_per_kw_month, 0, false, 10000, "USD/kW-month",
			       &c->hosting_usd_per_kw_month) ||
		       get_num(ld, s, path, "idle_power_frac", false, c->idle_power_frac, 0, false, 1,
			       "", &c->idle_power_frac)
			       ? FS_ERR_INPUT : FS_OK;
	}
	c->mode = FS_COST_CLOUD;
	if (get_str(ld, s, path, "term", false, "on-demand", term, sizeof(term)) ||
	    get_num(ld, s, path, "usd_per_gpu_hour", false, c->usd_per_gpu_hour, 0, true, 1000,
		    "USD/GPU-h", &c->usd_per_gpu_hour))
		return FS_ERR_INPUT;
	if (strcmp(term, "on-demand") == 0 || strcmp(term, "committed") == 0) {
		c->committed = term[0] == 'c';
		return FS_OK;
	}
	join_path(path, sizeof(path), prefix, "cost.term");
	return fail(ld, config_setting_get_member(s, "term"), path,
		    "found \"%s\"; expected \"on-demand\" or \"committed\"", term);
}

static enum fs_status load_pool_choice(struct ld *ld, const config_setting_t *g, const char *prefix,
				       struct fs_fleet_opt *f)
{
	char name[32], path[128], known[256];

	if (get_str(ld, g, prefix, "pool_choice", false, fs_pool_choice_default()->name, name,
		    sizeof(name)))
		return FS_ERR_INPUT;
	if ((f->pool_choice = fs_pool_choice_find(name)))
		return FS_OK;
	join_path(path, sizeof(path), prefix, "pool_choice");
	return fail(ld, config_setting_get_member(g, "pool_choice"), path,
		    "found \"%s\"; expected one of %s", name, fs_pool_choice_names(known, sizeof(known)));
}

static enum fs_status load_fleets(struct ld *ld, const config_setting_t *root, struct fs_scenario *sc)
{
	enum fs_status st;
	const config_setting_t *list = get_list(ld, root, "", "fleets", true, &st);
	int n;

	if (!list)
		return st;
	n = config_setting_length(list);
	if (n < 1)
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(list), "fleets",
				    "found an empty list; expected at least one fleet option");
	sc->fleets = calloc((size_t)n, sizeof(*sc->fleets));
	if (!sc->fleets)
		return fs_error_set(ld->e, FS_ERR_NOMEM, ld->file, 0, NULL, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct fs_fleet_opt *f = &sc->fleets[i];
		char prefix[64];
		long long n_now = 0, n_max = 0;

		snprintf(prefix, sizeof(prefix), "fleets.[%d]", i);
		/* counted now, so fs_scenario_fini frees a partly loaded option's procurement */
		sc->n_fleets++;
		if (expect_group(ld, g, prefix) || check_keys(ld, g, prefix, fleet_keys, NKEYS(fleet_keys)) ||
		    get_str(ld, g, prefix, "name", true, "", f->name, sizeof(f->name)))
			return FS_ERR_INPUT;
		for (int j = 0; j < i; j++)
			if (strcmp(sc->fleets[j].name, f->name) == 0)
				return fail(ld, config_setting_get_member(g, "name"), prefix,
					    "fleet name \"%s\" is declared twice (lines %d and %d); "
					    "expected unique fleet names", f->name, sc->fleets[j].line,
					    line_of(g));
		if (load_pools(ld, g, prefix, &sc->catalog, f) ||
		    load_procurement(ld, g, prefix, &sc->catalog, f))
			return ld->e->code ? ld->e->code : FS_ERR_INPUT;
		for (int p = 0; p < f->n_pools; p++) {
			n_now += (long long)f->pools[p].nodes * f->pools[p].gpus_per_node;
			n_max += (long long)f->pools[p].max_nodes * f->pools[p].gpus_per_node;
		}
		if (n_max > 4000000)
			return fail(ld, g, prefix, "fleet of more than 4,000,000 GPUs; expected at most 4,000,000");
		if (n_max == 0)
			return fail(ld, g, prefix, "no pool ever has a node; expected nodes in a pool "
				    "or a procurement step that adds some");
		if (load_cost(ld, g, prefix, &f->cost) || load_pool_choice(ld, g, prefix, f))
			return FS_ERR_INPUT;
		f->gpu = f->pools[0].gpu;
		f->nodes = f->pools[0].nodes;
		f->gpus_per_node = f->pools[0].gpus_per_node;
		f->n_gpus = (int)n_now;
		f->line = line_of(g);
	}
	return FS_OK;
}

/*
 * Refuses a job (or an explicit shape) of gpus GPUs asking for GPU type gpu
 * (NULL: any) that is larger than every matching pool of some fleet can ever
 * be. A fleet with no pool of the type asked for is skipped: the job cannot
 * run there, which `check` warns about.
 */
static enum fs_status check_fits_fleets(struct ld *ld, const struct fs_scenario *sc, int line,
					const char *path, const char *what, const char *name,
					double gpus, const struct fs_gpu *gpu)
{
	for (size_t f = 0; f < sc->n_fleets; f++) {
		const struct fs_fleet_opt *fo = &sc->fleets[f];
		int cap = fs_fleet_opt_max_job_gpus(fo, gpu);
		if (cap == 0 || gpus <= cap)
			continue;
		if (fo->n_pools == 1 && fo->n_procure == 0)
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line, path,
					    "%s '%s' needs %g GPUs but fleet '%s' has %d; expected at most %d",
					    what, name, gpus, fo->name, cap, cap);
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line, path,
				    "%s '%s' needs %g GPUs but the largest %s%spool of fleet '%s' "
				    "holds at most %d; expected at most %d (one pool per job)",
				    what, name, gpus, gpu ? gpu->name : "", gpu ? " " : "", fo->name,
				    cap, cap);
	}
	return FS_OK;
}

/*
 * Whether job is the name of one of the stream's jobs, "<stream>-<n>" with n
 * a positive decimal number without leading zeros (fs_workload_job_name).
 */
static bool is_stream_job_name(const char *job, const char *stream)
{
	size_t n = strlen(stream);

	if (strncmp(job, stream, n) != 0 || job[n] != '-' || job[n + 1] < '1' || job[n + 1] > '9')
		return false;
	for (const char *p = job + n + 1; *p; p++)
		if (!is_digit(*p))
			return false;
	return true;
}

/*
 * Refuses a job or stream name that another declaration already holds: the
 * names of jobs, of streams, and the names of a stream's jobs share the
 * results' one name space. line: the new declaration's line.
 */
static enum fs_status check_new_name(struct ld *ld, const struct fs_scenario *sc, int line,
				     const char *path, const char *what, const char *name)
{
	bool is_stream = strcmp(what, "stream") == 0;

	for (size_t k = 0; k < sc->n_jobs; k++) {
		const struct fs_job_spec *j = &sc->jobs[k];
		if (strcmp(j->name, name) == 0)
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line, path,
					    "%s name \"%s\" is also the name of the job at line %d; "
					    "expected unique job and stream names", what, name, j->line);
		if (is_stream && is_stream_job_name(j->name, name))
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line, path,
					    "stream \"%s\" names its jobs %s-1, %s-2, ..., and the job at "
					    "line %d is named \"%s\"; expected a job name that no stream "
					    "generates", name, name, name, j->line, j->name);
	}
	for (size_t k = 0; k < sc->n_streams; k++) {
		const struct fs_stream_spec *st = &sc->streams[k];
		if (strcmp(st->name, name) == 0)
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line, path,
					    "%s name \"%s\" is also the name of the stream at line %d; "
					    "expected unique job and stream names", what, name, st->line);
	}
	if (is_stream && strcmp(name, "job") == 0)
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line, path,
				    "stream name \"job\" is the kind of the explicit jobs in the results; "
				    "expected another name");
	return FS_OK;
}

/* Key `teams = ( { name = "nlp"; quota_gpus = 256; }, ... )`: names unique,
 * quota_gpus >= 0 (0 = no quota). Loaded before the jobs and streams that
 * name them. */
static enum fs_status load_teams(struct ld *ld, const config_setting_t *root, struct fs_scenario *sc)
{
	enum fs_status st;
	const config_setting_t *list = get_list(ld, root, "", "teams", false, &st);
	int n;

	if (!list)
		return st;
	n = config_setting_length(list);
	sc->teams = calloc((size_t)(n ? n : 1), sizeof(*sc->teams));
	if (!sc->teams)
		return fs_error_set(ld->e, FS_ERR_NOMEM, ld->file, 0, NULL, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct fs_team_spec *t = &sc->teams[i];
		char prefix[64];
		long long quota;

		snprintf(prefix, sizeof(prefix), "teams.[%d]", i);
		if (expect_group(ld, g, prefix) || check_keys(ld, g, prefix, team_keys, NKEYS(team_keys)) ||
		    get_str(ld, g, prefix, "name", true, "", t->name, sizeof(t->name)) ||
		    get_int(ld, g, prefix, "quota_gpus", false, 0, 0, 4000000, &quota))
			return FS_ERR_INPUT;
		for (int k = 0; k < i; k++)
			if (strcmp(sc->teams[k].name, t->name) == 0)
				return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(g), prefix,
						    "team '%s' is declared twice (first at line %d); "
						    "expected unique names", t->name, sc->teams[k].line);
		t->quota_gpus = (int)quota;
		t->line = line_of(g);
		sc->n_teams++;
	}
	return FS_OK;
}

/*
 * The optional key `team` of a job or stream: *team is the index of the
 * team it names, or -1 without the key. An unknown name, or work larger
 * than the team's quota (it could never start), is an error at the key.
 */
static enum fs_status lookup_team(struct ld *ld, const struct fs_scenario *sc,
				  const config_setting_t *grp, const char *prefix, int max_gpus,
				  int32_t *team)
{
	const config_setting_t *s = config_setting_get_member(grp, "team");
	char name[64], path[256];

	*team = -1;
	if (!s)
		return FS_OK;
	if (get_str(ld, grp, prefix, "team", true, "", name, sizeof(name)))
		return FS_ERR_INPUT;
	join_path(path, sizeof(path), prefix, "team");
	for (size_t k = 0; k < sc->n_teams; k++) {
		const struct fs_team_spec *t = &sc->teams[k];

		if (strcmp(t->name, name) != 0)
			continue;
		if (t->quota_gpus > 0 && max_gpus > t->quota_gpus)
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path,
					    "up to %d GPUs per job, above the quota of team '%s' (%d GPUs, "
					    "line %d): such a job could never start; expected at most %d",
					    max_gpus, name, t->quota_gpus, t->line, t->quota_gpus);
		*team = (int32_t)k;
		return FS_OK;
	}
	return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s), path,
			    "found team \"%s\"; expected a name declared in 'teams'%s", name,
			    sc->n_teams ? "" : " (there is no 'teams' list)");
}

static enum fs_status load_jobs(struct ld *ld, const config_setting_t *tr, struct fs_scenario *sc)
{
	enum fs_status st;
	const config_setting_t *list = get_list(ld, tr, "training", "jobs", false, &st);
	int n;

	if (!list)
		return st;
	n = config_setting_length(list);
	sc->jobs = calloc((size_t)(n ? n : 1), sizeof(*sc->jobs));
	if (!sc->jobs)
		return fs_error_set(ld->e, FS_ERR_NOMEM, ld->file, 0, NULL, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct fs_job_spec *j = &sc->jobs[i];
		char prefix[64], path[96];
		long long gpus, prio;
		double day;

		snprintf(prefix, sizeof(prefix), "training.jobs.[%d]", i);
		if (expect_group(ld, g, prefix) || check_keys(ld, g, prefix, job_keys, NKEYS(job_keys)) ||
		    get_str(ld, g, prefix, "name", true, "", j->name, sizeof(j->name)) ||
		    lookup_model(ld, &sc->catalog, g, prefix, "model", &j->model) ||
		    get_num(ld, g, prefix, "tokens", true, 0, FS_JOB_TOKENS_MIN, false, FS_JOB_TOKENS_MAX,
			    "tokens", &j->tokens) ||
		    get_int(ld, g, prefix, "gpus", true, 0, 1, 4000000, &gpus) ||
		    get_num(ld, g, prefix, "submit_day", false, 0, 0, false, 36500, "days", &day) ||
		    load_train_opts(ld, g, prefix, &j->opts) ||
		    get_int(ld, g, prefix, "priority", false, 0, -1000, 1000, &prio) ||
		    lookup_gpu(ld, &sc->catalog, g, prefix, "gpu", false, &j->gpu))
			return FS_ERR_INPUT;
		j->priority = (int)prio;
		snprintf(path, sizeof(path), "%s.name", prefix);
		if (check_new_name(ld, sc, line_of(g), path, "job", j->name))
			return FS_ERR_INPUT;
		j->gpus = (int)gpus;
		if (lookup_team(ld, sc, g, prefix, j->gpus, &j->team))
			return FS_ERR_INPUT;
		j->submit_s = day * FS_SECONDS_PER_DAY;
		j->line = line_of(g);
		snprintf(path, sizeof(path), "%s.gpus", prefix);
		if (check_fits_fleets(ld, sc, line_of(config_setting_get_member(g, "gpus")), path,
				      "job", j->name, j->gpus, j->gpu))
			return FS_ERR_INPUT;
		if (j->submit_s >= sc->horizon_s)
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file,
					    line_of(config_setting_get_member(g, "submit_day")), prefix,
					    "job '%s' is submitted at day %g, at or after the horizon (%g days)",
					    j->name, day, sc->horizon_s / FS_SECONDS_PER_DAY);
		sc->n_jobs++;
	}
	return FS_OK;
}

static enum fs_status load_mix(struct ld *ld, const config_setting_t *g, const char *prefix,
			       const struct fs_catalog *cat, struct fs_stream_spec *s)
{
	const config_setting_t *one = config_setting_get_member(g, "model");
	const config_setting_t *many = config_setting_get_member(g, "models");
	enum fs_status st;

	if (one && many)
		return fail(ld, many, prefix, "both 'model' and 'models' given; expected one of them");
	if (one) {
		s->n_models = 1;
		s->models[0].weight = 1.0;
		return lookup_model(ld, cat, g, prefix, "model", &s->models[0].model);
	}
	if (!many)
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(g), prefix,
				    "missing required key 'model' (a model name) or 'models' (a list of "
				    "{ model = ...; weight = ...; })");
	many = get_list(ld, g, prefix, "models", true, &st);
	if (!many)
		return st;
	if (config_setting_length(many) < 1 || config_setting_length(many) > FS_MAX_MIX)
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(many), prefix,
				    "'models' holds %d entries; expected 1 to %d",
				    config_setting_length(many), FS_MAX_MIX);
	for (int i = 0; i < config_setting_length(many); i++) {
		const config_setting_t *m = config_setting_get_elem(many, (unsigned)i);
		char p[128];
		snprintf(p, sizeof(p), "%s.models.[%d]", prefix, i);
		if (expect_group(ld, m, p) || check_keys(ld, m, p, mix_keys, NKEYS(mix_keys)) ||
		    lookup_model(ld, cat, m, p, "model", &s->models[i].model) ||
		    get_num(ld, m, p, "weight", false, 1.0, 0, true, 1e9, "", &s->models[i].weight))
			return FS_ERR_INPUT;
		for (int k = 0; k < i; k++)
			if (s->models[k].model == s->models[i].model)
				return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(m), p,
						    "model '%s' is also entry [%d] of this mix (line %d); "
						    "expected each model once, with one weight",
						    s->models[i].model->name, k,
						    line_of(config_setting_get_elem(many, (unsigned)k)));
		s->n_models++;
	}
	return FS_OK;
}

/*
 * A stream's arrival window [start, end) days must not be empty, in seconds
 * as the simulator holds it. A given end_day is range-checked against
 * start_day by get_num; the default (the horizon) is not, so start_day equal
 * to the horizon without an end_day is caught here.
 */
static enum fs_status check_window(struct ld *ld, const config_setting_t *g, const char *prefix,
				   double start, double end)
{
	const config_setting_t *e = config_setting_get_member(g, "end_day");
	const config_setting_t *s = e ? e : config_setting_get_member(g, "start_day");
	char path[128];

	if (end * FS_SECONDS_PER_DAY > start * FS_SECONDS_PER_DAY)
		return FS_OK;
	join_path(path, sizeof(path), prefix, e ? "end_day" : "start_day");
	return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(s ? s : g), path,
			    "start_day %g and end_day %g%s leave an empty arrival window; expected "
			    "start_day < end_day", start, end, e ? "" : " (the horizon, by default)");
}

static enum fs_status load_streams(struct ld *ld, const config_setting_t *tr, struct fs_scenario *sc)
{
	enum fs_status st;
	const config_setting_t *list = get_list(ld, tr, "training", "streams", false, &st);
	int n;
	double horizon_days = sc->horizon_s / FS_SECONDS_PER_DAY;

	if (!list)
		return st;
	n = config_setting_length(list);
	sc->streams = calloc((size_t)(n ? n : 1), sizeof(*sc->streams));
	if (!sc->streams)
		return fs_error_set(ld->e, FS_ERR_NOMEM, ld->file, 0, NULL, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct fs_stream_spec *s = &sc->streams[i];
		char prefix[64], path[96];
		double rate, start, end;
		long long prio;

		snprintf(prefix, sizeof(prefix), "training.streams.[%d]", i);
		if (expect_group(ld, g, prefix) ||
		    check_keys(ld, g, prefix, stream_keys, NKEYS(stream_keys)) ||
		    get_str(ld, g, prefix, "name", true, "", s->name, sizeof(s->name)) ||
		    get_num(ld, g, prefix, "rate_per_day", true, 0, 0, true, 1e6, "jobs/day", &rate) ||
		    get_num(ld, g, prefix, "growth_per_month", false, 0, -0.99, false, 10, "", &s->growth_per_month_frac) ||
		    get_num(ld, g, prefix, "start_day", false, 0, 0, false, horizon_days, "days", &start) ||
		    get_num(ld, g, prefix, "end_day", false, horizon_days, start, true, 36500, "days", &end) ||
		    check_window(ld, g, prefix, start, end) ||
		    load_mix(ld, g, prefix, &sc->catalog, s) ||
		    load_dist(ld, g, prefix, "tokens", FS_JOB_TOKENS_MIN, FS_JOB_TOKENS_MAX, &s->tokens) ||
		    load_dist(ld, g, prefix, "gpus", 1, 1e30, &s->gpus) ||
		    load_train_opts(ld, g, prefix, &s->opts) ||
		    get_int(ld, g, prefix, "priority", false, 0, -1000, 1000, &prio) ||
		    lookup_gpu(ld, &sc->catalog, g, prefix, "gpu", false, &s->gpu))
			return FS_ERR_INPUT;
		s->priority = (int)prio;
		snprintf(path, sizeof(path), "%s.name", prefix);
		if (check_new_name(ld, sc, line_of(g), path, "stream", s->name))
			return FS_ERR_INPUT;
		s->rate_per_s = rate / FS_SECONDS_PER_DAY;
		s->start_s = start * FS_SECONDS_PER_DAY;
		s->end_s = end * FS_SECONDS_PER_DAY;
		s->line = line_of(g);
		snprintf(path, sizeof(path), "%s.gpus", prefix);
		if (dist_max(&s->gpus) >= 1e30)
			return fs_error_set(ld->e, FS_ERR_INPUT, ld->file,
					    line_of(config_setting_get_member(g, "gpus")), path,
					    "an unbounded GPU-count distribution; expected a 'max' no larger "
					    "than the smallest fleet");
		if (lookup_team(ld, sc, g, prefix, (int)floor(fmin(dist_max(&s->gpus), 4e6) + 0.5),
				&s->team))
			return FS_ERR_INPUT;
		/* draws larger than a fleet's pools are rejected there; `check` warns with their share */
		sc->n_streams++;
	}
	return FS_OK;
}

/*
 * training.history: the file (relative to the scenario file), its format,
 * whether bad rows are skipped (counted) instead of refusing it, and the
 * arrival scale. Loaded here so a bad history fails at `check`.
 */
/*
 * One team namespace: a history's teams join the scenario's `teams` (those
 * not declared there come in without a quota), and every history row's team
 * becomes an index into sc->teams, as jobs' and streams' `team` keys are.
 */
static enum fs_status merge_history_teams(struct ld *ld, struct fs_scenario *sc)
{
	struct fs_history *h = sc->history;
	int32_t *map;

	if (h->n_teams == 0)
		return FS_OK;
	map = malloc(h->n_teams * sizeof(*map));
	if (!map)
		return fs_error_set(ld->e, FS_ERR_NOMEM, ld->file, 0, NULL, "out of memory");
	for (size_t t = 0; t < h->n_teams; t++) {
		size_t k;
		for (k = 0; k < sc->n_teams && strcmp(sc->teams[k].name, h->teams[t]) != 0; k++)
			;
		if (k == sc->n_teams) {
			void *p = realloc(sc->teams, (sc->n_teams + 1) * sizeof(*sc->teams));
			if (!p) {
				free(map);
				return fs_error_set(ld->e, FS_ERR_NOMEM, ld->file, 0, NULL, "out of memory");
			}
			sc->teams = p;
			memset(&sc->teams[k], 0, sizeof(sc->teams[k]));
			fs_strlcpy(sc->teams[k].name, h->teams[t], sizeof(sc->teams[k].name));
			sc->teams[k].line = sc->history_line;
			sc->n_teams++;
		}
		map[t] = (int32_t)k;
	}
	for (size_t i = 0; i < h->n_jobs; i++)
		if (h->jobs[i].team >= 0)
			h->jobs[i].team = map[h->jobs[i].team];
	free(map);
	return FS_OK;
}

static enum fs_status load_history(struct ld *ld, const config_setting_t *tr,
				   struct fs_scenario *sc)
{
	const config_setting_t *g = config_setting_get_member(tr, "history");
	const config_setting_t *sk;
	char file[1024], path[1280], fmt_s[16];
	enum fs_history_format fmt;
	bool skip = false;
	enum fs_status st;

	sc->history_scale = 1.0;
	if (!g)
		return FS_OK;
	if (expect_group(ld, g, "training.history") ||
	    check_keys(ld, g, "training.history", history_keys, NKEYS(history_keys)) ||
	    get_str(ld, g, "training.history", "file", true, "", file, sizeof(file)) ||
	    get_str(ld, g, "training.history", "format", false, "csv", fmt_s, sizeof(fmt_s)) ||
	    get_num(ld, g, "training.history", "scale", false, 1.0, 0, true, 100, "",
		    &sc->history_scale))
		return FS_ERR_INPUT;
	if (fs_history_format_parse(fmt_s, &fmt, NULL))
		return fail(ld, config_setting_get_member(g, "format"), "training.history.format",
			    "found \"%s\"; expected \"csv\" or \"slurm\"", fmt_s);
	if ((sk = config_setting_get_member(g, "skip_bad_rows"))) {
		if (config_setting_type(sk) != CONFIG_TYPE_BOOL)
			return fail(ld, sk, "training.history.skip_bad_rows",
				    "expected true or false");
		skip = config_setting_get_bool(sk) != 0;
	}
	if (!fs_history_resolve(ld->file, file, path, sizeof(path)))
		return fail(ld, config_setting_get_member(g, "file"), "training.history.file",
			    "path too long");
	if (!(sc->history = malloc(sizeof(*sc->history))))
		return fs_error_set(ld->e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	sc->history_line = line_of(g);
	if ((st = fs_history_load(path, fmt, skip, &sc->catalog, sc->history, ld->e))) {
		free(sc->history);
		sc->history = NULL;
		if (ld->e && ld->e->line == 0) {
			/* the file itself is missing or unreadable: point at the key */
			char msg[sizeof(ld->e->msg)];
			fs_strlcpy(msg, ld->e->msg, sizeof(msg));
			return fs_error_set(ld->e, st, ld->file, line_of(g), "training.history.file",
					    "%.200s: %s", path, msg);
		}
		return st;
	}
	return FS_OK;
}

static enum fs_status load_train_model(struct ld *ld, const config_setting_t *root,
				       struct fs_scenario *sc)
{
	char kind[32];

	if (get_str(ld, root, "", "train_model", false, "full", kind, sizeof(kind)))
		return FS_ERR_INPUT;
	if (strcmp(kind, "full") == 0)
		sc->train_model = FS_TRAIN_MODEL_FULL;
	else if (strcmp(kind, "first_order") == 0)
		sc->train_model = FS_TRAIN_MODEL_FIRST_ORDER;
	else
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file,
				    line_of(config_setting_get_member(root, "train_model")), "train_model",
				    "found \"%s\"; expected \"full\" or \"first_order\"", kind);
	return FS_OK;
}

static enum fs_status load_scheduler(struct ld *ld, const config_setting_t *root,
				     struct fs_scenario *sc)
{
	char name[64], known[256];

	if (get_str(ld, root, "", "scheduler", false, fs_sched_default()->name, name, sizeof(name)))
		return FS_ERR_INPUT;
	sc->scheduler = fs_sched_find(name);
	if (!sc->scheduler)
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file,
				    line_of(config_setting_get_member(root, "scheduler")), "scheduler",
				    "found \"%s\"; expected one of %s", name,
				    fs_sched_names(known, sizeof(known)));
	return FS_OK;
}

static enum fs_status load_failures(struct ld *ld, const config_setting_t *root,
				    struct fs_scenario *sc)
{
	const config_setting_t *g = config_setting_get_member(root, "failures");
	struct fs_failure_opts *f = &sc->failures;

	f->enabled = true;
	f->ckpt_interval_s = 0.0;
	f->ckpt_write_s = 30.0;
	f->restart_s = 300.0;
	if (!g)
		return FS_OK;
	if (expect_group(ld, g, "failures") ||
	    check_keys(ld, g, "failures", failure_keys, NKEYS(failure_keys)))
		return FS_ERR_INPUT;
	{
		const config_setting_t *en = config_setting_get_member(g, "enabled");
		if (en) {
			char found[64];
			if (config_setting_type(en) != CONFIG_TYPE_BOOL) {
				describe(en, found, sizeof(found));
				return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(en),
						    "failures.enabled", "found %s; expected true or false", found);
			}
			f->enabled = config_setting_get_bool(en) != 0;
		}
	}
	return get_num(ld, g, "failures", "checkpoint_interval_s", false, 0.0, 0, false, 1e7, "s",
		       &f->ckpt_interval_s) ||
	       get_num(ld, g, "failures", "checkpoint_write_s", false, 30.0, 0, false, 1e5, "s",
		       &f->ckpt_write_s) ||
	       get_num(ld, g, "failures", "restart_s", false, 300.0, 0, false, 1e6, "s", &f->restart_s)
		       ? FS_ERR_INPUT : FS_OK;
}

/*
 * An optional array key of exactly n non-negative numbers with a positive
 * sum, normalised to mean 1 into out; absent: every element 1.
 */
static enum fs_status load_shape(struct ld *ld, const config_setting_t *grp, const char *prefix,
				 const char *key, double *out, int n)
{
	const config_setting_t *a = config_setting_get_member(grp, key);
	char path[256];
	double sum = 0;

	for (int i = 0; i < n; i++)
		out[i] = 1.0;
	if (!a)
		return FS_OK;
	join_path(path, sizeof(path), prefix, key);
	if (!config_setting_is_array(a) || config_setting_length(a) != n)
		return fail(ld, a, path, "expected an array of %d non-negative numbers", n);
	for (int i = 0; i < n; i++) {
		const config_setting_t *x = config_setting_get_elem(a, (unsigned)i);
		double v = is_number(x) ? num_of(x) : -1;
		if (!isfinite(v) || v < 0 || v > 1e9)
			return fail(ld, a, path, "element %d is not a number from 0 to 1e9", i);
		out[i] = v;
		sum += v;
	}
	if (!(sum > 0))
		return fail(ld, a, path, "all %d elements are 0; expected a positive sum", n);
	for (int i = 0; i < n; i++)
		out[i] *= n / sum;
	return FS_OK;
}

/* A service's `demand` group into d (rps, growth, shapes, steps sorted by day). */
static enum fs_status load_demand(struct ld *ld, const config_setting_t *grp, const char *prefix,
				  struct fs_demand_spec *d)
{
	const config_setting_t *s = config_setting_get_member(grp, "demand");
	const config_setting_t *steps;
	char path[160];
	enum fs_status st;

	join_path(path, sizeof(path), prefix, "demand");
	memset(d, 0, sizeof(*d));
	if (!s)
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(grp), path,
				    "missing required key 'demand' (a group { rps = ...; ... })");
	if (expect_group(ld, s, path) || check_keys(ld, s, path, demand_keys, NKEYS(demand_keys)) ||
	    get_num(ld, s, path, "rps", true, 0, 0, true, 1e7, "requests/s", &d->rps) ||
	    get_num(ld, s, path, "growth_per_month", false, 0, -0.99, false, 10, "",
		    &d->growth_per_month_frac) ||
	    load_shape(ld, s, path, "daily", d->daily, 24) ||
	    load_shape(ld, s, path, "weekly", d->weekly, 7))
		return FS_ERR_INPUT;
	if (!(steps = get_list(ld, s, path, "steps", false, &st)))
		return st;
	if (config_setting_length(steps) > FS_MAX_DEMAND_STEPS) {
		char p2[200];
		join_path(p2, sizeof(p2), path, "steps");
		return fail(ld, steps, p2, "'steps' holds %d entries; expected at most %d",
			    config_setting_length(steps), FS_MAX_DEMAND_STEPS);
	}
	for (int i = 0; i < config_setting_length(steps); i++) {
		const config_setting_t *g = config_setting_get_elem(steps, (unsigned)i);
		struct fs_demand_step one;
		char pp[200];
		double day;
		int j = d->n_steps;

		snprintf(pp, sizeof(pp), "%s.steps.[%d]", path, i);
		if (expect_group(ld, g, pp) || check_keys(ld, g, pp, step_keys, NKEYS(step_keys)) ||
		    get_num(ld, g, pp, "day", true, 0, 0, false, 36500, "days", &day) ||
		    get_num(ld, g, pp, "factor", true, 0, 0, true, 1e6, "", &one.factor))
			return FS_ERR_INPUT;
		one.at_s = day * FS_SECONDS_PER_DAY;
		/* stable insertion: steps on one day apply in declaration order */
		while (j > 0 && d->steps[j - 1].at_s > one.at_s) {
			d->steps[j] = d->steps[j - 1];
			j--;
		}
		d->steps[j] = one;
		d->n_steps++;
	}
	return FS_OK;
}

/* The largest gpus_per_node of any pool of any fleet option. */
static int max_gpus_per_node(const struct fs_scenario *sc)
{
	int best = 0;

	for (size_t f = 0; f < sc->n_fleets; f++)
		for (int p = 0; p < sc->fleets[f].n_pools; p++)
			if (sc->fleets[f].pools[p].gpus_per_node > best)
				best = sc->fleets[f].pools[p].gpus_per_node;
	return best;
}

static enum fs_status load_service_tp(struct ld *ld, const config_setting_t *g, const char *prefix,
				      const struct fs_scenario *sc, int *tp)
{
	const config_setting_t *s = config_setting_get_member(g, "tp");
	int gpn = max_gpus_per_node(sc);
	char path[160], found[64];
	long long v;

	*tp = 0;
	if (!s)
		return FS_OK;
	join_path(path, sizeof(path), prefix, "tp");
	if (config_setting_type(s) == CONFIG_TYPE_STRING && strcmp(config_setting_get_string(s), "auto") == 0)
		return FS_OK;
	describe(s, found, sizeof(found));
	v = is_integer(s) ? config_setting_get_int64(s) : 0;
	if (v < 1 || v > gpn || (v & (v - 1)) != 0)
		return fail(ld, s, path, "found %s; expected \"auto\" or a power of two from 1 to %d "
			    "(the largest gpus_per_node of the fleets: a replica stays in one node)",
			    found, gpn);
	*tp = (int)v;
	return FS_OK;
}

static enum fs_status load_service(struct ld *ld, const config_setting_t *g, const char *prefix,
				   const struct fs_scenario *sc, struct fs_service_spec *v)
{
	char prec[16], eng[16], path[160];
	long long reserved, prio;
	const config_setting_t *pt = config_setting_get_member(g, "preempt_training");

	if (expect_group(ld, g, prefix) || check_keys(ld, g, prefix, service_keys, NKEYS(service_keys)) ||
	    get_str(ld, g, prefix, "name", true, "", v->name, sizeof(v->name)) ||
	    lookup_model(ld, &sc->catalog, g, prefix, "model", &v->model) ||
	    get_str(ld, g, prefix, "precision", false, "bf16", prec, sizeof(prec)))
		return FS_ERR_INPUT;
	join_path(path, sizeof(path), prefix, "precision");
	if (fs_precision_parse(prec, &v->precision) ||
	    (v->precision != FS_PREC_BF16 && v->precision != FS_PREC_FP16 &&
	     v->precision != FS_PREC_FP8 && v->precision != FS_PREC_INT8 &&
	     v->precision != FS_PREC_INT4))
		return fail(ld, config_setting_get_member(g, "precision"), path,
			    "found \"%s\"; expected \"bf16\", \"fp16\", \"fp8\", \"int8\" or \"int4\"", prec);
	if (load_service_tp(ld, g, prefix, sc, &v->tp) ||
	    get_str(ld, g, prefix, "engine", false, "trtllm", eng, sizeof(eng)))
		return FS_ERR_INPUT;
	join_path(path, sizeof(path), prefix, "engine");
	if (fs_serve_engine_parse(eng, &v->engine))
		return fail(ld, config_setting_get_member(g, "engine"), path,
			    "found \"%s\"; expected \"trtllm\" or \"vllm\"", eng);
	if (lookup_gpu(ld, &sc->catalog, g, prefix, "gpu", false, &v->gpu) ||
	    load_dist(ld, g, prefix, "input_tokens", 1, 1e7, &v->input_tokens) ||
	    load_dist(ld, g, prefix, "output_tokens", 1, 1e7, &v->output_tokens) ||
	    get_num(ld, g, prefix, "ttft_p99_s", true, 0, 0, true, 86400, "s", &v->ttft_p99_s) ||
	    get_num(ld, g, prefix, "tpot_p99_s", true, 0, 0, true, 3600, "s", &v->tpot_p99_s) ||
	    load_demand(ld, g, prefix, &v->demand) ||
	    get_int(ld, g, prefix, "reserved_gpus", false, 0, 0, 4000000, &reserved) ||
	    get_int(ld, g, prefix, "priority", false, 0, -1000, 1000, &prio))
		return FS_ERR_INPUT;
	v->reserved_gpus = (int)reserved;
	v->priority = (int)prio;
	if (pt) {
		char found[64];
		join_path(path, sizeof(path), prefix, "preempt_training");
		describe(pt, found, sizeof(found));
		if (config_setting_type(pt) != CONFIG_TYPE_BOOL)
			return fail(ld, pt, path, "found %s; expected true or false", found);
		v->preempt_training = config_setting_get_bool(pt) != 0;
	}
	v->line = line_of(g);
	join_path(path, sizeof(path), prefix, "reserved_gpus");
	if (v->reserved_gpus > 0 && v->tp == 0)
		return fail(ld, config_setting_get_member(g, "reserved_gpus"), path,
			    "reserved GPUs with tp = \"auto\"; expected a fixed tp, so that the "
			    "reservation is a whole number of replicas");
	if (v->tp > 0 && v->reserved_gpus % v->tp != 0)
		return fail(ld, config_setting_get_member(g, "reserved_gpus"), path,
			    "found %d; expected a multiple of tp = %d (whole replicas)",
			    v->reserved_gpus, v->tp);
	for (size_t f = 0; f < sc->n_fleets; f++) {
		const struct fs_fleet_opt *fo = &sc->fleets[f];
		int have = fo->n_gpus;
		if (v->gpu) {
			int p = pool_of(fo, v->gpu);
			have = p < 0 ? 0 : fo->pools[p].nodes * fo->pools[p].gpus_per_node;
		}
		if (v->reserved_gpus > have)
			return fail(ld, config_setting_get_member(g, "reserved_gpus"), path,
				    "found %d; fleet '%s' has %d %s%sGPUs at day 0; expected at most %d",
				    v->reserved_gpus, fo->name, have, v->gpu ? v->gpu->name : "",
				    v->gpu ? " " : "", have);
	}
	return FS_OK;
}

static enum fs_status load_serving(struct ld *ld, const config_setting_t *root, struct fs_scenario *sc)
{
	const config_setting_t *g = config_setting_get_member(root, "serving");
	const config_setting_t *list;
	enum fs_status st;
	double interval_h;
	int n;

	sc->serving.interval_s = FS_SERVING_INTERVAL_HOURS_DEFAULT * 3600.0;
	if (!g)
		return FS_OK;
	if (expect_group(ld, g, "serving") ||
	    check_keys(ld, g, "serving", serving_keys, NKEYS(serving_keys)) ||
	    get_num(ld, g, "serving", "interval_hours", false, FS_SERVING_INTERVAL_HOURS_DEFAULT, 0.01,
		    false, 168, "h", &interval_h))
		return FS_ERR_INPUT;
	sc->serving.interval_s = interval_h * 3600.0;
	if (sc->horizon_s / sc->serving.interval_s > 2e6)
		return fail(ld, config_setting_get_member(g, "interval_hours"), "serving.interval_hours",
			    "%g h gives more than 2,000,000 intervals over %g days; expected a longer "
			    "interval", interval_h, sc->horizon_s / FS_SECONDS_PER_DAY);
	if (!(list = get_list(ld, g, "serving", "services", true, &st)))
		return st;
	n = config_setting_length(list);
	if (n < 1)
		return fail(ld, list, "serving.services",
			    "found an empty list; expected at least one service");
	sc->serving.services = calloc((size_t)n, sizeof(*sc->serving.services));
	if (!sc->serving.services)
		return fs_error_set(ld->e, FS_ERR_NOMEM, ld->file, 0, NULL, "out of memory");
	for (int i = 0; i < n; i++) {
		struct fs_service_spec *v = &sc->serving.services[i];
		char prefix[64], path[96];

		snprintf(prefix, sizeof(prefix), "serving.services.[%d]", i);
		if (load_service(ld, config_setting_get_elem(list, (unsigned)i), prefix, sc, v))
			return ld->e->code ? ld->e->code : FS_ERR_INPUT;
		snprintf(path, sizeof(path), "%s.name", prefix);
		for (size_t k = 0; k < sc->serving.n_services; k++)
			if (strcmp(sc->serving.services[k].name, v->name) == 0)
				return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, v->line, path,
						    "service name \"%s\" is also the name of the service at "
						    "line %d; expected unique service names", v->name,
						    sc->serving.services[k].line);
		sc->serving.n_services++;
	}
	return FS_OK;
}

static enum fs_status load_node_failures(struct ld *ld, const config_setting_t *root,
					 struct fs_scenario *sc)
{
	const config_setting_t *g = config_setting_get_member(root, "node_failures");
	struct fs_node_failure_opts *nf = &sc->node_failures;
	double mtbf_h, repair_h;

	nf->enabled = false;
	nf->mtbf_s = FS_NODE_MTBF_HOURS_DEFAULT * 3600.0;
	nf->repair_s = FS_NODE_REPAIR_HOURS_DEFAULT * 3600.0;
	if (!g)
		return FS_OK;
	if (expect_group(ld, g, "node_failures") ||
	    check_keys(ld, g, "node_failures", node_failure_keys, NKEYS(node_failure_keys)) ||
	    get_num(ld, g, "node_failures", "mtbf_hours", false, FS_NODE_MTBF_HOURS_DEFAULT, 0, true,
		    1e7, "h", &mtbf_h) ||
	    get_num(ld, g, "node_failures", "repair_hours", false, FS_NODE_REPAIR_HOURS_DEFAULT, 0,
		    true, 1e5, "h", &repair_h))
		return FS_ERR_INPUT;
	nf->enabled = true;
	nf->mtbf_s = mtbf_h * 3600.0;
	nf->repair_s = repair_h * 3600.0;
	return FS_OK;
}

/* ---- criteria and outgrow settings -------------------------------------- */

static const struct fs_enum_name criterion_kinds[] = {
	{ FS_CRIT_TTS_P90_DAYS, "tts_p90_days" },
	{ FS_CRIT_WAIT_P90_HOURS, "wait_p90_hours" },
	{ FS_CRIT_WAIT_MEAN_HOURS, "wait_mean_hours" },
	{ FS_CRIT_ATTAINMENT, "attainment" },
	{ FS_CRIT_UTILIZATION, "utilization" },
};

const char *fs_criterion_kind_name(enum fs_criterion_kind k)
{
	return fs_enum_name(criterion_kinds, NKEYS(criterion_kinds), sizeof(criterion_kinds[0]),
			    (int)k);
}

/* The job class of a criterion: key `stream` absent (all jobs), "job" or a stream's name. */
static enum fs_status load_criterion_class(struct ld *ld, const config_setting_t *g,
					   const char *prefix, const struct fs_scenario *sc,
					   struct fs_criterion *c)
{
	char name[64], path[256];

	c->job_class = FS_CRIT_ALL_JOBS;
	if (!config_setting_get_member(g, "stream"))
		return FS_OK;
	if (get_str(ld, g, prefix, "stream", true, "", name, sizeof(name)))
		return FS_ERR_INPUT;
	if (strcmp(name, "job") == 0) {
		c->job_class = FS_CRIT_EXPLICIT_JOBS;
		return FS_OK;
	}
	for (size_t k = 0; k < sc->n_streams; k++)
		if (strcmp(sc->streams[k].name, name) == 0) {
			c->job_class = (int)k;
			return FS_OK;
		}
	join_path(path, sizeof(path), prefix, "stream");
	return fail(ld, config_setting_get_member(g, "stream"), path,
		    "no stream named \"%s\"; expected a stream of training.streams or \"job\" "
		    "(the explicit jobs)", name);
}

static enum fs_status load_criterion_service(struct ld *ld, const config_setting_t *g,
					     const char *prefix, const struct fs_scenario *sc,
					     struct fs_criterion *c)
{
	char name[64], path[256];

	c->service = FS_CRIT_ALL_SERVICES;
	join_path(path, sizeof(path), prefix, "service");
	if (!config_setting_get_member(g, "service")) {
		if (sc->serving.n_services == 0)
			return fail(ld, g, path, "an attainment criterion but the scenario has no "
				    "services; expected a 'serving' section");
		return FS_OK;
	}
	if (get_str(ld, g, prefix, "service", true, "", name, sizeof(name)))
		return FS_ERR_INPUT;
	for (size_t k = 0; k < sc->serving.n_services; k++)
		if (strcmp(sc->serving.services[k].name, name) == 0) {
			c->service = (int)k;
			return FS_OK;
		}
	return fail(ld, config_setting_get_member(g, "service"), path,
		    "no service named \"%s\"; expected a service of serving.services", name);
}

/* The one key a kind takes: `max` (or `min` for attainment); the other is refused. */
static enum fs_status load_criterion_limit(struct ld *ld, const config_setting_t *g,
					   const char *prefix, struct fs_criterion *c)
{
	bool is_min = c->kind == FS_CRIT_ATTAINMENT;
	const char *key = is_min ? "min" : "max", *other = is_min ? "max" : "min";
	char path[256];
	double hi = c->kind == FS_CRIT_UTILIZATION ? 1.0 : c->kind == FS_CRIT_TTS_P90_DAYS ? 36500 : 876000;

	join_path(path, sizeof(path), prefix, other);
	if (config_setting_get_member(g, other))
		return fail(ld, config_setting_get_member(g, other), path,
			    "kind \"%s\" takes '%s', not '%s'", fs_criterion_kind_name(c->kind), key,
			    other);
	if (get_num(ld, g, prefix, key, true, 0, 0, true, is_min ? 1.0 : hi,
		    is_min ? "(a fraction of intervals)" : "", &c->limit))
		return FS_ERR_INPUT;
	join_path(path, sizeof(path), prefix, "hour_min");
	if (!is_min && config_setting_get_member(g, "hour_min"))
		return fail(ld, config_setting_get_member(g, "hour_min"), path,
			    "'hour_min' belongs to kind \"attainment\" only");
	if (!is_min && c->kind == FS_CRIT_UTILIZATION && config_setting_get_member(g, "stream"))
		return fail(ld, config_setting_get_member(g, "stream"), prefix,
			    "kind \"utilization\" is over the whole fleet; expected no 'stream'");
	if (is_min && config_setting_get_member(g, "stream"))
		return fail(ld, config_setting_get_member(g, "stream"), prefix,
			    "kind \"attainment\" is about services; expected 'service', not 'stream'");
	if (!is_min && config_setting_get_member(g, "service"))
		return fail(ld, config_setting_get_member(g, "service"), prefix,
			    "'service' belongs to kind \"attainment\" only");
	return get_num(ld, g, prefix, "hour_min", false, 0.99, 0, true, 1.0, "", &c->hour_min_frac);
}

static enum fs_status load_criteria(struct ld *ld, const config_setting_t *root,
				    struct fs_scenario *sc)
{
	enum fs_status st;
	const config_setting_t *list = get_list(ld, root, "", "criteria", false, &st);
	int n;

	if (!list)
		return st;
	n = config_setting_length(list);
	if (n > FS_MAX_CRITERIA)
		return fail(ld, list, "criteria", "%d criteria; expected at most %d", n,
			    FS_MAX_CRITERIA);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct fs_criterion *c = &sc->criteria[i];
		char prefix[64], kind[32], path[96];
		int k;

		snprintf(prefix, sizeof(prefix), "criteria.[%d]", i);
		if (expect_group(ld, g, prefix) ||
		    check_keys(ld, g, prefix, criterion_keys, NKEYS(criterion_keys)) ||
		    get_str(ld, g, prefix, "name", true, "", c->name, sizeof(c->name)) ||
		    get_str(ld, g, prefix, "kind", true, "", kind, sizeof(kind)))
			return FS_ERR_INPUT;
		snprintf(path, sizeof(path), "%s.kind", prefix);
		if (fs_enum_parse(criterion_kinds, NKEYS(criterion_kinds), sizeof(criterion_kinds[0]),
				  kind, &k))
			return fail(ld, config_setting_get_member(g, "kind"), path,
				    "unknown kind \"%s\"; expected one of: tts_p90_days, wait_p90_hours, "
				    "wait_mean_hours, attainment, utilization", kind);
		c->kind = (enum fs_criterion_kind)k;
		c->line = line_of(g);
		if (load_criterion_limit(ld, g, prefix, c))
			return FS_ERR_INPUT;
		if (c->kind == FS_CRIT_ATTAINMENT ? load_criterion_service(ld, g, prefix, sc, c)
						  : load_criterion_class(ld, g, prefix, sc, c))
			return FS_ERR_INPUT;
		snprintf(path, sizeof(path), "%s.name", prefix);
		for (size_t j = 0; j < sc->n_criteria; j++)
			if (strcmp(sc->criteria[j].name, c->name) == 0)
				return fail(ld, g, path, "criterion name \"%s\" is also the name of the "
					    "criterion at line %d; expected unique names", c->name,
					    sc->criteria[j].line);
		sc->n_criteria++;
	}
	return FS_OK;
}

static enum fs_status load_outgrow(struct ld *ld, const config_setting_t *root,
				   struct fs_scenario *sc)
{
	const config_setting_t *g = config_setting_get_member(root, "outgrow");
	struct fs_outgrow_opts *o = &sc->outgrow;
	int n_months = (int)ceil(sc->horizon_s / FS_SECONDS_PER_MONTH - 1e-9);
	long long reps, month;

	o->replications = FS_OUTGROW_REPLICATIONS_DEFAULT;
	o->month = -1;
	o->scale_max = FS_OUTGROW_SCALE_MAX_DEFAULT;
	o->scale_tol_frac = FS_OUTGROW_SCALE_TOL_DEFAULT;
	if (!g)
		return FS_OK;
	if (expect_group(ld, g, "outgrow") ||
	    check_keys(ld, g, "outgrow", outgrow_keys, NKEYS(outgrow_keys)) ||
	    get_int(ld, g, "outgrow", "replications", false, FS_OUTGROW_REPLICATIONS_DEFAULT, 2,
		    10000, &reps) ||
	    get_int(ld, g, "outgrow", "month", false, -1, -1, n_months - 1, &month) ||
	    get_num(ld, g, "outgrow", "scale_max", false, FS_OUTGROW_SCALE_MAX_DEFAULT, 1, true,
		    1000, "", &o->scale_max) ||
	    get_num(ld, g, "outgrow", "scale_tolerance", false, FS_OUTGROW_SCALE_TOL_DEFAULT, 1e-4,
		    false, 0.5, "(relative)", &o->scale_tol_frac))
		return FS_ERR_INPUT;
	o->replications = (int)reps;
	o->month = (int)month;
	return FS_OK;
}

enum fs_status fs_scenario_scaled_init(const struct fs_scenario *base, struct fs_scenario *dst,
				       struct fs_error *e)
{
	*dst = *base;
	dst->source_text = NULL;
	dst->streams = NULL;
	dst->serving.services = NULL;
	if (base->n_streams) {
		dst->streams = malloc(base->n_streams * sizeof(*dst->streams));
		if (!dst->streams)
			goto nomem;
		memcpy(dst->streams, base->streams, base->n_streams * sizeof(*dst->streams));
	}
	if (base->serving.n_services) {
		size_t n = base->serving.n_services * sizeof(*dst->serving.services);
		dst->serving.services = malloc(n);
		if (!dst->serving.services)
			goto nomem;
		memcpy(dst->serving.services, base->serving.services, n);
	}
	return FS_OK;
nomem:
	fs_scenario_scaled_fini(dst);
	return fs_error_set(e, FS_ERR_NOMEM, base->file, 0, NULL, "out of memory");
}

void fs_scenario_scale(const struct fs_scenario *base, double k, struct fs_scenario *dst)
{
	assert(k > 0 && dst->n_streams == base->n_streams);
	for (size_t i = 0; i < base->n_streams; i++)
		dst->streams[i].rate_per_s = base->streams[i].rate_per_s * k;
	dst->history_scale = base->history_scale * k;
	for (size_t i = 0; i < base->serving.n_services; i++)
		dst->serving.services[i].demand.rps = base->serving.services[i].demand.rps * k;
}

void fs_scenario_scaled_fini(struct fs_scenario *dst)
{
	free(dst->streams);
	free(dst->serving.services);
	memset(dst, 0, sizeof(*dst));
}

static enum fs_status load_root(struct ld *ld, const config_setting_t *root, struct fs_scenario *sc)
{
	long long seed;
	double horizon_days, interval_h;
	char desc[512];
	const config_setting_t *tr;

	if (check_keys(ld, root, "", top_keys, NKEYS(top_keys)) ||
	    get_str(ld, root, "", "name", true, "", sc->name, sizeof(sc->name)) ||
	    get_str(ld, root, "", "description", false, "", desc, sizeof(desc)) ||
	    get_int(ld, root, "", "seed", false, 1, 0, INT64_MAX, &seed) ||
	    get_num(ld, root, "", "horizon_days", true, 0, 0, true, 36500, "days", &horizon_days) ||
	    get_num(ld, root, "", "series_interval_hours", false, 24, 0.01, false, 8766, "h", &interval_h))
		return FS_ERR_INPUT;
	sc->seed = (uint64_t)seed;
	sc->horizon_s = horizon_days * FS_SECONDS_PER_DAY;
	sc->series_interval_s = interval_h * 3600.0;
	if (sc->horizon_s / sc->series_interval_s > 2e6)
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file,
				    line_of(config_setting_get_member(root, "series_interval_hours")),
				    "series_interval_hours",
				    "%g h gives more than 2,000,000 series points over %g days; expected a longer interval",
				    interval_h, horizon_days);
	if (load_train_model(ld, root, sc) || load_scheduler(ld, root, sc) ||
	    get_num(ld, root, "", "scheduler_estimate_noise", false, 0, 0, false, 3, "",
		    &sc->estimate_noise_frac) ||
	    load_failures(ld, root, sc) || load_node_failures(ld, root, sc))
		return FS_ERR_INPUT;
	if (merge_catalog(ld, root, &sc->catalog) || load_fleets(ld, root, sc))
		return ld->e && ld->e->code ? ld->e->code : FS_ERR_INPUT;
	if (load_teams(ld, root, sc))
		return ld->e && ld->e->code ? ld->e->code : FS_ERR_INPUT;
	tr = config_setting_get_member(root, "training");
	if (tr) {
		if (expect_group(ld, tr, "training") ||
		    check_keys(ld, tr, "training", training_keys, NKEYS(training_keys)) ||
		    load_train_stack(ld, tr, "training", "stack", FS_TRAIN_DEFAULT_STACK,
				     &ld->train_stack) ||
		    load_jobs(ld, tr, sc) || load_streams(ld, tr, sc) ||
		    load_history(ld, tr, sc))
			return ld->e && ld->e->code ? ld->e->code : FS_ERR_INPUT;
	} else {
		sc->history_scale = 1.0;
	}
	sc->history_opts = (struct fs_train_opts){ 0, FS_PREC_BF16, FS_METHOD_FULL, 0, ld->train_stack };
	if (sc->history && merge_history_teams(ld, sc))
		return ld->e && ld->e->code ? ld->e->code : FS_ERR_INPUT;
	if (load_serving(ld, root, sc) || load_criteria(ld, root, sc) || load_outgrow(ld, root, sc))
		return ld->e && ld->e->code ? ld->e->code : FS_ERR_INPUT;
	if (sc->n_jobs == 0 && sc->n_streams == 0 && !sc->history)
		return fs_error_set(ld->e, FS_ERR_INPUT, ld->file, line_of(tr ? tr : root), "training",
				    "no work: expected 'training.jobs', 'training.streams' or 'training.history' with at least one entry");
	return FS_OK;
}

/* The guarantees a loaded scenario gives its users; a failure is a loader bug. */
static void scenario_assert(const struct fs_scenario *sc)
{
#ifndef NDEBUG
	const struct fs_catalog *cat = &sc->catalog;

	assert(sc->horizon_s > 0 && sc->series_interval_s > 0);
	assert(sc->n_fleets >= 1 && (sc->n_jobs + sc->n_streams >= 1 || sc->history));
	for (size_t i = 0; i < cat->n_llms; i++) {
		const struct fs_llm *m = &cat->llms[i];
		assert(m->n_kv_heads >= 1 && m->n_heads % m->n_kv_heads == 0);
		assert(m->n_experts >= 1 && m->n_experts_active >= 1 && m->max_seq >= 1);
	}
	for (size_t i = 0; i < sc->n_fleets; i++) {
		const struct fs_fleet_opt *f = &sc->fleets[i];
		int n_now = 0;
		assert(f->n_pools >= 1 && f->n_pools <= FS_MAX_POOLS && f->pool_choice);
		for (int p = 0; p < f->n_pools; p++) {
			const struct fs_pool_spec *ps = &f->pools[p];
			assert(ps->gpu >= cat->gpus && ps->gpu < cat->gpus + cat->n_gpus);
			assert(ps->nodes >= 0 && ps->max_nodes >= ps->nodes && ps->gpus_per_node >= 1);
			n_now += ps->nodes * ps->gpus_per_node;
		}
		for (size_t k = 1; k < f->n_procure; k++)
			assert(f->procure[k - 1].at_s <= f->procure[k].at_s);
		assert(f->gpu == f->pools[0].gpu && f->nodes == f->pools[0].nodes &&
		       f->gpus_per_node == f->pools[0].gpus_per_node && f->n_gpus == n_now);
	}
	for (size_t i = 0; i < sc->n_jobs; i++) {
		const struct fs_job_spec *j = &sc->jobs[i];
		assert(j->model >= cat->llms && j->model < cat->llms + cat->n_llms);
		assert(j->submit_s >= 0 && j->submit_s < sc->horizon_s);
		for (size_t f = 0; f < sc->n_fleets; f++) {
			int cap = fs_fleet_opt_max_job_gpus(&sc->fleets[f], j->gpu);
			assert(j->gpus >= 1 && (cap == 0 || j->gpus <= cap));
		}
	}
	for (size_t i = 0; i < sc->n_streams; i++) {
		const struct fs_stream_spec *st = &sc->streams[i];
		assert(st->n_models >= 1 && st->n_models <= FS_MAX_MIX);
		for (int k = 0; k < st->n_models; k++)
			assert(st->models[k].model >= cat->llms &&
			       st->models[k].model < cat->llms + cat->n_llms);
		assert(st->start_s >= 0 && st->start_s < st->end_s);
	}
#else
	(void)sc;
#endif
}

void fs_scenario_fini(struct fs_scenario *sc)
{
	free(sc->source_text);
	fs_catalog_fini(&sc->catalog);
	for (size_t i = 0; sc->fleets && i < sc->n_fleets; i++)
		free(sc->fleets[i].procure);
	free(sc->fleets);
	free(sc->serving.services);
	free(sc->jobs);
	free(sc->streams);
	if (sc->history) {
		fs_history_fini(sc->history);
		free(sc->history);
	}
	free(sc->teams);
	memset(sc, 0, sizeof(*sc));
}

/*
 * The one loading path: builtin is the parsed built-in catalog to start
 * from (copied), or NULL to parse the embedded catalog files here.
 */
static enum fs_status load_text(const char *text, const char *name,
				const struct fs_catalog *builtin, struct fs_scenario *sc,
				struct fs_error *e)
{
	struct fs_error local;
	struct ld ld = { name, e ? e : &local, FS_TRAIN_DEFAULT_STACK };
	config_t cfg;
	enum fs_status st;

	memset(sc, 0, sizeof(*sc));
	fs_error_clear(ld.e);
	if (strlen(text) > FS_SCENARIO_MAX_BYTES)
		return fs_error_set(ld.e, FS_ERR_INPUT, name, 0, NULL,
				    "scenario text is larger than %u bytes (1 MiB); expected a "
				    "smaller file", FS_SCENARIO_MAX_BYTES);
	fs_strlcpy(sc->file, name, sizeof(sc->file));
	sc->source_len = strlen(text);
	sc->source_text = malloc(sc->source_len + 1);
	if (!sc->source_text) {
		memset(sc, 0, sizeof(*sc));
		return fs_error_set(ld.e, FS_ERR_NOMEM, name, 0, NULL, "out of memory");
	}
	memcpy(sc->source_text, text, sc->source_len + 1);
	if (builtin) {
		st = fs_catalog_copy(&sc->catalog, builtin);
		if (st)
			fs_error_set(ld.e, st, name, 0, NULL, "out of memory");
	} else {
		st = fs_catalog_load_builtin(&sc->catalog, ld.e);
	}
	if (st) {
		fs_scenario_fini(sc);
		return st;
	}
	if ((st = parse_text(&ld, &cfg, text))) {
		fs_scenario_fini(sc);
		return st;
	}
	st = load_root(&ld, config_root_setting(&cfg), sc);
	config_destroy(&cfg);
	if (st)
		fs_scenario_fini(sc);
	else
		scenario_assert(sc);
	return st;
}

enum fs_status fs_scenario_load_text(const char *text, const char *name,
				     struct fs_scenario *sc, struct fs_error *e)
{
	return load_text(text, name, NULL, sc, e);
}

enum fs_status fs_scenario_load_text_with(const char *text, const char *name,
					  const struct fs_catalog *builtin,
					  struct fs_scenario *sc, struct fs_error *e)
{
	assert(builtin);
	return load_text(text, name, builtin, sc, e);
}

/*
 * Opens path for reading if it is a regular file: a FIFO or a device would
 * block or never end. The open itself does not block (O_NONBLOCK), and the
 * check is on the opened file, so it cannot be swapped in between.
 */
static enum fs_status open_regular(const char *path, const char *what, FILE **out,
				   struct fs_error *e)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	*out = NULL;
	if (fd < 0)
		return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL, "cannot open %s: %s", what,
				    strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL,
				    "not a regular file; expected a %s", what);
	}
	if (fcntl(fd, F_SETFL, 0) != 0 || !(*out = fdopen(fd, "rb"))) {
		close(fd);
		return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL, "cannot open %s: %s", what,
				    strerror(errno));
	}
	return FS_OK;
}

enum fs_status fs_cfg_read_file(const char *path, const char *what, char **text,
				struct fs_error *e)
{
	FILE *fp;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	enum fs_status st;

	*text = NULL;
	if ((st = open_regular(path, what, &fp, e)))
		return st;
	for (;;) {
		size_t got;
		if (len > FS_SCENARIO_MAX_BYTES) {
			free(buf);
			fclose(fp);
			return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL,
					    "%s is larger than %u bytes (1 MiB); expected a "
					    "smaller file", what, FS_SCENARIO_MAX_BYTES);
		}
		if (len + 4096 + 1 > cap) {
			char *p;
			cap = cap ? cap * 2 : 16384;
			p = realloc(buf, cap);
			if (!p) {
				free(buf);
				fclose(fp);
				return fs_error_set(e, FS_ERR_NOMEM, path, 0, NULL, "out of memory");
			}
			buf = p;
		}
		got = fread(buf + len, 1, cap - len - 1, fp);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		free(buf);
		fclose(fp);
		return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL, "cannot read %s", what);
	}
	fclose(fp);
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		free(buf);
		return fs_error_set(e, FS_ERR_INPUT, path, 0, NULL,
				    "%s holds a NUL byte; expected a text file", what);
	}
	*text = buf;
	return FS_OK;
}

enum fs_status fs_scenario_load(const char *path, struct fs_scenario *sc, struct fs_error *e)
{
	char *buf;
	enum fs_status st;

	memset(sc, 0, sizeof(*sc));
	if ((st = fs_cfg_read_file(path, "scenario file", &buf, e)))
		return st;
	st = fs_scenario_load_text(buf, path, sc, e);
	free(buf);
	return st;
}
