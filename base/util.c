#include "fleetsim/util.h"

#include <ctype.h>
#include <string.h>

size_t fs_strlcpy(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);

	if (n > 0) {
		size_t c = len < n - 1 ? len : n - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return len;
}

int fs_streq_ci(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
	return *a == *b;
}

int fs_edit_distance(const char *a, const char *b)
{
	enum { MAXL = 64 };
	size_t la = strlen(a), lb = strlen(b);
	int prev[MAXL + 1], cur[MAXL + 1];

	if (la > MAXL || lb > MAXL)
		return 1 << 20;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int sub = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			int best = prev[j - 1] + sub;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			cur[j] = best;
		}
		memcpy(prev, cur, sizeof(int) * (lb + 1));
	}
	return prev[lb];
}

const char *fs_closest(const char *word, const char *const *cands, size_t n)
{
	int limit = (int)strlen(word) / 3;
	const char *best = NULL;
	int best_d = 1 << 20;

	if (limit < 2)
		limit = 2;
	for (size_t i = 0; i < n; i++) {
		int d = fs_edit_distance(word, cands[i]);
		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

static const struct fs_enum_name *enum_row(const struct fs_enum_name *t, size_t i, size_t stride)
{
	return (const struct fs_enum_name *)((const char *)t + i * stride);
}

const char *fs_enum_name(const struct fs_enum_name *t, size_t n, size_t stride, int value)
{
	for (size_t i = 0; i < n; i++)
		if (enum_row(t, i, stride)->value == value)
			return enum_row(t, i, stride)->name;
	return "?";
}

enum fs_status fs_enum_parse(const struct fs_enum_name *t, size_t n, size_t stride,
			     const char *s, int *out)
{
	for (size_t i = 0; i < n; i++) {
		if (fs_streq_ci(s, enum_row(t, i, stride)->name)) {
			*out = enum_row(t, i, stride)->value;
			return FS_OK;
		}
	}
	return FS_ERR_INPUT;
}

uint64_t fs_splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t fs_seed_mix(uint64_t master, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return fs_splitmix64(master ^ fs_splitmix64(h));
}
