# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # atrophy from a notebook
#
# A small torch CNN, trained a little in PyTorch, injured synapse by synapse in atrophy
# (decay, docs/PROTOCOLS.md P3), with and without retraining, and measured: accuracy against the
# share of synapses injured, and the CKA between the healthy and the injured network's layers.
#
# Open it in Jupyter as a notebook (`pip install jupytext`, then open this `.py`), or run it as a
# script. It needs the `atrophy` binary (`cargo install --path .` in the repository, or
# `$ATROPHY_BIN`), torch, and the package with its notebook extra:
# `pip install "./python[notebook]"`. Offline, on 600 generated images: a couple of minutes
# on two cores.

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image
from torch import nn

import atrophy

work = Path(os.environ.get("ATROPHY_EXAMPLE_DIR", "atrophy-example")).resolve()
work.mkdir(parents=True, exist_ok=True)
torch.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## A data set atrophy and PyTorch both read
# Ten classes of 28 x 28 grey images: a bright bar whose position and orientation depend on
# the class, in noise. Written as an image folder (`ROOT/train/CLASS/*.png`,
# `ROOT/test/CLASS/*.png`), which atrophy reads as `dataset = "images:28:gray"`.

# %%
def bar_image(c: int) -> np.ndarray:
    a = rng.normal(80, 45, size=(28, 28))
    k = 4 + 4 * (c % 5)
    if c < 5:
        a[k : k + 3, 4:24] += 60
    else:
        a[4:24, k : k + 3] += 60
    return a.clip(0, 255).astype(np.uint8)


data = work / "bars"
images = {"train": [], "test": []}
for split, n in (("train", 50), ("test", 10)):
    for c in range(10):
        (data / split / f"class{c}").mkdir(parents=True, exist_ok=True)
        for i in range(n):
            a = bar_image(c)
            Image.fromarray(a, "L").save(data / split / f"class{c}" / f"{i:03d}.png")
            images[split].append((a, c))


def tensors(split):
    x = torch.tensor(np.stack([a for a, _ in images[split]])[:, None], dtype=torch.float32) / 255.0
    y = torch.tensor([c for _, c in images[split]])
    return x, y


x_train, y_train = tensors("train")
x_test, y_test = tensors("test")
print(f"{len(x_train)} training and {len(x_test)} test images in {data}")

# %% [markdown]
# ## A small CNN, trained a little in PyTorch
# With BatchNorm, so that homeostasis (`recalibrate_bn`) has statistics to re-estimate. It takes
# pixels in [0, 1] (the config says `normalize = false`).

# %%
class SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        h = torch.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        h = torch.relu(self.bn2(self.conv2(h)))
        return self.fc(torch.flatten(self.pool(h), 1))


net = SmallNet()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
for epoch in range(15):
    net.train()
    for idx in torch.randperm(len(x_train)).split(32):
        opt.zero_grad()
        nn.functional.cross_entropy(net(x_train[idx]), y_train[idx]).backward()
        opt.step()
net.eval()
with torch.no_grad():
    accuracy = (net(x_test).argmax(1) == y_test).float().mean().item()
print(f"test accuracy in PyTorch: {accuracy:.3f}")

# %% [markdown]
# ## Into atrophy
# `atrophy.script` writes a TorchScript file whose `activations(x)` returns the named modules'
# outputs (and the logits) in one forward pass; it checks the file against the module.

# %%
model_file = atrophy.script(net, ["conv1", "conv2", "pool"], work / "smallnet.pt", input_shape=(1, 28, 28))
print(model_file)

# %% [markdown]
# ## A decay experiment with two regimes
# Five decay iterations (each multiplies a fifth of the healthy synapses by gamma = 0.5),
# without retraining (`static`, with homeostasis only) and with one epoch on 100 images.

# %%
config = {
    "name": "notebook",
    "seed": 1,
    "cycles": 2,
    "analyses": ["accuracy", "cka"],
    "save_models": True,  # each step's last state as models/REGIME_cC_iI_STATE/model.pt
    "data": {"dataset": "images:28:gray", "path": str(data)},
    "healthy": {"train": {"torchscript": str(model_file), "epochs": 0, "normalize": False}},
    "injury": {"kind": "decay", "iterations": 5, "gamma": 0.5, "layers": ["!fc"]},
    "regime": [
        {"name": "static", "static": True, "recalibrate_bn": 200},
        {"name": "R100", "images": 100, "epochs": 1, "batch_size": 25, "lr": 0.01, "recalibrate_bn": 100},
    ],
    "analysis": {"images": 50},
}
results = atrophy.run(config, out=work / "results")
results

# %% [markdown]
# ## The results as DataFrames

# %%
m = results.metrics
print(m.dtypes[["regime", "cycle", "iteration", "fraction_injured", "state", "top1"]])
# atrophy evaluates the healthy model as PyTorch does: the same accuracy on the same images.
healthy_top1 = m[m.state == "healthy"].top1.unique()
assert len(healthy_top1) == 1 and abs(healthy_top1[0] - accuracy) < 1e-6, (healthy_top1, accuracy)
results.summary.head(8)

# %%
# Each step's last state: recalibrated for `static` (homeostasis only), retrained for R100.
final = m.sort_values(["regime", "cycle", "iteration", "state"]).groupby(["regime", "cycle", "iteration"]).tail(1)
curves = (
    final.groupby(["regime", "iteration"])
    .agg(injured=("fraction_injured", "mean"), top1=("top1", "mean"), sd=("top1", "std"))
    .reset_index()
)
fig, ax = plt.subplots(figsize=(5, 3.5))
for regime, g in curves.groupby("regime"):
    ax.errorbar(100 * g.injured, 100 * g.top1, yerr=100 * g.sd.fillna(0), marker="o", capsize=3, label=regime)
ax.axhline(10, color="grey", lw=0.8, ls=":", label="chance")
ax.set_xlabel("synapses injured (%)")
ax.set_ylabel("top-1 accuracy (%)")
ax.legend()
fig.tight_layout()
fig.savefig(work / "accuracy.png", dpi=120)

# %% [markdown]
# Re-estimating BatchNorm's statistics alone (`static`) can lift accuracy above the healthy
# model's first: after 15 short epochs its running statistics were not yet those of its own
# activations. That is homeostasis at work, separate from relearning (the R100 curve).

# %% [markdown]
# ## Representations: CKA
# The run wrote each state's layer x layer CKA against the healthy model (rows: the healthy
# model's layers). `atrophy.cka` computes one from activations: here conv2 of the healthy model
# against conv2 after the last decay step without retraining, from the model the run saved.

# %%
last = int(m.iteration.max())
print(results.cka("static", 0, last, "recalibrated").round(3))

healthy = torch.jit.load(str(model_file)).eval()
injured = torch.jit.load(str(results.path / "models" / f"static_c0_i{last}_recalibrated" / "model.pt")).eval()
with torch.no_grad():
    h = healthy.activations(x_test)["conv2"].flatten(1).numpy()
    i = injured.activations(x_test)["conv2"].flatten(1).numpy()
cka = atrophy.cka(h, i)
print(f"linear CKA of conv2, healthy vs decayed ({100 * m.fraction_injured.max():.0f} % of all synapses): {cka:.4f}")
