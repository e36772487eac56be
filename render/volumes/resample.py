"""Trilinear resampling of a volume onto another grid with the same extent."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def resample(volume: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """Returns ``volume`` resampled trilinearly to ``shape`` (float32, corner points kept)."""
    shape = tuple(int(n) for n in shape)
    if volume.shape == shape:
        return np.ascontiguousarray(volume, dtype=np.float32)
    # grid_mode=False maps first/last samples onto first/last samples: both grids span [0, 1].
    zoom = [n / m for n, m in zip(shape, volume.shape)]
    out = ndimage.zoom(volume.astype(np.float32, copy=False), zoom, order=1, grid_mode=False)
    assert out.shape == shape, (out.shape, shape)
    return out
