/*
 * memokey.h - the key of a memo: every input a cached result depends on,
 * packed by value into 64-bit words, and a fast hash of it.
 *
 * A key is built by appending values in a fixed order (numbers by their bit
 * pattern, strings by a 64-bit hash of their bytes) into caller storage;
 * two keys are equal when their words are. Records described by a field
 * table (catalog.h) are appended field by field from that table, so a new
 * field joins every key without a change to the memo that uses it.
 *
 * Strings enter as a hash: two records that differ only in a string collide
 * with probability 2^-64 per pair, which the memos accept.
 *
 * Cost: appending is O(1) per word, hashing O(words), 8 bytes per step. No
 * allocation. Overfilling the caller's storage is a programming error and
 * asserts (key sizes are fixed by the code, not by input).
 */
#ifndef FLEETSIM_MEMOKEY_H
#define FLEETSIM_MEMOKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fs_key {
	uint64_t *w;  /* caller storage of cap words */
	size_t n;     /* words appended */
	size_t cap;
};

/* An empty key over storage w[0..cap) (caller owned, outlives k). */
void fs_key_init(struct fs_key *k, uint64_t *w, size_t cap);

void fs_key_u64(struct fs_key *k, uint64_t v);
void fs_key_i64(struct fs_key *k, long long v);
/* A double by bit pattern; -0.0 counts as 0.0 (they compare equal). */
void fs_key_double(struct fs_key *k, double v);
/* The first strnlen(s, max) bytes of s, as one word (hash of bytes and length). */
void fs_key_str(struct fs_key *k, const char *s, size_t max);

/* 64-bit hash of the n bytes at p, 8 bytes per step. */
uint64_t fs_hash_bytes(const void *p, size_t n);
/* Hash of a key's words. Equal keys hash equally. */
uint64_t fs_key_hash(const struct fs_key *k);
/* Same words in the same order. */
bool fs_key_equal(const struct fs_key *a, const struct fs_key *b);

#endif
