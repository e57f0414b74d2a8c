/*
 * emit.c - the table, CSV and JSON emitters behind emit.h. A format is a row
 * of the registry below: adding one is adding a row.
 */
#include "fleetsim/emit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The table's default number format; CSV and JSON default to round-trip text. */
#define NUM_FMT(c) ((c)->fmt ? (c)->fmt : "%.6g")

/* d as the shortest %.{15,16,17}g text that reads back as d: programs get
 * every bit (3609060.5 rather than 3.60906e+06) without 0.1 turning into
 * 0.10000000000000001. */
static void round_trip_text(double d, char *buf, size_t n)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

/* d in fmt, or round-trip text when fmt is NULL. */
static void program_num_text(const char *fmt, double d, char *buf, size_t n)
{
	if (fmt)
		snprintf(buf, n, fmt, d);
	else
		round_trip_text(d, buf, n);
}

static bool is_missing(const struct fs_emit_col *c, const struct fs_emit_val *v)
{
	if (v->missing)
		return true;
	if (c->type == FS_EMIT_STR)
		return v->s == NULL;
	if (c->type == FS_EMIT_NUM)
		return !isfinite(v->d);
	return false;
}

/* The value as text (strings are not copied); buf holds numbers. program:
 * for CSV and JSON, whose numbers without a column format round-trip. */
static const char *value_text(const struct fs_emit_col *c, const struct fs_emit_val *v, bool program,
			      char *buf, size_t n)
{
	switch (c->type) {
	case FS_EMIT_STR:
		return v->s;
	case FS_EMIT_INT:
		snprintf(buf, n, "%lld", v->i);
		return buf;
	case FS_EMIT_NUM:
		if (program)
			program_num_text(c->fmt, v->d, buf, n);
		else
			snprintf(buf, n, NUM_FMT(c), v->d);
		return buf;
	case FS_EMIT_BOOL:
		return v->i ? "true" : "false";
	}
	return "";
}

/* ---- table: fixed widths from the column table, "-" for missing ---- */

static void table_cell(struct fs_emitter *em, int k, const char *text)
{
	const struct fs_emit_col *c = &em->cols[k];

	if (k > 0)
		fputc(' ', em->out);
	if (k == em->n_cols - 1 && c->width < 0)
		fputs(text, em->out); /* no trailing blanks */
	else
		fprintf(em->out, "%*s", c->width, text);
}

static void table_begin(struct fs_emitter *em)
{
	for (int k = 0; k < em->n_cols; k++)
		table_cell(em, k, em->cols[k].header ? em->cols[k].header : em->cols[k].name);
	fputc('\n', em->out);
}

static void table_row(struct fs_emitter *em, const struct fs_emit_val *v)
{
	char buf[64];

	for (int k = 0; k < em->n_cols; k++) {
		const struct fs_emit_col *c = &em->cols[k];
		if (is_missing(c, &v[k]))
			table_cell(em, k, "-");
		else if (c->type == FS_EMIT_NUM && (c->tscale != 0 || c->tfmt)) {
			snprintf(buf, sizeof(buf), c->tfmt ? c->tfmt : NUM_FMT(c),
				 v[k].d * (c->tscale != 0 ? c->tscale : 1.0));
			table_cell(em, k, buf);
		} else {
			table_cell(em, k, value_text(c, &v[k], false, buf, sizeof(buf)));
		}
	}
	fputc('\n', em->out);
}

static void table_end(struct fs_emitter *em)
{
	(void)em;
}

/* ---- CSV: RFC 4180 ---- */

void fs_emit_csv_field(FILE *out, const char *s)
{
	if (!s[strcspn(s, ",\"\r\n")]) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void csv_begin(struct fs_emitter *em)
{
	for (int k = 0; k < em->n_cols; k++) {
		if (k)
			fputc(',', em->out);
		fs_emit_csv_field(em->out, em->cols[k].name);
	}
	fputc('\n', em->out);
}

static void csv_row(struct fs_emitter *em, const struct fs_emit_val *v)
{
	char buf[64];

	for (int k = 0; k < em->n_cols; k++) {
		if (k)
			fputc(',', em->out);
		if (!is_missing(&em->cols[k], &v[k]))
			fs_emit_csv_field(em->out, value_text(&em->cols[k], &v[k], true, buf, sizeof(buf)));
	}
	fputc('\n', em->out);
}

static void csv_end(struct fs_emitter *em)
{
	(void)em;
}

/* ---- JSON ---- */

void fs_emit_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void fs_emit_json_number(FILE *out, const char *fmt, double d)
{
	char buf[64];

	if (isfinite(d)) {
		program_num_text(fmt, d, buf, sizeof(buf));
		fputs(buf, out);
	} else {
		fputs("null", out);
	}
}

const char *fs_emit_table_num(const char *fmt, double d, char *buf, size_t n)
{
	if (!isfinite(d))
		return "-";
	snprintf(buf, n, fmt, d);
	return buf;
}

static void json_begin(struct fs_emitter *em)
{
	if (!em->one_record)
		fputc('[', em->out);
}

void fs_emit_json_member(FILE *out, const struct fs_emit_col *c, const struct fs_emit_val *v)
{
	char buf[64];

	fs_emit_json_string(out, c->name);
	fputs(": ", out);
	if (is_missing(c, v))
		fputs("null", out);
	else if (c->type == FS_EMIT_STR)
		fs_emit_json_string(out, v->s);
	else
		fputs(value_text(c, v, true, buf, sizeof(buf)), out);
}

static void json_row(struct fs_emitter *em, const struct fs_emit_val *v)
{
	if (!em->one_record)
		fputs(em->n_rows ? ",\n  " : "\n  ", em->out);
	fputc('{', em->out);
	for (int k = 0; k < em->n_cols; k++) {
		if (k)
			fputs(", ", em->out);
		fs_emit_json_member(em->out, &em->cols[k], &v[k]);
	}
	fputc('}', em->out);
	if (em->one_record)
		fputc('\n', em->out);
}

static void json_end(struct fs_emitter *em)
{
	if (!em->one_record)
		fputs(em->n_rows ? "\n]\n" : "]\n", em->out);
}

/* ---- the registry ---- */

/* One row per format: its name is NAME and its operations NAME_begin, NAME_row, NAME_end. */
#define FORMATS(X) X(table) X(csv) X(json)

#define FORMAT_ROW(n) { #n, n##_begin, n##_row, n##_end },
#define FORMAT_NAME(n) #n,
static const struct fs_emit_format formats[] = { FORMATS(FORMAT_ROW) };
static const char *const format_names[] = { FORMATS(FORMAT_NAME) NULL };

#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

const struct fs_emit_format *fs_emit_format_find(const char *name)
{
	for (size_t i = 0; i < N_FORMATS; i++)
		if (strcmp(formats[i].name, name) == 0)
			return &formats[i];
	return NULL;
}

const char *const *fs_emit_format_names(void)
{
	return format_names;
}

void fs_emit_begin(struct fs_emitter *em, FILE *out, const struct fs_emit_format *f,
		   const struct fs_emit_col *cols, int n_cols, bool one_record)
{
	em->out = out;
	em->format = f;
	em->cols = cols;
	em->n_cols = n_cols;
	em->one_record = one_record;
	em->n_rows = 0;
	f->begin(em);
}

void fs_emit_row(struct fs_emitter *em, const struct fs_emit_val *v)
{
	em->format->row(em, v);
	em->n_rows++;
}

void fs_emit_end(struct fs_emitter *em)
{
	em->format->end(em);
}

struct fs_emit_val fs_emit_str(const char *s)
{
	return (struct fs_emit_val){ .s = s };
}

struct fs_emit_val fs_emit_int(long long i)
{
	return (struct fs_emit_val){ .i = i };
}

struct fs_emit_val fs_emit_num(double d)
{
	return (struct fs_emit_val){ .d = d };
}

struct fs_emit_val fs_emit_missing(void)
{
	return (struct fs_emit_val){ .missing = true };
}
