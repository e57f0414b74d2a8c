#!/usr/bin/env python3
"""Measure kernel rates on one Hopper GPU (H100/H200) for fleetsim's calibration.

Method (docs/models/device-measurements.md): PyTorch eager on random data, CUDA
events around N timed repetitions after warm-ups, the median of 5 such trials.
Writes CSV rows: section,name,shape,dtype,value,unit,note to stdout and $OUT.
No weights are downloaded: every transformer here has random weights of the
published shape (Llama-3-8B: 32 layers, hidden 4096, 32 q heads, 8 kv heads,
FFN 14336 SwiGLU, vocab 128256).
"""
import os, sys, time, math, statistics, csv
import torch
import torch.nn.functional as F

OUT = os.environ.get("OUT", ".")
rows = []
w = csv.writer(sys.stdout)
dev = torch.device("cuda")
T0 = time.time()

def emit(section, name, shape, dtype, value, unit, note=""):
    r = [section, name, shape, dtype, "%.6g" % value, unit, note]
    rows.append(r)
    w.writerow(r)
    sys.stdout.flush()

def timeit(fn, reps=20, warm=3, trials=5):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(trials):
        a = torch.cuda.Event(enable_timing=True); b = torch.cuda.Event(enable_timing=True)
        a.record()
        for _ in range(reps):
            fn()
        b.record(); b.synchronize()
        ts.append(a.elapsed_time(b) / 1e3 / reps)
    return statistics.median(ts)

def section(name, f):
    t = time.time()
    try:
        f()
    except Exception as ex:  # keep going: one failed section must not lose the rest
        emit(name, "error", "", "", 0, "", repr(ex)[:200])
    emit("meta", name + "_wall", "", "", time.time() - t, "s")

def meta():
    p = torch.cuda.get_device_properties(0)
    emit("meta", "device", p.name, "", p.total_memory / 2**30, "GiB",
         "sm=%d torch=%s cuda=%s" % (p.multi_processor_count, torch.__version__, torch.version.cuda))

def hbm():
    for gb in (1, 4):
        n = gb * 2**30 // 2
        x = torch.empty(n, dtype=torch.bfloat16, device=dev).normal_()
        y = torch.empty_like(x)
        t = timeit(lambda: y.copy_(x), reps=10)
        emit("hbm", "d2d_copy", "%dGiB" % gb, "bf16", 2 * n * 2 / t / 1e12, "TB/s", "bytes read+written / time")
        del x, y

def gemm():
    shapes = [  # (name, M tokens, K, N)
        ("square8192", 8192, 8192, 8192),
        ("llama8b_qkv", 8192, 4096, 6144), ("llama8b_o", 8192, 4096, 4096),
        ("llama8b_up_gate", 8192, 4096, 28672), ("llama8b_down", 8192, 14336, 4096),
        ("llama70b_tp8_qkv", 8192, 8192, 1280), ("llama70b_tp8_up_gate", 8192, 8192, 7168),
        ("llama70b_tp8_down", 8192, 3584, 8192),
        ("gpt175b_tp8_fc1", 8192, 12288, 6144), ("gpt175b_tp8_fc2", 8192, 6144, 12288),
    ]
    for nm, M, K, N in shapes:
        a = torch.randn(M, K, device=dev, dtype=torch.bfloat16)
        b = torch.randn(K, N, device=dev, dtype=torch.bfloat16)
        t = timeit(lambda: a @ b)
        emit("gemm", nm, "%dx%dx%d" % (M, K, N), "bf16", 2 * M * K * N / t / 1e12, "TFLOP/s")
        try:
            a8 = a.to(torch.float8_e4m3fn); b8 = b.t().contiguous().to(torch.float8_e4m3fn).t()
            one = torch.tensor(1.0, device=dev)
            t8 = timeit(lambda: torch._scaled_mm(a8, b8, scale_a=one, scale_b=one, out_dtype=torch.bfloat16))
            emit("gemm", nm, "%dx%dx%d" % (M, K, N), "fp8", 2 * M * K * N / t8 / 1e12, "TFLOP/s",
                 "torch._scaled_mm e4m3, per-tensor scale")
        except Exception as ex:
            emit("gemm", nm + "_fp8_error", "", "fp8", 0, "", repr(ex)[:160])
    # decode-shaped (skinny) GEMMs: memory bound at small M
    for K, N in ((8192, 8192), (4096, 14336)):
        b = torch.randn(K, N, device=dev, dtype=torch.bfloat16)
        for M in (1, 8, 32, 64, 128, 256, 512, 1024):
            a = torch.randn(M, K, device=dev, dtype=torch.bfloat16)
            t = timeit(lambda: a @ b, reps=50)
            emit("gemm_skinny", "k%d_n%d" % (K, N), "%dx%dx%d" % (M, K, N), "bf16", t * 1e6, "us",
                 "weight bytes/time = %.3f TB/s; %.1f TFLOP/s" % (K * N * 2 / t / 1e12, 2 * M * K * N / t / 1e12))

def attention():
    for s in (2048, 4096, 8192):
        bsz, h, d = max(1, 16384 // s), 32, 128
        q = torch.randn(bsz, h, s, d, device=dev, dtype=torch.bfloat16, requires_grad=True)
        k = torch.randn_like(q, requires_grad=True); v = torch.randn_like(q, requires_grad=True)
        fl = 4 * bsz * h * s * s * d / 2  # causal: half of QK^T and PV
        t = timeit(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True), reps=10)
        emit("attention", "sdpa_fwd_causal", "b%d_h%d_s%d_d%d" % (bsz, h, s, d), "bf16", fl / t / 1e12, "TFLOP/s")
        o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        g = torch.randn_like(o)
        def fb():
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            out.backward(g)
        t2 = timeit(fb, reps=5)
        emit("attention", "sdpa_fwd_bwd_causal", "b%d_h%d_s%d_d%d" % (bsz, h, s, d), "bf16", 3.5 * fl / t2 / 1e12,
             "TFLOP/s", "fwd+bwd counted as 3.5x fwd flops (bwd recomputes scores)")

class Llama:
    """Random-weight Llama-3-8B-shaped decoder, bf16, GQA, SwiGLU, RMSNorm."""
    def __init__(s, layers=32, h=4096, nq=32, nkv=8, ffn=14336, vocab=128256):
        s.L, s.h, s.nq, s.nkv, s.d, s.ffn = layers, h, nq, nkv, h // nq, ffn
        r = lambda *sh: (torch.randn(*sh, device=dev, dtype=torch.bfloat16) * 0.02)
        s.wqkv = [r(h, (nq + 2 * nkv) * s.d) for _ in range(layers)]
        s.wo = [r(nq * s.d, h) for _ in range(layers)]
        s.wug = [r(h, 2 * ffn) for _ in range(layers)]
        s.wd = [r(ffn, h) for _ in range(layers)]
        s.emb = r(vocab, h); s.head = r(h, vocab)
    def layer(s, i, x, kc, vc, pos):
        B, T, _ = x.shape
        y = F.rms_norm(x, (s.h,))
        qkv = y @ s.wqkv[i]
        q, k, v = qkv.split([s.nq * s.d, s.nkv * s.d, s.nkv * s.d], -1)
        q = q.view(B, T, s.nq, s.d).transpose(1, 2)
        k = k.view(B, T, s.nkv, s.d).transpose(1, 2); v = v.view(B, T, s.nkv, s.d).transpose(1, 2)
        kc[i][:, :, pos:pos + T] = k; vc[i][:, :, pos:pos + T] = v
        K = kc[i][:, :, :pos + T]; V = vc[i][:, :, :pos + T]
        o = F.scaled_dot_product_attention(q, K, V, is_causal=(T > 1), enable_gqa=True)
        x = x + o.transpose(1, 2).reshape(B, T, s.nq * s.d) @ s.wo[i]
        y = F.rms_norm(x, (s.h,))
        u, g = (y @ s.wug[i]).chunk(2, -1)
        return x + (F.silu(g) * u) @ s.wd[i]
    def forward(s, tok, kc, vc, pos):
        x = s.emb[tok]
        for i in range(s.L):
            x = s.layer(i, x, kc, vc, pos)
        return F.rms_norm(x[:, -1], (s.h,)) @ s.head

def serving():
    torch.manual_seed(0)
    m = Llama()
    def cache(B, S):
        return ([torch.zeros(B, m.nkv, S, m.d, device=dev, dtype=torch.bfloat16) for _ in range(m.L)],
                [torch.zeros(B, m.nkv, S, m.d, device=dev, dtype=torch.bfloat16) for _ in range(m.L)])
    with torch.no_grad():
        for T in (128, 512, 2048, 8192):
            kc, vc = cache(1, T)
            tok = torch.randint(0, 128000, (1, T), device=dev)
            t = timeit(lambda: m.forward(tok, kc, vc, 0), reps=3, warm=2, trials=3)
            emit("llama8b", "prefill", "b1_t%d" % T, "bf16", t * 1e3, "ms", "eager; 1 sequence")
            del kc, vc
        ctx = 1024
        for B in (1, 8, 32, 64, 128, 256):
            kc, vc = cache(B, ctx + 1)
            tok = torch.randint(0, 128000, (B, 1), device=dev)
            step = lambda: m.forward(tok, kc, vc, ctx)
            t = timeit(step, reps=5, warm=2, trials=3)
            emit("llama8b", "decode_step_eager", "b%d_ctx%d" % (B, ctx), "bf16", t * 1e3, "ms", "eager")
            try:
                g = torch.cuda.CUDAGraph()
                s = torch.cuda.Stream(); s.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(s):
                    step(); step()
                torch.cuda.current_stream().wait_stream(s)
                with torch.cuda.graph(g):
                    step()
                tg = timeit(lambda: g.replay(), reps=10, warm=2, trials=3)
                emit("llama8b", "decode_step_graph", "b%d_ctx%d" % (B, ctx), "bf16", tg * 1e3, "ms",
                     "CUDA graph; tokens/s=%.0f" % (B / tg))
                del g
            except Exception as ex:
                emit("llama8b", "decode_graph_error", "b%d" % B, "bf16", 0, "", repr(ex)[:160])
            del kc, vc
            torch.cuda.empty_cache()

def train_layer():
    # one Llama-3-8B layer forward+backward at 8192 tokens (micro-batch 1 x seq 8192), bf16
    torch.manual_seed(0)
    m = Llama(layers=1, vocab=1024)
    for p in m.wqkv + m.wo + m.wug + m.wd:
        p.requires_grad_(True)
    T = 8192
    x = torch.randn(1, T, m.h, device=dev, dtype=torch.bfloat16, requires_grad=True)
    kc = [torch.zeros(1, m.nkv, T, m.d, device=dev, dtype=torch.bfloat16)]
    vc = [torch.zeros(1, m.nkv, T, m.d, device=dev, dtype=torch.bfloat16)]
    def fb():
        y = m.layer(0, x, [k.clone() for k in kc], [v.clone() for v in vc], 0)
        y.sum().backward()
    t = timeit(fb, reps=5, warm=2, trials=3)
    lin = 2 * T * (m.h * (m.nq + 2 * m.nkv) * m.d + m.nq * m.d * m.h + 3 * m.h * m.ffn)
    att = 4 * T * T * m.nq * m.d / 2
    emit("train_layer", "llama8b_layer_fwd_bwd", "t%d" % T, "bf16", 3 * (lin + att) / t / 1e12, "TFLOP/s",
         "model flops 3x fwd (no recompute) / time; time %.3f ms" % (t * 1e3))

def main():
    w.writerow(["section", "name", "shape", "dtype", "value", "unit", "note"])
    section("meta", meta)
    section("hbm", hbm)
    section("gemm", gemm)
    section("attention", attention)
    section("serving", serving)
    section("train_layer", train_layer)
    emit("meta", "total_wall", "", "", time.time() - T0, "s")
    with open(os.path.join(OUT, "h200_rates.csv"), "w", newline="") as f:
        cw = csv.writer(f); cw.writerow(["section", "name", "shape", "dtype", "value", "unit", "note"]); cw.writerows(rows)

if __name__ == "__main__":
    main()
