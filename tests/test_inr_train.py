"""INR training: the references' schedule, learning, the minutes cap, and resuming exactly after a kill."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from inr_images import N_VIEWS, SIZE, TIMESTEPS, write_image_set
from safetensors.torch import load_file

from fcnr.cli import main
from fcnr.inr.data import image_set
from fcnr.inr.models import sized_config
from fcnr.inr.train import INRSettings, INRTrainer
from fcnr.training.schedule import learning_rate

EPOCHS, BUDGET = 12, 12_000


@pytest.fixture(scope="module")
def data(tmp_path_factory, one_thread):
    folder = tmp_path_factory.mktemp("inr-train")
    root, views, _ = write_image_set(folder)
    return folder, root, views


def train_args(root, views, out, *extra):
    return ["inr", "train", str(root), "--views", str(views), "--timesteps", *map(str, TIMESTEPS), "--method", "enerv",
            "--size", str(BUDGET), "--epochs", str(EPOCHS), "--out", str(out), "--no-progress", *extra]  # fmt: skip


def log_rows(run):
    with open(run / "model" / "train_log.csv", newline="") as handle:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(handle)]


def test_schedule_warms_up_then_follows_a_cosine_to_zero():
    lr = [learning_rate(step, 101, 1.0, "cosine", warmup=20, final_ratio=0.0) for step in range(101)]
    assert lr[0] == pytest.approx(0.1) and lr[10] == pytest.approx(0.55) and lr[20] == pytest.approx(1.0)
    assert lr[60] == pytest.approx(0.5) and lr[100] == 0.0


def test_minutes_cap_stops_after_the_running_epoch(data, tmp_path):
    _, root, views = data
    images = image_set(root, TIMESTEPS, views)
    config = sized_config("nervi", BUDGET, SIZE, SIZE, len(images))
    summary = INRTrainer(images, config, INRSettings(epochs=5, minutes=1e-9), tmp_path, progress=False).run()
    assert summary["epochs"] == 1 and summary["epochs_planned"] == 5 and summary["stopped_by_minutes"]
    assert (tmp_path / "weights.safetensors").is_file()


def test_killed_run_resumes_exactly_and_learns(data, tmp_path, capsys):
    _, root, views = data
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    assert main(train_args(root, views, straight)) == 0
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "fcnr.cli", *train_args(root, views, killed)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    marker = killed / "model" / "checkpoints" / "epoch00002.json"
    deadline = time.monotonic() + 300
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert marker.exists() and not (killed / "bitstream.inr").exists(), "the run was not killed in the middle"
    capsys.readouterr()
    assert main(train_args(root, views, killed)) == 0
    assert "resuming" in capsys.readouterr().out
    a, b = load_file(straight / "model" / "weights.safetensors"), load_file(killed / "model" / "weights.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert log_rows(straight) == log_rows(killed) and len(log_rows(killed)) == EPOCHS
    assert (straight / "bitstream.inr").read_bytes() == (killed / "bitstream.inr").read_bytes()
    rows = log_rows(straight)
    # It learns: E-NeRV's warmup from 0.1 lr starts slowly, so 96 steps gain only a fraction of a dB.
    assert float(rows[-1]["psnr"]) > float(rows[0]["psnr"]) + 0.3 and float(rows[-1]["loss"]) < float(rows[0]["loss"])
    assert [int(r["step"]) for r in rows] == [N_VIEWS * len(TIMESTEPS) * (e + 1) for e in range(EPOCHS)]
