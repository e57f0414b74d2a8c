/*
 * cfg.h - the libconfig seam shared by the two loaders of libconfig files:
 * scenarios (scenario.c, which implements it) and sweeps (sweep.c). Private
 * to sim/: nothing outside these two files includes libconfig.h.
 *
 * Text goes through the scenario loader's preparation before libconfig sees
 * it (every integer literal read with 64 bits, @include refused, lines kept),
 * so a sweep file and a scenario file follow one set of syntax rules and
 * errors name file:line:key the same way.
 */
#ifndef FLEETSIM_SIM_CFG_H
#define FLEETSIM_SIM_CFG_H

#include <libconfig.h>
#include <stddef.h>

#include "fleetsim/error.h"

/*
 * Reads path (a regular file of at most FS_SCENARIO_MAX_BYTES, no NUL byte)
 * into *text (malloc'd, NUL-terminated; caller frees). what names the kind
 * of file in messages ("scenario file", "sweep file"). FS_OK, FS_ERR_INPUT
 * naming path, FS_ERR_NOMEM. Never blocks on a FIFO or device.
 */
enum fs_status fs_cfg_read_file(const char *path, const char *what, char **text,
				struct fs_error *e);

/*
 * Parses text into cfg (initialised here; the caller calls config_destroy
 * after FS_OK only). file names the text in messages. FS_OK, FS_ERR_INPUT
 * (syntax error with its line, @include, an integer beyond 64 bits),
 * FS_ERR_NOMEM.
 */
enum fs_status fs_cfg_parse(const char *text, const char *file, config_t *cfg,
			    struct fs_error *e);

/* Every child of grp must be one of keys[0..n); else FS_ERR_INPUT "unknown key" with a suggestion. */
enum fs_status fs_cfg_check_keys(const char *file, const config_setting_t *grp, const char *prefix,
				 const char *const *keys, size_t n, struct fs_error *e);

/* "found ..." text of a setting: its value for scalars, its type otherwise. */
void fs_cfg_describe(const config_setting_t *s, char *buf, size_t n);

/* The setting's line in its file (0 when s is NULL). */
int fs_cfg_line(const config_setting_t *s);

#endif
