/*
 * fleet.c - free GPUs per node, placements, node states (see fleet.h).
 */
#include "fleetsim/fleet.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

enum fs_status fs_fleet_init_max(struct fs_fleet *f, int n_nodes, int max_nodes,
				 int gpus_per_node, struct fs_error *e)
{
	size_t m;

	assert(n_nodes >= 0 && max_nodes >= 1 && n_nodes <= max_nodes && gpus_per_node >= 1);
	memset(f, 0, sizeof(*f));
	m = (size_t)max_nodes;
	f->max_nodes = max_nodes;
	f->gpus_per_node = gpus_per_node;
	f->n_chunks = max_nodes * gpus_per_node;
	f->free = malloc(m * sizeof(*f->free));
	f->avail = malloc(m * sizeof(*f->avail));
	f->avail_pos = malloc(m * sizeof(*f->avail_pos));
	f->state = calloc(m, sizeof(*f->state));
	f->draining = calloc(m, sizeof(*f->draining));
	f->chunks = malloc((size_t)f->n_chunks * sizeof(*f->chunks));
	f->scratch = malloc(m * sizeof(*f->scratch));
	if (!f->free || !f->avail || !f->avail_pos || !f->state || !f->draining || !f->chunks ||
	    !f->scratch) {
		fs_fleet_fini(f);
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	}
	for (int32_t c = 0; c < f->n_chunks; c++) {
		f->chunks[c].next = c + 1 < f->n_chunks ? c + 1 : -1;
		f->chunks[c].owner = -1;
	}
	f->free_chunk = 0;
	if (n_nodes > 0)
		fs_fleet_add_nodes(f, n_nodes);
	return FS_OK;
}

enum fs_status fs_fleet_init(struct fs_fleet *f, int n_nodes, int gpus_per_node,
			     struct fs_error *e)
{
	assert(n_nodes >= 1);
	return fs_fleet_init_max(f, n_nodes, n_nodes, gpus_per_node, e);
}

void fs_fleet_fini(struct fs_fleet *f)
{
	free(f->free);
	free(f->avail);
	free(f->avail_pos);
	free(f->state);
	free(f->draining);
	free(f->chunks);
	free(f->scratch);
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

int fs_fleet_add_nodes(struct fs_fleet *f, int k)
{
	int first = f->n_nodes;

	assert(k >= 1 && f->n_nodes + k <= f->max_nodes);
	for (int n = first; n < first + k; n++) {
		f->free[n] = f->gpus_per_node;
		f->state[n] = FS_NODE_UP;
		f->draining[n] = 0;
		avail_add(f, n);
	}
	f->n_nodes += k;
	f->gpus_total += k * f->gpus_per_node;
	f->gpus_free += k * f->gpus_per_node;
	f->n_whole_free += k;
	return first;
}

/* Takes up to `want` GPUs of node for the placement headed by *head. */
static int take(struct fs_fleet *f, int node, int want, int32_t owner, int32_t *head)
{
	int got = f->free[node] < want ? f->free[node] : want;
	int32_t c = f->free_chunk;

	/* every chunk holds a GPU, so the pool never runs dry */
	assert(c >= 0 && got >= 1);
	f->free_chunk = f->chunks[c].next;
	f->chunks[c] = (struct fs_fleet_chunk){ node, got, *head, owner };
	*head = c;
	if (f->free[node] == f->gpus_per_node)
		f->n_whole_free--;
	f->free[node] -= got;
	f->gpus_free -= got;
	f->gpus_busy += got;
	if (f->free[node] == 0)
		avail_remove(f, node);
	return got;
}

int32_t fs_fleet_alloc(struct fs_fleet *f, int gpus, int32_t owner)
{
	int32_t head = -1;

	assert(gpus >= 1 && gpus <= f->gpus_free && owner >= 0);
	while (gpus > 0) {
		assert(f->n_avail > 0);
		gpus -= take(f, f->avail[0], gpus, owner, &head);
	}
	return head;
}

int fs_fleet_groups_free(const struct fs_fleet *f, int group_size)
{
	int n = 0;

	assert(group_size >= 1 && group_size <= f->gpus_per_node);
	for (int i = 0; i < f->n_avail; i++)
		n += f->free[f->avail[i]] / group_size;
	return n;
}

int32_t fs_fleet_alloc_group(struct fs_fleet *f, int n_groups, int group_size, int32_t owner)
{
	int32_t head = -1;

	assert(n_groups >= 1 && owner >= 0);
	if (fs_fleet_groups_free(f, group_size) < n_groups)
		return -1;
	for (int g = 0; g < n_groups; g++) {
		int best = -1;

		for (int i = 0; i < f->n_avail; i++) {
			int n = f->avail[i];
			if (f->free[n] >= group_size &&
			    (best < 0 || f->free[n] < f->free[best] ||
			     (f->free[n] == f->free[best] && n < best)))
				best = n;
		}
		assert(best >= 0);
		take(f, best, group_size, owner, &head);
	}
	return head;
}

int fs_fleet_victims(struct fs_fleet *f, int n_groups, int group_size, const int32_t *placements,
		     int n)
{
	int groups = 0;

	assert(n_groups >= 1 && group_size >= 1 && group_size <= f->gpus_per_node);
	/* GPUs freed on down or draining nodes would not be usable */
	for (int i = 0; i < f->n_nodes; i++) {
		bool open = f->state[i] == FS_NODE_UP && !f->draining[i];
		f->scratch[i] = open ? f->free[i] : -1;
		if (open)
			groups += f->free[i] / group_size;
	}
	if (groups >= n_groups)
		return 0;
	for (int k = 0; k < n; k++) {
		for (int32_t c = placements[k]; c >= 0; c = f->chunks[c].next) {
			int node = f->chunks[c].node;

			assert(f->chunks[c].owner >= 0);
			if (f->scratch[node] < 0)
				continue;
			groups -= f->scratch[node] / group_size;
			f->scratch[node] += f->chunks[c].gpus;
			groups += f->scratch[node] / group_size;
		}
		if (groups >= n_groups)
			return k + 1;
	}
	return -1;
}

static void retire(struct fs_fleet *f, int node)
{
	if (f->draining[node]) {
		f->draining[node] = 0;
		f->n_draining--;
	}
	if (f->state[node] == FS_NODE_DOWN)
		f->gpus_down -= f->gpus_per_node;
	f->state[node] = FS_NODE_RETIRED;
	f->gpus_total -= f->gpus_per_node;
}

void fs_fleet_release(struct fs_fleet *f, int32_t p)
{
	assert(p >= 0 && p < f->n_chunks);
	while (p >= 0) {
		struct fs_fleet_chunk *c = &f->chunks[p];
		int32_t next = c->next;
		int node = c->node;

		assert(c->gpus >= 1 && c->owner >= 0 && f->free[node] + c->gpus <= f->gpus_per_node);
		assert(f->state[node] == FS_NODE_UP);
		f->free[node] += c->gpus;
		f->gpus_busy -= c->gpus;
		if (f->draining[node]) {
			if (f->free[node] == f->gpus_per_node)
				retire(f, node);
		} else {
			if (f->free[node] == c->gpus)
				avail_add(f, node);
			f->gpus_free += c->gpus;
			if (f->free[node] == f->gpus_per_node)
				f->n_whole_free++;
		}
		c->owner = -1;
		c->next = f->free_chunk;
		f->free_chunk = p;
		p = next;
	}
}

int fs_fleet_placement_gpus(const struct fs_fleet *f, int32_t p)
{
	int n = 0;

	for (; p >= 0; p = f->chunks[p].next)
		n += f->chunks[p].gpus;
	return n;
}

int fs_fleet_owners_on(const struct fs_fleet *f, int node, int32_t *out)
{
	int n = 0;

	for (int32_t c = 0; c < f->n_chunks; c++) {
		const struct fs_fleet_chunk *k = &f->chunks[c];
		bool seen = false;

		if (k->owner < 0 || k->node != node)
			continue;
		for (int i = 0; i < n && !seen; i++)
			seen = out[i] == k->owner;
		if (!seen) {
			assert(n < f->gpus_per_node);
			out[n++] = k->owner;
		}
	}
	return n;
}

/* Takes an up, non-draining node out of the free counts. */
static void withdraw(struct fs_fleet *f, int node)
{
	if (f->free[node] > 0)
		avail_remove(f, node);
	if (f->free[node] == f->gpus_per_node)
		f->n_whole_free--;
	f->gpus_free -= f->free[node];
}

int fs_fleet_retire_nodes(struct fs_fleet *f, int k)
{
	int now = 0;

	assert(k >= 1);
	/* idle up nodes, oldest first */
	for (int n = 0; n < f->n_nodes && k > 0; n++)
		if (f->state[n] == FS_NODE_UP && !f->draining[n] && f->free[n] == f->gpus_per_node) {
			withdraw(f, n);
			retire(f, n);
			k--, now++;
		}
	/* down nodes hold nothing */
	for (int n = 0; n < f->n_nodes && k > 0; n++)
		if (f->state[n] == FS_NODE_DOWN) {
			retire(f, n);
			k--, now++;
		}
	/* busy nodes drain */
	for (int n = 0; n < f->n_nodes && k > 0; n++)
		if (f->state[n] == FS_NODE_UP && !f->draining[n]) {
			withdraw(f, n);
			f->draining[n] = 1;
			f->n_draining++;
			k--;
		}
	return now;
}

bool fs_fleet_node_down(struct fs_fleet *f, int node)
{
	assert(node >= 0 && node < f->n_nodes && f->state[node] == FS_NODE_UP);
	assert(f->free[node] == f->gpus_per_node);
	if (f->draining[node]) {
		retire(f, node);
		return false;
	}
	withdraw(f, node);
	f->state[node] = FS_NODE_DOWN;
	f->gpus_down += f->gpus_per_node;
	return true;
}

void fs_fleet_node_up(struct fs_fleet *f, int node)
{
	assert(node >= 0 && node < f->n_nodes && f->state[node] == FS_NODE_DOWN);
	f->state[node] = FS_NODE_UP;
	f->gpus_down -= f->gpus_per_node;
	f->free[node] = f->gpus_per_node;
	avail_add(f, node);
	f->gpus_free += f->gpus_per_node;
	f->n_whole_free++;
}

void fs_fleet_check(const struct fs_fleet *f)
{
	int sum = 0, n_avail = 0, n_up_down = 0, whole = 0, held = 0, down = 0, draining = 0;
	int32_t n_free_chunks = 0;

	for (int n = 0; n < f->n_nodes; n++) {
		bool open = f->state[n] == FS_NODE_UP && !f->draining[n];

		assert(f->free[n] >= 0 && f->free[n] <= f->gpus_per_node);
		n_up_down += f->state[n] != FS_NODE_RETIRED;
		down += f->state[n] == FS_NODE_DOWN;
		draining += f->draining[n] != 0;
		assert(!f->draining[n] || f->state[n] == FS_NODE_UP);
		if (open) {
			sum += f->free[n];
			whole += f->free[n] == f->gpus_per_node;
		}
		if (open && f->free[n] > 0) {
			n_avail++;
			assert(f->avail_pos[n] >= 0 && f->avail_pos[n] < f->n_avail &&
			       f->avail[f->avail_pos[n]] == n);
		} else {
			assert(f->avail_pos[n] == -1);
		}
	}
	assert(sum == f->gpus_free && n_avail == f->n_avail && whole == f->n_whole_free);
	assert(f->gpus_total == n_up_down * f->gpus_per_node);
	assert(f->gpus_down == down * f->gpus_per_node && draining == f->n_draining);
	for (int32_t c = 0; c < f->n_chunks; c++)
		if (f->chunks[c].owner >= 0) {
			assert(f->state[f->chunks[c].node] == FS_NODE_UP);
			held += f->chunks[c].gpus;
		}
	assert(held == f->gpus_busy);
	for (int32_t c = f->free_chunk; c >= 0; c = f->chunks[c].next) {
		n_free_chunks++;
		assert(n_free_chunks <= f->n_chunks && f->chunks[c].owner == -1);
	}
	(void)sum, (void)n_avail, (void)n_up_down, (void)whole, (void)held, (void)down;
	(void)draining, (void)n_free_chunks;
}
