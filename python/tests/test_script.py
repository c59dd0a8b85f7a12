"""``atrophy.script`` on a residual network with BatchNorm: PyTorch's names, the outputs of the
named modules, what ``atrophy info`` reads, and a whole experiment on it with ``recalibrate_bn``
whose statistics are exact (computed here with forward hooks) and which changes no parameter."""

import copy
import subprocess

import numpy as np
import pytest

import atrophy


def residual_net(torch):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(c)
            self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(c, momentum=0.3)

        def forward(self, x):
            return torch.relu(x + self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6, momentum=None), nn.ReLU())
            self.layer1 = Block(6)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(6, 10)

        def forward(self, x):
            return self.fc(torch.flatten(self.pool(self.layer1(self.stem(x))), 1))

    torch.manual_seed(0)
    net = Net()
    with torch.no_grad():  # running statistics away from 0 and 1
        net.train()
        for _ in range(3):
            net(torch.rand(8, 1, 28, 28) * 2 + 0.5)
    return net.eval()


def test_names_outputs_and_atrophy_info(torch, atrophy_bin, tmp_path):
    net = residual_net(torch)
    path = atrophy.script(net, ["layer1", "stem", "pool"], tmp_path / "net.pt", input_shape=(1, 28, 28))
    m = torch.jit.load(str(path))
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in net.named_parameters()]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in net.named_buffers()]
    x = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        acts = m.activations(x)
    # Forward order, whatever order they were named in; the logits last.
    assert list(acts) == ["stem", "layer1", "pool", "logits"]
    seen = {}
    hooks = [getattr(net, n).register_forward_hook(lambda mod, i, o, n=n: seen.__setitem__(n, o)) for n in ("stem", "layer1", "pool")]
    with torch.no_grad():
        want = net(x)
    for h in hooks:
        h.remove()
    for n in ("stem", "layer1", "pool"):
        assert float((acts[n] - seen[n]).abs().max()) <= 1e-6
    assert float((acts["logits"] - want).abs().max()) <= 1e-6
    with torch.no_grad():
        assert float((m(x) - want).abs().max()) <= 1e-6
    info = subprocess.run([atrophy_bin, "info", str(path), "--dataset", "synthetic"], capture_output=True, text=True, check=True).stdout
    assert "stem, layer1, pool, logits" in info
    for layer in ("stem.0", "layer1.conv1", "layer1.conv2", "fc"):
        assert layer in info


def test_bad_layers_are_refused(torch, tmp_path):
    net = residual_net(torch)
    with pytest.raises(atrophy.ScriptError, match="no module"):
        atrophy.script(net, ["layer9"], tmp_path / "x.pt", input_shape=(1, 28, 28))
    with pytest.raises(atrophy.ScriptError, match="input_shape"):
        atrophy.script(net, ["stem"], tmp_path / "x.pt", input_shape=(28, 28))


def image_folder(root, torch):
    """10 classes, 4 training and 2 test images each, 28 x 28 grey PNGs; the training images as
    the network receives them without normalisation (pixels / 255)."""
    from PIL import Image

    rng = np.random.default_rng(1)
    train = []
    for split, n in (("train", 4), ("test", 2)):
        for c in range(10):
            d = root / split / f"c{c}"
            d.mkdir(parents=True)
            for i in range(n):
                a = (rng.integers(0, 256, size=(28, 28)) * (0.3 + 0.07 * c)).clip(0, 255).astype(np.uint8)
                Image.fromarray(a, "L").save(d / f"{i}.png")
                if split == "train":
                    train.append(a)
    return torch.tensor(np.stack(train)[:, None], dtype=torch.float32) / 255.0


def bn_input_stats(torch, net, x):
    """Each BatchNorm input's per-channel mean and unbiased variance over `x` as one train-mode
    batch, by forward hooks on a copy of `net`."""
    net = copy.deepcopy(net).train()
    seen = {}
    for name, mod in net.named_modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.register_forward_hook(lambda m, i, o, name=name: seen.__setitem__(name, i[0].double()))
    with torch.no_grad():
        net(x)
    return {n: (a.mean(dim=(0, 2, 3)), a.var(dim=(0, 2, 3), unbiased=True)) for n, a in seen.items()}


def test_experiment_on_a_scripted_model_recalibrates_exactly(torch, atrophy_bin, tmp_path):
    net = residual_net(torch)
    pt = atrophy.script(net, ["stem", "layer1", "pool"], tmp_path / "net.pt", input_shape=(1, 28, 28))
    train = image_folder(tmp_path / "images", torch)

    def config(name, regime):
        return {
            "name": name,
            "seed": 2,
            "cycles": 1,
            "analyses": ["accuracy", "cka"],
            "save_models": True,
            "data": {"dataset": "images:28:gray", "path": str(tmp_path / "images")},
            "healthy": {"train": {"torchscript": str(pt), "epochs": 0, "normalize": False}},
            "injury": {"kind": "decay", "iterations": 1, "layers": ["!fc"]},
            "regime": [regime],
            "analysis": {"images": 10},
        }

    # All 40 training images, in one batch: the statistics are those of the whole set.
    recal = atrophy.run(config("recal", {"name": "S", "static": True, "recalibrate_bn": 40, "batch_size": 64}), out=tmp_path / "recal", progress=False)
    plain = atrophy.run(config("plain", {"name": "S", "static": True}), out=tmp_path / "plain", progress=False)
    assert list(recal.metrics["state"].astype(str)) == ["healthy", "injured", "recalibrated"]
    assert recal.layers == ["stem", "layer1", "pool", "logits"]
    a = torch.jit.load(str(tmp_path / "recal" / "models" / "S_c0_i1_recalibrated" / "model.pt"))
    b = torch.jit.load(str(tmp_path / "plain" / "models" / "S_c0_i1_injured" / "model.pt"))
    # The same injury; recalibration moved no parameter, bitwise.
    pa, pb = dict(a.named_parameters()), dict(b.named_parameters())
    assert pa.keys() == pb.keys()
    for n in pa:
        assert torch.equal(pa[n], pb[n]), n
    assert not torch.equal(pa["layer1.conv1.weight"], dict(net.named_parameters())["layer1.conv1.weight"])
    # Without recalibration the statistics are the healthy model's; with it, those of the
    # injured network's activations, whatever momentum each BatchNorm was compiled with.
    for n, buf in net.named_buffers():
        assert torch.equal(dict(b.named_buffers())[n], buf), n
    injured = copy.deepcopy(net)
    injured.load_state_dict(b.state_dict())
    want = bn_input_stats(torch, injured, train)
    got = dict(a.named_buffers())
    for n, (mean, var) in want.items():
        for stat, w in (("running_mean", mean), ("running_var", var)):
            g = got[f"{n}.{stat}"].double()
            assert float((g - w).abs().max()) <= 1e-5 * max(1.0, float(w.abs().max())), (n, stat)


def test_atrophy_imports_without_torch_and_script_says_what_is_missing(tmp_path):
    # A fresh interpreter in which `import torch` fails: the package imports, load works, and
    # only atrophy.script needs torch, saying so.
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import atrophy\n"
        "try:\n"
        "    atrophy.script(object(), ['x'], 'x.pt', (1, 2, 2))\n"
        "except ImportError as e:\n"
        "    print('ImportError:', e)\n"
    )
    import sys

    o = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert o.returncode == 0, o.stderr
    assert "ImportError: atrophy.script needs PyTorch" in o.stdout, o.stdout
