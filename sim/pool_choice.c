/*
 * pool_choice.c - the table of pool choices (sched.h): which pool of a mixed
 * fleet a job or replica that asks for no GPU type runs on. A minimal table
 * of names for the scenario loader; the run adds the functions.
 */
#include "fleetsim/sched.h"

#include <stdio.h>
#include <string.h>

static const struct fs_pool_choice choices[] = {
	{ "fastest-free", "the pool with the fastest GPUs that has room now" },
	{ "cheapest", "the pool with the lowest price per GPU-hour that has room now" },
	{ "as-asked", "only the GPU type the job or service names (the first pool when none)" },
};

#define N_CHOICES (sizeof(choices) / sizeof(choices[0]))

const struct fs_pool_choice *fs_pool_choice_find(const char *name)
{
	for (size_t i = 0; i < N_CHOICES; i++)
		if (strcmp(choices[i].name, name) == 0)
			return &choices[i];
	return NULL;
}

const struct fs_pool_choice *fs_pool_choice_default(void)
{
	return &choices[0];
}

char *fs_pool_choice_names(char *buf, size_t n)
{
	size_t u = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_CHOICES && u < n; i++) {
		int k = snprintf(buf + u, n - u, "%s\"%s\"", i ? ", " : "", choices[i].name);
		if (k < 0)
			break;
		u += (size_t)k;
	}
	return buf;
}
