/*
 * stats.h - the one way fleetsim computes a sample quantile.
 *
 * Definition (GSL's gsl_stats_quantile_from_sorted_data, numpy's default
 * "linear"): for a fraction f of n values sorted ascending x(0..n-1),
 * i = floor(f (n - 1)), d = f (n - 1) - i, and the quantile is
 * (1 - d) x(i) + d x(i+1), or x(n-1) when i = n - 1. Computed by selection
 * (gsl_stats_select), O(n) expected, so callers need not sort.
 */
#ifndef FLEETSIM_STATS_H
#define FLEETSIM_STATS_H

#include <stddef.h>

/*
 * Quantile f (0..1) of x[0..n). Reorders x. Returns NAN when n == 0; f is
 * clamped to [0, 1]. Bit-identical to sorting x and calling
 * gsl_stats_quantile_from_sorted_data.
 */
double fs_quantile(double *x, size_t n, double f);

/*
 * Summary of the absolute relative errors of a model against published
 * figures (the validate commands): count, median, 90th percentile and the
 * worst, with the index of the first row that holds the worst.
 */
struct fs_err_summary {
	size_t n;
	double median;      /* NAN when n == 0 */
	double p90;         /* fs_quantile at 0.9; NAN when n == 0 */
	double worst;       /* NAN when n == 0 */
	size_t worst_index; /* index into err of the first largest |err|; 0 when n == 0 */
};

/*
 * Summarises |err[0..n)| (relative errors; INFINITY counts as the worst).
 * scratch holds n doubles and is overwritten. The median of an even count is
 * the mean of the two middle values.
 */
void fs_err_summarize(const double *err, size_t n, double *scratch, struct fs_err_summary *out);

#endif
