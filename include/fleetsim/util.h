/*
 * util.h - small pure helpers shared by every module: bounded string copy,
 * case-insensitive compare, "did you mean" suggestions, seed mixing.
 */
#ifndef FLEETSIM_UTIL_H
#define FLEETSIM_UTIL_H

#include <stddef.h>
#include <stdint.h>

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
 * Mixes a master seed with a stable component name into an independent
 * 64-bit seed (splitmix64 over FNV-1a of the name), so that adding a
 * stochastic component never perturbs the streams of the others.
 */
uint64_t fs_seed_mix(uint64_t master, const char *name);

/* splitmix64 step: a well-mixed 64-bit value from x. */
uint64_t fs_splitmix64(uint64_t x);

#endif
