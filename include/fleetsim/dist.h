/*
 * dist.h - the value distributions a scenario or a request mix may use
 * (token counts, GPU counts, prompt and output lengths), their draws and
 * their means. Each caller owns its GSL generator; nothing here keeps state.
 */
#ifndef FLEETSIM_DIST_H
#define FLEETSIM_DIST_H

#include <gsl/gsl_rng.h>

#include "fleetsim/error.h"
#include "fleetsim/memokey.h"

#define FS_MAX_CHOICES 32

enum fs_dist_kind {
	FS_DIST_FIXED,       /* value */
	FS_DIST_UNIFORM,     /* min, max */
	FS_DIST_LOGNORMAL,   /* median, sigma (of the log); optional min, max clamp */
	FS_DIST_EXPONENTIAL, /* mean; optional min, max clamp */
	FS_DIST_CHOICE       /* values with weights */
};

struct fs_dist {
	enum fs_dist_kind kind;
	double a, b;         /* fixed: a; uniform: [a, b]; lognormal: median a, sigma b; exponential: mean a */
	double lo, hi;       /* clamp applied after drawing (lo <= x <= hi) */
	int n_values;
	double values[FS_MAX_CHOICES];
	double weights[FS_MAX_CHOICES];
};

/* A distribution that always gives v. */
struct fs_dist fs_dist_fixed(double v);

/*
 * One draw. Choices pick a value with probability proportional to its
 * weight; uniform, lognormal and exponential draws are clamped to [lo, hi]
 * when hi > lo.
 */
double fs_dist_draw(const struct fs_dist *d, gsl_rng *r);

/*
 * Parses the text form of a distribution, as the calibration sets write it:
 *   "fixed V" | "uniform MIN MAX" | "lognormal MEDIAN SIGMA [MIN MAX]" |
 *   "exponential MEAN [MIN MAX]"
 * (numbers separated by blanks; MIN MAX clamp the draws). FS_OK and *out
 * filled; FS_ERR_INPUT with e->msg saying what was expected for an unknown
 * kind, a missing, extra or non-numeric number, or a value out of range
 * (median, mean > 0; sigma >= 0; MIN < MAX; uniform MIN <= MAX). e may be NULL.
 */
enum fs_status fs_dist_parse(const char *text, struct fs_dist *out, struct fs_error *e);

/* The mean (before clamping, for lognormal and exponential). */
double fs_dist_mean(const struct fs_dist *d);

/* Words fs_dist_key appends at most. */
#define FS_DIST_KEY_WORDS (6 + 2 * FS_MAX_CHOICES)

/* Appends d to a memo key: kind, parameters, clamp and the choices in use. */
void fs_dist_key(struct fs_key *k, const struct fs_dist *d);

#endif
