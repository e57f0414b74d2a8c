/*
 * sched.c - the registry of scheduling policies (see sched.h). A new policy
 * adds its row here; nothing else looks at policy names.
 */
#include "fleetsim/sched.h"

#include <stdio.h>
#include <string.h>

extern const struct fs_sched_policy fs_sched_fifo;
extern const struct fs_sched_policy fs_sched_priority;
extern const struct fs_sched_policy fs_sched_easy_backfill;
extern const struct fs_sched_policy fs_sched_first_fit;
extern const struct fs_sched_policy fs_sched_sjf;

static const struct fs_sched_policy *const registry[] = {
	&fs_sched_fifo,
	&fs_sched_priority,
	&fs_sched_easy_backfill,
	&fs_sched_first_fit,
	&fs_sched_sjf,
};

#define N_POLICIES (sizeof(registry) / sizeof(registry[0]))

const struct fs_sched_policy *fs_sched_find(const char *name)
{
	for (size_t i = 0; i < N_POLICIES; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}

size_t fs_sched_count(void)
{
	return N_POLICIES;
}

const struct fs_sched_policy *fs_sched_at(size_t i)
{
	return i < N_POLICIES ? registry[i] : NULL;
}

const struct fs_sched_policy *fs_sched_default(void)
{
	return registry[0];
}

char *fs_sched_names(char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_POLICIES && used + 1 < n; i++) {
		int w = snprintf(buf + used, n - used, "%s\"%s\"", i ? ", " : "", registry[i]->name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}
