/*
 * cmd_run.c - check, run, runs, show: scenario files in, results database
 * out and back. Parsing and printing only.
 */
#include "cli.h"

#include "fleetsim/history.h"
#include "fleetsim/lint.h"
#include "fleetsim/run.h"
#include "fleetsim/scenario.h"
#include "fleetsim/sched.h"
#include "fleetsim/service.h"
#include "fleetsim/store.h"
#include "fleetsim/util.h"
#include "fleetsim/workload.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_DB "output/fleetsim.db"

/* Every option of check, run, runs and show; each command's table picks its rows. */
#define OPT_DB { .name = "db", .type = FS_OPT_STRING, .metavar = "PATH", .def = DEFAULT_DB, \
		 .help = "results database" }
#define OPT_SEED { .name = "seed", .type = FS_OPT_INT, .imin = 0, .imax = INT64_MAX, \
		   .def = "the scenario's 'seed'", .help = "master seed" }

#define OPT_MAX_JOBS { .name = "max-jobs", .type = FS_OPT_INT, .imin = 1, .imax = 1000000000, \
		       .unit = "job runs", .def = "10000000", \
		       .help = "most jobs expected, summed over the fleet options (~250 bytes each)" }

static const struct fs_opt check_opts[] = { OPT_MAX_JOBS };
enum { C_MAX_JOBS, N_CHECK_OPTS };
static const struct fs_opt run_opts[] = {
	OPT_DB, OPT_SEED, FS_CLI_OPT_FORMAT, OPT_MAX_JOBS,
	{ .name = "quiet", .aliases = "q", .type = FS_OPT_FLAG,
	  .help = "no progress lines on stderr (warnings still print)" },
	{ .name = "progress", .type = FS_OPT_FLAG,
	  .help = "a line per fleet option on stderr even when it is not a terminal (logs)" },
};
enum { R_DB, R_SEED, R_FORMAT, R_MAX_JOBS, R_QUIET, R_PROGRESS, N_RUN_OPTS };
static const struct fs_opt runs_opts[] = { OPT_DB, FS_CLI_OPT_FORMAT };
enum { L_DB, L_FORMAT, N_RUNS_OPTS };
static const struct fs_opt show_opts[] = { OPT_DB };
enum { S_DB, N_SHOW_OPTS };

/*
 * Parses argv with opts (n_opts rows; 0 for none) and one positional argument
 * when what names it ("scenario file", "run id"). 0, or the usage exit code.
 */
static int parse(const char *cmd, const struct fs_opt *opts, int n_opts, int argc, char **argv,
		 struct fs_opt_val *vals, const char *what, const char **positional)
{
	int n_pos = 0, rc;

	rc = fs_cli_parse(cmd, opts, n_opts, argc, argv, vals, positional, what ? 1 : 0, &n_pos);
	if (rc)
		return rc;
	if (what && n_pos == 0)
		return fs_cli_usage_error(cmd, "missing %s", what);
	return 0;
}

/* A run id: a decimal integer from 0 to max. */
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

static const char *db_path(const struct fs_opt_val *v)
{
	return v->set ? v->s : DEFAULT_DB;
}

/*
 * Opens the results database with the wait bound from FLEETSIM_DB_WAIT_S
 * (seconds, 0 to 86400; default FS_STORE_WAIT_S_DEFAULT). 0, or the exit code
 * after reporting.
 */
static int open_db(const char *db, enum fs_store_mode mode, struct fs_store **store,
		   struct fs_error *e)
{
	const char *env = getenv("FLEETSIM_DB_WAIT_S");
	double wait_s = FS_STORE_WAIT_S_DEFAULT;

	*store = NULL;
	if (env) {
		char *end;
		errno = 0;
		wait_s = strtod(env, &end);
		if (errno || end == env || *end || !(wait_s >= 0 && wait_s <= 86400)) {
			fs_error_set(e, FS_ERR_INPUT, NULL, 0, "FLEETSIM_DB_WAIT_S",
				     "'%s' is not a number of seconds from 0 to 86400", env);
			return fs_cli_report(e);
		}
	}
	if (fs_store_open_wait(db, mode, wait_s, store, e))
		return fs_cli_report(e);
	return 0;
}

/* The --max-jobs limit: the value given, or the default. */
static double max_job_runs(const struct fs_opt_val *v)
{
	return v->set ? (double)v->i : FS_WORKLOAD_MAX_JOB_RUNS_DEFAULT;
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

/* Rewrites e (from fs_run_job_time) as about job j on fleet f, as `run`
 * words it; returns true. */
static bool job_error(const struct fs_scenario *sc, const struct fs_job_spec *j,
		      const struct fs_fleet_opt *f, struct fs_error *e)
{
	char msg[sizeof(e->msg)];

	snprintf(msg, sizeof(msg), "%s", e->msg);
	fs_error_set(e, e->code, sc->file, j->line, NULL, "job '%s' on fleet '%s' (%d of %d %s GPUs): %s",
		     j->name, f->name, j->gpus, f->n_gpus, f->gpu->name, msg);
	return true;
}

/* Pools, procurement, pool choice and cost of one fleet option. */
static void print_fleet_detail(const struct fs_fleet_opt *f)
{
	const struct fs_cost_spec *c = &f->cost;

	printf("\n  fleet %s: pool choice %s\n", f->name, f->pool_choice->name);
	for (int p = 0; p < f->n_pools; p++) {
		const struct fs_pool_spec *ps = &f->pools[p];
		printf("    pool %-16s %6d nodes x %d GPUs at day 0, at most %d nodes\n",
		       ps->gpu->name, ps->nodes, ps->gpus_per_node, ps->max_nodes);
	}
	for (size_t k = 0; k < f->n_procure; k++) {
		const struct fs_procure_spec *pr = &f->procure[k];
		printf("    day %8.1f %s %d %s nodes\n", pr->at_s / FS_SECONDS_PER_DAY,
		       pr->delta_nodes > 0 ? "add   " : "retire",
		       pr->delta_nodes > 0 ? pr->delta_nodes : -pr->delta_nodes,
		       f->pools[pr->pool].gpu->name);
	}
	if (c->mode == FS_COST_CLOUD) {
		printf("    cost: cloud, %s", c->committed ? "committed" : "on-demand");
		if (isnan(c->usd_per_gpu_hour) && c->committed) {
			printf(", the catalog's committed-use prices\n");
		} else if (isnan(c->usd_per_gpu_hour)) {
			printf(", catalog prices:");
			for (int p = 0; p < f->n_pools; p++)
				printf(" %s $%.2f/GPU-h", f->pools[p].gpu->name,
				       f->pools[p].gpu->cloud_usd_per_gpu_hour);
			printf("\n");
		} else {
			printf(", $%.2f/GPU-h\n", c->usd_per_gpu_hour);
		}
		return;
	}
	printf("    cost: owned, depreciation %g years, PUE %g, $%g/kWh, hosting $%g/kW-month, "
	       "idle power ", c->depreciation_years, c->pue, c->usd_per_kwh,
	       c->hosting_usd_per_kw_month);
	if (isnan(c->idle_power_frac))
		printf("from the catalog\n");
	else
		printf("%g of busy\n", c->idle_power_frac);
	for (int p = 0; p < f->n_pools; p++)
		printf("      %s: $%.0f per GPU slot, %.3g kW per GPU slot\n", f->pools[p].gpu->name,
		       f->pools[p].gpu->capex_usd_per_gpu, f->pools[p].gpu->server_kw_per_gpu);
}

static void print_services(const struct fs_scenario *sc)
{
	if (sc->serving.n_services == 0)
		return;
	printf("\nservices (every %g h)\n", sc->serving.interval_s / 3600.0);
	for (size_t i = 0; i < sc->serving.n_services; i++) {
		const struct fs_service_spec *v = &sc->serving.services[i];
		const struct fs_demand_spec *d = &v->demand;
		char b1[512], b2[512], tp[16];

		if (v->tp)
			snprintf(tp, sizeof(tp), "%d", v->tp);
		else
			snprintf(tp, sizeof(tp), "auto");
		printf("  %s: %s %s, tp %s, %s, on %s\n", v->name, v->model->name,
		       fs_precision_name(v->precision), tp, fs_serve_engine_name(v->engine),
		       v->gpu ? v->gpu->name : "the fleet's pool choice");
		printf("    objectives: p99 TTFT %g s, p99 TPOT %g s\n", v->ttft_p99_s, v->tpot_p99_s);
		printf("    input tokens:  %s\n    output tokens: %s\n",
		       dist_text(&v->input_tokens, b1, sizeof(b1)),
		       dist_text(&v->output_tokens, b2, sizeof(b2)));
		printf("    demand: %g req/s (week mean) at day 0, %g req/s at the horizon "
		       "(peak hour %g); growth %g%%/month, %d step%s\n",
		       fs_demand_mean_rps(d, 0, 7 * FS_SECONDS_PER_DAY),
		       fs_demand_mean_rps(d, fmax(0.0, sc->horizon_s - 7 * FS_SECONDS_PER_DAY),
					  sc->horizon_s),
		       fs_demand_peak_rps(d, 0, sc->horizon_s), 100.0 * d->growth_per_month_frac,
		       d->n_steps, d->n_steps == 1 ? "" : "s");
		printf("    %s, priority %d%s\n",
		       v->reserved_gpus ? "reserved GPUs" : "shared pool", v->priority,
		       v->preempt_training ? ", preempts lower-priority training" : "");
		if (v->reserved_gpus)
			printf("    reserved: %d GPUs\n", v->reserved_gpus);
	}
}

/* Prints the scenario's warnings to stderr as file:line: key: warning: ...; 0 or 1 (memory). */
static int print_warnings(const struct fs_scenario *sc)
{
	struct fs_warnings w;
	enum fs_status st = fs_scenario_lint(sc, &w);

	for (size_t i = 0; i < w.n; i++)
		fprintf(stderr, "fleetsim: %s:%d: %s: warning: %s\n", w.file, w.items[i].line,
			w.items[i].key, w.items[i].msg);
	if (w.n)
		printf("\n%zu warning%s (on stderr)\n", w.n, w.n == 1 ? "" : "s");
	fs_warnings_fini(&w);
	if (st) {
		fprintf(stderr, "fleetsim: out of memory\n");
		return 1;
	}
	return 0;
}

static const char check_help[] =
	"usage: fleetsim check SCENARIO [--max-jobs N]\n"
	"\n"
	"Validates a scenario file and prints what was understood: fleets, GPUs,\n"
	"jobs and streams, with each explicit job's run time on every fleet option,\n"
	"and the work expected (jobs x fleet options), checked against --max-jobs.\n"
	"Errors name the file, line and key. Exit codes: 0 valid, 2 invalid.\n";

int fs_cli_check(int argc, char **argv)
{
	struct fs_opt_val vals[N_CHECK_OPTS];
	const char *file = NULL;
	struct fs_scenario sc;
	struct fs_error e;
	int rc;

	if (fs_cli_wants_help(argc, argv)) {
		fs_cli_help(check_help, check_opts, N_CHECK_OPTS);
		return 0;
	}
	if ((rc = parse("check", check_opts, N_CHECK_OPTS, argc, argv, vals, "scenario file", &file)))
		return rc;
	if (fs_scenario_load(file, &sc, &e))
		return fs_cli_report(&e);
	if (fs_workload_check_size(&sc, max_job_runs(&vals[C_MAX_JOBS]), "--max-jobs", &e)) {
		fs_scenario_fini(&sc);
		return fs_cli_report(&e);
	}
	printf("scenario   %s (%s)\n", sc.name, sc.file);
	printf("seed       %" PRIu64 "\n", sc.seed);
	printf("horizon    %g days; series every %g h\n", sc.horizon_s / FS_SECONDS_PER_DAY,
	       sc.series_interval_s / 3600.0);
	printf("work       about %.0f jobs x %zu fleet options (limit %.0f, --max-jobs)\n",
	       fs_workload_expected_jobs(&sc), sc.n_fleets, max_job_runs(&vals[C_MAX_JOBS]));
	printf("\nfleet options\n");
	printf("  %-16s %-16s %6s %5s %7s %10s %12s\n", "name", "gpu", "nodes", "x", "gpus",
	       "bf16_tflops", "usd/gpu-h");
	for (size_t i = 0; i < sc.n_fleets; i++) {
		const struct fs_fleet_opt *f = &sc.fleets[i];
		printf("  %-16s %-16s %6d %5d %7d %10.1f %12.2f\n", f->name, f->gpu->name, f->nodes,
		       f->gpus_per_node, f->n_gpus, f->gpu->bf16_tflops, f->gpu->cloud_usd_per_gpu_hour);
	}
	for (size_t i = 0; i < sc.n_fleets; i++)
		print_fleet_detail(&sc.fleets[i]);
	print_services(&sc);
	if (sc.history) {
		const struct fs_history *h = sc.history;
		printf("\nhistory    %s (%s, sha256 %.16s...)\n", h->file,
		       h->format == FS_HISTORY_SLURM ? "slurm" : "csv", h->sha256);
		printf("           %zu rows: %zu jobs (%zu cancelled before start, not submitted), "
		       "%zu bad rows skipped, %zu steps folded, %zu CPU-only jobs left out; "
		       "%zu teams; span %.4g days; scale %g\n", h->n_rows, h->n_jobs,
		       h->n_cancelled, h->n_skipped, h->n_steps, h->n_cpu_only, h->n_teams,
		       h->span_s / FS_SECONDS_PER_DAY, sc.history_scale);
	}
	if (sc.n_jobs) {
		struct fs_train_memo *memo = NULL;
		bool bad = false;
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
			for (size_t f = 0; f < sc.n_fleets && !bad; f++) {
				const struct fs_fleet_opt *fo = &sc.fleets[f];
				double best = INFINITY;
				/* the fastest pool that could run it: its asked type, big enough */
				for (int p = 0; p < fo->n_pools && !bad; p++) {
					const struct fs_pool_spec *ps = &fo->pools[p];
					double work_s, wall_s;
					enum fs_status st;
					if ((j->gpu && ps->gpu != j->gpu) ||
					    j->gpus > ps->max_nodes * ps->gpus_per_node)
						continue;
					st = fs_run_job_time(&sc, ps->gpu, memo, j->model, j->gpus, &j->opts,
							     j->tokens, &work_s, &wall_s, &e);
					if (st == FS_OK)
						best = fmin(best, wall_s);
					else if (st != FS_ERR_INFEASIBLE)
						bad = job_error(&sc, j, fo, &e);
				}
				if (!bad && isfinite(best))
					printf(" %12.2f", best / FS_SECONDS_PER_DAY);
				else if (!bad)
					printf(" %12s", "-");
			}
			printf("\n");
		}
		fs_train_memo_destroy(memo);
		if (bad) {
			fs_scenario_fini(&sc);
			return fs_cli_report(&e);
		}
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
	rc = print_warnings(&sc);
	if (rc == 0)
		printf("\nok\n");
	fs_scenario_fini(&sc);
	return rc;
}

static const char run_help[] =
	"usage: fleetsim run SCENARIO [--db PATH] [--seed N] [--format table|csv|json]\n"
	"                    [--max-jobs N]\n"
	"\n"
	"Simulates every fleet option of the scenario with the same workload, stores\n"
	"each run (jobs, utilization series, summary) in the results database in one\n"
	"transaction (created when missing), and prints one summary row per fleet.\n"
	"CSV and JSON columns carry the names and units of the database's runs table\n"
	"(seconds); the table shows hours and days.\n"
	"\n"
	"The database is checked before simulating: a path that is empty, a directory,\n"
	"read-only, not SQLite, damaged or another application's database is refused\n"
	"(exit 2, file untouched). Runs started together take turns writing; each waits\n"
	"for another process's lock at most FLEETSIM_DB_WAIT_S seconds (default 300),\n"
	"then fails with exit 1 and the message that the database is busy.\n"
	"\n"
	"Exit codes: 0 ok, 1 simulation or database failure, 2 bad input.\n";

/* One summary row per fleet: the names and units of the runs table (store.c). */
static const struct fs_emit_col run_cols[] = {
	{ .name = "run_id", .type = FS_EMIT_INT, .width = 6, .header = "run" },
	{ .name = "fleet", .type = FS_EMIT_STR, .width = -16 },
	{ .name = "gpu", .type = FS_EMIT_STR, .width = -16 },
	{ .name = "gpus", .type = FS_EMIT_INT, .width = 6 },
	{ .name = "n_jobs", .type = FS_EMIT_INT, .width = 6, .header = "jobs" },
	{ .name = "n_done_in_horizon", .type = FS_EMIT_INT, .width = 8, .header = "in_horiz" },
	{ .name = "n_infeasible", .type = FS_EMIT_INT, .width = 6, .header = "infeas" },
	{ .name = "mean_wait_s", .type = FS_EMIT_NUM, .width = 9, .header = "wait_h",
	  .tscale = 1.0 / 3600.0, .tfmt = "%.1f" },
	{ .name = "p90_wait_s", .type = FS_EMIT_NUM, .width = 9, .header = "wait_p90h",
	  .tscale = 1.0 / 3600.0, .tfmt = "%.1f" },
	{ .name = "mean_tts_s", .type = FS_EMIT_NUM, .width = 9, .header = "tts_d",
	  .tscale = 1.0 / FS_SECONDS_PER_DAY, .tfmt = "%.2f" },
	{ .name = "p90_tts_s", .type = FS_EMIT_NUM, .width = 9, .header = "tts_p90_d",
	  .tscale = 1.0 / FS_SECONDS_PER_DAY, .tfmt = "%.2f" },
	{ .name = "mean_util_frac", .type = FS_EMIT_NUM, .fmt = "%.6f", .width = 6, .header = "util%",
	  .tscale = 100.0, .tfmt = "%.1f" },
	{ .name = "gpu_hours", .type = FS_EMIT_NUM, .width = 12, .tfmt = "%.0f" },
	{ .name = "fleet_cost_usd", .type = FS_EMIT_NUM, .fmt = "%.2f", .width = 14,
	  .header = "fleet_usd", .tfmt = "%.0f" },
	{ .name = "n_preemptions", .type = FS_EMIT_INT, .width = 7, .header = "preempt" },
	{ .name = "serve_attainment_frac", .type = FS_EMIT_NUM, .fmt = "%.6f", .width = 7,
	  .header = "attain%", .tscale = 100.0, .tfmt = "%.2f" },
	{ .name = "usd_per_training_job", .type = FS_EMIT_NUM, .fmt = "%.2f", .width = 10,
	  .header = "usd/job", .tfmt = "%.0f" },
	{ .name = "usd_per_mtok_served", .type = FS_EMIT_NUM, .fmt = "%.4f", .width = 9,
	  .header = "usd/Mtok", .tfmt = "%.3f" },
};
#define N_RUN_COLS ((int)(sizeof(run_cols) / sizeof(run_cols[0])))

static void emit_summary(struct fs_emitter *em, const struct fs_fleet_opt *fl,
			 const struct fs_run_summary *m, int64_t id)
{
	char gpus[FS_MAX_POOLS * (FS_NAME_MAX + 1)];

	/* the GPU type, or the pools' types joined by '+' (as the runs table has it) */
	fs_strlcpy(gpus, fl->n_pools > 0 ? fl->pools[0].gpu->name : fl->gpu->name, sizeof(gpus));
	for (int p = 1; p < fl->n_pools; p++) {
		size_t len = strlen(gpus);
		snprintf(gpus + len, sizeof(gpus) - len, "+%s", fl->pools[p].gpu->name);
	}
	{
		struct fs_emit_val v[N_RUN_COLS] = {
			fs_emit_int(id), fs_emit_str(fl->name), fs_emit_str(gpus),
			fs_emit_int(fl->n_gpus), fs_emit_int((long long)m->n_jobs),
			fs_emit_int((long long)m->n_done_in_horizon),
			fs_emit_int((long long)m->n_infeasible), fs_emit_num(m->mean_wait_s),
			fs_emit_num(m->p90_wait_s), fs_emit_num(m->mean_tts_s), fs_emit_num(m->p90_tts_s),
			fs_emit_num(m->mean_util_frac), fs_emit_num(m->gpu_hours),
			fs_emit_num(m->fleet_cost_usd), fs_emit_int((long long)m->n_preemptions),
			fs_emit_num(m->serve_attainment_frac), fs_emit_num(m->usd_per_training_job),
			fs_emit_num(m->usd_per_mtok_served),
		};
		fs_emit_row(em, v);
	}
}

/* "512 x A100-SXM4-80GB + 32 x H100-SXM5-80GB at day 0, procurement later" */
static const char *fleet_desc(const struct fs_fleet_opt *fl, char *buf, size_t n)
{
	size_t len;

	buf[0] = '\0';
	for (int p = 0; p < fl->n_pools; p++) {
		len = strlen(buf);
		snprintf(buf + len, n - len, "%s%d x %s", p ? " + " : "",
			 fl->pools[p].nodes * fl->pools[p].gpus_per_node, fl->pools[p].gpu->name);
	}
	len = strlen(buf);
	if (fl->n_procure)
		snprintf(buf + len, n - len, " at day 0, procurement later");
	return buf;
}

/* Warns on stderr about the jobs of one fleet that do not fit on their GPUs. */
static void warn_infeasible(const struct fs_scenario *sc, const struct fs_fleet_opt *fl,
			    const struct fs_run_result *r)
{
	const struct fs_job_result *j = r->jobs;
	char jname[96];

	if (!r->sum.n_infeasible)
		return;
	while (j->status != FS_JOB_INFEASIBLE)
		j++;
	fprintf(stderr, "fleetsim: warning: on fleet '%s', %zu jobs do not fit in memory on "
		"their GPUs and were not run (first: '%s', %s on %d GPUs)\n",
		fl->name, r->sum.n_infeasible,
		fs_workload_job_name(sc, j->source, j->seq, jname, sizeof(jname)),
		j->model ? j->model->name : "a measured job",
		j->gpus);
}

/*
 * Simulates every fleet option of sc with one master seed into res[0..n_fleets);
 * *done counts the results to release. The only place the command line calls
 * the fleet simulation.
 */
static enum fs_status simulate_fleets(const struct fs_scenario *sc, uint64_t seed,
				      struct fs_workload *wl, struct fs_run_result *res, size_t *done,
				      bool progress, struct fs_error *e)
{
	struct fs_service_memo *memo = NULL;
	enum fs_status st = FS_OK;

	/* generated once and shared: every fleet option sees the same jobs */
	if (fs_workload_generate(sc, seed, wl, e))
		return e->code;
	/* and the services' plans: one per (service, GPU type) */
	if (sc->serving.n_services > 0 && fs_service_memo_create(&memo))
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	for (size_t f = 0; f < sc->n_fleets && !st; f++) {
		char desc[FS_MAX_POOLS * (FS_NAME_MAX + 16) + 32];
		if (progress) {
			fprintf(stderr, "fleetsim: [%zu/%zu] fleet '%s' (%s)...", f + 1, sc->n_fleets,
				sc->fleets[f].name, fleet_desc(&sc->fleets[f], desc, sizeof(desc)));
			fflush(stderr);
		}
		if (fs_run_fleet_workload_memo(sc, wl, f, seed, memo, &res[f], e)) {
			if (progress)
				fprintf(stderr, " failed\n");
			st = e->code;
			break;
		}
		*done = f + 1;
		if (progress)
			fprintf(stderr, " %zu jobs, %" PRIu64 " events, %.3f s\n", res[f].n_jobs,
				res[f].sum.events, res[f].wall_s);
		warn_infeasible(sc, &sc->fleets[f], &res[f]);
		if (res[f].svc_warning[0])
			fprintf(stderr, "fleetsim: warning: %s\n", res[f].svc_warning);
	}
	fs_service_memo_destroy(memo);
	return st;
}

int fs_cli_run_scenario(struct fs_scenario *sc, const struct fs_cli_run_args *a, int argc,
			char **argv)
{
	struct fs_error e;
	struct fs_store *store = NULL;
	struct fs_run_result *res = NULL;
	struct fs_emitter em;
	struct fs_workload wl = { 0 };
	struct fs_invocation inv;
	int64_t *ids = NULL;
	size_t done = 0;
	int rc;
	uint64_t seed = a->seed_set ? a->seed : sc->seed;
	bool table = strcmp(a->format->name, "table") == 0;

	fs_error_clear(&e);
	/* the work estimate before the database or any simulation: absurd input fails fast */
	if (fs_workload_check_size(sc, a->max_job_runs, "--max-jobs", &e)) {
		fs_scenario_fini(sc);
		return fs_cli_report(&e);
	}
	ensure_default_dir(a->db);
	/* Open (and check) the database before simulating, so a bad path fails fast. */
	if ((rc = open_db(a->db, FS_STORE_WRITE, &store, &e)))
		goto out;
	res = calloc(sc->n_fleets, sizeof(*res));
	ids = calloc(sc->n_fleets, sizeof(*ids));
	if (!res || !ids) {
		fs_error_set(&e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		goto fail;
	}
	if (sc->history && (sc->history->n_skipped || sc->history->n_cpu_only ||
			    sc->history->n_cancelled))
		fprintf(stderr, "fleetsim: history %s: %zu rows, %zu jobs; %zu bad rows skipped, "
			"%zu CPU-only jobs and %zu cancelled-before-start jobs not submitted\n",
			sc->history->file, sc->history->n_rows, sc->history->n_jobs,
			sc->history->n_skipped, sc->history->n_cpu_only, sc->history->n_cancelled);
	if (simulate_fleets(sc, seed, &wl, res, &done, a->progress, &e))
		goto fail;
	fs_invocation_init(&inv, "fleetsim", argc, argv, FLEETSIM_VERSION);
	if (fs_store_write_runs(store, sc, res, sc->n_fleets, &inv, ids, &e))
		goto fail;
	if (table)
		printf("scenario '%s', seed %" PRIu64 ", horizon %g days -> %s\n\n", sc->name, seed,
		       sc->horizon_s / FS_SECONDS_PER_DAY, a->db);
	fs_emit_begin(&em, stdout, a->format, run_cols, N_RUN_COLS, false);
	for (size_t f = 0; f < sc->n_fleets; f++)
		emit_summary(&em, &sc->fleets[f], &res[f].sum, ids[f]);
	fs_emit_end(&em);
	if (table)
		printf("\nwait and tts over the jobs that ran (the run continues past the horizon until\n"
		       "every submitted job ends); infeas = jobs whose model does not fit on their GPUs;\n"
		       "util%% = busy GPU-time (training + serving) / installed GPU-time in the horizon;\n"
		       "fleet_usd = the fleet's cost within the horizon (cost model, docs/MODELS.md);\n"
		       "preempt = training jobs stopped by services; attain%% = requests served within\n"
		       "the objectives / demand; usd/job = cost x training's share of used GPU-hours /\n"
		       "jobs finished in the horizon; usd/Mtok = cost x serving's share / million\n"
		       "output tokens served.\n");
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
	fs_scenario_fini(sc);
	return rc;
}

int fs_cli_run(int argc, char **argv)
{
	struct fs_opt_val vals[N_RUN_OPTS];
	const char *file = NULL;
	struct fs_scenario sc;
	struct fs_error e;
	struct fs_cli_run_args a;
	int rc;

	fs_error_clear(&e);
	if (fs_cli_wants_help(argc, argv)) {
		fs_cli_help(run_help, run_opts, N_RUN_OPTS);
		return 0;
	}
	if ((rc = parse("run", run_opts, N_RUN_OPTS, argc, argv, vals, "scenario file", &file)))
		return rc;
	if (fs_scenario_load(file, &sc, &e))
		return fs_cli_report(&e);
	a = (struct fs_cli_run_args){
		.db = db_path(&vals[R_DB]), .seed_set = vals[R_SEED].set,
		.seed = (uint64_t)vals[R_SEED].i, .format = fs_cli_format(&vals[R_FORMAT]),
		.max_job_runs = max_job_runs(&vals[R_MAX_JOBS]),
		/* progress on a terminal, or on request; scripts and --quiet see none */
		.progress = !vals[R_QUIET].set && (vals[R_PROGRESS].set || isatty(STDERR_FILENO)),
	};
	return fs_cli_run_scenario(&sc, &a, argc, argv);
}

static const char runs_help[] =
	"usage: fleetsim runs [--db PATH] [--format table|csv|json]\n"
	"\n"
	"Lists the runs stored in the results database (default " DEFAULT_DB ").\n";

static const struct fs_emit_col runs_cols[] = {
	{ .name = "run_id", .type = FS_EMIT_INT, .width = 6, .header = "run" },
	{ .name = "scenario", .type = FS_EMIT_STR, .width = -20 },
	{ .name = "fleet", .type = FS_EMIT_STR, .width = -16 },
	{ .name = "gpu", .type = FS_EMIT_STR, .width = -16 },
	{ .name = "gpus", .type = FS_EMIT_INT, .width = 6 },
	{ .name = "seed", .type = FS_EMIT_INT, .width = 12 },
	{ .name = "status", .type = FS_EMIT_STR, .width = -6 },
	{ .name = "started_at", .type = FS_EMIT_STR, .width = -20 },
	{ .name = "n_jobs", .type = FS_EMIT_INT, .width = 6, .header = "jobs" },
	{ .name = "mean_util_frac", .type = FS_EMIT_NUM, .fmt = "%.6f", .width = 6, .header = "util%",
	  .tscale = 100.0, .tfmt = "%.1f" },
	{ .name = "fleet_cost_usd", .type = FS_EMIT_NUM, .fmt = "%.2f", .width = 14,
	  .header = "fleet_usd", .tfmt = "%.0f" },
};
#define N_RUNS_COLS ((int)(sizeof(runs_cols) / sizeof(runs_cols[0])))

static int list_row(void *ctx, const struct fs_run_row *r)
{
	struct fs_emit_val v[N_RUNS_COLS] = {
		fs_emit_int(r->id), fs_emit_str(r->scenario), fs_emit_str(r->fleet), fs_emit_str(r->gpu),
		fs_emit_int(r->gpus), fs_emit_int(r->seed), fs_emit_str(r->status),
		fs_emit_str(r->started_at), fs_emit_int((long long)r->sum.n_jobs),
		fs_emit_num(r->sum.mean_util_frac), fs_emit_num(r->sum.fleet_cost_usd),
	};

	fs_emit_row(ctx, v);
	return 0;
}

int fs_cli_runs(int argc, char **argv)
{
	struct fs_opt_val vals[N_RUNS_OPTS];
	struct fs_error e;
	struct fs_store *store;
	struct fs_emitter em;
	int rc;

	if (fs_cli_wants_help(argc, argv)) {
		fs_cli_help(runs_help, runs_opts, N_RUNS_OPTS);
		return 0;
	}
	if ((rc = parse("runs", runs_opts, N_RUNS_OPTS, argc, argv, vals, NULL, NULL)))
		return rc;
	if ((rc = open_db(db_path(&vals[L_DB]), FS_STORE_READ, &store, &e)))
		return rc;
	fs_emit_begin(&em, stdout, fs_cli_format(&vals[L_FORMAT]), runs_cols, N_RUNS_COLS, false);
	rc = fs_store_list_runs(store, list_row, &em, &e) ? fs_cli_report(&e) : 0;
	fs_emit_end(&em);
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
	char b1[32], b2[32], b3[32];

	(void)ctx;
	printf("  %-20s %8" PRId64 " %10" PRId64 " %10s %10s %14s %9" PRId64 "\n", k->kind,
	       k->n_jobs, k->n_infeasible, fs_emit_table_num("%.1f", k->mean_wait_s / 3600.0, b1, sizeof(b1)),
	       fs_emit_table_num("%.2f", k->mean_tts_s / FS_SECONDS_PER_DAY, b2, sizeof(b2)),
	       fs_emit_table_num("%.0f", k->gpu_hours, b3, sizeof(b3)), k->restarts);
	return 0;
}

/* One summary line of show: label, the value in fmt ("-" when missing), unit. */
static void show_line(const char *label, const char *fmt, double v, const char *unit)
{
	char buf[64];

	if (!isfinite(v))
		unit = ""; /* "-" alone: there is no value to have a unit */
	printf("  %-28s %14s%s%s\n", label, fs_emit_table_num(fmt, v, buf, sizeof(buf)),
	       unit[0] ? " " : "", unit);
}

static int util_row(void *ctx, const struct fs_util_row *u)
{
	(void)ctx;
	printf("  %5d %12.1f %7.1f %10.1f\n", u->month + 1, u->gpus_busy, 100.0 * u->util_frac,
	       u->jobs_queued);
	return 0;
}

/* The services block of show: attainment by month (heading before the first row). */
static int svc_month_row(void *ctx, const struct fs_service_month_row *m)
{
	bool *any = ctx;
	char b1[32];

	if (!*any) {
		printf("\n  %-20s %5s %10s %8s %8s %9s %14s\n", "service", "month", "demand_rps",
		       "wanted", "granted", "attain%", "output_tokens");
		*any = true;
	}
	printf("  %-20s %5d %10.2f %8.1f %8.1f %9s %14.4g\n", m->service, m->month + 1, m->demand_rps,
	       m->replicas_wanted, m->replicas_granted,
	       fs_emit_table_num("%.2f", 100.0 * m->attainment_frac, b1, sizeof(b1)),
	       m->output_tokens);
	return 0;
}

int fs_cli_show(int argc, char **argv)
{
	struct fs_opt_val vals[N_SHOW_OPTS];
	const char *run_id = NULL;
	struct fs_error e;
	struct fs_store *store;
	struct fs_run_row r;
	uint64_t id;
	int rc;

	if (fs_cli_wants_help(argc, argv)) {
		fs_cli_help(show_help, show_opts, N_SHOW_OPTS);
		return 0;
	}
	if ((rc = parse("show", show_opts, N_SHOW_OPTS, argc, argv, vals, "run id", &run_id)))
		return rc;
	if (parse_u64(run_id, INT64_MAX, &id))
		return fs_cli_usage_error("show", "run id '%s' is not a positive integer", run_id);
	if ((rc = open_db(db_path(&vals[S_DB]), FS_STORE_READ, &store, &e)))
		return rc;
	if (fs_store_get_run(store, (int64_t)id, &r, &e)) {
		fs_store_close(store);
		return fs_cli_report(&e);
	}
	printf("run %" PRId64 ": scenario '%s', fleet '%s' (%d x %s), seed %" PRIu64 "\n", r.id,
	       r.scenario, r.fleet, r.gpus, r.gpu, (uint64_t)r.seed);
	printf("  status %s, started %s, %.3f s wall, %" PRIu64 " events, fleetsim %s\n\n", r.status,
	       r.started_at, r.wall_s, r.sum.events, r.version);
	printf("  %-28s %14.0f days\n", "horizon", r.horizon_s / FS_SECONDS_PER_DAY);
	printf("  %-28s %14zu\n", "jobs", r.sum.n_jobs);
	printf("  %-28s %14zu\n", "finished within horizon", r.sum.n_done_in_horizon);
	printf("  %-28s %14zu\n", "infeasible (do not fit)", r.sum.n_infeasible);
	printf("  %-28s %14" PRIu64 "\n", "failures (job restarts)", r.sum.n_failures);
	show_line("wait, mean", "%.1f", r.sum.mean_wait_s / 3600.0, "h");
	show_line("wait, p90", "%.1f", r.sum.p90_wait_s / 3600.0, "h");
	show_line("time to solution, mean", "%.2f", r.sum.mean_tts_s / FS_SECONDS_PER_DAY, "days");
	show_line("time to solution, p90", "%.2f", r.sum.p90_tts_s / FS_SECONDS_PER_DAY, "days");
	printf("  %-28s %14.1f %%\n", "utilization within horizon", 100.0 * r.sum.mean_util_frac);
	printf("  %-28s %14.2f days\n", "last job ends", r.sum.makespan_s / FS_SECONDS_PER_DAY);
	printf("  %-28s %14.0f\n", "GPU-hours of jobs", r.sum.gpu_hours);
	printf("  %-28s %14.0f USD\n", "fleet cost over horizon", r.sum.fleet_cost_usd);
	show_line("  rent", "%.0f", r.sum.cost.rent_usd, "USD");
	show_line("  depreciation", "%.0f", r.sum.cost.depreciation_usd, "USD");
	show_line("  power", "%.0f", r.sum.cost.power_usd, "USD");
	show_line("  hosting", "%.0f", r.sum.cost.hosting_usd, "USD");
	show_line("  of it, idle GPUs", "%.0f", r.sum.idle_cost_usd, "USD");
	show_line("per finished training job", "%.2f", r.sum.usd_per_training_job, "USD");
	show_line("per million tokens served", "%.4f", r.sum.usd_per_mtok_served, "USD");
	printf("  %-28s %14" PRIu64 "\n", "preemptions by services", r.sum.n_preemptions);
	printf("  %-28s %14" PRIu64 "\n", "node failures", r.sum.n_node_failures);
	show_line("GPU-hours lost (redone)", "%.0f", r.sum.gpu_hours_lost, "");
	show_line("services: attainment", "%.4f", r.sum.serve_attainment_frac, "");
	printf("\n  %-20s %8s %10s %10s %10s %14s %9s\n", "workload", "jobs", "infeasible", "wait_h",
	       "tts_d", "gpu_hours", "restarts");
	if (fs_store_job_kinds(store, r.id, kind_row, NULL, &e))
		goto fail;
	printf("\n  %5s %12s %7s %10s\n", "month", "gpus_busy", "util%", "queued");
	if (fs_store_monthly_util(store, r.id, util_row, NULL, &e))
		goto fail;
	{
		bool any = false;

		if (fs_store_service_months(store, r.id, svc_month_row, &any, &e))
			goto fail;
	}
	fs_store_close(store);
	return 0;
fail:
	fs_store_close(store);
	return fs_cli_report(&e);
}
