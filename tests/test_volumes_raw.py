"""The raw source: user files (raw binary, .npy, .vti) and their bad-input errors."""

from __future__ import annotations

import numpy as np
import pytest

from fcnr.cli import main
from render.basics.errors import FCNRError
from render.manifest import load_manifest
from render.volumes import volume_source

RENDER = "render: {isovalue: 0.5, dvr: {colormap: gray, opacity: [[0, 0], [1, 1]]}}\n"


def write_manifest(folder, source, shape=(5, 4, 3), total=2):
    path = folder / "user.yaml"
    path.write_text(
        f"name: user\nsource: {source}\nshape: {list(shape)}\ntotal_timesteps: {total}\n"
        f"timesteps: {{start: 0, count: {total}}}\nscalar: s\n{RENDER}"
    )
    return path


def volumes(n=2, shape=(5, 4, 3)):
    rng = np.random.default_rng(0)
    return [rng.random(shape).astype(np.float32) + t for t in range(n)]


@pytest.mark.parametrize("dtype,order,header", [("float32", "little", 0), ("float64", "big", 16),
                                                ("uint16", "little", 4)])
def test_raw_binary_x_fastest(tmp_path, dtype, order, header):
    vols = [(v * 100).astype(dtype) for v in volumes()]
    code = ">" if order == "big" else "<"
    for t, v in enumerate(vols):
        # File order: x varies fastest, i.e. C order of the [z, y, x] transpose.
        data = v.transpose(2, 1, 0).astype(np.dtype(dtype).newbyteorder(code)).tobytes()
        (tmp_path / f"vol{t + 1:03d}.raw").write_bytes(b"\0" * header + data)
    src = (f"{{kind: raw, pattern: 'vol{{t:03d}}.raw', timestep_base: 1, dims: [5, 4, 3], "
           f"dtype: {dtype}, byte_order: {order}, header_bytes: {header}}}")
    got = dict(volume_source(load_manifest(str(write_manifest(tmp_path, src)))))
    for t, v in enumerate(vols):
        np.testing.assert_array_equal(got[t], v.astype(np.float32))


def test_raw_size_mismatch_names_file_and_sizes(tmp_path, capsys):
    (tmp_path / "v0.raw").write_bytes(b"\0" * (5 * 4 * 3 * 4 - 4))
    src = "{kind: raw, pattern: 'v{t}.raw', dims: [5, 4, 3], dtype: float32}"
    path = write_manifest(tmp_path, src, total=1)
    assert main(["volumes", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "v0.raw" in err and "236 bytes" in err and "expected 240" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_missing_file_names_pattern_and_timestep(tmp_path):
    src = "{kind: raw, pattern: 'v{t}.npy'}"
    with pytest.raises(FCNRError, match=r"v0\.npy: file of timestep 0 not found"):
        list(volume_source(load_manifest(str(write_manifest(tmp_path, src)))))


def test_npy_and_resampling_to_the_manifest_shape(tmp_path):
    vols = volumes(shape=(3, 3, 3))
    for t, v in enumerate(vols):
        np.save(tmp_path / f"v{t}.npy", v.astype(np.float64))
    got = dict(volume_source(load_manifest(str(write_manifest(tmp_path, "{kind: raw, pattern: 'v{t}.npy'}")))))
    assert got[1].shape == (5, 4, 3) and got[1].dtype == np.float32
    assert got[1][0, 0, 0] == pytest.approx(vols[1][0, 0, 0]) and got[1][-1, -1, -1] == pytest.approx(vols[1][-1, -1, -1])


def test_inf_in_a_file_names_file_and_timestep(tmp_path, capsys):
    vols = volumes()
    vols[1][2, 2, 2] = np.inf
    for t, v in enumerate(vols):
        np.save(tmp_path / f"v{t}.npy", v)
    path = write_manifest(tmp_path, "{kind: raw, pattern: 'v{t}.npy'}")
    assert main(["volumes", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "v1.npy (dataset user, timestep 1)" in err and "1 Inf" in err
    assert not (tmp_path / "out" / "meta.json").exists()


def test_vti_point_data(tmp_path):
    pv = pytest.importorskip("pyvista")
    vols = volumes()
    for t, v in enumerate(vols):
        grid = pv.ImageData(dimensions=v.shape)
        grid.point_data["speed"] = v.ravel(order="F")  # VTK: x fastest
        grid.point_data["other"] = np.zeros(v.size, np.float32)
        grid.save(tmp_path / f"v{t}.vti")
    got = dict(volume_source(load_manifest(str(write_manifest(
        tmp_path, "{kind: raw, pattern: 'v{t}.vti', array: speed}")))))
    for t, v in enumerate(vols):
        np.testing.assert_array_equal(got[t], v)
    bad = write_manifest(tmp_path, "{kind: raw, pattern: 'v{t}.vti', array: nope}")
    with pytest.raises(FCNRError, match="no point-data array 'nope'; it has speed, other"):
        list(volume_source(load_manifest(str(bad))))
