"""A spec-D database as this project's images: ``IMAGES/t{k:04d}/v{view:04d}.png`` and views.csv.

- **Time**: the ``time`` column (or ``timestep``, as ParaView 5.5-5.8 wrote it); timestep k is
  the k-th distinct value in increasing order, whatever the values are.
- **Cameras**: ``phi`` and ``theta`` in the convention given, stated in ``fcnr-cinema.json``,
  or detected (``fcnr.cinema.cameras.detect``), mapped to directions in the data's axes
  (VisIt's integer degrees read as the exact angles it rendered).
- **Views**: the distinct directions (within 1e-9 in cosine), sorted by theta then phi and
  numbered as ``fcnr views`` numbers its own, so pairs come from the same sort-then-pair rule.
  A row whose direction repeats an earlier row's at the same time is dropped: VisIt's phi 180
  repeats -180, and at its poles every phi looks along one axis; ParaView's full theta circle
  visits each direction twice. Every time needs every view.
- **Other parameter columns** (``producer``, an isovalue, ...): rows that share a time and a
  direction must agree on them; otherwise ``where`` (``--where producer=PNG1``) picks the rows.
- **Images**: one FILE column (the first unless named), relative paths to files inside the
  database, all of one size; written as RGB PNG (an alpha channel is dropped).

A problem stops the import with a message naming data.csv's row and column.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from fcnr.cinema import cameras, sidecar
from fcnr.cinema.database import Table, read_table
from fcnr.images import image_path, read_image, timestep_dir, write_image
from render.basics.errors import FCNRError
from render.views import SNAP, sorted_views

TIME_COLUMNS = ("time", "timestep")
CAMERA_COLUMNS = ("phi", "theta")
INFORMATIONAL = ("view",)  # written by fcnr cinema export; the directions define the views
SAME_DIRECTION = 1e-9  # 1 - cos(angle) below which two cameras are one view (about 0.0026 degrees)


@dataclass
class Plan:
    """What an import writes: timesteps, views and the database file of every (timestep, view)."""

    table: Table
    convention: str
    why: str
    column: str
    times: list[float]
    views: np.ndarray
    files: dict[tuple[int, int], tuple[int, Path]]  # (timestep, view) -> (data row, file)
    duplicates: int
    unpaired: int | None

    def timesteps(self, only: int | None = None) -> list[int]:
        """Returns the timesteps to import: all, or ``only`` after checking the database has it."""
        if only is None:
            return list(range(len(self.times)))
        if not 0 <= only < len(self.times):
            raise FCNRError(f"{self.table.csv_path}: timestep {only} does not exist; the database has "
                            f"{len(self.times)} times, timesteps 0..{len(self.times) - 1}")  # fmt: skip
        return [only]

    def summary(self) -> str:
        """Returns a paragraph saying what was read and how."""
        dropped = f"; dropped {self.duplicates} rows that repeat a camera" if self.duplicates else ""
        unpaired = f"; dropped view {self.unpaired}, left without a pair" if self.unpaired is not None else ""
        times = ", ".join(f"{t:g}" for t in self.times[:4]) + (", ..." if len(self.times) > 4 else "")
        return (f"{self.table.csv_path}: {len(self.table.rows)} rows, camera convention {self.convention} "
                f"({self.why}), column {self.column}; {len(self.times)} times ({times}) -> timesteps "
                f"0..{len(self.times) - 1}; {len(self.views)} views{dropped}{unpaired}")  # fmt: skip


def plan_import(
    cdb: str | os.PathLike, convention: str = "auto", column: str | None = None,
    where: Mapping[str, str] | None = None, drop_unpaired: bool = False,
) -> Plan:  # fmt: skip
    """Returns the import plan of the database ``cdb`` (data.csv only; image files are not opened)."""
    table = read_table(cdb)
    time_column = _time_column(table)
    column = _file_column(table, column)
    rows = _selected_rows(table, where or {})
    phi_all, theta_all = table.numbers("phi"), table.numbers("theta")
    phi, theta = [phi_all[i] for i in rows], [theta_all[i] for i in rows]
    convention, why = _convention(table, convention, phi, theta)
    if convention == "visit":
        phi, theta = cameras.visit_rendered(phi, -180.0, 180.0), cameras.visit_rendered(theta, -90.0, 90.0)
    for name, values in (("phi", phi), ("theta", theta)):
        bad = cameras.out_of_range(convention, name, values)
        if bad is not None:
            raise FCNRError(f"{table.where(rows[bad], name)}: {values[bad]:g} is outside {convention}'s "
                            f"{cameras.describe_range(convention, name)}; is the convention right?")  # fmt: skip
    time_all = table.numbers(time_column)
    times = [time_all[i] for i in rows]
    ids, unique = _cluster(cameras.directions(convention, phi, theta))
    keep, duplicates = _first_per_camera(table, rows, times, ids)
    distinct = sorted(set(times))
    _check_complete(table, rows, times, ids, len(unique), distinct, phi, theta)
    views, rank = _views(unique)
    unpaired = None
    if len(views) % 2:
        if not drop_unpaired:
            raise FCNRError(
                f"{table.csv_path}: {len(views)} distinct cameras; FCNR codes views in pairs, so the count must be "
                "even. Drop the last view in sort order with --drop-unpaired (manifest: source.drop_unpaired: true)"
            )
        unpaired = int(views["index"][-1])
        views = views[:-1]
    step = {t: k for k, t in enumerate(distinct)}
    files = {}
    for j in keep:
        view = rank[ids[j]]
        if view != unpaired:
            files[(step[times[j]], view)] = (rows[j], _file(table, rows[j], column))
    return Plan(table, convention, why, column, distinct, views, files, duplicates, unpaired)


def _time_column(table: Table) -> str:
    found = [c for c in TIME_COLUMNS if c in table.header]
    if not found:
        raise FCNRError(f"{table.csv_path}: header (row 1): no time column ({' or '.join(TIME_COLUMNS)}); "
                        f"columns: {', '.join(table.header)}")  # fmt: skip
    missing = [c for c in CAMERA_COLUMNS if c not in table.header]
    if missing:
        raise FCNRError(f"{table.csv_path}: header (row 1): no camera column {' and '.join(missing)} (columns: "
                        f"{', '.join(table.header)}); FCNR needs images from several views")  # fmt: skip
    return found[0]


def _file_column(table: Table, column: str | None) -> str:
    if not table.file_columns:
        raise FCNRError(f"{table.csv_path}: header (row 1): no FILE column (columns: {', '.join(table.header)})")
    if column is None:
        return table.file_columns[0]
    if column not in table.file_columns:
        raise FCNRError(f"{table.csv_path}: header (row 1): no FILE column {column!r}; "
                        f"it has {', '.join(table.file_columns)}")  # fmt: skip
    return column


def _selected_rows(table: Table, where: Mapping[str, str]) -> list[int]:
    rows = list(range(len(table.rows)))
    for name, wanted in where.items():
        if name not in table.header:
            raise FCNRError(f"{table.csv_path}: header (row 1): no column {name!r} to select on "
                            f"(columns: {', '.join(table.header)})")  # fmt: skip
        values = table.column(name)
        rows = [i for i in rows if _same(values[i], str(wanted))]
        if not rows:
            shown = ", ".join(sorted(set(values))[:5])
            raise FCNRError(f"{table.csv_path}: no row has {name}={wanted} (column {name} has {shown})")
    return rows


def _same(text: str, wanted: str) -> bool:
    if text == wanted:
        return True
    try:
        return float(text) == float(wanted)
    except ValueError:
        return False


def _convention(table: Table, given: str, phi: list[float], theta: list[float]) -> tuple[str, str]:
    if given != "auto":
        if given not in cameras.CONVENTIONS:
            raise FCNRError(f"unknown camera convention {given!r}; use auto, {', '.join(cameras.CONVENTIONS)}")
        return given, "given"
    stated = sidecar.read_convention(table.cdb)
    if stated is not None:
        return stated, f"stated in {sidecar.NAME}"
    detected = cameras.detect(table.header, phi, theta)
    if detected is None:
        raise FCNRError(
            f"{table.csv_path}: cannot tell the camera convention: phi in [{min(phi):g}, {max(phi):g}] and theta in "
            f"[{min(theta):g}, {max(theta):g}] fit ParaView's and VisIt's; pass --convention paraview or visit "
            "(manifest: source.convention)"
        )
    return detected


def _cluster(directions: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Returns each row's camera id and the distinct directions, in order of first appearance."""
    unique = np.empty_like(directions)
    ids, count = [], 0
    for d in directions:
        if count:
            cosines = unique[:count] @ d
            best = int(np.argmax(cosines))
            if cosines[best] > 1.0 - SAME_DIRECTION:
                ids.append(best)
                continue
        unique[count] = d
        ids.append(count)
        count += 1
    return ids, unique[:count]


def _first_per_camera(table: Table, rows: list[int], times: list[float], ids: list[int]) -> tuple[list[int], int]:
    """Returns the selected rows to keep (the first of each time and camera) and how many repeat one."""
    parameters = [k for k, c in enumerate(table.header)
                  if c not in (*TIME_COLUMNS, *CAMERA_COLUMNS, *INFORMATIONAL) and not c.startswith("FILE")]  # fmt: skip
    first: dict[tuple[float, int], int] = {}
    keep = []
    for j, key in enumerate(zip(times, ids)):
        if key not in first:
            first[key] = j
            keep.append(j)
            continue
        a, b = table.rows[rows[first[key]]], table.rows[rows[j]]
        for k in parameters:
            if a[k] != b[k]:
                name = table.header[k]
                raise FCNRError(
                    f"{table.where(rows[j], name)}: this row shows the same time and camera as row "
                    f"{rows[first[key]] + 2} but column {name} differs ({a[k]!r}, {b[k]!r}); pick one with "
                    f"--where {name}={a[k]} (manifest: source.where)"
                )
    return keep, len(times) - len(keep)


def _check_complete(table, rows, times, ids, cameras_count, distinct, phi, theta) -> None:
    seen = {(t, c) for t, c in zip(times, ids)}
    first_row = {}
    for j, c in enumerate(ids):
        first_row.setdefault(c, j)
    for t in distinct:
        for c in range(cameras_count):
            if (t, c) not in seen:
                j = first_row[c]
                raise FCNRError(f"{table.csv_path}: time {t:g} has no image from the camera of row {rows[j] + 2} "
                                f"(phi {phi[j]:g}, theta {theta[j]:g}); every time needs every view")  # fmt: skip


def _views(unique: np.ndarray) -> tuple[np.ndarray, dict[int, int]]:
    """Returns the distinct directions as sorted views (as ``fcnr views`` sorts its own), and {camera id: view index}."""
    views, order = sorted_views(np.where(np.abs(unique) < SNAP, 0.0, unique))  # 1e-17s from trigonometry are 0
    return views, {int(c): k for k, c in enumerate(order)}


def _file(table: Table, row: int, column: str) -> Path:
    text = table.rows[row][table.header.index(column)]
    where = table.where(row, column)
    if not text:
        raise FCNRError(f"{where}: empty; every row needs its image")
    if "://" in text:
        raise FCNRError(f"{where}: {text} is a URI; only files inside the database are imported")
    if Path(text).is_absolute():
        raise FCNRError(f"{where}: {text} is an absolute path; spec D paths are relative to the .cdb folder")
    return table.cdb / text


def check_images(plan: Plan, timesteps: Iterable[int] | None = None) -> tuple[int, int]:
    """Returns the (width, height) every image of ``timesteps`` (default all) has; FCNRError otherwise."""
    wanted = None if timesteps is None else set(timesteps)
    size, first = None, None
    chosen = [(row, path) for (t, _), (row, path) in plan.files.items() if wanted is None or t in wanted]
    for row, path in sorted(chosen):  # in data.csv's order, so "first" is the first row that counts
        where = plan.table.where(row, plan.column)
        try:
            with Image.open(path) as im:
                this = im.size
        except FileNotFoundError:
            raise FCNRError(f"{where}: {path} does not exist") from None
        except (OSError, UnidentifiedImageError) as exc:
            raise FCNRError(f"{where}: {path} is not a readable image ({exc})") from exc
        if size is None:
            size, first = this, row
        elif this != size:
            raise FCNRError(f"{where}: {path} is {this[0]}x{this[1]}, but row {first + 2}'s image is "
                            f"{size[0]}x{size[1]}; every image needs one size")  # fmt: skip
    return size


def write_images(plan: Plan, out: str | os.PathLike, timesteps: Iterable[int]) -> int:
    """Writes ``out/t{k:04d}/v{view:04d}.png`` of each timestep and returns the number of images."""
    count = 0
    for t in timesteps:
        plan.timesteps(t)
        for view in plan.views["index"]:
            _, path = plan.files[(t, int(view))]
            write_image(image_path(timestep_dir(out, t), int(view)), read_image(path))
            count += 1
    return count
