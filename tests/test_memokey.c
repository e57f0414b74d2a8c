/*
 * test_memokey.c - memo keys: every catalog field of a GPU or a model
 * changes the key (so a new field cannot leave a memo stale), the field
 * tables cover their records, the training memo misses after any field
 * changes, and the key words and hash behave.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdalign.h>
#include <string.h>

#include "fleetsim/catalog.h"
#include "fleetsim/memokey.h"
#include "fleetsim/replica.h"
#include "fleetsim/train.h"
#include "fleetsim/util.h"
#include "testutil.h"

#define WORDS 64

static void key_of(const struct fs_field *f, size_t n, const void *rec, uint64_t *w, struct fs_key *k)
{
	fs_key_init(k, w, WORDS);
	fs_fields_key(k, f, n, rec);
}

/* Changes field f of rec to a different value of its type. */
static void perturb(const struct fs_field *f, void *rec)
{
	char *p = (char *)rec + f->offset;
	double d;
	int v;
	bool b;

	switch (f->type) {
	case FS_FIELD_DOUBLE:
		memcpy(&d, p, sizeof(d));
		d = d * 1.5 + 0.25;
		memcpy(p, &d, sizeof(d));
		break;
	case FS_FIELD_INT:
		memcpy(&v, p, sizeof(v));
		v++;
		memcpy(p, &v, sizeof(v));
		break;
	case FS_FIELD_BOOL:
		memcpy(&b, p, sizeof(b));
		b = !b;
		memcpy(p, &b, sizeof(b));
		break;
	case FS_FIELD_STRING:
		p[0] = p[0] == '#' ? '%' : '#';
		if (f->size > 1 && p[0] && !p[1])
			p[1] = '\0';
		break;
	}
}

static void every_field_changes_key(const struct fs_field *f, size_t n, const void *rec, size_t size)
{
	unsigned char copy[1024];
	uint64_t w0[WORDS], w1[WORDS];
	struct fs_key k0, k1;

	assert_true(size <= sizeof(copy));
	key_of(f, n, rec, w0, &k0);
	assert_int_equal(k0.n, n); /* one word per field */
	memcpy(copy, rec, size);
	key_of(f, n, copy, w1, &k1);
	assert_true(fs_key_equal(&k0, &k1));
	assert_true(fs_key_hash(&k0) == fs_key_hash(&k1));
	for (size_t i = 0; i < n; i++) {
		memcpy(copy, rec, size);
		perturb(&f[i], copy);
		key_of(f, n, copy, w1, &k1);
		if (fs_key_equal(&k0, &k1))
			fail_msg("changing field '%s' leaves the key unchanged", f[i].key);
		assert_true(fs_key_hash(&k0) != fs_key_hash(&k1));
	}
}

static void test_memokey_every_gpu_field_changes_key(void **state)
{
	size_t n;
	const struct fs_field *f = fs_gpu_fields(&n);

	(void)state;
	every_field_changes_key(f, n, tu_gpu("A100"), sizeof(struct fs_gpu));
	every_field_changes_key(f, n, tu_gpu("H100"), sizeof(struct fs_gpu));
}

static void test_memokey_every_llm_field_changes_key(void **state)
{
	size_t n;
	const struct fs_field *f = fs_llm_fields(&n);

	(void)state;
	every_field_changes_key(f, n, tu_llm("Llama-2-7B"), sizeof(struct fs_llm));
}

static size_t align_of(const struct fs_field *f)
{
	switch (f->type) {
	case FS_FIELD_DOUBLE: return alignof(double);
	case FS_FIELD_INT: return alignof(int);
	case FS_FIELD_BOOL: return alignof(bool);
	default: return 1;
	}
}

/*
 * The fields, in offset order, leave no gap larger than the padding the next
 * one needs, and end within the record's final padding: a member added to
 * the struct without a row in the table is found. Returns the field after
 * the first uncovered bytes ("(end)" for the tail), or NULL when covered.
 */
static const char *uncovered(const struct fs_field *f, size_t n, size_t size, size_t record_align)
{
	size_t end = 0;

	for (size_t done = 0; done < n; done++) {
		const struct fs_field *next = NULL;
		for (size_t i = 0; i < n; i++)
			if (f[i].offset >= end && (!next || f[i].offset < next->offset))
				next = &f[i];
		if (!next)
			return "(overlap)";
		if (next->offset - end >= align_of(next))
			return next->key;
		end = next->offset + next->size;
	}
	return size - end < record_align ? NULL : "(end)";
}

struct probe_rec {
	char name[8];
	double a;
	int forgotten; /* no row below */
	double b;
	bool flag;
};

#define PF(k, t, m) { k, t, offsetof(struct probe_rec, m), sizeof(((struct probe_rec *)0)->m), 0, 0, false, "", "" }

static void test_memokey_field_tables_cover_records(void **state)
{
	static const struct fs_field probe_full[] = {
		PF("name", FS_FIELD_STRING, name), PF("a", FS_FIELD_DOUBLE, a),
		PF("forgotten", FS_FIELD_INT, forgotten), PF("b", FS_FIELD_DOUBLE, b),
		PF("flag", FS_FIELD_BOOL, flag),
	};
	static const struct fs_field probe_missing[] = {
		PF("name", FS_FIELD_STRING, name), PF("a", FS_FIELD_DOUBLE, a),
		PF("b", FS_FIELD_DOUBLE, b), PF("flag", FS_FIELD_BOOL, flag),
	};
	static const struct fs_field probe_no_tail[] = {
		PF("name", FS_FIELD_STRING, name), PF("a", FS_FIELD_DOUBLE, a),
		PF("forgotten", FS_FIELD_INT, forgotten), PF("b", FS_FIELD_DOUBLE, b),
	};
	size_t n;
	const struct fs_field *f;
	const char *gap;

	(void)state;
	/* the check itself: it finds a forgotten member in the middle and at the end */
	assert_null(uncovered(probe_full, 5, sizeof(struct probe_rec), alignof(struct probe_rec)));
	gap = uncovered(probe_missing, 4, sizeof(struct probe_rec), alignof(struct probe_rec));
	assert_non_null(gap);
	assert_string_equal(gap, "b");
	assert_non_null(uncovered(probe_no_tail, 4, sizeof(struct probe_rec), alignof(struct probe_rec)));
	/* the catalog's tables */
	f = fs_gpu_fields(&n);
	gap = uncovered(f, n, sizeof(struct fs_gpu), alignof(struct fs_gpu));
	if (gap)
		fail_msg("struct fs_gpu has bytes in no field, before '%s'", gap);
	f = fs_llm_fields(&n);
	gap = uncovered(f, n, sizeof(struct fs_llm), alignof(struct fs_llm));
	if (gap)
		fail_msg("struct fs_llm has bytes in no field, before '%s'", gap);
}

static void test_memokey_train_memo_misses_after_any_change(void **state)
{
	struct fs_train_memo *memo;
	struct fs_train_request rq;
	struct fs_train_result r;
	struct fs_gpu g = *tu_gpu("A100");
	struct fs_llm m = *tu_llm("Llama-2-7B");
	struct fs_error e;
	size_t hits, lookups;

	(void)state;
	assert_int_equal(fs_train_memo_create(&memo, 64), FS_OK);
	fs_train_request_init(&rq);
	rq.gpu = &g;
	rq.model = &m;
	rq.n_gpus = 8;
	rq.seq_len = 4096;
	assert_int_equal(fs_train_plan_best(memo, &rq, &r, &e), FS_OK);
	assert_int_equal(fs_train_plan_best(memo, &rq, &r, &e), FS_OK);
	fs_train_memo_stats(memo, &hits, &lookups);
	assert_int_equal(hits, 1);
	/* fields no model reads still count: the key cannot know which do */
	fs_strlcpy(g.source, "another datasheet", sizeof(g.source));
	assert_int_equal(fs_train_plan_best(memo, &rq, &r, &e), FS_OK);
	m.max_seq++;
	assert_int_equal(fs_train_plan_best(memo, &rq, &r, &e), FS_OK);
	fs_train_memo_stats(memo, &hits, &lookups);
	assert_int_equal(lookups, 4);
	assert_int_equal(hits, 1);
	assert_int_equal(fs_train_plan_best(memo, &rq, &r, &e), FS_OK);
	fs_train_memo_stats(memo, &hits, &lookups);
	assert_int_equal(hits, 2);
	fs_train_memo_destroy(memo);
}

/*
 * The capacity memo: the serving engine (once missing from its key) and a
 * GPU field no serving formula reads each give a new entry; the same
 * contents at another address do not.
 */
static void test_memokey_replica_memo_keys_every_input(void **state)
{
	struct fs_replica_memo *memo;
	struct fs_replica_spec sp;
	const struct fs_replica_curve *c;
	struct fs_gpu g = *tu_gpu("H100");
	struct fs_llm m = *tu_llm("Llama-2-7B");

	(void)state;
	memset(&sp, 0, sizeof(sp));
	sp.serve.llm = &m;
	sp.serve.gpu = &g;
	sp.serve.tp = 1;
	sp.serve.precision = FS_PREC_BF16;
	sp.sched = fs_replica_sched_default();
	sp.input_tokens = fs_dist_fixed(300);
	sp.output_tokens = fs_dist_fixed(60);
	sp.slo.ttft_p99_s = 2.0;
	sp.slo.tpot_p99_s = 0.2;
	sp.n_requests = 200;
	sp.seed = 4;
	assert_int_equal(fs_replica_memo_create(&memo), FS_OK);
	assert_int_equal(fs_replica_capacity(memo, &sp, &c, NULL), FS_OK);
	sp.serve.llm = tu_llm("Llama-2-7B"); /* same contents */
	assert_int_equal(fs_replica_capacity(memo, &sp, &c, NULL), FS_OK);
	assert_int_equal(fs_replica_memo_size(memo), 1);
	sp.serve.engine = FS_ENGINE_VLLM;
	assert_int_equal(fs_replica_capacity(memo, &sp, &c, NULL), FS_OK);
	assert_int_equal(fs_replica_memo_size(memo), 2);
	g.mtbf_h *= 2;
	assert_int_equal(fs_replica_capacity(memo, &sp, &c, NULL), FS_OK);
	assert_int_equal(fs_replica_memo_size(memo), 3);
	fs_replica_memo_destroy(memo);
}

static void test_memokey_words_and_hash(void **state)
{
	uint64_t wa[8], wb[8];
	struct fs_key a, b;
	char s[100];

	(void)state;
	fs_key_init(&a, wa, 8);
	fs_key_init(&b, wb, 8);
	fs_key_double(&a, 0.0);
	fs_key_double(&b, -0.0);
	assert_true(fs_key_equal(&a, &b)); /* equal numbers, equal keys */
	fs_key_str(&a, "abc", 8);
	fs_key_str(&b, "abc\0zzz", 8); /* bytes after the NUL do not count */
	assert_true(fs_key_equal(&a, &b));
	fs_key_u64(&a, 1);
	assert_false(fs_key_equal(&a, &b)); /* different lengths */
	/* one changed byte at any position of a long string changes its hash */
	memset(s, 'q', sizeof(s));
	for (size_t len = 1; len <= sizeof(s); len += 7) {
		uint64_t h0 = fs_hash_bytes(s, len);
		assert_true(fs_hash_bytes(s, len - 1) != h0);
		for (size_t i = 0; i < len; i++) {
			s[i] = 'r';
			assert_true(fs_hash_bytes(s, len) != h0);
			s[i] = 'q';
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memokey_every_gpu_field_changes_key),
		cmocka_unit_test(test_memokey_every_llm_field_changes_key),
		cmocka_unit_test(test_memokey_field_tables_cover_records),
		cmocka_unit_test(test_memokey_train_memo_misses_after_any_change),
		cmocka_unit_test(test_memokey_replica_memo_keys_every_input),
		cmocka_unit_test(test_memokey_words_and_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
