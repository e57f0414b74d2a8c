#!/usr/bin/env python3
"""Third H200 measurement: full training steps of a random-weight GPT of NeMo's
5B shape (24 layers, hidden 4096, 32 heads, FFN 16384, vocabulary 50304,
sequence 2048) on one GPU: bf16 autocast over fp32 master weights, PyTorch's
scaled_dot_product_attention (flash), fused AdamW; tokens/s over 10 steps
after 3 warm-up steps, for micro-batches 1, 2 and 4, with and without full
activation recompute (torch.utils.checkpoint per layer). Method as in
h200_rates.py; writes h200_train_step.csv to $OUT."""
import os, sys, time, csv
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

OUT = os.environ.get("OUT", ".")
dev = torch.device("cuda")
L, H, NH, FF, V, S = 24, 4096, 32, 16384, 50304, 2048

class Block(nn.Module):
    def __init__(s):
        super().__init__()
        s.n1 = nn.LayerNorm(H); s.qkv = nn.Linear(H, 3 * H); s.o = nn.Linear(H, H)
        s.n2 = nn.LayerNorm(H); s.up = nn.Linear(H, FF); s.down = nn.Linear(FF, H)
    def forward(s, x):
        B, T, _ = x.shape
        q, k, v = s.qkv(s.n1(x)).view(B, T, 3, NH, H // NH).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + s.o(a.transpose(1, 2).reshape(B, T, H))
        return x + s.down(F.gelu(s.up(s.n2(x)), approximate="tanh"))

class GPT(nn.Module):
    def __init__(s, recompute):
        super().__init__()
        s.emb = nn.Embedding(V, H); s.pos = nn.Embedding(S, H)
        s.blocks = nn.ModuleList(Block() for _ in range(L)); s.nf = nn.LayerNorm(H)
        s.recompute = recompute
    def forward(s, idx):
        x = s.emb(idx) + s.pos.weight[: idx.shape[1]]
        for b in s.blocks:
            x = checkpoint(b, x, use_reentrant=False) if s.recompute else b(x)
        return F.linear(s.nf(x), s.emb.weight)  # tied output layer

rows = []
w = csv.writer(sys.stdout)
hdr = ["section", "name", "shape", "dtype", "value", "unit", "note"]
w.writerow(hdr)
for rc in (False, True):
    for mb in (1, 2, 4):
        torch.manual_seed(0)
        m = opt = None
        try:
            m = GPT(rc).to(dev)
            n_params = sum(p.numel() for p in m.parameters())
            opt = torch.optim.AdamW(m.parameters(), lr=1e-4, fused=True)
            idx = torch.randint(0, V, (mb, S), device=dev)
            def step():
                with torch.autocast("cuda", dtype=torch.bfloat16):
                    loss = F.cross_entropy(m(idx).float().view(-1, V), idx.view(-1))
                loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
            for _ in range(3):
                step()
            torch.cuda.synchronize(); t0 = time.time()
            for _ in range(10):
                step()
            torch.cuda.synchronize(); dt = (time.time() - t0) / 10
            tps = mb * S / dt
            flops = 6 * n_params + 12 * L * H * S
            r = ["train_step", "gpt5b_1gpu", "mb%d_seq%d_%s" % (mb, S, "full-recompute" if rc else "no-recompute"),
                 "bf16", "%.6g" % tps, "tokens/s",
                 "step %.1f ms; params %.3g; model TFLOP/s %.1f (6N+12LHS); peak mem %.1f GiB" %
                 (dt * 1e3, n_params, tps * flops / 1e12, torch.cuda.max_memory_allocated() / 2**30)]
        except torch.cuda.OutOfMemoryError:
            r = ["train_step", "gpt5b_1gpu", "mb%d_%s" % (mb, "rc" if rc else "norc"), "bf16", "0", "", "out of memory"]
        rows.append(r); w.writerow(r); sys.stdout.flush()
        m = opt = None
        torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
with open(os.path.join(OUT, "h200_train_step.csv"), "w", newline="") as f:
    c = csv.writer(f); c.writerow(hdr); c.writerows(rows)
