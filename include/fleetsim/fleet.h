/*
 * fleet.h - the GPUs of one fleet option while it runs: nodes, the free
 * GPUs of each node, and which nodes each running job holds.
 *
 * A job's GPUs may span nodes: fs_fleet_alloc takes all the free GPUs of one
 * available node after another until the job has its count (the first node
 * of the available set, whose order depends only on the history of allocs
 * and releases, so it is deterministic; choosing nodes, e.g. first-fit or
 * packing, is a placement policy's business) and returns a placement handle
 * that fs_fleet_release gives back. A placement is a chain
 * of (node, gpus) chunks from a pool of n_gpus chunks, enough for any set of
 * running jobs since every chunk holds at least one GPU.
 *
 * Invariants (fs_fleet_check asserts them): 0 <= free[n] <= gpus_per_node;
 * gpus_free = sum of free[n]; the available-node set holds exactly the nodes
 * with free[n] > 0; free chunks + chunks in use = pool size.
 *
 * Costs: alloc and release are O(chunks of the job); nothing allocates after
 * fs_fleet_init. Asking for more GPUs than are free is a broken invariant
 * (assert): callers test fs_fleet_gpus_free first.
 */
#ifndef FLEETSIM_FLEET_H
#define FLEETSIM_FLEET_H

#include <stdint.h>

#include "fleetsim/error.h"

struct fs_fleet_chunk {
	int32_t node;
	int32_t gpus;
	int32_t next;                 /* next chunk of the placement, or -1 */
};

struct fs_fleet {
	int n_nodes;
	int gpus_per_node;
	int gpus_total;
	int gpus_free;
	int *free;                    /* [n_nodes] free GPUs per node */
	int *avail;                   /* nodes with free > 0, [0, n_avail) */
	int *avail_pos;               /* [n_nodes] index in avail, or -1 */
	int n_avail;
	struct fs_fleet_chunk *chunks; /* pool of gpus_total */
	int32_t free_chunk;           /* head of the free chunk list, or -1 */
};

/*
 * Sets up f (caller storage) with every GPU free. FS_OK, FS_ERR_NOMEM (f is
 * then empty). n_nodes and gpus_per_node are >= 1 (the loader checks them).
 */
enum fs_status fs_fleet_init(struct fs_fleet *f, int n_nodes, int gpus_per_node,
			     struct fs_error *e);
void fs_fleet_fini(struct fs_fleet *f);

static inline int fs_fleet_gpus_free(const struct fs_fleet *f)
{
	return f->gpus_free;
}

/* Takes gpus (1 .. gpus_free) GPUs; returns the placement handle (>= 0). */
int32_t fs_fleet_alloc(struct fs_fleet *f, int gpus);

/* Gives back every GPU of placement p (a handle from fs_fleet_alloc). */
void fs_fleet_release(struct fs_fleet *f, int32_t p);

/* Asserts the invariants above (O(nodes + pool)); for tests and debug builds. */
void fs_fleet_check(const struct fs_fleet *f);

#endif
