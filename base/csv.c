#include "fleetsim/csv.h"

#include <string.h>

int fs_csv_next(const char **cursor, char *buf, size_t buflen, char **fields, int max_fields,
		int *line_no)
{
	const char *p = *cursor;
	size_t o = 0;
	int n = 0;
	int quoted = 0;

	if (!p || !*p)
		return 0;
	if (max_fields < 1 || buflen < 1)
		return -1;
	fields[n++] = buf;
	for (;; p++) {
		char ch = *p;
		if (quoted) {
			if (ch == '\0')
				break;
			if (ch == '"' && p[1] == '"') {
				ch = '"';
				p++;
			} else if (ch == '"') {
				quoted = 0;
				continue;
			} else if (ch == '\n' && line_no) {
				(*line_no)++;
			}
		} else if (ch == '"') {
			quoted = 1;
			continue;
		} else if (ch == ',') {
			if (o + 1 > buflen || n >= max_fields)
				return -1;
			buf[o++] = '\0';
			fields[n++] = buf + o;
			continue;
		} else if (ch == '\r') {
			continue;
		} else if (ch == '\n' || ch == '\0') {
			break;
		}
		if (o + 1 >= buflen)
			return -1;
		buf[o++] = ch;
	}
	buf[o] = '\0';
	if (*p == '\n') {
		p++;
		if (line_no)
			(*line_no)++;
	}
	*cursor = p;
	return n;
}

int fs_csv_col(char *const *header, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(header[i], name) == 0)
			return i;
	return -1;
}
