#include "fleetsim/train_simple.h"

/* NeMo/Megatron-Bridge H100 FP8 vs BF16 model TFLOP/s on the same models:
 * 1.3-1.7x (reference/training_models.md 1.3); the midpoint is used. */
const double fs_train_simple_fp8_speedup_ratio = 1.5;

double fs_train_flops_per_token(const struct fs_llm *m, int seq_len)
{
	double s = seq_len > 0 ? seq_len : m->max_seq;

	return 6.0 * m->active_params_b * 1e9 + 12.0 * m->n_layers * (double)m->hidden * s;
}

double fs_train_simple_tokens_per_s_per_gpu(const struct fs_gpu *g, const struct fs_llm *m,
					    int seq_len, enum fs_precision p)
{
	double peak_tflops;

	switch (p) {
	case FS_PREC_FP8:
		peak_tflops = g->bf16_tflops *
			(fs_gpu_peak_tflops(g, FS_PREC_FP8) > 0 ? fs_train_simple_fp8_speedup_ratio : 1.0);
		break;
	case FS_PREC_TF32:
	case FS_PREC_FP32:
		peak_tflops = g->tf32_tflops;
		break;
	default:
		peak_tflops = g->bf16_tflops;
	}
	return peak_tflops * 1e12 * g->train_mfu_frac / fs_train_flops_per_token(m, seq_len);
}

double fs_train_simple_time_s(const struct fs_gpu *g, const struct fs_llm *m, int n_gpus,
			      int seq_len, enum fs_precision p, double tokens)
{
	return tokens / (fs_train_simple_tokens_per_s_per_gpu(g, m, seq_len, p) * n_gpus);
}
