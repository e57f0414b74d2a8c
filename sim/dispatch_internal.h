/*
 * dispatch_internal.h - the private seam between the dispatcher
 * (sim/dispatch.c) and its backends (dispatch_proc.c, dispatch_mpi.c).
 *
 * A backend is a row of the table in dispatch.c: a name, a test of whether
 * it applies to this call, and a run function. The writer-side bookkeeping
 * every backend needs (which item next, reissue after a death, attempts per
 * item, the lowest failing item, take and progress) lives in struct
 * ds_sched so that the backends differ only in how items reach workers.
 *
 * Wire format (local sockets and MPI messages alike; every rank runs the
 * same binary on the same architecture, so the records are raw structs):
 *   writer -> worker: struct ds_cmd (item, attempt);
 *   worker -> writer: struct ds_reply, then the struct fs_error when status
 *   is not FS_OK, else len bytes of result.
 */
#ifndef FLEETSIM_DISPATCH_INTERNAL_H
#define FLEETSIM_DISPATCH_INTERNAL_H

#include "fleetsim/dispatch.h"

#include <sys/types.h>

/* One call of fs_dispatch_run, as every backend sees it. */
struct ds_call {
	size_t n;
	const size_t *order;
	fs_dispatch_work_fn work;
	fs_dispatch_take_fn take;
	void *ctx;
	struct fs_dispatch_params p;   /* defaults filled in */
	struct fs_dispatch_stats *st;
	struct fs_error *e;
	bool *is_writer;
};

struct ds_cmd {
	uint64_t item;
	uint32_t attempt;   /* 0 the first time the item is handed out */
	uint32_t pad;
};

struct ds_reply {
	uint64_t item;
	int32_t status;     /* enum fs_status of work() */
	int32_t wstatus;    /* MPI only, DEAD messages: the child's waitpid status */
	uint64_t len;       /* result bytes after the header (0 when status != FS_OK) */
};

/* Writer-side state of one run. */
struct ds_sched {
	struct ds_call *c;
	size_t next;              /* next position in order */
	size_t *again;            /* items to hand out again (after a worker died) */
	size_t n_again;
	unsigned char *attempts;  /* deaths per item */
	size_t fail_item;         /* lowest failing item so far; SIZE_MAX: none */
	enum fs_status fail_st;
	struct fs_error fail_e;
};

enum fs_status ds_sched_init(struct ds_sched *s, struct ds_call *c);
void ds_sched_fini(struct ds_sched *s);

/* The next item to hand out and its attempt number; false when none is left
 * (or, after a failure, none below the failing item). */
bool ds_sched_next(struct ds_sched *s, size_t *item, uint32_t *attempt);

/* Whether an item in flight still matters (false once a lower item failed). */
bool ds_sched_wanted(const struct ds_sched *s, size_t item);

/* A worker's answer for item: takes it (FS_OK) or records the failure. */
void ds_sched_result(struct ds_sched *s, size_t item, enum fs_status status,
		     const struct fs_error *err, const void *data, size_t len);

/* Worker `who` (a description such as "worker 2 (pid 1234)") died while running
 * item (SIZE_MAX: while idle): counts it, reissues the item or, after
 * FS_DISPATCH_MAX_ATTEMPTS deaths on it, records the failure. how: "signal 9". */
void ds_sched_died(struct ds_sched *s, size_t item, const char *who, const char *how);

/* Item was sent to a worker that died before starting it: hand it out again,
 * counting no attempt and no reissue. */
void ds_sched_put_back(struct ds_sched *s, size_t item);

/* The outcome once nothing is in flight: FS_OK or the lowest failure. */
enum fs_status ds_sched_finish(struct ds_sched *s);

/* Describes a waitpid status: "signal 9", "exit status 3". */
void ds_wait_words(int wstatus, char *buf, size_t n);

/* Writes or reads exactly n bytes on fd; 0, or -1 (EOF or error). */
int ds_write_all(int fd, const void *buf, size_t n);
int ds_read_all(int fd, void *buf, size_t n);

/*
 * Forks a worker process that runs c's items received on one end of a
 * socket pair; *fd is the other end (the caller's), *pid the child's. The
 * child closes close_fds[0..n_close) first (other workers' sockets), runs
 * ds_worker_loop and never returns. 0, or -1 with errno.
 */
int ds_fork_worker(const struct ds_call *c, const int *close_fds, int n_close, int *fd, pid_t *pid);

/* Backends. */
enum fs_status ds_run_processes(struct ds_call *c);
#ifdef FLEETSIM_MPI
bool ds_mpi_active(void);
enum fs_status ds_run_mpi(struct ds_call *c);
#endif

#endif
