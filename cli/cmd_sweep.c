/*
 * cmd_sweep.c - `fleetsim sweep` (run a sweep file's items, or a shard of
 * them, into a database; print one item's scenario) and `fleetsim merge`
 * (union shard databases). Parsing and printing only: sweep.h expands and
 * runs items, dispatch.h hands them out, store.h writes them.
 */
#include "cli.h"

#include "fleetsim/dispatch.h"
#include "fleetsim/progress.h"
#include "fleetsim/store.h"
#include "fleetsim/sweep.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_DB "output/fleetsim.db"

static const struct fs_opt sweep_opts[] = {
	{ .name = "db", .type = FS_OPT_STRING, .metavar = "PATH", .def = DEFAULT_DB,
	  .help = "results database (a shard's own file, merged later with 'fleetsim merge')" },
	{ .name = "jobs", .aliases = "j", .type = FS_OPT_INT, .imin = 1, .imax = 1024, .def = "1",
	  .help = "worker processes (under mpirun: the ranks instead)" },
	{ .name = "shard", .type = FS_OPT_STRING, .metavar = "K/N",
	  .def = "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT when set, else 0/1",
	  .help = "run items K, K+N, K+2N, ... only (0 <= K < N)" },
	{ .name = "item", .type = FS_OPT_INT, .imin = 0, .imax = INT64_MAX, .metavar = "I",
	  .help = "with --print-scenario: the item to reproduce" },
	{ .name = "print-scenario", .type = FS_OPT_FLAG,
	  .help = "print item I's scenario on stdout and its 'fleetsim run' line on stderr; run nothing" },
	{ .name = "quiet", .aliases = "q", .type = FS_OPT_FLAG,
	  .help = "no progress line (shown only on a terminal anyway) and no closing line" },
	{ .name = "commit-s", .type = FS_OPT_DOUBLE, .metavar = "S", .dmin = 0, .dmax = 3600,
	  .def = "0: every item in its own transaction",
	  .help = "commit the items done in the last S seconds together (fewer fsyncs for short "
		  "items; a kill loses at most S seconds of results)" },
};
enum { O_DB, O_JOBS, O_SHARD, O_ITEM, O_PRINT, O_QUIET, O_COMMIT, N_SWEEP_OPTS };

static const char sweep_help[] =
	"usage: fleetsim sweep SWEEP.cfg [--db PATH] [--jobs J] [--shard K/N] [--commit-s S] [--quiet]\n"
	"       fleetsim sweep SWEEP.cfg --item I --print-scenario > ITEM.cfg\n"
	"\n"
	"Runs the items of a sweep file (docs/SCALE.md): every point (combination of the\n"
	"varied values) x fleet option x replication, one simulation each, and stores\n"
	"each item's summary as soon as it is done (table sweep_items; view\n"
	"sweep_outcomes). Items already stored for the same sweep are skipped, so a\n"
	"killed sweep resumes where it stopped. --shard K/N (or a Slurm array's\n"
	"SLURM_ARRAY_TASK_ID, _MIN, _STEP and _COUNT) runs every N-th item from K;\n"
	"'fleetsim merge' joins the shards' databases. --print-scenario prints item I's\n"
	"scenario and the 'fleetsim run' command that reproduces its row.\n";

static const struct fs_opt merge_opts[] = {
	{ .name = "quiet", .aliases = "q", .type = FS_OPT_FLAG, .help = "print nothing on success" },
};
enum { M_QUIET, N_MERGE_OPTS };

static const char merge_help[] =
	"usage: fleetsim merge OUT.db PART.db [PART.db ...]\n"
	"\n"
	"Adds the sweep items of each part (a database written by 'fleetsim sweep\n"
	"--shard') to OUT.db, one transaction per part. Every part must hold the same\n"
	"sweep (same SHA-256 of its definition) and this fleetsim's schema; else nothing\n"
	"is merged and the exit code is 2. Items are keyed by (sweep, item): merging a\n"
	"part twice adds nothing.\n";

struct sweep_ctx {
	const struct fs_sweep *sw;
	struct fs_sweep_cache cache;   /* the worker's (in-process: this process's) */
	struct fs_store *store;
	int64_t sweep_id;
	char shard[48];
	struct fs_progress prog;
	double item_wall_s;            /* summed item times, for the closing line */
	/* items taken, not committed yet (--commit-s) */
	double commit_s, last_commit_s;
	size_t n_held, cap_held;
	struct fs_sweep_item *held_items;
	struct fs_sweep_outcome *held_out;
};

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Commits the items held (one transaction); FS_OK when there were none. */
static enum fs_status flush(struct sweep_ctx *x, struct fs_error *e)
{
	enum fs_status st = fs_store_sweep_write_items(x->store, x->sweep_id, x->sw, x->held_items,
						       x->held_out, x->n_held, x->shard, e);
	if (st == FS_OK)
		x->n_held = 0;
	x->last_commit_s = mono_s();
	return st;
}

static enum fs_status work(void *c, size_t item, struct fs_dbuf *out, struct fs_error *e)
{
	struct sweep_ctx *x = c;
	struct fs_sweep_outcome o;
	enum fs_status st;

	if ((st = fs_sweep_run_item(x->sw, &x->cache, item, &o, e)))
		return st;
	if (fs_dbuf_put(out, &o, sizeof(o)))
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	return FS_OK;
}

static enum fs_status take(void *c, size_t item, const void *data, size_t n, struct fs_error *e)
{
	struct sweep_ctx *x = c;
	struct fs_sweep_outcome o;
	struct fs_sweep_item it;

	if (n != sizeof(o))
		return fs_error_set(e, FS_ERR_SIM, NULL, 0, NULL,
				    "item %zu: a result of %zu bytes; expected %zu", item, n, sizeof(o));
	memcpy(&o, data, sizeof(o));
	fs_sweep_item_at(x->sw, item, &it);
	x->item_wall_s += o.wall_s;
	if (x->commit_s <= 0)
		return fs_store_sweep_write_item(x->store, x->sweep_id, x->sw, &it, &o, x->shard, e);
	if (x->n_held == x->cap_held) {
		size_t cap = x->cap_held ? 2 * x->cap_held : 256;
		struct fs_sweep_item *ni = realloc(x->held_items, cap * sizeof(*ni));
		struct fs_sweep_outcome *no;
		if (ni)
			x->held_items = ni;
		no = ni ? realloc(x->held_out, cap * sizeof(*no)) : NULL;
		if (!no)
			return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		x->held_out = no;
		x->cap_held = cap;
	}
	x->held_items[x->n_held] = it;
	x->held_out[x->n_held++] = o;
	return mono_s() - x->last_commit_s >= x->commit_s ? flush(x, e) : FS_OK;
}

static void progress(void *c, size_t done, size_t total)
{
	struct sweep_ctx *x = c;
	(void)total;
	fs_progress_update(&x->prog, (double)done);
}

static void note(void *c, const char *msg)
{
	(void)c;
	fprintf(stderr, "fleetsim sweep: %s\n", msg);
}

static int parse_shard(const char *s, size_t *k, size_t *n)
{
	char *end;
	unsigned long long a, b;

	if (!s[0] || s[0] == '-')
		return -1;
	a = strtoull(s, &end, 10);
	if (*end != '/' || end[1] == '-' || end[1] == '\0')
		return -1;
	b = strtoull(end + 1, &end, 10);
	if (*end || b == 0 || a >= b || b > SIZE_MAX / 2)
		return -1;
	*k = (size_t)a;
	*n = (size_t)b;
	return 0;
}

static int print_item(const struct fs_sweep *sw, long long i)
{
	struct fs_sweep_item it;
	struct fs_error e;
	double vals[FS_SWEEP_MAX_PARAMS];
	char *text;

	fs_error_clear(&e);
	if (i < 0 || (unsigned long long)i >= sw->n_items)
		return fs_cli_usage_error("sweep", "--item %lld is not an item of the sweep (0 to %zu)",
					  i, sw->n_items - 1);
	fs_sweep_item_at(sw, (size_t)i, &it);
	if (fs_sweep_point_text(sw, it.point, &text, &e))
		return fs_cli_report(&e);
	fputs(text, stdout);
	free(text);
	fs_sweep_point_values(sw, it.point, vals);
	fprintf(stderr, "fleetsim sweep: item %lld = point %zu (", i, it.point);
	for (size_t k = 0; k < sw->n_params; k++) {
		char v[40];
		fs_sweep_format_value(vals[k], v, sizeof(v));
		fprintf(stderr, "%s%s = %s", k ? ", " : "", sw->params[k].key, v);
	}
	fprintf(stderr, "), fleet '%s', replication %zu; its row is fleet '%s' of:\n"
		"fleetsim run ITEM.cfg --seed %" PRIu64 "\n", sw->fleet_names[it.fleet],
		it.replication, sw->fleet_names[it.fleet], it.seed);
	return 0;
}

int fs_cli_sweep(int argc, char **argv)
{
	struct fs_opt_val vals[N_SWEEP_OPTS];
	const char *pos[1];
	int n_pos = 0, rc;
	struct fs_error e;
	struct fs_sweep sw;
	struct sweep_ctx x;
	struct fs_dispatch_params dp;
	struct fs_dispatch_stats ds;
	size_t k = 0, n = 1, n_done = 0, n_todo = 0, *order = NULL;
	bool *done = NULL, existed = false, is_writer = true, found;
	const char *db;

	if (fs_cli_wants_help(argc, argv)) {
		fs_cli_help(sweep_help, sweep_opts, N_SWEEP_OPTS);
		return 0;
	}
	if ((rc = fs_cli_parse("sweep", sweep_opts, N_SWEEP_OPTS, argc, argv, vals, pos, 1, &n_pos)))
		return rc;
	if (n_pos != 1)
		return fs_cli_usage_error("sweep", "expected one sweep file");
	if (vals[O_ITEM].set != vals[O_PRINT].set)
		return fs_cli_usage_error("sweep", "--item and --print-scenario go together");
	fs_error_clear(&e);
	if (vals[O_SHARD].set) {
		if (parse_shard(vals[O_SHARD].s, &k, &n))
			return fs_cli_usage_error("sweep", "--shard '%s': expected K/N with 0 <= K < N",
						  vals[O_SHARD].s);
	} else if (fs_sweep_shard_slurm(getenv("SLURM_ARRAY_TASK_ID"), getenv("SLURM_ARRAY_TASK_MIN"),
					getenv("SLURM_ARRAY_TASK_STEP"),
					getenv("SLURM_ARRAY_TASK_COUNT"), &k, &n, &found, &e)) {
		return fs_cli_report(&e);
	}
	if (fs_sweep_load(pos[0], &sw, &e))
		return fs_cli_report(&e);
	if (vals[O_PRINT].set) {
		rc = print_item(&sw, vals[O_ITEM].i);
		fs_sweep_fini(&sw);
		return rc;
	}
	memset(&x, 0, sizeof(x));
	x.sw = &sw;
	snprintf(x.shard, sizeof(x.shard), "%zu/%zu", k, n);
	db = vals[O_DB].set ? vals[O_DB].s : DEFAULT_DB;
	if (fs_dispatch_rank() == 0) {
		if (strcmp(db, DEFAULT_DB) == 0)
			mkdir("output", 0777);
		if (fs_store_open(db, FS_STORE_WRITE, &x.store, &e) ||
		    fs_store_sweep_begin(x.store, &sw, &x.sweep_id, &existed, &e))
			goto fail;
		if (!(done = calloc(sw.n_items, sizeof(*done))) ||
		    !(order = calloc(sw.n_items / n + 1, sizeof(*order)))) {
			fs_error_set(&e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
			goto fail;
		}
		if (existed && fs_store_sweep_done(x.store, x.sweep_id, sw.n_items, done, &n_done, &e))
			goto fail;
		for (size_t i = k; i < sw.n_items; i += n)
			if (!done[i])
				order[n_todo++] = i;
	} else if (!(order = calloc(1, sizeof(*order)))) {
		fs_error_set(&e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		goto fail;
	}
	fs_dispatch_params_init(&dp);
	dp.jobs = vals[O_JOBS].set ? (int)vals[O_JOBS].i : 1;
	dp.progress = progress;
	dp.note = note;
	dp.cb_ctx = &x;
	x.commit_s = vals[O_COMMIT].set ? vals[O_COMMIT].d : 0;
	x.last_commit_s = mono_s();
	fs_progress_begin(&x.prog, stderr, vals[O_QUIET].set || fs_dispatch_rank() != 0, "sweep",
			  (double)n_todo);
	/* plan the services once here, so that forked workers inherit the plans;
	 * with workers, they plan them in parallel first (not under MPI: rank
	 * 0's plans would not reach the other ranks) */
	if (fs_dispatch_size() == 1 && n_todo > 0) {
		struct fs_dispatch_params wp = dp;

		wp.progress = NULL;
		if (dp.jobs > 1 ? fs_sweep_cache_warm_jobs(&sw, &x.cache, order[0], &wp, &e)
				: fs_sweep_cache_warm(&sw, &x.cache, order[0], &e))
			goto fail;
	}
	rc = fs_dispatch_run(n_todo, order, work, take, &x, &dp, &is_writer, &ds, &e);
	fs_progress_end(&x.prog);
	/* the items done are kept even when a later one failed */
	if (x.n_held) {
		struct fs_error fe;
		if (flush(&x, &fe) && !rc) {
			e = fe;
			rc = fe.code;
		}
	}
	if (rc)
		goto fail;
	if (is_writer && !vals[O_QUIET].set)
		printf("sweep '%s' (%.12s), id %lld in %s: %zu items in all; shard %s: %zu stored "
		       "before, %zu run now in %.2f s (%s, %d worker%s; %.4f s per item)\n",
		       sw.name, sw.sha256, (long long)x.sweep_id, db, sw.n_items, x.shard, n_done,
		       ds.n_done, ds.wall_s, ds.backend, ds.n_workers, ds.n_workers == 1 ? "" : "s",
		       ds.n_done ? x.item_wall_s / (double)ds.n_done : 0.0);
	rc = 0;
	goto out;
fail:
	rc = fs_cli_report(&e);
out:
	free(x.held_items);
	free(x.held_out);
	fs_sweep_cache_fini(&x.cache);
	fs_store_close(x.store);
	free(done);
	free(order);
	fs_sweep_fini(&sw);
	return rc;
}

int fs_cli_merge(int argc, char **argv)
{
	struct fs_opt_val vals[N_MERGE_OPTS];
	const char *pos[4096];
	int n_pos = 0, rc;
	struct fs_error e;
	struct fs_store *out = NULL;
	char sha[65] = "", part_sha[65];
	int64_t n_items, added;

	if (fs_cli_wants_help(argc, argv)) {
		fs_cli_help(merge_help, merge_opts, N_MERGE_OPTS);
		return 0;
	}
	if ((rc = fs_cli_parse("merge", merge_opts, N_MERGE_OPTS, argc, argv, vals, pos, 4096,
			       &n_pos)))
		return rc;
	if (n_pos < 2)
		return fs_cli_usage_error("merge", "expected OUT.db and at least one PART.db");
	fs_error_clear(&e);
	/* every part checked before anything is written */
	for (int i = 1; i < n_pos; i++) {
		if (strcmp(pos[i], pos[0]) == 0)
			return fs_cli_usage_error("merge", "'%s' is the output; expected parts other "
						  "than OUT.db", pos[i]);
		if (fs_store_sweep_part(pos[i], part_sha, &n_items, &e))
			return fs_cli_report(&e);
		if (i == 1) {
			memcpy(sha, part_sha, sizeof(sha));
		} else if (strcmp(sha, part_sha) != 0) {
			fs_error_set(&e, FS_ERR_INPUT, pos[i], 0, NULL,
				     "holds sweep %.12s, not sweep %.12s of %s: a part of a different "
				     "sweep (another sweep file, base scenario, seed or fleetsim); "
				     "nothing was merged", part_sha, sha, pos[1]);
			return fs_cli_report(&e);
		}
	}
	/* an output that already holds one sweep takes only parts of that sweep */
	if (access(pos[0], F_OK) == 0 && fs_store_sweep_part(pos[0], part_sha, &n_items, &e) == FS_OK &&
	    strcmp(part_sha, sha) != 0) {
		fs_error_set(&e, FS_ERR_INPUT, pos[1], 0, NULL,
			     "holds sweep %.12s, but %s holds sweep %.12s: a part of a different sweep; "
			     "nothing was merged", sha, pos[0], part_sha);
		return fs_cli_report(&e);
	}
	fs_error_clear(&e);
	if (fs_store_open(pos[0], FS_STORE_WRITE, &out, &e))
		return fs_cli_report(&e);
	for (int i = 1; i < n_pos; i++) {
		if (fs_store_sweep_merge(out, pos[i], sha, &added, &e)) {
			fs_store_close(out);
			return fs_cli_report(&e);
		}
		if (!vals[M_QUIET].set)
			printf("%s: %lld items added to %s (sweep %.12s)\n", pos[i], (long long)added,
			       pos[0], sha);
	}
	fs_store_close(out);
	return 0;
}
