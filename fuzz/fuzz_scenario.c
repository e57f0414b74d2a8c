/*
 * fuzz_scenario.c - libFuzzer target for the scenario loader.
 *
 * Each input is a scenario text. It is loaded with fs_scenario_load_text_with
 * from the built-in catalog, parsed once in LLVMFuzzerInitialize, and freed;
 * nothing is simulated. (fs_scenario_load_text would parse 19 KB of catalog
 * text per input, a hundred times the cost of most inputs.) Besides the
 * sanitizers (ASan, UBSan, LSan), the outcome is held to the loader's
 * contract (scenario_contract.h); a broken rule is printed and aborts, so
 * libFuzzer saves the input as a crash.
 *
 * Inputs holding "@include" are fed like any other: the loader refuses an
 * '@' outside strings and comments before libconfig sees the text, so no
 * file the input names is opened (docs/FUZZ.md says how that was checked).
 * Inputs holding a NUL byte are skipped because fs_scenario_load refuses
 * them before the text loader sees them.
 *
 * Built by -DFLEETSIM_FUZZ=ON with clang; run by `make fuzz` (docs/FUZZ.md).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/builtin.h"
#include "fleetsim/scenario.h"
#include "scenario_contract.h"

#define FUZZ_NAME "fuzz.cfg"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The built-in catalog, parsed once; read-only afterwards (the loader copies
 * it into each scenario). libFuzzer's interface leaves no other place to
 * keep it. Reachable until exit, so LeakSanitizer does not count it.
 */
static struct fs_catalog builtin;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct fs_error e;

	(void)argc;
	(void)argv;
	if (fs_catalog_load_builtin(&builtin, &e) != FS_OK) {
		fprintf(stderr, "built-in catalog: %s:%d: %s\n", e.file, e.line, e.msg);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_scenario sc;
	struct fs_error e;
	enum fs_status st;
	const char *broken;
	char *text;

	if (memchr(data, '\0', size))
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	st = fs_scenario_load_text_with(text, FUZZ_NAME, &builtin, &sc, &e);
	broken = fz_scenario_contract(&sc, &e, st, FUZZ_NAME, size);
	if (broken) {
		fprintf(stderr, "scenario loader contract broken: %s\n", broken);
		abort();
	}
	if (st == FS_OK)
		fs_scenario_fini(&sc);
	free(text);
	return 0;
}
