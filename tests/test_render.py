"""Headless IR and DVR rendering of a small synthetic volume, determinism and bad input."""

import imageio.v3 as iio
import numpy as np
import pytest

from fcnr.cli import main
from render.basics.errors import FCNRError
from render.manifest import load_manifest
from render.rendering import load_volume, render_chunk, render_views
from render.scene import Scene
from render.views import icosphere_views, write_views

SIZE = 64

MANIFEST = """\
name: blobs
source: {kind: raw, format: npy, pattern: "blobs{t}.npy"}
shape: [32, 32, 32]
total_timesteps: 1
timesteps: {start: 0, count: 1}
scalar: density
render:
  isovalue: ISO
  dvr:
    colormap: viridis
    scalar_range: [0.0, 1.0]
    opacity: OPACITY
"""


def blobs(n=32):
    """Returns three Gaussian blobs of different sizes, off-centre, values in [0, 1)."""
    x, y, z = np.meshgrid(*[np.linspace(0.0, 1.0, n)] * 3, indexing="ij")
    volume = np.zeros((n, n, n))
    for (cx, cy, cz), s, a in [((0.3, 0.35, 0.4), 0.12, 1.0), ((0.7, 0.6, 0.55), 0.1, 0.8),
                               ((0.5, 0.5, 0.8), 0.07, 0.6)]:  # fmt: skip
        volume += a * np.exp(-((x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2) / (2 * s * s))
    return volume.astype(np.float32)


def write_manifest(folder, iso=0.4, opacity="[[0.0, 0.0], [0.2, 0.02], [1.0, 0.5]]"):
    path = folder / "blobs.yaml"
    path.write_text(MANIFEST.replace("ISO", str(iso)).replace("OPACITY", opacity))
    return path


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("render")
    np.save(folder / "blobs.npy", blobs())
    write_views(icosphere_views(1), folder / "views.csv")
    return folder, write_manifest(folder)


def render_cli(folder, manifest, mode, out, *extra):
    return main(["render", str(folder / "blobs.npy"), "--dataset", str(manifest), "--mode", mode,
                 "--views", str(folder / "views.csv"), "--size", str(SIZE), "--out", str(out),
                 *extra])  # fmt: skip


@pytest.fixture(scope="module", params=["ir", "dvr"])
def rendered(request, setup):
    folder, manifest = setup
    out = folder / request.param
    assert render_cli(folder, manifest, request.param, out) == 0
    return request.param, out


def test_every_view_written_as_rgb_png(rendered):
    _, out = rendered
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"v{k:04d}.png" for k in range(12)]
    image = iio.imread(out / "v0000.png")
    assert image.shape == (SIZE, SIZE, 3) and image.dtype == np.uint8


def test_images_are_not_empty_and_depend_on_the_view(rendered):
    _, out = rendered
    images = [iio.imread(out / f"v{k:04d}.png") for k in range(12)]
    for image in images:
        foreground = np.any(image != 255, axis=2)  # white background
        assert 0.005 < foreground.mean() < 0.9
        # The whole object is framed: nothing touches the image border.
        assert not (foreground[0].any() or foreground[-1].any()
                    or foreground[:, 0].any() or foreground[:, -1].any())  # fmt: skip
    distinct = {image.tobytes() for image in images}
    assert len(distinct) == 12


def test_rendering_is_deterministic(rendered, setup):
    mode, out = rendered
    folder, manifest = setup
    again = folder / f"{mode}-again"
    render_cli(folder, manifest, mode, again)
    for k in range(12):
        name = f"v{k:04d}.png"
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_two_workers_write_the_same_bytes(setup, rendered):
    mode, out = rendered
    folder, manifest = setup
    split = folder / f"{mode}-workers"
    assert render_cli(folder, manifest, mode, split, "--workers", "2") == 0
    for k in range(12):
        name = f"v{k:04d}.png"
        assert (split / name).read_bytes() == (out / name).read_bytes(), name


def test_ir_and_dvr_differ_and_follow_the_settings(setup):
    folder, manifest_path = setup
    manifest = load_manifest(str(manifest_path))
    volume = load_volume(folder / "blobs.npy")
    settings = manifest["render"]
    ir = Scene(volume, "ir", settings, SIZE).render(1.0, 0.5)
    dvr = Scene(volume, "dvr", settings, SIZE).render(1.0, 0.5)
    assert not np.array_equal(ir, dvr)
    # A larger isovalue gives a smaller surface.
    small = Scene(volume, "ir", dict(settings, isovalue=0.8), SIZE).render(1.0, 0.5)
    assert np.any(small != 255, axis=2).sum() < np.any(ir != 255, axis=2).sum()
    # The background colour comes from the manifest.
    black = Scene(volume, "ir", dict(settings, background=[0.0, 0.0, 0.0]), SIZE).render(1.0, 0.5)
    assert tuple(black[0, 0]) == (0, 0, 0)


def test_missing_volume_names_the_file(setup, tmp_path, capsys):
    folder, manifest = setup
    missing = tmp_path / "nothere.npy"
    code = main(["render", str(missing), "--dataset", str(manifest), "--mode", "ir",
                 "--views", str(folder / "views.csv"), "--out", str(tmp_path / "o")])  # fmt: skip
    assert code == 2
    assert "nothere.npy: volume not found" in capsys.readouterr().err


def test_unreadable_volumes(tmp_path):
    garbage = tmp_path / "garbage.npy"
    garbage.write_bytes(b"not a numpy file")
    with pytest.raises(FCNRError, match="garbage.npy: not a readable .npy volume"):
        load_volume(garbage)
    pickled = tmp_path / "pickled.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(FCNRError, match="pickled.npy"):
        load_volume(pickled)
    flat = tmp_path / "flat.npy"
    np.save(flat, np.zeros((4, 4), np.float32))
    with pytest.raises(FCNRError, match="3-D"):
        load_volume(flat)
    nan = tmp_path / "nan.npy"
    np.save(nan, np.full((3, 3, 3), np.nan, np.float32))
    with pytest.raises(FCNRError, match="NaN"):
        load_volume(nan)


def test_unknown_mode_and_dataset(setup, tmp_path, capsys):
    folder, manifest = setup
    views = icosphere_views(1)
    with pytest.raises(FCNRError, match="unknown render mode 'mip'"):
        render_views(folder / "blobs.npy", "mip", load_manifest(str(manifest)), views, SIZE,
                     tmp_path)  # fmt: skip
    with pytest.raises(SystemExit):  # argparse rejects it before anything runs
        render_cli(folder, manifest, "mip", tmp_path / "o")
    assert render_cli(folder, "no-such-dataset", "ir", tmp_path / "o") == 2
    assert "unknown dataset 'no-such-dataset'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_isovalue_outside_range_names_dataset_value_and_range(setup, tmp_path):
    folder, _ = setup
    manifest = load_manifest(str(write_manifest(tmp_path, iso=2.5)))
    with pytest.raises(FCNRError, match=r"dataset blobs: isovalue 2.5 .*range \[[0-9.e-]+, 0.99"):
        render_views(folder / "blobs.npy", "ir", manifest, icosphere_views(1), SIZE, tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_dvr_opacity_zero_over_the_range_is_an_error(setup, tmp_path):
    folder, _ = setup
    manifest = load_manifest(str(write_manifest(tmp_path, opacity="[[2.0, 0.0], [3.0, 0.5]]")))
    with pytest.raises(FCNRError, match="opacity is zero over the range"):
        render_views(folder / "blobs.npy", "dvr", manifest, icosphere_views(1), SIZE,
                     tmp_path / "o")  # fmt: skip


def test_an_empty_image_stops_the_run_instead_of_being_written(setup, tmp_path):
    folder, _ = setup
    # Bypasses the settings check, as a wrong manifest that slipped through would.
    manifest = load_manifest(str(write_manifest(tmp_path, iso=2.5)))
    with pytest.raises(FCNRError, match="view 0 rendered as background only"):
        render_chunk(str(folder / "blobs.npy"), "ir", manifest, icosphere_views(1), SIZE,
                     str(tmp_path))  # fmt: skip
    assert not list(tmp_path.glob("*.png"))
