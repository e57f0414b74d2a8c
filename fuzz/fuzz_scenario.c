/*
 * fuzz_scenario.c - libFuzzer target for the scenario loader.
 *
 * Each input is a scenario text. It is loaded with fs_scenario_load_text and
 * freed; nothing is simulated. Besides the sanitizers (ASan, UBSan, LSan),
 * the outcome is held to the loader's contract (scenario_contract.h); a
 * broken rule is printed and aborts, so libFuzzer saves the input as a crash.
 *
 * Inputs holding "@include" are skipped: libconfig then opens files named by
 * the input (absolute paths, FIFOs, /dev/zero), which makes a run depend on
 * the machine and can block forever; the include rules are tested on their
 * own (issue 8, class 7). Inputs holding a NUL byte are skipped because
 * fs_scenario_load refuses them before the text loader sees them.
 *
 * Built by -DFLEETSIM_FUZZ=ON with clang; run by `make fuzz` (docs/FUZZ.md).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/scenario.h"
#include "scenario_contract.h"

#define FUZZ_NAME "fuzz.cfg"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_include(const uint8_t *data, size_t n)
{
	static const char tag[] = "@include";
	const size_t len = sizeof(tag) - 1;

	for (size_t i = 0; i + len <= n; i++)
		if (data[i] == '@' && !memcmp(data + i, tag, len))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_scenario sc;
	struct fs_error e;
	enum fs_status st;
	const char *broken;
	char *text;

	if (memchr(data, '\0', size) || has_include(data, size))
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	st = fs_scenario_load_text(text, FUZZ_NAME, &sc, &e);
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
