/* testutil.h - helpers shared by the test programs: temp files, running the
 * fleetsim binary, hashing a file to prove it did not change. */
#ifndef FLEETSIM_TESTUTIL_H
#define FLEETSIM_TESTUTIL_H

#include <stddef.h>

#include "fleetsim/catalog.h"

/* A fresh private directory under /tmp (static storage; one per process). */
const char *tu_tmpdir(void);

/* Writes text to tu_tmpdir()/name and returns the full path (static buffer rotated 8 deep). */
const char *tu_write(const char *name, const char *text);

/* Path of tu_tmpdir()/name (static buffer rotated 8 deep). */
const char *tu_path(const char *name);

/* Runs "FLEETSIM_BIN args" with stdout+stderr into out; returns the exit code (-1 on failure). */
int tu_fleetsim(const char *args, char *out, size_t outlen);

/* SHA-256 of a file's bytes; "missing" when it does not exist. */
void tu_file_hash(const char *path, char hex[65]);


/*
 * The fields (after its name) of "G", the test GPU of the hand-worked fleet
 * runs: 100 bf16 TFLOP/s at a first-order MFU of 0.5, $2 per GPU-hour.
 * With model "M" below, a first-order step costs TU_F_PER_TOKEN FLOPs per
 * token, so one GPU trains TU_GPU_G_FLOPS / TU_F_PER_TOKEN tokens per second.
 */
#define TU_GPU_G_FIELDS \
	"arch = \"ampere\"; fp64_tflops = 1.0; tf32_tflops = 50.0;\n" \
	"  bf16_tflops = 100.0; fp8_tflops = 0.0; int8_tops = 200.0; mem_gb = 80.0;\n" \
	"  mem_bw_gbps = 2000.0; nvlink_gbps = 600.0; nvlink_domain = 8; pcie_gbps = 64.0;\n" \
	"  net_gbps = 25.0; tdp_w = 400.0; gpus_per_node = 8; gemm_eff_frac = 0.8;\n" \
	"  hbm_eff_frac = 0.9; train_mfu_frac = 0.5; mtbf_h = 50000.0;\n" \
	"  cloud_usd_per_gpu_hour = 2.0; capex_usd_per_gpu = 20000.0; server_kw_per_gpu = 1.0;"
#define TU_GPU_G_FLOPS (100e12 * 0.5)
/* 6N + 12 L h s for "M" (layers 2, hidden 64, params 1e9, seq 1000), worked in test_run.c */
#define TU_F_PER_TOKEN 6001536000.0

/* The built-in catalogs, loaded on first use and kept for the process. */
const struct fs_catalog *tu_catalog(void);

/* Catalog lookups that abort the test program when the name is unknown. */
const struct fs_gpu *tu_gpu(const char *name);
const struct fs_llm *tu_llm(const char *name);

/* The first column of the first row of sql on the database at path, read-only,
 * as an integer; -1 when there is no row. A failure to open or prepare fails the test. */
long long tu_sql_int(const char *path, const char *sql);

#endif
