"""Volume sources: the tornado formula, the ``fcnr volumes`` command, meta.json, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from fcnr.cli import main
from render.basics.errors import FCNRError
from render.manifest import load_manifest
from render.volumes import check_finite, volume_source, write_volumes
from render.volumes.resample import resample
from render.volumes.tornado import tornado_magnitude


def gen_tornado_reference(xs, ys, zs, time):
    """Point-by-point transcription of Crawfis' C loop (x fastest); returns |v| as [x, y, z]."""
    out = np.zeros((xs, ys, zs))
    for iz in range(zs):
        z = iz * (1.0 / (zs - 1.0))
        xc = 0.5 + 0.1 * math.sin(0.04 * time + 10.0 * z)
        yc = 0.5 + 0.1 * math.cos(0.03 * time + 3.0 * z)
        r = 0.1 + 0.4 * z * z + 0.1 * z * math.sin(8.0 * z)
        r2 = 0.2 + 0.1 * z
        for iy in range(ys):
            y = iy * (1.0 / (ys - 1.0))
            for ix in range(xs):
                x = ix * (1.0 / (xs - 1.0))
                temp = math.sqrt((y - yc) * (y - yc) + (x - xc) * (x - xc))
                scale = abs(r - temp)
                scale = 0.8 - scale if scale > r2 else 1.0
                z0 = 0.1 * (0.1 - temp * z)
                z0 = max(z0, 0.0)
                temp = math.sqrt(temp * temp + z0 * z0)
                scale = (r + r2 - temp) * scale / (temp + 0.00000000001)
                scale = scale / (1 + z)
                v = (scale * (y - yc) + 0.1 * (x - xc), scale * -(x - xc) + 0.1 * (y - yc), scale * z0)
                out[ix, iy, iz] = math.sqrt(sum(c * c for c in v))
    return out


@pytest.mark.parametrize("time", [0, 7, 47])
def test_tornado_matches_the_c_loop(time):
    shape = (9, 7, 6)
    got = tornado_magnitude(shape, time)
    assert got.dtype == np.float32 and got.shape == shape
    np.testing.assert_allclose(got, gen_tornado_reference(*shape, time), rtol=1e-6, atol=1e-7)


def test_tornado_timesteps_move_and_repeat():
    a, b = tornado_magnitude((32, 32, 32), 3), tornado_magnitude((32, 32, 32), 4)
    assert not np.array_equal(a, b)
    assert tornado_magnitude((32, 32, 32), 3).tobytes() == a.tobytes()
    # Crawfis' comment on the original: magnitudes range from 0 to about 0.4.
    assert 0.25 < a.max() < 0.45


def test_volumes_command_writes_npy_and_meta(tmp_path, capsys):
    out = tmp_path / "vol"
    assert main(["volumes", "tornado", "--out", str(out), "--shape", "16", "12", "10",
                 "--timesteps", "3:5"]) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["dataset"] == "tornado" and meta["shape"] == [16, 12, 10]
    assert meta["timesteps"] == [3, 4] and meta["scalar"] == "velocity magnitude"
    for t in (3, 4):
        vol = np.load(out / f"t{t:04d}.npy", allow_pickle=False)
        assert vol.dtype == np.float32 and vol.shape == (16, 12, 10)
        np.testing.assert_array_equal(vol, tornado_magnitude((16, 12, 10), t))
        assert meta["min"][str(t)] == float(vol.min()) and meta["max"][str(t)] == float(vol.max())
    assert sorted(p.name for p in out.iterdir()) == ["meta.json", "t0003.npy", "t0004.npy"]


def test_default_timesteps_are_the_manifests_used_ones():
    manifest = load_manifest("tornado")
    steps = [t for t, _ in volume_source(manifest, (4, 4, 4))]
    assert steps == list(range(0, 30))


def test_timesteps_outside_the_dataset_are_rejected(tmp_path, capsys):
    assert main(["volumes", "tornado", "--out", str(tmp_path), "--timesteps", "46:50"]) == 2
    err = capsys.readouterr().err
    assert "timestep 48" in err and "0..47" in err
    assert main(["volumes", "tornado", "--out", str(tmp_path), "--timesteps", "a:b"]) == 2
    assert "--timesteps" in capsys.readouterr().err


def test_unknown_dataset_lists_known_ones(tmp_path, capsys):
    assert main(["volumes", "hurricane", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "hurricane" in err and all(n in err for n in ("tornado", "vortex", "tangaroa"))


def test_check_finite_names_the_place():
    vol = np.ones((3, 3, 3), np.float32)
    check_finite(vol, "here")
    vol[0, 0, 0], vol[1, 1, 1] = np.nan, np.inf
    with pytest.raises(FCNRError, match=r"dataset x, timestep 5: .*1 NaN and 1 Inf"):
        check_finite(vol, "dataset x, timestep 5")


def test_write_volumes_stops_at_a_bad_timestep_without_meta(tmp_path):
    """A NaN at timestep 2 aborts the run: earlier volumes are complete, no meta.json, no debris."""
    for t in range(3):
        vol = np.full((4, 4, 4), t, np.float32)
        if t == 2:
            vol[1, 2, 3] = np.nan
        np.save(tmp_path / f"v{t}.npy", vol)
    manifest_file = tmp_path / "m.yaml"
    manifest_file.write_text(
        "name: m\nsource: {kind: raw, pattern: 'v{t}.npy'}\nshape: [4, 4, 4]\n"
        "total_timesteps: 3\ntimesteps: {start: 0, count: 3}\nscalar: s\n"
        "render: {isovalue: 0.5, dvr: {colormap: gray, opacity: [[0, 0], [1, 1]]}}\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "meta.json").write_text("{}")  # left by an earlier, complete run
    with pytest.raises(FCNRError, match=r"v2\.npy \(dataset m, timestep 2\).*1 NaN"):
        write_volumes(load_manifest(str(manifest_file)), out)
    assert sorted(p.name for p in out.iterdir()) == ["t0000.npy", "t0001.npy"]


def test_resample_keeps_corners_and_linear_fields():
    x, y, z = np.meshgrid(np.linspace(0, 1, 5), np.linspace(0, 1, 4), np.linspace(0, 1, 3),
                          indexing="ij")
    vol = (2 * x + 3 * y - z).astype(np.float32)
    out = resample(vol, (9, 7, 5))
    X, Y, Z = np.meshgrid(np.linspace(0, 1, 9), np.linspace(0, 1, 7), np.linspace(0, 1, 5),
                          indexing="ij")
    np.testing.assert_allclose(out, 2 * X + 3 * Y - Z, atol=1e-5)
    assert out.dtype == np.float32
