"""Camera angles of Cinema writers, mapped to view directions in the data's own axes.

Spec D gives phi and theta no meaning, so each writer's convention is spelled out here. Each
maps (phi, theta) in degrees to the unit vector from the focal point to the camera, in the
volume's x, y, z; this project's views are that vector's polar angle from +z and azimuth from
+x (``render.views.spherical``).

- ``fcnr`` (what ``fcnr cinema export`` writes, stated in its sidecar): phi = azimuth about +z
  from +x towards +y in [-180, 180), theta = elevation above the x-y plane in [-90, 90].
  Direction (cos t cos p, cos t sin p, sin t).
- ``paraview`` (ParaView >= 5.9 extractors, camera mode Phi-Theta): the camera starts on +z
  of the focal point with view-up +y, turns by ``Azimuth(phi)`` about +y, then by cumulative
  ``Elevation(theta)``, a full great circle; both in [0, 360). Direction
  (cos t sin p, sin t, cos t cos p). Each direction comes twice: (p, t) and (p + 180, 180 - t).
- ``visit`` (``visit -cinema -camera phi-theta``): phi = linspace(-180, 180), theta =
  linspace(-90, 90), stored truncated to integer degrees; view normal
  (cos t cos(p - 90), sin t, cos t sin(p - 90)) = (cos t sin p, sin t, -cos t cos p), +y up.
  Phi -180 and 180 are the same view; at theta = +-90 every phi looks along the same axis.
  The images are rendered at the exact linspace angles: 179 stands for 180 and 29 for 30
  (``visit_rendered`` recovers them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from render.basics.errors import FCNRError

CONVENTIONS = ("fcnr", "paraview", "visit")
# Valid (low, high) of phi and theta per convention; a high bound in EXCLUSIVE is not included.
RANGES = {
    "fcnr": {"phi": (-180.0, 180.0), "theta": (-90.0, 90.0)},
    "paraview": {"phi": (0.0, 360.0), "theta": (0.0, 360.0)},
    "visit": {"phi": (-180.0, 180.0), "theta": (-90.0, 90.0)},
}
EXCLUSIVE = {("paraview", "phi"), ("paraview", "theta")}


def directions(convention: str, phi_deg: Sequence[float], theta_deg: Sequence[float]) -> np.ndarray:
    """Returns the (N, 3) unit vectors from focal point to camera for angles in ``convention``."""
    p, t = np.radians(np.asarray(phi_deg, dtype=np.float64)), np.radians(np.asarray(theta_deg, dtype=np.float64))
    ct, st, cp, sp = np.cos(t), np.sin(t), np.cos(p), np.sin(p)
    if convention == "fcnr":
        return np.stack([ct * cp, ct * sp, st], axis=1)
    if convention == "paraview":
        return np.stack([ct * sp, st, ct * cp], axis=1)
    if convention == "visit":
        return np.stack([ct * sp, st, -ct * cp], axis=1)
    raise FCNRError(f"unknown camera convention {convention!r}; use one of {', '.join(CONVENTIONS)}")


def out_of_range(convention: str, name: str, values: Sequence[float]) -> int | None:
    """Returns the index of the first value of column ``name`` outside the convention's range, or None."""
    low, high = RANGES[convention][name]
    exclusive = (convention, name) in EXCLUSIVE
    for i, v in enumerate(values):
        if v < low or v > high or (exclusive and v == high):
            return i
    return None


def describe_range(convention: str, name: str) -> str:
    """Returns the convention's range of ``name`` as text, e.g. ``[0, 360)``."""
    low, high = RANGES[convention][name]
    return f"[{low:g}, {high:g}{')' if (convention, name) in EXCLUSIVE else ']'}"


def detect(header: Sequence[str], phi: Sequence[float], theta: Sequence[float]) -> tuple[str, str] | None:
    """Returns (convention, why) read off the columns and angle ranges, or None when both writers fit."""
    if "producer" in header:
        return "paraview", "a producer column, as ParaView's extractors write"
    if min(phi) < 0 or min(theta) < 0:
        return "visit", "negative angles: VisIt's phi in [-180, 180], theta in [-90, 90]"
    if max(phi) > 180 or max(theta) > 90:
        return "paraview", "angles beyond 180 / 90: ParaView's phi and theta in [0, 360)"
    return None


def fcnr_angles(theta: float, phi: float) -> tuple[float, float]:
    """Returns (phi, theta) in degrees, convention ``fcnr``, of a view's (theta from +z, phi from +x) in radians."""
    azimuth = (math.degrees(phi) + 180.0) % 360.0 - 180.0
    elevation = 90.0 - math.degrees(theta)
    return round(azimuth, 6) + 0.0, round(elevation, 6) + 0.0  # + 0.0: no "-0.0"


def visit_rendered(values: Sequence[float], low: float, high: float) -> list[float]:
    """Returns VisIt's stored angles as rendered: linspace(low, high, n) when the n distinct values
    are that linspace truncated to integer degrees (as visitcinema.py writes them), else unchanged."""
    distinct = sorted(set(values))
    n = len(distinct)
    if n < 2:
        return list(values)
    grid = [low + (high - low) * k / (n - 1) for k in range(n)]
    # Truncation moves a value towards zero by less than a degree (a whole one when float error
    # puts 180 just below 180: VisIt's 179).
    if any(v != math.trunc(v) or abs(g - v) > 1.0 + 1e-9 or abs(v) > abs(g) + 1e-9 for g, v in zip(grid, distinct)):
        return list(values)
    exact = dict(zip(distinct, grid))
    return [exact[v] for v in values]
