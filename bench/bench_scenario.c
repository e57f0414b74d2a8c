/*
 * bench_scenario.c - the cost of one scenario load, two ways, in one process:
 * fs_scenario_load_text (parses the built-in catalogs on every call) and
 * fs_scenario_load_text_with (copies a catalog parsed once). The two are
 * interleaved in rounds so that a busy machine slows both alike. Prints
 *     scenario load=<text|text_with> us_per_load=<mean> loads=<n>
 * on stdout. Usage: bench_scenario [scenario file (default
 * scenarios/example.cfg)] [loads per way (default 2000)].
 */
#include "fleetsim/builtin.h"
#include "fleetsim/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ROUNDS 10

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

/* n loads one way; the elapsed seconds, or a negative value on a failed load. */
static double time_loads(const char *text, const struct fs_catalog *builtin, int n)
{
	double t0 = now_s();

	for (int i = 0; i < n; i++) {
		struct fs_scenario sc;
		struct fs_error e;
		enum fs_status st = builtin ? fs_scenario_load_text_with(text, "bench.cfg", builtin, &sc, &e)
					    : fs_scenario_load_text(text, "bench.cfg", &sc, &e);
		if (st != FS_OK) {
			fprintf(stderr, "bench_scenario: %s:%d: %s\n", e.file, e.line, e.msg);
			return -1;
		}
		fs_scenario_fini(&sc);
	}
	return now_s() - t0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "scenarios/example.cfg";
	int n = argc > 2 ? atoi(argv[2]) : 2000;
	struct fs_catalog builtin;
	struct fs_error e;
	double t_text = 0, t_with = 0;
	char *text = read_all(path);
	int per_round = n / ROUNDS > 0 ? n / ROUNDS : 1;

	if (!text) {
		fprintf(stderr, "bench_scenario: cannot read %s\n", path);
		return 1;
	}
	if (fs_catalog_load_builtin(&builtin, &e) != FS_OK) {
		fprintf(stderr, "bench_scenario: built-in catalog: %s\n", e.msg);
		free(text);
		return 1;
	}
	for (int r = 0; r < ROUNDS; r++) {
		double a = time_loads(text, NULL, per_round);
		double b = time_loads(text, &builtin, per_round);
		if (a < 0 || b < 0) {
			fs_catalog_fini(&builtin);
			free(text);
			return 1;
		}
		t_text += a;
		t_with += b;
	}
	printf("scenario load=text us_per_load=%.1f loads=%d\n",
	       t_text * 1e6 / (per_round * ROUNDS), per_round * ROUNDS);
	printf("scenario load=text_with us_per_load=%.1f loads=%d\n",
	       t_with * 1e6 / (per_round * ROUNDS), per_round * ROUNDS);
	fs_catalog_fini(&builtin);
	free(text);
	return 0;
}
