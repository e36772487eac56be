"""Encode and decode speed of each synthesis path, per image size, with the PSNR change it costs.

    python -m bench.synthesis_speed --model fcnr/zoo/base-128/ir --views views.csv --timestep 5
        --images ir128 ir512 ir1024 [--pairs 8] [--threads 2] [--device cpu]
        [--paths reference auto] [--decode-elsewhere cpu] [--out table.csv]

For each ``--images`` folder (one timestep's renders at one size): encodes ``--pairs`` view pairs
into real shard records (``fcnr.codec.coding``), then decodes them once per synthesis path and
prints images per second for encoding and for each path's decoding, the GFLOP per pair of g_s
(``torch.utils.flop_counter``) and the rate it ran at, PSNR against the renders and its change
from the first path's (``--paths``; the reference by default), and the latent CRC check: every
decode verifies the record's CRC of the encoder's latents, so "yes" means the latents were
bit-identical on every path. With ``--decode-elsewhere DEVICE`` the records are also decoded in a fresh process on DEVICE (for
instance a shard encoded on the GPU, decoded on the CPU): "yes" there means the same latents
across processes and devices.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from fcnr.codec import coding
from fcnr.codec.model_files import model_id
from fcnr.codec.model_io import load_model
from fcnr.codec.shard import read_shard, write_shard
from fcnr.codec.synthesis import resolve_path
from fcnr.images import image_path, read_image
from render.basics.errors import FCNRError
from render.views import read_views

DECODE_ELSEWHERE = """
import sys, torch
from fcnr.codec import coding
from fcnr.codec.model_files import model_id
from fcnr.codec.model_io import load_model
from fcnr.codec.shard import read_shard
shard, model_dir, device = sys.argv[1:4]
model, s = load_model(model_dir, device=device), read_shard(shard)
for i in range(len(s.records)):
    coding.decode_pair(s, i, model, model_id(model_dir))  # raises on a latent CRC mismatch
print("ok", len(s.records))
"""


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def psnr(images: dict[int, np.ndarray], images_dir: Path) -> float:
    """Returns the PSNR (dB) of ``images`` against the renders, from their mean squared error."""
    errors = [((img.astype(np.float64) - read_image(image_path(images_dir, v))) ** 2).mean() for v, img in images.items()]
    return float(10 * np.log10(255**2 / np.mean(errors)))


def g_s_cost(model, shard, device: torch.device) -> tuple[float, float]:
    """Returns (GFLOP per pair, seconds per pair) of the model's current synthesis path on record 0's latents."""
    size = (shard.header.height, shard.header.width)
    y = torch.zeros(1, int(model.config["M"]), *(4 * n for n in model.latent_shape(size)), device=device)
    path = model.synthesis()
    with FlopCounterMode(display=False) as counter:
        path(y, y)
    runs, start = 3, time.perf_counter()
    for _ in range(runs):
        path(y, y)
    sync(device)
    return counter.get_total_flops() / 1e9, (time.perf_counter() - start) / runs


def encode(model, images_dir: Path, views, t: int, pairs: int, device) -> tuple[object, list, float]:
    """Returns (header, records, images per second) for the first ``pairs`` pairs of a timestep."""
    timer = coding.Timer()
    coding.compress_timestep(images_dir, model, model.model_id, views[:2], t)  # warm-up
    sync(device)
    header, records = coding.compress_timestep(images_dir, model, model.model_id, views[: 2 * pairs], t, timer)
    sync(device)
    return header, records, timer.images / timer.seconds


def decode(model, shard, device) -> tuple[dict[int, np.ndarray], float]:
    """Returns (view -> image, images per second) for every record of ``shard``."""
    coding.decode_pair(shard, 0, model, model.model_id)  # warm-up: float64 copy, path copy, kernels
    timer, images = coding.Timer(), {}
    for i in range(len(shard.records)):
        images.update(coding.decode_pair(shard, i, model, model.model_id, timer))
    sync(device)
    return images, timer.images / timer.seconds


def decoded_elsewhere(shard_path: Path, model_dir: str, device: str) -> str:
    """Returns "yes" if a fresh process on ``device`` decodes every record (latent CRCs equal)."""
    done = subprocess.run([sys.executable, "-c", DECODE_ELSEWHERE, str(shard_path), model_dir, device],
                          capture_output=True, text=True)  # fmt: skip
    return "yes" if done.returncode == 0 else f"no: {done.stderr.strip().splitlines()[-1]}"


def bench_size(a: argparse.Namespace, model, images_dir: Path, views, tmp: Path) -> list[dict]:
    """Returns one row per synthesis path for one folder of renders."""
    device = torch.device(a.device)
    header, records, enc_rate = encode(model, images_dir, views, a.timestep, a.pairs, device)
    shard_path = tmp / f"{images_dir.name}.fcnr"
    write_shard(shard_path, header, records)
    shard = read_shard(shard_path)
    elsewhere = decoded_elsewhere(shard_path, a.model, a.decode_elsewhere) if a.decode_elsewhere else "-"
    rows, reference = [], None
    for name in a.paths:
        model.synthesis_path = name
        try:
            images, dec_rate = decode(model, shard, device)
            crc = "yes"
        except FCNRError as exc:
            images, dec_rate, crc = {}, float("nan"), f"no: {exc}"
        gflop, seconds = g_s_cost(model, shard, device)
        quality = psnr(images, images_dir) if images else float("nan")
        reference = quality if reference is None else reference
        rows.append({"size": f"{header.height}x{header.width}", "path": resolve_path(name),
                     "pairs": len(records), "encode_img_s": enc_rate, "decode_img_s": dec_rate,
                     "gs_gflop_pair": gflop, "gs_gflop_s": gflop / seconds, "psnr": quality,
                     "psnr_change": quality - reference, "latents_identical": crc,
                     f"decoded_on_{a.decode_elsewhere or 'other'}": elsewhere})  # fmt: skip
    return rows


def print_rows(rows: list[dict]) -> None:
    """Prints the table."""
    print(f"{'size':>10s} {'path':>10s} {'pairs':>5s} {'enc img/s':>9s} {'dec img/s':>9s} {'g_s GFLOP':>9s} "
          f"{'GFLOP/s':>8s} {'PSNR':>7s} {'change':>7s}  latents identical / elsewhere")  # fmt: skip
    for r in rows:
        other = list(r.values())[-1]
        print(f"{r['size']:>10s} {r['path']:>10s} {r['pairs']:5d} {r['encode_img_s']:9.2f} {r['decode_img_s']:9.2f} "
              f"{r['gs_gflop_pair']:9.1f} {r['gs_gflop_s']:8.1f} {r['psnr']:7.3f} {r['psnr_change']:+7.3f}  "
              f"{r['latents_identical']} / {other}")  # fmt: skip


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--views", required=True)
    parser.add_argument("--timestep", type=int, required=True)
    parser.add_argument("--images", nargs="+", required=True, type=Path)
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--paths", nargs="+", default=["reference", "auto"])
    parser.add_argument("--decode-elsewhere", default=None)
    parser.add_argument("--out", type=Path)
    a = parser.parse_args(argv)
    torch.set_num_threads(a.threads)
    model = load_model(a.model, device=a.device)
    model.model_id = model_id(a.model)
    views = read_views(a.views)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for images_dir in a.images:
            rows += bench_size(a, model, images_dir, views, Path(tmp))
            print_rows(rows[-len(a.paths):])
    if a.out:
        with a.out.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return rows


if __name__ == "__main__":
    main()
