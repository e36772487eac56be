"""The Crawfis-Max procedural tornado, evaluated exactly on the grid.

Formula and constants of Roger Crawfis' ``gen_tornado(xs, ys, zs, time, tornado)`` (The Ohio State
University, tornadoSrc.c, https://web.cse.ohio-state.edu/~crawfis.3/Data/Tornado/tornadoSrc.c,
archived at web.archive.org/web/20220302130820/...; checked against the copy in inviwo's
volume generation utilities, ``makeTornadoVolume``). Each grid axis is mapped to [0, 1] by
``i / (n - 1)``; timestep ``k`` passes ``time = k``. The original writes the vector field with x
varying fastest; here arrays are indexed ``[x, y, z]`` and the scalar is the vector's magnitude.
Evaluated in float64 (the C code mixes float variables with double ``sin``/``cos``) and stored as
float32.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

SMALL = 1e-11


def tornado_velocity(shape: tuple[int, int, int], time: float) -> np.ndarray:
    """Returns the tornado vector field at ``time`` as float64 [3, x, y, z]."""
    xs, ys, zs = shape
    x = (np.arange(xs) / (xs - 1.0))[:, None, None]
    y = (np.arange(ys) / (ys - 1.0))[None, :, None]
    z = (np.arange(zs) / (zs - 1.0))[None, None, :]
    # Per z-slice: the spiral's centre (xc, yc), centre radius r and damping radius r2.
    xc = 0.5 + 0.1 * np.sin(0.04 * time + 10.0 * z)
    yc = 0.5 + 0.1 * np.cos(0.03 * time + 3.0 * z)
    r = 0.1 + 0.4 * z * z + 0.1 * z * np.sin(8.0 * z)
    r2 = 0.2 + 0.1 * z
    dx, dy = x - xc, y - yc
    temp = np.sqrt(dy * dy + dx * dx)
    scale = np.abs(r - temp)
    # The original's own comment: this branch makes the magnitude discontinuous; kept as is.
    scale = np.where(scale > r2, 0.8 - scale, 1.0)
    z0 = np.maximum(0.1 * (0.1 - temp * z), 0.0)
    temp = np.sqrt(temp * temp + z0 * z0)
    scale = (r + r2 - temp) * scale / (temp + SMALL)
    scale = scale / (1.0 + z)
    return np.stack(np.broadcast_arrays(scale * dy + 0.1 * dx, scale * -dx + 0.1 * dy, scale * z0))


def tornado_magnitude(shape: tuple[int, int, int], time: float) -> np.ndarray:
    """Returns the velocity magnitude of the tornado at ``time`` as float32 [x, y, z]."""
    v = tornado_velocity(shape, time)
    return np.sqrt((v * v).sum(axis=0)).astype(np.float32)


def frames(
    manifest: dict[str, Any], shape: tuple[int, int, int], timesteps: Iterable[int]
) -> Iterator[tuple[int, np.ndarray]]:
    """Yields ``(k, magnitude at time k)`` evaluated on ``shape``; each timestep is independent."""
    for k in timesteps:
        yield k, tornado_magnitude(shape, float(k))
