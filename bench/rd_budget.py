"""FCNR's rate and quality on held-out images against training time, from scratch and warm-started.

    python -m bench.rd_budget --run results/tornado --mode ir [--init fcnr/zoo/base-128/ir]
        [--budgets 250 1000 2500] [--lambdas 250 1000 4000] [--held-out 5] [--config config/config.yaml]
        [--codecs hevc av1 jpegxl] [--work bench/out/rd_budget] [--threads 2]

Uses a finished workflow run's images, views and split (``results/DS``): FCNR trains on the run's
training pairs with the config's ``train`` settings (sizes, learning rate and schedule) for each
budget (steps) and lambda, once from scratch and once from ``--init``, and every model codes the
held-out timesteps (default: the run's last; none of their images may be a training image) into
real shards. HEVC, AV1 and JPEG XL code the same images at their default settings. Prints one
row per FCNR point (minutes of training, BPP, PSNR) and the BD-rate (PSNR) of each budget's FCNR
curve against each codec. Models and shards are kept in ``--work``: a rerun scores what exists.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch

from bench.scoring import code_and_score, means
from fcnr.baselines import CODECS, label, make_codec
from fcnr.baselines.evaluate import evaluate_codec
from fcnr.codec.model import ARCHITECTURE
from fcnr.evaluation.evaluate import image_metrics
from fcnr.evaluation.rd import bd_rows
from fcnr.training.data import source_datasets
from fcnr.training.split import read_split
from fcnr.training.train import Trainer, TrainSettings
from render.basics.errors import FCNRError
from render.basics.schema import load_yaml
from render.views import read_views



def codec_qualities(codec: str) -> list[int]:
    """Returns the codec's default settings in the workflow (the full comparison's five)."""
    return list(CODECS[codec].default_settings)


def make_trainer(config: Path, out: Path, steps: int, lmbda: float, init: Path | None, sources,
                 crop: int | None = None, lr: float | None = None, context: str | None = None) -> Trainer:  # fmt: skip
    """Returns a trainer of ``steps`` steps at ``lmbda`` with the ``train`` section of ``config``.

    With ``crop``, each step sees a random window of at most ``crop`` x ``crop`` of its pair; ``lr``
    replaces the section's peak learning rate, ``context`` its entropy context.
    """
    section = load_yaml(config)["train"]
    settings = TrainSettings(
        lmbda=lmbda, lr=lr or section["lr"], lr_schedule=section.get("lr_schedule") or "cosine",
        warmup=section.get("warmup") or 0.05, epochs=10**6, max_steps=steps, seed=section.get("seed") or 0,
        checkpoint_every=max(steps, 1), init=init, crop=crop,
    )  # fmt: skip
    model_config = {k: section[k] for k in ARCHITECTURE if section.get(k) is not None}
    if context:
        model_config["context"] = context
    return Trainer(sources, model_config, settings, out, progress=False)


def train_point(a, start: str, steps: int, lmbda: float, sources) -> tuple[Path, float]:
    """Trains (or finds) one FCNR point; returns (model directory, training seconds)."""
    out = a.work / start / f"steps{steps}" / f"lambda{lmbda:g}"
    summary = make_trainer(a.config, out, steps, lmbda, a.init if start == "warm" else None, sources).run()
    return out, summary["seconds"]


def fcnr_points(a, views, sources) -> list[dict]:
    """Returns one RD point per (start, budget, lambda), each scored on the held-out images."""
    points = []
    for start in ["scratch"] + (["warm"] if a.init else []):
        for steps in a.budgets:
            for lmbda in a.lambdas:
                model_dir, seconds = train_point(a, start, steps, lmbda, sources)
                rows = code_and_score(model_dir, a.images, views, a.held_out, model_dir / "shards")
                points.append({"start": start, "steps": steps, "lambda": lmbda, "minutes": seconds / 60,
                               "method": "fcnr", **means(rows), "msssim": float("nan")})  # fmt: skip
                print(f"{start:>7} {steps:>6} steps  lambda {lmbda:>6g}: {points[-1]['bpp']:.4f} bpp "
                      f"{points[-1]['psnr']:.2f} dB ({seconds / 60:.1f} min)", flush=True)  # fmt: skip
    return points


def codec_points(a, views) -> list[dict]:
    """Returns one RD point per setting of each classical codec on the held-out images."""
    split = {(t, int(v["index"])): "unseen" for t in a.held_out for v in views}
    points = []
    for name in a.codecs:
        for quality in codec_qualities(name):
            result = evaluate_codec(make_codec(name, quality), a.images, views, split, image_metrics)
            points.append({"method": name, "value": quality, **means(result.rows, ("bpp", "psnr", "msssim"))})
    return points


def print_tables(fcnr: list[dict], codecs: list[dict], a) -> None:
    """Prints the FCNR points and, per start and budget, the BD-rate against each codec."""
    print("\n| start | steps | minutes | lambda | BPP | PSNR (dB) |\n|---|---|---|---|---|---|")
    for p in fcnr:
        print(f"| {p['start']} | {p['steps']} | {p['minutes']:.1f} | {p['lambda']:g} | {p['bpp']:.4f} | {p['psnr']:.2f} |")
    print("\n| codec | setting | BPP | PSNR (dB) |\n|---|---|---|---|")
    for p in codecs:
        print(f"| {label(p['method'])} | {p['value']} | {p['bpp']:.4f} | {p['psnr']:.2f} |")
    header = " | ".join(f"BD-rate vs {label(c)}" for c in a.codecs)
    print(f"\n| start | steps | minutes (all lambdas) | {header} |\n|---|---|---|" + "---|" * len(a.codecs))
    for start in dict.fromkeys(p["start"] for p in fcnr):
        for steps in a.budgets:
            curve = [p for p in fcnr if p["start"] == start and p["steps"] == steps]
            rows = {r["anchor"]: r for r in bd_rows(curve + codecs)}
            cells = " | ".join(_bd_cell(rows[c]) for c in a.codecs)
            print(f"| {start} | {steps} | {sum(p['minutes'] for p in curve):.1f} | {cells} |")


def _bd_cell(row: dict) -> str:
    value = row["bd_rate_psnr"]
    return "n/a" if value != value else f"{value:+.1f} %"


def held_out_check(split: dict, held_out: list[int], path) -> None:
    """Refuses held-out timesteps that hold a training image (they would not be held out)."""
    seen = sorted({t for (t, _), s in split.items() if t in held_out and s == "train"})
    if seen:
        raise FCNRError(f"{path}: timestep(s) {seen} hold training images; pick held-out timesteps without any")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a finished workflow run, e.g. results/tornado")
    parser.add_argument("--mode", default="ir", choices=["ir", "dvr"])
    parser.add_argument("--init", type=Path, help="warm-start model directory (adds the warm-started rows)")
    parser.add_argument("--budgets", type=int, nargs="+", default=[250, 1000, 2500], help="training steps")
    parser.add_argument("--lambdas", type=float, nargs="+", default=[250, 1000, 4000])
    parser.add_argument("--held-out", type=int, nargs="+", help="timesteps to score (default: the run's last)")
    parser.add_argument("--config", type=Path, default=Path("config/config.yaml"), help="its train section is used")
    parser.add_argument("--codecs", nargs="+", default=["hevc", "av1", "jpegxl"])
    parser.add_argument("--work", type=Path, default=Path("bench/out/rd_budget"))
    parser.add_argument("--threads", type=int, default=2)
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    a.images = a.run / a.mode / "images"
    split_path = a.run / "split.csv"
    split = read_split(split_path)
    a.held_out = a.held_out or [max(t for t, _ in split)]
    held_out_check(split, a.held_out, split_path)
    a.work = a.work / a.run.name / a.mode
    views = read_views(a.run / "views.csv")
    sources = source_datasets([a.images], [a.run / "views.csv"], [split_path])
    print(f"{a.run.name} {a.mode}: {len(sources[0])} training pairs, held-out timesteps {a.held_out} "
          f"({len(views) * len(a.held_out)} images); load average {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
    codecs = codec_points(a, views)
    print_tables(fcnr_points(a, views, sources), codecs, a)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
