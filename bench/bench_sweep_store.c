/*
 * bench_sweep_store.c - the single writer of a sweep: how many items per
 * second fs_store_sweep_write_item stores, one transaction per item (what
 * `fleetsim sweep` does, so a killed sweep keeps every finished item), into
 * a new database at DB (default /tmp/bench_sweep_store.db, removed first).
 * The sweep is scenarios/chat-team-sweep.cfg (run from the repository root);
 * the outcomes are made up, only their storing is timed.
 *
 * stdout: sweep_store items=<N> wall_s=<t> items_per_s=<N/t>
 * Usage: bench_sweep_store [N (default 2000) [DB]]
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
	t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		struct fs_sweep_item it;
		fs_sweep_item_at(&sw, i % sw.n_items, &it);
		it.item = i;
		o.mean_util_frac = (double)i / (double)n;
		if (fs_store_sweep_write_item(s, id, &sw, &it, &o, "0/1", &e)) {
			fs_error_format(&e, msg, sizeof(msg));
			fprintf(stderr, "bench_sweep_store: %s\n", msg);
			return 1;
		}
	}
	t = now_s() - t0;
	printf("sweep_store items=%zu wall_s=%.3f items_per_s=%.0f\n", n, t, (double)n / t);
	fs_store_close(s);
	fs_sweep_fini(&sw);
	unlink(db);
	return 0;
}
