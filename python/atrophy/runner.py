"""Running experiments from Python: ``atrophy.run(config, ...)`` calls the ``atrophy`` binary
(the Rust program on libtorch) and returns its results folder as :class:`atrophy.Results`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from .results import Results

PathLike = Union[str, "os.PathLike[str]"]

_INSTALL_HINT = (
    "build and install it from the repository with `cargo install --path .` (then it is on PATH), "
    "or point $ATROPHY_BIN at a built binary (target/release/atrophy)"
)


class RunError(RuntimeError):
    """``atrophy run`` failed; ``message`` is what the binary said, ``returncode`` its exit
    status (None when the binary could not be started), ``command`` the command line.

    >>> try:                                                  # doctest: +SKIP
    ...     atrophy.run({"name": "x", "cycles": 0})
    ... except atrophy.RunError as e:
    ...     print(e.message)                                  # names the field: cycles
    """

    def __init__(self, message: str, returncode: Optional[int] = None, command: Sequence[str] = ()):
        super().__init__(message)
        self.message = message
        self.returncode = returncode
        self.command = list(command)


class BinaryNotFoundError(RunError, FileNotFoundError):
    """No ``atrophy`` binary at ``$ATROPHY_BIN`` or on PATH; the message says how to install one.

    >>> os.environ["ATROPHY_BIN"] = "/nowhere/atrophy"        # doctest: +SKIP
    >>> atrophy.run("quick")                                  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    atrophy.runner.BinaryNotFoundError: $ATROPHY_BIN = /nowhere/atrophy: not an executable file; ...
    """


def binary() -> str:
    """The ``atrophy`` binary: ``$ATROPHY_BIN``, else the first on PATH."""
    env = os.environ.get("ATROPHY_BIN")
    if env:
        if not (os.path.isfile(env) and os.access(env, os.X_OK)):
            raise BinaryNotFoundError(f"$ATROPHY_BIN = {env}: not an executable file; {_INSTALL_HINT}")
        return env
    found = shutil.which("atrophy")
    if found is None:
        raise BinaryNotFoundError(f"no `atrophy` binary on PATH and $ATROPHY_BIN is not set; {_INSTALL_HINT}")
    return found


def _toml_value(v: Any) -> str:
    """``v`` in TOML syntax, as ``--set KEY=VALUE`` takes it."""
    import tomli_w

    return tomli_w.dumps({"v": v}).split("=", 1)[1].strip()


def _config_argument(config: Union[Mapping[str, Any], PathLike], tmp: Path) -> str:
    if isinstance(config, Mapping):
        import tomli_w

        name = str(config.get("name", "experiment"))
        path = tmp / f"{name.replace('/', '_')}.toml"
        try:
            path.write_text(tomli_w.dumps(dict(config)), encoding="utf-8")
        except TypeError as e:
            raise RunError(f"config: a value TOML cannot hold ({e}); use str, int, float, bool, lists and dicts") from e
        return str(path)
    return os.fspath(config)


def _command(
    config: str,
    out: Optional[PathLike],
    set: Union[Mapping[str, Any], Sequence[str], None],
    regimes: Union[str, Sequence[str], None],
    healthy: Optional[PathLike],
    device: Optional[str],
    threads: Optional[int],
    shard: Optional[str],
) -> List[str]:
    # --quiet: the progress shown is the Python side's, fed by the checkpoints.
    cmd = [binary(), "--quiet", "run", config]
    if out is not None:
        cmd += ["--out", os.fspath(out)]
    if isinstance(set, Mapping):
        set = [f"{k}={_toml_value(v)}" for k, v in set.items()]
    for s in set or []:
        cmd += ["--set", s]
    if regimes:
        cmd += ["--regimes", regimes if isinstance(regimes, str) else ",".join(regimes)]
    if healthy is not None:
        cmd += ["--healthy", os.fspath(healthy)]
    if device is not None:
        cmd += ["--device", device]
    if threads is not None:
        cmd += ["--threads", str(int(threads))]
    if shard is not None:
        cmd += ["--shard", shard]
    return cmd


class _Progress:
    """Steps done out of the run's total, read from ``run.json`` and ``progress.json`` as the
    binary checkpoints them: a tqdm bar when tqdm is installed, else one line rewritten."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.done = -1
        self.total = None

    def update(self, folder: Optional[Path]):
        if not self.enabled or folder is None:
            return
        try:
            # The total is written once, when the run starts; the steps done at every checkpoint.
            if not self.total:
                self.total = json.loads((folder / "run.json").read_text(encoding="utf-8")).get("steps_total")
            done = json.loads((folder / "progress.json").read_text(encoding="utf-8")).get("completed", 0)
        except (OSError, ValueError):
            return
        total = self.total
        if not total or done == self.done:
            return
        self.done = done
        if self.bar is None:
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=total, unit="step", desc=folder.name)
            except ImportError:
                self.bar = False
        if self.bar:
            self.bar.n = done
            self.bar.refresh()
        else:
            print(f"\ratrophy {folder.name}: step {done}/{total}", end="", file=sys.stderr, flush=True)

    def close(self):
        if self.bar:
            self.bar.close()
        elif self.bar is False:
            print(file=sys.stderr)


def run(
    config: Union[Mapping[str, Any], PathLike] = "quick",
    *,
    out: Optional[PathLike] = None,
    set: Union[Mapping[str, Any], Sequence[str], None] = None,
    regimes: Union[str, Sequence[str], None] = None,
    healthy: Optional[PathLike] = None,
    device: Optional[str] = None,
    threads: Optional[int] = None,
    shard: Optional[str] = None,
    progress: bool = True,
) -> Results:
    """Runs an experiment with the ``atrophy`` binary and returns its results folder.

    ``config`` is a dict (the TOML config's tables as nested dicts, ``regime`` a list of dicts),
    a TOML file or a preset name (``quick``, ``moore-decay``, ...). ``set`` changes values as
    ``--set`` does (``{"cycles": 3, "regime.*.lr": 0.01}``), ``regimes`` runs some regimes only,
    ``healthy`` takes a trained checkpoint, ``device`` is ``cpu``, ``cuda`` or ``cuda:N``.

    A run is resumable: calling ``run`` again with the same arguments continues it. Progress is
    shown as a tqdm bar (when tqdm is installed) fed by the run's checkpoints. A failing run
    raises :class:`RunError` with the binary's message; KeyboardInterrupt stops the binary (the
    steps done so far stay checkpointed) and is raised again.

    >>> r = atrophy.run("quick", set={"cycles": 1})     # doctest: +SKIP
    >>> r.summary                                       # doctest: +SKIP
    """
    with tempfile.TemporaryDirectory(prefix="atrophy-run-") as tmp:
        cmd = _command(
            _config_argument(config, Path(tmp)), out, set, regimes, healthy, device, threads, shard
        )
        folder = _execute(cmd, progress)
    return Results(folder)


def _execute(cmd: List[str], progress: bool) -> Path:
    try:
        child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    except OSError as e:
        raise BinaryNotFoundError(f"cannot start {cmd[0]}: {e}; {_INSTALL_HINT}", None, cmd) from e
    stdout: List[str] = []
    stderr: List[str] = []
    folder: List[Path] = []

    def pump(stream, sink: List[str], echo):
        for line in stream:
            sink.append(line)
            m = re.search(r"results in ([^;]+?)\s*(?:;|$)", line)
            if m and not folder:
                folder.append(Path(m.group(1)))
            if echo is not None:
                print(line, end="", file=echo, flush=True)

    threads = [
        threading.Thread(target=pump, args=(child.stdout, stdout, sys.stdout), daemon=True),
        threading.Thread(target=pump, args=(child.stderr, stderr, sys.stderr), daemon=True),
    ]
    for t in threads:
        t.start()
    bar = _Progress(progress)
    try:
        while child.poll() is None:
            bar.update(folder[0] if folder else None)
            time.sleep(0.3)
        bar.update(folder[0] if folder else None)
    except KeyboardInterrupt:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        raise
    finally:
        bar.close()
        for t in threads:
            t.join(timeout=5)
    if child.returncode != 0:
        message = "".join(stderr).strip() or f"atrophy exited with status {child.returncode}"
        raise RunError(message, child.returncode, cmd)
    if not folder:
        raise RunError("atrophy run finished without naming its results folder:\n" + "".join(stdout + stderr), 0, cmd)
    return folder[0]
