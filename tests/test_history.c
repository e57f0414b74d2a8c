/*
 * test_history.c - history parsing: plain CSV (optional columns, fractional
 * times, the Philly columns), Slurm sacct exports (steps folded, cancelled
 * jobs, AllocTRES suffixes and typed GPUs, Elapsed forms, ISO submit times),
 * bad rows with their line and skip_bad_rows counting, the file checks,
 * relative path resolution and the speed-up rule by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fleetsim/history.h"
#include "testutil.h"

static enum fs_status parse(const char *text, enum fs_history_format f, bool skip,
			    struct fs_history *h, struct fs_error *e)
{
	fs_error_clear(e);
	return fs_history_parse(text, strlen(text), "h.csv", f, skip, tu_catalog(), h, e);
}

static void test_history_csv_columns(void **state)
{
	struct fs_history h;
	struct fs_error e;

	(void)state;
	assert_int_equal(parse("gpus,submit_s,duration_s,name,team,model,tokens,gpu_type,priority\n"
			       "8,0,3600,j1,vision,,,,\n"
			       "\n"
			       "1,12.625,2.5,j2,nlp,llama3-8b,1e9,H100-SXM5-80GB,3\n"
			       "2,12.625,7,,vision,,,,\n",
			       FS_HISTORY_CSV, false, &h, &e), FS_OK);
	assert_int_equal(h.n_jobs, 3);
	assert_int_equal(h.n_rows, 3);
	assert_string_equal(h.jobs[0].name, "j1");
	assert_int_equal(h.jobs[0].gpus, 8);
	assert_true(h.jobs[0].duration_s == 3600.0);
	assert_null(h.jobs[0].gpu);
	assert_true(h.jobs[1].submit_s == 12.625); /* fractional kept as given */
	assert_true(h.jobs[1].duration_s == 2.5);
	assert_ptr_equal(h.jobs[1].gpu, tu_gpu("H100-SXM5-80GB"));
	assert_ptr_equal(h.jobs[1].model, tu_llm("llama3-8b"));
	assert_true(h.jobs[1].tokens == 1e9);
	assert_int_equal(h.jobs[1].priority, 3);
	assert_int_equal(h.jobs[1].line, 4);
	assert_int_equal(h.n_teams, 2);
	assert_int_equal(h.jobs[0].team, 0);
	assert_int_equal(h.jobs[1].team, 1);
	assert_int_equal(h.jobs[2].team, 0);
	assert_true(h.span_s == 3600.0);
	assert_int_equal(strlen(h.sha256), 64);
	fs_history_fini(&h);
}

/* The public Philly trace's own columns; times from the earliest row. */
static void test_history_csv_philly_columns(void **state)
{
	struct fs_history h;
	struct fs_error e;

	(void)state;
	assert_int_equal(parse("timestamp,duration,num_gpus,gpu_time,cluster\n"
			       "2017-10-09 07:01:55,66.0,1,66.0,11cb48\n"
			       "2017-10-09 06:13:03,2951.0,1,2951.0,6214e9\n"
			       "2017-10-10 06:13:03,10,8,80,11cb48\n",
			       FS_HISTORY_CSV, false, &h, &e), FS_OK);
	assert_int_equal(h.n_jobs, 3);
	/* 07:01:55 - 06:13:03 = 48 min 52 s = 2932 s */
	assert_true(h.jobs[0].submit_s == 2932.0);
	assert_true(h.jobs[1].submit_s == 0.0);
	assert_true(h.jobs[2].submit_s == 86400.0);
	assert_int_equal(h.jobs[2].gpus, 8);
	assert_int_equal(h.n_teams, 2);
	fs_history_fini(&h);
}

static void test_history_csv_bad_rows(void **state)
{
	static const char text[] = "submit_s,duration_s,gpus\n"
				   "0,10,1\n"
				   "5,-1,1\n"        /* line 3: duration */
				   "6,10,zero\n"     /* line 4: gpus */
				   "x,10,1\n"        /* line 5: submit */
				   "7,10,2\n";
	struct fs_history h;
	struct fs_error e;

	(void)state;
	assert_int_equal(parse(text, FS_HISTORY_CSV, false, &h, &e), FS_ERR_INPUT);
	assert_int_equal(e.line, 3);
	assert_string_equal(e.file, "h.csv");
	assert_non_null(strstr(e.msg, "duration_s '-1'"));
	assert_int_equal(h.n_jobs, 0);
	assert_int_equal(parse(text, FS_HISTORY_CSV, true, &h, &e), FS_OK);
	assert_int_equal(h.n_jobs, 2);
	assert_int_equal(h.n_rows, 5);
	assert_int_equal(h.n_skipped, 3);
	fs_history_fini(&h);
	/* a missing required column; a model the catalog lacks; no jobs at all */
	assert_int_equal(parse("submit_s,gpus\n0,1\n", FS_HISTORY_CSV, false, &h, &e), FS_ERR_INPUT);
	assert_non_null(strstr(e.msg, "duration_s"));
	assert_int_equal(parse("submit_s,duration_s,gpus,model\n0,1,1,gpt-9\n", FS_HISTORY_CSV,
			       false, &h, &e), FS_ERR_INPUT);
	assert_int_equal(e.line, 2);
	assert_int_equal(parse("submit_s,duration_s,gpus\n", FS_HISTORY_CSV, false, &h, &e),
			 FS_ERR_INPUT);
	assert_int_equal(parse("submit_s,duration_s,gpus\n0,1,1\n", FS_HISTORY_CSV, false, &h, &e),
			 FS_OK);
	fs_history_fini(&h);
}

/* A Slurm export with the oddities real ones have. */
static const char sacct[] =
	"JobID|JobName|Partition|Account|User|AllocTRES|Submit|Start|End|Elapsed|State\n"
	"100|train|gpu|vision|ann|billing=64,cpu=64,gres/gpu=8,mem=500G,node=1|2024-05-01T12:00:00|"
	"2024-05-01T12:10:00|2024-05-02T14:10:00|1-02:00:00|COMPLETED\n"
	"100.batch|batch||vision|ann|cpu=64,gres/gpu=8,mem=500G,node=1|2024-05-01T12:10:00|"
	"2024-05-01T12:10:00|2024-05-02T14:10:00|1-02:00:00|COMPLETED\n"
	"100.extern|extern||vision|ann|billing=64,cpu=64,gres/gpu=8,mem=500G,node=1|"
	"2024-05-01T12:10:00|2024-05-01T12:10:00|2024-05-02T14:10:00|1-02:00:00|COMPLETED\n"
	"100.0|python||vision|ann|cpu=64,gres/gpu=8,mem=500G,node=1|2024-05-01T12:10:01|"
	"2024-05-01T12:10:01|2024-05-02T14:09:59|1-01:59:58|COMPLETED\n"
	"101|eval|gpu||bob|cpu=8,mem=16G,node=1,gres/gpu:h100=2|2024-05-01T11:59:30|"
	"2024-05-01T12:00:00|2024-05-01T12:05:30|05:30|FAILED\n"
	"102|wait|gpu|nlp|cat||2024-05-01T13:00:00|Unknown|2024-05-01T13:30:00|00:00:00|"
	"CANCELLED by 1234\n"
	"103|prep|cpu|nlp|cat|cpu=4,mem=8G,node=1|2024-05-01T13:00:00|2024-05-01T13:00:00|"
	"2024-05-01T13:01:00|00:01:00|COMPLETED\n"
	"104|late|gpu|nlp|cat|cpu=4,gres/gpu=1,mem=8G|2024-05-01T14:00:00|2024-05-01T14:00:00|"
	"2024-05-01T14:20:00|20:00.500|CANCELLED by 1234\n";

static void test_history_slurm_export(void **state)
{
	struct fs_history h;
	struct fs_error e;

	(void)state;
	assert_int_equal(parse(sacct, FS_HISTORY_SLURM, false, &h, &e), FS_OK);
	assert_int_equal(h.n_rows, 8);
	assert_int_equal(h.n_steps, 3);     /* 100.batch, 100.extern, 100.0 */
	assert_int_equal(h.n_cpu_only, 1);  /* 103 */
	assert_int_equal(h.n_jobs, 4);      /* 100, 101, 102 (cancelled), 104 */
	assert_int_equal(h.n_cancelled, 1);
	assert_string_equal(h.jobs[0].name, "100");
	assert_int_equal(h.jobs[0].gpus, 8);
	/* 1-02:00:00 = 26 h; submit 30 s after the earliest (101 at 11:59:30) */
	assert_true(h.jobs[0].duration_s == 26 * 3600.0);
	assert_true(h.jobs[0].submit_s == 30.0);
	assert_string_equal(h.jobs[1].name, "101");
	assert_int_equal(h.jobs[1].gpus, 2);          /* gres/gpu:h100=2 */
	assert_ptr_equal(h.jobs[1].gpu, tu_gpu("H100-SXM5-80GB"));
	assert_true(h.jobs[1].duration_s == 330.0);    /* 05:30 */
	assert_true(h.jobs[1].submit_s == 0.0);
	assert_string_equal(h.teams[h.jobs[1].team], "bob"); /* no Account: the User */
	assert_true(h.jobs[2].cancelled);
	assert_true(h.jobs[2].duration_s == 0.0);
	/* cancelled after it started: it ran, 20 min 0.5 s */
	assert_false(h.jobs[3].cancelled);
	assert_true(h.jobs[3].duration_s == 1200.5);
	assert_string_equal(h.teams[h.jobs[0].team], "vision");
	fs_history_fini(&h);
}

static void test_history_slurm_bad_rows(void **state)
{
	static const char text[] =
		"JobID|Submit|Start|End|Elapsed|AllocTRES|State|Account\n"
		"1|2024-05-01T00:00:00|2024-05-01T00:00:00|2024-05-01T01:00:00|01:00:00|gres/gpu=4|"
		"COMPLETED|a\n"
		"2|2024-13-01T00:00:00|2024-05-01T00:00:00|2024-05-01T01:00:00|01:00:00|gres/gpu=4|"
		"COMPLETED|a\n"
		"3|2024-05-01T00:00:00|2024-05-01T00:00:00|Unknown|00:10:00|gres/gpu=4|RUNNING|a\n"
		"9.batch|2024-05-01T00:00:00|2024-05-01T00:00:00|2024-05-01T01:00:00|01:00:00|"
		"gres/gpu=4|COMPLETED|a\n"
		"4|2024-05-01T00:00:00|2024-05-01T00:00:00|2024-05-01T01:00:00|1:2:3:4|gres/gpu=x|"
		"COMPLETED|a\n";
	struct fs_history h;
	struct fs_error e;

	(void)state;
	assert_int_equal(parse(text, FS_HISTORY_SLURM, false, &h, &e), FS_ERR_INPUT);
	assert_int_equal(e.line, 3);
	assert_non_null(strstr(e.msg, "Submit"));
	assert_int_equal(parse(text, FS_HISTORY_SLURM, true, &h, &e), FS_OK);
	assert_int_equal(h.n_jobs, 1);
	assert_int_equal(h.n_skipped, 4); /* bad date, running, orphan step, bad gres */
	fs_history_fini(&h);
	assert_int_equal(parse("JobID|Submit\n", FS_HISTORY_SLURM, false, &h, &e), FS_ERR_INPUT);
	assert_non_null(strstr(e.msg, "lacks Start"));
}

static void test_history_file_checks(void **state)
{
	struct fs_history h;
	struct fs_error e;
	char out[64];

	(void)state;
	fs_error_clear(&e);
	assert_int_equal(fs_history_load(tu_tmpdir(), FS_HISTORY_CSV, false, tu_catalog(), &h, &e),
			 FS_ERR_INPUT);
	assert_non_null(strstr(e.msg, "not a regular file"));
	assert_int_equal(fs_history_load("/nonexistent/h.csv", FS_HISTORY_CSV, false, tu_catalog(),
					 &h, &e), FS_ERR_INPUT);
	assert_int_equal(fs_history_load(tu_write("h1.csv", "submit_s,duration_s,gpus\n0,5,1\n"),
					 FS_HISTORY_CSV, false, tu_catalog(), &h, &e), FS_OK);
	assert_int_equal(h.n_jobs, 1);
	fs_history_fini(&h);
	/* relative paths are the scenario file's directory's */
	assert_true(fs_history_resolve("dir/sub/s.cfg", "jobs.csv", out, sizeof(out)));
	assert_string_equal(out, "dir/sub/jobs.csv");
	assert_true(fs_history_resolve("s.cfg", "jobs.csv", out, sizeof(out)));
	assert_string_equal(out, "jobs.csv");
	assert_true(fs_history_resolve("dir/s.cfg", "/abs/jobs.csv", out, sizeof(out)));
	assert_string_equal(out, "/abs/jobs.csv");
	assert_false(fs_history_resolve("dir/s.cfg", "a-very-long-name-that-does-not-fit-in-64-"
					 "bytes-of-output.csv", out, sizeof(out)));
}

/* (312 x 0.859) / (989.4 x 0.801) = 268.008 / 792.5094 = 0.338176 (models/gpus.cfg) */
static void test_history_speedup_rule(void **state)
{
	const struct fs_gpu *a100 = tu_gpu("A100-SXM4-80GB"), *h100 = tu_gpu("H100-SXM5-80GB");

	(void)state;
	assert_float_equal(fs_history_time_ratio(a100, h100), 0.338176, 1e-6);
	assert_float_equal(fs_history_time_ratio(h100, a100), 1 / 0.338176, 1e-5);
	assert_true(fs_history_time_ratio(a100, a100) == 1.0);
	assert_true(fs_history_time_ratio(NULL, h100) == 1.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_history_csv_columns),
		cmocka_unit_test(test_history_csv_philly_columns),
		cmocka_unit_test(test_history_csv_bad_rows),
		cmocka_unit_test(test_history_slurm_export),
		cmocka_unit_test(test_history_slurm_bad_rows),
		cmocka_unit_test(test_history_file_checks),
		cmocka_unit_test(test_history_speedup_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
