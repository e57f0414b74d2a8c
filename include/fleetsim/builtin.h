/*
 * builtin.h - data files compiled into the binary (see cmake/embed.cmake):
 * the GPU and model catalogs and the project's copies of the calibration
 * sets. Each is a NUL-terminated text with its repository path beside it.
 */
#ifndef FLEETSIM_BUILTIN_H
#define FLEETSIM_BUILTIN_H

#include "fleetsim/catalog.h"
#include "fleetsim/error.h"

extern const char fs_builtin_gpus_cfg[];
extern const char fs_builtin_gpus_cfg_path[];
extern const char fs_builtin_llms_cfg[];
extern const char fs_builtin_llms_cfg_path[];
extern const char fs_builtin_training_csv[];
extern const char fs_builtin_training_csv_path[];
extern const char fs_builtin_serving_csv[];
extern const char fs_builtin_serving_csv_path[];

/*
 * Parses the built-in GPU and model catalogs into cat (caller storage, need
 * not be initialised; release with fs_catalog_fini). FS_OK, or FS_ERR_INPUT
 * when an embedded file is malformed (a build defect), or FS_ERR_NOMEM; on
 * failure cat is empty. Implemented by the scenario loader (sim/scenario.c),
 * the one module that parses libconfig text.
 */
enum fs_status fs_catalog_load_builtin(struct fs_catalog *cat, struct fs_error *e);

#endif
