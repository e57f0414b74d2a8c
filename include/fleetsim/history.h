/*
 * history.h - a measured job history (scenario key `training.history`,
 * `fleetsim replay`): the jobs a cluster ran, read from a plain CSV file or a
 * Slurm `sacct --parsable2` export, to be re-run on other fleets.
 *
 * Formats (docs/REPLAY.md):
 *  - csv: a header naming submit_s, duration_s, gpus and optionally name,
 *    model, tokens, team, gpu_type, priority, in any order. Times are seconds
 *    from the history's start, integer or fractional, kept as given. The
 *    public Philly trace's columns are accepted as they are: `timestamp`
 *    (YYYY-MM-DD HH:MM:SS, converted to seconds from the earliest), `duration`,
 *    `num_gpus`, `cluster` (the team); other columns are ignored.
 *  - slurm: `|`-separated with a header; JobID, Submit, Start, End, Elapsed,
 *    AllocTRES, State and Account or User are read. Steps (JobID "123.batch",
 *    "123.0", "123.extern") are folded into their job; a job cancelled before
 *    it started is kept, marked cancelled (no GPU time); a job that allocated
 *    no GPU (no gres/gpu in AllocTRES) is counted in n_cpu_only and left out.
 *    Elapsed is [D-]HH:MM:SS, MM:SS or seconds; Submit is ISO 8601
 *    (2024-05-01T12:00:00), converted to seconds from the earliest submit.
 *
 * Every row is either a job, a folded step, a counted CPU-only job or a bad
 * row: bad rows refuse the history (FS_ERR_INPUT naming file:line and why)
 * unless skip_bad_rows, and then they are counted in n_skipped. Nothing is
 * dropped silently.
 *
 * Invariants once loaded: jobs in file order; 0 <= submit_s; duration_s > 0
 * unless cancelled (then 0); gpus >= 1; team -1 or < n_teams.
 * Cost: one pass over the text, O(rows x teams) for team names.
 */
#ifndef FLEETSIM_HISTORY_H
#define FLEETSIM_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/catalog.h"
#include "fleetsim/error.h"

/* The largest history file read (256 MiB, ~4 million CSV rows). */
#define FS_HISTORY_MAX_BYTES (256u << 20)

/* The GPU a history's durations were measured on when it names none. */
#define FS_HISTORY_DEFAULT_GPU "A100-SXM4-80GB"

enum fs_history_format { FS_HISTORY_CSV = 0, FS_HISTORY_SLURM };

struct fs_history_job {
	char name[48];              /* the original id (CSV `name`, Slurm JobID); "" = row number */
	double submit_s;            /* from the history's start */
	double duration_s;          /* measured run time on gpu (0 when cancelled) */
	int gpus;
	int priority;
	int32_t team;               /* index into teams, -1 none */
	const struct fs_llm *model; /* NULL unless the row names a catalog model */
	double tokens;              /* 0 unless given */
	const struct fs_gpu *gpu;   /* the GPU it ran on; NULL: not named (the default assumed) */
	bool cancelled;             /* cancelled before it started */
	int line;
};

struct fs_history {
	char file[256];
	enum fs_history_format format;
	struct fs_history_job *jobs; /* owned */
	size_t n_jobs;
	char (*teams)[64];          /* owned; team names in order of first appearance */
	size_t n_teams;
	size_t n_rows;              /* data rows read (header excluded) */
	size_t n_skipped;           /* bad rows skipped (skip_bad_rows) */
	size_t n_steps;             /* Slurm job steps folded into their job */
	size_t n_cpu_only;          /* Slurm jobs without GPUs, left out */
	size_t n_cancelled;         /* of jobs, cancelled before they started */
	double span_s;              /* last submit + duration, from the start */
	char sha256[65];            /* of the file's content, hex */
};

/* "csv" or "slurm" into *out: FS_OK, or FS_ERR_INPUT (e has no location). */
enum fs_status fs_history_format_parse(const char *s, enum fs_history_format *out,
				       struct fs_error *e);

/*
 * Parses text (len bytes, NUL-terminated) named name (used in messages) into
 * h (caller storage, need not be initialised). GPU and model names are looked
 * up in cat (read only; h points into it, so it must outlive h). FS_OK, or
 * FS_ERR_INPUT naming name:line and the reason (the first bad row, a missing
 * header column, no jobs), or FS_ERR_NOMEM; on failure h is empty.
 */
enum fs_status fs_history_parse(const char *text, size_t len, const char *name,
				enum fs_history_format fmt, bool skip_bad_rows,
				const struct fs_catalog *cat, struct fs_history *h,
				struct fs_error *e);

/*
 * Reads path (a regular file of at most FS_HISTORY_MAX_BYTES) and parses it
 * as fs_history_parse does. FS_ERR_INPUT also for a missing, unreadable,
 * irregular or too large file.
 */
enum fs_status fs_history_load(const char *path, enum fs_history_format fmt, bool skip_bad_rows,
			       const struct fs_catalog *cat, struct fs_history *h,
			       struct fs_error *e);

void fs_history_fini(struct fs_history *h);

/*
 * The per-generation speed-up rule: the run time of a job measured on ref
 * (NULL: the default GPU of cat) becomes duration x ratio on g, with
 * ratio = (bf16 peak x gemm_eff_frac)(ref) / (bf16 peak x gemm_eff_frac)(g)
 * (docs/REPLAY.md). 1 when ref == g or ref is unknown.
 */
double fs_history_time_ratio(const struct fs_gpu *ref, const struct fs_gpu *g);

/*
 * Whether path is relative; resolves it against the directory of base_file
 * into out (size n). Returns false when the result does not fit.
 */
bool fs_history_resolve(const char *base_file, const char *path, char *out, size_t n);

#endif
