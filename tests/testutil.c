#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "fleetsim/builtin.h"
#include "fleetsim/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((constructor)) static void tu_gsl_errors_off(void) { fs_gsl_errors_off(); } /* as main does (error.h) */

const char *tu_tmpdir(void)
{
	static char dir[64];

	if (!dir[0]) {
		strcpy(dir, "/tmp/fleetsim-test-XXXXXX");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			abort();
		}
	}
	return dir;
}

const char *tu_path(const char *name)
{
	static char bufs[8][512];
	static int k;
	char *b = bufs[k++ % 8];

	snprintf(b, 512, "%s/%s", tu_tmpdir(), name);
	return b;
}

const char *tu_write(const char *name, const char *text)
{
	const char *p = tu_path(name);
	FILE *f = fopen(p, "wb");

	if (!f) {
		perror(p);
		abort();
	}
	fputs(text, f);
	fclose(f);
	return p;
}

int tu_fleetsim(const char *args, char *out, size_t outlen)
{
	char cmd[4096];
	FILE *p;
	size_t n = 0;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", FLEETSIM_BIN, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out && outlen) {
		n = fread(out, 1, outlen - 1, p);
		out[n] = '\0';
	}
	{
		char sink[4096];
		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void tu_file_hash(const char *path, char hex[65])
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f) {
		strcpy(hex, "missing");
		return;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		strcpy(hex, "unreadable");
	} else {
		fs_sha256_hex(buf, (size_t)n, hex);
	}
	free(buf);
	fclose(f);
}

const struct fs_catalog *tu_catalog(void)
{
	static struct fs_catalog cat;
	static int loaded;
	struct fs_error e;

	if (!loaded) {
		if (fs_catalog_load_builtin(&cat, &e) != FS_OK) {
			fprintf(stderr, "cannot load the built-in catalogs: %s\n", e.msg);
			abort();
		}
		loaded = 1;
	}
	return &cat;
}

const struct fs_gpu *tu_gpu(const char *name)
{
	const struct fs_gpu *g = fs_catalog_gpu(tu_catalog(), name);

	if (!g) {
		fprintf(stderr, "no GPU '%s' in the catalog\n", name);
		abort();
	}
	return g;
}

const struct fs_llm *tu_llm(const char *name)
{
	const struct fs_llm *m = fs_catalog_llm(tu_catalog(), name);

	if (!m) {
		fprintf(stderr, "no model '%s' in the catalog\n", name);
		abort();
	}
	return m;
}

long long tu_sql_int(const char *path, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}
