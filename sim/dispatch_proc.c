/*
 * dispatch_proc.c - the local-process backend of the dispatcher
 * (dispatch.h): fork()ed workers, one socket pair each, items handed out
 * one at a time to whichever worker answers (each holds at most PREFETCH
 * items: the one it runs and the next), results as length-prefixed
 * frames, poll() over the workers' sockets.
 *
 * A worker that dies (EOF on its socket; waitpid says how) has its item
 * handed out again and a replacement forked; after FS_DISPATCH_MAX_ATTEMPTS
 * deaths on one item the run fails naming it. The writer writes to its
 * workers with send(MSG_NOSIGNAL), so a dead worker never raises SIGPIPE in
 * the writer; a worker whose writer died gets SIGPIPE and ends with it.
 */
#include "dispatch_internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs the items the writer sends on fd until it closes fd; never returns. */
static void worker_loop(const struct ds_call *c, int fd)
{
	struct fs_dbuf b = { 0 };
	struct ds_cmd cmd;

	while (ds_read_all(fd, &cmd, sizeof(cmd)) == 0) {
		struct ds_reply r = { .item = cmd.item };
		struct fs_error e;
		enum fs_status st;

		/* the test hook: the worker that first takes this item dies */
		if (cmd.item == c->p.fault_item && cmd.attempt == 0)
			raise(SIGKILL);
		b.len = 0;
		fs_error_clear(&e);
		st = c->work(c->ctx, (size_t)cmd.item, &b, &e);
		r.status = (int32_t)st;
		r.len = st ? 0 : b.len;
		if (ds_write_all(fd, &r, sizeof(r)) ||
		    (st ? ds_write_all(fd, &e, sizeof(e)) : ds_write_all(fd, b.data, b.len)))
			_exit(3);
	}
	_exit(0);
}

int ds_fork_worker(const struct ds_call *c, const int *close_fds, int n_close, int *fd, pid_t *pid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	fflush(NULL);   /* nothing buffered is written twice */
	if ((*pid = fork()) < 0) {
		int err = errno;
		close(sv[0]);
		close(sv[1]);
		errno = err;
		return -1;
	}
	if (*pid == 0) {
		close(sv[0]);
		/* other workers' sockets: their EOF must not wait for this child */
		for (int i = 0; i < n_close; i++)
			if (close_fds[i] >= 0)
				close(close_fds[i]);
		worker_loop(c, sv[1]);
	}
	close(sv[1]);
	*fd = sv[0];
	return 0;
}

/* Items in flight per worker: the one it runs and one waiting in its socket,
 * so that it starts the next item without waiting for the writer. */
#define PREFETCH 2

struct worker {
	pid_t pid;      /* 0: no process in this slot */
	int fd;
	size_t q[PREFETCH]; /* in flight, in the order sent: q[0] is running */
	int nq;
	unsigned char *buf;
	size_t n, cap;  /* bytes received, buffer size */
};

struct pool {
	struct ds_call *c;
	struct ds_sched s;
	struct worker *w;
	int nw;
	int *fds;       /* scratch: every worker's fd, for a child to close */
	struct pollfd *pfd;
	int *slot;      /* pfd index -> worker */
};

static enum fs_status start_worker(struct pool *p, int k)
{
	struct worker *w = &p->w[k];

	for (int i = 0; i < p->nw; i++)
		p->fds[i] = p->w[i].pid > 0 ? p->w[i].fd : -1;
	if (ds_fork_worker(p->c, p->fds, p->nw, &w->fd, &w->pid))
		return fs_error_set(p->c->e, FS_ERR_SIM, NULL, 0, NULL,
				    "cannot start worker %d: %s", k, strerror(errno));
	w->nq = 0;
	w->n = 0;
	return FS_OK;
}

/* Fills w's queue from the items left. */
static void feed(struct pool *p, struct worker *w)
{
	struct ds_cmd cmd = { 0 };
	size_t item;
	uint32_t attempt;

	while (w->pid > 0 && w->nq < PREFETCH && ds_sched_next(&p->s, &item, &attempt)) {
		cmd.item = item;
		cmd.attempt = attempt;
		w->q[w->nq++] = item;
		/* a short or failed send means the worker is gone: its EOF says so next */
		(void)!send(w->fd, &cmd, sizeof(cmd), MSG_NOSIGNAL);
	}
}

/* Worker k's socket closed: reap it, reissue its item, start a replacement. */
static enum fs_status bury(struct pool *p, int k)
{
	struct worker *w = &p->w[k];
	char who[64], how[64];
	int ws = 0;

	close(w->fd);
	w->fd = -1;
	while (waitpid(w->pid, &ws, 0) < 0 && errno == EINTR)
		;
	snprintf(who, sizeof(who), "worker %d (pid %ld)", k, (long)w->pid);
	ds_wait_words(ws, how, sizeof(how));
	w->pid = 0;
	ds_sched_died(&p->s, w->nq ? w->q[0] : SIZE_MAX, who, how);
	/* the items queued behind it never started: they go back as they were */
	for (int i = 1; i < w->nq; i++)
		ds_sched_put_back(&p->s, w->q[i]);
	w->nq = 0;
	return start_worker(p, k);
}

/* Takes every complete reply in w's buffer. */
static enum fs_status take_replies(struct pool *p, struct worker *w)
{
	size_t off = 0;

	for (;;) {
		struct ds_reply r;
		size_t need;

		if (w->n - off < sizeof(r))
			break;
		memcpy(&r, w->buf + off, sizeof(r));
		need = sizeof(r) + (r.status ? sizeof(struct fs_error) : (size_t)r.len);
		if (w->nq == 0 || r.item != w->q[0])
			return fs_error_set(p->c->e, FS_ERR_SIM, NULL, 0, NULL,
					    "a worker answered item %llu, which it was not given",
					    (unsigned long long)r.item);
		if (w->n - off < need) {
			if (need > w->cap) {
				unsigned char *nb = realloc(w->buf, need);
				if (!nb)
					return fs_error_set(p->c->e, FS_ERR_NOMEM, NULL, 0, NULL,
							    "out of memory");
				w->buf = nb;
				w->cap = need;
			}
			break;
		}
		if (r.status) {
			struct fs_error e;
			memcpy(&e, w->buf + off + sizeof(r), sizeof(e));
			ds_sched_result(&p->s, w->q[0], (enum fs_status)r.status, &e, NULL, 0);
		} else {
			ds_sched_result(&p->s, w->q[0], FS_OK, NULL, w->buf + off + sizeof(r),
					(size_t)r.len);
		}
		w->q[0] = w->q[1];
		w->nq--;
		off += need;
	}
	if (off) {
		memmove(w->buf, w->buf + off, w->n - off);
		w->n -= off;
	}
	return FS_OK;
}

/* Reads what worker k has sent; buries it on EOF. */
static enum fs_status receive(struct pool *p, int k)
{
	struct worker *w = &p->w[k];
	ssize_t r;

	if (w->cap - w->n < 65536) {
		size_t cap = w->cap ? w->cap * 2 : 1 << 17;
		unsigned char *nb = realloc(w->buf, cap);
		if (!nb)
			return fs_error_set(p->c->e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		w->buf = nb;
		w->cap = cap;
	}
	r = read(w->fd, w->buf + w->n, w->cap - w->n);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return FS_OK;
	if (r <= 0)
		return bury(p, k);
	w->n += (size_t)r;
	return take_replies(p, w);
}

/* True while some worker holds an item that still matters. */
static bool any_wanted(const struct pool *p)
{
	for (int k = 0; k < p->nw; k++)
		for (int i = 0; p->w[k].pid > 0 && i < p->w[k].nq; i++)
			if (ds_sched_wanted(&p->s, p->w[k].q[i]))
				return true;
	return false;
}

static enum fs_status serve(struct pool *p)
{
	enum fs_status st;

	for (int k = 0; k < p->nw; k++)
		if ((st = start_worker(p, k)))
			return st;
	for (;;) {
		int np = 0;

		for (int k = 0; k < p->nw; k++)
			feed(p, &p->w[k]);
		if (!any_wanted(p))
			return FS_OK;     /* nothing left, or only abandoned items in flight */
		for (int k = 0; k < p->nw; k++)
			if (p->w[k].pid > 0 && p->w[k].nq > 0) {
				p->pfd[np].fd = p->w[k].fd;
				p->pfd[np].events = POLLIN;
				p->pfd[np].revents = 0;
				p->slot[np++] = k;
			}
		if (poll(p->pfd, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			return fs_error_set(p->c->e, FS_ERR_SIM, NULL, 0, NULL, "poll: %s",
					    strerror(errno));
		}
		for (int i = 0; i < np; i++)
			if (p->pfd[i].revents && (st = receive(p, p->slot[i])))
				return st;
	}
}

enum fs_status ds_run_processes(struct ds_call *c)
{
	struct pool p = { .c = c };
	enum fs_status st;

	p.nw = (size_t)c->p.jobs < c->n ? c->p.jobs : (int)c->n;
	c->st->n_workers = p.nw;
	if ((st = ds_sched_init(&p.s, c)))
		return st;
	p.w = calloc((size_t)p.nw, sizeof(*p.w));
	p.fds = malloc((size_t)p.nw * sizeof(*p.fds));
	p.pfd = calloc((size_t)p.nw, sizeof(*p.pfd));
	p.slot = malloc((size_t)p.nw * sizeof(*p.slot));
	if (!p.w || !p.fds || !p.pfd || !p.slot)
		st = fs_error_set(c->e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	else
		st = serve(&p);
	for (int k = 0; p.w && k < p.nw; k++) {
		struct worker *w = &p.w[k];
		if (w->pid > 0) {
			/* an idle worker ends at EOF; a busy one runs an abandoned item */
			if (w->nq > 0)
				kill(w->pid, SIGKILL);
			close(w->fd);
			while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		free(w->buf);
	}
	if (!st)
		st = ds_sched_finish(&p.s);
	ds_sched_fini(&p.s);
	free(p.w);
	free(p.fds);
	free(p.pfd);
	free(p.slot);
	return st;
}
