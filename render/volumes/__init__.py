"""Volume sources: each yields a dataset's float32 volumes ``[x, y, z]`` one timestep at a time.

A manifest's ``source.kind`` names the module below that produces its volumes:

- ``tornado``  (:mod:`render.volumes.tornado`): Crawfis-Max procedural tornado, exact formula.
- ``vortex``   (:mod:`render.volumes.vortex`): decaying turbulence, pseudo-spectral Navier-Stokes.
- ``tangaroa`` (:mod:`render.volumes.tangaroa`): lattice-Boltzmann flow past a ship-like hull.
- ``raw``      (:mod:`render.volumes.raw`): user files (raw binary, ``.npy``, ``.vti``).

Each module has ``frames(manifest, shape, timesteps)`` yielding ``(t, volume)`` in increasing
``t``. Generators never hold more than the current state; the simulators step from timestep 0 up
to the last requested one and yield the requested ones on the way.

:func:`write_volumes` writes ``DIR/t{k:04d}.npy`` per timestep and then ``DIR/meta.json``::

    {"dataset": NAME, "source": KIND, "manifest": PATH, "shape": [X, Y, Z],
     "timesteps": [k, ...], "scalar": "velocity magnitude",
     "min": {"k": value, ...}, "max": {"k": value, ...}}

``min``/``max`` are keyed by the timestep as a string (JSON object keys). Every file is written
under a temporary name and renamed; ``meta.json`` comes last, so a folder without it is incomplete.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from render.basics.atomic import save_npy, write_json
from render.basics.errors import FCNRError
from render.manifest import used_timesteps

SOURCES = {
    "tornado": "render.volumes.tornado",
    "vortex": "render.volumes.vortex",
    "tangaroa": "render.volumes.tangaroa",
    "raw": "render.volumes.raw",
}


def shrunk_shape(shape: Sequence[int], max_side: int | None) -> list[int]:
    """Returns ``shape`` scaled so its longest side is at most ``max_side`` (proportions kept, sides of 8 or more)."""
    if max_side is None or max(shape) <= max_side:
        return [int(n) for n in shape]
    return [max(8, round(n * max_side / max(shape))) for n in shape]


def volume_file(out_dir: str | os.PathLike, t: int) -> Path:
    """Returns the path of timestep ``t``'s volume in ``out_dir``."""
    return Path(out_dir) / f"t{t:04d}.npy"


def check_timesteps(manifest: dict[str, Any], timesteps: Sequence[int]) -> list[int]:
    """Returns ``timesteps`` sorted, or raises an FCNRError if one is outside the dataset."""
    total = manifest["total_timesteps"]
    bad = [t for t in timesteps if not 0 <= t < total]
    if bad:
        raise FCNRError(
            f"{manifest['name']}: timestep {bad[0]} is outside 0..{total - 1} "
            f"(total_timesteps in {manifest.get('path', 'the manifest')})"
        )
    if not timesteps:
        raise FCNRError(f"{manifest['name']}: no timesteps selected")
    return sorted(set(timesteps))


def source_params(manifest: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Returns ``defaults`` updated by the manifest's ``source.params``; unknown keys are errors."""
    given = manifest["source"].get("params", {}) or {}
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise FCNRError(
            f"{manifest.get('path', manifest['name'])}: source.params.{unknown[0]}: unknown "
            f"parameter of source kind {manifest['source']['kind']}; known: {', '.join(defaults)}"
        )
    return {**defaults, **given}


def check_finite(volume: np.ndarray, where: str) -> None:
    """Raises an FCNRError naming ``where`` if ``volume`` holds NaN or Inf."""
    finite = np.isfinite(volume)
    if not finite.all():
        nan = int(np.isnan(volume).sum())
        inf = int(volume.size - finite.sum()) - nan
        raise FCNRError(f"{where}: volume holds {nan} NaN and {inf} Inf values; fix the source data")


def volume_source(
    manifest: dict[str, Any],
    shape: Sequence[int] | None = None,
    timesteps: Sequence[int] | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yields ``(t, float32 volume [x, y, z])`` for each timestep (default: the used ones)."""
    shape = tuple(int(n) for n in (shape or manifest["shape"]))
    if len(shape) != 3 or min(shape) < 2:
        raise FCNRError(f"{manifest['name']}: shape must be three sizes >= 2, got {list(shape)}")
    steps = check_timesteps(manifest, used_timesteps(manifest) if timesteps is None else timesteps)
    module = importlib.import_module(SOURCES[manifest["source"]["kind"]])
    for t, volume in module.frames(manifest, shape, steps):
        assert volume.shape == shape and volume.dtype == np.float32, (volume.shape, volume.dtype)
        yield t, volume


def write_volumes(
    manifest: dict[str, Any],
    out_dir: str | os.PathLike,
    shape: Sequence[int] | None = None,
    timesteps: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Returns the meta dict after writing each timestep's ``.npy`` and ``meta.json`` to ``out_dir``."""
    out_dir = Path(out_dir)
    shape = [int(n) for n in (shape or manifest["shape"])]
    meta: dict[str, Any] = {
        "dataset": manifest["name"],
        "source": manifest["source"]["kind"],
        "manifest": manifest.get("path"),
        "shape": shape,
        "timesteps": [],
        "scalar": manifest["scalar"],
        "min": {},
        "max": {},
    }
    # A meta.json from an earlier run would vouch for volumes this run may not finish rewriting.
    (out_dir / "meta.json").unlink(missing_ok=True)
    for t, volume in volume_source(manifest, shape, timesteps):
        check_finite(volume, f"dataset {manifest['name']}, timestep {t}")
        save_npy(volume_file(out_dir, t), volume)
        meta["timesteps"].append(t)
        meta["min"][str(t)] = float(volume.min())
        meta["max"][str(t)] = float(volume.max())
    write_json(out_dir / "meta.json", meta)
    return meta
