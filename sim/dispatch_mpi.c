/*
 * dispatch_mpi.c - the MPI backend of the dispatcher (dispatch.h), built
 * only with -DFLEETSIM_MPI=ON.
 *
 * Rank 0 is the writer: it keeps PREFETCH items in flight at each worker
 * rank (1 .. P-1: the one it runs and the next) and takes results in
 * completion order, probing for any source, handing that rank its next
 * item (dynamic dispatch; never a static split). A worker rank runs its items in
 * one forked child process (the same worker loop as the local-process
 * backend) and relays: command from rank 0 to the child, the child's reply
 * to rank 0. An item that crashes kills only the child: the rank tells rank
 * 0 (a DEAD message), forks a new child and takes the next item; rank 0
 * hands the item out again. A rank that dies outright ends the whole job
 * (Open MPI 4.1 has no ULFM; docs/SCALE.md, "MPI"). When the work list is
 * done (or failed and drained), rank 0 sends STOP to every worker rank.
 *
 * Messages (raw structs; every rank runs the same binary):
 *   TAG_WORK  0 -> r  struct ds_cmd
 *   TAG_STOP  0 -> r  no bytes
 *   TAG_RESULT r -> 0 struct ds_reply, then struct fs_error or len result bytes
 *   TAG_DEAD  r -> 0 struct ds_reply: item, wstatus of the child, len = its pid
 * Waiting uses MPI_Iprobe with a short sleep, so a waiting rank does not
 * spin a core that a worker could use.
 */
#include "dispatch_internal.h"

#include <errno.h>
#include <limits.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { TAG_WORK = 1, TAG_STOP, TAG_RESULT, TAG_DEAD };

static bool mpi_up(void)
{
	int init = 0, fin = 0;

	MPI_Initialized(&init);
	MPI_Finalized(&fin);
	return init && !fin;
}

void fs_dispatch_init(int *argc, char ***argv)
{
	int provided;

	/* only when a launcher started us: a plain `fleetsim run` stays MPI-free */
	if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMIX_RANK") && !getenv("PMI_RANK") &&
	    !getenv("PMI_SIZE"))
		return;
	MPI_Init_thread(argc, argv, MPI_THREAD_SINGLE, &provided);
}

void fs_dispatch_finalize(void)
{
	if (mpi_up())
		MPI_Finalize();
}

int fs_dispatch_rank(void)
{
	int r = 0;

	if (mpi_up())
		MPI_Comm_rank(MPI_COMM_WORLD, &r);
	return r;
}

int fs_dispatch_size(void)
{
	int n = 1;

	if (mpi_up())
		MPI_Comm_size(MPI_COMM_WORLD, &n);
	return n;
}

void fs_dispatch_abort(int code)
{
	if (fs_dispatch_size() > 1)
		MPI_Abort(MPI_COMM_WORLD, code);
}

bool ds_mpi_active(void)
{
	return fs_dispatch_size() > 1;
}

/* Waits for a message from src (MPI_ANY_SOURCE allowed) without spinning. */
static void wait_message(int src, MPI_Status *ms)
{
	struct timespec nap = { 0, 20000 };   /* 20 us, doubling to 320 us */
	int flag = 0;

	for (;;) {
		MPI_Iprobe(src, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, ms);
		if (flag)
			return;
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 320000)
			nap.tv_nsec *= 2;
	}
}

/* ---- worker rank ----------------------------------------------------------- */

/* Sends rank 0 a failed reply for item with message msg. */
static void send_failure(uint64_t item, const char *msg)
{
	struct {
		struct ds_reply r;
		struct fs_error e;
	} m;

	memset(&m, 0, sizeof(m));
	m.r.item = item;
	m.r.status = FS_ERR_SIM;
	fs_error_set(&m.e, FS_ERR_SIM, NULL, 0, NULL, "%s", msg);
	MPI_Send(&m, (int)sizeof(m), MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
}

static enum fs_status work_rank(struct ds_call *c, int rank)
{
	unsigned char *buf = NULL;
	size_t cap = 0;
	int fd = -1;
	pid_t pid = 0;
	char msg[160];

	if (ds_fork_worker(c, NULL, 0, &fd, &pid))
		fd = -1;
	for (;;) {
		MPI_Status ms;
		struct ds_cmd cmd;
		struct ds_reply r;
		size_t extra;

		wait_message(0, &ms);
		if (ms.MPI_TAG != TAG_WORK) {
			MPI_Recv(NULL, 0, MPI_BYTE, 0, ms.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			break;
		}
		MPI_Recv(&cmd, (int)sizeof(cmd), MPI_BYTE, 0, TAG_WORK, MPI_COMM_WORLD,
			 MPI_STATUS_IGNORE);
		if (fd < 0 && ds_fork_worker(c, NULL, 0, &fd, &pid)) {
			snprintf(msg, sizeof(msg), "rank %d cannot start a worker process: %s", rank,
				 strerror(errno));
			send_failure(cmd.item, msg);
			continue;
		}
		(void)!send(fd, &cmd, sizeof(cmd), MSG_NOSIGNAL);
		if (ds_read_all(fd, &r, sizeof(r)) == 0) {
			extra = r.status ? sizeof(struct fs_error) : (size_t)r.len;
			if (extra > (size_t)INT_MAX - sizeof(r) || sizeof(r) + extra > cap) {
				unsigned char *nb = extra > (size_t)INT_MAX - sizeof(r) ? NULL
						    : realloc(buf, sizeof(r) + extra);
				if (!nb) {
					snprintf(msg, sizeof(msg), "rank %d cannot hold the result of "
						 "item %llu (%zu bytes; one MPI message holds at most "
						 "2^31 - 1)", rank, (unsigned long long)cmd.item, extra);
					send_failure(cmd.item, msg);
					kill(pid, SIGKILL);     /* it is mid-write: replace it */
					close(fd);
					while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
						;
					if (ds_fork_worker(c, NULL, 0, &fd, &pid))
						fd = -1;
					continue;
				}
				buf = nb;
				cap = sizeof(r) + extra;
			}
			memcpy(buf, &r, sizeof(r));
			if (ds_read_all(fd, buf + sizeof(r), extra) == 0) {
				MPI_Send(buf, (int)(sizeof(r) + extra), MPI_BYTE, 0, TAG_RESULT,
					 MPI_COMM_WORLD);
				continue;
			}
		}
		/* the child died running the item: say so, and start another */
		{
			struct ds_reply d = { .item = cmd.item };
			int ws = 0;
			close(fd);
			fd = -1;
			while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
				;
			d.wstatus = ws;
			d.len = (uint64_t)pid;
			MPI_Send(&d, (int)sizeof(d), MPI_BYTE, 0, TAG_DEAD, MPI_COMM_WORLD);
			if (ds_fork_worker(c, NULL, 0, &fd, &pid))
				fd = -1;
		}
	}
	if (fd >= 0) {
		close(fd);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(buf);
	return FS_OK;
}

/* ---- rank 0 ---------------------------------------------------------------- */

/* Items in flight per worker rank: the one it runs and the next, waiting in
 * its MPI queue, so that a rank never waits for rank 0 between items. */
#define PREFETCH 2

static enum fs_status write_rank(struct ds_call *c, int size)
{
	struct ds_sched s;
	int *nq = calloc((size_t)size, sizeof(*nq));
	size_t *item = calloc((size_t)size * PREFETCH, sizeof(*item));  /* [r][i], in order sent */
	unsigned char *buf = NULL;
	size_t cap = 0;
	int n_busy = 0;
	enum fs_status st;

	if ((st = ds_sched_init(&s, c)) || !nq || !item) {
		free(nq);
		free(item);
		if (!st)
			ds_sched_fini(&s);
		/* release the worker ranks before failing */
		for (int r = 1; r < size; r++)
			MPI_Send(NULL, 0, MPI_BYTE, r, TAG_STOP, MPI_COMM_WORLD);
		return st ? st : fs_error_set(c->e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	}
	for (;;) {
		MPI_Status ms;
		struct ds_reply rep;
		int cnt, r;

		for (r = 1; r < size; r++) {
			struct ds_cmd cmd = { 0 };
			size_t it;
			uint32_t attempt;
			while (nq[r] < PREFETCH && ds_sched_next(&s, &it, &attempt)) {
				cmd.item = it;
				cmd.attempt = attempt;
				MPI_Send(&cmd, (int)sizeof(cmd), MPI_BYTE, r, TAG_WORK, MPI_COMM_WORLD);
				item[(size_t)r * PREFETCH + (size_t)nq[r]++] = it;
				n_busy++;
			}
		}
		if (n_busy == 0)
			break;
		wait_message(MPI_ANY_SOURCE, &ms);
		MPI_Get_count(&ms, MPI_BYTE, &cnt);
		r = ms.MPI_SOURCE;
		if ((size_t)cnt > cap) {
			unsigned char *nb = realloc(buf, (size_t)cnt);
			if (!nb) {
				st = fs_error_set(c->e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
				break;
			}
			buf = nb;
			cap = (size_t)cnt;
		}
		MPI_Recv(buf, cnt, MPI_BYTE, r, ms.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		if (r <= 0 || r >= size || nq[r] == 0 || (size_t)cnt < sizeof(rep) ||
		    (memcpy(&rep, buf, sizeof(rep)), rep.item != item[(size_t)r * PREFETCH])) {
			st = fs_error_set(c->e, FS_ERR_SIM, NULL, 0, NULL,
					  "rank %d sent an unexpected message", r);
			break;
		}
		/* ranks answer in the order they were sent items */
		for (int i = 1; i < nq[r]; i++)
			item[(size_t)r * PREFETCH + (size_t)i - 1] = item[(size_t)r * PREFETCH + (size_t)i];
		nq[r]--;
		n_busy--;
		if (ms.MPI_TAG == TAG_DEAD) {
			char who[64], how[64];
			snprintf(who, sizeof(who), "rank %d's worker (pid %llu)", r,
				 (unsigned long long)rep.len);
			ds_wait_words(rep.wstatus, how, sizeof(how));
			ds_sched_died(&s, (size_t)rep.item, who, how);
		} else if (rep.status) {
			struct fs_error e;
			fs_error_clear(&e);
			if ((size_t)cnt >= sizeof(rep) + sizeof(e))
				memcpy(&e, buf + sizeof(rep), sizeof(e));
			ds_sched_result(&s, (size_t)rep.item, (enum fs_status)rep.status, &e, NULL, 0);
		} else if ((size_t)cnt - sizeof(rep) != rep.len) {
			st = fs_error_set(c->e, FS_ERR_SIM, NULL, 0, NULL,
					  "rank %d sent %d bytes for item %llu, which says %llu", r,
					  cnt, (unsigned long long)rep.item, (unsigned long long)rep.len);
			break;
		} else {
			ds_sched_result(&s, (size_t)rep.item, FS_OK, NULL, buf + sizeof(rep),
					(size_t)rep.len);
		}
	}
	/* drain what is still in flight (after an early stop), then release everyone */
	for (int r = 1; r < size; r++)
		while (nq[r] > 0) {
			MPI_Status ms;
			int cnt;
			MPI_Probe(r, MPI_ANY_TAG, MPI_COMM_WORLD, &ms);
			MPI_Get_count(&ms, MPI_BYTE, &cnt);
			unsigned char *nb = realloc(buf, (size_t)cnt + 1);
			if (nb) {
				buf = nb;
				MPI_Recv(buf, cnt, MPI_BYTE, r, ms.MPI_TAG, MPI_COMM_WORLD,
					 MPI_STATUS_IGNORE);
			}
			nq[r]--;
		}
	for (int r = 1; r < size; r++)
		MPI_Send(NULL, 0, MPI_BYTE, r, TAG_STOP, MPI_COMM_WORLD);
	if (!st)
		st = ds_sched_finish(&s);
	ds_sched_fini(&s);
	free(nq);
	free(item);
	free(buf);
	return st;
}

enum fs_status ds_run_mpi(struct ds_call *c)
{
	int rank = fs_dispatch_rank(), size = fs_dispatch_size();

	c->st->n_workers = size - 1;
	if (rank != 0) {
		if (c->is_writer)
			*c->is_writer = false;
		return work_rank(c, rank);
	}
	return write_rank(c, size);
}
