/*
 * scenario_contract.h - the scenario loader's promises (scenario.h and
 * docs/SCENARIO.md), checked on one load's outcome. Shared by the fuzz
 * target (fuzz/fuzz_scenario.c) and the regression test of the inputs it
 * found (tests/test_fuzz_regress.c), so that both hold the loader to the
 * same rules. Test support code: not part of the library.
 */
#ifndef FLEETSIM_FUZZ_SCENARIO_CONTRACT_H
#define FLEETSIM_FUZZ_SCENARIO_CONTRACT_H

#include <stddef.h>

#include "fleetsim/scenario.h"

/*
 * Checks the outcome st of loading a text of len bytes under the file name
 * name into sc, with error e. Returns NULL when every rule holds, or a
 * static string naming the first rule broken. Reads only; call it before
 * fs_scenario_fini. The rules:
 *   - st is FS_OK, FS_ERR_INPUT or FS_ERR_NOMEM, and e->code == st;
 *   - on failure: a message, the file name given (for FS_ERR_INPUT), and an
 *     empty scenario (nothing half-loaded);
 *   - on success: the source text kept whole, a name, a positive horizon,
 *     at least one fleet and some work; n_gpus = nodes x gpus_per_node;
 *     every job and every stream's largest GPU draw fits every fleet; jobs
 *     submitted before the horizon; streams with a rate, a model mix and a
 *     non-empty arrival window (start < end), and choice weights that are
 *     finite, non-negative and sum to a positive, finite value.
 */
const char *fz_scenario_contract(const struct fs_scenario *sc, const struct fs_error *e,
				 enum fs_status st, const char *name, size_t len);

#endif
