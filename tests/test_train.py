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

from fcnr.cli import main
from fcnr.codec.model_io import load_model
from fcnr.training.data import source_datasets, training_pairs, view_params
from fcnr.training.train import Trainer, TrainSettings
from render.basics.errors import FCNRError
from render.views import icosphere_views, write_views

pytestmark = pytest.mark.usefixtures("one_thread")

TIMESTEPS = (4, 5, 6)
SIZE = 32


@pytest.fixture(scope="module")
def renders(tmp_path_factory) -> Path:
    """Writes views.csv (12 views), split.csv and smooth 32x32 images for 3 timesteps."""
    return write_renders(tmp_path_factory.mktemp("renders"), SIZE)


@pytest.fixture(scope="module")
def large_renders(tmp_path_factory) -> Path:
    """The same renders at 64x64."""
    return write_renders(tmp_path_factory.mktemp("large_renders"), 2 * SIZE)


def write_renders(root: Path, size: int) -> Path:
    """Writes views.csv, split.csv and smooth ``size`` x ``size`` images under ``root``; returns ``root``."""
    views = icosphere_views(1)
    write_views(views, root / "views.csv")
    lines = ["t,view,split"]
    for t in TIMESTEPS:
        for v in views["index"]:
            lines.append(f"{t},{v},{'train' if t == 4 and v < 8 else 'unseen'}")
    (root / "split.csv").write_text("\n".join(lines) + "\n")
    yy, xx = np.mgrid[0:size, 0:size] / size
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


def test_fine_tune_on_crops_sees_windows_of_larger_images_only(renders, large_renders, tmp_path):
    base = tmp_path / "base"
    assert main(train_args(renders, base, "--max-steps", "2")) == 0
    tuned = tmp_path / "tuned"
    assert main(train_args(large_renders, tuned, "--init", str(base), "--crop", "32", "--max-steps", "3")) == 0
    summary = json.loads((tuned / "train_summary.json").read_text())
    assert summary["steps"] == 3 and summary["init"]["path"] == str(base)
    assert [(s["image_size"], s["window"]) for s in summary["sources"]] == [([64, 64], [32, 32])]
    with open(tuned / "train_log.csv", newline="") as handle:
        assert all(math.isfinite(float(r["psnr"])) for r in csv.DictReader(handle))
    a, b = load_file(base / "weights.safetensors"), load_file(tuned / "weights.safetensors")
    assert a.keys() == b.keys() and not all(torch.equal(a[k], b[k]) for k in a)

    sources = source_datasets([large_renders / "images"], [large_renders / "views.csv"], [large_renders / "split.csv"])
    settings = TrainSettings(crop=32, max_steps=3, init=str(base))
    trainer = Trainer(sources, {"N": 8, "M": 4}, settings, tmp_path / "unused", progress=False)
    windows = [trainer.batch(step)[0] for step in range(3)]
    assert all(x.shape == (1, 3, 32, 32) for x in windows)
    assert not torch.equal(windows[0], windows[1])  # a new random window each step
    whole = Trainer(sources, {"N": 8, "M": 4}, TrainSettings(crop=64), tmp_path / "unused", progress=False)
    assert whole.batch(0)[0].shape == (1, 3, 64, 64)  # a crop as large as the images keeps them whole


def test_crop_no_smaller_than_the_images_trains_exactly_as_whole_images(renders, tmp_path):
    for name, crop in (("crop64", ["--crop", "64"]), ("crop32", ["--crop", "32"]), ("whole", [])):
        assert main(train_args(renders, tmp_path / name, *crop, "--max-steps", "2")) == 0
    summary = json.loads((tmp_path / "crop64" / "train_summary.json").read_text())
    assert [(s["image_size"], s["window"]) for s in summary["sources"]] == [([32, 32], [32, 32])]
    whole = load_file(tmp_path / "whole" / "weights.safetensors")
    for name in ("crop64", "crop32"):  # e.g. the default config's crop 128 on its 128^2 images
        cropped = load_file(tmp_path / name / "weights.safetensors")
        assert all(torch.equal(cropped[k], whole[k]) for k in whole)


def test_bad_settings_are_clear_errors(renders, tmp_path, capsys):
    assert main(train_args(renders, tmp_path / "m", "--crop", "16", "--max-steps", "1")) == 2
    assert "crop" in capsys.readouterr().err
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
