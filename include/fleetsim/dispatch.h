/*
 * dispatch.h - hand a work list of independent items to workers; every
 * result comes back to one writer.
 *
 * A sweep or an outgrow analysis is a list of n items whose costs differ by
 * orders of magnitude, so items are handed out one at a time to whichever
 * worker is free (dynamic dispatch), never split statically. A worker runs
 * work(item) and fills a byte buffer; the writer (the calling process, or
 * MPI rank 0) receives it through take(item, bytes), in completion order.
 * take() alone touches the database or the caller's result arrays.
 *
 * Backends (chosen by fs_dispatch_run, not by the caller):
 *  - in process, when jobs == 1 and not under MPI: work then take, item by
 *    item, in the order given;
 *  - local worker processes (fork) when jobs > 1;
 *  - MPI ranks when built with FLEETSIM_MPI and started under mpirun with
 *    more than one rank: rank 0 dispatches and writes, the others work.
 * A worker that dies has its item handed to another worker; the run goes
 * on and the stats (and the note callback) say so. An item on which
 * workers died FS_DISPATCH_MAX_ATTEMPTS times fails the run (FS_ERR_SIM,
 * naming the item). Under MPI each worker rank runs its items in a forked
 * child, so an item that crashes kills the child, not the rank
 * (docs/SCALE.md, "MPI" says what survives and what does not).
 *
 * Items must be pure functions of (ctx, item): the same item computed twice
 * gives the same bytes. That is what makes reissue and sharding safe.
 */
#ifndef FLEETSIM_DISPATCH_H
#define FLEETSIM_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/error.h"

/* Deaths of workers on one item after which the run fails instead of handing it out again. */
#define FS_DISPATCH_MAX_ATTEMPTS 3

/* A growable byte buffer a worker fills with one item's result. */
struct fs_dbuf {
	unsigned char *data;
	size_t len, cap;
};

/* Appends n bytes; FS_OK or FS_ERR_NOMEM. */
enum fs_status fs_dbuf_put(struct fs_dbuf *b, const void *p, size_t n);
void fs_dbuf_fini(struct fs_dbuf *b);

/* Worker side: computes item into out (empty on entry). */
typedef enum fs_status (*fs_dispatch_work_fn)(void *ctx, size_t item, struct fs_dbuf *out,
					      struct fs_error *e);
/* Writer side: receives item's bytes (valid only during the call). */
typedef enum fs_status (*fs_dispatch_take_fn)(void *ctx, size_t item, const void *data,
					      size_t n, struct fs_error *e);

struct fs_dispatch_params {
	int jobs;                 /* local worker processes when not under MPI; >= 1 */
	void (*progress)(void *ctx, size_t done, size_t total); /* writer side; may be NULL */
	void (*note)(void *ctx, const char *msg);  /* writer side: a worker died, an item was
						    * reissued; may be NULL */
	void *cb_ctx;             /* for progress and note */
	size_t fault_item;        /* tests only: the worker that first takes this item dies
				   * (SIZE_MAX: none; ignored in process, which cannot die) */
};

struct fs_dispatch_stats {
	const char *backend;      /* "in-process", "processes", "mpi" */
	int n_workers;
	int n_dead;               /* workers that died */
	size_t n_done;            /* items taken by the writer */
	size_t n_reissued;        /* items handed out again after a worker died */
	double wall_s;
};

void fs_dispatch_params_init(struct fs_dispatch_params *p);

/*
 * Runs items order[0..n-1] (order NULL: 0..n-1; a costliest-first order
 * shortens the tail). Returns on the writer when every item has been taken
 * or one failed (the failure of the lowest failing item index is returned
 * and the rest abandoned). Under MPI every rank calls it; on a worker rank
 * it returns FS_OK once the writer releases it, and *is_writer (if not NULL)
 * is false there: such a rank must neither print nor write.
 */
enum fs_status fs_dispatch_run(size_t n, const size_t *order, fs_dispatch_work_fn work,
			       fs_dispatch_take_fn take, void *ctx,
			       const struct fs_dispatch_params *p, bool *is_writer,
			       struct fs_dispatch_stats *st, struct fs_error *e);

/* MPI start-up and shut-down (no-ops without FLEETSIM_MPI); main() calls them once.
 * fs_dispatch_init starts MPI only when the process was launched by mpirun or
 * srun (their environment variables say so); otherwise rank 0 of 1.
 * fs_dispatch_rank() is 0 outside MPI. */
void fs_dispatch_init(int *argc, char ***argv);
void fs_dispatch_finalize(void);
/* Ends every rank of the job with exit code `code` (MPI_Abort) when running
 * under MPI with more than one rank, so that ranks waiting in
 * fs_dispatch_run for a writer that failed early do not hang; a no-op
 * otherwise. main() calls it when a command fails. */
void fs_dispatch_abort(int code);
int fs_dispatch_rank(void);
int fs_dispatch_size(void);

#endif
