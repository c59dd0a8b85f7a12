"""``atrophy.run`` against the command line: a dict config gives the tables the CLI gives for the
same TOML (seconds aside); shards read together equal their merge; a bad config raises
``RunError`` naming the field; a missing binary raises the install hint."""

import json
import os
import subprocess

import numpy as np
import pandas as pd
import pytest
import tomli_w

import atrophy


def tiny_config(name="tiny-py", regimes=None):
    """Seconds of work: the small CNN on the synthetic data, two decay iterations."""
    return {
        "name": name,
        "seed": 5,
        "cycles": 2,
        "analyses": ["accuracy", "cka"],
        "data": {"dataset": "synthetic", "eval_images": 100},
        "healthy": {"train": {"model": "small_cnn", "widths": "4,M,8,M", "epochs": 1, "batch_size": 64, "lr": 0.02}},
        "injury": {"kind": "decay", "iterations": 2, "gamma": 0.5},
        "regime": regimes
        or [
            {"name": 'R100, "balanced"', "images": 100, "epochs": 1, "batch_size": 50, "lr": 0.01, "balanced": True},
            {"name": "static", "static": True},
        ],
        "analysis": {"images": 16},
    }


def without_seconds(df):
    return df.drop(columns=["seconds"]).reset_index(drop=True)


def test_dict_config_equals_the_cli_run(atrophy_bin, tmp_path):
    cfg = tiny_config()
    r = atrophy.run(cfg, out=tmp_path / "py", progress=False)
    assert isinstance(r, atrophy.Results) and r.finished
    toml = tmp_path / "tiny.toml"
    toml.write_text(tomli_w.dumps(cfg))
    subprocess.run([atrophy_bin, "--quiet", "run", str(toml), "--out", str(tmp_path / "cli")], check=True, capture_output=True)
    cli = atrophy.load(tmp_path / "cli")
    pd.testing.assert_frame_equal(without_seconds(r.metrics), without_seconds(cli.metrics))
    pd.testing.assert_frame_equal(r.summary, cli.summary)
    # A regime name with a comma and quotes survives the round trip, in config order.
    assert r.regimes == ['R100, "balanced"', "static"]
    assert set(r.metrics["regime"]) == set(r.regimes)
    assert r.cka('R100, "balanced"', 1, 2, "retrained").shape[0] == len(r.layers) > 0
    assert r.figure("accuracy").is_file()
    # Running again continues (here: finds everything done) and returns the same tables.
    again = atrophy.run(cfg, out=tmp_path / "py", progress=False)
    pd.testing.assert_frame_equal(again.metrics, r.metrics)


def test_shards_read_together_equal_their_merge(atrophy_bin, tmp_path):
    cfg = tiny_config("shards-py")
    out = tmp_path / "sharded"
    toml = tmp_path / "s.toml"
    toml.write_text(tomli_w.dumps(cfg))
    quiet = [atrophy_bin, "--quiet"]
    subprocess.run(quiet + ["run", str(toml), "--stage", "healthy", "--out", str(out)], check=True, capture_output=True)
    for i in range(2):
        atrophy.run(cfg, out=out, shard=f"{i}/2", progress=False)
    subprocess.run(
        quiet + ["merge", str(out / "shard-0-of-2"), str(out / "shard-1-of-2"), "--out", str(tmp_path / "merged")],
        check=True,
        capture_output=True,
    )
    together = atrophy.load(out)
    merged = atrophy.load(tmp_path / "merged")
    assert len(together.folders) == 2
    pd.testing.assert_frame_equal(without_seconds(together.metrics), without_seconds(merged.metrics))
    # The summary of a sharded folder is computed as merge computes it.
    pd.testing.assert_frame_equal(together.summary, merged.summary, rtol=1e-12)
    assert len(together.training) == 1


def test_bad_config_raises_run_error_naming_the_field(atrophy_bin, tmp_path):
    cfg = tiny_config()
    cfg["cycles"] = 0
    with pytest.raises(atrophy.RunError) as e:
        atrophy.run(cfg, out=tmp_path / "bad", progress=False)
    assert "cycles" in e.value.message and e.value.returncode != 0
    with pytest.raises(atrophy.RunError, match="neither a config file nor a preset"):
        atrophy.run("no-such-preset", out=tmp_path / "bad2", progress=False)
    with pytest.raises(atrophy.RunError, match=r"regime\.\*\.lr|lr"):
        atrophy.run(tiny_config(), out=tmp_path / "bad3", set={"regime.*.lr": -1.0}, progress=False)


def test_missing_binary_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("ATROPHY_BIN", str(tmp_path / "nowhere" / "atrophy"))
    with pytest.raises(atrophy.BinaryNotFoundError, match=r"cargo install --path \."):
        atrophy.run("quick")
    monkeypatch.delenv("ATROPHY_BIN")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"no `atrophy` binary on PATH"):
        atrophy.run("quick")


def test_keyboard_interrupt_stops_the_binary_and_the_run_resumes(atrophy_bin, tmp_path):
    # A notebook's interrupt: SIGINT to the Python process running atrophy.run once steps are
    # being checkpointed. The binary stops, KeyboardInterrupt reaches the caller, and the same
    # call continues the run to the tables an uninterrupted run gives.
    import signal
    import sys
    import time

    cfg = tiny_config("interrupted")
    cfg["injury"]["iterations"] = 6
    cfg["cycles"] = 3
    code = (
        "import sys, json, atrophy\n"
        f"cfg = json.loads({json.dumps(json.dumps(cfg))})\n"
        "try:\n"
        f"    atrophy.run(cfg, out={str(tmp_path / 'int')!r}, progress=False)\n"
        "    print('FINISHED')\n"
        "except KeyboardInterrupt:\n"
        "    print('INTERRUPTED')\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    progress = tmp_path / "int" / "progress.json"
    deadline = time.time() + 300
    while time.time() < deadline and child.poll() is None:
        if progress.is_file() and json.loads(progress.read_text() or "{}").get("completed", 0) >= 1:
            break
        time.sleep(0.05)
    assert child.poll() is None, "the run ended before it could be interrupted"
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert "INTERRUPTED" in out, out + err
    done = json.loads(progress.read_text())["completed"]
    total = json.loads((tmp_path / "int" / "run.json").read_text())["steps_total"]
    assert done < total
    resumed = atrophy.run(cfg, out=tmp_path / "int", progress=False)
    whole = atrophy.run(cfg, out=tmp_path / "whole", progress=False)
    assert resumed.finished
    pd.testing.assert_frame_equal(without_seconds(resumed.metrics), without_seconds(whole.metrics))
