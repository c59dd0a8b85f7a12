"""A CIFAR ResNet for atrophy's TorchScript path (issue 16): ResNet-20 of He et al. (2016,
section 4.2: 3 stages of 3 basic blocks, 16/32/64 channels, global average pool, linear), with
1x1-convolution shortcuts where the shape changes, and an `activations` method naming one layer
per stage. Used by bench/torchscript_bench.py (throughput) and bench/train_resnet_cifar.py (a
briefly trained model for the decay protocol, docs/RESULTS.md).
"""
from typing import Dict

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(h)) + self.shortcut(x))


class ResNetCifar(nn.Module):
    def __init__(self, blocks: int = 3, widths=(16, 32, 64), classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        stages = []
        cin = widths[0]
        for i, w in enumerate(widths):
            layers = []
            for b in range(blocks):
                layers.append(Block(cin, w, 2 if (b == 0 and i > 0) else 1))
                cin = w
            stages.append(nn.Sequential(*layers))
        self.layer1, self.layer2, self.layer3 = stages
        self.fc = nn.Linear(cin, classes)

    @torch.jit.export
    def activations(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        h = torch.relu(self.bn1(self.conv1(x)))
        out["stem"] = h
        h = self.layer1(h)
        out["layer1"] = h
        h = self.layer2(h)
        out["layer2"] = h
        h = self.layer3(h)
        out["layer3"] = h
        h = torch.flatten(h.mean(dim=(2, 3)), 1)
        out["pool"] = h
        out["fc"] = self.fc(h)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activations(x)["fc"]


def resnet20(classes: int = 10) -> ResNetCifar:
    return ResNetCifar(3, (16, 32, 64), classes)
