"""Encode one timestep's view pairs into shard records and decode them back to images.

The model codes one pair at a time (its ``compress``/``decompress`` take B = 1), so records are
encoded and decoded pair by pair; decoding one view decodes only its pair's record. Each record
carries the CRC of the quantized latents, checked after decoding, so a decoder that went out of
step with the encoder raises FCNRError instead of returning a wrong image.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from fcnr.codec.model import latents_crc
from fcnr.codec.params import view_params
from fcnr.codec.shard import PairEntry, Shard, ShardHeader, encode_payload
from fcnr.images import image_path, read_image, to_tensor, to_uint8
from render.basics.errors import FCNRError
from render.views import view_pairs


@dataclass
class Timer:
    """Accumulates the seconds spent coding and on image file I/O, and counts images."""

    seconds: float = 0.0
    io_seconds: float = 0.0
    images: int = 0

    def as_dict(self) -> dict:
        """Returns the timing as JSON-ready ``{"seconds", "images", "images_per_second", "io_seconds"}``."""
        rate = self.images / self.seconds if self.seconds > 0 else None
        return {"seconds": self.seconds, "images": self.images, "images_per_second": rate,
                "io_seconds": self.io_seconds}  # fmt: skip


def _device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def _params(t: int, theta: float, phi: float, t_range, device) -> torch.Tensor:
    return view_params(t, theta, phi, t_range).unsqueeze(0).to(device)


@torch.no_grad()
def compress_timestep(
    images_dir: str | os.PathLike, model: torch.nn.Module, model_id: str, views: np.ndarray, t: int,
    timer: Timer | None = None,
) -> tuple[ShardHeader, list[PairEntry]]:
    """Returns the shard header and one record per view pair of timestep ``t``'s images.

    ``views`` is a ``render.views`` record array; pairs are its rows 2j, 2j+1. Every image must
    exist as ``images_dir/v{view:04d}.png`` and all must share one size.
    """
    timer = timer or Timer()
    t_range = model.config["t_range"]
    device = _device(model)
    # The shard stores the angles as float32: the encoder's view parameters come from those values.
    angles = {int(v["index"]): tuple(float(np.float32(v[k])) for k in ("theta", "phi")) for v in views}
    missing = [image_path(images_dir, v) for v in angles if not image_path(images_dir, v).is_file()]
    if missing:
        raise FCNRError(f"{images_dir}: {len(missing)} view images missing (first: {missing[0].name}) for "
                        f"timestep {t}; render every view of views.csv first")  # fmt: skip
    size = None
    pairs = []
    for left, right in view_pairs(views):
        start = time.perf_counter()
        img_l, img_r = read_image(image_path(images_dir, left)), read_image(image_path(images_dir, right))
        for view, img in ((left, img_l), (right, img_r)):
            if size is None:
                size = img.shape[:2]
            if img.shape[:2] != size:
                raise FCNRError(f"{image_path(images_dir, view)}: size {img.shape[:2]} differs from the "
                                f"timestep's first image {size}; re-render at one size")  # fmt: skip
        coded = time.perf_counter()
        enc = model.compress(
            to_tensor(img_l, device), to_tensor(img_r, device),
            _params(t, *angles[left], t_range, device), _params(t, *angles[right], t_range, device),
            return_latents=True,
        )
        payload = encode_payload(enc["strings"][0], latents_crc(enc["latents"]))
        done = time.perf_counter()
        timer.io_seconds += coded - start
        timer.seconds += done - coded
        timer.images += 2
        pairs.append(PairEntry(left, right, *angles[left], *angles[right], payload))
    return ShardHeader(model_id, int(size[0]), int(size[1]), int(t)), pairs


@torch.no_grad()
def decode_pair(
    shard: Shard, index: int, model: torch.nn.Module, model_id: str, timer: Timer | None = None
) -> dict[int, np.ndarray]:
    """Returns ``{view: uint8 image}`` for the two views of record ``index``, reading only that record."""
    shard.check_model(model_id)
    timer = timer or Timer()
    start = time.perf_counter()
    r, where = shard.records[index], shard.describe(index)
    payload = shard.payload(index)
    device, t_range = _device(model), model.config["t_range"]
    try:
        size = (shard.header.height, shard.header.width)
        dec = model.decompress(
            [payload.stream], model.latent_shape(size),
            _params(r.t, r.theta_left, r.phi_left, t_range, device),
            _params(r.t, r.theta_right, r.phi_right, t_range, device),
            image_size=size, return_latents=True,
        )
    except (ValueError, RuntimeError, IndexError) as exc:
        raise FCNRError(f"{where}: cannot decode ({exc})") from exc
    if latents_crc(dec["latents"]) != payload.symbols_crc:
        raise FCNRError(f"{where}: decoded latents differ from the encoder's (latent CRC mismatch); "
                        "the decoder went out of step with the encoder, so no image is written")  # fmt: skip
    images = {r.left: to_uint8(dec["x_hat"][0]), r.right: to_uint8(dec["x_hat"][1])}
    timer.seconds += time.perf_counter() - start
    timer.images += 2
    return images


def decode_view(shard: Shard, view: int, model: torch.nn.Module, model_id: str, timer: Timer | None = None) -> np.ndarray:
    """Returns the uint8 image of one view, decoding only its pair's record."""
    return decode_pair(shard, shard.find(view), model, model_id, timer)[view]


def decode_all(
    shard: Shard, model: torch.nn.Module, model_id: str, timer: Timer | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """Yields ``(view, uint8 image)`` for every view of the shard, record by record."""
    shard.check_model(model_id)
    for index in range(len(shard.records)):
        yield from decode_pair(shard, index, model, model_id, timer).items()
