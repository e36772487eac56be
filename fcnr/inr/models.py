"""The INR of a method and image size, sized by a parameter budget.

A model's config is JSON-ready and complete: ``method``, ``image`` [H, W], ``width`` (the one knob
the budget sets), the upsampling ``strides`` and, for E-NeRV and NeRVI-like, the token/feature grid
``fc`` [fc_h, fc_w]; every other key takes its module's ``DEFAULTS``. The bitstream stores it, so a
decoder rebuilds exactly the trained architecture.

Architecture by image size (``architecture``): 4 upsampling stages up to 256 px, 5 above;
E-NeRV / NeRVI-like start from a grid of side max(4, H / 128) (4 x 4 at 128 px, 8 x 8 at 1024 px);
HNeRV's embeddings are 2 x 2 (times ``embed_channels``) at every size.

The budget counts what a decoder needs (HNeRV's ``modelsize``): the stored network parameters
plus, for HNeRV, the embedding values of every image. ``sized_config`` picks the largest width
whose count stays within it.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from fcnr.inr import METHODS
from fcnr.inr.base import INR
from fcnr.inr.enerv import ENeRV
from fcnr.inr.hnerv import HNeRV
from fcnr.inr.layers import up_strides
from fcnr.inr.nervi import NeRVILike
from render.basics.errors import FCNRError

CLASSES: dict[str, type[INR]] = {"enerv": ENeRV, "hnerv": HNeRV, "nervi": NeRVILike}
MIN_WIDTH = 4
EMBED_SIDE = 2


def build_model(config: dict[str, Any], with_encoder: bool = True) -> INR:
    """Returns the INR of ``config`` (training mode); ``with_encoder=False`` leaves out HNeRV's encoder."""
    method = config.get("method")
    if method not in CLASSES:
        raise FCNRError(f"unknown INR method {method!r}; use one of {', '.join(METHODS)}")
    return HNeRV(config, with_encoder) if method == "hnerv" else CLASSES[method](config)


def architecture(method: str, height: int, width: int) -> dict[str, Any]:
    """Returns the config of ``method`` for H x W images, all but its ``width``."""
    if method not in CLASSES:
        raise FCNRError(f"unknown INR method {method!r}; use one of {', '.join(METHODS)}")
    stages = 4 if max(height, width) <= 256 else 5
    grid_h = EMBED_SIDE if method == "hnerv" else max(4, height // 128)
    ratio = height // grid_h
    try:
        if height % grid_h or width % ratio:
            raise ValueError(f"{height} / {grid_h} rows must divide the width")
        strides = up_strides(ratio, stages)
    except ValueError as exc:
        raise FCNRError(f"{method}: no architecture for {width} x {height} images ({exc}); "
                        "use a power-of-two image size such as 64, 128 or 1024") from None  # fmt: skip
    config = {"method": method, "image": [height, width], "strides": strides}
    if method != "hnerv":
        config["fc"] = [grid_h, width // ratio]
    return config


def budget_count(config: dict[str, Any], images: int) -> int:
    """Returns what the budget counts for ``config`` on ``images`` images: stored parameters + embedding values."""
    with torch.device("meta"):  # shapes only: no memory, whatever the width
        model = build_model(config, with_encoder=False)
    embedded = images * math.prod(model.embedding_shape()) if model.embeds else 0
    return sum(t.numel() for t in model.stored_state().values()) + embedded


def sized_config(method: str, budget: int, height: int, width: int, images: int) -> dict[str, Any]:
    """Returns the full config of ``method`` with the largest width whose budget count is at most ``budget``."""
    base = architecture(method, height, width)

    def count(w: int) -> int:
        return budget_count({**base, "width": w}, images)

    smallest = count(MIN_WIDTH)
    if smallest > budget:
        raise FCNRError(f"{method}: a budget of {budget:,} parameters is too small for {images} images of "
                        f"{width} x {height}: the narrowest model needs {smallest:,}")  # fmt: skip
    low, high = MIN_WIDTH, 2 * MIN_WIDTH
    while count(high) <= budget:
        low, high = high, 2 * high
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if count(mid) <= budget else (low, mid)
    with torch.device("meta"):
        return build_model({**base, "width": low}, with_encoder=False).config
