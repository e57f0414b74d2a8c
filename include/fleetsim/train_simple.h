/*
 * train_simple.h - the first-order training-time model.
 *
 *   model FLOPs per token   F = 6 N_active + 12 L h s
 *   tokens/s per GPU        X = peak(precision) * mfu(GPU) / F
 *   job time                T = tokens / (X * gpus)
 *
 * N_active: parameters used per token (MoE: active parameters); L layers;
 * h hidden size; s sequence length. peak is the dense tensor peak; mfu is the
 * GPU catalog's train_mfu_frac (typical BF16 MFU). FP8 on Hopper scales the
 * BF16 rate by fs_train_simple_fp8_speedup_ratio (FP8 runs gain 1.3-1.7x, not the
 * 2x of the peaks); FP8 on a GPU without it runs at BF16. Pure; no state.
 * Sources: docs/MODELS.md, "First-order training model".
 */
#ifndef FLEETSIM_TRAIN_SIMPLE_H
#define FLEETSIM_TRAIN_SIMPLE_H

#include "fleetsim/catalog.h"

/* Model FLOPs per trained token (forward + backward), no recomputation. */
double fs_train_flops_per_token(const struct fs_llm *m, int seq_len);

/* Speed-up of FP8 over BF16 training on Hopper assumed by this model. */
extern const double fs_train_simple_fp8_speedup_ratio;

/* Steady-state tokens per second per GPU; seq_len 0 means the model's max_seq. */
double fs_train_simple_tokens_per_s_per_gpu(const struct fs_gpu *g, const struct fs_llm *m,
					    int seq_len, enum fs_precision p);

/* Seconds to train tokens on n_gpus; > 0 for valid inputs. */
double fs_train_simple_time_s(const struct fs_gpu *g, const struct fs_llm *m, int n_gpus,
			      int seq_len, enum fs_precision p, double tokens);

#endif
