/*
 * dispatch.c - the work-list dispatcher (dispatch.h): byte buffers, the
 * backend table, the writer-side bookkeeping every backend shares, and the
 * in-process backend.
 *
 * Backends are rows of `backends[]`, tried in order: the first whose
 * `applies` says yes runs the call. MPI (built with FLEETSIM_MPI, started
 * under mpirun with more than one rank), then local worker processes
 * (jobs > 1, dispatch_proc.c), then in process.
 */
#include "dispatch_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum fs_status fs_dbuf_put(struct fs_dbuf *b, const void *p, size_t n)
{
	if (n > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2)
				return FS_ERR_NOMEM;
			cap *= 2;
		}
		unsigned char *d = realloc(b->data, cap);
		if (!d)
			return FS_ERR_NOMEM;
		b->data = d;
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return FS_OK;
}

void fs_dbuf_fini(struct fs_dbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void fs_dispatch_params_init(struct fs_dispatch_params *p)
{
	memset(p, 0, sizeof *p);
	p->jobs = 1;
	p->fault_item = SIZE_MAX;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- writer-side bookkeeping ---------------------------------------------- */

enum fs_status ds_sched_init(struct ds_sched *s, struct ds_call *c)
{
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->fail_item = SIZE_MAX;
	if (c->n == 0)
		return FS_OK;
	/* attempts are counted per item id: ids are order's values, which may
	 * exceed n (a shard's or a resumed sweep's items) */
	size_t ids = c->n;
	if (c->order)
		for (size_t k = 0; k < c->n; k++)
			if (c->order[k] >= ids)
				ids = c->order[k] + 1;
	s->again = malloc(c->n * sizeof(*s->again));
	s->attempts = calloc(ids, 1);
	if (!s->again || !s->attempts) {
		ds_sched_fini(s);
		return fs_error_set(c->e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	}
	return FS_OK;
}

void ds_sched_fini(struct ds_sched *s)
{
	free(s->again);
	free(s->attempts);
	s->again = NULL;
	s->attempts = NULL;
}

bool ds_sched_wanted(const struct ds_sched *s, size_t item)
{
	return item < s->fail_item;
}

bool ds_sched_next(struct ds_sched *s, size_t *item, uint32_t *attempt)
{
	while (s->n_again > 0) {
		size_t it = s->again[--s->n_again];
		if (ds_sched_wanted(s, it)) {
			*item = it;
			*attempt = s->attempts[it];
			return true;
		}
	}
	while (s->next < s->c->n) {
		size_t it = s->c->order ? s->c->order[s->next] : s->next;
		s->next++;
		if (ds_sched_wanted(s, it)) {
			*item = it;
			*attempt = s->attempts[it];
			return true;
		}
	}
	return false;
}

static void record_failure(struct ds_sched *s, size_t item, enum fs_status st,
			   const struct fs_error *err)
{
	if (item >= s->fail_item)
		return;
	s->fail_item = item;
	s->fail_st = st;
	s->fail_e = *err;
	s->fail_e.code = st;
}

void ds_sched_result(struct ds_sched *s, size_t item, enum fs_status status,
		     const struct fs_error *err, const void *data, size_t len)
{
	struct ds_call *c = s->c;
	struct fs_error e;

	if (status != FS_OK) {
		record_failure(s, item, status, err);
		return;
	}
	if (s->fail_item != SIZE_MAX)
		return;     /* the run has failed: nothing more is written */
	fs_error_clear(&e);
	status = c->take(c->ctx, item, data, len, &e);
	if (status != FS_OK) {
		record_failure(s, item, status, &e);
		return;
	}
	c->st->n_done++;
	if (c->p.progress)
		c->p.progress(c->p.cb_ctx, c->st->n_done, c->n);
}

void ds_sched_died(struct ds_sched *s, size_t item, const char *who, const char *how)
{
	struct ds_call *c = s->c;
	char msg[512];

	c->st->n_dead++;
	if (item == SIZE_MAX) {
		snprintf(msg, sizeof(msg), "%s died (%s) while idle", who, how);
	} else if (!ds_sched_wanted(s, item)) {
		snprintf(msg, sizeof(msg), "%s died (%s) while running item %zu, no longer "
			 "needed", who, how, item);
	} else if (++s->attempts[item] >= FS_DISPATCH_MAX_ATTEMPTS) {
		struct fs_error e;
		fs_error_clear(&e);
		fs_error_set(&e, FS_ERR_SIM, NULL, 0, NULL,
			     "item %zu killed its worker on each of %d attempts (the last: %s "
			     "died, %s); it is not handed out again", item,
			     FS_DISPATCH_MAX_ATTEMPTS, who, how);
		record_failure(s, item, FS_ERR_SIM, &e);
		snprintf(msg, sizeof(msg), "%s died (%s) while running item %zu; %d attempts "
			 "failed, giving up", who, how, item, FS_DISPATCH_MAX_ATTEMPTS);
	} else {
		s->again[s->n_again++] = item;
		c->st->n_reissued++;
		snprintf(msg, sizeof(msg), "%s died (%s) while running item %zu; item reissued",
			 who, how, item);
	}
	if (c->p.note)
		c->p.note(c->p.cb_ctx, msg);
}

void ds_sched_put_back(struct ds_sched *s, size_t item)
{
	if (ds_sched_wanted(s, item))
		s->again[s->n_again++] = item;
}

enum fs_status ds_sched_finish(struct ds_sched *s)
{
	if (s->fail_item == SIZE_MAX)
		return FS_OK;
	*s->c->e = s->fail_e;
	return s->fail_st;
}

void ds_wait_words(int wstatus, char *buf, size_t n)
{
	if (WIFSIGNALED(wstatus))
		snprintf(buf, n, "signal %d", WTERMSIG(wstatus));
	else if (WIFEXITED(wstatus))
		snprintf(buf, n, "exit status %d", WEXITSTATUS(wstatus));
	else
		snprintf(buf, n, "wait status %d", wstatus);
}

int ds_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ds_read_all(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* ---- in process ----------------------------------------------------------- */

/* Work then take, item by item in the order given. The process cannot die
 * for a test, so fault_item is ignored here. */
static enum fs_status run_in_process(struct ds_call *c)
{
	struct ds_sched s;
	struct fs_dbuf b = { 0 };
	struct fs_error e;
	size_t item;
	uint32_t attempt;
	enum fs_status st;

	if ((st = ds_sched_init(&s, c)))
		return st;
	c->st->n_workers = 1;
	while (ds_sched_next(&s, &item, &attempt)) {
		b.len = 0;
		fs_error_clear(&e);
		st = c->work(c->ctx, item, &b, &e);
		ds_sched_result(&s, item, st, &e, b.data, b.len);
	}
	fs_dbuf_fini(&b);
	st = ds_sched_finish(&s);
	ds_sched_fini(&s);
	return st;
}

/* ---- backend table --------------------------------------------------------- */

static bool applies_always(const struct ds_call *c)
{
	(void)c;
	return true;
}

static bool applies_processes(const struct ds_call *c)
{
	return c->p.jobs > 1 && c->n > 1;
}

#ifdef FLEETSIM_MPI
static bool applies_mpi(const struct ds_call *c)
{
	(void)c;
	return ds_mpi_active();
}
#endif

struct ds_backend {
	const char *name;
	bool (*applies)(const struct ds_call *c);
	enum fs_status (*run)(struct ds_call *c);
};

static const struct ds_backend backends[] = {
#ifdef FLEETSIM_MPI
	{ "mpi", applies_mpi, ds_run_mpi },
#endif
	{ "processes", applies_processes, ds_run_processes },
	{ "in-process", applies_always, run_in_process },
};

enum fs_status fs_dispatch_run(size_t n, const size_t *order, fs_dispatch_work_fn work,
			       fs_dispatch_take_fn take, void *ctx,
			       const struct fs_dispatch_params *p, bool *is_writer,
			       struct fs_dispatch_stats *st, struct fs_error *e)
{
	struct ds_call c = { .n = n, .order = order, .work = work, .take = take, .ctx = ctx,
			     .st = st, .e = e, .is_writer = is_writer };
	double t0 = now_s();
	enum fs_status s = FS_OK;

	if (p)
		c.p = *p;
	else
		fs_dispatch_params_init(&c.p);
	if (c.p.jobs < 1)
		c.p.jobs = 1;
	if (is_writer)
		*is_writer = true;
	memset(st, 0, sizeof *st);
	for (size_t k = 0; k < sizeof(backends) / sizeof(backends[0]); k++)
		if (backends[k].applies(&c)) {
			st->backend = backends[k].name;
			s = backends[k].run(&c);
			break;
		}
	st->wall_s = now_s() - t0;
	return s;
}

#ifndef FLEETSIM_MPI
void fs_dispatch_init(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
}

void fs_dispatch_finalize(void) {}

void fs_dispatch_abort(int code)
{
	(void)code;
}

int fs_dispatch_rank(void) { return 0; }

int fs_dispatch_size(void) { return 1; }
#endif
