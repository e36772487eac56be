"""Image files and tensors: the one place that reads, writes and converts images.

Images are uint8 H x W x 3 RGB arrays on disk as PNG (``IMAGES/t{t:04d}/v{view:04d}.png``, the
renderer's layout) and (1, 3, H, W) float32 tensors in [0, 1] inside the models.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from render.basics.atomic import write_bytes
from render.basics.errors import FCNRError
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


class ImageWriter:
    """Writes PNGs on background threads while the caller goes on (PNG encoding releases the GIL).

    ``write`` blocks only while ``2 * workers`` images are already waiting; leaving the ``with``
    block waits for every write and raises the first error. ``blocked_seconds`` is the time the
    caller spent waiting for writes: the part of the PNG writing that did not overlap its work.
    """

    def __init__(self, workers: int = 1):
        self.workers = max(1, workers)
        self.pending: list[Future] = []
        self.blocked_seconds = 0.0

    def __enter__(self) -> ImageWriter:
        self.pool = ThreadPoolExecutor(self.workers, thread_name_prefix="png")
        return self

    def write(self, path: str | os.PathLike, image: np.ndarray) -> None:
        """Queues ``image`` to be written to ``path`` (atomically, as ``write_image``)."""
        while len(self.pending) >= 2 * self.workers:
            self._wait(self.pending.pop(0))
        self.pending.append(self.pool.submit(write_image, path, image))

    def _wait(self, future: Future) -> None:
        start = time.perf_counter()
        try:
            future.result()
        finally:
            self.blocked_seconds += time.perf_counter() - start

    def __exit__(self, *exc) -> None:
        try:
            for future in self.pending:
                self._wait(future)
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
