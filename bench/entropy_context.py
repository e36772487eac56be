"""Does more context in FCNR's entropy model pay? Candidate contexts against the pair-only model.

    python -m bench.entropy_context --model DIR --dataset tangaroa --mode dvr --size 512
        [--work bench/out/rd_resolution] [--lambda 5] [--steps 600] [--crop 256] [--lr 0.0001]
        [--contexts pair previous checkerboard previous+checkerboard] [--config config/config.yaml]
        [--threads 2]

Before the codec codes a pair with more than the pair (issue 20, item 4), measure what that buys.
Each context continues one model (``--model``: a point of ``bench/rd_resolution.py``, say its
lambda-5 fine-tune, whose ``--work`` folder this bench shares) for ``--steps`` steps at
``--lambda``, with the same seed, windows and peak learning rate, on every pair of the default
run's training timesteps (all their views are rendered, so a pair's predecessor in view order is
its neighbour, as when a timestep is coded), and is scored on every pair of the held-out timestep:

Scoring a timestep the model's base saw is refused (its ``base.json``, or that of the base it was
warm-started from); t is normalised over the run's timesteps, as in the yardstick's fine-tunes.

* ``pair``: FCNR as it is, the control;
* ``previous``: z_l's Laplace parameters and h_D's features also see the previous pair's decoded
  latents (view order; the timestep's first pair has none);
* ``checkerboard``: the codec's ``context: checkerboard`` (``fcnr.codec.layers.CheckerboardContext``):
  z_l, y_l and y_r in two passes, the second half's parameters corrected from the decoded first
  half (He et al., CVPR 2021);
* ``previous+checkerboard``: both.

The new layers start at zero, so every context starts as the control. Rates are the latents' ideal
code lengths (-log2 of the likelihoods of the latents rounded as coded; ``bench/latent_usage.py``
prints them beside the real rANS bytes), PSNR from the decoded images. Printed per context: each latent's BPP, the total, PSNR and the
changes against the control.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from bench.rd_resolution import REPO, default_held_out, prepare_views, prepare_volumes, render, run_timesteps
from bench.scoring import pair_tensors
from fcnr.codec.layers import conv, prelu
from fcnr.codec.model import LATENTS, FCNRModel, build_model
from fcnr.codec.model_io import load_model
from fcnr.images import timestep_dir
from fcnr.training.base_model import read_provenance, seen_timesteps
from fcnr.training.data import PairDataset, random_crop, source_datasets
from fcnr.training.schedule import learning_rate
from fcnr.training.split import training_timesteps, write_split_csv
from fcnr.training.warm_start import take_weights
from render.basics.atomic import read_json
from render.basics.errors import FCNRError
from render.basics.schema import load_yaml
from render.views import read_views

CONTEXTS = ("pair", "previous", "checkerboard", "previous+checkerboard")
CONTEXT_LR = 5  # the new layers' peak learning rate, in multiples of --lr
WARMUP = 0.05


def zero_last(net: nn.Sequential) -> nn.Sequential:
    """Returns ``net`` with its last layer set to zero, so its output starts at 0."""
    nn.init.zeros_(net[-1].weight)
    nn.init.zeros_(net[-1].bias)
    return net


class PreviousPair(nn.Module):
    """Corrections from the previous pair's latents: (mu, b) of z_l, and h_D's features of each view."""

    def __init__(self, N: int, M: int):
        super().__init__()
        self.z = zero_last(nn.Sequential(conv(2 * M, 2 * N), prelu(2 * N), conv(2 * N, 2 * M)))
        self.y = zero_last(nn.Sequential(conv(2 * M, N), prelu(N), conv(N, N), prelu(N), conv(N, 2 * N)))

    def z_left(self, prev: dict) -> tuple[torch.Tensor, torch.Tensor]:
        return self.z(torch.cat([prev["z_l"], prev["z_r"]], 1)).chunk(2, 1)

    def features(self, prev: dict) -> tuple[torch.Tensor, torch.Tensor]:
        return self.y(torch.cat([prev["y_l"], prev["y_r"]], 1)).chunk(2, 1)


class ContextModel(nn.Module):
    """FCNR with a candidate context: the checkerboard is the codec's own (``context: checkerboard``); the
    previous pair's corrections enter a copy of ``FCNRModel.forward`` (model.py) where they apply."""

    def __init__(self, model: FCNRModel, context: str):
        super().__init__()
        N, M = int(model.config["N"]), int(model.config["M"])
        self.model = with_context(model, "checkerboard" if "checkerboard" in context else "pair")
        self.previous = PreviousPair(N, M) if "previous" in context else None

    def new_parameters(self) -> list[nn.Parameter]:
        """Returns the parameters the context adds to the model it continues (zero-initialised outputs)."""
        return [p for name, p in self.named_parameters()
                if not name.startswith("model.") or ".checkerboard." in name]  # fmt: skip

    def forward(self, x_l, x_r, p_l, p_r, prev: dict | None) -> dict:
        """Returns {"x_hat", "likelihoods", "latents"} of one pair; ``prev``: the previous pair's latents."""
        model, params = self.model, self.model.entropy_parameters
        if self.previous is None:
            return model(x_l, x_r, p_l, p_r)
        y_l, y_r = model.g_a(x_l, x_r)
        z_l, z_r = model.h_a(y_l, y_r)
        mu, b = (p.expand_as(z_l) for p in params.z_left(p_l))
        if prev is not None:
            mu, b = (p + d for p, d in zip((mu, b), self.previous.z_left(prev)))
        z_l_hat, lik_zl = model._rate("z_l", z_l, mu, b)
        z_r_hat, lik_zr = model._rate("z_r", z_r, *params.z_right(z_l_hat, p_r))
        phi_l, phi_r = params.h_s(z_l_hat, z_r_hat)
        if prev is not None:
            phi_l, phi_r = (f + d for f, d in zip((phi_l, phi_r), self.previous.features(prev)))
        y_l_hat, lik_yl = model._rate("y_l", y_l, *params.h_s_out_l(phi_l).chunk(2, dim=1))
        y_r_hat, lik_yr = model._rate("y_r", y_r, *params.cont_y(y_l_hat, params.h_s_out_r(phi_r)))
        return {"x_hat": model.g_s(y_l_hat, y_r_hat),
                "likelihoods": dict(zip(LATENTS, (lik_zl, lik_zr, lik_yl, lik_yr))),
                "latents": dict(zip(LATENTS, (z_l_hat, z_r_hat, y_l_hat, y_r_hat)))}  # fmt: skip


def with_context(model: FCNRModel, context: str) -> FCNRModel:
    """Returns ``model`` with entropy context ``context``: its weights, the context's own layers as initialised."""
    if model.config["context"] == context:
        return model
    other = build_model({**model.config, "context": context})
    take_weights(other, model, f"context {context!r}")
    if model.laplace.offset.numel() > 0:
        other.update(force=True)  # the coder's tables follow from the fixed scale table, as the source's
    return other.train(model.training)


# ---- data ----------------------------------------------------------------------------------------------------


def training_data(a: argparse.Namespace, images: Path, run_ts: Sequence[int], n_views: int) -> PairDataset:
    """Returns every pair (all views) of the run's training timesteps as a dataset in view order."""
    split = a.work / a.dataset / "split-every-view.csv"
    write_split_csv(split, run_ts, n_views, view_fraction=1)
    return source_datasets([images], [a.work / "views.csv"], [split])[0]


def check_unseen(model_dir: Path, ds: str, t: int) -> None:
    """Refuses a held-out timestep that the model's base saw (its ``base.json``, or its warm start's)."""
    provenance = read_provenance(model_dir)
    summary = model_dir / "train_summary.json"
    base = (read_json(summary).get("init") or {}).get("base") if summary.is_file() else None
    if provenance is None and base is None:
        raise FCNRError(f"{model_dir}: neither a published base model nor warm-started from one, so what it saw "
                        "is unknown; use a point of bench/rd_resolution.py")  # fmt: skip
    seen = seen_timesteps(provenance) if provenance else base["datasets"]
    if t in seen.get(ds, []):
        raise FCNRError(f"{model_dir}: its base model saw {ds} timestep {t}, the one scored here; "
                        "use a model that never saw it")  # fmt: skip


# ---- training and scoring ------------------------------------------------------------------------------------


def train(net: ContextModel, data: PairDataset, a: argparse.Namespace) -> None:
    """Trains ``net`` ``a.steps`` steps of rate + lambda * distortion on the pairs that have a predecessor."""
    new = net.new_parameters()
    fresh = {id(p) for p in new}
    optimizer = torch.optim.Adam([{"params": [p for p in net.model.parameters() if id(p) not in fresh]},
                                  {"params": new}])  # fmt: skip
    generator = torch.Generator().manual_seed(0)
    followers = [i for i in range(1, len(data)) if data.pairs[i].t == data.pairs[i - 1].t]
    net.train()
    for step in range(a.steps):
        lr = learning_rate(step, a.steps, a.lr, "cosine", round(WARMUP * a.steps))
        for group, scale in zip(optimizer.param_groups, (1, CONTEXT_LR)):
            group["lr"] = lr * scale
        i = followers[int(torch.randint(len(followers), (1,), generator=generator))]
        (*before, q_l, q_r), (*images, p_l, p_r) = data[i - 1], data[i]
        windows = [x[None] for x in random_crop([*before, *images], a.crop, generator)]
        prev = None
        if net.previous is not None:
            with torch.no_grad():
                net.eval()
                prev = net(*windows[:2], q_l[None], q_r[None], None)["latents"]
                net.train()
        loss = rd_terms(net(*windows[2:], p_l[None], p_r[None], prev), *windows[2:], a.lmbda)[0]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def rd_terms(out: dict, x_l: torch.Tensor, x_r: torch.Tensor, lmbda: float) -> tuple[torch.Tensor, dict]:
    """Returns (rate + lambda * (MSE_l + MSE_r) as ``fcnr train``, each latent's bits)."""
    bits = {name: -torch.log2(lik).sum() for name, lik in out["likelihoods"].items()}
    pixels = 2 * x_l.shape[-2] * x_l.shape[-1]
    mse = sum(torch.mean((x_hat - x) ** 2) for x_hat, x in zip(out["x_hat"], (x_l, x_r)))
    return sum(bits.values()) / pixels + lmbda * mse, bits


@torch.no_grad()
def score(net: ContextModel, pairs: list[tuple[torch.Tensor, ...]]) -> dict[str, float]:
    """Returns each latent's BPP, the total and the mean PSNR over ``pairs``, coded in order."""
    net.eval()
    bits, psnrs, prev, pixels = dict.fromkeys(LATENTS, 0.0), [], None, 0
    for x_l, x_r, p_l, p_r in pairs:
        size = x_l.shape[-2:]
        out = net(net.model._pad(x_l), net.model._pad(x_r), p_l, p_r, prev)
        prev = out.get("latents")
        for name, lik in out["likelihoods"].items():
            bits[name] += float(-torch.log2(lik).sum())
        for x_hat, x in zip(out["x_hat"], (x_l, x_r)):
            mse = torch.mean((net.model._crop(x_hat, size).clamp(0, 1) - x) ** 2)
            psnrs.append(-10 * math.log10(max(float(mse), 1e-10)))
        pixels += 2 * size[0] * size[1]
    rates = {name: value / pixels for name, value in bits.items()}
    return {**rates, "bpp": sum(rates.values()), "psnr": sum(psnrs) / len(psnrs)}


def print_table(a: argparse.Namespace, results: dict[str, dict]) -> None:
    """Prints one row per context: each latent's BPP, the total, PSNR and the change against the control."""
    control = results.get("pair")
    print(f"\n## {a.dataset} {a.mode} {a.size}x{a.size}, timestep {a.held_out}: {a.steps} steps at lambda "
          f"{a.lmbda:g} from {a.model}\n")  # fmt: skip
    print("| context | " + " | ".join(f"{n} bpp" for n in LATENTS) + " | bpp | PSNR | rate vs pair | PSNR vs pair |")
    print("|---" * (len(LATENTS) + 5) + "|")
    for name, r in results.items():
        change = (f"{100 * (r['bpp'] / control['bpp'] - 1):+.1f} % | {r['psnr'] - control['psnr']:+.2f} dB"
                  if control else "- | -")  # fmt: skip
        print(f"| {name} | " + " | ".join(f"{r[n]:.5f}" for n in LATENTS) + f" | {r['bpp']:.5f} | "
              f"{r['psnr']:.2f} | {change} |")  # fmt: skip


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="the FCNR model every context continues")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--mode", required=True, choices=["ir", "dvr"])
    parser.add_argument("--size", type=int, required=True, help="image side, as the rd_resolution run's")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "rd_resolution")
    parser.add_argument("--lambda", dest="lmbda", type=float, default=5.0)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--crop", type=int, default=256, help="training window side")
    parser.add_argument("--lr", type=float, default=1e-4, help="the model's peak learning rate")
    parser.add_argument("--contexts", nargs="+", default=list(CONTEXTS), choices=CONTEXTS)
    parser.add_argument("--config", type=Path, default=REPO / "config" / "config.yaml", help="the default run's config")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    a = parser.parse_args(argv)
    if not 32 <= a.size <= 1024 or a.steps < 0 or a.crop < 32 or a.lr <= 0 or a.lmbda <= 0:
        parser.error("--size must lie in 32..1024, --steps be 0 or more, --crop 32 or more, --lr and --lambda above 0")
    return a


def main(argv: Sequence[str] | None = None) -> int:
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    config = load_yaml(a.config)
    run_ts = run_timesteps(config, a.dataset)
    train_ts, a.held_out = training_timesteps(run_ts), default_held_out(config, a.dataset)[-1]
    check_unseen(a.model, a.dataset, a.held_out)
    prepare_views(a.work, config["views"]["frequency"])
    views, images = read_views(a.work / "views.csv"), a.work / a.dataset / a.mode / f"s{a.size}" / "images"
    volumes = prepare_volumes(a.work, a.dataset, sorted({*train_ts, a.held_out}), config["volumes"]["max_side"])
    for t in (*train_ts, a.held_out):
        render(volumes, a.dataset, a.mode, t, a.work / "views.csv", a.size, images)
    data = training_data(a, images, run_ts, len(views))
    held_out = pair_tensors(timestep_dir(images, a.held_out), views, a.held_out, data.t_range)
    results = {}
    for context in a.contexts:
        net = ContextModel(load_model(a.model), context)
        train(net, data, a)
        results[context] = score(net, held_out)
        print(f"{context}: {results[context]}", flush=True)
    print_table(a, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
