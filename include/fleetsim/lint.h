/*
 * lint.h - warnings about a loaded scenario: values that are valid but
 * probably not what the planner meant (job shapes that do not fit a fleet,
 * implausible objectives or token lengths, runaway demand growth). Each
 * warning names the scenario's file, a line and a key path, like an error.
 * Library code: nothing is printed; `fleetsim check` prints the list.
 */
#ifndef FLEETSIM_LINT_H
#define FLEETSIM_LINT_H

#include <stddef.h>

#include "fleetsim/dist.h"
#include "fleetsim/error.h"
#include "fleetsim/scenario.h"

/* Thresholds of the plausibility warnings (docs/SCENARIO.md, "Warnings"). */
#define FS_LINT_TTFT_P99_MAX_S 60.0
#define FS_LINT_TPOT_P99_MAX_S 2.0
#define FS_LINT_TPOT_P99_MIN_S 0.001
#define FS_LINT_TOKENS_MEAN_MIN 4.0
#define FS_LINT_DEMAND_GROWTH_MAX 1000.0

struct fs_warning {
	int line;                   /* in the scenario file; 0 when none */
	char key[128];              /* key path, e.g. "training.streams.[0].gpus" */
	char msg[512];
	double share_frac;          /* draws affected (0..1) for shape warnings; else 0 */
};

struct fs_warnings {
	char file[256];
	struct fs_warning *items;   /* owned; fs_warnings_fini frees */
	size_t n, cap;
};

/*
 * All warnings about sc, in scenario order, into w (caller storage, need not
 * be initialised; fs_warnings_fini afterwards in every case). FS_OK, or
 * FS_ERR_NOMEM (w holds the warnings found until then).
 */
enum fs_status fs_scenario_lint(const struct fs_scenario *sc, struct fs_warnings *w);

void fs_warnings_fini(struct fs_warnings *w);

/*
 * Share (0..1) of draws of d that, rounded to whole GPUs as the workload
 * does (floor(x + 0.5)), exceed cap_gpus: exact for fixed and choice, from
 * the distribution's CDF (with its clamp) otherwise.
 */
double fs_lint_share_above(const struct fs_dist *d, int cap_gpus);

#endif
