"""Rendering a volume from many views into PNG files, in one or several processes."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

import numpy as np

from render.basics.atomic import write_bytes
from render.basics.errors import FCNRError
from render.transfer import peak_opacity
from render.volumes import check_finite

MODES = ("ir", "dvr")


def load_volume(path: str | os.PathLike) -> np.ndarray:
    """Returns the 3-D float32 volume ([x, y, z]) stored in the ``.npy`` file at ``path``."""
    path = Path(path)
    if not path.is_file():
        raise FCNRError(f"{path}: volume not found; write it with `fcnr volumes`")
    try:
        volume = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise FCNRError(f"{path}: not a readable .npy volume: {exc}") from exc
    if volume.ndim != 3 or min(volume.shape) < 2 or not np.issubdtype(volume.dtype, np.number):
        raise FCNRError(f"{path}: expected a 3-D numeric array of at least 2^3 voxels, "
                        f"got shape {volume.shape} dtype {volume.dtype}")  # fmt: skip
    volume = volume.astype(np.float32, copy=False)
    check_finite(volume, str(path))
    return volume


def check_settings(
    volume: np.ndarray, mode: str, manifest: dict[str, Any], volume_name: str
) -> None:
    """Raises an FCNRError when ``mode`` is unknown or the settings would render empty images."""
    if mode not in MODES:
        raise FCNRError(f"unknown render mode {mode!r}; use one of {', '.join(MODES)}")
    settings, source = manifest["render"], manifest.get("path", manifest["name"])
    lo, hi = float(volume.min()), float(volume.max())
    if mode == "ir":
        iso = float(settings["isovalue"])
        if not lo < iso < hi:
            raise FCNRError(
                f"dataset {manifest['name']}: isovalue {iso:g} lies outside the range "
                f"[{lo:g}, {hi:g}] of {volume_name}, so the isosurface would be empty; "
                f"set render.isovalue in {source} to a value inside the range"
            )
    elif peak_opacity(settings["dvr"], lo, hi, source) <= 0.0:
        raise FCNRError(
            f"dataset {manifest['name']}: render.dvr.opacity is zero over the range "
            f"[{lo:g}, {hi:g}] of {volume_name}, so DVR images would be empty; edit {source}"
        )


def png_bytes(image: np.ndarray) -> bytes:
    """Returns ``image`` (H x W x 3 uint8) encoded as PNG."""
    import imageio.v3 as iio

    return iio.imwrite("<bytes>", image, extension=".png")


def image_name(index: int) -> str:
    """Returns the file name of view ``index``'s image."""
    return f"v{index:04d}.png"


def render_chunk(
    volume_path: str, mode: str, manifest: dict[str, Any], views: np.ndarray, size: int, out: str,
    threads: int | None = None,
) -> int:  # fmt: skip
    """Renders ``views`` into ``out``/v{index:04d}.png with one pipeline; returns the image count.

    ``threads`` caps Mesa llvmpipe's render threads (unless $LP_NUM_THREADS is set), so that
    worker processes share the CPU cores instead of oversubscribing them. Raises an FCNRError
    for an image of one flat colour (nothing but background) instead of writing it.
    """
    if threads:
        os.environ.setdefault("LP_NUM_THREADS", str(threads))
    from render.scene import Scene

    volume = load_volume(volume_path)
    scene = Scene(volume, mode, manifest["render"], size, manifest.get("path", manifest["name"]))
    try:
        for view in views:
            image = scene.render(float(view["theta"]), float(view["phi"]))
            if np.all(image == image[0, 0]):
                raise FCNRError(
                    f"{volume_path}: view {int(view['index'])} rendered as background only "
                    f"({mode}); check the dataset's render settings in {manifest.get('path')}"
                )
            write_bytes(Path(out) / image_name(int(view["index"])), png_bytes(image))
    finally:
        scene.close()
    return len(views)


def render_views(
    volume_path: str | os.PathLike,
    mode: str,
    manifest: dict[str, Any],
    views: np.ndarray,
    size: int,
    out: str | os.PathLike,
    workers: int = 1,
) -> int:
    """Renders every view of the volume into ``out``; returns the number of images written.

    The volume and settings are checked first. With ``workers`` > 1 the views are dealt
    round-robin to that many spawned processes, each with its own pipeline; a worker's error
    stops the run.
    """
    if size < 16:
        raise FCNRError(f"image size must be at least 16 pixels, got {size}")
    if workers < 1:
        raise FCNRError(f"--workers must be at least 1, got {workers}")
    volume_path = str(volume_path)
    check_settings(load_volume(volume_path), mode, manifest, volume_path)
    Path(out).mkdir(parents=True, exist_ok=True)
    workers = max(1, min(workers, len(views)))
    if workers == 1:
        return render_chunk(volume_path, mode, manifest, views, size, str(out))
    threads = max(1, (os.cpu_count() or 1) // workers)
    jobs = [(volume_path, mode, manifest, views[w::workers], size, str(out), threads)
            for w in range(workers)]  # fmt: skip
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        return sum(pool.starmap(render_chunk, jobs))
