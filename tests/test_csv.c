/*
 * test_csv.c - the RFC 4180 reader: plain and quoted fields, doubled quotes,
 * commas and newlines inside quotes, empty fields, CRLF endings, line
 * counting, and records that do not fit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fleetsim/csv.h"
#include "testutil.h"

#define MAXF 8

static void test_csv_plain_and_quoted(void **state)
{
	const char *text = "gpu,model,note\nA100,\"Llama, 7B\",\"say \"\"hi\"\"\"\n";
	const char *cur = text;
	char buf[128], *f[MAXF];
	int line = 0;

	(void)state;
	assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, MAXF, &line), 3);
	assert_string_equal(f[0], "gpu");
	assert_string_equal(f[2], "note");
	assert_int_equal(fs_csv_col(f, 3, "model"), 1);
	assert_int_equal(fs_csv_col(f, 3, "Model"), -1); /* header names are exact */
	assert_int_equal(line, 1);
	assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, MAXF, &line), 3);
	assert_string_equal(f[0], "A100");
	assert_string_equal(f[1], "Llama, 7B");
	assert_string_equal(f[2], "say \"hi\"");
	assert_int_equal(line, 2);
	assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, MAXF, &line), 0);
}

static void test_csv_empty_fields(void **state)
{
	const char *cur = ",x,,\"\"\n";
	char buf[64], *f[MAXF];

	(void)state;
	assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, MAXF, NULL), 4);
	assert_string_equal(f[0], "");
	assert_string_equal(f[1], "x");
	assert_string_equal(f[2], "");
	assert_string_equal(f[3], "");
}

static void test_csv_crlf_and_last_line_without_newline(void **state)
{
	const char *cur = "a,b\r\nc,d";
	char buf[64], *f[MAXF];
	int line = 0;

	(void)state;
	assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, MAXF, &line), 2);
	assert_string_equal(f[1], "b"); /* no stray \r */
	assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, MAXF, &line), 2);
	assert_string_equal(f[0], "c");
	assert_string_equal(f[1], "d");
	assert_int_equal(line, 1); /* the last record has no newline to count */
	assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, MAXF, &line), 0);
}

static void test_csv_newline_in_quotes_counts_lines(void **state)
{
	const char *cur = "h\n\"two\nlines\",x\nnext,y\n";
	char buf[64], *f[MAXF];
	int line = 0;

	(void)state;
	assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, MAXF, &line), 1);
	assert_int_equal(line, 1);
	assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, MAXF, &line), 2);
	assert_string_equal(f[0], "two\nlines");
	assert_int_equal(line, 3);
	/* the record after it starts on line 4 of the text */
	assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, MAXF, &line), 2);
	assert_string_equal(f[0], "next");
	assert_int_equal(line, 4);
}

static void test_csv_bad_rows(void **state)
{
	const char *cur;
	char buf[8], *f[2];

	(void)state;
	cur = "a,b,c\n"; /* three fields, room for two */
	assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, 2, NULL), -1);
	cur = "abcdefghij\n"; /* ten bytes, buffer of eight */
	assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, 2, NULL), -1);
	cur = "abcdefg\n"; /* exactly fills the buffer with its NUL */
	assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, 2, NULL), 1);
	assert_string_equal(f[0], "abcdefg");
	cur = "";
	assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, 2, NULL), 0);
	{
		/* the counter tells the caller which line the bad record starts on */
		int line = 0, start;
		cur = "h,i\nok,1\nx,y,z\n";
		assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, 2, &line), 2);
		assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, 2, &line), 2);
		start = line + 1;
		assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, 2, &line), -1);
		assert_int_equal(start, 3);
	}
	cur = NULL;
	assert_int_equal(fs_csv_next(&cur, buf, sizeof(buf), f, 2, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_plain_and_quoted),
		cmocka_unit_test(test_csv_empty_fields),
		cmocka_unit_test(test_csv_crlf_and_last_line_without_newline),
		cmocka_unit_test(test_csv_newline_in_quotes_counts_lines),
		cmocka_unit_test(test_csv_bad_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
