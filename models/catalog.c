#include "fleetsim/catalog.h"
#include "fleetsim/util.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GF(k, t, m, lo, hi, req, unit, doc) \
	{ k, t, offsetof(struct fs_gpu, m), sizeof(((struct fs_gpu *)0)->m), lo, hi, req, unit, doc }
#define LF(k, t, m, lo, hi, req, unit, doc) \
	{ k, t, offsetof(struct fs_llm, m), sizeof(((struct fs_llm *)0)->m), lo, hi, req, unit, doc }

static const struct fs_field gpu_fields[] = {
	GF("name", FS_FIELD_STRING, name, 0, 0, true, "", "catalog name"),
	GF("arch", FS_FIELD_STRING, arch, 0, 0, true, "", "\"ampere\" or \"hopper\" (fp8 needs hopper)"),
	GF("fp64_tflops", FS_FIELD_DOUBLE, fp64_tflops, 0, 1e4, true, "TFLOP/s", "dense FP64 tensor peak"),
	GF("tf32_tflops", FS_FIELD_DOUBLE, tf32_tflops, 0, 1e5, true, "TFLOP/s", "dense TF32 tensor peak"),
	GF("bf16_tflops", FS_FIELD_DOUBLE, bf16_tflops, 1, 1e5, true, "TFLOP/s", "dense BF16/FP16 tensor peak"),
	GF("fp8_tflops", FS_FIELD_DOUBLE, fp8_tflops, 0, 1e5, true, "TFLOP/s", "dense FP8 tensor peak, 0 if none"),
	GF("int8_tops", FS_FIELD_DOUBLE, int8_tops, 0, 1e5, true, "TOP/s", "dense INT8 tensor peak"),
	GF("mem_gb", FS_FIELD_DOUBLE, mem_gb, 1, 1e4, true, "GB", "HBM capacity"),
	GF("mem_bw_gbps", FS_FIELD_DOUBLE, mem_bw_gbps, 1, 1e5, true, "GB/s", "HBM bandwidth"),
	GF("nvlink_gbps", FS_FIELD_DOUBLE, nvlink_gbps, 0, 1e5, true, "GB/s", "NVLink total bidirectional per GPU"),
	GF("nvlink_domain", FS_FIELD_INT, nvlink_domain, 1, 1024, true, "GPUs", "GPUs joined all-to-all by NVLink"),
	GF("pcie_gbps", FS_FIELD_DOUBLE, pcie_gbps, 1, 1e4, true, "GB/s", "PCIe host link, total bidirectional"),
	GF("net_gbps", FS_FIELD_DOUBLE, net_gbps, 0.1, 1e4, true, "GB/s", "scale-out network per GPU, one direction"),
	GF("tdp_w", FS_FIELD_DOUBLE, tdp_w, 1, 1e4, true, "W", "board power"),
	GF("gpus_per_node", FS_FIELD_INT, gpus_per_node, 1, 64, true, "", "GPUs in a typical node"),
	GF("gemm_eff_frac", FS_FIELD_DOUBLE, gemm_eff_frac, 0.05, 1, true, "", "best-shape dense matmul / peak"),
	GF("hbm_eff_frac", FS_FIELD_DOUBLE, hbm_eff_frac, 0.05, 1, true, "", "streaming bandwidth / spec"),
	GF("train_mfu_frac", FS_FIELD_DOUBLE, train_mfu_frac, 0.01, 1, true, "", "first-order model: typical BF16 training MFU"),
	GF("train_gemm_eff_frac", FS_FIELD_DOUBLE, train_gemm_eff_frac, 0.05, 1, false, "",
	   "training GEMM rate / bf16 peak, calibrated stacks (default: gemm_eff_frac x 0.95)"),
	GF("train_fp8_gemm_eff_frac", FS_FIELD_DOUBLE, train_fp8_gemm_eff_frac, 0.05, 1, false, "",
	   "training GEMM rate / fp8 peak, calibrated stacks (default: train_gemm_eff_frac)"),
	GF("hbm_usable_gb", FS_FIELD_DOUBLE, hbm_usable_gb, 1, 1e4, false, "GB",
	   "HBM bytes reported by the driver, calibrated stacks (default: mem_gb)"),
	GF("mtbf_h", FS_FIELD_DOUBLE, mtbf_h, 1, 1e8, true, "h", "per-GPU mean time between job-interrupting failures"),
	GF("cloud_usd_per_gpu_hour", FS_FIELD_DOUBLE, cloud_usd_per_gpu_hour, 0, 1e3, true, "USD/GPU-h", "reference rental price"),
	GF("cloud_committed_usd_per_gpu_hour", FS_FIELD_DOUBLE, cloud_committed_usd_per_gpu_hour, 0.001, 1e3, false,
	   "USD/GPU-h", "3-year committed rental price (default: on-demand x 0.40)"),
	GF("price_year", FS_FIELD_DOUBLE, price_year, 2000, 2100, false, "year",
	   "date of the rental prices, decimal year (2025.2 = March 2025)"),
	GF("capex_usd_per_gpu", FS_FIELD_DOUBLE, capex_usd_per_gpu, 0, 1e7, true, "USD", "server price per GPU slot"),
	GF("capex_year", FS_FIELD_DOUBLE, capex_year, 2000, 2100, false, "year", "date of the purchase price, decimal year"),
	GF("server_kw_per_gpu", FS_FIELD_DOUBLE, server_kw_per_gpu, 0, 100, true, "kW", "node nameplate power / GPUs"),
	GF("idle_power_frac", FS_FIELD_DOUBLE, idle_power_frac, 0.01, 1, false, "",
	   "idle power / nameplate power of a GPU slot (default 0.25)"),
	GF("serve_hbm_eff_frac", FS_FIELD_DOUBLE, serve_hbm_eff_frac, 0, 1, false, "",
	   "serving: achieved share of mem_bw_gbps streaming weights and KV in decode (0 = hbm_eff_frac)"),
	GF("serve_layer_overhead_s", FS_FIELD_DOUBLE, serve_layer_overhead_s, 0, 0.01, false, "s",
	   "serving: per layer and iteration, launches and small kernels (0 = shared default)"),
	GF("serve_prefill_layer_overhead_s", FS_FIELD_DOUBLE, serve_prefill_layer_overhead_s, 0, 0.01, false, "s",
	   "serving: extra per layer in an iteration with a prefill (0 = shared default)"),
	GF("source", FS_FIELD_STRING, source, 0, 0, false, "", "where the figures come from"),
};

static const struct fs_field llm_fields[] = {
	LF("name", FS_FIELD_STRING, name, 0, 0, true, "", "catalog name"),
	LF("layers", FS_FIELD_INT, n_layers, 1, 1000, true, "", "transformer layers"),
	LF("hidden", FS_FIELD_INT, hidden, 1, 1 << 20, true, "", "model (hidden) dimension"),
	LF("heads", FS_FIELD_INT, n_heads, 1, 4096, true, "", "attention (query) heads"),
	LF("kv_heads", FS_FIELD_INT, n_kv_heads, 1, 4096, false, "", "key/value heads (default: heads)"),
	LF("ffn", FS_FIELD_INT, ffn, 1, 1 << 22, true, "", "MLP intermediate size (per expert)"),
	LF("vocab", FS_FIELD_INT, vocab, 1, 1 << 24, true, "", "vocabulary size"),
	LF("gated_ffn", FS_FIELD_BOOL, gated_ffn, 0, 1, false, "", "SwiGLU MLP (3 matrices)"),
	LF("tied_embeddings", FS_FIELD_BOOL, tied_embeddings, 0, 1, false, "", "output layer shares the input embedding"),
	LF("experts", FS_FIELD_INT, n_experts, 1, 4096, false, "", "MLP experts per layer (default 1)"),
	LF("experts_active", FS_FIELD_INT, n_experts_active, 1, 4096, false, "", "experts per token (default 1)"),
	LF("params_b", FS_FIELD_DOUBLE, params_b, 1e-3, 1e5, false, "10^9", "total parameters (default: from shape)"),
	LF("active_params_b", FS_FIELD_DOUBLE, active_params_b, 1e-3, 1e5, false, "10^9", "parameters per token (default: from shape)"),
	LF("max_seq", FS_FIELD_INT, max_seq, 1, 1 << 24, false, "tokens", "training context length"),
	LF("source", FS_FIELD_STRING, source, 0, 0, false, "", "model card or paper"),
};

const struct fs_field *fs_gpu_fields(size_t *n)
{
	*n = sizeof(gpu_fields) / sizeof(gpu_fields[0]);
	return gpu_fields;
}

const struct fs_field *fs_llm_fields(size_t *n)
{
	*n = sizeof(llm_fields) / sizeof(llm_fields[0]);
	return llm_fields;
}

const struct fs_field *fs_field_find(const struct fs_field *f, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].key, key) == 0)
			return &f[i];
	return NULL;
}

void fs_fields_key(struct fs_key *k, const struct fs_field *f, size_t n, const void *record)
{
	const char *base = record;

	for (size_t i = 0; i < n; i++) {
		const void *p = base + f[i].offset;
		double d;
		int v;
		bool b;

		switch (f[i].type) {
		case FS_FIELD_DOUBLE:
			assert(f[i].size == sizeof(d));
			memcpy(&d, p, sizeof(d));
			fs_key_double(k, d);
			break;
		case FS_FIELD_INT:
			assert(f[i].size == sizeof(v));
			memcpy(&v, p, sizeof(v));
			fs_key_i64(k, v);
			break;
		case FS_FIELD_BOOL:
			assert(f[i].size == sizeof(b));
			memcpy(&b, p, sizeof(b));
			fs_key_u64(k, b);
			break;
		case FS_FIELD_STRING:
			fs_key_str(k, p, f[i].size);
			break;
		}
	}
}

void fs_gpu_key(struct fs_key *k, const struct fs_gpu *g)
{
	_Static_assert(sizeof(gpu_fields) / sizeof(gpu_fields[0]) <= FS_GPU_KEY_WORDS,
		       "FS_GPU_KEY_WORDS must cover every GPU field");
	fs_fields_key(k, gpu_fields, sizeof(gpu_fields) / sizeof(gpu_fields[0]), g);
}

void fs_llm_key(struct fs_key *k, const struct fs_llm *m)
{
	_Static_assert(sizeof(llm_fields) / sizeof(llm_fields[0]) <= FS_LLM_KEY_WORDS,
		       "FS_LLM_KEY_WORDS must cover every model field");
	fs_fields_key(k, llm_fields, sizeof(llm_fields) / sizeof(llm_fields[0]), m);
}

void fs_catalog_init(struct fs_catalog *c)
{
	memset(c, 0, sizeof(*c));
}

void fs_catalog_fini(struct fs_catalog *c)
{
	free(c->gpus);
	free(c->llms);
	free(c->aliases);
	memset(c, 0, sizeof(*c));
}

static void *dup_array(const void *src, size_t n, size_t size)
{
	void *p;

	if (n == 0)
		return NULL;
	p = malloc(n * size);
	if (p)
		memcpy(p, src, n * size);
	return p;
}

enum fs_status fs_catalog_copy(struct fs_catalog *dst, const struct fs_catalog *src)
{
	fs_catalog_init(dst);
	dst->gpus = dup_array(src->gpus, src->n_gpus, sizeof(*src->gpus));
	dst->llms = dup_array(src->llms, src->n_llms, sizeof(*src->llms));
	dst->aliases = dup_array(src->aliases, src->n_aliases, sizeof(*src->aliases));
	if ((src->n_gpus && !dst->gpus) || (src->n_llms && !dst->llms) ||
	    (src->n_aliases && !dst->aliases)) {
		fs_catalog_fini(dst);
		return FS_ERR_NOMEM;
	}
	dst->n_gpus = dst->cap_gpus = src->n_gpus;
	dst->n_llms = dst->cap_llms = src->n_llms;
	dst->n_aliases = dst->cap_aliases = src->n_aliases;
	return FS_OK;
}

static const char *resolve_alias(const struct fs_catalog *c, const char *name)
{
	for (size_t i = 0; i < c->n_aliases; i++)
		if (fs_streq_ci(c->aliases[i].alias, name))
			return c->aliases[i].name;
	return name;
}

const struct fs_gpu *fs_catalog_gpu(const struct fs_catalog *c, const char *name)
{
	name = resolve_alias(c, name);
	for (size_t i = 0; i < c->n_gpus; i++)
		if (fs_streq_ci(c->gpus[i].name, name))
			return &c->gpus[i];
	return NULL;
}

const struct fs_llm *fs_catalog_llm(const struct fs_catalog *c, const char *name)
{
	name = resolve_alias(c, name);
	for (size_t i = 0; i < c->n_llms; i++)
		if (fs_streq_ci(c->llms[i].name, name))
			return &c->llms[i];
	return NULL;
}

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

struct fs_gpu *fs_catalog_gpu_upsert(struct fs_catalog *c, const char *name, bool *created)
{
	struct fs_gpu *g = (struct fs_gpu *)fs_catalog_gpu(c, name);

	*created = false;
	if (g)
		return g;
	if (grow((void **)&c->gpus, &c->cap_gpus, c->n_gpus, sizeof(*c->gpus)))
		return NULL;
	g = &c->gpus[c->n_gpus++];
	memset(g, 0, sizeof(*g));
	fs_strlcpy(g->name, name, sizeof(g->name));
	*created = true;
	return g;
}

struct fs_llm *fs_catalog_llm_upsert(struct fs_catalog *c, const char *name, bool *created)
{
	struct fs_llm *m = (struct fs_llm *)fs_catalog_llm(c, name);

	*created = false;
	if (m)
		return m;
	if (grow((void **)&c->llms, &c->cap_llms, c->n_llms, sizeof(*c->llms)))
		return NULL;
	m = &c->llms[c->n_llms++];
	memset(m, 0, sizeof(*m));
	fs_strlcpy(m->name, name, sizeof(m->name));
	*created = true;
	return m;
}

enum fs_status fs_catalog_add_alias(struct fs_catalog *c, const char *alias, const char *name)
{
	for (size_t i = 0; i < c->n_aliases; i++) {
		if (fs_streq_ci(c->aliases[i].alias, alias)) {
			fs_strlcpy(c->aliases[i].name, name, FS_NAME_MAX);
			return FS_OK;
		}
	}
	if (grow((void **)&c->aliases, &c->cap_aliases, c->n_aliases, sizeof(*c->aliases)))
		return FS_ERR_NOMEM;
	fs_strlcpy(c->aliases[c->n_aliases].alias, alias, FS_NAME_MAX);
	fs_strlcpy(c->aliases[c->n_aliases].name, name, FS_NAME_MAX);
	c->n_aliases++;
	return FS_OK;
}

enum fs_status fs_catalog_unknown(const struct fs_catalog *c, const char *kind,
				  const char *name, const char *file, int line,
				  const char *key, struct fs_error *e)
{
	const char *cands[512];
	size_t n = 0;
	char known[700] = "";
	const char *best;
	bool gpu = strcmp(kind, "gpu") == 0;
	size_t count = gpu ? c->n_gpus : c->n_llms;

	for (size_t i = 0; i < count && n < 512; i++)
		cands[n++] = gpu ? c->gpus[i].name : c->llms[i].name;
	for (size_t i = 0; i < c->n_aliases && n < 512; i++) {
		bool target_is_gpu = fs_catalog_gpu(c, c->aliases[i].name) != NULL;
		if (target_is_gpu == gpu)
			cands[n++] = c->aliases[i].alias;
	}
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(known);
		snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "", cands[i]);
	}
	best = fs_closest(name, cands, n);
	if (best)
		return fs_error_set(e, FS_ERR_INPUT, file, line, key,
				    "unknown %s '%s'; did you mean '%s'? known: %s",
				    gpu ? "GPU" : "model", name, best, known);
	return fs_error_set(e, FS_ERR_INPUT, file, line, key, "unknown %s '%s'; known: %s",
			    gpu ? "GPU" : "model", name, known);
}

double fs_gpu_peak_tflops(const struct fs_gpu *g, enum fs_precision p)
{
	switch (p) {
	case FS_PREC_FP32:
	case FS_PREC_TF32:
		return g->tf32_tflops;
	case FS_PREC_BF16:
	case FS_PREC_FP16:
	case FS_PREC_INT4:
		return g->bf16_tflops;
	case FS_PREC_FP8:
		return fs_gpu_is_hopper(g) ? g->fp8_tflops : 0.0;
	case FS_PREC_INT8:
		return g->int8_tops;
	default:
		return 0.0;
	}
}

bool fs_gpu_is_hopper(const struct fs_gpu *g)
{
	return fs_streq_ci(g->arch, "hopper");
}

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))

static const struct fs_enum_name prec_names[] = {
	{ FS_PREC_FP32, "fp32" }, { FS_PREC_TF32, "tf32" }, { FS_PREC_BF16, "bf16" },
	{ FS_PREC_FP16, "fp16" }, { FS_PREC_FP8, "fp8" },   { FS_PREC_INT8, "int8" },
	{ FS_PREC_INT4, "int4" },
};

const char *fs_precision_name(enum fs_precision p)
{
	return fs_enum_name(prec_names, NROWS(prec_names), sizeof(prec_names[0]), (int)p);
}

enum fs_status fs_precision_parse(const char *s, enum fs_precision *out)
{
	int v;

	if (fs_enum_parse(prec_names, NROWS(prec_names), sizeof(prec_names[0]), s, &v))
		return FS_ERR_INPUT;
	*out = (enum fs_precision)v;
	return FS_OK;
}

int fs_llm_kv_heads(const struct fs_llm *m)
{
	return m->n_kv_heads > 0 ? m->n_kv_heads : m->n_heads;
}

void fs_llm_params_from_shape(const struct fs_llm *m, double *total_b, double *active_b)
{
	double h = m->hidden, f = m->ffn, v = m->vocab, L = m->n_layers;
	int kvh = fs_llm_kv_heads(m);
	double kv_dim = (double)kvh * (h / m->n_heads);
	double attn = 2.0 * h * h + 2.0 * h * kv_dim;
	double mlp_one = (m->gated_ffn ? 3.0 : 2.0) * h * f;
	int ne = m->n_experts > 0 ? m->n_experts : 1;
	int na = m->n_experts_active > 0 ? m->n_experts_active : 1;
	double router = ne > 1 ? h * ne : 0.0;
	double norms = 2.0 * h;
	double emb = (m->tied_embeddings ? 1.0 : 2.0) * v * h;

	*total_b = (emb + L * (attn + ne * mlp_one + router + norms) + h) / 1e9;
	*active_b = (emb + L * (attn + na * mlp_one + router + norms) + h) / 1e9;
}

enum fs_status fs_llm_check(const struct fs_llm *m, const char *file, int line, struct fs_error *e)
{
	int kvh = fs_llm_kv_heads(m);

	if (m->hidden % m->n_heads != 0)
		return fs_error_set(e, FS_ERR_INPUT, file, line, "hidden",
				    "model '%s': hidden %d is not a multiple of heads %d",
				    m->name, m->hidden, m->n_heads);
	if (m->n_heads % kvh != 0)
		return fs_error_set(e, FS_ERR_INPUT, file, line, "kv_heads",
				    "model '%s': heads %d is not a multiple of kv_heads %d",
				    m->name, m->n_heads, kvh);
	if (m->n_experts_active > (m->n_experts > 0 ? m->n_experts : 1))
		return fs_error_set(e, FS_ERR_INPUT, file, line, "experts_active",
				    "model '%s': experts_active %d exceeds experts %d",
				    m->name, m->n_experts_active, m->n_experts);
	if (m->active_params_b > m->params_b * (1 + 1e-9))
		return fs_error_set(e, FS_ERR_INPUT, file, line, "active_params_b",
				    "model '%s': active_params_b %g exceeds params_b %g",
				    m->name, m->active_params_b, m->params_b);
	return FS_OK;
}

enum fs_status fs_gpu_check(const struct fs_gpu *g, const char *file, int line, struct fs_error *e)
{
	if (!fs_streq_ci(g->arch, "ampere") && !fs_streq_ci(g->arch, "hopper"))
		return fs_error_set(e, FS_ERR_INPUT, file, line, "arch",
				    "GPU '%s': arch '%s'; expected \"ampere\" or \"hopper\"",
				    g->name, g->arch);
	if (g->fp8_tflops > 0 && !fs_gpu_is_hopper(g))
		return fs_error_set(e, FS_ERR_INPUT, file, line, "fp8_tflops",
				    "GPU '%s': fp8_tflops %g on a non-Hopper GPU; expected 0",
				    g->name, g->fp8_tflops);
	return FS_OK;
}
