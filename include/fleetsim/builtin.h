/*
 * builtin.h - data files compiled into the binary (see cmake/embed.cmake):
 * the GPU and model catalogs and the project's copies of the calibration
 * sets. Each is a NUL-terminated text with its repository path beside it.
 */
#ifndef FLEETSIM_BUILTIN_H
#define FLEETSIM_BUILTIN_H

extern const char fs_builtin_gpus_cfg[];
extern const char fs_builtin_gpus_cfg_path[];
extern const char fs_builtin_llms_cfg[];
extern const char fs_builtin_llms_cfg_path[];
extern const char fs_builtin_training_csv[];
extern const char fs_builtin_training_csv_path[];
extern const char fs_builtin_serving_csv[];
extern const char fs_builtin_serving_csv_path[];

#endif
