/*
 * test_examples.c - the example scenarios in scenarios/ cannot rot: every
 * *.cfg there loads (fs_scenario_load gives FS_OK) and draws no warning
 * from fs_scenario_lint, and the arithmetic their comments show holds
 * against the built-in catalog (a price change there fails this test, so
 * the comment and the fleet sizes get updated together).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/lint.h"
#include "fleetsim/scenario.h"
#include "fleetsim/sweep.h"
#include "testutil.h"

#define EXAMPLES_DIR FLEETSIM_SOURCE_DIR "/scenarios"
#define MAX_EXAMPLES 64

/* The examples the README walks through; each must exist. */
static const char *const named[] = {
	"example.cfg", "chat-team.cfg", "pretraining-team.cfg", "procurement.cfg",
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* The *.cfg names in scenarios/, sorted (readdir order is the filesystem's). */
static size_t list_examples(char names[MAX_EXAMPLES][256])
{
	DIR *d = opendir(EXAMPLES_DIR);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len < 5 || len >= 256 || strcmp(de->d_name + len - 4, ".cfg") != 0)
			continue;
		assert_true(n < MAX_EXAMPLES);
		memcpy(names[n++], de->d_name, len + 1);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	return n;
}

static void load_example(const char *file, struct fs_scenario *sc)
{
	char path[512];
	struct fs_error e;

	snprintf(path, sizeof(path), "%s/%s", EXAMPLES_DIR, file);
	fs_error_clear(&e);
	if (fs_scenario_load(path, sc, &e) != FS_OK) {
		print_error("%s:%d: %s: %s\n", e.file, e.line, e.key, e.msg);
		fail();
	}
}

static const struct fs_fleet_opt *fleet_named(const struct fs_scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->n_fleets; i++)
		if (strcmp(sc->fleets[i].name, name) == 0)
			return &sc->fleets[i];
	print_error("%s: no fleet option '%s'\n", sc->file, name);
	fail();
	return NULL;
}

/* Every .cfg file in scenarios/ loads and `fleetsim check` would print no warning. */
static void test_examples_load_without_warnings(void **state)
{
	static char names[MAX_EXAMPLES][256];
	size_t n = list_examples(names);

	(void)state;
	for (size_t k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
		bool found = false;

		for (size_t i = 0; i < n; i++)
			found = found || strcmp(names[i], named[k]) == 0;
		if (!found) {
			print_error("scenarios/%s is missing\n", named[k]);
			fail();
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct fs_scenario sc;
		struct fs_warnings w;
		size_t len = strlen(names[i]);

		/* a sweep file (docs/SCALE.md) is no scenario: it must load as a sweep */
		if (len > 10 && strcmp(names[i] + len - 10, "-sweep.cfg") == 0) {
			char path[512];
			struct fs_sweep sw;
			struct fs_error e;
			snprintf(path, sizeof(path), "%s/%s", EXAMPLES_DIR, names[i]);
			if (fs_sweep_load(path, &sw, &e) != FS_OK) {
				print_error("%s:%d: %s: %s\n", e.file, e.line, e.key, e.msg);
				fail();
			}
			fs_sweep_fini(&sw);
			continue;
		}
		load_example(names[i], &sc);
		assert_int_equal(fs_scenario_lint(&sc, &w), FS_OK);
		for (size_t j = 0; j < w.n; j++)
			print_error("%s:%d: %s: warning: %s\n", w.file, w.items[j].line,
				    w.items[j].key, w.items[j].msg);
		assert_int_equal(w.n, 0);
		fs_warnings_fini(&w);
		fs_scenario_fini(&sc);
	}
}

/*
 * chat-team.cfg: the H100 option of the same hourly budget as 512 A100 is
 * the budget over the H100 price, rounded down to whole 8-GPU nodes (the
 * catalog's prices in 2025: 512 x 1.89 / 2.99 = 323.6 -> 40 nodes = 320).
 */
static void test_examples_chat_team_same_budget(void **state)
{
	struct fs_scenario sc;
	const struct fs_fleet_opt *a, *h, *hc;
	double usd_a100 = tu_gpu("A100-SXM4-80GB")->cloud_usd_per_gpu_hour;
	double usd_h100 = tu_gpu("H100-SXM5-80GB")->cloud_usd_per_gpu_hour;
	double budget;

	(void)state;
	load_example("chat-team.cfg", &sc);
	a = fleet_named(&sc, "a100-512");
	h = fleet_named(&sc, "h100-same-usd");
	hc = fleet_named(&sc, "h100-same-count");
	assert_int_equal(a->n_gpus, 512);
	assert_int_equal(hc->n_gpus, 512);
	budget = 512.0 * usd_a100;
	assert_int_equal(h->n_gpus % 8, 0);
	/* within the budget, and one more node would exceed it */
	assert_true(h->n_gpus * usd_h100 <= budget);
	assert_true((h->n_gpus + 8) * usd_h100 > budget);
	/* the comment's figures */
	assert_int_equal(h->n_gpus, 320);
	assert_true(fabs(budget - 967.68) < 1e-9);
	/* services outrank training and may preempt it */
	assert_int_equal((int)sc.serving.n_services, 1);
	assert_true(sc.serving.services[0].preempt_training);
	for (size_t i = 0; i < sc.n_jobs; i++)
		assert_true(sc.jobs[i].priority < sc.serving.services[0].priority);
	for (size_t i = 0; i < sc.n_streams; i++)
		assert_true(sc.streams[i].priority < sc.serving.services[0].priority);
	fs_scenario_fini(&sc);
}

/*
 * pretraining-team.cfg: the job-level MTBF keeps the non-hardware 22 % of
 * Llama 3's interruptions and node failures the hardware 78 %, so together
 * they count each of the 419 interruptions in 54 days on 16,384 GPUs once:
 * per GPU, 1/230,327 + 0.78 x 419 / (16384 x 54 x 24) = 419 / (16384 x 54 x 24).
 */
static void test_examples_pretraining_failures_counted_once(void **state)
{
	struct fs_scenario sc;
	double all_per_gpu_h = 419.0 / (16384.0 * 54.0 * 24.0);
	double node_per_gpu_h, job_per_gpu_h;

	(void)state;
	load_example("pretraining-team.cfg", &sc);
	assert_true(sc.node_failures.enabled);
	assert_true(sc.failures.enabled);
	assert_true(sc.estimate_noise_frac > 0.0);
	node_per_gpu_h = 1.0 / (sc.node_failures.mtbf_s / 3600.0) / 8.0;
	for (size_t i = 0; i < sc.n_fleets; i++) {
		const struct fs_fleet_opt *f = &sc.fleets[i];

		for (int p = 0; p < f->n_pools; p++) {
			job_per_gpu_h = 1.0 / f->pools[p].gpu->mtbf_h;
			assert_int_equal(f->pools[p].gpus_per_node, 8);
			assert_true(fabs(job_per_gpu_h + node_per_gpu_h - all_per_gpu_h)
				    < 1e-3 * all_per_gpu_h);
		}
	}
	fs_scenario_fini(&sc);
}

/*
 * procurement.cfg: at the horizon each option holds 64 - 16 = 48 A100 nodes
 * and 4 + 12 + 16 + 16 = 48 H100 nodes, as its comment says; the service
 * runs on H100 only.
 */
static void test_examples_procurement_plan(void **state)
{
	struct fs_scenario sc;

	(void)state;
	load_example("procurement.cfg", &sc);
	assert_int_equal((int)sc.n_fleets, 2);
	for (size_t i = 0; i < sc.n_fleets; i++) {
		const struct fs_fleet_opt *f = &sc.fleets[i];
		int nodes[FS_MAX_POOLS] = { 0 };

		assert_int_equal(f->n_pools, 2);
		for (int p = 0; p < f->n_pools; p++)
			nodes[p] = f->pools[p].nodes;
		for (size_t k = 0; k < f->n_procure; k++) {
			assert_true(f->procure[k].at_s < sc.horizon_s);
			nodes[f->procure[k].pool] += f->procure[k].delta_nodes;
		}
		for (int p = 0; p < f->n_pools; p++)
			assert_int_equal(nodes[p], 48);
	}
	assert_ptr_not_equal(fleet_named(&sc, "mixed-fastest")->pool_choice,
				fleet_named(&sc, "mixed-cheapest")->pool_choice);
	assert_ptr_equal(sc.serving.services[0].gpu, fs_catalog_gpu(&sc.catalog, "H100"));
	fs_scenario_fini(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_load_without_warnings),
		cmocka_unit_test(test_examples_chat_team_same_budget),
		cmocka_unit_test(test_examples_pretraining_failures_counted_once),
		cmocka_unit_test(test_examples_procurement_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
