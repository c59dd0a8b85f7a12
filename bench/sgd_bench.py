"""PyTorch reference for the optimizer-step benchmark (bench/RESULTS.md): torch.optim.SGD with
momentum 0.9 and weight decay 5e-4 over every parameter of vgg19_bn (same network as
bench/train_bench.py), gradients fixed from one backward pass on a random batch of 8, both with
the per-tensor loop (foreach=False, PyTorch's CPU default) and the multi-tensor one
(foreach=True). PyTorch has no frozen-synapse masks, so there is no masked column. Prints one
JSON line.

    .venv/bin/python bench/sgd_bench.py --widths full --threads 2 --steps 20
"""
import argparse, json, time
import torch
import torch.nn as nn
from train_bench import BENCH, FULL, vgg


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--widths", default="full")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=20)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = vgg({"bench": BENCH, "full": FULL}.get(a.widths, a.widths))
    x, y = torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))
    nn.CrossEntropyLoss()(model(x), y).backward()
    out = {"side": "pytorch", "params": sum(t.numel() for t in model.parameters())}
    for foreach in (False, True):
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4,
                              foreach=foreach)
        for _ in range(3):
            opt.step()
        t = time.perf_counter()
        for _ in range(a.steps):
            opt.step()
        out["foreach_step_ms" if foreach else "step_ms"] = round(
            (time.perf_counter() - t) * 1e3 / a.steps, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
