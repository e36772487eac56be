"""The GPU checks in one run: coding speed per synthesis path and training throughput at 1024².

    python -m bench.gpu_check --images DIR --views views.csv --timestep 5 [--models fcnr/zoo/base-128]
        [--pairs 8] [--steps 40] [--out DIR]

``DIR`` holds one timestep's renders per mode at 1024² (``DIR/ir``, ``DIR/dvr``). Prints, per mode:
encode and decode images per second on CUDA with the reference, fast-fp32 and fast-bf16 synthesis
paths and each path's PSNR change (``bench/synthesis_speed.py``), with the shard encoded on the GPU
decoded again in a fresh process on the CPU (the record CRCs say whether the latents are the
same); then training steps per second of the real trainer (``fcnr.training.train.Trainer``) for
N=64/M=16 and the paper's N=192/M=48, on 256² crops and on whole 1024² pairs, in fp32 and bf16.
The training runs only time steps: their weights are thrown away, so they may use any renders.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

import torch

from bench import synthesis_speed
from fcnr.training.data import Pair, PairDataset
from fcnr.training.train import Trainer, TrainSettings
from render.views import read_views, view_pairs

SHAPES = ((64, 16), (192, 48))


def coding(a: argparse.Namespace) -> list[dict]:
    """Returns the synthesis-speed rows for every mode."""
    rows = []
    for mode in ("ir", "dvr"):
        print(f"\n== coding, {mode}, {a.device} ==", flush=True)
        argv = ["--model", str(a.models / mode), "--views", str(a.views), "--timestep", str(a.timestep),
                "--images", str(a.images / mode), "--pairs", str(a.pairs), "--device", a.device,
                "--paths", "reference", "fast-fp32", "fast-bf16", "--decode-elsewhere", "cpu"]  # fmt: skip
        rows += [{"mode": mode, **r} for r in synthesis_speed.main(argv)]
    return rows


def throughput(a: argparse.Namespace, root: Path) -> list[dict]:
    """Returns steps per second of the real trainer per (N, M, crop, precision), warm-up excluded."""
    views = read_views(a.views)
    angles = {int(v["index"]): (float(v["theta"]), float(v["phi"])) for v in views}
    pairs = [Pair(a.timestep, left, right, angles[left], angles[right]) for left, right in view_pairs(views)]
    timestep_root = root / "images"
    (timestep_root / f"t{a.timestep:04d}").parent.mkdir(parents=True, exist_ok=True)
    link = timestep_root / f"t{a.timestep:04d}"
    if not link.exists():
        link.symlink_to((a.images / "ir").resolve())
    data = PairDataset(timestep_root, pairs, (0, 47))
    rows = []
    for n, m in SHAPES:
        for crop in (c or None for c in a.crops):
            for precision in ("fp32", "bf16"):
                out = root / f"n{n}-{crop}-{precision}"
                settings = TrainSettings(lmbda=100.0, epochs=100, crop=crop, max_steps=a.steps,
                                         checkpoint_every=10**6, device=a.device, precision=precision)  # fmt: skip
                Trainer([data], {"N": n, "M": m}, settings, out, progress=False).run()
                rate = steps_per_second(out / "train_log.csv", warmup=10)
                rows.append({"N": n, "M": m, "crop": crop or "whole", "precision": precision, "steps_s": rate})
                print(f"train N={n} M={m} crop={crop or 'whole'} {precision}: {rate:.2f} steps/s", flush=True)
    return rows


def steps_per_second(log: Path, warmup: int) -> float:
    """Returns steps per second from the trainer's log, after ``warmup`` steps."""
    with log.open(newline="") as f:
        rows = list(csv.DictReader(f))
    first, last = rows[warmup - 1], rows[-1]
    return (int(last["step"]) - int(first["step"])) / (float(last["seconds"]) - float(first["seconds"]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", required=True, type=Path)
    parser.add_argument("--views", required=True, type=Path)
    parser.add_argument("--timestep", type=int, required=True)
    parser.add_argument("--models", type=Path, default=Path("fcnr/zoo/base-128"))
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--crops", type=int, nargs="+", default=[256, 0], help="training crop sides (0: whole images)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--out", type=Path)
    a = parser.parse_args(argv)
    name = torch.cuda.get_device_name(0) if a.device.startswith("cuda") else a.device
    print(name, "torch", torch.__version__, flush=True)
    rows = coding(a) if a.pairs else []
    with tempfile.TemporaryDirectory() as tmp:
        train_rows = throughput(a, Path(tmp))
    if a.out:
        a.out.mkdir(parents=True, exist_ok=True)
        for name, table in (("coding.csv", rows), ("training.csv", train_rows)):
            if not table:
                continue
            with (a.out / name).open("w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=list(table[0]))
                writer.writeheader()
                writer.writerows(table)


if __name__ == "__main__":
    main()
