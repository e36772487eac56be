"""`fcnr train` on tiny synthetic renders: outputs, data selection, and exact resume after a kill."""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from render.basics.errors import FCNRError
from fcnr.cli import main
from fcnr.codec.model_io import load_model
from fcnr.training.data import training_pairs, view_params
from render.views import icosphere_views, write_views

pytestmark = pytest.mark.usefixtures("one_thread")

TIMESTEPS = (4, 5, 6)
SIZE = 32


@pytest.fixture(scope="module")
def renders(tmp_path_factory) -> Path:
    """Writes views.csv (12 views), split.csv and smooth 32x32 images for 3 timesteps."""
    root = tmp_path_factory.mktemp("renders")
    views = icosphere_views(1)
    write_views(views, root / "views.csv")
    lines = ["t,view,split"]
    for t in TIMESTEPS:
        for v in views["index"]:
            lines.append(f"{t},{v},{'train' if t == 4 and v < 8 else 'unseen'}")
    (root / "split.csv").write_text("\n".join(lines) + "\n")
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    for t in TIMESTEPS:
        for v in views:
            img = np.stack([np.sin(4 * xx + v["phi"] + t), np.cos(3 * yy + v["theta"]), xx * yy], -1)
            img = ((img + 1) / 2 * 255).clip(0, 255).astype(np.uint8)
            path = root / "images" / f"t{t:04d}" / f"v{int(v['index']):04d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(path)
    return root


def train_args(renders: Path, out: Path, *extra: str) -> list[str]:
    return ["train", str(renders / "images"), "--views", str(renders / "views.csv"), "--split",
            str(renders / "split.csv"), "--out", str(out), "--N", "8", "--M", "4", "--lr", "3e-3",
            "--lambda", "100", "--no-progress", *extra]  # fmt: skip


def test_view_params_normalise_to_unit_range():
    p = view_params(5, math.pi / 2, math.pi, (4, 6))
    assert p.dtype == torch.float32 and torch.equal(p, torch.tensor([0.5, 0.5, 0.5]))
    assert view_params(7, 0.0, 0.0, (7, 7))[0] == 0.0


def test_training_pairs_need_both_images_in_train(renders, tmp_path):
    pairs, t_range = training_pairs(renders / "views.csv", renders / "split.csv")
    assert t_range == (4, 6)
    assert [(p.t, p.left, p.right) for p in pairs] == [(4, 0, 1), (4, 2, 3), (4, 4, 5), (4, 6, 7)]
    split = tmp_path / "split.csv"
    split.write_text("t,view,split\n4,0,train\n4,1,unseen\n")
    with pytest.raises(FCNRError, match="no pair"):
        training_pairs(renders / "views.csv", split)


def test_train_writes_model_curve_and_summary(renders, tmp_path, capsys):
    out = tmp_path / "model"
    assert main(train_args(renders, out, "--epochs", "2", "--crop", "32", "--variant", "pe-only")) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["variant"] == "pe-only" and config["t_range"] == [4, 6] and config["N"] == 8
    with open(out / "train_log.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["step"]) for r in rows] == list(range(1, 9))  # 4 pairs x 2 epochs
    assert [int(r["epoch"]) for r in rows] == [0] * 4 + [1] * 4
    assert all(math.isfinite(float(r[k])) for r in rows for k in ("loss", "bpp", "psnr"))
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["steps"] == 8 and summary["seconds"] > 0
    model = load_model(out)
    assert model.laplace.quantized_cdf.numel() > 0
    assert "trained pe-only on 4 pairs for 8 steps" in capsys.readouterr().out


def test_bad_settings_are_clear_errors(renders, tmp_path, capsys):
    assert main(train_args(renders, tmp_path / "m", "--crop", "64", "--max-steps", "1")) == 2
    assert "crop 64 is larger than the images" in capsys.readouterr().err
    config = tmp_path / "model.yaml"
    config.write_text("variant: fcnr\nlearning_rate: 0.1\n")
    assert main(train_args(renders, tmp_path / "m2", "--config", str(config))) == 2
    assert "learning_rate" in capsys.readouterr().err


def run_cli(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "fcnr.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


@pytest.mark.slow
def test_killed_run_resumes_from_its_checkpoint_and_ends_as_an_unbroken_run(renders, tmp_path):
    steps = ["--epochs", "50", "--max-steps", "40", "--checkpoint-every", "3"]
    killed = tmp_path / "killed"
    proc = run_cli(train_args(renders, killed, *steps))
    deadline = time.monotonic() + 120
    while not list((killed / "checkpoints").glob("step*.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL, "training finished before it could be killed"
    assert not (killed / "weights.safetensors").exists()

    resumed = run_cli(train_args(renders, killed, *steps))
    stdout, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert "resuming" in stdout and "from step 0 " not in stdout

    unbroken = tmp_path / "unbroken"
    whole = run_cli(train_args(renders, unbroken, *steps))
    _, stderr = whole.communicate(timeout=300)
    assert whole.returncode == 0, stderr

    with open(killed / "train_log.csv", newline="") as handle:
        assert [int(r["step"]) for r in csv.DictReader(handle)] == list(range(1, 41))
    a, b = load_file(killed / "weights.safetensors"), load_file(unbroken / "weights.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
