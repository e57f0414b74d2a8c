/*
 * catalog.h - GPU and model (LLM) catalogs: plain records plus a field table
 * that describes every catalog key (name, type, unit, range).
 *
 * The records are pure data. Parsing catalog files is the scenario loader's
 * job (sim/scenario.c, the only module that sees libconfig); it fills the
 * records through the field tables below, so adding a catalog key means
 * adding a struct member and one row in models/catalog.c, nothing else.
 *
 * Units: TFLOP/s (10^12), GB (10^9 bytes), GB/s (10^9 bytes/s), W, USD, hours.
 */
#ifndef FLEETSIM_CATALOG_H
#define FLEETSIM_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "fleetsim/error.h"
#include "fleetsim/memokey.h"

#define FS_NAME_MAX 48
#define FS_SOURCE_MAX 320

/* Numeric precisions a model may run in. */
enum fs_precision {
	FS_PREC_FP32 = 0, /* tf32 tensor cores for matrix products */
	FS_PREC_TF32,
	FS_PREC_BF16,
	FS_PREC_FP16,
	FS_PREC_FP8,
	FS_PREC_INT8,
	FS_PREC_INT4,     /* weight-only; matrix products run at fp16 rate */
	FS_PREC_COUNT
};

struct fs_gpu {
	char name[FS_NAME_MAX];
	char arch[16];              /* "ampere" or "hopper" */
	/* Dense (non-sparse) tensor-core peaks. fp8_tflops = 0: no fp8. */
	double fp64_tflops;
	double tf32_tflops;
	double bf16_tflops;         /* fp16 has the same dense peak */
	double fp8_tflops;
	double int8_tops;
	double mem_gb;              /* HBM capacity, 10^9 bytes */
	double mem_bw_gbps;         /* HBM bandwidth */
	double nvlink_gbps;         /* NVLink, total bidirectional per GPU */
	int nvlink_domain;          /* GPUs joined all-to-all by NVLink (8 on HGX, 2 on bridged PCIe) */
	double pcie_gbps;           /* host link, total bidirectional (used beyond the NVLink domain) */
	double net_gbps;            /* scale-out network per GPU, one direction */
	double tdp_w;
	int gpus_per_node;          /* typical node (HGX/DGX: 8) */
	double gemm_eff_frac;       /* measured best-shape dense matmul / peak */
	double hbm_eff_frac;        /* measured streaming bandwidth / spec */
	double train_mfu_frac;      /* first-order model: typical BF16 training MFU */
	/* Training model, calibrated stacks only (0 = unset: gemm_eff_frac x the
	 * legacy sustain fraction; mem_gb): sustained GEMM rate / dense peak over
	 * a training step in bf16/fp16 and in fp8, and the HBM bytes the driver
	 * reports (10^9 bytes; "80 GB" parts hold 85.5-85.9). */
	double train_gemm_eff_frac;
	double train_fp8_gemm_eff_frac;
	double hbm_usable_gb;
	double mtbf_h;              /* mean time between failures interrupting a job, per GPU */
	double cloud_usd_per_gpu_hour;  /* reference rental price, on-demand */
	double cloud_committed_usd_per_gpu_hour; /* 3-year committed rental; 0 = unknown (cost.h derives it) */
	double price_year;              /* date of the rental prices as a decimal year (2025.2 = March 2025); 0 = undated */
	double capex_usd_per_gpu;       /* server price per GPU slot */
	double capex_year;              /* date of the purchase price, decimal year; 0 = undated */
	double server_kw_per_gpu;       /* node nameplate power / GPUs */
	double idle_power_frac;         /* idle power / nameplate power of a slot; 0 = unknown (cost.h default) */
	/* Serving model (serve.h); 0 = the model's shared default. */
	double serve_hbm_eff_frac;      /* achieved share of mem_bw_gbps streaming weights and KV in decode */
	double serve_layer_overhead_s;  /* per layer and iteration: launches and small kernels */
	double serve_prefill_layer_overhead_s; /* extra per layer in an iteration with a prefill */
	char source[FS_SOURCE_MAX];
};

struct fs_llm {
	char name[FS_NAME_MAX];
	int n_layers;
	int hidden;
	int n_heads;
	int n_kv_heads;             /* = n_heads without grouped-query attention */
	int ffn;                    /* intermediate size of one expert's MLP */
	int vocab;
	bool gated_ffn;             /* SwiGLU-style MLP: 3 matrices instead of 2 */
	bool tied_embeddings;       /* output layer shares the input embedding matrix */
	int n_experts;              /* 1 for dense models */
	int n_experts_active;       /* experts per token (1 for dense) */
	double params_b;            /* total parameters, 10^9 */
	double active_params_b;     /* parameters used per token, 10^9 */
	int max_seq;                /* context length the model was trained at */
	char source[FS_SOURCE_MAX];
};

enum fs_field_type { FS_FIELD_DOUBLE, FS_FIELD_INT, FS_FIELD_BOOL, FS_FIELD_STRING };

/* One catalog key: where it lives in the record and what it accepts. */
struct fs_field {
	const char *key;
	enum fs_field_type type;
	size_t offset;
	size_t size;        /* bytes, for strings */
	double min, max;    /* accepted range for numbers (inclusive) */
	bool required;      /* a new entry must set it */
	const char *unit;
	const char *doc;
};

const struct fs_field *fs_gpu_fields(size_t *n);
const struct fs_field *fs_llm_fields(size_t *n);
const struct fs_field *fs_field_find(const struct fs_field *f, size_t n, const char *key);

/* Words a record adds to a memo key: one per field. */
#define FS_GPU_KEY_WORDS 40
#define FS_LLM_KEY_WORDS 24

/*
 * Appends every field of the record to a memo key, walking the field table,
 * so that a memo keyed on a GPU or a model can never miss a field added to
 * the catalog later. fs_fields_key serves any record with a field table.
 */
void fs_fields_key(struct fs_key *k, const struct fs_field *f, size_t n, const void *record);
void fs_gpu_key(struct fs_key *k, const struct fs_gpu *g);
void fs_llm_key(struct fs_key *k, const struct fs_llm *m);

struct fs_alias {
	char alias[FS_NAME_MAX];
	char name[FS_NAME_MAX];
};

/* A catalog owns its arrays; fs_catalog_fini frees them. */
struct fs_catalog {
	struct fs_gpu *gpus;
	size_t n_gpus, cap_gpus;
	struct fs_llm *llms;
	size_t n_llms, cap_llms;
	struct fs_alias *aliases;
	size_t n_aliases, cap_aliases;
};

void fs_catalog_init(struct fs_catalog *c);
void fs_catalog_fini(struct fs_catalog *c);
/* Deep copy; FS_ERR_NOMEM on failure (dst left empty). */
enum fs_status fs_catalog_copy(struct fs_catalog *dst, const struct fs_catalog *src);

/*
 * Lookup by exact name or alias, case-insensitive. NULL when unknown.
 */
const struct fs_gpu *fs_catalog_gpu(const struct fs_catalog *c, const char *name);
const struct fs_llm *fs_catalog_llm(const struct fs_catalog *c, const char *name);

/* Lookup or append (zeroed, name set). NULL only when out of memory. */
struct fs_gpu *fs_catalog_gpu_upsert(struct fs_catalog *c, const char *name, bool *created);
struct fs_llm *fs_catalog_llm_upsert(struct fs_catalog *c, const char *name, bool *created);
enum fs_status fs_catalog_add_alias(struct fs_catalog *c, const char *alias, const char *name);

/*
 * Fills e (FS_ERR_INPUT) with "unknown GPU 'x'; did you mean 'y'? known: a, b, ..."
 * for a failed lookup. kind is "gpu" or "model".
 */
enum fs_status fs_catalog_unknown(const struct fs_catalog *c, const char *kind,
				  const char *name, const char *file, int line,
				  const char *key, struct fs_error *e);

/* Dense peak of a GPU in a precision, TFLOP/s; 0 when the GPU lacks it. */
double fs_gpu_peak_tflops(const struct fs_gpu *g, enum fs_precision p);
bool fs_gpu_is_hopper(const struct fs_gpu *g);

/* Precision names: "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4". */
const char *fs_precision_name(enum fs_precision p);
/* FS_OK and *out set, or FS_ERR_INPUT for an unknown name. */
enum fs_status fs_precision_parse(const char *s, enum fs_precision *out);

/*
 * Key/value heads of m: n_kv_heads, or n_heads when the record leaves it 0
 * (no grouped-query attention). The one place that default is applied; the
 * loader stores it in every record it loads, hand-built records may omit it.
 */
int fs_llm_kv_heads(const struct fs_llm *m);

/*
 * Parameter count of a decoder-only transformer from its shape, 10^9:
 * embeddings (vocab*hidden, twice unless tied) + per layer
 * attention (q, o: hidden^2 each; k, v: hidden*kv_dim each) + MLP
 * (2 or 3 matrices of hidden*ffn per expert) + norms. active_b counts
 * n_experts_active experts instead of n_experts.
 */
void fs_llm_params_from_shape(const struct fs_llm *m, double *total_b, double *active_b);

/* Checks an entry's internal consistency (heads divide hidden, kv heads divide heads ...). */
enum fs_status fs_llm_check(const struct fs_llm *m, const char *file, int line, struct fs_error *e);
enum fs_status fs_gpu_check(const struct fs_gpu *g, const char *file, int line, struct fs_error *e);

#endif
