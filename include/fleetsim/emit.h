/*
 * emit.h - one output emitter for rows of typed columns: an aligned table
 * for people, CSV (RFC 4180) and JSON for programs.
 *
 * A command describes its columns once (struct fs_emit_col) and writes each
 * row as an array of values; the format is chosen by name from one registry
 * (fs_emit_format_find), so a new format is one more row in that registry.
 * Column names are the machine names shared by CSV, JSON and the results
 * database; the table may show a friendlier header.
 *
 * Missing values and non-finite numbers print as "-" in the table, as an
 * empty field in CSV and as null in JSON. Numbers of a column without a
 * format print as "%.6g" in the table and, for programs, in CSV and JSON
 * as the shortest "%.15g".."%.17g" text that reads back as the same double. CSV fields holding a comma, a
 * quote, CR or LF are quoted with quotes doubled; JSON strings are escaped
 * (quote, backslash, control characters as \uXXXX).
 *
 * Streaming: nothing is buffered beyond one row and nothing is allocated;
 * table column widths come from the column table. Errors of the FILE are
 * left to the caller (ferror).
 */
#ifndef FLEETSIM_EMIT_H
#define FLEETSIM_EMIT_H

#include <stdbool.h>
#include <stdio.h>

enum fs_emit_type {
	FS_EMIT_STR,  /* v.s; NULL is missing */
	FS_EMIT_INT,  /* v.i */
	FS_EMIT_NUM,  /* v.d printed with the column's printf format; NaN/inf is missing */
	FS_EMIT_BOOL  /* v.i != 0: true/false */
};

struct fs_emit_col {
	const char *name;   /* machine name: CSV header and JSON key */
	enum fs_emit_type type;
	const char *fmt;    /* FS_EMIT_NUM: printf format of one double (NULL: see above) */
	int width;          /* table: field width; negative left-aligns (strings) */
	const char *header; /* table header; name when NULL */
	double tscale;      /* table: FS_EMIT_NUM shown times tscale (0 means 1), e.g. 1/3600 for hours */
	const char *tfmt;   /* table: printf format of the scaled number; fmt when NULL */
};

struct fs_emit_val {
	bool missing;
	const char *s;
	long long i;
	double d;
};

struct fs_emitter;

/* One output format: a name and its three operations. */
struct fs_emit_format {
	const char *name;
	void (*begin)(struct fs_emitter *em);
	void (*row)(struct fs_emitter *em, const struct fs_emit_val *v);
	void (*end)(struct fs_emitter *em);
};

struct fs_emitter {
	FILE *out;
	const struct fs_emit_format *format;
	const struct fs_emit_col *cols;
	int n_cols;
	bool one_record; /* JSON: a single object instead of an array of objects */
	long n_rows;     /* rows written so far */
};

/* The format named name ("table", "csv", "json"), or NULL. */
const struct fs_emit_format *fs_emit_format_find(const char *name);

/* The registry's format names, NULL-terminated (static storage), for an option's choices. */
const char *const *fs_emit_format_names(void);

/*
 * Starts output of n_cols columns (cols must outlive the emitter) to out in
 * format f and writes the header (table, CSV). one_record: the caller
 * writes exactly one row and JSON prints it as one object.
 */
void fs_emit_begin(struct fs_emitter *em, FILE *out, const struct fs_emit_format *f,
		   const struct fs_emit_col *cols, int n_cols, bool one_record);

/* Writes one row of n_cols values. */
void fs_emit_row(struct fs_emitter *em, const struct fs_emit_val *v);

/* Ends the output (JSON closes its array). */
void fs_emit_end(struct fs_emitter *em);

/* Value constructors. */
struct fs_emit_val fs_emit_str(const char *s);
struct fs_emit_val fs_emit_int(long long i);
struct fs_emit_val fs_emit_num(double d);
struct fs_emit_val fs_emit_missing(void);

/* The building blocks, for output that is not rows (nested JSON objects). */
void fs_emit_csv_field(FILE *out, const char *s);
void fs_emit_json_string(FILE *out, const char *s);
/* One JSON object member, "name": value, as a row of the JSON format writes it. */
void fs_emit_json_member(FILE *out, const struct fs_emit_col *c, const struct fs_emit_val *v);
/* d with fmt (NULL: round-trip text), or null when not finite. */
void fs_emit_json_number(FILE *out, const char *fmt, double d);
/* The table's text of d in fmt: "-" (missing) when d is not finite, a NULL
 * read from the database included; else buf (n bytes) holding the number. */
const char *fs_emit_table_num(const char *fmt, double d, char *buf, size_t n);

#endif
