/*
 * error.h - status codes and the caller-supplied error record.
 *
 * Fallible actions return an enum fs_status and, on failure, fill a
 * struct fs_error the caller owns. Library code never prints; only the
 * command line reports. FS_ERR_INPUT is bad input (exit code 2); every
 * other failure is a simulation or database failure (exit code 1).
 *
 * GSL contract. GSL's default error handler aborts the process. fleetsim
 * turns it off once, first thing in every program (cli/main.c, each
 * benchmark, every test program through tests/testutil.c), by calling
 * gsl_set_error_handler_off() or fs_gsl_errors_off() below. In exchange,
 * library code checks the status of every GSL call that can fail
 * (allocation, interpolation set-up, root finding) and turns a failure into
 * an fs_status, and calls GSL functions that report errors only through
 * the handler (gsl_interp_eval outside the table, for example) only with
 * arguments it has checked. A GSL failure is therefore never silent and
 * never an abort.
 */
#ifndef FLEETSIM_ERROR_H
#define FLEETSIM_ERROR_H

#include <stdarg.h>

enum fs_status {
	FS_OK = 0,
	FS_ERR_INPUT,      /* bad scenario, usage, unknown name: exit 2 */
	FS_ERR_INFEASIBLE, /* a valid request that cannot be met (does not fit): exit 2 */
	FS_ERR_DB,         /* database could not be opened, read or written: exit 1 */
	FS_ERR_NOMEM,      /* allocation failed: exit 1 */
	FS_ERR_SIM         /* the simulation failed an internal check: exit 1 */
};

struct fs_error {
	enum fs_status code;
	char file[256];  /* scenario or catalog file, "" when not about a file */
	int line;        /* 1-based line in file, 0 when unknown */
	char key[128];   /* setting path such as "fleets.[1].gpu", "" when none */
	char msg[1024];  /* what was found and what was expected */
};

/* Clears e (code FS_OK, empty strings). e may be NULL. */
void fs_error_clear(struct fs_error *e);

/*
 * Fills e and returns code. file and key may be NULL. The message is
 * printf-formatted and truncated to fit. e may be NULL (then only the
 * code is returned).
 */
enum fs_status fs_error_set(struct fs_error *e, enum fs_status code,
			    const char *file, int line, const char *key,
			    const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* fs_error_set with the message arguments in a va_list (ap is consumed). */
enum fs_status fs_error_vset(struct fs_error *e, enum fs_status code,
			     const char *file, int line, const char *key,
			     const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));

/* Formats e as "file:line: key: message" (parts omitted when empty). */
void fs_error_format(const struct fs_error *e, char *buf, unsigned long len);

/*
 * Turns GSL's aborting error handler off for the whole process (the
 * contract above). Call once from main before any other fleetsim call; it
 * changes GSL's process-wide handler, so it is main's to call, never a
 * library function's.
 */
void fs_gsl_errors_off(void);

/* Process exit code for a status: 0 ok, 2 bad input or infeasible, 1 otherwise. */
int fs_status_exit_code(enum fs_status s);

#endif
