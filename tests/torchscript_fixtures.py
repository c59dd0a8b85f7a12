"""Makes the TorchScript fixtures of tests/torchscript.rs with the project's own torch:

    .venv/bin/python tests/torchscript_fixtures.py

- tiny_resnet.pt: a scripted network for 1 x 28 x 28 images (the synthetic data set's shape) with
  a residual block, BatchNorm (running statistics moved away from 0 and 1 by a few train-mode
  passes) and an `activations` method; its eval-mode logits, loss and accuracy on fixed inputs
  are in tiny_resnet.expected.json, for the check that atrophy computes what PyTorch computes.
- tiny_resnet_traced.pt: the same network traced, inside a wrapper without `activations`.
- bad_activations.pt: `activations` returns a list, not a dict.
- no_synapses.pt: a model with no convolution or linear weight.
- cornet_z32.pt: CORnet-Z as Kubilius et al. (2018) describe it, in its 32 x 32 variant (V1's
  convolution 3 x 3 stride 1) with widths 8, 16, 32, 64 and 10 classes, under the authors' layer
  names (V1.conv, ..., decoder.linear), for the check that atrophy's built-in `cornet_z32`
  computes the same function with the same weights.
- bn_momenta.pt: BatchNorm compiled with three momenta (None, 0.3 and PyTorch's 0.1, in 2-d and
  1-d), the last behind a dropout; bn_momenta.expected.json holds, from forward hooks in
  PyTorch, every BatchNorm input's per-channel mean and unbiased variance over the fixed images
  as one batch and as batches of 16, 16, 8 (the plain average of the batches'), for the check
  that atrophy's recalibration of a TorchScript model sets exactly these, and the momenta.
"""
import copy
import json
import os
from typing import Dict, List

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "torchscript")


class TinyResNet(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.down = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.fc = nn.Linear(16, classes)

    @torch.jit.export
    def activations(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        h = self.stem(x)
        out["stem"] = h
        r = torch.relu(self.bn1(self.conv1(h)))
        h = torch.relu(h + self.bn2(self.conv2(r)))
        out["block1"] = h
        h = self.down(torch.max_pool2d(h, 2))
        out["down"] = h
        h = torch.flatten(torch.mean(h, dim=(2, 3), keepdim=True), 1)
        out["pool"] = h
        out["fc"] = self.fc(h)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activations(x)["fc"]


class Plain(nn.Module):
    """A network with `forward` only (tracing keeps a method marked @torch.jit.export)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class BadActivations(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(28 * 28, 10)

    @torch.jit.export
    def activations(self, x: torch.Tensor) -> List[torch.Tensor]:
        return [self.fc(torch.flatten(x, 1))]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(x, 1))


class NoSynapses(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)[:, :10] * self.scale


class CorBlockZ(nn.Module):
    """One area of CORnet-Z: convolution, ReLU, 3 x 3 max-pool with stride 2 and padding 1."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2)
        self.nonlin = nn.ReLU()
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.nonlin(self.conv(x)))


class Decoder(nn.Module):
    def __init__(self, cin: int, classes: int):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(cin, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(torch.flatten(self.avgpool(x), 1))


class CorNetZ32(nn.Module):
    def __init__(self, widths=(8, 16, 32, 64), classes: int = 10):
        super().__init__()
        self.V1 = CorBlockZ(3, widths[0], 3, 1)
        self.V2 = CorBlockZ(widths[0], widths[1], 3, 1)
        self.V4 = CorBlockZ(widths[1], widths[2], 3, 1)
        self.IT = CorBlockZ(widths[2], widths[3], 3, 1)
        self.decoder = Decoder(widths[3], classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.IT(self.V4(self.V2(self.V1(x)))))


class BnMomenta(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4, momentum=None)
        self.conv2 = nn.Conv2d(4, 6, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(6, momentum=0.3)
        self.fc1 = nn.Linear(6, 12)
        self.bn3 = nn.BatchNorm1d(12)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(12, 8)
        self.bn4 = nn.BatchNorm1d(8)
        self.fc = nn.Linear(8, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.bn1(self.conv1(x)))
        h = torch.relu(self.bn2(self.conv2(h)))
        h = torch.relu(self.bn3(self.fc1(torch.flatten(torch.mean(h, dim=(2, 3)), 1))))
        h = torch.relu(self.bn4(self.fc2(self.drop(h))))
        return self.fc(h)


def bn_input_stats(net: nn.Module, x: torch.Tensor, batch: int):
    """Per BatchNorm, the plain average over batches of `batch` images of its input's
    per-channel mean and unbiased variance, in train mode as recalibration sees them (each
    BatchNorm normalising with the batch's statistics), on a copy of the network. bn4 sits
    behind the dropout, whose masks no other program draws alike, and is left out (its
    momentum is still checked)."""
    seen = {}
    net = copy.deepcopy(net).train()
    hooks = [
        m.register_forward_hook(lambda m, inp, out, name=name: seen.setdefault(name, []).append(inp[0].double()))
        for name, m in net.named_modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))
    ]
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            net(x[i : i + batch])
    for h in hooks:
        h.remove()
    out = {}
    for name, inputs in seen.items():
        dims = [0, 2, 3] if inputs[0].dim() == 4 else [0]
        means = torch.stack([a.mean(dim=dims) for a in inputs]).mean(0)
        vars_ = torch.stack([a.var(dim=dims, unbiased=True) for a in inputs]).mean(0)
        if name != "bn4":
            out[name] = {"mean": means.tolist(), "var": vars_.tolist()}
    return out


def fixed_images(n: int):
    """u8 pixels and labels from a formula the Rust test repeats."""
    i = torch.arange(n * 28 * 28, dtype=torch.int64)
    pixels = ((i * 37 + (i // 28) * 11) % 256).to(torch.uint8).reshape(n, 1, 28, 28)
    labels = torch.arange(n) % 10
    return pixels, labels


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    net = TinyResNet()
    net.train()
    with torch.no_grad():
        for _ in range(5):
            net(torch.rand(16, 1, 28, 28) * 2.0 + 0.3)
    net.eval()
    scripted = torch.jit.script(net)
    scripted.save(os.path.join(OUT, "tiny_resnet.pt"))
    traced = torch.jit.trace(Plain(net), torch.zeros(2, 1, 28, 28))
    traced.save(os.path.join(OUT, "tiny_resnet_traced.pt"))
    torch.jit.script(BadActivations()).save(os.path.join(OUT, "bad_activations.pt"))
    torch.jit.script(NoSynapses()).save(os.path.join(OUT, "no_synapses.pt"))

    torch.jit.script(CorNetZ32()).save(os.path.join(OUT, "cornet_z32.pt"))

    pixels, labels = fixed_images(40)
    mean, std = 0.5, 0.25
    write_bn_momenta(((pixels.float() / 255.0 - mean) / std))
    x = (pixels.float() / 255.0 - mean) / std
    with torch.no_grad():
        logits = scripted(x)
        loss = nn.functional.cross_entropy(logits, labels).item()
        top1 = (logits.argmax(1) == labels).double().mean().item()
        acts = scripted.activations(x)
    expected = {
        "torch": torch.__version__,
        "mean": mean,
        "std": std,
        "images": 40,
        "logits_first_two": logits[:2].tolist(),
        "loss": loss,
        "top1": top1,
        "layers": list(acts.keys()),
        "layer_shapes": {k: list(v.shape[1:]) for k, v in acts.items()},
        "parameters": sum(p.numel() for p in net.parameters()),
        "synapses": [n[: -len(".weight")] for n, p in net.named_parameters() if n.endswith(".weight") and p.dim() >= 2],
        "buffers": [n for n, _ in net.named_buffers()],
    }
    with open(os.path.join(OUT, "tiny_resnet.expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print("wrote", OUT)


def write_bn_momenta(x: torch.Tensor):
    torch.manual_seed(1)
    net = BnMomenta()
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.rand(16, 1, 28, 28) * 3.0 - 0.5)
    net.eval()
    torch.jit.script(net).save(os.path.join(OUT, "bn_momenta.pt"))
    expected = {
        "torch": torch.__version__,
        "mean": 0.5,
        "std": 0.25,
        "images": x.shape[0],
        "momenta": {n: m.momentum for n, m in net.named_modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))},
        "one_batch": bn_input_stats(net, x, x.shape[0]),
        "batches_of_16": bn_input_stats(net, x, 16),
    }
    with open(os.path.join(OUT, "bn_momenta.expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
