/*
 * bench_sweep_store.c - the single writer of a sweep: how many items per
 * second fs_store_sweep_write_item stores, one transaction per item (what
 * `fleetsim sweep` does, so a killed sweep keeps every finished item), into
 * a new database at DB (default /tmp/bench_sweep_store.db, removed first).
 * The sweep is scenarios/chat-team-sweep.cfg (run from the repository root);
 * the outcomes are made up, only their storing is timed.
 *
 * With BATCH > 1, BATCH items per transaction (fs_store_sweep_write_items,
 * what `fleetsim sweep --commit-s` does).
 *
 * stdout: sweep_store items=<N> batch=<B> wall_s=<t> items_per_s=<N/t>
 * Usage: bench_sweep_store [N (default 2000) [DB [BATCH (default 1)]]]
 */
#include "fleetsim/store.h"
#include "fleetsim/sweep.h"

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 2000;
	const char *db = argc > 2 ? argv[2] : "/tmp/bench_sweep_store.db";
	size_t batch = argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : 1;
	struct fs_sweep_item *its;
	struct fs_sweep_outcome *os;
	struct fs_sweep sw;
	struct fs_store *s;
	struct fs_error e;
	struct fs_sweep_outcome o;
	int64_t id;
	bool existed;
	double t0, t;
	char msg[1024];

	gsl_set_error_handler_off();
	unlink(db);
	if (fs_sweep_load("scenarios/chat-team-sweep.cfg", &sw, &e) ||
	    fs_store_open(db, FS_STORE_WRITE, &s, &e) ||
	    fs_store_sweep_begin(s, &sw, &id, &existed, &e)) {
		fs_error_format(&e, msg, sizeof(msg));
		fprintf(stderr, "bench_sweep_store: %s\n", msg);
		return 1;
	}
	memset(&o, 0, sizeof(o));
	o.horizon_s = 365 * 86400.0;
	o.n_months = 12;
	o.first_fail_month = -1;
	o.first_fail_criterion = -1;
	o.mean_wait_s = o.p90_wait_s = o.mean_tts_s = o.p90_tts_s = 1.0;
	o.serve_attainment_frac = o.usd_per_training_job = o.usd_per_mtok_served = NAN;
	if (batch < 1)
		batch = 1;
	its = calloc(batch, sizeof(*its));
	os = calloc(batch, sizeof(*os));
	if (!its || !os)
		return 1;
	t0 = now_s();
	for (size_t i = 0; i < n; i += batch) {
		size_t m = n - i < batch ? n - i : batch;
		for (size_t j = 0; j < m; j++) {
			fs_sweep_item_at(&sw, (i + j) % sw.n_items, &its[j]);
			its[j].item = i + j;
			os[j] = o;
			os[j].mean_util_frac = (double)(i + j) / (double)n;
		}
		if (fs_store_sweep_write_items(s, id, &sw, its, os, m, "0/1", &e)) {
			fs_error_format(&e, msg, sizeof(msg));
			fprintf(stderr, "bench_sweep_store: %s\n", msg);
			return 1;
		}
	}
	t = now_s() - t0;
	printf("sweep_store items=%zu batch=%zu wall_s=%.3f items_per_s=%.0f\n", n, batch, t,
	       (double)n / t);
	free(its);
	free(os);
	fs_store_close(s);
	fs_sweep_fini(&sw);
	unlink(db);
	return 0;
}
