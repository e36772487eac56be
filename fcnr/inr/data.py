"""The images an INR represents: every view of some timesteps, read from the renderer's layout.

Image i is view ``i % V`` of timestep ``timesteps[i // V]`` (V views), the order of HNeRV's
embeddings in the bitstream. The view parameters are FCNR's (:func:`fcnr.codec.params.view_params`),
with t normalised over the first and last of these timesteps. Images are read when asked for, so
a paper-scale set (24,360 images of 1024^2) never has to fit in memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fcnr.codec.params import view_params
from fcnr.images import image_path, read_image, timestep_dir, to_tensor
from render.basics.errors import FCNRError


@dataclass(frozen=True)
class ImageSet:
    """Every view of ``timesteps`` under ``root`` (``root/t{t:04d}/v{view:04d}.png``); ``views`` from read_views."""

    root: Path
    timesteps: list[int]
    views: np.ndarray

    def __post_init__(self) -> None:
        if not self.timesteps:
            raise FCNRError("an INR needs at least one timestep of images")
        if [int(v["index"]) for v in self.views] != list(range(len(self.views))):
            raise FCNRError("the views must be numbered 0..V-1 in order (a views CSV written by fcnr views)")

    def __len__(self) -> int:
        return len(self.timesteps) * len(self.views)

    @property
    def t_range(self) -> tuple[int, int]:
        """Returns the first and last timestep, the interval t is normalised over."""
        return min(self.timesteps), max(self.timesteps)

    def key(self, i: int) -> tuple[int, int]:
        """Returns the (t, view) of image ``i``."""
        return self.timesteps[i // len(self.views)], i % len(self.views)

    def angles(self) -> np.ndarray:
        """Returns the (theta, phi) of views 0..V-1 as a (V, 2) float64 array."""
        return view_angles(self.views)

    def params(self, i: int) -> torch.Tensor:
        """Returns image ``i``'s view parameters (t, theta, phi) in [0, 1], shape (3,)."""
        t, view = self.key(i)
        return view_params(t, float(self.views[view]["theta"]), float(self.views[view]["phi"]), self.t_range)

    def image(self, i: int) -> np.ndarray:
        """Returns image ``i`` as uint8 H x W x 3."""
        t, view = self.key(i)
        return read_image(image_path(timestep_dir(self.root, t), view))

    def batch(self, indexes: list[int], device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (images (B, 3, H, W) in [0, 1], view parameters (B, 3)) of ``indexes`` on ``device``."""
        images = torch.cat([to_tensor(self.image(i)) for i in indexes])
        return images.to(device), torch.stack([self.params(i) for i in indexes]).to(device)


def view_angles(views: np.ndarray) -> np.ndarray:
    """Returns the (theta, phi) of views (read_views' rows, in index order) as a (V, 2) float64 array."""
    return np.stack([views["theta"], views["phi"]], axis=1).astype(np.float64)


def image_set(root: str | os.PathLike, timesteps: list[int], views_csv: str | os.PathLike) -> ImageSet:
    """Returns the image set of ``timesteps`` under ``root`` with the views of ``views_csv``."""
    from render.views import read_views

    return ImageSet(Path(root), sorted(int(t) for t in timesteps), read_views(views_csv))
