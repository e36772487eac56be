"""Where a model's bits go: the rate of each latent (z_l, z_r, y_l, y_r) and how many channels carry data.

    python -m bench.latent_usage --models fcnr/zoo/base-512/ir fcnr/zoo/base-512/dvr
        --images ir512 dvr512 --views views.csv --timestep 5 [--pairs 8] [--threads 2] [--out table.csv]

Each ``--images`` folder (one timestep's renders of one mode) is coded by the ``--models`` of its
mode (a part of each path is named ``ir`` or ``dvr``, as in ``results/tornado/dvr/...`` and
``fcnr/zoo/base-512/dvr``), one model per row. Over the first ``--pairs`` view pairs it prints the
bits per pixel of each latent under the model's own entropy model (the quantized latents' Laplace
likelihoods; the column "coded" is the real rANS stream's bytes, ``model.compress``, for
comparison), the PSNR of the decoded pairs (the model's float output), each latent's share of the
rate, y_r's rate over y_l's (the stereo context should make the right view the cheaper one), and
per latent the channels whose elements cost at least 0.05 bit on average ("live"). A hyper-latent
with no live channel is collapsed: it costs nothing and tells the decoder nothing, and the view
that depends on it loses its side information.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch

from bench.scoring import pair_tensors
from fcnr.codec.model import LATENTS
from fcnr.codec.model_io import load_model
from fcnr.evaluation.rd import write_table
from render.basics.errors import FCNRError
from render.views import read_views

MODES = ("ir", "dvr")
LIVE_BITS = 0.05  # a channel is live when its elements cost at least this many bits on average


def mode_of(path: Path) -> str:
    """Returns the mode a folder belongs to: its path's last part named ``ir`` or ``dvr``."""
    for part in reversed(path.parts):
        if part.lower() in MODES:
            return part.lower()
    raise FCNRError(f"{path}: no part of the path is named ir or dvr; put the folder under one named after its mode")


@torch.no_grad()
def latent_rates(model, images_dir: Path, views, t: int, pairs: int) -> dict:
    """Returns {"bpp": {latent: bits per pixel}, "live": {latent: channels}, "coded_bpp", "psnr", "channels"}.

    Over the first ``pairs`` view pairs; the PSNR (dB) of the model's float output.
    """
    model.eval()
    t_range, pixels, coded, squared = model.config["t_range"], 0, 0, 0.0
    bits = {name: torch.zeros(int(model.config["M"]), dtype=torch.float64) for name in LATENTS}
    elements = dict.fromkeys(LATENTS, 0)
    for x_l, x_r, p_l, p_r in pair_tensors(images_dir, views, t, t_range, pairs):
        out = model(x_l, x_r, p_l, p_r)
        for name, likelihoods in out["likelihoods"].items():
            bits[name] += -torch.log2(likelihoods.double()).sum(dim=(0, 2, 3))
            elements[name] += likelihoods[0, 0].numel()
        squared += sum(float(((x_hat.clamp(0, 1) - x) ** 2).sum()) for x_hat, x in zip(out["x_hat"], (x_l, x_r)))
        coded += 8 * len(model.compress(x_l, x_r, p_l, p_r)["strings"][0])
        pixels += 2 * x_l.shape[-2] * x_l.shape[-1]
    live = {name: int((b / elements[name] >= LIVE_BITS).sum()) for name, b in bits.items()}
    return {"bpp": {k: float(b.sum()) / pixels for k, b in bits.items()}, "live": live, "coded_bpp": coded / pixels,
            "psnr": -10 * math.log10(squared / (3 * pixels)), "channels": int(model.config["M"])}  # fmt: skip


def row(model_dir: str, images_dir: Path, rates: dict) -> dict:
    """Returns one table row of ``latent_rates``' result."""
    bpp, total = rates["bpp"], sum(rates["bpp"].values())
    collapsed = [name for name in ("z_l", "z_r") if rates["live"][name] == 0]
    return {"model": model_dir, "images": str(images_dir), "bpp": total, "coded_bpp": rates["coded_bpp"],
            "psnr": rates["psnr"],
            **{f"{k}_bpp": v for k, v in bpp.items()}, **{f"{k}_share": v / total for k, v in bpp.items()},
            "y_r_over_y_l": bpp["y_r"] / bpp["y_l"], **{f"{k}_live": v for k, v in rates["live"].items()},
            "channels": rates["channels"], "collapsed": " ".join(collapsed) or "-"}  # fmt: skip


def print_rows(rows: list[dict]) -> None:
    """Prints the table."""
    print(f"{'model':>28s} {'images':>18s} {'bpp':>7s} {'coded':>7s} {'PSNR':>6s}   z_l / z_r / y_l / y_r share "
          f"{'y_r/y_l':>7s}  live z_l z_r y_l y_r  collapsed")  # fmt: skip
    for r in rows:
        shares = " / ".join(f"{100 * r[f'{k}_share']:4.1f}" for k in LATENTS)
        live = " ".join(f"{r[f'{k}_live']:3d}" for k in LATENTS)
        print(f"{r['model'][-28:]:>28s} {r['images'][-18:]:>18s} {r['bpp']:7.4f} {r['coded_bpp']:7.4f} {r['psnr']:6.2f}   "
              f"{shares} % {r['y_r_over_y_l']:7.2f}  of {r['channels']:2d}: {live}  {r['collapsed']}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", required=True, help="model folders, a part of each path named ir or dvr")
    parser.add_argument("--images", nargs="+", type=Path, required=True, help="one timestep's renders per folder")
    parser.add_argument("--views", required=True, help="the renders' views.csv")
    parser.add_argument("--timestep", type=int, required=True, help="the renders' timestep")
    parser.add_argument("--pairs", type=int, default=8, help="view pairs coded per folder")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--out", help="write the table as CSV too")
    a = parser.parse_args(argv)
    if a.pairs < 1:
        parser.error(f"--pairs {a.pairs}: code at least one pair")
    torch.set_num_threads(a.threads)
    try:
        views, rows = read_views(a.views), []
        models = {m: (mode_of(Path(m)), load_model(m)) for m in a.models}
        for images_dir in a.images:
            mine = [(m, model) for m, (mode, model) in models.items() if mode == mode_of(images_dir)]
            if not mine:
                raise FCNRError(f"{images_dir}: no --models folder of its mode ({mode_of(images_dir)})")
            for model_dir, model in mine:
                rows.append(row(model_dir, images_dir, latent_rates(model, images_dir, views, a.timestep, a.pairs)))
    except FCNRError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print_rows(rows)
    if a.out:
        write_table(a.out, rows, list(rows[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
