/*
 * train_search.c - plan search over the layout fields a request leaves open,
 * and the memo that caches whole searches (docs/models/training.md [6]).
 */
#include "fleetsim/train.h"
#include "train_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Largest micro-batch tried (sequences); larger ones never pay off in memory. */
#define MAX_MICRO_BATCH 64
/* Largest interleave factor tried. */
#define MAX_VP 8

/* ---- memo ---- */

/* Words of a request's key: the GPU, the model, and the request's own fields. */
#define KEY_N (FS_GPU_KEY_WORDS + FS_LLM_KEY_WORDS + 40)

struct memo_entry {
	bool used;
	uint64_t hash;
	size_t key_n;
	uint64_t key[KEY_N];
	enum fs_status status;
	struct fs_train_result result;
	struct fs_error err;
};

struct fs_train_memo {
	struct memo_entry *slots;
	size_t cap;
	size_t hits, lookups;
};

enum fs_status fs_train_memo_create(struct fs_train_memo **out, size_t capacity)
{
	struct fs_train_memo *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return FS_ERR_NOMEM;
	m->cap = capacity > 0 ? capacity : 1;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return FS_ERR_NOMEM;
	}
	*out = m;
	return FS_OK;
}

void fs_train_memo_destroy(struct fs_train_memo *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

void fs_train_memo_stats(const struct fs_train_memo *m, size_t *hits, size_t *lookups)
{
	*hits = m ? m->hits : 0;
	*lookups = m ? m->lookups : 0;
}

/*
 * Every input that the result depends on, by value: the GPU and model
 * records through their catalog field tables (every field, present and
 * future), then the request's own fields.
 */
static void make_key(const struct fs_train_request *rq, struct fs_key *k)
{
	const struct fs_train_plan *pl = &rq->plan;
	const struct fs_failure_params *fp = &rq->failure;

	fs_gpu_key(k, rq->gpu);
	fs_llm_key(k, rq->model);
	fs_key_i64(k, rq->n_gpus);
	fs_key_i64(k, rq->seq_len);
	fs_key_i64(k, rq->precision);
	fs_key_u64(k, rq->strict_precision);
	fs_key_i64(k, rq->attention);
	fs_key_i64(k, rq->kernels);
	fs_key_u64(k, rq->no_sequence_parallel);
	fs_key_i64(k, rq->stack);
	fs_key_u64(k, rq->no_overlap);
	fs_key_i64(k, pl->tp);
	fs_key_i64(k, pl->pp);
	fs_key_i64(k, pl->cp);
	fs_key_i64(k, pl->dp);
	fs_key_i64(k, pl->vp);
	fs_key_i64(k, pl->micro_batch);
	fs_key_i64(k, pl->global_batch);
	fs_key_i64(k, pl->recompute);
	fs_key_i64(k, pl->zero);
	fs_key_double(k, rq->tokens);
	fs_key_double(k, fp->mtbf_per_gpu_h);
	fs_key_double(k, fp->ckpt_interval_s);
	fs_key_double(k, fp->ckpt_write_s);
	fs_key_double(k, fp->restart_s);
	fs_key_i64(k, rq->method);
	fs_key_i64(k, rq->lora_rank);
	fs_key_i64(k, rq->lora_targets);
}

/* ---- search ---- */

struct search {
	const struct fs_train_request *rq;
	struct fs_train_result best;      /* fastest plan that fits */
	bool have_best;
	struct fs_train_result closest;   /* smallest memory shortfall, when nothing fits */
	bool have_closest;
	int n_eval;
};

/* Strictly better: more tokens per second (ties keep the earlier plan). */
static void consider(struct search *s, const struct fs_train_plan *pl)
{
	struct fs_train_result r;

	fs_train_evaluate_plan_(s->rq, pl, &r);
	s->n_eval++;
	if (r.fits) {
		if (!s->have_best || r.tokens_per_s > s->best.tokens_per_s * (1.0 + 1e-12)) {
			s->best = r;
			s->have_best = true;
		}
	} else if (!s->have_best) {
		double short_r = r.mem.total_gb - r.mem.capacity_gb;
		double short_c = s->closest.mem.total_gb - s->closest.mem.capacity_gb;
		if (!s->have_closest || short_r < short_c - 1e-12) {
			s->closest = r;
			s->have_closest = true;
		}
	}
}

static bool tp_ok(const struct fs_train_request *rq, int tp)
{
	const struct fs_llm *m = rq->model;
	int kvh = fs_llm_kv_heads(m);
	int limit = rq->gpu->nvlink_domain;

	if (rq->gpu->gpus_per_node > 0 && rq->gpu->gpus_per_node < limit)
		limit = rq->gpu->gpus_per_node;
	if (limit < 1)
		limit = 1;
	/* a TP group must not straddle NVLink domains */
	return tp <= limit && limit % tp == 0 && m->n_heads % tp == 0 &&
	       (kvh % tp == 0 || tp % kvh == 0) && rq->n_gpus % tp == 0;
}

static void search_inner(struct search *s, struct fs_train_plan pl)
{
	const struct fs_train_request *rq = s->rq;
	int L = rq->model->n_layers;
	int vp_lo = rq->plan.vp > 0 ? rq->plan.vp : 1;
	int vp_hi = rq->plan.vp > 0 ? rq->plan.vp : (pl.pp > 1 ? MAX_VP : 1);

	pl.dp = rq->n_gpus / (pl.tp * pl.pp * pl.cp);
	for (int vp = vp_lo; vp <= vp_hi; vp++) {
		if (vp > 1 && (pl.pp < 2 || L < pl.pp * vp))
			continue;
		pl.vp = vp;
		for (int mb = 1; mb <= MAX_MICRO_BATCH; mb *= 2) {
			int b = rq->plan.micro_batch > 0 ? rq->plan.micro_batch : mb;
			int gbs, m;

			if (rq->plan.micro_batch > 0 && mb > 1)
				break;
			pl.micro_batch = b;
			if (rq->plan.global_batch > 0) {
				if (rq->plan.global_batch % (pl.dp * b) != 0)
					continue;
			} else if (rq->plan.micro_batch == 0 && b > 1 &&
				   (double)pl.dp * b * rq->seq_len >
				   2.0 * fmax(4194304.0, 1024.0 * rq->n_gpus)) {
				break; /* micro-batches beyond twice the default batch */
			}
			gbs = fs_train_plan_global_batch_(rq, &pl);
			m = gbs / (pl.dp * b);
			if (vp > 1 && m % pl.pp != 0)
				continue;
			for (int rc = 0; rc < FS_RECOMPUTE_COUNT; rc++) {
				if (rq->plan.recompute != FS_RECOMPUTE_AUTO && rc != (int)rq->plan.recompute)
					continue;
				pl.recompute = (enum fs_recompute)rc;
				for (int z = 0; z <= 3; z++) {
					if (rq->plan.zero != FS_TRAIN_ZERO_AUTO && z != rq->plan.zero)
						continue;
					if (rq->plan.zero == FS_TRAIN_ZERO_AUTO &&
					    (z >= 2 && pl.pp > 1))
						continue;
					if (rq->plan.zero == FS_TRAIN_ZERO_AUTO && z > 0 &&
					    pl.dp * pl.cp < 2)
						continue;
					pl.zero = z;
					consider(s, &pl);
				}
			}
		}
	}
}

static enum fs_status run_search(const struct fs_train_request *rq, struct fs_train_result *out,
				 struct fs_error *e)
{
	struct search s;
	int tp_lo = rq->plan.tp > 0 ? rq->plan.tp : 1;
	int tp_hi = rq->plan.tp > 0 ? rq->plan.tp : rq->n_gpus;
	int cp = rq->plan.cp > 0 ? rq->plan.cp : 1;
	int L = rq->model->n_layers;

	memset(&s, 0, sizeof(s));
	s.rq = rq;
	for (int tp = tp_lo; tp <= tp_hi; tp++) {
		if (rq->plan.tp == 0 && !tp_ok(rq, tp))
			continue;
		if (rq->n_gpus % (tp * cp) != 0)
			continue;
		int rest = rq->n_gpus / (tp * cp);
		int pp_lo = rq->plan.pp > 0 ? rq->plan.pp : 1;
		int pp_hi = rq->plan.pp > 0 ? rq->plan.pp : (rest < L ? rest : L);
		for (int pp = pp_lo; pp <= pp_hi; pp++) {
			struct fs_train_plan pl;
			if (rest % pp != 0)
				continue;
			memset(&pl, 0, sizeof(pl));
			pl.tp = tp;
			pl.pp = pp;
			pl.cp = cp;
			search_inner(&s, pl);
		}
	}
	if (s.have_best) {
		*out = s.best;
		out->n_evaluated = s.n_eval;
		return FS_OK;
	}
	if (s.have_closest) {
		*out = s.closest;
		out->n_evaluated = s.n_eval;
		return fs_error_set(e, FS_ERR_INFEASIBLE, NULL, 0, NULL,
				    "'%s'%s%s%s on %d x %s does not fit in memory: the closest plan "
				    "(tp %d, pp %d, dp %d, micro-batch %d, %s recompute, ZeRO %d) needs "
				    "%.1f GB per GPU, %.1f GB more than the %.0f GB available",
				    rq->model->name, rq->method ? " (" : "",
				    rq->method ? fs_train_method_name(rq->method) : "",
				    rq->method ? ")" : "", rq->n_gpus, rq->gpu->name, out->plan.tp, out->plan.pp,
				    out->plan.dp, out->plan.micro_batch,
				    fs_recompute_name(out->plan.recompute), out->plan.zero,
				    out->mem.total_gb, out->mem.total_gb - out->mem.capacity_gb,
				    out->mem.capacity_gb);
	}
	memset(out, 0, sizeof(*out));
	return fs_error_set(e, FS_ERR_INPUT, NULL, 0, "plan",
			    "no valid layout for '%s' on %d GPUs with the given constraints "
			    "(tp must divide the %d heads and stay within the %d-GPU NVLink domain; "
			    "gpus must be divisible by tp*pp*cp; the global batch by dp*micro-batch)",
			    rq->model->name, rq->n_gpus, rq->model->n_heads, rq->gpu->nvlink_domain);
}

enum fs_status fs_train_plan_best(struct fs_train_memo *memo, const struct fs_train_request *req,
				  struct fs_train_result *best, struct fs_error *e)
{
	uint64_t words[KEY_N];
	struct fs_key key;
	uint64_t h = 0;
	struct memo_entry *slot = NULL;
	struct fs_train_request with_stack;
	enum fs_status st;

	st = fs_train_check_request_(req, e);
	if (st)
		return st;
	req = fs_train_apply_stack_(req, &with_stack);
	if (memo) {
		fs_key_init(&key, words, KEY_N);
		make_key(req, &key);
		h = fs_key_hash(&key);
		slot = &memo->slots[h % memo->cap];
		memo->lookups++;
		if (slot->used && slot->hash == h && slot->key_n == key.n &&
		    memcmp(slot->key, words, key.n * sizeof(*words)) == 0) {
			memo->hits++;
			*best = slot->result;
			if (slot->status && e)
				*e = slot->err;
			return slot->status;
		}
	}
	{
		struct fs_error local;
		fs_error_clear(&local);
		st = run_search(req, best, &local);
		if (e)
			*e = local;
		if (slot) {
			slot->used = true;
			slot->hash = h;
			slot->key_n = key.n;
			memcpy(slot->key, words, key.n * sizeof(*words));
			slot->status = st;
			slot->result = *best;
			slot->err = local;
		}
	}
	return st;
}

enum fs_status fs_train_job_estimate(struct fs_train_memo *memo, const struct fs_train_job *job,
				     struct fs_train_estimate *out, struct fs_error *e)
{
	struct fs_train_request rq;
	struct fs_train_result r;
	enum fs_status st;

	memset(out, 0, sizeof(*out));
	fs_train_request_init(&rq);
	rq.gpu = job->gpu;
	rq.model = job->model;
	rq.n_gpus = job->n_gpus;
	rq.seq_len = job->seq_len > 0 ? job->seq_len
		     : (job->model && job->model->max_seq > 0 ? job->model->max_seq : 2048);
	rq.precision = job->precision;
	rq.tokens = job->tokens;
	rq.method = job->method;
	rq.stack = job->stack;
	if (job->lora_rank > 0)
		rq.lora_rank = job->lora_rank;
	if (job->failure)
		rq.failure = *job->failure;
	else
		fs_failure_params_default(job->gpu, &rq.failure);
	st = fs_train_plan_best(memo, &rq, &r, e);
	if (st)
		return st;
	out->tokens_per_s = r.tokens_per_s;
	out->goodput_frac = fs_train_goodput_frac(&rq.failure, rq.n_gpus);
	out->realisation_frac = FS_TRAIN_RUN_REALISATION_FRAC;
	/* [7] the fleet's job time: steady state, failure-model goodput and the
	 * realisation constant; the simulator draws the failures as events, so
	 * the whole-run goodput parts of `estimate train` (goodput.h) are not
	 * used here (the pinned example results stay as they are) */
	out->run_wall_s = job->tokens > 0
			  ? job->tokens / (r.tokens_per_s * out->goodput_frac * out->realisation_frac)
			  : 0.0;
	out->step_time_s = r.step_time_s;
	out->mfu = r.mfu;
	out->memory_per_gpu_gb = r.mem.total_gb;
	out->precision = r.precision;
	out->fp8_fallback = r.fp8_fallback;
	out->plan = r.plan;
	return FS_OK;
}
