/*
 * test_fleet.c - the GPUs of one pool: tensor-parallel groups placed inside
 * one node by best fit, fragmentation, nodes added, retired (idle first,
 * busy ones drain), taken down and repaired. fs_fleet_check runs after every
 * step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fleetsim/fleet.h"
#include "testutil.h"

/*
 * 3 nodes of 8. A job of 6 takes node 0 (the first available): 2 left there.
 * A group of 4: nodes 1 and 2 have 8, node 0 too few; best fit ties to the
 * lowest, node 1 (4 left). A group of 2: the fullest node that holds it is
 * node 0 (2 left, none after). Free: 0 + 4 + 8 = 12, of which node 2 is
 * whole: 4 fragmented; one whole-node group of 8 fits, two do not.
 */
static void test_fleet_groups_best_fit(void **state)
{
	struct fs_fleet f;
	struct fs_error e;
	int32_t job, g4, g2, owners[8];

	(void)state;
	assert_int_equal(fs_fleet_init(&f, 3, 8, &e), FS_OK);
	job = fs_fleet_alloc(&f, 6, 10);
	assert_int_equal(f.free[0], 2);
	g4 = fs_fleet_alloc_group(&f, 1, 4, 11);
	assert_true(g4 >= 0);
	assert_int_equal(f.free[1], 4);
	g2 = fs_fleet_alloc_group(&f, 1, 2, 12);
	assert_int_equal(f.free[0], 0);
	fs_fleet_check(&f);
	assert_int_equal(fs_fleet_gpus_free(&f), 12);
	assert_int_equal(fs_fleet_gpus_fragmented(&f), 4);
	assert_int_equal(fs_fleet_groups_free(&f, 8), 1);
	assert_int_equal(fs_fleet_groups_free(&f, 4), 3);
	assert_int_equal(fs_fleet_alloc_group(&f, 2, 8, 13), -1);  /* nothing taken */
	assert_int_equal(fs_fleet_gpus_free(&f), 12);
	assert_int_equal(fs_fleet_owners_on(&f, 0, owners), 2);   /* the job and the group of 2 */
	assert_int_equal(fs_fleet_owners_on(&f, 1, owners), 1);
	assert_int_equal(owners[0], 11);
	/* two groups of 4 in one placement: node 1 (4 left) first, then node 2 */
	fs_fleet_release(&f, g4);
	fs_fleet_release(&f, g2);
	g4 = fs_fleet_alloc_group(&f, 3, 4, 14);
	assert_true(g4 >= 0);
	assert_int_equal(fs_fleet_placement_gpus(&f, g4), 12);
	assert_int_equal(f.free[0], 2);
	assert_int_equal(f.free[1], 0);
	assert_int_equal(f.free[2], 4);
	fs_fleet_check(&f);
	fs_fleet_release(&f, g4);
	fs_fleet_release(&f, job);
	fs_fleet_check(&f);
	assert_int_equal(f.n_whole_free, 3);
	fs_fleet_fini(&f);
}

/*
 * 4 nodes of 4, a job of 6: node 0 (4), then the first available node, which
 * is node 3 (node 0 left the available set by swapping the last one into its
 * place): 2 there. Retiring 3: idle nodes 1 and 2 go at once; node 0 (busy,
 * oldest) drains. Installed 8 (nodes 0 and 3), free 2 (node 3). When the job
 * ends node 0 retires: installed 4, all free.
 */
static void test_fleet_retire_idle_first_then_drain(void **state)
{
	struct fs_fleet f;
	struct fs_error e;
	int32_t job;

	(void)state;
	assert_int_equal(fs_fleet_init(&f, 4, 4, &e), FS_OK);
	job = fs_fleet_alloc(&f, 6, 0);
	assert_int_equal(fs_fleet_retire_nodes(&f, 3), 2);
	fs_fleet_check(&f);
	assert_int_equal(f.gpus_total, 8);
	assert_int_equal(f.n_draining, 1);
	assert_int_equal(fs_fleet_gpus_free(&f), 2);
	assert_int_equal(f.free[3], 2);
	assert_int_equal(f.state[1], FS_NODE_RETIRED);
	assert_int_equal(f.state[2], FS_NODE_RETIRED);
	assert_true(f.draining[0]);
	fs_fleet_release(&f, job);
	fs_fleet_check(&f);
	assert_int_equal(f.gpus_total, 4);
	assert_int_equal(f.state[0], FS_NODE_RETIRED);
	assert_int_equal(fs_fleet_gpus_free(&f), 4);
	assert_int_equal(f.n_draining, 0);
	fs_fleet_fini(&f);
}

/* A pool that starts empty and grows; a node down and back up. */
static void test_fleet_add_down_up(void **state)
{
	struct fs_fleet f;
	struct fs_error e;

	(void)state;
	assert_int_equal(fs_fleet_init_max(&f, 0, 3, 8, &e), FS_OK);
	assert_int_equal(f.gpus_total, 0);
	fs_fleet_check(&f);
	assert_int_equal(fs_fleet_add_nodes(&f, 2), 0);
	assert_int_equal(fs_fleet_add_nodes(&f, 1), 2);
	assert_int_equal(f.gpus_total, 24);
	assert_int_equal(fs_fleet_gpus_free(&f), 24);
	assert_true(fs_fleet_node_down(&f, 1));
	fs_fleet_check(&f);
	assert_int_equal(f.gpus_down, 8);
	assert_int_equal(f.gpus_total, 24);          /* still installed */
	assert_int_equal(fs_fleet_gpus_free(&f), 16);
	/* a job of 16 takes the two up nodes, not the down one */
	int32_t job = fs_fleet_alloc(&f, 16, 5);
	int32_t owners[8];
	assert_int_equal(fs_fleet_owners_on(&f, 1, owners), 0);
	fs_fleet_node_up(&f, 1);
	fs_fleet_check(&f);
	assert_int_equal(f.gpus_down, 0);
	assert_int_equal(fs_fleet_gpus_free(&f), 8);
	assert_int_equal(f.free[1], 8);
	/* a down node that is retired leaves the installed count */
	fs_fleet_release(&f, job);
	assert_true(fs_fleet_node_down(&f, 2));
	assert_int_equal(fs_fleet_retire_nodes(&f, 3), 3);
	fs_fleet_check(&f);
	assert_int_equal(f.gpus_total, 0);
	assert_int_equal(f.gpus_down, 0);
	fs_fleet_fini(&f);
}

/*
 * 2 nodes of 8: A holds node 0 (8), B 4 and C 2 of node 1 (2 free). One
 * group of 8 needs a whole node: stopping C leaves 4 free on node 1, then B
 * 8: two placements. Two groups of 4 with A alone: node 0 frees 8 = two
 * groups. Three groups of 4 with only C: 4 free on node 1, one group: no.
 */
static void test_fleet_victims_for_groups(void **state)
{
	struct fs_fleet f;
	struct fs_error e;
	int32_t a, b, c, order[3];

	(void)state;
	assert_int_equal(fs_fleet_init(&f, 2, 8, &e), FS_OK);
	a = fs_fleet_alloc(&f, 8, 1);
	b = fs_fleet_alloc(&f, 4, 2);
	c = fs_fleet_alloc(&f, 2, 3);
	assert_int_equal(f.free[1], 2);
	order[0] = c, order[1] = b, order[2] = a;
	assert_int_equal(fs_fleet_victims(&f, 1, 8, order, 3), 2);
	assert_int_equal(fs_fleet_victims(&f, 1, 2, order, 3), 0);   /* fits already */
	order[0] = a;
	assert_int_equal(fs_fleet_victims(&f, 2, 4, order, 1), 1);
	order[0] = c;
	assert_int_equal(fs_fleet_victims(&f, 3, 4, order, 1), -1);
	assert_int_equal(fs_fleet_gpus_free(&f), 2);                 /* nothing changed */
	fs_fleet_check(&f);
	fs_fleet_release(&f, a);
	fs_fleet_release(&f, b);
	fs_fleet_release(&f, c);
	fs_fleet_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fleet_groups_best_fit),
		cmocka_unit_test(test_fleet_retire_idle_first_then_drain),
		cmocka_unit_test(test_fleet_add_down_up),
		cmocka_unit_test(test_fleet_victims_for_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
