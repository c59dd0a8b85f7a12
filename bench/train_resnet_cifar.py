"""Trains the CIFAR ResNet-20 of bench/resnet_cifar.py briefly in PyTorch on real CIFAR-10 and
saves it scripted, as a user would bring a model to atrophy (issue 16, docs/RESULTS.md):

    .venv/bin/python bench/train_resnet_cifar.py --data /path/to/cifar-10-binary.tar.gz \
        --epochs 3 --out runs/resnet20/resnet20_cifar10.pt

Reads the official binary archive directly (no torchvision). Inputs are normalised inside
atrophy's convention: pixels / 255, then the CIFAR-10 mean and std, which the saved module
expects (atrophy applies them with `normalize = true`). Training: SGD momentum 0.9, weight decay
5e-4, batch 128, one-cycle learning rate peaking at 0.1, padded random crop and flip. Prints the
test accuracy PyTorch measures, for comparison with `atrophy eval` on the saved file.
"""
import argparse
import json
import os
import sys
import tarfile
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resnet_cifar import resnet20  # noqa: E402

MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
STD = torch.tensor([0.2470, 0.2435, 0.2616]).view(1, 3, 1, 1)


def read_cifar10(path):
    parts = {}
    with tarfile.open(path, "r:gz") as t:
        for m in t.getmembers():
            name = os.path.basename(m.name)
            if name.endswith(".bin") and "batch" in name:
                parts[name] = t.extractfile(m).read()
    def load(names):
        raw = torch.frombuffer(bytearray(b"".join(parts[n] for n in names)), dtype=torch.uint8)
        rec = raw.view(-1, 3073)
        return rec[:, 1:].reshape(-1, 3, 32, 32).clone(), rec[:, 0].long().clone()
    train = load([f"data_batch_{i}.bin" for i in range(1, 6)])
    test = load(["test_batch.bin"])
    return train, test


def normalise(x):
    return (x.float() / 255.0 - MEAN) / STD


def augment(x, g):
    n = x.shape[0]
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    dy = torch.randint(0, 9, (n,), generator=g)
    dx = torch.randint(0, 9, (n,), generator=g)
    out = torch.stack([padded[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32] for i in range(n)])
    flip = torch.rand(n, generator=g) < 0.5
    out[flip] = out[flip].flip(3)
    return out


def evaluate(model, x, y):
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(y), 500):
            logits = model(normalise(x[i:i + 500]))
            loss += nn.functional.cross_entropy(logits, y[i:i + 500], reduction="sum").item()
            correct += (logits.argmax(1) == y[i:i + 500]).sum().item()
    return correct / len(y), loss / len(y)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)
    (xtr, ytr), (xte, yte) = read_cifar10(a.data)
    model = resnet20().to(memory_format=torch.channels_last)
    steps = a.epochs * ((len(ytr) + 127) // 128)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=steps)
    log = []
    for epoch in range(a.epochs):
        model.train()
        t = time.time()
        order = torch.randperm(len(ytr), generator=g)
        for i in range(0, len(ytr), 128):
            idx = order[i:i + 128]
            x = normalise(augment(xtr[idx], g)).contiguous(memory_format=torch.channels_last)
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), ytr[idx]).backward()
            opt.step()
            sched.step()
        acc, loss = evaluate(model, xte, yte)
        log.append({"epoch": epoch + 1, "test_top1": acc, "test_loss": loss, "seconds": time.time() - t})
        print(json.dumps(log[-1]), flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    model = model.to(memory_format=torch.contiguous_format)
    torch.jit.script(model).save(a.out)
    with open(a.out + ".json", "w") as f:
        json.dump({"torch": torch.__version__, "epochs": a.epochs, "seed": a.seed, "log": log}, f, indent=1)
    print("saved", a.out)


if __name__ == "__main__":
    main()
