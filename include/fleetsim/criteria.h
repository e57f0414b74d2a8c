/*
 * criteria.h - the planning criteria of a scenario (key `criteria`)
 * evaluated month by month over one run.
 *
 * A month is 30.4375 days; month 0 starts at t = 0 and the horizon has
 * fs_criteria_n_months of them (the last may be partial). Per kind:
 *  - tts_p90_days, wait_p90_hours, wait_mean_hours: over the jobs of the
 *    criterion's class (all, the explicit jobs, or one stream) submitted in
 *    the month that ran (infeasible jobs excluded); runs drain past the
 *    horizon, so no time is censored. p90 is fs_quantile at 0.9.
 *  - attainment: the share of the month's serving intervals (of the
 *    criterion's service, or of every service's intervals together) whose
 *    attainment_frac is at least hour_min; an interval without demand
 *    counts as met. With hourly intervals this is "the objectives were met
 *    in X % of hours" (docs/SCENARIO.md, "Criteria").
 *  - utilization: (training + serving GPU-time) / installed GPU-time over
 *    the month's series intervals (an interval belongs to the month it
 *    starts in; the last one is cut at the horizon).
 * A month with nothing to measure (no job of the class submitted) has value
 * NaN and counts as met. A criterion with a max fails when value > limit,
 * one with a min (attainment) when value < limit.
 *
 * Pure functions of a run result and its scenario: an analysis calls them in
 * memory, a report on results read back from the database.
 */
#ifndef FLEETSIM_CRITERIA_H
#define FLEETSIM_CRITERIA_H

#include <stdbool.h>
#include <stddef.h>

#include "fleetsim/error.h"
#include "fleetsim/run.h"
#include "fleetsim/scenario.h"

struct fs_criteria_eval {
	size_t n_criteria;          /* sc->n_criteria */
	int n_months;               /* fs_criteria_n_months(sc) */
	double *value;              /* [c * n_months + m]; NaN: nothing to measure */
	bool *ok;                   /* [c * n_months + m] */
	int first_fail_month;       /* the first month any criterion fails; -1: none fails */
	int first_fail_criterion;   /* the first (in declaration order) failing then; -1: none */
};

/* Months in the horizon: ceil(horizon / 30.4375 days), at least 1. */
int fs_criteria_n_months(const struct fs_scenario *sc);

/*
 * Evaluates every criterion of sc in every month of run r (a run of sc, or
 * of sc scaled: only the job classes and services by index are used) into
 * out (caller storage; release with fs_criteria_eval_fini). FS_OK or
 * FS_ERR_NOMEM (out empty).
 */
enum fs_status fs_criteria_eval(const struct fs_scenario *sc, const struct fs_run_result *r,
				struct fs_criteria_eval *out, struct fs_error *e);

void fs_criteria_eval_fini(struct fs_criteria_eval *ev);

/* true when value breaks criterion c (NaN never does). */
bool fs_criterion_fails(const struct fs_criterion *c, double value);

/*
 * The worst relative margin of months 0..through_month: for a max,
 * value / limit - 1; for a min, (limit - value) / limit. Positive means some
 * criterion fails by then; -INFINITY when nothing was measured. The
 * quantity the scale search brackets and bisects.
 */
double fs_criteria_margin(const struct fs_scenario *sc, const struct fs_criteria_eval *ev,
			  int through_month);

#endif
