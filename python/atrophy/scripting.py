"""Any ``torch.nn.Module`` as a TorchScript file atrophy runs: ``atrophy.script(model, layers,
path, input_shape)``. torch is imported only here, when the function is called."""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

PathLike = Union[str, "os.PathLike[str]"]


class ScriptError(ValueError):
    """The model cannot be written as atrophy's TorchScript: the message says why and what to do.

    >>> atrophy.script(net, ["layer9"], "net.pt", input_shape=(3, 32, 32))   # doctest: +SKIP
    Traceback (most recent call last):
    ...
    atrophy.scripting.ScriptError: layers: no module ['layer9'] in the model (modules: ...)
    """


def _torch():
    try:
        import torch
        import torch.fx  # noqa: F401
    except ImportError as e:
        raise ImportError("atrophy.script needs PyTorch: `pip install torch`") from e
    return torch


def script(
    model,
    layers: Sequence[str],
    path: PathLike,
    input_shape: Sequence[int],
    *,
    check: bool = True,
    tolerance: float = 1e-6,
) -> Path:
    """Writes ``model`` as a TorchScript file for ``[healthy] torchscript`` (or ``atrophy info``,
    ``atrophy activations``), with an ``activations(x)`` method that returns the outputs of the
    named modules (``layers``, names as ``model.named_modules()`` gives them) in forward order,
    and the logits last under ``"logits"`` (unless the last named module gives them), computed
    in one forward pass. ``forward(x)`` stays the model's.

    The model is traced with ``torch.fx`` (the named modules kept whole, so a block such as
    ``layer1`` can be named), then scripted, so BatchNorm and dropout modules still follow train
    and eval mode; a functional call with ``training=self.training`` is fixed at tracing (use the
    module). Parameters and buffers keep their PyTorch names (``layer1.0.conv1.weight``).

    With ``check`` (the default) the file is loaded back and its logits and activations are
    compared, in eval mode on a random batch of ``input_shape`` (C x H x W, or N x C x H x W),
    with the model's own (module outputs read by forward hooks): the largest difference must be
    at most ``tolerance`` times the output's scale (at least 1), or :class:`ScriptError`.
    Returns the path.

    >>> import torchvision                                                  # doctest: +SKIP
    >>> net = torchvision.models.resnet18(num_classes=10)                   # doctest: +SKIP
    >>> atrophy.script(net, ["layer1", "layer2", "layer3", "layer4", "avgpool"],
    ...                "resnet18.pt", input_shape=(3, 32, 32))              # doctest: +SKIP
    """
    torch = _torch()
    layers = list(layers)
    if not layers:
        raise ScriptError("layers: name at least one module (names as model.named_modules() gives them)")
    modules = dict(model.named_modules())
    unknown = [name for name in layers if name not in modules or name == ""]
    if unknown:
        names = [n for n in modules if n]
        raise ScriptError(f"layers: no module {unknown} in the model (modules: {', '.join(names[:40])}{' ...' if len(names) > 40 else ''})")
    if len(set(layers)) != len(layers):
        raise ScriptError(f"layers: a module is named twice in {layers}")
    shape = tuple(int(s) for s in input_shape)
    if len(shape) == 3:
        shape = (2,) + shape
    if len(shape) != 4:
        raise ScriptError(f"input_shape = {tuple(input_shape)}: expected C x H x W (or N x C x H x W)")

    graph_module, activations = _trace(torch, model, layers)
    # The activations graph's code becomes a method of the forward graph's class (each
    # GraphModule has a class of its own), so one module holds both and every parameter once.
    cls = type(graph_module)
    cls.activations = torch.jit.export(type(activations).forward)
    try:
        with _quiet_jit():
            scripted = torch.jit.script(graph_module)
    except Exception as e:
        raise ScriptError(
            f"torch.jit.script failed on the traced model: {str(e).splitlines()[0]}; a module named "
            "in `layers` is kept whole and must be scriptable on its own (or write `activations` "
            "by hand, docs/torchscript.md)"
        ) from e
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with _quiet_jit():
        scripted.save(str(tmp))
    os.replace(tmp, path)
    if check:
        _check(torch, model, layers, path, shape, tolerance)
    return path


@contextlib.contextmanager
def _quiet_jit():
    """TorchScript's own notices, which say nothing about this model: torch 2.13 marks
    ``torch.jit`` deprecated (atrophy's libtorch reads TorchScript, which torch.export does not
    write), and scripting a GraphModule warns about its internal annotations."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=r".*torch\.jit")
        warnings.filterwarnings("ignore", category=UserWarning, message=r".*instance-level annotations")
        yield


def _trace(torch, model, layers: List[str]):
    """The model's fx graph module (forward unchanged) and a second one over the same modules
    whose forward returns the named modules' outputs and the logits, as a dict."""
    fx = torch.fx
    keep = set(layers)

    class Tracer(fx.Tracer):
        def is_leaf_module(self, m, qualname):
            return qualname in keep or super().is_leaf_module(m, qualname)

    try:
        graph = Tracer().trace(model)
    except Exception as e:
        raise ScriptError(
            f"torch.fx could not trace the model ({type(e).__name__}: {str(e).splitlines()[0]}); "
            "control flow on tensor values needs a hand-written `activations` (docs/torchscript.md)"
        ) from e
    forward = fx.GraphModule(model, graph)
    calls: Dict[str, object] = {}
    for node in graph.nodes:
        if node.op == "call_module" and node.target in keep:
            if node.target in calls:
                raise ScriptError(f"layers: module {node.target!r} is called more than once in forward; name one call's module")
            calls[node.target] = node
    missing = [name for name in layers if name not in calls]
    if missing:
        raise ScriptError(f"layers: modules {missing} are never called by the model's forward")
    output = next(n for n in graph.nodes if n.op == "output")
    logits = output.args[0]
    if not isinstance(logits, fx.Node):
        raise ScriptError("the model's forward must return one tensor (the logits), not a tuple or dict")

    copy = fx.Graph()
    values: Dict[object, object] = {}
    copy.graph_copy(graph, values)
    order = {n: i for i, n in enumerate(graph.nodes)}
    named = sorted(layers, key=lambda name: order[calls[name]])
    entries = {name: values[calls[name]] for name in named}
    if calls[named[-1]] is not logits:
        entries["logits" if "logits" not in entries else "output"] = values[logits]
    copy.output(entries)
    activations = fx.GraphModule(model, copy)
    activations.graph.eliminate_dead_code()
    activations.recompile()
    return forward, activations


def _check(torch, model, layers: List[str], path: Path, shape: Tuple[int, ...], tolerance: float):
    with _quiet_jit():
        loaded = torch.jit.load(str(path))
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(shape, generator=gen)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    x = x.to(device)
    seen: Dict[str, object] = {}
    modules = dict(model.named_modules())
    hooks = [modules[n].register_forward_hook(lambda m, i, o, n=n: seen.__setitem__(n, o)) for n in layers]
    was_training = model.training
    model.eval()
    loaded.eval()
    try:
        with torch.no_grad():
            want_logits = model(x)
            got_logits = loaded(x)
            got = loaded.activations(x)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)

    def differ(name, a, b):
        if a.shape != b.shape:
            raise ScriptError(f"{path}: {name} has shape {tuple(b.shape)}, the model's {tuple(a.shape)}")
        scale = max(1.0, float(a.abs().max()))
        d = float((a - b).abs().max()) / scale
        if d > tolerance:
            raise ScriptError(f"{path}: {name} differs from the model's by {d:.3g} (relative), over {tolerance}")

    differ("forward", want_logits, got_logits)
    for name in layers:
        differ(f"activations[{name!r}]", seen[name], got[name])
    extra = [k for k in got if k not in layers]
    for k in extra:
        differ(f"activations[{k!r}]", want_logits, got[k])
