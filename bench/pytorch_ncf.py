#!/usr/bin/env python3
"""The same NCF training step in PyTorch, for bench/train-throughput.sh: one market's leave-one-out
training interactions, fresh negatives every epoch from the market's items minus the user's training
items, shuffled batches, sigmoid output with binary cross-entropy, Adam with L2 as weight decay.
Prints one JSON line per architecture: samples per second over the timed epochs (negative sampling
included, as in xmrec's trainer).

usage: pytorch_ncf.py FILE --arch gmf|mlp|nmf --dim D --layers 32,64,32,16 --negatives N [--item-bias]
                      [--epochs E] [--threads T] [--batch 1024] [--l2 1e-5]
"""
import argparse
import json
import time

import numpy as np
import torch
from torch import nn


def load(path):
    rows = []
    with open(path) as f:
        for n, line in enumerate(f):
            if n == 0 and line.startswith("userId"):
                continue
            u, i, r, d = line.split()
            rows.append((u, i, d, n))
    rows.sort(key=lambda x: (x[0], x[2], x[3]))
    by_user = {}
    for u, i, d, n in rows:
        by_user.setdefault(u, []).append(i)
    users = sorted(by_user)
    items = sorted({i for u in users for i in by_user[u]})
    ui = {u: k for k, u in enumerate(users)}
    ii = {i: k for k, i in enumerate(items)}
    pos_u, pos_i = [], []
    for u in users:
        seq = by_user[u]
        if len(seq) < 7:
            continue
        for i in seq[:-2]:  # the last two are validation and test
            pos_u.append(ui[u])
            pos_i.append(ii[i])
    return np.array(pos_u), np.array(pos_i), len(users), len(items)


class Ncf(nn.Module):
    def __init__(self, arch, users, items, dim, layers, item_bias):
        super().__init__()
        self.arch = arch
        width = 0
        if arch in ("gmf", "nmf"):
            self.gu = nn.Embedding(users, dim)
            self.gi = nn.Embedding(items, dim)
            width += dim
        if arch in ("mlp", "nmf"):
            self.mu = nn.Embedding(users, layers[0] // 2)
            self.mi = nn.Embedding(items, layers[0] // 2)
            tower = []
            for a, b in zip(layers[:-1], layers[1:]):
                tower += [nn.Linear(a, b), nn.ReLU()]
            self.tower = nn.Sequential(*tower)
            width += layers[-1]
        for e in self.modules():
            if isinstance(e, nn.Embedding):
                nn.init.normal_(e.weight, std=0.01)
        self.out = nn.Linear(width, 1)
        self.bias = nn.Embedding(items, 1) if item_bias else None
        if self.bias is not None:
            nn.init.zeros_(self.bias.weight)

    def forward(self, u, i):
        parts = []
        if self.arch in ("gmf", "nmf"):
            parts.append(self.gu(u) * self.gi(i))
        if self.arch in ("mlp", "nmf"):
            parts.append(self.tower(torch.cat([self.mu(u), self.mi(i)], dim=1)))
        z = self.out(torch.cat(parts, dim=1)).squeeze(1)
        if self.bias is not None:
            z = z + self.bias(i).squeeze(1)
        return z


def negatives(pos_u, pos_i, items, k, rng, seen):
    n = len(pos_u) * k
    u = np.repeat(pos_u, k)
    cand = rng.integers(0, items, n)
    bad = seen[u, cand]
    while bad.any():  # redraw the ones the user trained on
        cand[bad] = rng.integers(0, items, bad.sum())
        bad = seen[u, cand]
    return u, cand


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--arch", default="nmf")
    p.add_argument("--dim", type=int, default=8)
    p.add_argument("--layers", default="16,64,32,16,8")
    p.add_argument("--negatives", type=int, default=4)
    p.add_argument("--item-bias", action="store_true")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--l2", type=float, default=1e-7)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    rng = np.random.default_rng(42)
    pos_u, pos_i, users, items = load(a.file)
    seen = np.zeros((users, items), dtype=bool)
    seen[pos_u, pos_i] = True
    layers = [int(x) for x in a.layers.split(",")]
    model = Ncf(a.arch, users, items, a.dim, layers, a.item_bias)
    lr = 0.005 if a.arch == "gmf" else 0.01
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=a.l2)
    loss_fn = nn.BCEWithLogitsLoss()
    rates = []
    for epoch in range(a.epochs + 1):  # the first epoch warms up and is not timed; the median epoch is reported
        t0 = time.perf_counter()
        nu, ni = negatives(pos_u, pos_i, items, a.negatives, rng, seen)
        u = np.concatenate([pos_u, nu])
        i = np.concatenate([pos_i, ni])
        y = np.concatenate([np.ones(len(pos_u), dtype=np.float32), np.zeros(len(nu), dtype=np.float32)])
        order = rng.permutation(len(u))
        u = torch.from_numpy(u[order])
        i = torch.from_numpy(i[order])
        y = torch.from_numpy(y[order])
        for s in range(0, len(u), a.batch):
            opt.zero_grad()
            loss = loss_fn(model(u[s:s + a.batch], i[s:s + a.batch]), y[s:s + a.batch])
            loss.backward()
            opt.step()
        if epoch > 0:
            rates.append(len(u) / (time.perf_counter() - t0))
    print(json.dumps({"framework": f"pytorch {torch.__version__}", "arch": a.arch, "threads": a.threads, "dim": a.dim,
                      "layers": a.layers, "negatives": a.negatives, "item_bias": a.item_bias, "epochs": a.epochs,
                      "samples_per_epoch": len(u), "epoch_rates": [round(r) for r in rates],
                      "samples_per_second": round(sorted(rates)[len(rates) // 2])}))


if __name__ == "__main__":
    main()
