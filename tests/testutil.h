/* testutil.h - helpers shared by the test programs: temp files, running the
 * fleetsim binary, hashing a file to prove it did not change. */
#ifndef FLEETSIM_TESTUTIL_H
#define FLEETSIM_TESTUTIL_H

#include <stddef.h>

#include "fleetsim/catalog.h"

/* A fresh private directory under /tmp (static storage; one per process). */
const char *tu_tmpdir(void);

/* Writes text to tu_tmpdir()/name and returns the full path (static buffer rotated 8 deep). */
const char *tu_write(const char *name, const char *text);

/* Path of tu_tmpdir()/name (static buffer rotated 8 deep). */
const char *tu_path(const char *name);

/* Runs "FLEETSIM_BIN args" with stdout+stderr into out; returns the exit code (-1 on failure). */
int tu_fleetsim(const char *args, char *out, size_t outlen);

/* SHA-256 of a file's bytes; "missing" when it does not exist. */
void tu_file_hash(const char *path, char hex[65]);


/* The built-in catalogs, loaded on first use and kept for the process. */
const struct fs_catalog *tu_catalog(void);

/* Catalog lookups that abort the test program when the name is unknown. */
const struct fs_gpu *tu_gpu(const char *name);
const struct fs_llm *tu_llm(const char *name);

#endif
