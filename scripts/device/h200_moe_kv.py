#!/usr/bin/env python3
"""Second H200 measurement: grouped expert GEMMs (Mixtral-8x7B expert shape) vs
dense, and decode steps at long context (KV-cache reads), CUDA graphs.
Same method as h200_rates.py (CUDA events, median of trials)."""
import os, sys, time, statistics, csv
import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(__file__))
OUT = os.environ.get("OUT", ".")
dev = torch.device("cuda")
rows = []
w = csv.writer(sys.stdout)
def emit(*r):
    r = list(r[:4]) + ["%.6g" % r[4]] + list(r[5:])
    rows.append(r); w.writerow(r); sys.stdout.flush()
def timeit(fn, reps=20, warm=3, trials=5):
    for _ in range(warm): fn()
    torch.cuda.synchronize(); ts = []
    for _ in range(trials):
        a = torch.cuda.Event(enable_timing=True); b = torch.cuda.Event(enable_timing=True)
        a.record()
        for _ in range(reps): fn()
        b.record(); b.synchronize(); ts.append(a.elapsed_time(b) / 1e3 / reps)
    return statistics.median(ts)

def moe():
    E, K, h, f = 8, 2, 4096, 14336
    wug = torch.randn(E, h, 2 * f, device=dev, dtype=torch.bfloat16) * 0.02
    wd = torch.randn(E, f, h, device=dev, dtype=torch.bfloat16) * 0.02
    dug = wug[0].contiguous(); dd = wd[0].contiguous()
    for B in (1, 8, 32, 128, 512, 2048, 8192):
        T = B * K  # token-expert pairs
        x = torch.randn(T, h, device=dev, dtype=torch.bfloat16)
        # balanced routing: pairs spread over min(E, T) experts
        ne = min(E, T)
        counts = [T // ne + (1 if i < T % ne else 0) for i in range(ne)] + [0] * (E - ne)
        offs = torch.tensor(counts, device=dev, dtype=torch.int32).cumsum(0).to(torch.int32)
        def grouped():
            u = torch._grouped_mm(x, wug, offs=offs)
            a, g = u.chunk(2, -1)
            return torch._grouped_mm((F.silu(g) * a).contiguous(), wd, offs=offs)
        def loop():
            outs = []; s = 0
            for e in range(E):
                c = counts[e]
                if c:
                    u = x[s:s + c] @ wug[e]; a, g = u.chunk(2, -1)
                    outs.append((F.silu(g) * a) @ wd[e]); s += c
            return torch.cat(outs)
        xd = torch.randn(B, h, device=dev, dtype=torch.bfloat16)
        def dense():  # one expert's FFN over the B tokens: the dense model of the same active width
            u = xd @ dug; a, g = u.chunk(2, -1)
            return (F.silu(g) * a) @ dd
        fl = 2 * T * h * 3 * f
        for nm, fn in (("grouped_mm", grouped), ("per_expert_loop", loop)):
            try:
                t = timeit(fn)
                emit("moe", nm, "B%d_E%d_K%d_h%d_f%d" % (B, E, K, h, f), "bf16", t * 1e6, "us",
                     "experts touched %d; %.1f TFLOP/s; weight bytes read %.2f GB" % (ne, fl / t / 1e12, ne * 3 * h * f * 2 / 1e9))
            except Exception as ex:
                emit("moe", nm + "_error", "B%d" % B, "bf16", 0, "", repr(ex)[:160])
        t = timeit(dense)
        emit("moe", "dense_one_expert", "B%d_h%d_f%d" % (B, h, f), "bf16", t * 1e6, "us",
             "%.1f TFLOP/s" % (2 * B * h * 3 * f / t / 1e12))
        # permutation: gather the B*K token copies and scatter-add back
        idx = torch.randint(0, B, (T,), device=dev)
        def perm():
            y = xd.index_select(0, idx)
            return torch.zeros_like(xd).index_add_(0, idx, y)
        t = timeit(perm)
        emit("moe", "permute_unpermute", "B%d_K%d_h%d" % (B, K, h), "bf16", t * 1e6, "us", "")

def kv_decode():
    from h200_rates import Llama  # noqa: reuses the random Llama-3-8B shape
    m = Llama()
    with torch.no_grad():
        for B, ctx in ((64, 4096), (32, 8192), (16, 16384), (256, 2048)):
            kc = [torch.zeros(B, m.nkv, ctx + 1, m.d, device=dev, dtype=torch.bfloat16) for _ in range(m.L)]
            vc = [torch.zeros(B, m.nkv, ctx + 1, m.d, device=dev, dtype=torch.bfloat16) for _ in range(m.L)]
            tok = torch.randint(0, 128000, (B, 1), device=dev)
            step = lambda: m.forward(tok, kc, vc, ctx)
            g = torch.cuda.CUDAGraph(); s = torch.cuda.Stream(); s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                step(); step()
            torch.cuda.current_stream().wait_stream(s)
            with torch.cuda.graph(g):
                step()
            t = timeit(lambda: g.replay(), reps=10, warm=2, trials=3)
            kvb = 2 * m.L * B * m.nkv * ctx * m.d * 2
            emit("llama8b", "decode_step_graph", "b%d_ctx%d" % (B, ctx), "bf16", t * 1e3, "ms",
                 "tokens/s=%.0f; KV bytes %.2f GB; (weights 16.1 GB + KV)/time = %.2f TB/s" % (B / t, kvb / 1e9, (16.06e9 + kvb) / t / 1e12))
            del g, kc, vc; torch.cuda.empty_cache()

w.writerow(["section", "name", "shape", "dtype", "value", "unit", "note"])
for nm, f in (("moe", moe), ("kv_decode", kv_decode)):
    t0 = time.time()
    try: f()
    except Exception as ex: emit(nm, "error", "", "", 0, "", repr(ex)[:200])
    emit("meta", nm + "_wall", "", "", time.time() - t0, "s", "")
with open(os.path.join(OUT, "h200_moe_kv.csv"), "w", newline="") as fo:
    cw = csv.writer(fo); cw.writerow(["section", "name", "shape", "dtype", "value", "unit", "note"]); cw.writerows(rows)
