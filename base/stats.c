#include "fleetsim/stats.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>

double fs_quantile(double *x, size_t n, double f)
{
	double index, delta, lo, hi;
	size_t lhs;

	if (n == 0)
		return NAN;
	if (!(f > 0.0))
		f = 0.0;
	else if (f > 1.0)
		f = 1.0;
	index = f * (double)(n - 1);
	lhs = (size_t)index;
	delta = index - (double)lhs;
	lo = gsl_stats_select(x, 1, n, lhs);
	if (lhs == n - 1)
		return lo;
	hi = gsl_stats_select(x, 1, n, lhs + 1);
	/* the same expression as GSL's, so results match a sort bit for bit */
	return (1 - delta) * lo + delta * hi;
}

void fs_err_summarize(const double *err, size_t n, double *scratch, struct fs_err_summary *out)
{
	out->n = n;
	out->worst_index = 0;
	out->median = out->p90 = out->worst = NAN;
	if (n == 0)
		return;
	out->worst = fabs(err[0]);
	for (size_t i = 0; i < n; i++) {
		scratch[i] = fabs(err[i]);
		if (scratch[i] > out->worst) {
			out->worst = scratch[i];
			out->worst_index = i;
		}
	}
	/* selection, not fs_quantile, for the median: 0 x INFINITY would give NaN */
	if (n % 2)
		out->median = gsl_stats_select(scratch, 1, n, n / 2);
	else
		out->median = 0.5 * (gsl_stats_select(scratch, 1, n, n / 2 - 1) +
				     gsl_stats_select(scratch, 1, n, n / 2));
	out->p90 = fs_quantile(scratch, n, 0.9);
}
