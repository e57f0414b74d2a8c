/*
 * cmd_run.c - check, run, runs, show: scenario files in, results database
 * out and back. Parsing and printing only.
 */
#include "cli.h"

#include "fleetsim/run.h"
#include "fleetsim/scenario.h"
#include "fleetsim/store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_DB "output/fleetsim.db"

struct opts {
	const char *file;
	const char *db;
	int has_seed;
	uint64_t seed;
	int csv;
};

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parses [FILE] [--db PATH] [--seed N] [--format table|csv]; allowed flags by mask. */
enum { O_DB = 1, O_SEED = 2, O_FMT = 4 };
static int parse_opts(const char *cmd, int argc, char **argv, int want_file, int allowed,
		      struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->db = DEFAULT_DB;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((allowed & O_DB) && strcmp(a, "--db") == 0) {
			if (++i >= argc)
				return fs_cli_usage_error(cmd, "--db needs a path");
			o->db = argv[i];
		} else if ((allowed & O_SEED) && strcmp(a, "--seed") == 0) {
			if (++i >= argc || parse_u64(argv[i], INT64_MAX, &o->seed))
				return fs_cli_usage_error(cmd, "--seed needs an integer from 0 to %" PRId64,
							  INT64_MAX);
			o->has_seed = 1;
		} else if ((allowed & O_FMT) && strcmp(a, "--format") == 0) {
			if (++i >= argc || (strcmp(argv[i], "table") && strcmp(argv[i], "csv")))
				return fs_cli_usage_error(cmd, "--format takes 'table' or 'csv'");
			o->csv = strcmp(argv[i], "csv") == 0;
		} else if (a[0] == '-' && a[1] != '\0') {
			return fs_cli_usage_error(cmd, "unknown option '%s'", a);
		} else if (want_file && !o->file) {
			o->file = a;
		} else {
			return fs_cli_usage_error(cmd, "unexpected argument '%s'", a);
		}
	}
	if (want_file && !o->file)
		return fs_cli_usage_error(cmd, "missing %s", want_file == 1 ? "scenario file" : "run id");
	return 0;
}

/* The default database lives in output/; create that folder on first use. */
static void ensure_default_dir(const char *db)
{
	if (strcmp(db, DEFAULT_DB) == 0)
		mkdir("output", 0777);
}

static const char *dist_text(const struct fs_dist *d, char *buf, size_t n)
{
	switch (d->kind) {
	case FS_DIST_FIXED:
		snprintf(buf, n, "%g", d->a);
		break;
	case FS_DIST_UNIFORM:
		snprintf(buf, n, "uniform %g..%g", d->a, d->b);
		break;
	case FS_DIST_LOGNORMAL:
		snprintf(buf, n, "lognormal median %g sigma %g", d->a, d->b);
		break;
	case FS_DIST_EXPONENTIAL:
		snprintf(buf, n, "exponential mean %g", d->a);
		break;
	case FS_DIST_CHOICE: {
		size_t u = 0;
		u += (size_t)snprintf(buf, n, "one of");
		for (int i = 0; i < d->n_values && u < n; i++)
			u += (size_t)snprintf(buf + u, n - u, " %g(w%g)", d->values[i], d->weights[i]);
		break;
	}
	}
	if (d->kind == FS_DIST_LOGNORMAL || d->kind == FS_DIST_EXPONENTIAL) {
		size_t u = strlen(buf);
		if (d->hi < 1e30)
			snprintf(buf + u, n - u, ", clamped to %g..%g", d->lo, d->hi);
	}
	return buf;
}

static const char check_help[] =
	"usage: fleetsim check SCENARIO\n"
	"\n"
	"Validates a scenario file and prints what was understood: fleets, GPUs,\n"
	"jobs and streams, with each explicit job's run time on every fleet option.\n"
	"Errors name the file, line and key. Exit codes: 0 valid, 2 invalid.\n";

int fs_cli_check(int argc, char **argv)
{
	struct opts o;
	struct fs_scenario sc;
	struct fs_error e;
	int rc;

	if (fs_cli_wants_help(argc, argv)) {
		fputs(check_help, stdout);
		return 0;
	}
	if ((rc = parse_opts("check", argc, argv, 1, 0, &o)))
		return rc;
	if (fs_scenario_load(o.file, &sc, &e))
		return fs_cli_report(&e);
	printf("scenario   %s (%s)\n", sc.name, sc.file);
	printf("seed       %" PRIu64 "\n", sc.seed);
	printf("horizon    %g days; series every %g h\n", sc.horizon_s / FS_SECONDS_PER_DAY,
	       sc.series_interval_s / 3600.0);
	printf("\nfleet options\n");
	printf("  %-16s %-16s %6s %5s %7s %10s %12s\n", "name", "gpu", "nodes", "x", "gpus",
	       "bf16_tflops", "usd/gpu-h");
	for (size_t i = 0; i < sc.n_fleets; i++) {
		const struct fs_fleet_opt *f = &sc.fleets[i];
		printf("  %-16s %-16s %6d %5d %7d %10.1f %12.2f\n", f->name, f->gpu->name, f->nodes,
		       f->gpus_per_node, f->n_gpus, f->gpu->bf16_tflops, f->gpu->cloud_usd_per_gpu_hour);
	}
	if (sc.n_jobs) {
		struct fs_train_memo *memo = NULL;
		if (fs_train_memo_create(&memo, 256)) {
			fs_scenario_fini(&sc);
			fprintf(stderr, "fleetsim: out of memory\n");
			return 1;
		}
		printf("\ntraining jobs (expected run time in days on each fleet, %s model;"
		       " - : does not fit)\n",
		       sc.train_model == FS_TRAIN_MODEL_FULL ? "full" : "first-order");
		printf("  %-20s %-14s %9s %6s %10s %6s %5s", "name", "model", "submit_d", "gpus",
		       "tokens", "seq", "prec");
		for (size_t f = 0; f < sc.n_fleets; f++)
			printf(" %12.12s", sc.fleets[f].name);
		printf("\n");
		for (size_t i = 0; i < sc.n_jobs; i++) {
			const struct fs_job_spec *j = &sc.jobs[i];
			int seq = j->opts.seq_len ? j->opts.seq_len : j->model->max_seq;
			printf("  %-20s %-14s %9.2f %6d %10.3g %6d %5s", j->name, j->model->name,
			       j->submit_s / FS_SECONDS_PER_DAY, j->gpus, j->tokens, seq,
			       fs_precision_name(j->opts.precision));
			for (size_t f = 0; f < sc.n_fleets; f++) {
				double work_s, wall_s;
				if (fs_run_job_time(&sc, sc.fleets[f].gpu, memo, j->model, j->gpus, &j->opts,
						    j->tokens, &work_s, &wall_s, &e) == FS_OK)
					printf(" %12.2f", wall_s / FS_SECONDS_PER_DAY);
				else
					printf(" %12s", "-");
			}
			printf("\n");
		}
		fs_train_memo_destroy(memo);
	}
	for (size_t i = 0; i < sc.n_streams; i++) {
		const struct fs_stream_spec *s = &sc.streams[i];
		char b1[512], b2[512];
		if (i == 0)
			printf("\ntraining streams\n");
		printf("  %s: %g jobs/day from day %g to %g, growing %g%%/month\n", s->name,
		       s->rate_per_s * FS_SECONDS_PER_DAY, s->start_s / FS_SECONDS_PER_DAY,
		       s->end_s / FS_SECONDS_PER_DAY, 100.0 * s->growth_per_month_frac);
		printf("    models:");
		for (int m = 0; m < s->n_models; m++)
			printf(" %s(w%g)", s->models[m].model->name, s->models[m].weight);
		printf("\n    tokens: %s\n    gpus:   %s\n", dist_text(&s->tokens, b1, sizeof(b1)),
		       dist_text(&s->gpus, b2, sizeof(b2)));
	}
	printf("\nok\n");
	fs_scenario_fini(&sc);
	return 0;
}

static const char run_help[] =
	"usage: fleetsim run SCENARIO [--db PATH] [--seed N] [--format table|csv]\n"
	"\n"
	"Simulates every fleet option of the scenario with the same workload, stores\n"
	"each run (jobs, utilization series, summary) in the results database in one\n"
	"transaction, and prints one summary line per fleet.\n"
	"\n"
	"  --db PATH       results database (default " DEFAULT_DB ", created when missing)\n"
	"  --seed N        master seed (default: the scenario's 'seed')\n"
	"  --format F      table (default) or csv\n"
	"\n"
	"Exit codes: 0 ok, 1 simulation or database failure, 2 bad input.\n";

static void print_summary(const char *fleet, const char *gpu, int gpus, const struct fs_run_summary *m,
			  int64_t id, int csv)
{
	if (csv) {
		printf("%" PRId64 ",%s,%s,%d,%zu,%zu,%zu,%.6g,%.6g,%.6g,%.6g,%.6f,%.6g,%.2f\n", id, fleet,
		       gpu, gpus, m->n_jobs, m->n_done_in_horizon, m->n_infeasible, m->mean_wait_s / 3600.0,
		       m->p90_wait_s / 3600.0, m->mean_tts_s / FS_SECONDS_PER_DAY,
		       m->p90_tts_s / FS_SECONDS_PER_DAY, m->mean_util_frac, m->gpu_hours,
		       m->fleet_cost_usd);
		return;
	}
	printf("%6" PRId64 "  %-16s %-16s %6d %6zu %8zu %6zu %9.1f %9.1f %9.2f %9.2f %6.1f %14.0f\n", id,
	       fleet, gpu, gpus, m->n_jobs, m->n_done_in_horizon, m->n_infeasible, m->mean_wait_s / 3600.0,
	       m->p90_wait_s / 3600.0, m->mean_tts_s / FS_SECONDS_PER_DAY,
	       m->p90_tts_s / FS_SECONDS_PER_DAY, 100.0 * m->mean_util_frac, m->fleet_cost_usd);
}

static void print_header(int csv)
{
	if (csv) {
		printf("run_id,fleet,gpu,gpus,jobs,done_in_horizon,infeasible,wait_mean_h,wait_p90_h,"
		       "tts_mean_days,tts_p90_days,util_frac,gpu_hours,fleet_cost_usd\n");
		return;
	}
	printf("%6s  %-16s %-16s %6s %6s %8s %6s %9s %9s %9s %9s %6s %14s\n", "run", "fleet", "gpu",
	       "gpus", "jobs", "in_horiz", "infeas", "wait_h", "wait_p90h", "tts_d", "tts_p90_d", "util%",
	       "fleet_usd");
}

int fs_cli_run(int argc, char **argv)
{
	struct opts o;
	struct fs_scenario sc;
	struct fs_error e;
	struct fs_store *store = NULL;
	struct fs_run_result *res = NULL;
	struct fs_workload wl = { 0 };
	int64_t *ids = NULL;
	size_t done = 0;
	int rc;
	uint64_t seed;

	fs_error_clear(&e);
	if (fs_cli_wants_help(argc, argv)) {
		fputs(run_help, stdout);
		return 0;
	}
	if ((rc = parse_opts("run", argc, argv, 1, O_DB | O_SEED | O_FMT, &o)))
		return rc;
	if (fs_scenario_load(o.file, &sc, &e))
		return fs_cli_report(&e);
	seed = o.has_seed ? o.seed : sc.seed;
	ensure_default_dir(o.db);
	/* Open (and check) the database before simulating, so a bad path fails fast. */
	if (fs_store_open(o.db, FS_STORE_WRITE, &store, &e))
		goto fail;
	res = calloc(sc.n_fleets, sizeof(*res));
	ids = calloc(sc.n_fleets, sizeof(*ids));
	if (!res || !ids) {
		fs_error_set(&e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		goto fail;
	}
	if (fs_workload_generate(&sc, seed, &wl, &e))
		goto fail;
	for (size_t f = 0; f < sc.n_fleets; f++) {
		fprintf(stderr, "fleetsim: [%zu/%zu] fleet '%s' (%d x %s)...", f + 1, sc.n_fleets,
			sc.fleets[f].name, sc.fleets[f].n_gpus, sc.fleets[f].gpu->name);
		fflush(stderr);
		if (fs_run_fleet_workload(&sc, &wl, f, seed, &res[f], &e)) {
			fprintf(stderr, " failed\n");
			goto fail;
		}
		done = f + 1;
		fprintf(stderr, " %zu jobs, %" PRIu64 " events, %.3f s\n", res[f].n_jobs,
			res[f].sum.events, res[f].wall_s);
		if (res[f].sum.n_infeasible) {
			const struct fs_job_result *j = res[f].jobs;
			char jname[96];
			while (j->status != FS_JOB_INFEASIBLE)
				j++;
			fprintf(stderr, "fleetsim: warning: on fleet '%s', %zu jobs do not fit in memory on "
				"their GPUs and were not run (first: '%s', %s on %d GPUs)\n",
				sc.fleets[f].name, res[f].sum.n_infeasible,
				fs_workload_job_name(&sc, j->source, j->seq, jname, sizeof(jname)),
				j->model->name, j->gpus);
		}
	}
	if (fs_store_write_runs(store, &sc, res, sc.n_fleets, FLEETSIM_VERSION, ids, &e))
		goto fail;
	if (!o.csv)
		printf("scenario '%s', seed %" PRIu64 ", horizon %g days -> %s\n\n", sc.name, seed,
		       sc.horizon_s / FS_SECONDS_PER_DAY, o.db);
	print_header(o.csv);
	for (size_t f = 0; f < sc.n_fleets; f++)
		print_summary(sc.fleets[f].name, sc.fleets[f].gpu->name, sc.fleets[f].n_gpus,
			      &res[f].sum, ids[f], o.csv);
	if (!o.csv)
		printf("\nwait and tts over the jobs that ran (the run continues past the horizon until\n"
		       "every submitted job ends); infeas = jobs whose model does not fit on their GPUs;\n"
		       "util%% = busy GPU-time / fleet GPU-time within the horizon;\n"
		       "fleet_usd = fleet GPUs x horizon x cloud price per GPU-hour.\n");
	rc = 0;
	goto out;
fail:
	rc = fs_cli_report(&e);
out:
	for (size_t f = 0; f < done; f++)
		fs_run_result_fini(&res[f]);
	free(res);
	free(ids);
	fs_workload_fini(&wl);
	fs_store_close(store);
	fs_scenario_fini(&sc);
	return rc;
}

static const char runs_help[] =
	"usage: fleetsim runs [--db PATH] [--format table|csv]\n"
	"\n"
	"Lists the runs stored in the results database (default " DEFAULT_DB ").\n";

static int list_row(void *ctx, const struct fs_run_row *r)
{
	int csv = *(int *)ctx;

	if (csv)
		printf("%" PRId64 ",%s,%s,%s,%d,%" PRId64 ",%s,%s,%zu,%.6f,%.2f\n", r->id, r->scenario,
		       r->fleet, r->gpu, r->gpus, r->seed, r->status, r->started_at, r->sum.n_jobs,
		       r->sum.mean_util_frac, r->sum.fleet_cost_usd);
	else
		printf("%6" PRId64 "  %-20.20s %-16s %-16s %6d %12" PRId64 " %-6s %-20s %6zu %6.1f\n",
		       r->id, r->scenario, r->fleet, r->gpu, r->gpus, r->seed, r->status, r->started_at,
		       r->sum.n_jobs, 100.0 * r->sum.mean_util_frac);
	return 0;
}

int fs_cli_runs(int argc, char **argv)
{
	struct opts o;
	struct fs_error e;
	struct fs_store *store;
	int rc;

	if (fs_cli_wants_help(argc, argv)) {
		fputs(runs_help, stdout);
		return 0;
	}
	if ((rc = parse_opts("runs", argc, argv, 0, O_DB | O_FMT, &o)))
		return rc;
	if (fs_store_open(o.db, FS_STORE_READ, &store, &e))
		return fs_cli_report(&e);
	if (o.csv)
		printf("run_id,scenario,fleet,gpu,gpus,seed,status,started_at,jobs,util_frac,fleet_cost_usd\n");
	else
		printf("%6s  %-20s %-16s %-16s %6s %12s %-6s %-20s %6s %6s\n", "run", "scenario", "fleet",
		       "gpu", "gpus", "seed", "status", "started_at", "jobs", "util%");
	rc = fs_store_list_runs(store, list_row, &o.csv, &e) ? fs_cli_report(&e) : 0;
	fs_store_close(store);
	return rc;
}

static const char show_help[] =
	"usage: fleetsim show RUN [--db PATH]\n"
	"\n"
	"Prints one stored run: its summary, job statistics per workload stream and\n"
	"its monthly utilization, read from the results database.\n";

static int kind_row(void *ctx, const struct fs_kind_row *k)
{
	(void)ctx;
	printf("  %-20s %8" PRId64 " %10" PRId64 " %10.1f %10.2f %14.0f %9" PRId64 "\n", k->kind,
	       k->n_jobs, k->n_infeasible, k->mean_wait_s / 3600.0, k->mean_tts_s / FS_SECONDS_PER_DAY,
	       k->gpu_hours, k->restarts);
	return 0;
}

static int util_row(void *ctx, const struct fs_util_row *u)
{
	(void)ctx;
	printf("  %5d %12.1f %7.1f %10.1f\n", u->month + 1, u->gpus_busy, 100.0 * u->util_frac,
	       u->jobs_queued);
	return 0;
}

int fs_cli_show(int argc, char **argv)
{
	struct opts o;
	struct fs_error e;
	struct fs_store *store;
	struct fs_run_row r;
	uint64_t id;
	int rc;

	if (fs_cli_wants_help(argc, argv)) {
		fputs(show_help, stdout);
		return 0;
	}
	if ((rc = parse_opts("show", argc, argv, 2, O_DB, &o)))
		return rc;
	if (parse_u64(o.file, INT64_MAX, &id))
		return fs_cli_usage_error("show", "run id '%s' is not a positive integer", o.file);
	if (fs_store_open(o.db, FS_STORE_READ, &store, &e))
		return fs_cli_report(&e);
	if (fs_store_get_run(store, (int64_t)id, &r, &e)) {
		fs_store_close(store);
		return fs_cli_report(&e);
	}
	printf("run %" PRId64 ": scenario '%s', fleet '%s' (%d x %s), seed %" PRId64 "\n", r.id,
	       r.scenario, r.fleet, r.gpus, r.gpu, r.seed);
	printf("  status %s, started %s, %.3f s wall, %" PRIu64 " events, fleetsim %s\n\n", r.status,
	       r.started_at, r.wall_s, r.sum.events, r.version);
	printf("  %-28s %14.0f days\n", "horizon", r.horizon_s / FS_SECONDS_PER_DAY);
	printf("  %-28s %14zu\n", "jobs", r.sum.n_jobs);
	printf("  %-28s %14zu\n", "finished within horizon", r.sum.n_done_in_horizon);
	printf("  %-28s %14zu\n", "infeasible (do not fit)", r.sum.n_infeasible);
	printf("  %-28s %14" PRIu64 "\n", "failures (job restarts)", r.sum.n_failures);
	printf("  %-28s %14.1f h\n", "wait, mean", r.sum.mean_wait_s / 3600.0);
	printf("  %-28s %14.1f h\n", "wait, p90", r.sum.p90_wait_s / 3600.0);
	printf("  %-28s %14.2f days\n", "time to solution, mean", r.sum.mean_tts_s / FS_SECONDS_PER_DAY);
	printf("  %-28s %14.2f days\n", "time to solution, p90", r.sum.p90_tts_s / FS_SECONDS_PER_DAY);
	printf("  %-28s %14.1f %%\n", "utilization within horizon", 100.0 * r.sum.mean_util_frac);
	printf("  %-28s %14.2f days\n", "last job ends", r.sum.makespan_s / FS_SECONDS_PER_DAY);
	printf("  %-28s %14.0f\n", "GPU-hours of jobs", r.sum.gpu_hours);
	printf("  %-28s %14.0f USD\n", "fleet cost over horizon", r.sum.fleet_cost_usd);
	printf("\n  %-20s %8s %10s %10s %10s %14s %9s\n", "workload", "jobs", "infeasible", "wait_h",
	       "tts_d", "gpu_hours", "restarts");
	if (fs_store_job_kinds(store, r.id, kind_row, NULL, &e))
		goto fail;
	printf("\n  %5s %12s %7s %10s\n", "month", "gpus_busy", "util%", "queued");
	if (fs_store_monthly_util(store, r.id, util_row, NULL, &e))
		goto fail;
	fs_store_close(store);
	return 0;
fail:
	fs_store_close(store);
	return fs_cli_report(&e);
}
