"""Scoring shared by the benchmarks: real shards coded and decoded, PSNR and BPP per image."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from fcnr.codec.coding import Timer, compress_timestep, decode_all
from fcnr.codec.model import FCNRModel
from fcnr.codec.model_files import model_id
from fcnr.codec.model_io import load_model
from fcnr.codec.params import view_params
from fcnr.codec.shard import read_shard, write_shard
from fcnr.evaluation.metrics import psnr
from fcnr.images import image_path, read_image, timestep_dir, to_tensor
from render.views import view_pairs

#: scores one (reference, decoded) image pair, e.g. {"psnr": ...}
Scorer = Callable[[np.ndarray, np.ndarray], Mapping[str, float]]


def psnr_only(reference: np.ndarray, decoded: np.ndarray) -> dict[str, float]:
    """Returns ``{"psnr"}`` of a decoded image: the benchmarks' default score."""
    return {"psnr": psnr(reference, decoded)}


def code_and_score(model_dir: Path, images_root: Path, views: np.ndarray, timesteps, shards_dir: Path,
                   device: str = "cpu", enc: Timer | None = None, dec: Timer | None = None,
                   score: Scorer = psnr_only) -> list[dict]:  # fmt: skip
    """Returns ``{"t", "view", "bpp", **score}`` per image of ``timesteps``, coded into real shards in ``shards_dir``.

    ``score`` gives an image's metrics (default: PSNR only).
    """
    return score_model(load_model(model_dir, device), model_id(model_dir), images_root, views, timesteps, shards_dir,
                       enc, dec, score)  # fmt: skip


def score_model(model: FCNRModel, ident: str, images_root: Path, views: np.ndarray, timesteps, shards_dir: Path,
                enc: Timer | None = None, dec: Timer | None = None, score: Scorer = psnr_only) -> list[dict]:
    """Returns ``code_and_score``'s rows for a model in memory, its shards marked with ``ident``."""
    rows = []
    for t in timesteps:
        images = timestep_dir(images_root, t)
        header, records = compress_timestep(images, model, ident, views, t, enc)
        path = shards_dir / f"t{t:04d}.fcnr"
        write_shard(path, header, records)
        shard = read_shard(path)
        bpp = {v: shard.bpp(i) for i, r in enumerate(shard.records) for v in (r.left, r.right)}
        for view, image in decode_all(shard, model, ident, dec):
            rows.append({"t": t, "view": view, "bpp": bpp[view], **score(read_image(image_path(images, view)), image)})
    return rows


def means(rows: list[dict], keys=("bpp", "psnr")) -> dict[str, float]:
    """Returns the mean of each of ``keys`` over ``rows``."""
    return {k: float(np.mean([r[k] for r in rows])) for k in keys}


def pair_tensors(images_dir: Path, views: np.ndarray, t: int, t_range, pairs: int | None = None) -> list[tuple]:
    """Returns (x_l, x_r, p_l, p_r), each with a batch of one, of the first ``pairs`` (None: all) view pairs of
    timestep ``t``'s images in ``images_dir``, in view order."""
    angles = {int(v["index"]): (float(v["theta"]), float(v["phi"])) for v in views}
    return [
        (*(to_tensor(read_image(image_path(images_dir, v))) for v in pair),
         *(view_params(t, *angles[v], t_range).unsqueeze(0) for v in pair))
        for pair in view_pairs(views)[:pairs]
    ]  # fmt: skip
