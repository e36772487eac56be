"""bench/rd_resolution.py on tiny inputs: real renders, fine-tunes, shards and codecs, its table and CSV."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from bench import rd_resolution
from render.basics.errors import FCNRError

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = ["--datasets", "tornado", "--modes", "ir", "--sizes", "64", "--frequency", "1", "--max-side", "32",
        "--threads", "1"]  # fmt: skip


def test_tiny_yardstick_prints_points_and_bd_rates_and_resumes(tmp_path, capsys):
    work, out = tmp_path / "work", tmp_path / "rd.csv"
    args = [*TINY, "--codecs", "hevc", "jpegxl", "--steps", "2", "--lambdas", "100", "1000", "--crop", "32",
            "--lr", "0.0002", "--work", str(work), "--out", str(out)]  # fmt: skip
    assert rd_resolution.main(args) == 0
    printed = capsys.readouterr().out
    assert "## 64x64" in printed and "| HEVC (x265), GOP 2 | crf 42 |" in printed and "| FCNR against |" in printed
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    points = [r for r in rows if r["kind"] == "point"]
    assert [(r["value"], r["steps"]) for r in points if r["method"] == "fcnr"] == [("100.0", "2"), ("1000.0", "2")]
    counts = {m: sum(r["method"] == m for r in points) for m in ("hevc", "hevc-gop2", "jpegxl")}
    assert counts == {"hevc": 4, "hevc-gop2": 4, "jpegxl": 4}  # the config's ladders, JPEG XL with a 4th
    assert all(r["size"] == "64" and r["images"] == "12" and float(r["bpp"]) > 0 for r in points)
    assert all(float(r["encode_ips"]) > 0 and float(r["decode_ips"]) > 0 and float(r["view_ms"]) > 0 for r in points)
    bds = [r for r in rows if r["kind"] == "bd"]
    assert [r["anchor"] for r in bds] == ["hevc", "hevc-gop2", "jpegxl"]
    assert all(r["bd_rate_psnr"] or r["note"] for r in bds)  # a number, or why there is none

    model = work / "tornado" / "ir" / "s64" / "models" / "base-128-steps2-crop32-lr0.0002" / "lambda100"
    summary = json.loads((model / "train_summary.json").read_text())
    assert summary["init"]["path"].endswith("base-128/ir") and summary["steps"] == 2
    with open(model / "train_log.csv", newline="") as handle:
        assert 0 < max(float(r["lr"]) for r in csv.DictReader(handle)) <= 0.0002  # --lr, not the config's 5e-4
    assert [(s["image_size"], s["window"], s["pairs"]) for s in summary["sources"]] == [([64, 64], [32, 32], 6)]

    cached = sorted(p.stat().st_mtime_ns for p in work.rglob("point.json"))
    assert rd_resolution.main(args) == 0  # a rerun finds every step done
    assert sorted(p.stat().st_mtime_ns for p in work.rglob("point.json")) == cached
    assert capsys.readouterr().out.count(" bpp, ") == 0

    assert rd_resolution.main([*args[:-4], "--lambdas", "100", "--context", "checkerboard", *args[-4:]]) == 0
    model = work / "tornado" / "ir" / "s64" / "models" / "base-128-steps2-crop32-lr0.0002-checkerboard" / "lambda100"
    assert json.loads((model / "config.json").read_text())["context"] == "checkerboard"
    assert capsys.readouterr().out.count(" bpp, ") == 1  # its own point; the codecs' are cached


@pytest.mark.parametrize(("held_out", "expected"), [("0", "hold training images"), ("30", "base.json")])
def test_seen_timesteps_are_refused(tmp_path, held_out, expected):
    with pytest.raises(FCNRError, match=expected):
        rd_resolution.parse_args([*TINY, "--held-out", held_out, "--work", str(tmp_path)])


def test_a_base_model_without_base_json_is_refused(tmp_path):
    (tmp_path / "ir").mkdir()
    with pytest.raises(FCNRError, match="no base.json"):
        rd_resolution.parse_args([*TINY, "--base", str(tmp_path), "--work", str(tmp_path)])


def test_several_bases_start_each_lambda_from_the_one_trained_nearest_it(tmp_path):
    long = Path(rd_resolution.REPO) / "fcnr" / "zoo" / "base-512-long"
    provenance = json.loads((long / "dvr" / "base.json").read_text())
    provenance["train"]["lambda"] = 5  # base-512-long's base.json as if trained at lambda 5
    (tmp_path / "low" / "dvr").mkdir(parents=True)
    (tmp_path / "low" / "dvr" / "base.json").write_text(json.dumps(provenance))
    bases = ["--base", str(long), str(tmp_path / "low")]
    a = rd_resolution.parse_args(["--datasets", "tornado", "--modes", "dvr", *bases, "--steps", "0"])
    assert a.sweep == [(5.0, 0), (1000.0, 0)]  # --steps 0: each base at its own lambda
    assert [rd_resolution.point_base(a, "dvr", lmbda) for lmbda in (5, 100, 1000)] == [
        tmp_path / "low" / "dvr", long / "dvr", long / "dvr"]
    with pytest.raises(FCNRError, match="no ir base model in .*base-512-long"):  # base-512-long has DVR only
        rd_resolution.parse_args(["--datasets", "tornado", "--modes", "ir", "--base", str(long)])


@pytest.mark.parametrize("option", [["--lr", "0"], ["--crop", "0"], ["--crop", "16"], ["--steps", "-1"], ["--sizes", "2048"]])
def test_bad_options_are_refused_with_what_is_allowed(option, capsys):
    with pytest.raises(SystemExit) as stop:
        rd_resolution.parse_args(option)
    assert stop.value.code == 2 and "--steps be 0 or more, --crop 32 or more and --lr above 0" in capsys.readouterr().err


def test_default_held_out_is_the_reports_timestep_and_sweep_is_the_configs():
    a = rd_resolution.parse_args(["--datasets", "tornado", "vortex", "tangaroa"])
    assert a.held_out == {"tornado": [5], "vortex": [35], "tangaroa": [65]}
    assert a.sweep == [(5.0, 150), (100.0, 150), (1000.0, 200)] and a.crop == 128 and a.lr == 0.0005
    assert rd_resolution.parse_args(["--steps", "0"]).sweep == [(1000.0, 0)]


@pytest.mark.parametrize("name", ["hevc", "hevc-gop2"])
def test_one_view_decodes_to_the_frame_of_the_whole_video(name):
    y, x = np.mgrid[0:64, 0:64] / 64
    frames = [(np.stack([np.sin(6 * x + k), np.cos(5 * y - k), x * y], -1) * 100 + 120).astype(np.uint8)
              for k in range(6)]  # fmt: skip
    codec = rd_resolution.bench_codec(name, 30)
    whole = codec.decode(codec.encode(frames).streams)
    for view in (0, 3, 5):
        one = rd_resolution.decode_video_view(codec.kept[0], view, (64, 64), seek=name.endswith("gop2"))
        assert np.array_equal(one, whole[view])


def test_bd_cell_says_why_there_is_no_number():
    def curve(method, *pairs):
        return [{"method": method, "bpp": b, "psnr": q, "msssim": 1 - 10 ** (-q / 10)} for b, q in pairs]

    anchor = curve("hevc", (0.1, 30), (0.2, 34), (0.4, 38))
    assert rd_resolution.bd_cell(anchor, curve("fcnr", (0.5, 40), (0.6, 41)), "psnr")[1] == "no overlap"
    assert rd_resolution.bd_cell(anchor, curve("fcnr", (0.1, 33), (0.2, 32)), "psnr")[1] == "not monotone (FCNR)"
    assert rd_resolution.bd_cell(anchor, curve("fcnr", (0.1, 33)), "msssim")[1] == "one point"
    value, note = rd_resolution.bd_cell(anchor, curve("fcnr", (0.08, 31), (0.15, 35)), "psnr")
    assert note == "" and math.isfinite(value) and value < 0
