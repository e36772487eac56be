"""DVR transfer functions from a manifest's ``render.dvr`` section, as plain point lists."""

from __future__ import annotations

from typing import Any

import numpy as np

from render.basics.errors import FCNRError

# Samples taken from a named colour map across the scalar range.
COLORMAP_SAMPLES = 256


def opacity_points(dvr: dict[str, Any], source: str = "manifest") -> np.ndarray:
    """Returns the opacity transfer function as an (n, 2) array of [value, opacity] points.

    Opacity is per unit length along a ray, with one unit = one voxel.
    """
    points = np.asarray(dvr["opacity"], dtype=np.float64)
    if np.any(np.diff(points[:, 0]) <= 0):
        values = points[:, 0].tolist()
        raise FCNRError(f"{source}: render.dvr.opacity: values must increase, got {values}")
    if np.any((points[:, 1] < 0) | (points[:, 1] > 1)):
        raise FCNRError(f"{source}: render.dvr.opacity: opacities must lie in [0, 1]")
    return points


def scalar_range(dvr: dict[str, Any], source: str = "manifest") -> tuple[float, float]:
    """Returns the scalar range the colour map spans (default: that of the opacity points)."""
    if "scalar_range" in dvr:
        lo, hi = map(float, dvr["scalar_range"])
    else:
        points = opacity_points(dvr, source)
        lo, hi = float(points[0, 0]), float(points[-1, 0])
    if not hi > lo:
        raise FCNRError(f"{source}: render.dvr.scalar_range: needs low < high, got [{lo}, {hi}]")
    return lo, hi


def color_points(dvr: dict[str, Any], source: str = "manifest") -> np.ndarray:
    """Returns the colour transfer function as an (n, 4) array of [value, r, g, b] points.

    ``colormap`` is either a list of such points or a matplotlib colour map name, sampled
    across ``scalar_range``.
    """
    cmap = dvr["colormap"]
    if not isinstance(cmap, str):
        points = np.asarray(cmap, dtype=np.float64)
        if np.any(np.diff(points[:, 0]) <= 0):
            raise FCNRError(f"{source}: render.dvr.colormap: values must increase")
        return points
    import matplotlib

    try:
        colormap = matplotlib.colormaps[cmap]
    except KeyError:
        raise FCNRError(
            f"{source}: render.dvr.colormap: unknown colour map {cmap!r}; "
            "use a matplotlib name such as viridis, or [value, r, g, b] points"
        ) from None
    lo, hi = scalar_range(dvr, source)
    u = np.linspace(0.0, 1.0, COLORMAP_SAMPLES)
    return np.column_stack([lo + u * (hi - lo), colormap(u)[:, :3]])


def peak_opacity(dvr: dict[str, Any], lo: float, hi: float, source: str = "manifest") -> float:
    """Returns the largest opacity the transfer function gives any value in [lo, hi]."""
    points = opacity_points(dvr, source)
    inside = points[(points[:, 0] > lo) & (points[:, 0] < hi), 1]
    ends = np.interp([lo, hi], points[:, 0], points[:, 1])
    return float(max(inside.max(initial=0.0), ends.max()))
