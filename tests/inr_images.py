"""A tiny rendered-like image set for the INR tests: 2 timesteps x 4 views of 64^2, white background."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fcnr.images import image_path, timestep_dir, write_image
from fcnr.training.split import write_split_csv
from render.views import icosphere_views, write_views

TIMESTEPS = [3, 5]
N_VIEWS = 4
SIZE = 64


def disc_image(t: int, view: int) -> np.ndarray:
    """Returns a white image with a coloured disc whose place depends on the view and the timestep."""
    yy, xx = np.mgrid[:SIZE, :SIZE]
    cy, cx = 20 + 6 * view, 24 + 4 * (t - TIMESTEPS[0])
    image = np.full((SIZE, SIZE, 3), 255, np.uint8)
    disc = (yy - cy) ** 2 + (xx - cx) ** 2 < 12**2
    image[disc] = (40 + 40 * view, 120, 200 - 30 * t)
    return image


def write_image_set(folder: Path) -> tuple[Path, Path, Path]:
    """Writes images, views.csv and split.csv under ``folder``; returns (images root, views CSV, split CSV)."""
    root = folder / "images"
    for t in TIMESTEPS:
        for v in range(N_VIEWS):
            write_image(image_path(timestep_dir(root, t), v), disc_image(t, v))
    write_views(icosphere_views(1)[:N_VIEWS], folder / "views.csv")
    write_split_csv(folder / "split.csv", TIMESTEPS, N_VIEWS)
    return root, folder / "views.csv", folder / "split.csv"
