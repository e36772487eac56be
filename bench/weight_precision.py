"""FCNR's stored weights in float16 against the float32 weights training ends with: BPP and PSNR of each.

    python -m bench.weight_precision --run results/tornado --mode ir --init fcnr/zoo/base-128/ir
        [--steps 200] [--lambda 1000] [--held-out 5] [--config config/config.yaml] [--work DIR]

Fine-tunes one model on the run's training pairs with the config's ``train`` settings (as the
workflow does, from ``--init``), then codes the held-out timestep (default: the run's last) into
real shards twice: with the float32 weights still in memory and with the float16 weights of the
saved model, which is what every encoder and decoder loads. Prints the weights' bytes, BPP and
PSNR of both and the difference.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch

from bench.rd_budget import held_out_check, make_trainer
from bench.scoring import means, score_model
from fcnr.codec.model_files import model_id
from fcnr.codec.model_io import load_model, state_tensors, stored_tensors
from fcnr.training.data import source_datasets
from fcnr.training.split import read_split
from render.views import read_views


def tensor_bytes(tensors: dict[str, torch.Tensor]) -> int:
    """Returns the bytes of the tensors' values."""
    return sum(t.numel() * t.element_size() for t in tensors.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a finished workflow run, e.g. results/tornado")
    parser.add_argument("--mode", default="ir", choices=["ir", "dvr"])
    parser.add_argument("--init", type=Path, help="warm-start model directory")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--lambda", dest="lmbda", type=float, default=1000.0)
    parser.add_argument("--held-out", type=int, nargs="+", help="timesteps to score (default: the run's last)")
    parser.add_argument("--config", type=Path, default=Path("config/config.yaml"), help="its train section is used")
    parser.add_argument("--work", type=Path, default=Path("bench/out/weight_precision"))
    parser.add_argument("--threads", type=int, default=2)
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    split_path, views_path, images = a.run / "split.csv", a.run / "views.csv", a.run / a.mode / "images"
    split = read_split(split_path)
    a.held_out = a.held_out or [max(t for t, _ in split)]
    held_out_check(split, a.held_out, split_path)
    a.work = a.work / a.run.name / a.mode
    views = read_views(views_path)
    trainer = make_trainer(a.config, a.work / "model", a.steps, a.lmbda, a.init,
                           source_datasets([images], [views_path], [split_path]))  # fmt: skip
    trainer.run()
    ident = model_id(a.work / "model")
    stored = load_model(a.work / "model")
    rows = {}
    for name, model, tensors in (("float32 (training's)", trainer.model.cpu().eval(), state_tensors(trainer.model)),
                                 ("float16 (stored)", stored, stored_tensors(stored))):  # fmt: skip
        shards = a.work / "shards" / name.split()[0]
        rows[name] = {"bytes": tensor_bytes(tensors), **means(score_model(model, ident, images, views, a.held_out,
                                                                          shards))}  # fmt: skip
    print(f"{a.run.name} {a.mode}: {a.steps} steps from {a.init}, lambda {a.lmbda:g}; held-out timesteps "
          f"{a.held_out} ({len(views) * len(a.held_out)} images); load average {os.getloadavg()[0]:.2f}\n")
    print("| weights | bytes | BPP | PSNR (dB) |\n|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['bytes']:,} | {r['bpp']:.5f} | {r['psnr']:.4f} |")
    full, half = rows.values()
    print(f"\nfloat16 - float32: {half['psnr'] - full['psnr']:+.4f} dB PSNR, {half['bpp'] - full['bpp']:+.5f} BPP, "
          f"{half['bytes'] / full['bytes']:.2f} x the bytes")


if __name__ == "__main__":
    main()
