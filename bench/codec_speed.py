"""Train a small FCNR model for a few minutes on real renders, then measure the real codec.

    python -m bench.codec_speed --work DIR [--dataset tornado] [--mode ir] [--size 128]
        [--frequency 4] [--timesteps 0:6] [--minutes 3] [--N 64] [--M 16] [--variant fcnr]
        [--lambda 1000] [--lr 1e-4] [--threads 1] [--device cpu]

Steps (each skipped when its output exists in DIR): ``fcnr volumes`` + ``fcnr views`` +
``fcnr render`` for every timestep, the paper's train/unseen split, training for ``--minutes``
(in chunks of 25 steps, resuming from the checkpoint each time), then every pair of every
timestep through ``fcnr.codec.coding`` (real shards, real bytes). Prints BPP (from the shard bytes),
PSNR, and encode / decode images per second, separately for training and unseen images, plus
the 1-minute load average: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from bench.scoring import code_and_score, means
from fcnr.codec.coding import Timer
from fcnr.images import image_path
from fcnr.training.data import PairDataset, training_pairs
from fcnr.training.split import read_split, split_rows
from fcnr.training.train import Trainer, TrainSettings
from render.views import read_views

CHUNK = 25


def fcnr(*args: str) -> None:
    """Runs one ``fcnr`` subcommand, failing loudly."""
    subprocess.run([sys.executable, "-m", "fcnr.cli", *args], check=True)


def prepare(work: Path, a: argparse.Namespace) -> list[int]:
    """Returns the timesteps after making volumes, views, images and split.csv in ``work``."""
    first, last = (int(x) for x in a.timesteps.split(":"))
    timesteps = list(range(first, last))
    if not (work / "volumes" / "meta.json").exists():
        fcnr("volumes", a.dataset, "--out", str(work / "volumes"), "--timesteps", a.timesteps)
    if not (work / "views.csv").exists():
        fcnr("views", "--frequency", str(a.frequency), "--out", str(work / "views.csv"))
    n_views = len(read_views(work / "views.csv"))
    for t in timesteps:
        out = work / "images" / f"t{t:04d}"
        if not image_path(out, n_views - 1).exists():
            fcnr("render", str(work / "volumes" / f"t{t:04d}.npy"), "--dataset", a.dataset, "--mode", a.mode,
                 "--views", str(work / "views.csv"), "--size", str(a.size), "--out", str(out))  # fmt: skip
    rows = split_rows(timesteps, n_views)
    (work / "split.csv").write_text("t,view,split\n" + "".join(f"{t},{v},{s}\n" for t, v, s in rows))
    return timesteps


def train(work: Path, a: argparse.Namespace) -> Path:
    """Trains for about ``--minutes`` (resuming chunk after chunk); returns the model directory."""
    model_dir = work / "model"
    pairs, t_range = training_pairs(work / "views.csv", work / "split.csv")
    dataset = PairDataset(work / "images", pairs, t_range)
    config = {"variant": a.variant, "N": a.N, "M": a.M}
    steps, start = 0, time.monotonic()
    while time.monotonic() - start < 60 * a.minutes:
        steps += CHUNK
        settings = TrainSettings(lmbda=a.lmbda, lr=a.lr, epochs=10_000, checkpoint_every=CHUNK, max_steps=steps,
                                 device=a.device)  # fmt: skip
        summary = Trainer([dataset], config, settings, model_dir, progress=False).run()
    print(f"trained {a.variant} N={a.N} M={a.M} on {len(pairs)} pairs: {summary['steps']} steps "
          f"in {summary['seconds']:.0f} s ({summary['seconds'] / summary['steps']:.3f} s/step)")  # fmt: skip
    return model_dir


def evaluate(work: Path, model_dir: Path, timesteps: list[int], device: str) -> None:
    """Codes every timestep into a shard and back; prints rate, quality and speed per split."""
    split = read_split(work / "split.csv")
    enc, dec = Timer(), Timer()
    rows = code_and_score(model_dir, work / "images", read_views(work / "views.csv"), timesteps, work / "shards",
                          device, enc, dec)  # fmt: skip
    for name in ("train", "unseen"):
        part = [r for r in rows if split[(r["t"], r["view"])] == name]
        if part:
            m = means(part)
            print(f"{name:>6}: {len(part)} images, {m['bpp']:.4f} bpp, {m['psnr']:.2f} dB PSNR")
    print(f"encode: {enc.images / enc.seconds:.1f} images/s, decode: {dec.images / dec.seconds:.1f} images/s "
          f"(coding only; device {device}, torch threads {torch.get_num_threads()})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--dataset", default="tornado")
    parser.add_argument("--mode", default="ir", choices=["ir", "dvr"])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--frequency", type=int, default=4)
    parser.add_argument("--timesteps", default="0:6")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--variant", default="fcnr")
    parser.add_argument("--N", type=int, default=64)
    parser.add_argument("--M", type=int, default=16)
    parser.add_argument("--lambda", dest="lmbda", type=float, default=1000.0)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    timesteps = prepare(a.work, a)
    model_dir = train(a.work, a)
    evaluate(a.work, model_dir, timesteps, a.device)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
