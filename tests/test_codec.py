"""The codec end to end on a tiny untrained model: compress, decode in other processes, bad inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from fcnr.cli import main
from fcnr.codec.coding import (
    Timer,
    compress_timestep,
    decode_all,
    decode_pair,
    decode_view,
)
from fcnr.codec.model import build_model, latents_crc
from fcnr.codec.model_files import model_id
from fcnr.codec.variants import CONTEXTS
from fcnr.codec.model_io import load_model, save_model
from fcnr.codec.params import view_params
from fcnr.codec.shard import PairEntry, encode_payload, pack_shard, read_shard
from fcnr.images import read_image, to_tensor, to_uint8, write_image
from render.basics.errors import FCNRError
from render.views import icosphere_views, view_pairs, write_views

T = 3
SIZE = (64, 48)  # not a multiple of the model's stride: exercises padding and cropping
TINY = {"variant": "fcnr", "N": 16, "M": 8, "heads": 2, "pe_L": 8, "pe_b": 1.25, "t_range": [0, 9]}


def synthetic_image(view: int) -> np.ndarray:
    """Returns a smooth, view-dependent RGB test image."""
    h, w = SIZE
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    disc = ((x - 0.3 - 0.05 * view) ** 2 + (y - 0.5) ** 2 < 0.08).astype(float)
    rgb = np.stack([0.5 + 0.4 * np.sin(6 * x + view), 0.3 + 0.6 * y * disc, 0.2 + 0.5 * x * y], axis=-1)
    return (np.clip(rgb, 0, 1) * 255).round().astype(np.uint8)


def save_tiny_model(path: Path, seed: int, context: str = "pair") -> Path:
    torch.manual_seed(seed)
    model = build_model({**TINY, "context": context}).eval()
    for net in (model.entropy_parameters.checkerboard or {}).values():
        torch.nn.init.normal_(net.net[-1].weight, std=0.2)  # as trained: the second pass differs from the first
    save_model(model, path)
    return path


@pytest.fixture(scope="module", params=list(CONTEXTS))
def setup(tmp_path_factory, request):
    """A model (one per entropy context), a 4-view views.csv, one timestep's images and its shard written by
    `fcnr compress`."""
    root = tmp_path_factory.mktemp(f"codec-{request.param}")
    views = icosphere_views(1)[:4]
    write_views(views, root / "views.csv")
    images = root / "images" / f"t{T:04d}"
    for v in views["index"]:
        write_image(images / f"v{int(v):04d}.png", synthetic_image(int(v)))
    model_dir = save_tiny_model(root / "model", seed=0, context=request.param)
    shard = root / f"t{T:04d}.fcnr"
    code = main(["compress", str(images), "--model", str(model_dir), "--views", str(root / "views.csv"),
                 "--timestep", str(T), "--out", str(shard), "--timing-json", str(root / "enc.json")])  # fmt: skip
    assert code == 0
    return {"root": root, "views": views, "images": images, "model_dir": model_dir, "shard": shard,
            "model": load_model(model_dir), "id": model_id(model_dir)}  # fmt: skip


def fcnr_subprocess(*args: str, threads: int = 1) -> subprocess.CompletedProcess:
    """Runs ``fcnr ARGS`` in a fresh Python process with ``threads`` CPU threads."""
    env = os.environ | {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    return subprocess.run([sys.executable, "-m", "fcnr.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def reference(setup) -> tuple[dict[int, np.ndarray], dict[int, dict]]:
    """The model's own in-process reconstructions ({view: uint8}) and the encoder's latents per pair."""
    model, views = setup["model"], setup["views"]
    # As the encoder does: the view parameters come from the angles rounded to float32 (as stored).
    angles = {int(v["index"]): (float(np.float32(v["theta"])), float(np.float32(v["phi"]))) for v in views}
    images, latents = {}, {}
    with torch.no_grad():
        for left, right in view_pairs(views):
            x = [to_tensor(read_image(setup["images"] / f"v{v:04d}.png")) for v in (left, right)]
            p = [view_params(T, *angles[v], TINY["t_range"]).unsqueeze(0) for v in (left, right)]
            enc = model.compress(*x, *p, return_latents=True)
            latents[left] = enc["latents"]
            out = model(*x, *p)
            images[left], images[right] = (to_uint8(xh) for xh in out["x_hat"])
    return images, latents


def test_compress_writes_shard_timing_and_real_bpp(setup):
    shard = read_shard(setup["shard"])
    assert shard.header.model_id == setup["id"]
    assert (shard.header.height, shard.header.width, shard.header.timestep) == (*SIZE, T)
    assert [r.views for r in shard.records] == view_pairs(setup["views"])
    timing = json.loads((setup["root"] / "enc.json").read_text())
    assert timing["images"] == 4 and timing["seconds"] > 0 and timing["images_per_second"] > 0
    assert timing["bytes"] == setup["shard"].stat().st_size
    assert timing["bpp"] == pytest.approx(8 * timing["bytes"] / (4 * SIZE[0] * SIZE[1]))
    # Per-image bytes: half its pair's record plus an even share of the header.
    assert sum(2 * shard.image_bytes(i) for i in range(len(shard.records))) == pytest.approx(shard.size)


def test_several_timesteps_in_one_call_equal_one_call_each(setup, tmp_path):
    model, views = str(setup["model_dir"]), str(setup["root"] / "views.csv")
    later = tmp_path / "images" / f"t{T + 1:04d}"
    for v in setup["views"]["index"]:
        write_image(later / f"v{int(v):04d}.png", synthetic_image(int(v) + 1))
    shards = [tmp_path / "a.fcnr", tmp_path / "b.fcnr"]
    assert main(["compress", str(setup["images"]), str(later), "--model", model, "--views", views,
                 "--timestep", str(T), str(T + 1), "--out", *map(str, shards)]) == 0  # fmt: skip
    alone = tmp_path / "alone.fcnr"
    assert main(["compress", str(later), "--model", model, "--views", views, "--timestep", str(T + 1),
                 "--out", str(alone)]) == 0  # fmt: skip
    assert shards[0].read_bytes() == setup["shard"].read_bytes() and shards[1].read_bytes() == alone.read_bytes()
    outs = [tmp_path / "decoded" / "a", tmp_path / "decoded" / "b"]
    timings = [tmp_path / "a.json", tmp_path / "b.json"]
    assert main(["decompress", *map(str, shards), "--model", model, "--out", *map(str, outs),
                 "--timing-json", *map(str, timings)]) == 0  # fmt: skip
    assert main(["decompress", str(alone), "--model", model, "--out", str(tmp_path / "alone")]) == 0
    for v in setup["views"]["index"]:
        name = f"v{int(v):04d}.png"
        assert (outs[1] / name).read_bytes() == (tmp_path / "alone" / name).read_bytes()
    assert all(json.loads(t.read_text())["images"] == 4 for t in timings)


def test_lists_of_other_lengths_are_refused_naming_the_option(setup, tmp_path, capsys):
    model, views = str(setup["model_dir"]), str(setup["root"] / "views.csv")
    assert main(["compress", str(setup["images"]), "--model", model, "--views", views, "--timestep", str(T),
                 str(T + 1), "--out", str(tmp_path / "x.fcnr")]) == 2  # fmt: skip
    assert "--timestep: 2 value(s) for 1 IMAGES_DIR" in capsys.readouterr().err
    assert main(["decompress", str(setup["shard"]), str(setup["shard"]), "--model", model, "--out",
                 str(tmp_path / "a"), str(tmp_path / "b"), "--view", "0"]) == 2  # fmt: skip
    assert "--view: decodes one view of one shard; got 2 shards" in capsys.readouterr().err
    assert not (tmp_path / "x.fcnr").exists() and not (tmp_path / "a").exists()


# Decodes the whole shard with ``fcnr decompress`` and dumps the decoded latents as .npy.
DECODE_AND_DUMP = """
import sys, numpy as np, torch
from fcnr.cli import main
from fcnr.codec.params import view_params
from fcnr.codec.model_io import load_model
from fcnr.codec.shard import read_shard
shard_path, model_dir, out = sys.argv[1:]
assert torch.get_num_threads() == 2
assert main(["decompress", shard_path, "--model", model_dir, "--out", out]) == 0
model, shard = load_model(model_dir), read_shard(shard_path)
for i, r in enumerate(shard.records):
    p, t_range = shard.payload(i), model.config["t_range"]
    p_l = view_params(r.t, r.theta_left, r.phi_left, t_range)[None]
    p_r = view_params(r.t, r.theta_right, r.phi_right, t_range)[None]
    size = (shard.header.height, shard.header.width)
    dec = model.decompress([p.stream], model.latent_shape(size), p_l, p_r, size, return_latents=True)
    for name, value in dec["latents"].items():
        np.save(f"{out}/{r.left}_{name}.npy", value.numpy())
"""


@pytest.fixture(scope="module")
def decoded_elsewhere(setup):
    """Two fresh processes decode the shard: `fcnr decompress` on 1 thread, and a script on 2 threads."""
    root, env = setup["root"], dict(os.environ)
    one = fcnr_subprocess("decompress", str(setup["shard"]), "--model", str(setup["model_dir"]),
                          "--out", str(root / "threads1"), "--timing-json", str(root / "dec.json"), threads=1)  # fmt: skip
    assert one.returncode == 0, one.stderr
    env.update(OMP_NUM_THREADS="2", MKL_NUM_THREADS="2")
    two = subprocess.run([sys.executable, "-c", DECODE_AND_DUMP, str(setup["shard"]), str(setup["model_dir"]),
                          str(root / "threads2")], env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert two.returncode == 0, two.stderr
    return root / "threads1", root / "threads2"


def test_separate_process_decode_matches_in_process_reconstruction(setup, reference, decoded_elsewhere):
    reconstruction, _ = reference
    one, two = decoded_elsewhere
    assert json.loads((setup["root"] / "dec.json").read_text())["images"] == 4
    names = [f"v{v:04d}.png" for v in range(4)]
    assert sorted(p.name for p in one.glob("*.png")) == names
    for name in names:
        assert (one / name).read_bytes() == (two / name).read_bytes(), f"{name} differs between 1 and 2 threads"
    for view, image in reconstruction.items():
        np.testing.assert_array_equal(read_image(one / f"v{view:04d}.png"), image, err_msg=f"view {view}")


def test_separate_process_latents_equal_the_encoders(reference, decoded_elsewhere):
    _, encoder_latents = reference
    _, two = decoded_elsewhere
    for left, latents in encoder_latents.items():
        for name, value in latents.items():
            np.testing.assert_array_equal(np.load(two / f"{left}_{name}.npy"), value.numpy(), err_msg=name)


def test_decode_one_view_reads_only_its_record(setup, tmp_path):
    shard_path = tmp_path / "s.fcnr"
    data = bytearray(setup["shard"].read_bytes())
    first = read_shard(setup["shard"]).records[0]
    data[first.offset + first.length // 2] ^= 0xFF  # corrupt pair (0, 1) only
    shard_path.write_bytes(bytes(data))
    out = tmp_path / "out"
    assert main(["decompress", str(shard_path), "--model", str(setup["model_dir"]), "--out", str(out),
                 "--view", "3"]) == 0  # fmt: skip
    assert [p.name for p in out.glob("*.png")] == ["v0003.png"]
    expected = decode_view(read_shard(setup["shard"]), 3, setup["model"], setup["id"])
    np.testing.assert_array_equal(read_image(out / "v0003.png"), expected)
    assert main(["decompress", str(shard_path), "--model", str(setup["model_dir"]), "--out", str(out),
                 "--view", "1"]) == 2  # fmt: skip
    assert not (out / "v0001.png").exists()


def test_decode_all_and_pair_agree(setup):
    shard = read_shard(setup["shard"])
    timer = Timer()
    everything = dict(decode_all(shard, setup["model"], setup["id"], timer))
    assert sorted(everything) == [0, 1, 2, 3] and timer.images == 4
    pair = decode_pair(shard, 1, setup["model"], setup["id"])
    np.testing.assert_array_equal(pair[2], everything[2])
    np.testing.assert_array_equal(pair[3], everything[3])


def test_latent_crc_mismatch_is_an_error_not_an_image(setup, tmp_path):
    shard = read_shard(setup["shard"])
    pairs = []
    for i, r in enumerate(shard.records):
        p = shard.payload(i)
        crc = p.symbols_crc ^ 1 if i == 1 else p.symbols_crc
        pairs.append(PairEntry(r.left, r.right, r.theta_left, r.phi_left, r.theta_right, r.phi_right,
                               encode_payload(p.stream, crc)))  # fmt: skip
    bad = tmp_path / "bad.fcnr"
    bad.write_bytes(pack_shard(shard.header, pairs))
    bad_shard = read_shard(bad)
    decode_pair(bad_shard, 0, setup["model"], setup["id"])
    with pytest.raises(FCNRError, match=r"record 1 \(t=3, views 2,3\): decoded latents differ"):
        decode_pair(bad_shard, 1, setup["model"], setup["id"])


def test_bad_inputs_name_shard_and_record(setup, tmp_path, capsys):
    other = save_tiny_model(tmp_path / "other", seed=1)
    args = ["decompress", str(setup["shard"]), "--out", str(tmp_path / "out")]
    assert main([*args, "--model", str(other)]) == 2
    err = capsys.readouterr().err
    assert "made by another model" in err and str(setup["shard"]) in err
    assert main([*args, "--model", str(setup["model_dir"]), "--view", "7"]) == 2
    assert "view 7 is not in this shard (t=3, 4 views: 0..3)" in capsys.readouterr().err
    truncated = tmp_path / "cut.fcnr"
    truncated.write_bytes(setup["shard"].read_bytes()[:-10])
    assert main(["decompress", str(truncated), "--model", str(setup["model_dir"]), "--out", str(tmp_path)]) == 2
    assert f"shard {truncated}: record 1 (t=3, views 2,3): truncated" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_compress_missing_image_names_it(setup, tmp_path):
    images = tmp_path / "images"
    for v in (0, 1, 3):
        write_image(images / f"v{v:04d}.png", synthetic_image(v))
    with pytest.raises(FCNRError, match="1 view images missing \\(first: v0002.png\\) for timestep 3"):
        compress_timestep(images, setup["model"], setup["id"], setup["views"], T)


def test_latents_crc_is_stored(setup, reference):
    shard = read_shard(setup["shard"])
    _, latents = reference
    assert [shard.payload(i).symbols_crc for i in range(2)] == [latents_crc(latents[0]), latents_crc(latents[2])]
