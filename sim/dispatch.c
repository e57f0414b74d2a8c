/*
 * dispatch.c - the work-list dispatcher (dispatch.h).
 *
 * This first version runs every item in process, in order; local worker
 * processes and MPI ranks plug in as further backends behind the same call.
 */
#include "fleetsim/dispatch.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

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

enum fs_status fs_dispatch_run(size_t n, const size_t *order, fs_dispatch_work_fn work,
			       fs_dispatch_take_fn take, void *ctx,
			       const struct fs_dispatch_params *p, bool *is_writer,
			       struct fs_dispatch_stats *st, struct fs_error *e)
{
	double t0 = now_s();
	struct fs_dbuf b = { 0 };
	enum fs_status s = FS_OK;
	if (is_writer)
		*is_writer = true;
	memset(st, 0, sizeof *st);
	st->backend = "in-process";
	st->n_workers = 1;
	for (size_t k = 0; k < n && s == FS_OK; k++) {
		size_t item = order ? order[k] : k;
		b.len = 0;
		s = work(ctx, item, &b, e);
		if (s == FS_OK)
			s = take(ctx, item, b.data, b.len, e);
		if (s == FS_OK) {
			st->n_done++;
			if (p && p->progress)
				p->progress(p->cb_ctx, st->n_done, n);
		}
	}
	fs_dbuf_fini(&b);
	st->wall_s = now_s() - t0;
	return s;
}

void fs_dispatch_init(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
}

void fs_dispatch_finalize(void) {}

int fs_dispatch_rank(void) { return 0; }

int fs_dispatch_size(void) { return 1; }
