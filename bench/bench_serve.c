/*
 * bench_serve.c - speed of the serving replica micro-simulation: simulated
 * requests per second of wall time. One line per case:
 *   serve case=<name> requests_per_s=<number>
 * The headline case is Llama-2-70B on 8 x H100 at its capacity rate (p99
 * TTFT 2 s, p99 TPOT 0.2 s), the load a capacity search probes most.
 */
#define _POSIX_C_SOURCE 200809L
#include "fleetsim/replica.h"
#include "fleetsim/builtin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static struct fs_dist lognormal(double median, double sigma, double lo, double hi)
{
	struct fs_dist d;

	memset(&d, 0, sizeof(d));
	d.kind = FS_DIST_LOGNORMAL;
	d.a = median;
	d.b = sigma;
	d.lo = lo;
	d.hi = hi;
	return d;
}

struct bcase {
	const char *name, *model, *gpu;
	int tp;
	enum fs_precision prec;
	struct fs_dist in, out;
	double load_frac; /* of capacity; 0: closed loop at batch */
	int batch;
};

static int run_case(const struct fs_catalog *cat, struct fs_replica_memo *memo,
		    struct fs_replica_ws *ws, const struct bcase *c, long n)
{
	struct fs_replica_spec spec;
	const struct fs_replica_curve *curve;
	struct fs_serve_model m;
	struct fs_replica_workload w;
	struct fs_replica_stats st;
	struct fs_replica_sched s = fs_replica_sched_default();
	struct fs_error e;
	double t0, wall, best = 1e30;

	memset(&spec, 0, sizeof(spec));
	spec.serve.llm = fs_catalog_llm(cat, c->model);
	spec.serve.gpu = fs_catalog_gpu(cat, c->gpu);
	spec.serve.tp = c->tp;
	spec.serve.precision = c->prec;
	spec.sched = s;
	spec.input_tokens = c->in;
	spec.output_tokens = c->out;
	spec.slo.ttft_p99_s = 2.0;
	spec.slo.tpot_p99_s = 0.2;
	spec.seed = 7;
	if (!spec.serve.llm || !spec.serve.gpu || fs_serve_model_init(&m, &spec.serve, &e)) {
		fprintf(stderr, "bench_serve: %s: cannot set up\n", c->name);
		return 1;
	}
	memset(&w, 0, sizeof(w));
	w.input_tokens = c->in;
	w.output_tokens = c->out;
	w.n_requests = n;
	w.seed = 11;
	if (c->load_frac > 0) {
		if (fs_replica_capacity(memo, &spec, &curve, &e)) {
			fprintf(stderr, "bench_serve: %s: %s\n", c->name, e.msg);
			return 1;
		}
		w.arrival = FS_ARRIVAL_POISSON;
		w.qps = c->load_frac * (curve->capacity_qps > 0 ? curve->capacity_qps
								 : curve->saturation_qps);
	} else {
		w.arrival = FS_ARRIVAL_CLOSED;
		w.concurrency = c->batch;
		s.max_num_seqs = c->batch;
		s.max_batched_tokens = 0;
		s.chunked_prefill = false;
	}
	for (int rep = 0; rep < 3; rep++) {
		t0 = now_s();
		if (fs_replica_run(ws, &m, &s, &w, &st, &e)) {
			fprintf(stderr, "bench_serve: %s: %s\n", c->name, e.msg);
			return 1;
		}
		wall = now_s() - t0;
		if (wall < best)
			best = wall;
	}
	printf("serve case=%s requests_per_s=%.0f\n", c->name, (double)n / best);
	fprintf(stderr, "  %s: %ld requests at %.2f req/s simulated, %ld iterations, "
		"mean batch %.1f, p99 TTFT %.3f s, p99 TPOT %.4f s, wall %.3f s\n",
		c->name, n, w.arrival == FS_ARRIVAL_POISSON ? w.qps : st.requests_per_s,
		st.n_iterations, st.mean_batch_seqs, st.ttft_p99_s, st.tpot_p99_s, best);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	struct fs_catalog cat;
	struct fs_error e;
	struct fs_replica_memo *memo;
	struct fs_replica_ws *ws;
	const struct bcase cases[] = {
		{ "llama2-70b-tp8-h100-near-capacity", "Llama-2-70B", "H100-SXM5-80GB", 8,
		  FS_PREC_BF16, fs_dist_fixed(512), fs_dist_fixed(128), 0.95, 0 },
		{ "llama3-70b-tp8-h100-chat-near-capacity", "Llama-3-70B", "H100-SXM5-80GB", 8,
		  FS_PREC_FP8, lognormal(140, 1.0, 4, 1024), lognormal(138, 0.9, 4, 1024), 0.95, 0 },
		{ "llama3-8b-tp1-a100-chat-near-capacity", "Llama-3-8B", "A100-SXM4-80GB", 1,
		  FS_PREC_BF16, lognormal(140, 1.0, 4, 1024), lognormal(138, 0.9, 4, 1024), 0.95, 0 },
		{ "llama2-70b-tp4-a100-batch256", "Llama-2-70B", "A100-SXM4-80GB", 4, FS_PREC_FP16,
		  fs_dist_fixed(128), fs_dist_fixed(128), 0, 256 },
	};

	fs_gsl_errors_off(); /* library code checks every GSL status (error.h) */
	if (n < 1000)
		n = 1000;
	if (fs_catalog_load_builtin(&cat, &e) || fs_replica_memo_create(&memo) ||
	    fs_replica_ws_create(&ws, n)) {
		fprintf(stderr, "bench_serve: setup failed\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (run_case(&cat, memo, ws, &cases[i], n))
			return 1;
	{
		/* A whole capacity search (fresh memo), counted in simulated requests. */
		struct fs_replica_memo *m2;
		struct fs_replica_spec spec;
		const struct fs_replica_curve *c;
		double t0;
		memset(&spec, 0, sizeof(spec));
		spec.serve.llm = fs_catalog_llm(&cat, "Llama-2-70B");
		spec.serve.gpu = fs_catalog_gpu(&cat, "H100-SXM5-80GB");
		spec.serve.tp = 8;
		spec.serve.precision = FS_PREC_BF16;
		spec.sched = fs_replica_sched_default();
		spec.input_tokens = fs_dist_fixed(512);
		spec.output_tokens = fs_dist_fixed(128);
		spec.slo.ttft_p99_s = 2.0;
		spec.slo.tpot_p99_s = 0.2;
		spec.seed = 3;
		if (fs_replica_memo_create(&m2))
			return 1;
		t0 = now_s();
		if (fs_replica_capacity(m2, &spec, &c, &e)) {
			fprintf(stderr, "bench_serve: capacity: %s\n", e.msg);
			return 1;
		}
		printf("serve case=capacity-search-llama2-70b-tp8-h100 requests_per_s=%.0f\n",
		       (double)c->n_probes * 4000.0 / (now_s() - t0));
		fprintf(stderr, "  capacity search: %d probes of 4000 requests in %.3f s, capacity %.2f req/s\n",
			c->n_probes, now_s() - t0, c->capacity_qps);
		fs_replica_memo_destroy(m2);
	}
	fs_replica_ws_destroy(ws);
	fs_replica_memo_destroy(memo);
	fs_catalog_fini(&cat);
	return 0;
}
