/*
 * csv.h - a minimal RFC 4180 reader over text in memory (the embedded
 * calibration sets). Quoted fields may hold commas, doubled quotes and
 * newlines. No allocation: fields are written into a caller buffer.
 */
#ifndef FLEETSIM_CSV_H
#define FLEETSIM_CSV_H

#include <stddef.h>

/*
 * Reads one record starting at *cursor, advancing it past the record.
 * Fields are NUL-terminated copies inside buf (size buflen); fields[i] points
 * at each, up to max_fields. Returns the number of fields (>= 1), 0 at end of
 * text, or -1 when the record does not fit in buf or max_fields.
 * *line_no, when not NULL, is incremented by the lines consumed.
 */
int fs_csv_next(const char **cursor, char *buf, size_t buflen, char **fields, int max_fields,
		int *line_no);

/* Index of name among the n header fields, or -1. */
int fs_csv_col(char *const *header, int n, const char *name);

#endif
