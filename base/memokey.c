#include "fleetsim/memokey.h"
#include "fleetsim/util.h"

#include <assert.h>
#include <string.h>

#define MIX_K1 0x9e3779b97f4a7c15ULL
#define MIX_K2 0xbf58476d1ce4e5b9ULL

void fs_key_init(struct fs_key *k, uint64_t *w, size_t cap)
{
	k->w = w;
	k->n = 0;
	k->cap = cap;
}

void fs_key_u64(struct fs_key *k, uint64_t v)
{
	assert(k->n < k->cap);
	k->w[k->n++] = v;
}

void fs_key_i64(struct fs_key *k, long long v)
{
	fs_key_u64(k, (uint64_t)v);
}

void fs_key_double(struct fs_key *k, double v)
{
	uint64_t u;

	if (v == 0.0)
		v = 0.0;
	memcpy(&u, &v, sizeof(u));
	fs_key_u64(k, u);
}

void fs_key_str(struct fs_key *k, const char *s, size_t max)
{
	const char *end = memchr(s, '\0', max);

	fs_key_u64(k, fs_hash_bytes(s, end ? (size_t)(end - s) : max));
}

/* One step of the word hash: multiply-rotate, so every input bit reaches every output bit. */
static uint64_t step(uint64_t h, uint64_t w)
{
	h ^= w * MIX_K1;
	h = (h << 31) | (h >> 33);
	return h * MIX_K2;
}

uint64_t fs_hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	/* four independent lanes over 32-byte blocks keep the multipliers busy */
	uint64_t h[4] = { n, n ^ MIX_K1, n ^ MIX_K2, ~n }, w;
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		for (int l = 0; l < 4; l++) {
			memcpy(&w, b + i + 8 * l, 8);
			h[l] = step(h[l], w);
		}
	}
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		h[0] = step(h[0], w);
	}
	if (i < n) {
		w = 0;
		memcpy(&w, b + i, n - i);
		h[0] = step(h[0], w);
	}
	return fs_splitmix64(step(step(step(h[0], h[1]), h[2]), h[3]));
}

uint64_t fs_key_hash(const struct fs_key *k)
{
	uint64_t h = k->n;

	for (size_t i = 0; i < k->n; i++)
		h = step(h, k->w[i]);
	return fs_splitmix64(h);
}

bool fs_key_equal(const struct fs_key *a, const struct fs_key *b)
{
	return a->n == b->n && memcmp(a->w, b->w, a->n * sizeof(*a->w)) == 0;
}
