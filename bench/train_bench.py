"""PyTorch reference for the training-throughput benchmark (issue 2, bench/RESULTS.md).

The same network as atrophy's vgg19_bn (CIFAR variant: conv3x3+BN+ReLU stages, 2x2 max-pools,
Linear(last width, 10)), SGD momentum 0.9, batch 128, 32x32x3 inputs, on the CPU with a fixed
number of threads. Batches are pre-made random tensors: this is PyTorch's best case (no data
pipeline, no augmentation), while atrophy's side runs its full loop (augmentation from bytes,
masks). Prints one JSON line.

    .venv/bin/python bench/train_bench.py --widths bench --threads 2
"""
import argparse, json, os, time
import torch
import torch.nn as nn

BENCH = "22,22,M,44,44,M,88,88,88,88,M,176,176,176,176,M,176,176,176,176,M"
FULL = "64,64,M,128,128,M,256,256,256,256,M,512,512,512,512,M,512,512,512,512,M"


def vgg(widths):
    layers, c = [], 3
    for w in widths.split(","):
        if w == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            w = int(w)
            layers += [nn.Conv2d(c, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
            c = w
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c, 10))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--widths", default="bench")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--channels-last", action="store_true",
                   help="model and inputs in torch.channels_last (what atrophy does on the CPU)")
    p.add_argument("--bf16", action="store_true",
                   help="training steps under torch.autocast(dtype=torch.bfloat16), as atrophy's precision = bf16")
    a = p.parse_args()
    widths = {"bench": BENCH, "full": FULL}.get(a.widths, a.widths)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    model = vgg(widths).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    lossf = nn.CrossEntropyLoss()
    xs = [torch.randn(a.batch, 3, 32, 32, device=dev) for _ in range(4)]
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)
        xs = [x.contiguous(memory_format=torch.channels_last) for x in xs]
    ys = [torch.randint(0, 10, (a.batch,), device=dev) for _ in range(4)]
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)

    def train_step(i):
        opt.zero_grad()
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=a.bf16):
            loss = lossf(model(xs[i % 4]).float(), ys[i % 4])
        loss.backward()
        opt.step()

    model.train()
    for i in range(a.warmup):
        train_step(i)
    sync()
    t = time.perf_counter()
    for i in range(a.steps):
        train_step(i)
    sync()
    train = a.steps * a.batch / (time.perf_counter() - t)
    model.eval()
    with torch.no_grad():
        for i in range(a.warmup):
            model(xs[i % 4])
        sync()
        t = time.perf_counter()
        for i in range(a.steps):
            model(xs[i % 4])
        sync()
        infer = a.steps * a.batch / (time.perf_counter() - t)
    impl = "pytorch " + torch.__version__ + (" channels_last" if a.channels_last else "")
    impl += " bf16" if a.bf16 else ""
    if os.environ.get("MALLOC_MMAP_MAX_") == "0":
        impl += " malloc-tuned"  # glibc set as atrophy sets it (src/malloc.rs)
    print(json.dumps({"impl": impl, "widths": a.widths, "threads": a.threads,
                      "train_img_s": train, "infer_img_s": infer}))


if __name__ == "__main__":
    main()
