"""Camera views: the vertices of a geodesic icosphere, sorted and paired as in the paper.

A frequency-``f`` icosphere splits every icosahedron edge into ``f`` segments, fills each face
with the matching triangular lattice and pushes every lattice point onto the unit sphere:
10 f^2 + 2 views (f = 9 gives the paper's 812). Views are sorted by the polar angle theta
(from +z, in [0, pi]), then by the azimuth phi (in [0, 2 pi)); view 2j and 2j+1 form pair j.

The icosahedron stands with an edge across each pole (vertices at (0, +-1, +-g) and cyclic
permutations, g the golden ratio), so every ring of equal theta holds an even number of views
and, for odd f (f = 9 included), both views of every pair share theta, as the paper's pairs
(theta, phi_l), (theta, phi_r) do. Even f puts a view on each pole.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

from render.basics.atomic import write_text
from render.basics.errors import FCNRError

COLUMNS = ("index", "theta", "phi", "x", "y", "z")
VIEW_DTYPE = np.dtype([("index", "i8")] + [(name, "f8") for name in COLUMNS[1:]])

# Angles closer than this count as equal when sorting, so views that are equal by symmetry
# sort the same way on every machine whatever their last bits.
ANGLE_TIE = 1e-9
# Coordinates this close to zero are zero (symmetric points computed along different paths).
SNAP = 1e-12


def icosahedron() -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """Returns the 12 unit vertices and 20 faces (vertex index triples) of the icosahedron."""
    g = (1.0 + 5.0**0.5) / 2.0
    raw = [(-1, g, 0), (1, g, 0), (-1, -g, 0), (1, -g, 0),
           (0, -1, g), (0, 1, g), (0, -1, -g), (0, 1, -g),
           (g, 0, -1), (g, 0, 1), (-g, 0, -1), (-g, 0, 1)]  # fmt: skip
    vertices = np.array(raw, dtype=np.float64)
    vertices /= np.linalg.norm(vertices, axis=1, keepdims=True)
    faces = [(0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11),
             (1, 5, 9), (5, 11, 4), (11, 10, 2), (10, 7, 6), (7, 1, 8),
             (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8), (3, 8, 9),
             (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1)]  # fmt: skip
    return vertices, faces


def icosphere_points(frequency: int) -> np.ndarray:
    """Returns the 10 f^2 + 2 unit vectors of the frequency-``f`` geodesic icosphere (unsorted).

    Every point is built exactly once (the 12 corners, the interior points of the 30 edges, the
    interior points of the 20 faces), so no floating-point de-duplication is needed.
    """
    if frequency < 1:
        raise FCNRError(f"icosphere frequency must be at least 1, got {frequency}")
    f = frequency
    vertices, faces = icosahedron()
    points = [vertices]
    sides = [pair for face in faces for pair in zip(face, face[1:] + face[:1])]
    edges = sorted({tuple(sorted(pair)) for pair in sides})
    steps = np.arange(1, f)[:, None] / f
    for a, b in edges:
        points.append(vertices[a] + steps * (vertices[b] - vertices[a]))
    for a, b, c in faces:
        inner = [(i, j) for i in range(1, f) for j in range(1, f - i)]
        if inner:
            ij = np.array(inner, dtype=np.float64) / f
            points.append(vertices[a] + ij[:, :1] * (vertices[b] - vertices[a])
                          + ij[:, 1:] * (vertices[c] - vertices[a]))  # fmt: skip
    xyz = np.concatenate(points)
    xyz /= np.linalg.norm(xyz, axis=1, keepdims=True)
    xyz[np.abs(xyz) < SNAP] = 0.0
    return xyz


def spherical(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Returns (theta, phi) of unit vectors: theta from +z in [0, pi], phi from +x in [0, 2 pi)."""
    theta = np.arccos(np.clip(xyz[:, 2], -1.0, 1.0))
    phi = np.mod(np.arctan2(xyz[:, 1], xyz[:, 0]), 2.0 * np.pi)
    phi[phi >= 2.0 * np.pi - ANGLE_TIE] = 0.0  # -0 azimuths wrap to 2 pi in float; they are 0
    return theta, phi


def sort_order(theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Returns the permutation sorting views by theta, then phi, with near-equal angles tied."""
    order = np.argsort(theta, kind="stable")
    # Group runs of theta within ANGLE_TIE of the run's first value; rank the groups.
    group = np.zeros(len(order), dtype=np.int64)
    start = theta[order[0]] if len(order) else 0.0
    for k in range(1, len(order)):
        if theta[order[k]] - start > ANGLE_TIE:
            start = theta[order[k]]
            group[k] = group[k - 1] + 1
        else:
            group[k] = group[k - 1]
    theta_rank = np.empty(len(order), dtype=np.int64)
    theta_rank[order] = group
    phi_key = np.round(phi / ANGLE_TIE)
    return np.lexsort((phi_key, theta_rank))


def sorted_views(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Returns unit vectors as ``VIEW_DTYPE`` views sorted (and indexed) by theta then phi, and the
    permutation: view k is ``xyz[order[k]]``."""
    theta, phi = spherical(xyz)
    order = sort_order(theta, phi)
    views = np.zeros(len(xyz), dtype=VIEW_DTYPE)
    views["index"] = np.arange(len(xyz))
    views["theta"], views["phi"] = theta[order], phi[order]
    views["x"], views["y"], views["z"] = xyz[order].T
    return views, order


def icosphere_views(frequency: int) -> np.ndarray:
    """Returns the sorted views of the frequency-``f`` icosphere as ``VIEW_DTYPE`` records."""
    return sorted_views(icosphere_points(frequency))[0]


def views_csv(views: np.ndarray) -> str:
    """Returns ``views`` as CSV text with header ``index,theta,phi,x,y,z`` (floats round-trip)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in views:
        writer.writerow([int(row["index"])] + [repr(float(row[c])) for c in COLUMNS[1:]])
    return out.getvalue()


def write_views(views: np.ndarray, path: str | os.PathLike) -> None:
    """Writes ``views`` to ``path`` as CSV, atomically."""
    write_text(path, views_csv(views))


def read_views(path: str | os.PathLike) -> np.ndarray:
    """Returns the views stored in the CSV at ``path`` as a ``VIEW_DTYPE`` record array."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise FCNRError(f"{path}: cannot read views: {exc.strerror or exc}") from exc
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(rows[0]) != COLUMNS:
        found = ",".join(rows[0]) if rows else "an empty file"
        raise FCNRError(f"{path}: expected header {','.join(COLUMNS)}, found {found}; "
                        "write it with `fcnr views`")  # fmt: skip
    views = np.zeros(len(rows) - 1, dtype=VIEW_DTYPE)
    for k, row in enumerate(rows[1:]):
        try:
            if len(row) != len(COLUMNS):
                raise ValueError(f"{len(row)} fields instead of {len(COLUMNS)}")
            views[k] = (int(row[0]), *map(float, row[1:]))
        except ValueError as exc:
            raise FCNRError(f"{path}: line {k + 2}: {exc}") from exc
    if len(views) == 0:
        raise FCNRError(f"{path}: no views")
    if len(np.unique(views["index"])) != len(views):
        raise FCNRError(f"{path}: view indices are not unique")
    return views


def view_pairs(views: np.ndarray) -> list[tuple[int, int]]:
    """Returns the (left, right) view indices of each pair: rows 2j and 2j+1."""
    if len(views) % 2:
        raise FCNRError(f"{len(views)} views cannot form pairs; the count must be even")
    index = views["index"]
    return [(int(index[2 * j]), int(index[2 * j + 1])) for j in range(len(views) // 2)]
