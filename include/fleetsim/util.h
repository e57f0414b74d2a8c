/*
 * util.h - small pure helpers shared by every module: bounded string copy,
 * case-insensitive compare, "did you mean" suggestions, enum names, seed
 * mixing.
 */
#ifndef FLEETSIM_UTIL_H
#define FLEETSIM_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "fleetsim/error.h"

/* Copies src into dst of size n, always NUL-terminating. Returns strlen(src). */
size_t fs_strlcpy(char *dst, const char *src, size_t n);

/* Case-insensitive ASCII equality. */
int fs_streq_ci(const char *a, const char *b);

/* Levenshtein distance, case-insensitive; strings longer than 63 chars count as far. */
int fs_edit_distance(const char *a, const char *b);

/*
 * The candidate closest to word, or NULL when none is within a third of the
 * word's length (at least 2 edits). cands holds n strings.
 */
const char *fs_closest(const char *word, const char *const *cands, size_t n);

/*
 * Names of an enumeration: one row per value. Tables are static const; a
 * table of richer records (an engine, a policy) may begin each record with a
 * struct fs_enum_name and pass its record size as stride, so that every
 * registry in fleetsim names and parses its rows by one rule.
 *
 * The one rule: a name matches when it equals the table's spelling up to
 * ASCII case ("BF16" is "bf16"); the table's spelling is what is printed.
 */
struct fs_enum_name {
	int value;
	const char *name;
};

/*
 * The name of value in table t of n records, each stride bytes apart
 * (sizeof(struct fs_enum_name) for a plain table); "?" when no row has it.
 */
const char *fs_enum_name(const struct fs_enum_name *t, size_t n, size_t stride, int value);

/*
 * The value named s in the same kind of table: FS_OK and *out set, or
 * FS_ERR_INPUT (*out untouched) when no row matches. s may not be NULL.
 */
enum fs_status fs_enum_parse(const struct fs_enum_name *t, size_t n, size_t stride,
			     const char *s, int *out);

/*
 * Mixes a master seed with a stable component name into an independent
 * 64-bit seed (splitmix64 over FNV-1a of the name), so that adding a
 * stochastic component never perturbs the streams of the others.
 */
uint64_t fs_seed_mix(uint64_t master, const char *name);

/* splitmix64 step: a well-mixed 64-bit value from x. */
uint64_t fs_splitmix64(uint64_t x);

#endif
