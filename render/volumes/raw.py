"""User files as a volume source: raw binary, ``.npy`` or ``.vti``, one file per timestep.

Manifest keys under ``source`` (see render/schemas/manifest.schema.yaml): ``format`` (raw, npy,
vti; default from the pattern's suffix), ``pattern`` with a ``{t}`` field (``{t:04d}`` etc.),
relative to the manifest's folder unless absolute, ``timestep_base`` (the number in the file name
of timestep 0). Raw binary also needs ``dims`` [x, y, z] (x varies fastest in the file),
``dtype``, ``byte_order`` and optionally ``header_bytes`` to skip. ``.vti`` reads the point-data
array ``array`` (default: the active scalars, else the first array); a vector array becomes its
magnitude. Volumes whose grid differs from the requested shape are resampled trilinearly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from render.basics.errors import FCNRError
from render.volumes import check_finite
from render.volumes.resample import resample


def timestep_path(manifest: dict[str, Any], t: int) -> Path:
    """Returns the file that holds timestep ``t``."""
    source = manifest["source"]
    if "pattern" not in source:
        raise FCNRError(f"{manifest.get('path', manifest['name'])}: source.pattern is required "
                        "for kind raw (e.g. vorts{t}.data)")
    try:
        name = source["pattern"].format(t=t + source.get("timestep_base", 0))
    except (KeyError, IndexError, ValueError) as exc:
        raise FCNRError(f"{manifest.get('path')}: source.pattern {source['pattern']!r}: "
                        f"use one {{t}} field, e.g. vorts{{t}}.data ({exc})") from exc
    path = Path(name)
    if not path.is_absolute() and manifest.get("path"):
        path = Path(manifest["path"]).parent / path
    return path


def file_format(manifest: dict[str, Any], path: Path) -> str:
    """Returns ``raw``, ``npy`` or ``vti``: source.format, else the file's suffix."""
    fmt = manifest["source"].get("format")
    if fmt:
        return fmt
    return {".npy": "npy", ".vti": "vti"}.get(path.suffix.lower(), "raw")


def read_raw(path: Path, source: dict[str, Any]) -> np.ndarray:
    """Returns the raw binary volume at ``path`` as [x, y, z], checking its size first."""
    for key in ("dims", "dtype"):
        if key not in source:
            raise FCNRError(f"{path}: source.{key} is required to read raw binary files")
    dims = [int(n) for n in source["dims"]]
    order = "<" if source.get("byte_order", "little") == "little" else ">"
    dtype = np.dtype(source["dtype"]).newbyteorder(order)
    header = int(source.get("header_bytes", 0))
    expected = header + int(np.prod(dims)) * dtype.itemsize
    actual = path.stat().st_size
    if actual != expected:
        raise FCNRError(
            f"{path}: file has {actual} bytes, expected {expected} "
            f"({header} header + {'x'.join(map(str, dims))} x {dtype.itemsize}-byte {dtype.name}); "
            "check source.dims, dtype and header_bytes in the manifest"
        )
    data = np.fromfile(path, dtype=dtype, offset=header)
    return data.reshape(dims[::-1]).transpose(2, 1, 0)


def read_npy(path: Path) -> np.ndarray:
    """Returns the 3-D array stored in the ``.npy`` file at ``path`` (indexed [x, y, z])."""
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise FCNRError(f"{path}: not a plain numeric .npy file ({exc})") from exc
    if data.ndim != 3:
        raise FCNRError(f"{path}: expected a 3-D array [x, y, z], got shape {data.shape}")
    return data


def read_vti(path: Path, array: str | None) -> np.ndarray:
    """Returns a point-data array of the VTK image file at ``path`` as [x, y, z]."""
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkIOXML import vtkXMLImageDataReader

    reader = vtkXMLImageDataReader()
    reader.SetFileName(str(path))
    reader.Update()
    image = reader.GetOutput()
    points = image.GetPointData() if image else None
    if points is None or points.GetNumberOfArrays() == 0:
        raise FCNRError(f"{path}: no point-data arrays (is it a VTK ImageData .vti file?)")
    names = [points.GetArrayName(i) for i in range(points.GetNumberOfArrays())]
    if array is not None:
        vtk_array = points.GetArray(array)
        if vtk_array is None:
            raise FCNRError(f"{path}: no point-data array {array!r}; it has {', '.join(names)}")
    else:
        vtk_array = points.GetScalars() or points.GetArray(0)
    data = vtk_to_numpy(vtk_array)
    if data.ndim == 2:
        data = np.linalg.norm(data.astype(np.float64), axis=1)
    nx, ny, nz = image.GetDimensions()
    return data.reshape(nz, ny, nx).transpose(2, 1, 0)


def read_volume(manifest: dict[str, Any], t: int) -> np.ndarray:
    """Returns timestep ``t``'s volume as float32 [x, y, z] on its own grid."""
    path = timestep_path(manifest, t)
    if not path.is_file():
        raise FCNRError(f"{path}: file of timestep {t} not found (source.pattern in "
                        f"{manifest.get('path', manifest['name'])})")
    fmt = file_format(manifest, path)
    if fmt == "raw":
        data = read_raw(path, manifest["source"])
    elif fmt == "npy":
        data = read_npy(path)
    else:
        data = read_vti(path, manifest["source"].get("array"))
    volume = np.ascontiguousarray(data, dtype=np.float32)
    check_finite(volume, f"{path} (dataset {manifest['name']}, timestep {t})")
    return volume


def frames(
    manifest: dict[str, Any], shape: tuple[int, int, int], timesteps: Iterable[int]
) -> Iterator[tuple[int, np.ndarray]]:
    """Yields ``(t, volume)`` read from the user's files, resampled to ``shape`` when needed."""
    for t in timesteps:
        yield t, resample(read_volume(manifest, t), shape)
