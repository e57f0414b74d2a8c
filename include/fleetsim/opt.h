/*
 * opt.h - one table-driven command-line option parser.
 *
 * A command lists its options once (struct fs_opt): long name, aliases,
 * type, unit, range, default and help line. The same table parses argv and
 * prints --help (fs_opt_help), so the two cannot disagree. Options are
 * written --name VALUE or --name=VALUE; flags take no value. Arguments not
 * starting with "--" are positional (at most max_pos of them).
 *
 * Errors (FS_ERR_INPUT; the command line exits 2) name the option and what
 * was expected: "--tp 'x': expected a whole number from 1 to 1024",
 * "unknown option '--gpu-count' (did you mean --gpus?)". Nothing is
 * allocated; values point into argv.
 */
#ifndef FLEETSIM_OPT_H
#define FLEETSIM_OPT_H

#include <stdbool.h>
#include <stdio.h>

#include "fleetsim/error.h"

enum fs_opt_type {
	FS_OPT_FLAG,   /* no value; set or not */
	FS_OPT_INT,    /* whole number in [imin, imax] */
	FS_OPT_DOUBLE, /* finite number in [dmin, dmax] (dmin excluded when min_open) */
	FS_OPT_STRING, /* any text */
	FS_OPT_ENUM    /* one of choices (exact match) */
};

struct fs_opt {
	const char *name;     /* long name without dashes: "gpu" is --gpu */
	const char *aliases;  /* other accepted names, space separated, or NULL */
	enum fs_opt_type type;
	const char *metavar;  /* value placeholder in --help ("N", "NAME"); NULL: from type */
	const char *unit;     /* unit of the value ("s", "h", "requests/s"), or NULL */
	long long imin, imax; /* FS_OPT_INT range */
	double dmin, dmax;    /* FS_OPT_DOUBLE range; dmax 0 means no upper bound */
	bool min_open;        /* FS_OPT_DOUBLE: the value must be above dmin */
	bool si_suffix;       /* FS_OPT_DOUBLE: K, M, B (or G), T multiply by 10^3..10^12 */
	const char *const *choices; /* FS_OPT_ENUM: NULL-terminated names */
	const char *const *(*choices_of)(void); /* FS_OPT_ENUM: the names from a registry, when choices is NULL */
	const char *def;      /* default as shown in --help, or NULL */
	const char *help;     /* one line */
};

/* What was given for one option (same index as its table row). */
struct fs_opt_val {
	bool set;
	const char *s; /* the text as given (string and enum: the value) */
	long long i;   /* int value; enum: index into choices */
	double d;      /* double value */
};

/*
 * Parses argv[1..argc) against opts[0..n_opts). vals[0..n_opts) are cleared
 * and filled; positional arguments go to pos[0..max_pos) and their count to
 * *n_pos (n_pos may be NULL when max_pos is 0). Returns FS_OK, or
 * FS_ERR_INPUT with e->msg naming the option and what was expected (unknown
 * option, missing value, bad type, out of range, too many positionals).
 * An option given twice keeps the last value.
 */
enum fs_status fs_opt_parse(const struct fs_opt *opts, int n_opts, int argc, char **argv,
			    struct fs_opt_val *vals, const char **pos, int max_pos, int *n_pos,
			    struct fs_error *e);

/* Index of the option named name (not an alias), or -1. */
int fs_opt_index(const struct fs_opt *opts, int n_opts, const char *name);

/* Writes the options section of --help: one entry per option, from the table. */
void fs_opt_help(FILE *out, const struct fs_opt *opts, int n_opts);

/* true when argv holds -h or --help. */
bool fs_opt_wants_help(int argc, char **argv);

#endif
