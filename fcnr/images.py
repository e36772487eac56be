"""Image files and tensors: the one place that reads, writes and converts images.

Images are uint8 H x W x 3 RGB arrays on disk as PNG (``IMAGES/t{t:04d}/v{view:04d}.png``, the
renderer's layout) and (1, 3, H, W) float32 tensors in [0, 1] inside the models.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from basics.atomic import write_bytes
from basics.errors import FCNRError
from render.rendering import image_name, png_bytes

if TYPE_CHECKING:  # torch is imported where tensors are made: the workflow plans with this module
    import torch


def image_path(images_dir: str | os.PathLike, view: int) -> Path:
    """Returns the path of view ``view``'s image in a timestep folder."""
    return Path(images_dir) / image_name(view)


def timestep_dir(images_root: str | os.PathLike, t: int) -> Path:
    """Returns the folder of timestep ``t``'s images under an images root."""
    return Path(images_root) / f"t{t:04d}"


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Returns the image at ``path`` as uint8 HxWx3 RGB."""
    try:
        with Image.open(path) as im:
            return np.array(im.convert("RGB"))
    except (OSError, ValueError) as exc:
        raise FCNRError(f"{path}: cannot read image ({exc}); render this view first") from exc


def write_image(path: str | os.PathLike, image: np.ndarray) -> None:
    """Writes a uint8 HxWx3 image to ``path`` as PNG, atomically (as the renderer writes them)."""
    write_bytes(path, png_bytes(image))


def to_tensor(image: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """Returns a uint8 HxWx3 image as a (1, 3, H, W) float32 tensor in [0, 1]."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].to(device, torch.float32) / 255


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """Returns a (1, 3, H, W) tensor in [0, 1] as a uint8 HxWx3 image (rounded)."""
    import torch

    return (x[0].clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy()
