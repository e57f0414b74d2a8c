/*
 * test_fuzz_regress.c - inputs the scenario-loader fuzzer found (or that
 * stand for a class it should keep finding), saved as tests/data/fuzz-*.cfg.
 * Each is loaded through fs_scenario_load, the way `fleetsim check` reads a
 * file, and must give FS_OK or FS_ERR_INPUT with a message that names the
 * file: never a crash, a sanitizer report, a hang or another status. The
 * outcome is then held to the same contract as in the fuzzer
 * (fuzz/scenario_contract.h). The files are listed in docs/FUZZ.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <string.h>

#include "fleetsim/scenario.h"
#include "scenario_contract.h"

#define FUZZ_GLOB FLEETSIM_SOURCE_DIR "/tests/data/fuzz-*.cfg"

static long file_size(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	fclose(f);
	return n;
}

/* Loads one input; returns the contract rule it breaks, or NULL. */
static const char *load_one(const char *path)
{
	struct fs_scenario sc;
	struct fs_error e;
	enum fs_status st = fs_scenario_load(path, &sc, &e);
	const char *broken = fz_scenario_contract(&sc, &e, st, path, (size_t)file_size(path));

	print_message("%s: %s\n", strrchr(path, '/') + 1, st == FS_OK ? "accepted" : e.msg);
	if (st == FS_OK)
		fs_scenario_fini(&sc);
	else if (st != FS_ERR_INPUT)
		broken = "not FS_OK or FS_ERR_INPUT";
	if (broken)
		print_error("%s: loader contract broken: %s\n", path, broken);
	return broken;
}

static void test_fuzz_regress_inputs_load_or_refuse(void **state)
{
	glob_t g;
	int rc = glob(FUZZ_GLOB, 0, NULL, &g);
	size_t n = 0, n_broken = 0;

	(void)state;
	/* The regression inputs are part of the tree; none found is a broken checkout. */
	assert_int_equal(rc, 0);
	n = g.gl_pathc;
	for (size_t i = 0; i < g.gl_pathc; i++)
		n_broken += load_one(g.gl_pathv[i]) != NULL;
	globfree(&g);
	assert_true(n >= 1);
	assert_int_equal(n_broken, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_regress_inputs_load_or_refuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
