/*
 * progress.c - a progress line with the time left (progress.h).
 */
#include "fleetsim/progress.h"
#include "fleetsim/util.h"

#include <math.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void fs_progress_begin(struct fs_progress *p, FILE *out, bool quiet, const char *what,
		       double total)
{
	p->out = !quiet && out && isatty(fileno(out)) ? out : NULL;
	fs_strlcpy(p->what, what, sizeof(p->what));
	p->total = total > 0 ? total : 1;
	p->t0_s = now_s();
	p->last_s = -1;
}

const char *fs_progress_duration(double s, char *buf, size_t n)
{
	long t = (long)lround(s < 0 ? 0 : s);

	if (t >= 3600)
		snprintf(buf, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, n, "%lds", t);
	return buf;
}

void fs_progress_update(struct fs_progress *p, double done)
{
	double t = now_s(), el = t - p->t0_s;
	char left[32];

	if (!p->out || (p->last_s >= 0 && t - p->last_s < 0.2))
		return;
	p->last_s = t;
	if (done > 0)
		fs_progress_duration(el * (p->total - done) / done, left, sizeof(left));
	else
		snprintf(left, sizeof(left), "?");
	fprintf(p->out, "\r%s: %.0f of %.0f (%.0f%%), %s left   ", p->what, done, p->total,
		100.0 * done / p->total, left);
	fflush(p->out);
}

void fs_progress_end(struct fs_progress *p)
{
	if (!p->out)
		return;
	fprintf(p->out, "\r%*s\r", 72, "");
	fflush(p->out);
}
