/*
 * fleet.h - the GPUs of one pool (one GPU type) of a fleet option while it
 * runs: nodes, the free GPUs of each node, which placements each node holds,
 * nodes that are down for repair, nodes added and retired over time.
 *
 * A node is in one of three states: up, down (failed, awaiting repair) or
 * retired (gone for good). An up node may also be draining: retired as soon
 * as its last placement ends; it takes no new placements. Node slots are
 * never reused: a pool sized for max_nodes (t = 0 plus every procurement
 * step that adds) holds n_nodes <= max_nodes slots, the first n_nodes ever
 * installed.
 *
 * A training job's GPUs may span nodes: fs_fleet_alloc takes all the free
 * GPUs of one available node after another until the job has its count (the
 * first node of the available set, whose order depends only on the history
 * of allocs and releases, so it is deterministic). fs_fleet_alloc_group
 * places groups that must each sit inside one node (a tensor-parallel
 * replica), best fit: the node with the fewest free GPUs that still holds
 * the group. Either returns a placement handle that fs_fleet_release gives
 * back. A placement is a chain of (node, gpus, owner) chunks from a pool of
 * max_nodes * gpus_per_node chunks, enough for any set of placements since
 * every chunk holds at least one GPU.
 *
 * Invariants (fs_fleet_check asserts them): 0 <= free[n] <= gpus_per_node;
 * gpus_free = sum of free[n] over up, non-draining nodes; the available set
 * holds exactly those nodes with free[n] > 0; gpus_total = gpus_per_node x
 * (up + down nodes); gpus_busy = GPUs in placements; a down node holds no
 * placement; free chunks + chunks in use = pool size.
 *
 * Costs: alloc and release are O(chunks of the placement); alloc_group is
 * O(available nodes x groups); add, retire, down, up and owners_on are
 * O(nodes) or O(pool) and happen rarely (procurement, node failures).
 * Nothing allocates after fs_fleet_init. Asking for more GPUs than are free
 * is a broken invariant (assert): callers test fs_fleet_gpus_free first.
 */
#ifndef FLEETSIM_FLEET_H
#define FLEETSIM_FLEET_H

#include <stdbool.h>
#include <stdint.h>

#include "fleetsim/error.h"

enum fs_node_state { FS_NODE_UP = 0, FS_NODE_DOWN, FS_NODE_RETIRED };

struct fs_fleet_chunk {
	int32_t node;
	int32_t gpus;
	int32_t next;                 /* next chunk of the placement, or -1 */
	int32_t owner;                /* who holds it (>= 0), -1 while the chunk is free */
};

struct fs_fleet {
	int n_nodes;                  /* node slots installed so far (any state) */
	int max_nodes;
	int gpus_per_node;
	int gpus_total;               /* installed: up and down nodes */
	int gpus_free;                /* free on up, non-draining nodes */
	int gpus_busy;                /* in placements */
	int gpus_down;                /* on down nodes */
	int n_whole_free;             /* up, non-draining nodes with every GPU free */
	int n_draining;
	int *free;                    /* [max_nodes] free GPUs per node */
	int *avail;                   /* up, non-draining nodes with free > 0, [0, n_avail) */
	int *avail_pos;               /* [max_nodes] index in avail, or -1 */
	int n_avail;
	uint8_t *state;               /* [max_nodes] enum fs_node_state */
	uint8_t *draining;            /* [max_nodes] retire when idle */
	struct fs_fleet_chunk *chunks; /* pool of max_nodes * gpus_per_node */
	int32_t n_chunks;
	int32_t free_chunk;           /* head of the free chunk list, or -1 */
	int *scratch;                 /* [max_nodes] for fs_fleet_victims */
};

/*
 * Sets up f (caller storage) with n_nodes nodes up and every GPU free, room
 * for max_nodes. FS_OK, FS_ERR_NOMEM (f is then empty). 0 <= n_nodes <=
 * max_nodes, max_nodes >= 1, gpus_per_node >= 1.
 */
enum fs_status fs_fleet_init_max(struct fs_fleet *f, int n_nodes, int max_nodes,
				 int gpus_per_node, struct fs_error *e);

/* fs_fleet_init_max with max_nodes = n_nodes (>= 1): a pool that never grows. */
enum fs_status fs_fleet_init(struct fs_fleet *f, int n_nodes, int gpus_per_node,
			     struct fs_error *e);
void fs_fleet_fini(struct fs_fleet *f);

static inline int fs_fleet_gpus_free(const struct fs_fleet *f)
{
	return f->gpus_free;
}

/* Free GPUs that cannot host a whole-node job: free GPUs on partly used nodes. */
static inline int fs_fleet_gpus_fragmented(const struct fs_fleet *f)
{
	return f->gpus_free - f->n_whole_free * f->gpus_per_node;
}

/* Takes gpus (1 .. gpus_free) GPUs for owner (>= 0); returns the placement handle (>= 0). */
int32_t fs_fleet_alloc(struct fs_fleet *f, int gpus, int32_t owner);

/* How many groups of group_size (1 .. gpus_per_node) GPUs, each inside one node, fit now. */
int fs_fleet_groups_free(const struct fs_fleet *f, int group_size);

/*
 * Takes n_groups (>= 1) groups of group_size GPUs, each group inside one
 * node, best fit (fewest free GPUs left on the node; ties: lowest node) for
 * owner (>= 0). Returns the placement handle, or -1 (nothing taken) when
 * fewer than n_groups groups fit.
 */
int32_t fs_fleet_alloc_group(struct fs_fleet *f, int n_groups, int group_size, int32_t owner);

/*
 * Preemption planning (nothing changes): placements[0 .. n) are the
 * placements a caller may stop, in the order it would stop them (e.g. lowest
 * priority first, latest started first). Returns the smallest k such that
 * stopping placements[0 .. k) leaves room for n_groups groups of group_size
 * GPUs each inside one node (0 when they fit already), or -1 when stopping
 * all n does not. O(nodes + chunks of the placements).
 */
int fs_fleet_victims(struct fs_fleet *f, int n_groups, int group_size, const int32_t *placements,
		     int n);

/* Gives back every GPU of placement p; a draining node left idle retires. */
void fs_fleet_release(struct fs_fleet *f, int32_t p);

/* GPUs of placement p. */
int fs_fleet_placement_gpus(const struct fs_fleet *f, int32_t p);

/*
 * Writes the distinct owners of placements on node (in chunk-pool order,
 * deterministic) into out (room for gpus_per_node); returns their count.
 */
int fs_fleet_owners_on(const struct fs_fleet *f, int node, int32_t *out);

/* Installs k (>= 1, n_nodes + k <= max_nodes) new nodes, up and free. Returns the first new index. */
int fs_fleet_add_nodes(struct fs_fleet *f, int k);

/*
 * Retires k (>= 1) nodes: idle up nodes first (oldest first), then down
 * nodes, then busy nodes drain (oldest first: they take no new placements and
 * retire when their last placement ends). Returns how many retired at once;
 * fewer nodes than k installed retires them all.
 */
int fs_fleet_retire_nodes(struct fs_fleet *f, int k);

/*
 * Takes up node `node` (holding no placement: evict first) down for repair;
 * a draining node retires instead. Returns true when it went down.
 */
bool fs_fleet_node_down(struct fs_fleet *f, int node);

/* Brings down node `node` back up, every GPU free. */
void fs_fleet_node_up(struct fs_fleet *f, int node);

/* Asserts the invariants above (O(nodes + pool)); for tests and debug builds. */
void fs_fleet_check(const struct fs_fleet *f);

#endif
