"""Why a network without BatchNorm answers one class after two ablations (issue 30, arm 4).

Paper 001's text network (atrophy's `vgg19`: no BatchNorm) answered one class for every test
image from its second ablation of 20 % on, where the BatchNorm `vgg19_bn` of the authors' code
kept 10-23 %. The hypothesis tested here: ablation removes a share of every synapse layer's
weights, so each layer's input-driven pre-activation shrinks by about the kept share, while the
biases (not synapses: docs/PROTOCOLS.md, "Terms") stay; after 19 such layers the image-driven
part of the logits is small beside the bias-driven part, which is the same for every image.

For each number of ablations k, the checkpoint's synapse layers (conv and linear weights) lose
20 % of their remaining weights k times, per layer, uniformly at random (the distribution of
atrophy's `selection = "random"`, `scope = "per_layer"`; its masks are not these), and three
variants are evaluated by atrophy itself (`atrophy eval`, `atrophy activations`):

- ablated: as the injury leaves it;
- rescaled: the kept weights of each layer multiplied by 1 / (its kept share), which restores
  the expected pre-activation of a layer (the inverted dropout rescaling);
- no biases: ablated, and every conv and linear bias set to 0 (for a network without BatchNorm
  and with ReLU this makes the logits positively homogeneous in each layer's scale, so the answer
  no longer depends on the shrinkage, only on what the kept synapses compute).

Written: OUT/ablation_scale.csv and a markdown table on stdout: mean class-wise accuracy, the
number of classes the network answers, the root mean square of the last hidden layer's and of
the logits' activations on N test images against the healthy model's, and the share of the
logits' variance that is across images (1: all image-driven; 0: the same logits for every image).

    .venv/bin/python bench/ablation_scale.py runs/arm4/healthy runs/ablation-scale/text
    .venv/bin/python bench/ablation_scale.py runs/arm2/onecycle runs/ablation-scale/vgg19_bn

Needs torch (the project's .venv has it, without numpy: the files are read by hand) and the
release binary (ATROPHY, default target/release/atrophy).
"""

import argparse
import ast
import csv
import ctypes
import json
import os
import shutil
import struct
import subprocess
import sys

import torch

DTYPES = {"F32": torch.float32, "I64": torch.int64, "I32": torch.int32}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[a:b]), dtype=DTYPES[info["dtype"]])
        tensors[name] = t.reshape(info["shape"]).clone()
    return tensors, header.get("__metadata__")


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        dtype = DTYPE_NAMES[t.dtype]
        blob = ctypes.string_at(t.data_ptr(), t.numel() * t.element_size())  # no numpy here
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def read_npy(path):
    with open(path, "rb") as f:
        raw = f.read()
    assert raw[:6] == b"\x93NUMPY", path
    major = raw[6]
    n = struct.unpack("<H", raw[8:10])[0] if major == 1 else struct.unpack("<I", raw[8:12])[0]
    start = 10 + n if major == 1 else 12 + n
    header = ast.literal_eval(raw[start - n : start].decode("latin1"))  # a dict literal, by the format
    assert header["descr"] == "<f4" and not header["fortran_order"], path
    return torch.frombuffer(bytearray(raw[start:]), dtype=torch.float32).reshape(header["shape"])


def synapse_layers(tensors):
    """Conv and linear weights: the 4-d and 2-d `.weight` tensors (BatchNorm's are 1-d)."""
    return [k for k, t in tensors.items() if k.endswith(".weight") and t.dim() >= 2]


def biases(tensors, synapses):
    names = (s.removesuffix(".weight") + ".bias" for s in synapses)
    return [b for b in names if b in tensors]


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out.stdout


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", help="folder with model.safetensors and model.json")
    p.add_argument("out")
    p.add_argument("--ablations", default="1,2,3")
    p.add_argument("--fraction", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n", type=int, default=500, help="images for the activation statistics")
    p.add_argument("--data", default="../shared/data/cifar-10-binary.tar.gz")
    p.add_argument("--threads", default="1")
    a = p.parse_args()
    atrophy = os.environ.get("ATROPHY", "target/release/atrophy")
    healthy, metadata = read_safetensors(os.path.join(a.checkpoint, "model.safetensors"))
    synapses = synapse_layers(healthy)
    layers_out = [l for l in run([atrophy, "info", a.checkpoint]).split("\n") if l[:1].isalpha()]
    names = [l.split()[0] for l in layers_out if len(l.split()) > 1]
    relus = [n for n in names if n.startswith("relu")]
    last_hidden, logits = relus[-1], [n for n in names if n.startswith("linear")][-1]
    os.makedirs(a.out, exist_ok=True)

    gen = torch.Generator().manual_seed(a.seed)
    masks = {s: torch.ones_like(healthy[s], dtype=torch.bool) for s in synapses}
    levels = sorted(int(k) for k in a.ablations.split(","))
    variants = [(0, "healthy", healthy), (0, "no biases", None)]
    done = 0
    for k in levels:
        while done < k:  # 20 % of each layer's remaining synapses, uniformly at random
            for s in synapses:
                flat = masks[s].flatten()
                alive = flat.nonzero().flatten()
                drop = alive[torch.randperm(len(alive), generator=gen)[: round(a.fraction * len(alive))]]
                flat[drop] = False
                masks[s] = flat.reshape(masks[s].shape)
            done += 1
        ablated = dict(healthy)
        rescaled = dict(healthy)
        for s in synapses:
            kept = masks[s].float().mean().item()
            ablated[s] = healthy[s] * masks[s]
            rescaled[s] = healthy[s] * masks[s] / kept
        variants += [(k, "ablated", ablated), (k, "rescaled", rescaled), (k, "no biases", None)]

    rows, healthy_rms = [], None
    for k, name, tensors in variants:
        if tensors is None:  # "no biases": the ablated (or healthy) weights, biases at 0
            base = healthy if k == 0 else next(t for kk, n, t in variants if kk == k and n == "ablated")
            tensors = dict(base)
            for b in biases(base, synapses):
                tensors[b] = torch.zeros_like(base[b])
        d = os.path.join(a.out, f"k{k}-{name.replace(' ', '-')}")
        os.makedirs(d, exist_ok=True)
        shutil.copy(os.path.join(a.checkpoint, "model.json"), os.path.join(d, "model.json"))
        write_safetensors(os.path.join(d, "model.safetensors"), tensors, metadata)
        ev = json.loads(run([atrophy, "eval", d, "--json", "-q", "--threads", a.threads, "--data", a.data]))
        answered = sum(1 for j in range(len(ev["confusion"])) if sum(r[j] for r in ev["confusion"]) > 0)
        acts = os.path.join(d, "acts")
        run([atrophy, "activations", d, "--layers", f"{last_hidden},{logits}", "--n", str(a.n),
             "-q", "--threads", a.threads, "--data", a.data, "--out", acts])
        files = {f.split("_", 1)[-1][: -len(".npy")]: os.path.join(acts, f) for f in os.listdir(acts)}
        h = read_npy(files[last_hidden]).flatten(1)
        z = read_npy(files[logits]).flatten(1)
        rms = (h.pow(2).mean().sqrt().item(), z.pow(2).mean().sqrt().item())
        if healthy_rms is None:
            healthy_rms = rms
        across = z.var(dim=0, unbiased=False).sum().item() / max(z.pow(2).mean(dim=0).sum().item(), 1e-30)
        rows.append({
            "ablations": k, "kept": round((1 - a.fraction) ** k, 4), "variant": name,
            "mean_class": round(100 * ev["mean_class"], 2), "classes_answered": answered,
            f"rms_{last_hidden}_vs_healthy": f"{rms[0] / healthy_rms[0]:.3g}",
            "rms_logits_vs_healthy": f"{rms[1] / healthy_rms[1]:.3g}",
            "logit_variance_across_images": f"{across:.3f}",
        })
        print(f"{k} {name}: {rows[-1]}", file=sys.stderr)
    with open(os.path.join(a.out, "ablation_scale.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()
