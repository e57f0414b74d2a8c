/*
 * bench_dispatch.c - speed-up of the work-list dispatcher (dispatch.h) on
 * local worker processes: 200 items of about 20 ms of CPU each (spun on the
 * thread's CPU clock, so the work per item is the same whatever else runs),
 * with 1 worker (in process) and with 2 (and 4 when the machine has them).
 *
 * Prints one line per number of workers:
 *   dispatch jobs=<J> items=200 wall_s=<s> speedup=<x> backend=<name>
 * Usage: bench_dispatch [ITEMS] [ITEM_MS] [REPEATS]
 */
#include "fleetsim/dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct bctx {
	double item_s;
	size_t n_taken;
};

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static enum fs_status work(void *vctx, size_t item, struct fs_dbuf *out, struct fs_error *e)
{
	const struct bctx *c = vctx;
	double t0 = cpu_s();
	uint64_t x = item;

	(void)e;
	while (cpu_s() - t0 < c->item_s)
		x = x * 6364136223846793005u + 1442695040888963407u;
	return fs_dbuf_put(out, &x, sizeof(x));
}

static enum fs_status take(void *vctx, size_t item, const void *data, size_t n, struct fs_error *e)
{
	struct bctx *c = vctx;

	(void)item;
	(void)data;
	(void)e;
	c->n_taken += n == sizeof(uint64_t);
	return FS_OK;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)atol(argv[1]) : 200;
	double ms = argc > 2 ? atof(argv[2]) : 20.0;
	int repeats = argc > 3 ? atoi(argv[3]) : 3;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	for (int r = 0; r < repeats; r++) {
		double base = 0;
		for (int jobs = 1; jobs <= 4 && jobs <= (cores > 1 ? cores : 2); jobs *= 2) {
			struct bctx c = { ms / 1e3, 0 };
			struct fs_dispatch_params p;
			struct fs_dispatch_stats st;
			struct fs_error e;

			fs_dispatch_params_init(&p);
			p.jobs = jobs;
			if (fs_dispatch_run(n, NULL, work, take, &c, &p, NULL, &st, &e) || c.n_taken != n) {
				fprintf(stderr, "bench_dispatch: %s\n", e.msg);
				return 1;
			}
			if (jobs == 1)
				base = st.wall_s;
			printf("dispatch jobs=%d items=%zu item_ms=%g wall_s=%.3f speedup=%.2f "
			       "backend=%s\n", jobs, n, ms, st.wall_s, base / st.wall_s, st.backend);
			fflush(stdout);
		}
	}
	return 0;
}
