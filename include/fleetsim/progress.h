/*
 * progress.h - "done of total, time left" on a terminal for long commands.
 *
 * A progress line is drawn on a stream only when that stream is a terminal
 * (isatty) and the caller did not ask for quiet: scripts, pipes and files
 * never see it. The line is redrawn in place (carriage return) at most
 * every 0.2 s and cleared by fs_progress_end. The time left is the elapsed
 * time scaled by the work left (linear extrapolation).
 */
#ifndef FLEETSIM_PROGRESS_H
#define FLEETSIM_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

struct fs_progress {
	FILE *out;                  /* NULL: silent */
	char what[48];
	double total;
	double t0_s, last_s;        /* monotonic clock */
};

/* Starts progress over total units of work named what, on out when it is a
 * terminal and !quiet; silent otherwise. */
void fs_progress_begin(struct fs_progress *p, FILE *out, bool quiet, const char *what,
		       double total);

/* Reports done units (0..total); redraws at most every 0.2 s. */
void fs_progress_update(struct fs_progress *p, double done);

/* Clears the line. */
void fs_progress_end(struct fs_progress *p);

/* "1m05s", "42s", "2h03m" for s >= 0 into buf (size n); buf. */
const char *fs_progress_duration(double s, char *buf, size_t n);

#endif
