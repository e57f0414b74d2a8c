/*
 * fleet.c - free GPUs per node and job placements (see fleet.h).
 */
#include "fleetsim/fleet.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

enum fs_status fs_fleet_init(struct fs_fleet *f, int n_nodes, int gpus_per_node,
			     struct fs_error *e)
{
	assert(n_nodes >= 1 && gpus_per_node >= 1);
	memset(f, 0, sizeof(*f));
	f->n_nodes = n_nodes;
	f->gpus_per_node = gpus_per_node;
	f->gpus_total = f->gpus_free = n_nodes * gpus_per_node;
	f->free = malloc((size_t)n_nodes * sizeof(*f->free));
	f->avail = malloc((size_t)n_nodes * sizeof(*f->avail));
	f->avail_pos = malloc((size_t)n_nodes * sizeof(*f->avail_pos));
	f->chunks = malloc((size_t)f->gpus_total * sizeof(*f->chunks));
	if (!f->free || !f->avail || !f->avail_pos || !f->chunks) {
		fs_fleet_fini(f);
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	}
	for (int n = 0; n < n_nodes; n++) {
		f->free[n] = gpus_per_node;
		f->avail[n] = n;
		f->avail_pos[n] = n;
	}
	f->n_avail = n_nodes;
	for (int32_t c = 0; c < f->gpus_total; c++)
		f->chunks[c].next = c + 1 < f->gpus_total ? c + 1 : -1;
	f->free_chunk = 0;
	return FS_OK;
}

void fs_fleet_fini(struct fs_fleet *f)
{
	free(f->free);
	free(f->avail);
	free(f->avail_pos);
	free(f->chunks);
	memset(f, 0, sizeof(*f));
}

static void avail_remove(struct fs_fleet *f, int node)
{
	int i = f->avail_pos[node], last = f->avail[--f->n_avail];

	f->avail[i] = last;
	f->avail_pos[last] = i;
	f->avail_pos[node] = -1;
}

static void avail_add(struct fs_fleet *f, int node)
{
	f->avail_pos[node] = f->n_avail;
	f->avail[f->n_avail++] = node;
}

int32_t fs_fleet_alloc(struct fs_fleet *f, int gpus)
{
	int32_t head = -1;

	assert(gpus >= 1 && gpus <= f->gpus_free);
	f->gpus_free -= gpus;
	while (gpus > 0) {
		int node = f->avail[0];
		int take = f->free[node] < gpus ? f->free[node] : gpus;
		int32_t c = f->free_chunk;

		/* every chunk holds a GPU, so the pool of gpus_total never runs dry */
		assert(c >= 0 && f->n_avail > 0);
		f->free_chunk = f->chunks[c].next;
		f->chunks[c] = (struct fs_fleet_chunk){ node, take, head };
		head = c;
		f->free[node] -= take;
		gpus -= take;
		if (f->free[node] == 0)
			avail_remove(f, node);
	}
	return head;
}

void fs_fleet_release(struct fs_fleet *f, int32_t p)
{
	assert(p >= 0 && p < f->gpus_total);
	while (p >= 0) {
		struct fs_fleet_chunk *c = &f->chunks[p];
		int32_t next = c->next;

		assert(c->gpus >= 1 && f->free[c->node] + c->gpus <= f->gpus_per_node);
		if (f->free[c->node] == 0)
			avail_add(f, c->node);
		f->free[c->node] += c->gpus;
		f->gpus_free += c->gpus;
		c->next = f->free_chunk;
		f->free_chunk = p;
		p = next;
	}
}

void fs_fleet_check(const struct fs_fleet *f)
{
	int sum = 0, n_avail = 0;
	int32_t n_free_chunks = 0;

	assert(f->gpus_total == f->n_nodes * f->gpus_per_node);
	for (int n = 0; n < f->n_nodes; n++) {
		assert(f->free[n] >= 0 && f->free[n] <= f->gpus_per_node);
		sum += f->free[n];
		if (f->free[n] > 0) {
			n_avail++;
			assert(f->avail_pos[n] >= 0 && f->avail_pos[n] < f->n_avail &&
			       f->avail[f->avail_pos[n]] == n);
		} else {
			assert(f->avail_pos[n] == -1);
		}
	}
	assert(sum == f->gpus_free && n_avail == f->n_avail);
	for (int32_t c = f->free_chunk; c >= 0; c = f->chunks[c].next) {
		n_free_chunks++;
		assert(n_free_chunks <= f->gpus_total);
	}
	/* chunks in use hold the busy GPUs, at least one each */
	assert(f->gpus_total - n_free_chunks <= f->gpus_total - f->gpus_free);
	(void)sum;
	(void)n_avail;
	(void)n_free_chunks;
}
