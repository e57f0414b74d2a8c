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
