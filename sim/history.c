/*
 * history.c - measured job histories: plain CSV and Slurm sacct exports
 * (history.h, docs/REPLAY.md).
 */
#include "fleetsim/history.h"
#include "fleetsim/csv.h"
#include "fleetsim/sha256.h"
#include "fleetsim/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FIELDS 64
#define ROW_BYTES 8192

enum fs_status fs_history_format_parse(const char *s, enum fs_history_format *out,
				       struct fs_error *e)
{
	if (strcmp(s, "csv") == 0)
		*out = FS_HISTORY_CSV;
	else if (strcmp(s, "slurm") == 0)
		*out = FS_HISTORY_SLURM;
	else
		return fs_error_set(e, FS_ERR_INPUT, NULL, 0, NULL,
				    "history format '%s'; expected \"csv\" or \"slurm\"", s);
	return FS_OK;
}

/* ---- building -------------------------------------------------------------- */

struct build {
	struct fs_history *h;
	size_t cap, team_cap;
	const char *name;
	bool skip;
	struct fs_error *e;
};

static struct fs_history_job *push(struct build *b)
{
	struct fs_history *h = b->h;

	if (h->n_jobs == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 256;
		void *p = realloc(h->jobs, ncap * sizeof(*h->jobs));
		if (!p)
			return NULL;
		h->jobs = p;
		b->cap = ncap;
	}
	memset(&h->jobs[h->n_jobs], 0, sizeof(h->jobs[0]));
	return &h->jobs[h->n_jobs++];
}

/* The team's index, added on first appearance; -2 when out of memory. */
static int32_t team_of(struct build *b, const char *name)
{
	struct fs_history *h = b->h;

	if (!*name)
		return -1;
	for (size_t i = h->n_teams; i-- > 0;)
		if (strcmp(h->teams[i], name) == 0)
			return (int32_t)i;
	if (h->n_teams == b->team_cap) {
		size_t ncap = b->team_cap ? b->team_cap * 2 : 16;
		void *p = realloc(h->teams, ncap * sizeof(*h->teams));
		if (!p)
			return -2;
		h->teams = p;
		b->team_cap = ncap;
	}
	fs_strlcpy(h->teams[h->n_teams], name, sizeof(h->teams[0]));
	return (int32_t)h->n_teams++;
}

/*
 * A bad row: refuses the history, or counts it when skipping. Returns
 * FS_OK to go on (the row skipped) or the error.
 */
static enum fs_status bad_row(struct build *b, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum fs_status bad_row(struct build *b, int line, const char *fmt, ...)
{
	va_list ap;
	enum fs_status st;

	if (b->skip) {
		b->h->n_skipped++;
		return FS_OK;
	}
	va_start(ap, fmt);
	st = fs_error_vset(b->e, FS_ERR_INPUT, b->name, line, "training.history", fmt, ap);
	va_end(ap);
	return st;
}

/* ---- field parsers --------------------------------------------------------- */

static const char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static bool parse_num(const char *s, double *out)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return *end == '\0' && errno == 0 && isfinite(*out);
}

static bool parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	if (!*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

/* Days from 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* "YYYY-MM-DD[T ]HH:MM:SS" (no time zone: the history's own clock) to seconds. */
static bool parse_iso(const char *s, double *out)
{
	int y, mo, d, hh, mi, ss, n = 0;

	if (sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &y, &mo, &d, &hh, &mi, &ss, &n) != 6 ||
	    s[n] != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 || ss > 60 ||
	    hh < 0 || mi < 0 || ss < 0)
		return false;
	*out = (double)days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400.0 + hh * 3600.0 +
	       mi * 60.0 + ss;
	return true;
}

/* Slurm Elapsed: [D-]HH:MM:SS, MM:SS, or plain seconds; fractions of a second allowed. */
static bool parse_elapsed(const char *s, double *out)
{
	double part[3], days = 0;
	int n = 0;
	const char *p = s, *dash = strchr(s, '-');
	char *end;

	if (dash) {
		errno = 0;
		days = (double)strtol(s, &end, 10);
		if (end != dash || days < 0 || errno)
			return false;
		p = dash + 1;
	}
	for (;;) {
		if (n == 3 || !isdigit((unsigned char)*p))
			return false;
		part[n++] = strtod(p, &end);
		if (*end == '\0')
			break;
		if (*end != ':')
			return false;
		p = end + 1;
	}
	if (dash && n != 3)
		return false;
	switch (n) {
	case 1:
		*out = part[0];
		break;
	case 2:
		*out = part[0] * 60 + part[1];
		break;
	default:
		*out = part[0] * 3600 + part[1] * 60 + part[2];
		break;
	}
	*out += days * 86400.0;
	return true;
}

/*
 * GPUs of an AllocTRES ("cpu=8,mem=16G,gres/gpu=8" or "gres/gpu:a100=4"):
 * gres/gpu=N when present, else the sum of the typed counts; the first type
 * named into type (size n, "" when none). -1 when a gpu count is malformed.
 */
static int tres_gpus(const char *tres, char *type, size_t tn)
{
	int plain = -1, typed = 0;
	const char *p = tres;

	*type = '\0';
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char item[128];

		if (len < sizeof(item)) {
			char *eq;
			int v;
			memcpy(item, p, len);
			item[len] = '\0';
			eq = strchr(item, '=');
			if (eq && strncmp(item, "gres/gpu", 8) == 0) {
				*eq = '\0';
				if (!parse_int(eq + 1, 0, 1000000, &v))
					return -1;
				if (item[8] == '\0')
					plain = v;
				else if (item[8] == ':') {
					typed += v;
					if (!*type)
						fs_strlcpy(type, item + 9, tn);
				}
			}
		}
		p = comma ? comma + 1 : NULL;
	}
	return plain >= 0 ? plain : typed;
}

/* A GPU named by a history (exact catalog name or alias, else case-insensitive
 * prefix of a catalog name such as "a100" or "h100"); NULL when unknown. */
static const struct fs_gpu *gpu_named(const struct fs_catalog *cat, const char *s)
{
	const struct fs_gpu *g = fs_catalog_gpu(cat, s);
	size_t n = strlen(s);

	if (g || n == 0)
		return g;
	for (size_t i = 0; i < cat->n_gpus; i++)
		if (strncasecmp(cat->gpus[i].name, s, n) == 0)
			return &cat->gpus[i];
	return NULL;
}

/* ---- CSV ------------------------------------------------------------------- */

enum { C_SUBMIT, C_TIMESTAMP, C_DUR, C_GPUS, C_NAME, C_MODEL, C_TOKENS, C_TEAM, C_GPU, C_PRIO,
       C_N };

static const char *const csv_cols[C_N][2] = {
	[C_SUBMIT] = { "submit_s", NULL },   [C_TIMESTAMP] = { "timestamp", NULL },
	[C_DUR] = { "duration_s", "duration" }, [C_GPUS] = { "gpus", "num_gpus" },
	[C_NAME] = { "name", NULL },         [C_MODEL] = { "model", NULL },
	[C_TOKENS] = { "tokens", NULL },     [C_TEAM] = { "team", "cluster" },
	[C_GPU] = { "gpu_type", NULL },      [C_PRIO] = { "priority", NULL },
};

static const char *field(char **f, int n, const int *col, int c)
{
	return col[c] >= 0 && col[c] < n ? trim(f[col[c]]) : "";
}

/* One CSV data row into a job (or a counted bad row). */
static enum fs_status csv_row(struct build *b, const struct fs_catalog *cat, char **f, int n,
			      const int *col, int line)
{
	struct fs_history_job j = { .team = -1, .line = line };
	const char *s;
	int32_t t;

	if (col[C_SUBMIT] >= 0) {
		if (!parse_num(field(f, n, col, C_SUBMIT), &j.submit_s) || j.submit_s < 0)
			return bad_row(b, line, "submit_s '%s'; expected seconds >= 0",
				       field(f, n, col, C_SUBMIT));
	} else if (!parse_iso(field(f, n, col, C_TIMESTAMP), &j.submit_s)) {
		return bad_row(b, line, "timestamp '%s'; expected YYYY-MM-DD HH:MM:SS",
			       field(f, n, col, C_TIMESTAMP));
	}
	if (!parse_num(field(f, n, col, C_DUR), &j.duration_s) || !(j.duration_s > 0))
		return bad_row(b, line, "duration_s '%s'; expected seconds > 0",
			       field(f, n, col, C_DUR));
	if (!parse_int(field(f, n, col, C_GPUS), 1, 1000000, &j.gpus))
		return bad_row(b, line, "gpus '%s'; expected a whole number >= 1",
			       field(f, n, col, C_GPUS));
	fs_strlcpy(j.name, field(f, n, col, C_NAME), sizeof(j.name));
	if (*(s = field(f, n, col, C_MODEL)) && !(j.model = fs_catalog_llm(cat, s)))
		return bad_row(b, line, "model '%s' is not in the catalog", s);
	if (*(s = field(f, n, col, C_TOKENS)) && (!parse_num(s, &j.tokens) || !(j.tokens > 0)))
		return bad_row(b, line, "tokens '%s'; expected a number > 0", s);
	if (*(s = field(f, n, col, C_GPU)) && !(j.gpu = gpu_named(cat, s)))
		return bad_row(b, line, "gpu_type '%s' is not in the catalog", s);
	if (*(s = field(f, n, col, C_PRIO)) && !parse_int(s, -1000000, 1000000, &j.priority))
		return bad_row(b, line, "priority '%s'; expected a whole number", s);
	if ((t = team_of(b, field(f, n, col, C_TEAM))) == -2)
		return fs_error_set(b->e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	j.team = t;
	{
		struct fs_history_job *d = push(b);
		if (!d)
			return fs_error_set(b->e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		*d = j;
	}
	return FS_OK;
}

static enum fs_status parse_csv(struct build *b, const char *text, const struct fs_catalog *cat,
				char *buf)
{
	char *f[MAX_FIELDS];
	int col[C_N], line = 1, n;
	const char *cur = text;
	enum fs_status st;

	n = fs_csv_next(&cur, buf, ROW_BYTES, f, MAX_FIELDS, &line);
	if (n <= 0)
		return fs_error_set(b->e, FS_ERR_INPUT, b->name, 1, "training.history",
				    "no header; expected a CSV header with submit_s, duration_s, gpus");
	for (int c = 0; c < C_N; c++) {
		col[c] = -1;
		for (int k = 0; k < 2 && col[c] < 0 && csv_cols[c][k]; k++)
			for (int i = 0; i < n; i++)
				if (strcmp(trim(f[i]), csv_cols[c][k]) == 0)
					col[c] = i;
	}
	if ((col[C_SUBMIT] < 0 && col[C_TIMESTAMP] < 0) || col[C_DUR] < 0 || col[C_GPUS] < 0)
		return fs_error_set(b->e, FS_ERR_INPUT, b->name, 1, "training.history",
				    "the header lacks %s; expected submit_s (or timestamp), "
				    "duration_s, gpus",
				    col[C_DUR] < 0 ? "duration_s" :
				    col[C_GPUS] < 0 ? "gpus" : "submit_s");
	for (;;) {
		int at = line;
		n = fs_csv_next(&cur, buf, ROW_BYTES, f, MAX_FIELDS, &line);
		if (n == 0)
			break;
		if (n == 1 && *trim(f[0]) == '\0')
			continue; /* a blank line is no row */
		b->h->n_rows++;
		if (n < 0) {
			/* fs_csv_next stopped inside the row: skip to the next line */
			const char *nl = strchr(cur, '\n');
			cur = nl ? nl + 1 : cur + strlen(cur);
			line = at + 1;
			st = bad_row(b, at, "a row longer than %d bytes or %d fields", ROW_BYTES,
				     MAX_FIELDS);
		} else {
			st = csv_row(b, cat, f, n, col, at);
		}
		if (st)
			return st;
	}
	if (col[C_SUBMIT] < 0) {
		/* timestamps: seconds from the earliest submit */
		double t0 = INFINITY;
		for (size_t i = 0; i < b->h->n_jobs; i++)
			t0 = fmin(t0, b->h->jobs[i].submit_s);
		for (size_t i = 0; i < b->h->n_jobs; i++)
			b->h->jobs[i].submit_s -= t0;
	}
	return FS_OK;
}

/* ---- Slurm ----------------------------------------------------------------- */

enum { S_ID, S_SUBMIT, S_START, S_END, S_ELAPSED, S_TRES, S_STATE, S_ACCOUNT, S_USER, S_N };

static const char *const slurm_cols[S_N] = { "JobID", "Submit", "Start", "End", "Elapsed",
					     "AllocTRES", "State", "Account", "User" };

/* Splits one line (NUL-terminated copy in buf) at '|'; returns the field count. */
static int split_bar(char *buf, char **f)
{
	int n = 0;

	f[n++] = buf;
	for (char *p = buf; *p; p++)
		if (*p == '|') {
			*p = '\0';
			if (n == MAX_FIELDS)
				return -1;
			f[n++] = p + 1;
		}
	return n;
}

static bool is_unset_time(const char *s)
{
	return !*s || strcmp(s, "Unknown") == 0 || strcmp(s, "None") == 0;
}

static enum fs_status slurm_row(struct build *b, const struct fs_catalog *cat, char **f, int n,
				const int *col, int line)
{
	struct fs_history_job j = { .team = -1, .line = line };
	const char *id = col[S_ID] < n ? trim(f[col[S_ID]]) : "";
	const char *state, *tres, *team;
	char type[64];
	bool cancelled;
	double start;
	int32_t t;

#define SF(c) (col[c] >= 0 && col[c] < n ? trim(f[col[c]]) : "")
	if (!*id)
		return bad_row(b, line, "empty JobID");
	if (strchr(id, '.')) {
		/* a step: folded into its job, which sacct lists just before its steps */
		size_t base = (size_t)(strchr(id, '.') - id);
		const struct fs_history_job *last = b->h->n_jobs ? &b->h->jobs[b->h->n_jobs - 1] : NULL;
		if (!last || strlen(last->name) != base || strncmp(last->name, id, base) != 0)
			return bad_row(b, line, "step '%s' does not follow its job", id);
		b->h->n_steps++;
		return FS_OK;
	}
	fs_strlcpy(j.name, id, sizeof(j.name));
	state = SF(S_STATE);
	cancelled = strncmp(state, "CANCELLED", 9) == 0 && is_unset_time(SF(S_START));
	if (!parse_iso(SF(S_SUBMIT), &j.submit_s))
		return bad_row(b, line, "job %s: Submit '%s'; expected YYYY-MM-DDTHH:MM:SS", id,
			       SF(S_SUBMIT));
	tres = SF(S_TRES);
	j.gpus = tres_gpus(tres, type, sizeof(type));
	if (j.gpus < 0)
		return bad_row(b, line, "job %s: AllocTRES '%s'; expected gres/gpu=N", id, tres);
	if (j.gpus == 0 && !cancelled) {
		b->h->n_cpu_only++;
		return FS_OK;
	}
	if (cancelled) {
		/* never started: no allocation, so its request is unknown here */
		if (j.gpus == 0)
			j.gpus = 1;
		j.cancelled = true;
	} else if (is_unset_time(SF(S_START)) || is_unset_time(SF(S_END)) ||
		   strcmp(state, "RUNNING") == 0 || strcmp(state, "PENDING") == 0) {
		return bad_row(b, line, "job %s: state %s has no end; expected a finished job", id,
			       state);
	} else if (!parse_elapsed(SF(S_ELAPSED), &j.duration_s)) {
		double end;
		if (!parse_iso(SF(S_START), &start) || !parse_iso(SF(S_END), &end))
			return bad_row(b, line, "job %s: Elapsed '%s'; expected [D-]HH:MM:SS", id,
				       SF(S_ELAPSED));
		j.duration_s = end - start;
	}
	if (!cancelled && !(j.duration_s > 0))
		return bad_row(b, line, "job %s: ran %g s; expected a run time > 0", id,
			       j.duration_s);
	if (*type)
		j.gpu = gpu_named(cat, type);
	team = SF(S_ACCOUNT);
	if (!*team)
		team = SF(S_USER);
	if ((t = team_of(b, team)) == -2)
		return fs_error_set(b->e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	j.team = t;
#undef SF
	{
		struct fs_history_job *d = push(b);
		if (!d)
			return fs_error_set(b->e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
		*d = j;
	}
	if (cancelled)
		b->h->n_cancelled++;
	return FS_OK;
}

static enum fs_status parse_slurm(struct build *b, const char *text,
				  const struct fs_catalog *cat, char *buf)
{
	char *f[MAX_FIELDS];
	int col[S_N], line = 0, n;
	const char *p = text;
	bool header = true;
	enum fs_status st;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		line++;
		if (len >= ROW_BYTES) {
			if (header)
				return fs_error_set(b->e, FS_ERR_INPUT, b->name, line,
						    "training.history", "header longer than %d bytes",
						    ROW_BYTES);
			b->h->n_rows++;
			if ((st = bad_row(b, line, "a row longer than %d bytes", ROW_BYTES)))
				return st;
			p = nl ? nl + 1 : p + len;
			continue;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (len && buf[len - 1] == '\r')
			buf[len - 1] = '\0';
		p = nl ? nl + 1 : p + len;
		if (!*trim(buf))
			continue;
		n = split_bar(buf, f);
		if (header) {
			header = false;
			for (int c = 0; c < S_N; c++) {
				col[c] = -1;
				for (int i = 0; i < n; i++)
					if (strcmp(trim(f[i]), slurm_cols[c]) == 0)
						col[c] = i;
			}
			for (int c = 0; c <= S_STATE; c++)
				if (col[c] < 0)
					return fs_error_set(b->e, FS_ERR_INPUT, b->name, line,
							    "training.history",
							    "the header lacks %s; expected a sacct "
							    "--parsable2 export with JobID, Submit, "
							    "Start, End, Elapsed, AllocTRES, State",
							    slurm_cols[c]);
			continue;
		}
		b->h->n_rows++;
		if (n < 0)
			st = bad_row(b, line, "more than %d fields", MAX_FIELDS);
		else
			st = slurm_row(b, cat, f, n, col, line);
		if (st)
			return st;
	}
	if (header)
		return fs_error_set(b->e, FS_ERR_INPUT, b->name, 1, "training.history",
				    "empty file; expected a sacct --parsable2 export");
	{
		double t0 = INFINITY;
		for (size_t i = 0; i < b->h->n_jobs; i++)
			t0 = fmin(t0, b->h->jobs[i].submit_s);
		for (size_t i = 0; i < b->h->n_jobs; i++)
			b->h->jobs[i].submit_s -= t0;
	}
	return FS_OK;
}

/* ---- entry points ---------------------------------------------------------- */

enum fs_status fs_history_parse(const char *text, size_t len, const char *name,
				enum fs_history_format fmt, bool skip_bad_rows,
				const struct fs_catalog *cat, struct fs_history *h,
				struct fs_error *e)
{
	struct build b = { h, 0, 0, name, skip_bad_rows, e };
	char *buf = malloc(ROW_BYTES);
	enum fs_status st;

	memset(h, 0, sizeof(*h));
	if (!buf)
		return fs_error_set(e, FS_ERR_NOMEM, NULL, 0, NULL, "out of memory");
	fs_strlcpy(h->file, name, sizeof(h->file));
	h->format = fmt;
	fs_sha256_hex(text, len, h->sha256);
	if (memchr(text, '\0', len))
		st = fs_error_set(e, FS_ERR_INPUT, name, 0, "training.history",
				  "a NUL byte; expected a text file");
	else
		st = fmt == FS_HISTORY_CSV ? parse_csv(&b, text, cat, buf)
					   : parse_slurm(&b, text, cat, buf);
	free(buf);
	if (!st && h->n_jobs == 0)
		st = fs_error_set(e, FS_ERR_INPUT, name, 0, "training.history",
				  "no jobs in %zu rows (%zu skipped, %zu without GPUs); expected at "
				  "least one", h->n_rows, h->n_skipped, h->n_cpu_only);
	if (st) {
		fs_history_fini(h);
		return st;
	}
	for (size_t i = 0; i < h->n_jobs; i++)
		h->span_s = fmax(h->span_s, h->jobs[i].submit_s + h->jobs[i].duration_s);
	return FS_OK;
}

enum fs_status fs_history_load(const char *path, enum fs_history_format fmt, bool skip_bad_rows,
			       const struct fs_catalog *cat, struct fs_history *h,
			       struct fs_error *e)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat sb;
	char *buf;
	size_t len = 0;
	enum fs_status st;

	memset(h, 0, sizeof(*h));
	if (fd < 0)
		return fs_error_set(e, FS_ERR_INPUT, path, 0, "training.history",
				    "cannot open history file: %s", strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return fs_error_set(e, FS_ERR_INPUT, path, 0, "training.history",
				    "not a regular file; expected a history file");
	}
	if (sb.st_size > (off_t)FS_HISTORY_MAX_BYTES) {
		close(fd);
		return fs_error_set(e, FS_ERR_INPUT, path, 0, "training.history",
				    "history file is larger than %u bytes (256 MiB); expected a "
				    "smaller file", FS_HISTORY_MAX_BYTES);
	}
	if (!(buf = malloc((size_t)sb.st_size + 1))) {
		close(fd);
		return fs_error_set(e, FS_ERR_NOMEM, path, 0, NULL, "out of memory");
	}
	while (len < (size_t)sb.st_size) {
		ssize_t got = read(fd, buf + len, (size_t)sb.st_size - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	buf[len] = '\0';
	st = fs_history_parse(buf, len, path, fmt, skip_bad_rows, cat, h, e);
	free(buf);
	return st;
}

void fs_history_fini(struct fs_history *h)
{
	free(h->jobs);
	free(h->teams);
	memset(h, 0, sizeof(*h));
}

double fs_history_time_ratio(const struct fs_gpu *ref, const struct fs_gpu *g)
{
	double a, b;

	if (!ref || !g || ref == g)
		return 1.0;
	a = ref->bf16_tflops * ref->gemm_eff_frac;
	b = g->bf16_tflops * g->gemm_eff_frac;
	return a > 0 && b > 0 ? a / b : 1.0;
}

bool fs_history_resolve(const char *base_file, const char *path, char *out, size_t n)
{
	const char *slash = base_file ? strrchr(base_file, '/') : NULL;
	int w;

	if (path[0] == '/' || !slash)
		return fs_strlcpy(out, path, n) < n;
	w = snprintf(out, n, "%.*s/%s", (int)(slash - base_file), base_file, path);
	return w >= 0 && (size_t)w < n;
}
