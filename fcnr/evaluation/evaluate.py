"""Per-image quality and rate of a compressed dataset mode, and its summary and timing.

Works on the workflow's layout of one dataset and mode (``MODE_DIR = results/DS/MODE``)::

    MODE_DIR/images/t{t:04d}/v{view:04d}.png     ground truth
    MODE_DIR/decoded/t{t:04d}/v{view:04d}.png    decoded by ``fcnr decompress``
    MODE_DIR/shards/t{t:04d}.fcnr                the shard (bytes per image)
    MODE_DIR/timing/{encode,decode}/t{t:04d}.json  ``--timing-json`` of compress / decompress
    MODE_DIR/model/                              weights (decoder share) and train_summary.json

Bytes per image are the shard's own accounting (:meth:`fcnr.shard.Shard.image_bytes`: half its
pair's record plus a share of the header). The summary adds BPP with the decoder's weights
counted in, amortised over every image of the run.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from render.basics.atomic import read_json, write_text
from render.basics.errors import FCNRError

METRIC_COLUMNS = ("t", "view", "theta", "phi", "split", "psnr", "msssim", "flip", "lpips", "bytes", "bpp")
# Model tensors only the encoder uses (E and h_E, paper Fig. 2a); everything else ships with a decoder.
ENCODER_PREFIXES = ("g_a.", "h_a.")


def t_dir(root: str | os.PathLike, kind: str, t: int) -> Path:
    """Returns the folder of timestep ``t`` under ``root/kind`` (``images`` or ``decoded``)."""
    return Path(root) / kind / f"t{t:04d}"


def image_metrics(reference: np.ndarray, decoded: np.ndarray, lpips=None, flip: bool = True) -> dict[str, float]:
    """Returns ``{"psnr", "msssim", "flip", "lpips"}`` of a decoded image (lpips NaN without an available
    LPIPS metric, flip NaN when ``flip`` is False)."""
    from fcnr.evaluation import metrics

    score = lpips(reference, decoded) if lpips is not None and lpips.available else math.nan
    return {"psnr": metrics.psnr(reference, decoded), "msssim": metrics.ms_ssim(reference, decoded),
            "flip": metrics.flip(reference, decoded) if flip else math.nan, "lpips": score}


def evaluate_timestep(
    mode_dir: str | os.PathLike, t: int, views: np.ndarray, split: dict[tuple[int, int], str], metrics=image_metrics,
    images_root: str | os.PathLike | None = None,
) -> list[dict[str, Any]]:
    """Returns one metrics row per view of timestep ``t`` (every view must be in the shard and decoded).

    The ground truth is read from ``images_root`` (default ``mode_dir/images``).
    """
    from fcnr.codec.shard import read_shard
    from fcnr.images import image_path, read_image

    shard = read_shard(Path(mode_dir) / "shards" / f"t{t:04d}.fcnr")
    if shard.header.timestep != t:
        raise FCNRError(f"shard {shard.path}: holds timestep {shard.header.timestep}, expected {t}")
    truth_dir = Path(images_root) / f"t{t:04d}" if images_root else t_dir(mode_dir, "images", t)
    rows = []
    for view in views:
        v = int(view["index"])
        if (t, v) not in split:
            raise FCNRError(f"split: no row for t={t}, view={v}; rerun the split rule")
        record = shard.find(v)
        reference = read_image(image_path(truth_dir, v))
        decoded = read_image(image_path(t_dir(mode_dir, "decoded", t), v))
        if decoded.shape != reference.shape:
            raise FCNRError(
                f"{t_dir(mode_dir, 'decoded', t)}: view {v} is {decoded.shape[1]}x{decoded.shape[0]}, the "
                f"ground truth {reference.shape[1]}x{reference.shape[0]}; decode the shard again"
            )
        rows.append({"t": t, "view": v, "theta": float(view["theta"]), "phi": float(view["phi"]),
                     "split": split[t, v], **metrics(reference, decoded),
                     "bytes": shard.image_bytes(record), "bpp": shard.bpp(record)})  # fmt: skip
    return rows


def metrics_csv(rows: Iterable[dict[str, Any]]) -> str:
    """Returns metrics rows as CSV text with the header ``METRIC_COLUMNS`` (NaN written empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(METRIC_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in METRIC_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def write_metrics_csv(path: str | os.PathLike, rows: Iterable[dict[str, Any]]) -> None:
    """Writes metrics rows to ``path`` as CSV, atomically."""
    write_text(path, metrics_csv(rows))


def read_metrics_csv(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Returns the rows of a metrics CSV, typed (t, view int; split str; the rest float, NaN if empty)."""
    path = Path(path)
    try:
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != METRIC_COLUMNS:
                raise FCNRError(f"{path}: expected header {','.join(METRIC_COLUMNS)}, found "
                                f"{','.join(reader.fieldnames or [])}")  # fmt: skip
            rows = list(reader)
    except OSError as exc:
        raise FCNRError(f"{path}: cannot read metrics: {exc.strerror or exc}") from exc
    try:
        return [
            {c: int(r[c]) if c in ("t", "view") else r[c] if c == "split" else float(r[c] or "nan")
             for c in METRIC_COLUMNS}  # fmt: skip
            for r in rows
        ]
    except ValueError as exc:
        raise FCNRError(f"{path}: malformed value ({exc})") from exc


def gather_metrics(parts: Sequence[str | os.PathLike], split: dict[tuple[int, int], str]) -> list[dict[str, Any]]:
    """Returns the rows of per-timestep metrics CSVs, sorted, after checking each image occurs once."""
    rows = [row for part in parts for row in read_metrics_csv(part)]
    seen: set[tuple[int, int]] = set()
    for row in rows:
        key = (row["t"], row["view"])
        if key in seen:
            raise FCNRError(f"metrics: image t={key[0]}, view={key[1]} appears twice in {', '.join(map(str, parts))}")
        seen.add(key)
    missing = sorted(set(split) - seen)
    if missing:
        t, v = missing[0]
        raise FCNRError(f"metrics: {len(missing)} images of the split were not evaluated (first: t={t}, view={v})")
    return sorted(rows, key=lambda r: (r["t"], r["view"]))


def decoder_weights(weights_path: str | os.PathLike) -> dict[str, int]:
    """Returns ``{"bytes", "parameters"}`` of the tensors a decoder needs (all but E and h_E)."""
    from safetensors import safe_open

    total = count = 0
    with safe_open(str(weights_path), framework="np") as handle:
        for name in handle.keys():
            if name.startswith(ENCODER_PREFIXES):
                continue
            array = handle.get_tensor(name)
            total += array.nbytes
            count += array.size
    return {"bytes": total, "parameters": count}


def _read_json(path: Path) -> dict[str, Any]:
    return read_json(path, "rerun the step that writes this timing file")


def timing_path(mode_dir: str | os.PathLike, kind: str, t: int) -> Path:
    """Returns the ``--timing-json`` file of timestep ``t``'s ``encode`` or ``decode`` step."""
    return Path(mode_dir) / "timing" / kind / f"t{t:04d}.json"


def timing(mode_dir: str | os.PathLike, timesteps: Sequence[int]) -> dict[str, Any]:
    """Returns training, encoding and decoding seconds and speeds; ET (hours) includes training."""
    mode_dir = Path(mode_dir)
    train = _read_json(mode_dir / "model" / "train_summary.json")
    enc = [_read_json(timing_path(mode_dir, "encode", t)) for t in timesteps]
    dec = [_read_json(timing_path(mode_dir, "decode", t)) for t in timesteps]
    enc_s, dec_s = sum(e["seconds"] for e in enc), sum(d["seconds"] for d in dec)
    images = sum(e["images"] for e in enc)
    return {
        "training_seconds": train["seconds"],
        "training_steps": train.get("steps"),
        "encoding_seconds": enc_s,
        "decoding_seconds": dec_s,
        "encoding_io_seconds": sum(e.get("io_seconds", 0.0) for e in enc),
        "decoding_io_seconds": sum(d.get("io_seconds", 0.0) for d in dec),
        "images": images,
        "encoding_images_per_second": images / enc_s if enc_s > 0 else None,
        "decoding_images_per_second": sum(d["images"] for d in dec) / dec_s if dec_s > 0 else None,
        # how g_s ran (fcnr.codec.synthesis); timing files from before the paths existed: reference
        "decoding_synthesis": ", ".join(sorted({d.get("synthesis", "reference") for d in dec})),
        "et_hours": (train["seconds"] + enc_s) / 3600,
        "dt_seconds": dec_s,
    }


def mean_metrics(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Returns the image count and mean psnr, msssim, flip, lpips (None if absent), bytes and bpp of ``rows``."""
    out: dict[str, Any] = {"images": len(rows)}
    for key in ("psnr", "msssim", "flip", "lpips", "bytes", "bpp"):
        values = np.array([r[key] for r in rows], dtype=np.float64)
        values = values[~np.isnan(values)]
        out[key] = float(values.mean()) if len(values) else None
    return out


def summarize(
    rows: Sequence[dict[str, Any]], mode_dir: str | os.PathLike, lpips_status: dict[str, Any]
) -> dict[str, Any]:
    """Returns mean metrics (all, train, unseen), shard and decoder bytes, and BPP with the decoder counted in."""
    from fcnr.codec.shard import read_shard

    mode_dir = Path(mode_dir)
    shards = [read_shard(mode_dir / "shards" / f"t{t:04d}.fcnr") for t in sorted({r["t"] for r in rows})]
    height, width = shards[0].header.height, shards[0].header.width
    pixels = len(rows) * height * width
    shard_bytes = sum(s.size for s in shards)
    decoder = decoder_weights(mode_dir / "model" / "weights.safetensors")
    return {
        "images": len(rows),
        "height": height,
        "width": width,
        "all": mean_metrics(rows),
        "train": mean_metrics([r for r in rows if r["split"] == "train"]),
        "unseen": mean_metrics([r for r in rows if r["split"] == "unseen"]),
        "shard_bytes": shard_bytes,
        "bpp_shards": 8 * shard_bytes / pixels,
        "decoder_bytes": decoder["bytes"],
        "decoder_parameters": decoder["parameters"],
        "bpp_with_decoder": 8 * (shard_bytes + decoder["bytes"]) / pixels,
        "lpips": lpips_status,
    }
