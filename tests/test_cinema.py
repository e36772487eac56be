"""Cinema databases: export then import (views and bytes survive), ParaView- and VisIt-style
databases as those writers lay them out, and databases refused with the row and column named."""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from fcnr.cinema.importing import check_images, plan_import
from fcnr.cli import main
from fcnr.images import read_image, write_image
from render.basics.errors import FCNRError
from render.views import read_views


def cinema_import(cdb: Path, tmp: Path, *options: str) -> tuple[np.ndarray, Path]:
    """Runs ``fcnr cinema import`` into ``tmp``; returns the views written and the images root."""
    assert main(["cinema", "import", str(cdb), "--out", str(tmp / "images"), "--views", str(tmp / "views.csv"),
                 *options]) == 0  # fmt: skip
    return read_views(tmp / "views.csv"), tmp / "images"


def write_db(cdb: Path, header: list[str], rows: list[list[str]], images: dict[str, np.ndarray]) -> Path:
    """Writes a database: data.csv as given and the images under their FILE paths."""
    cdb.mkdir(parents=True, exist_ok=True)
    with open(cdb / "data.csv", "w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *rows])
    for name, image in images.items():
        write_image(cdb / name, image)
    return cdb


def marker(k: int, size: int = 24) -> np.ndarray:
    """Returns an image that identifies row ``k`` of a database."""
    rng = np.random.default_rng(k)
    return rng.integers(0, 256, (size, size, 3), dtype=np.uint8)


def nearest(views: np.ndarray, direction) -> int:
    xyz = np.stack([views["x"], views["y"], views["z"]], axis=1)
    return int(views["index"][np.argmax(xyz @ np.asarray(direction, dtype=float))])


# ---- export, then import ----------------------------------------------------------------------


@pytest.mark.parametrize("source", ["decoded", "truth"])
def test_export_then_import_gives_back_the_views_and_the_bytes(tiny_run, tmp_path, source):
    cdb = tmp_path / "tiny-ir.cdb"
    assert main(["cinema", "export", str(tiny_run), "--mode", "ir", "--out", str(cdb), "--source", source,
                 "--device", "cpu"]) == 0  # fmt: skip
    with open(cdb / "data.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["time", "view", "phi", "theta", "FILE"] and len(rows) == 1 + 3 * 12
    assert all(re.fullmatch(r"-?\d+\.\d+", cell) for row in rows[1:] for cell in row[2:4])  # spec-D floats
    assert {row[0] for row in rows[1:]} == {"3", "4", "5"}
    sidecar = json.loads((cdb / "fcnr-cinema.json").read_text())
    assert (sidecar["format"], sidecar["version"], sidecar["convention"], sidecar["source"]) == (
        "fcnr-cinema", 1, "fcnr", source)
    assert sidecar["image"] == {"width": 32, "height": 32}

    views, images = cinema_import(cdb, tmp_path)
    original = read_views(tiny_run / "views.csv")
    assert views["index"].tolist() == original["index"].tolist()
    for column in ("theta", "phi", "x", "y", "z"):
        assert np.allclose(views[column], original[column], atol=1e-6), column
    kind = "decoded" if source == "decoded" else "images"
    for k, t in enumerate((3, 4, 5)):  # the run's timesteps 3..5 are the database's 3 times: 0..2
        for view in range(12):
            got = (images / f"t{k:04d}" / f"v{view:04d}.png").read_bytes()
            assert got == (tiny_run / "ir" / kind / f"t{t:04d}" / f"v{view:04d}.png").read_bytes()


def test_export_refuses_a_bad_target(tiny_run, tmp_path, capsys):
    assert main(["cinema", "export", str(tiny_run), "--mode", "ir", "--out", str(tmp_path / "x")]) == 2
    assert "NAME.cdb" in capsys.readouterr().err
    (tmp_path / "full.cdb").mkdir()
    (tmp_path / "full.cdb" / "data.csv").write_text("time,FILE\n")
    assert main(["cinema", "export", str(tiny_run), "--mode", "ir", "--out", str(tmp_path / "full.cdb")]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["cinema", "export", str(tiny_run), "--mode", "xray", "--out", str(tmp_path / "a.cdb")]) == 2
    assert "mode 'xray'" in capsys.readouterr().err


# ---- ParaView: phi,producer,theta,time,FILE_png over [0, 360) ------------------------------------


def paraview_db(root: Path, producers=("PNG1",), phis=(0, 90, 180, 270), thetas=(0, 60, 120, 180, 240, 300),
                times=(0.0, 0.5)) -> tuple[Path, dict[tuple, int]]:  # fmt: skip
    """A database as ParaView's Phi-Theta image extractor and cinemasci's writer lay it out."""
    rows, images, which = [], {}, {}
    for producer in producers:
        for k_t, time in enumerate(times):
            for phi in phis:
                for theta in thetas:
                    name = f"RenderView1_{k_t:06d}p={phi:06.2f}t={theta:06.2f}{producer}.png"
                    which[(producer, time, phi, theta)] = len(rows)
                    images[name] = marker(len(rows))
                    rows.append([f"{phi:06.2f}", producer, f"{theta:06.2f}", f"{time:g}", name])
    return write_db(root / "paraview.cdb", ["phi", "producer", "theta", "time", "FILE_png"], rows, images), which


def test_paraview_database_is_read_with_its_camera_convention(tmp_path):
    cdb, which = paraview_db(tmp_path)
    plan = plan_import(cdb)
    assert (plan.convention, plan.column, plan.times) == ("paraview", "FILE_png", [0.0, 0.5])
    assert "producer" in plan.why
    # A full theta circle visits each direction twice: 24 cameras, 12 views.
    assert len(plan.views) == 12 and plan.duplicates == 2 * 12
    views, images = cinema_import(cdb, tmp_path)
    assert len(views) == 12
    # ParaView's camera starts on +z (phi 0, theta 0), azimuth turns it about +y to +x, elevation lifts it to +y;
    # of two rows with one direction the first is kept: (0, 180) before (180, 0).
    for direction, (phi, theta) in (((0, 0, 1), (0, 0)), ((1, 0, 0), (90, 0)), ((0, 0, -1), (0, 180)),
                                    ((0, math.sin(math.radians(60)), 0.5), (0, 60))):  # fmt: skip
        view = nearest(views, direction)
        xyz = np.array([views[c][view] for c in "xyz"])
        assert np.allclose(xyz, direction, atol=1e-9), (direction, xyz)
        for k, time in enumerate((0.0, 0.5)):
            got = read_image(images / f"t{k:04d}" / f"v{view:04d}.png")
            assert np.array_equal(got, marker(which[("PNG1", time, phi, theta)]))


def test_paraview_rows_that_differ_only_by_producer_need_a_selection(tmp_path):
    cdb, which = paraview_db(tmp_path, producers=("PNG1", "PNG2"), phis=(0, 120, 240), thetas=(0, 45))
    with pytest.raises(FCNRError, match=r"row 14, column producer: .*same time and camera as row 2.*--where producer=PNG1"):
        plan_import(cdb)
    views, images = cinema_import(cdb, tmp_path, "--where", "producer=PNG2")
    assert len(views) == 6
    view = nearest(views, (0, 0, 1))
    assert np.array_equal(read_image(images / "t0001" / f"v{view:04d}.png"), marker(which[("PNG2", 0.5, 0, 0)]))


# ---- VisIt: time,phi,theta,FILE with integer degrees, both poles and +-180 ------------------------


def visit_db(root: Path, nphi: int, ntheta: int, times=(0.0, 0.25, 0.5)) -> tuple[Path, dict[tuple, int]]:
    """A database as ``visit -cinema -specification D -camera phi-theta`` writes it (visitcinema.py)."""
    ideg = lambda rad: int(360.0 * rad / (2.0 * math.pi))  # VisIt's own truncation to integer degrees
    phis = [ideg(-math.pi + 2 * math.pi * k / (nphi - 1)) for k in range(nphi)]
    thetas = [ideg(-math.pi / 2 + math.pi * k / (ntheta - 1)) for k in range(ntheta)]
    rows, images, which = [], {}, {}
    for time in times:
        for phi in phis:
            for theta in thetas:
                name = f"image/phi_{phi}/theta_{theta}/time_{time:e}.png"
                which[(time, phi, theta)] = len(rows)
                images[name] = marker(len(rows))
                rows.append([f"{time:e}", f"{phi:g}", f"{theta:g}", name])
    return write_db(root / "visit.cdb", ["time", "phi", "theta", "FILE"], rows, images), which


def test_visit_database_drops_repeated_cameras(tmp_path):
    cdb, which = visit_db(tmp_path, nphi=5, ntheta=3)  # phi -180 -90 0 90 180, theta -90 0 90
    plan = plan_import(cdb)
    assert plan.convention == "visit" and "negative" in plan.why
    # 15 cameras: 180 repeats -180 (3), and each pole is one direction (2 x 4 repeats): 6 views.
    assert len(plan.views) == 6 and plan.duplicates == 3 * 9
    views, images = cinema_import(cdb, tmp_path)
    # VisIt's view normal (cos t sin p, sin t, -cos t cos p): phi 0 looks from -z, phi 90 from +x, theta 90 from +y.
    for direction, (phi, theta) in (((0, 0, -1), (0, 0)), ((1, 0, 0), (90, 0)), ((0, 0, 1), (-180, 0)),
                                    ((0, 1, 0), (-180, 90)), ((0, -1, 0), (-180, -90))):  # fmt: skip
        view = nearest(views, direction)
        assert np.allclose([views[c][view] for c in "xyz"], direction, atol=1e-9)
        got = read_image(images / "t0002" / f"v{view:04d}.png")
        assert np.array_equal(got, marker(which[(0.5, phi, theta)]))  # the first row of each camera is kept
    assert views["theta"][0] == 0.0 and views["theta"][-1] == pytest.approx(math.pi)  # sorted as fcnr views


def test_visit_truncated_angles_are_read_as_the_linspace_it_rendered(tmp_path):
    cdb, which = visit_db(tmp_path, nphi=12, ntheta=7, times=(0.0,))  # VisIt's defaults
    with open(cdb / "data.csv", newline="") as handle:
        table = list(csv.reader(handle))
    assert {r[1] for r in table[1:]} >= {"-147", "179"} and {r[2] for r in table[1:]} >= {"29", "-60"}
    # 179 is 180 (= -180) and 29 is 30: 11 x 5 + 2 poles = 57 views, an odd count.
    with pytest.raises(FCNRError, match="57 distinct cameras.*--drop-unpaired"):
        plan_import(cdb)
    views, images = cinema_import(cdb, tmp_path, "--drop-unpaired")
    assert len(views) == 56
    # Stored as phi -147, theta 29; rendered at phi -180 + 360/11 = -147.27..., theta 30.
    phi, theta = math.radians(-180 + 360 / 11), math.radians(30)
    rendered = (math.cos(theta) * math.sin(phi), math.sin(theta), -math.cos(theta) * math.cos(phi))
    view = nearest(views, rendered)
    assert np.allclose([views[c][view] for c in "xyz"], rendered, atol=1e-9)
    assert np.array_equal(read_image(images / "t0000" / f"v{view:04d}.png"), marker(which[(0.0, -147, 29)]))


# ---- databases that are refused -------------------------------------------------------------------


def small_db(root: Path, header: list[str], rows: list[list[str]], sizes: dict[str, int] | None = None) -> Path:
    files = [r[-1] for r in rows if r and r[-1] and "://" not in r[-1]]
    return write_db(root / "bad.cdb", header, rows, {f: marker(k, (sizes or {}).get(f, 16)) for k, f in enumerate(files)})


GOOD_ROWS = [["0", "-90", "0", "a.png"], ["0", "90", "0", "b.png"]]


@pytest.mark.parametrize(("header", "rows", "message"), [
    (["phi", "theta", "FILE"], [["0", "0", "a.png"]], r"header \(row 1\): no time column"),
    (["time", "FILE"], [["0", "a.png"]], r"header \(row 1\): no camera column phi and theta"),
    (["time", "phi", "theta"], [["0", "0", "0"]], r"header \(row 1\): no FILE column"),
    (["time", "phi", "FILE", "theta"], [["0", "0", "a.png", "0"]], r"column 'theta' follows a FILE column"),
    (["time", "phi", "theta", "FILE"], [["0", "-90", "zero", "a.png"]], r"row 2, column theta: 'zero' is not a number"),
    (["time", "phi", "theta", "FILE"], [["0", "-90", "0", "a.png"], ["0", "90", "0"]], r"row 3: 3 values"),
    (["time", "phi", "theta", "FILE"], [GOOD_ROWS[0], ["0", "90", "0", "http://x/b.png"]], r"row 3, column FILE: .* URI"),
    (["time", "phi", "theta", "FILE"], [GOOD_ROWS[0], ["0", "90", "0", ""]], r"row 3, column FILE: empty"),
    (["time", "phi", "theta", "FILE"], [["0", "-270", "0", "a.png"]], r"row 2, column phi: -270 is outside visit's"),
    (["time", "phi", "theta", "FILE"], [["0", "30", "10", "a.png"], ["0", "60", "20", "b.png"]],
     r"cannot tell the camera convention.*--convention paraview or visit"),
    (["time", "phi", "theta", "FILE"], [*GOOD_ROWS, ["1", "-90", "0", "c.png"]],
     r"time 1 has no image from the camera of row 3 \(phi 90, theta 0\)"),
])  # fmt: skip
def test_bad_databases_are_refused_naming_the_row_and_column(tmp_path, header, rows, message):
    with pytest.raises(FCNRError, match=message):
        check_images(plan_import(small_db(tmp_path, header, rows)))


def test_missing_files_and_mixed_sizes_name_the_row(tmp_path, capsys):
    cdb = small_db(tmp_path, ["time", "phi", "theta", "FILE"], GOOD_ROWS, sizes={"b.png": 20})
    with pytest.raises(FCNRError, match=r"row 3, column FILE: .*b.png is 20x20, but row 2's image is 16x16"):
        check_images(plan_import(cdb))
    (cdb / "b.png").unlink()
    assert main(["cinema", "import", str(cdb), "--views", str(tmp_path / "v.csv")]) == 2
    assert re.search(r"row 3, column FILE: .*b.png does not exist", capsys.readouterr().err)
    assert not (tmp_path / "v.csv").exists()


def test_import_needs_an_output_and_an_existing_timestep(tmp_path, capsys):
    cdb = small_db(tmp_path, ["time", "phi", "theta", "FILE"], GOOD_ROWS)
    assert main(["cinema", "import", str(cdb)]) == 2
    assert "give --out IMAGES_ROOT, --views VIEWS.csv or both" in capsys.readouterr().err
    assert main(["cinema", "import", str(cdb), "--out", str(tmp_path / "i"), "--timestep", "1"]) == 2
    assert "timestep 1 does not exist; the database has 1 times" in capsys.readouterr().err
    assert main(["cinema", "import", str(tmp_path / "nothing.cdb"), "--views", str(tmp_path / "v.csv")]) == 2
    assert "not a Cinema database (no data.csv)" in capsys.readouterr().err
