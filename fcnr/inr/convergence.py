"""Where an INR run stands: still rising, levelled off, or no better than the mean image of its views.

Read from its training curve and its decoded PSNR; the report's INR sections and ``bench/inr_table2.py``
show it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fcnr.evaluation.metrics import psnr
from fcnr.images import image_path, read_image, timestep_dir

TAIL = 0.1  # convergence: the PSNR gained over the last 10 % of the epochs
MEAN_IMAGE_MARGIN = 1.0  # dB: a decoded PSNR below the mean image's + this has not learned the views


def tail_gain(psnr: np.ndarray) -> float:
    """Returns the PSNR gained over the last ``TAIL`` of the epochs (at least one epoch): small once converged."""
    back = max(1, round(TAIL * len(psnr)))
    return float(psnr[-1] - psnr[-1 - back]) if len(psnr) > back else float("nan")


def mean_image_psnr(images_root: Path, images: list[tuple[int, int]]) -> float:
    """Returns the mean PSNR of the images' per-pixel mean image against each of ``images`` (t, view).

    That one image is the best (least squares) output of a network that ignores its input: an INR
    scoring about this has learned the background and the average shape, not the views.
    """
    truth = np.stack([read_image(image_path(timestep_dir(images_root, t), view)) for t, view in images])
    mean = np.round(truth.mean(axis=0, dtype=np.float64)).astype(np.uint8)
    return float(np.mean([psnr(image, mean) for image in truth]))


def standing(decoded: float, mean_image: float, gain: float) -> str:
    """Returns where a run stands: no better than the mean image, still rising, or levelled off."""
    if decoded < mean_image + MEAN_IMAGE_MARGIN:
        return "no better than the mean image: it has not learned the views"
    return "still rising" if gain > 0.5 else "levelled off"
