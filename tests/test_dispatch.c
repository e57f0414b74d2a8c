/*
 * test_dispatch.c - the work-list dispatcher (dispatch.h): every item taken
 * once with its own bytes for 1, 2 and 4 workers and uneven costs, a worker
 * killed on its first item (the item run again, the same bytes), a failing
 * item, an item that kills every worker it meets, zero items; and, when
 * built with FLEETSIM_MPI, the same under mpirun (2 and 3 ranks) and an
 * outgrow analysis on MPI ranks equal to one in process.
 *
 * `test_dispatch mpi` runs only the MPI group (ctest label mpi);
 * `test_dispatch --mpi-child N FAULT` is what those tests start under mpirun.
 */
#include "testutil.h"

#include "fleetsim/dispatch.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define N_ITEMS 48
#define BIG_ITEM 5                /* its result is 2.4 MB: frames larger than any buffer */

/* What item k's result is, independently of the dispatcher: words(k) words,
 * word j = k * 1000003 + j. */
static size_t words(size_t k)
{
	return k == BIG_ITEM ? 300000 : k % 13 + 1;
}

static uint64_t word(size_t k, size_t j)
{
	return (uint64_t)k * 1000003u + j;
}

struct tctx {
	size_t n;
	int seen[256];
	unsigned char *bytes[256];  /* each item's bytes as taken */
	size_t len[256];
	bool bad_bytes;
	int n_notes;
	char note[512];
	size_t fail_at[2];          /* items whose work fails (SIZE_MAX: none) */
	size_t kill_at;             /* item whose work kills its process, every time */
};

static void spin_s(double s)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec) < s);
}

static enum fs_status work(void *vctx, size_t item, struct fs_dbuf *out, struct fs_error *e)
{
	struct tctx *c = vctx;

	if (item == c->kill_at)
		raise(SIGKILL);
	if (item == c->fail_at[0] || item == c->fail_at[1])
		return fs_error_set(e, FS_ERR_INPUT, "t.cfg", (int)item, "items", "bad item %zu", item);
	/* costs differ by a factor of 100: every 7th item 20 ms, the others 0.2 ms */
	spin_s(item % 7 == 3 ? 0.02 : 0.0002);
	for (size_t j = 0; j < words(item); j++) {
		uint64_t w = word(item, j);
		if (fs_dbuf_put(out, &w, sizeof(w)))
			return FS_ERR_NOMEM;
	}
	return FS_OK;
}

static enum fs_status take(void *vctx, size_t item, const void *data, size_t n, struct fs_error *e)
{
	struct tctx *c = vctx;
	const unsigned char *p = data;

	(void)e;
	assert_true(item < c->n);
	c->seen[item]++;
	if (n != words(item) * sizeof(uint64_t))
		c->bad_bytes = true;
	for (size_t j = 0; !c->bad_bytes && j < words(item); j++) {
		uint64_t w;
		memcpy(&w, p + j * sizeof(w), sizeof(w));
		c->bad_bytes = w != word(item, j);
	}
	free(c->bytes[item]);
	c->bytes[item] = malloc(n ? n : 1);
	assert_non_null(c->bytes[item]);
	memcpy(c->bytes[item], data, n);
	c->len[item] = n;
	return FS_OK;
}

static void note(void *vctx, const char *msg)
{
	struct tctx *c = vctx;

	c->n_notes++;
	snprintf(c->note, sizeof(c->note), "%s", msg);
}

static void tctx_init(struct tctx *c, size_t n)
{
	memset(c, 0, sizeof(*c));
	c->n = n;
	c->fail_at[0] = c->fail_at[1] = c->kill_at = SIZE_MAX;
}

static void tctx_fini(struct tctx *c)
{
	for (size_t k = 0; k < 256; k++)
		free(c->bytes[k]);
}

static enum fs_status run(struct tctx *c, int jobs, size_t fault, const size_t *order,
			  struct fs_dispatch_stats *st, struct fs_error *e)
{
	struct fs_dispatch_params p;
	bool writer = false;
	enum fs_status s;

	fs_dispatch_params_init(&p);
	p.jobs = jobs;
	p.fault_item = fault;
	p.note = note;
	p.cb_ctx = c;
	fs_error_clear(e);
	s = fs_dispatch_run(c->n, order, work, take, c, &p, &writer, st, e);
	assert_true(writer);
	return s;
}

/* Every item is taken exactly once, with its own bytes, for 1, 2 and 4 workers. */
static void test_dispatch_every_item_once(void **state)
{
	static const int jobs[3] = { 1, 2, 4 };
	size_t order[N_ITEMS];

	(void)state;
	for (size_t k = 0; k < N_ITEMS; k++)
		order[k] = N_ITEMS - 1 - k;
	for (int t = 0; t < 6; t++) {
		struct tctx c;
		struct fs_dispatch_stats st;
		struct fs_error e;

		tctx_init(&c, N_ITEMS);
		assert_int_equal(run(&c, jobs[t % 3], SIZE_MAX, t < 3 ? NULL : order, &st, &e), FS_OK);
		for (size_t k = 0; k < N_ITEMS; k++)
			assert_int_equal(c.seen[k], 1);
		assert_false(c.bad_bytes);
		assert_int_equal(st.n_done, N_ITEMS);
		assert_int_equal(st.n_workers, jobs[t % 3]);
		assert_string_equal(st.backend, jobs[t % 3] == 1 ? "in-process" : "processes");
		assert_int_equal(st.n_dead, 0);
		assert_int_equal(c.n_notes, 0);
		tctx_fini(&c);
	}
}

/* A shard's work list: item ids beyond the list's length (every other item), a
 * fault on the largest id; each listed item once, the others never. */
static void test_dispatch_sparse_ids(void **state)
{
	size_t order[N_ITEMS / 2];
	const size_t last = 2 * (N_ITEMS / 2) - 1;

	(void)state;
	for (size_t k = 0; k < N_ITEMS / 2; k++)
		order[k] = 2 * k + 1;
	for (int jobs = 1; jobs <= 2; jobs++) {
		struct tctx c;
		struct fs_dispatch_params p;
		struct fs_dispatch_stats st;
		struct fs_error e;
		bool writer = false;

		tctx_init(&c, N_ITEMS);
		fs_dispatch_params_init(&p);
		p.jobs = jobs;
		p.fault_item = jobs == 2 ? last : SIZE_MAX;
		p.note = note;
		p.cb_ctx = &c;
		assert_int_equal(fs_dispatch_run(N_ITEMS / 2, order, work, take, &c, &p, &writer, &st, &e),
				 FS_OK);
		for (size_t k = 0; k < N_ITEMS; k++)
			assert_int_equal(c.seen[k], k % 2);
		assert_false(c.bad_bytes);
		assert_int_equal(st.n_done, N_ITEMS / 2);
		assert_int_equal(st.n_reissued, jobs == 2 ? 1 : 0);
		tctx_fini(&c);
	}
}

/* The worker that first takes item 7 dies; the item runs again, with the same bytes. */
static void test_dispatch_fault_reissued(void **state)
{
	struct tctx a, b;
	struct fs_dispatch_stats st;
	struct fs_error e;

	(void)state;
	tctx_init(&a, N_ITEMS);
	tctx_init(&b, N_ITEMS);
	assert_int_equal(run(&a, 1, SIZE_MAX, NULL, &st, &e), FS_OK);
	assert_int_equal(run(&b, 2, 7, NULL, &st, &e), FS_OK);
	assert_int_equal(st.n_dead, 1);
	assert_int_equal(st.n_reissued, 1);
	assert_int_equal(st.n_done, N_ITEMS);
	assert_int_equal(b.n_notes, 1);
	assert_non_null(strstr(b.note, "died (signal 9) while running item 7; item reissued"));
	assert_non_null(strstr(b.note, "(pid "));
	for (size_t k = 0; k < N_ITEMS; k++) {
		assert_int_equal(b.seen[k], 1);
		assert_int_equal(a.len[k], b.len[k]);
		assert_memory_equal(a.bytes[k], b.bytes[k], a.len[k]);
	}
	tctx_fini(&a);
	tctx_fini(&b);
}

/* Items 30 and 9 fail: the run returns item 9's error (the lowest), for any workers. */
static void test_dispatch_item_fails(void **state)
{
	static const int jobs[3] = { 1, 2, 4 };

	(void)state;
	alarm(120);   /* a hang fails the test instead of stalling the suite */
	for (int t = 0; t < 3; t++) {
		struct tctx c;
		struct fs_dispatch_stats st;
		struct fs_error e;
		char buf[1024];

		tctx_init(&c, N_ITEMS);
		c.fail_at[0] = 30;
		c.fail_at[1] = 9;
		assert_int_equal(run(&c, jobs[t], SIZE_MAX, NULL, &st, &e), FS_ERR_INPUT);
		fs_error_format(&e, buf, sizeof(buf));
		assert_string_equal(buf, "t.cfg:9: items: bad item 9");
		assert_true(st.n_done < N_ITEMS);
		assert_int_equal(c.seen[9], 0);
		tctx_fini(&c);
	}
	alarm(0);
}

/* Item 11 kills every worker that runs it: after 3 deaths the run fails naming it. */
static void test_dispatch_item_kills_every_worker(void **state)
{
	struct tctx c;
	struct fs_dispatch_stats st;
	struct fs_error e;

	(void)state;
	alarm(120);
	tctx_init(&c, N_ITEMS);
	c.kill_at = 11;
	assert_int_equal(run(&c, 2, SIZE_MAX, NULL, &st, &e), FS_ERR_SIM);
	assert_non_null(strstr(e.msg, "item 11 killed its worker on each of 3 attempts"));
	assert_int_equal(st.n_dead, FS_DISPATCH_MAX_ATTEMPTS);
	assert_int_equal(st.n_reissued, FS_DISPATCH_MAX_ATTEMPTS - 1);
	assert_int_equal(c.n_notes, FS_DISPATCH_MAX_ATTEMPTS);
	assert_non_null(strstr(c.note, "giving up"));
	assert_int_equal(c.seen[11], 0);
	tctx_fini(&c);
	alarm(0);
}

/* No items: nothing runs, nothing is taken, for 1 and 4 workers. */
static void test_dispatch_zero_items(void **state)
{
	(void)state;
	for (int jobs = 1; jobs <= 4; jobs += 3) {
		struct tctx c;
		struct fs_dispatch_stats st;
		struct fs_error e;

		tctx_init(&c, 0);
		assert_int_equal(run(&c, jobs, SIZE_MAX, NULL, &st, &e), FS_OK);
		assert_int_equal(st.n_done, 0);
		for (size_t k = 0; k < 256; k++)
			assert_int_equal(c.seen[k], 0);
	}
}

/* ---- MPI ------------------------------------------------------------------ */

#ifdef FLEETSIM_MPI
static const char mpirun[] =
	"OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader "
	"mpirun --oversubscribe";

static int shell(const char *cmd, char *out, size_t n)
{
	FILE *p = popen(cmd, "r");
	size_t k;
	int st;

	assert_non_null(p);
	k = fread(out, 1, n - 1, p);
	out[k] = '\0';
	while (fread((char[4096]){ 0 }, 1, 4096, p) > 0)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void mpi_child_run(int np, int fault, const char *want)
{
	char cmd[4096], out[8192];

	snprintf(cmd, sizeof(cmd), "%s -np %d /proc/%ld/exe --mpi-child %d 2>&1", mpirun, np,
		 (long)getpid(), fault);
	if (shell(cmd, out, sizeof(out)) != 0 || !strstr(out, want))
		fail_msg("%s\n-> %s (wanted '%s')", cmd, out, want);
}
#endif

/* 2 ranks: rank 0 writes, rank 1 works; every item once with its bytes. */
static void test_dispatch_mpi_np2(void **state)
{
	(void)state;
#ifdef FLEETSIM_MPI
	mpi_child_run(2, -1, "mpi-child ok: backend mpi, 1 workers, 48 done, 0 dead, 0 reissued");
#else
	print_message("built without FLEETSIM_MPI: the MPI test is skipped\n");
	skip();
#endif
}

/* 3 ranks, item 7 kills the first worker child that takes it: reissued, same bytes. */
static void test_dispatch_mpi_np3_fault(void **state)
{
	(void)state;
#ifdef FLEETSIM_MPI
	mpi_child_run(3, 7, "mpi-child ok: backend mpi, 2 workers, 48 done, 1 dead, 1 reissued");
#else
	print_message("built without FLEETSIM_MPI: the MPI test is skipped\n");
	skip();
#endif
}

/* A sweep on 3 ranks stores the rows of the same sweep run in one process. */
static void test_dispatch_mpi_sweep(void **state)
{
	(void)state;
#ifdef FLEETSIM_MPI
	static const char q[] = "SELECT item, seed, n_jobs, n_done_in_horizon, printf('%.17g', "
				"usd_per_month), printf('%.17g', mean_util_frac), "
				"printf('%.17g', serve_attainment_frac), first_fail_month "
				"FROM sweep_items ORDER BY item";
	const char *sweep = FLEETSIM_SOURCE_DIR "/tests/data/sweep-small.cfg";
	char cmd[4096], one[16384], many[16384];

	snprintf(cmd, sizeof(cmd), "%s sweep %s --db %s --quiet 2>&1 && sqlite3 %s \"%s\"",
		 FLEETSIM_BIN, sweep, tu_path("sw1.db"), tu_path("sw1.db"), q);
	assert_int_equal(shell(cmd, one, sizeof(one)), 0);
	snprintf(cmd, sizeof(cmd), "%s -np 3 %s sweep %s --db %s --quiet 2>/dev/null && sqlite3 %s \"%s\"",
		 mpirun, FLEETSIM_BIN, sweep, tu_path("swm.db"), tu_path("swm.db"), q);
	assert_int_equal(shell(cmd, many, sizeof(many)), 0);
	assert_non_null(strstr(one, "\n11|"));
	assert_string_equal(one, many);
#else
	print_message("built without FLEETSIM_MPI: the MPI test is skipped\n");
	skip();
#endif
}

/* Outgrow on 3 ranks gives the rows of outgrow in process, bit for bit. */
static void test_dispatch_mpi_outgrow(void **state)
{
	(void)state;
#ifdef FLEETSIM_MPI
	static const char text[] =
		"name = \"s\"; seed = 5; horizon_days = 91.0; train_model = \"first_order\";\n"
		"gpus = ( { name = \"G\"; " TU_GPU_G_FIELDS " } );\n"
		"models = ( { name = \"M\"; layers = 2; hidden = 64; heads = 4; ffn = 256;"
		" vocab = 1000; params_b = 1.0; max_seq = 1000; } );\n"
		"fleets = ( { name = \"small\"; gpu = \"G\"; nodes = 2; },\n"
		"           { name = \"large\"; gpu = \"G\"; nodes = 4; } );\n"
		"training = { streams = ( { name = \"ft\"; rate_per_day = 1.5;"
		" growth_per_month = 0.3; model = \"M\"; tokens = 4.0e10; gpus = 8;"
		" seq_len = 1000; } ); };\n"
		"criteria = ( { name = \"queue\"; kind = \"wait_p90_hours\"; stream = \"ft\";"
		" max = 6.0; } );\n";
	const char *f = tu_write("mpi.cfg", text);
	char cmd[4096], one[16384], many[16384];

	snprintf(cmd, sizeof(cmd), "%s outgrow %s --db %s --replications 4 --month 2 --jobs 1 "
		 "--format csv --quiet 2>&1", FLEETSIM_BIN, f, tu_path("one.db"));
	assert_int_equal(shell(cmd, one, sizeof(one)), 0);
	snprintf(cmd, sizeof(cmd), "%s -np 3 %s outgrow %s --db %s "
		 "--replications 4 --month 2 --format csv --quiet 2>/dev/null", mpirun,
		 FLEETSIM_BIN, f, tu_path("mpi.db"));
	assert_int_equal(shell(cmd, many, sizeof(many)), 0);
	assert_non_null(strstr(one, "\nsmall,16,"));
	assert_string_equal(one, many);
#else
	print_message("built without FLEETSIM_MPI: the MPI test is skipped\n");
	skip();
#endif
}

/* Under mpirun: every rank runs this; rank 0 checks and prints one line. */
static int mpi_child(int argc, char **argv)
{
	struct tctx *c = calloc(1, sizeof(*c));
	struct fs_dispatch_params p;
	struct fs_dispatch_stats st;
	struct fs_error e;
	bool writer = false, ok;
	enum fs_status s;

	fs_dispatch_init(&argc, &argv);
	if (!c)
		return 1;
	tctx_init(c, N_ITEMS);
	fs_dispatch_params_init(&p);
	p.jobs = 1;
	p.note = note;
	p.cb_ctx = c;
	if (argc > 1 && atoi(argv[1]) >= 0)
		p.fault_item = (size_t)atoi(argv[1]);
	s = fs_dispatch_run(c->n, NULL, work, take, c, &p, &writer, &st, &e);
	ok = s == FS_OK && !c->bad_bytes;
	if (writer) {
		for (size_t k = 0; k < N_ITEMS; k++)
			ok &= c->seen[k] == 1;
		printf("mpi-child %s: backend %s, %d workers, %zu done, %d dead, %zu reissued\n",
		       ok ? "ok" : "FAILED", st.backend, st.n_workers, st.n_done, st.n_dead,
		       st.n_reissued);
	}
	for (size_t k = 0; k < 256; k++)
		free(c->bytes[k]);
	free(c);
	fs_dispatch_finalize();
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch_every_item_once),
		cmocka_unit_test(test_dispatch_fault_reissued),
		cmocka_unit_test(test_dispatch_sparse_ids),
		cmocka_unit_test(test_dispatch_item_fails),
		cmocka_unit_test(test_dispatch_item_kills_every_worker),
		cmocka_unit_test(test_dispatch_zero_items),
	};
	const struct CMUnitTest mpi_tests[] = {
		cmocka_unit_test(test_dispatch_mpi_np2),
		cmocka_unit_test(test_dispatch_mpi_np3_fault),
		cmocka_unit_test(test_dispatch_mpi_outgrow),
		cmocka_unit_test(test_dispatch_mpi_sweep),
	};

	fs_gsl_errors_off();
	if (argc > 1 && strcmp(argv[1], "--mpi-child") == 0)
		return mpi_child(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "mpi") == 0)
		return cmocka_run_group_tests(mpi_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL) |
	       cmocka_run_group_tests(mpi_tests, NULL, NULL);
}
