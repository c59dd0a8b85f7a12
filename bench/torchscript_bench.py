"""PyTorch's side of the TorchScript throughput benchmark (issue 16, bench/RESULTS.md): the CIFAR
ResNet-20 of bench/resnet_cifar.py, trained (SGD momentum 0.9, batch 128, random 32x32x3 inputs)
and evaluated in eager mode and as the scripted module atrophy loads, each in PyTorch's default
layout and in channels-last (NHWC, what atrophy uses on the CPU), with a fixed number of threads. `--save FILE` writes that scripted module (atrophy's side loads it). Prints one
JSON line per mode.

    .venv/bin/python bench/torchscript_bench.py --threads 2 --save target/resnet20.pt
"""
import argparse
import json
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resnet_cifar import resnet20  # noqa: E402


def measure(model, xs, ys, steps, warmup, sync):
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    lossf = nn.CrossEntropyLoss()
    model.train()

    def step(i):
        opt.zero_grad()
        lossf(model(xs[i % len(xs)]), ys[i % len(ys)]).backward()
        opt.step()

    for i in range(warmup):
        step(i)
    sync()
    t = time.perf_counter()
    for i in range(steps):
        step(i)
    sync()
    train = steps * xs[0].shape[0] / (time.perf_counter() - t)
    model.eval()
    with torch.no_grad():
        for i in range(warmup):
            model(xs[i % len(xs)]).argmax(1)
        sync()
        t = time.perf_counter()
        for i in range(steps):
            model(xs[i % len(xs)]).argmax(1)
        sync()
    infer = steps * xs[0].shape[0] / (time.perf_counter() - t)
    return train, infer


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--device", default="cpu")
    p.add_argument("--save", help="write the scripted module here (atrophy's side loads it)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    if a.save:
        torch.jit.script(resnet20()).save(a.save)
    xs = [torch.randn(a.batch, 3, 32, 32, device=dev) for _ in range(4)]
    ys = [torch.randint(0, 10, (a.batch,), device=dev) for _ in range(4)]
    cl = [x.contiguous(memory_format=torch.channels_last) for x in xs]
    for mode in ["eager", "torchscript", "eager channels_last", "torchscript channels_last"]:
        torch.manual_seed(0)
        model = resnet20().to(dev)
        inputs = xs
        if "channels_last" in mode:
            # What atrophy does on the CPU: model and batches in NHWC.
            model = model.to(memory_format=torch.channels_last)
            inputs = cl
        if mode.startswith("torchscript"):
            model = torch.jit.script(model)
        train, infer = measure(model, inputs, ys, a.steps, a.warmup, sync)
        print(json.dumps({
            "impl": f"pytorch {torch.__version__} {mode}",
            "model": "resnet20",
            "threads": a.threads,
            "train_img_s": train,
            "infer_img_s": infer,
        }), flush=True)


if __name__ == "__main__":
    main()
