#include "fleetsim/error.h"
#include "fleetsim/util.h"

#include <gsl/gsl_errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void fs_error_clear(struct fs_error *e)
{
	if (e)
		memset(e, 0, sizeof(*e));
}

enum fs_status fs_error_vset(struct fs_error *e, enum fs_status code,
			     const char *file, int line, const char *key,
			     const char *fmt, va_list ap)
{
	if (!e)
		return code;
	e->code = code;
	fs_strlcpy(e->file, file ? file : "", sizeof(e->file));
	e->line = line;
	fs_strlcpy(e->key, key ? key : "", sizeof(e->key));
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return code;
}

enum fs_status fs_error_set(struct fs_error *e, enum fs_status code,
			    const char *file, int line, const char *key,
			    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fs_error_vset(e, code, file, line, key, fmt, ap);
	va_end(ap);
	return code;
}

void fs_error_format(const struct fs_error *e, char *buf, unsigned long len)
{
	char where[512] = "";

	if (e->file[0] && e->line > 0)
		snprintf(where, sizeof(where), "%s:%d: ", e->file, e->line);
	else if (e->file[0])
		snprintf(where, sizeof(where), "%s: ", e->file);
	if (e->key[0])
		snprintf(buf, len, "%s%s: %s", where, e->key, e->msg);
	else
		snprintf(buf, len, "%s%s", where, e->msg);
}

int fs_status_exit_code(enum fs_status s)
{
	switch (s) {
	case FS_OK:
		return 0;
	case FS_ERR_INPUT:
	case FS_ERR_INFEASIBLE:
		return 2;
	default:
		return 1;
	}
}

void fs_gsl_errors_off(void)
{
	gsl_set_error_handler_off();
}
