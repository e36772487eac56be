"""`fcnr baseline` and `fcnr rd` on a tiny set of images: files, metrics and BD-rates."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from test_baseline_codecs import rendering

from fcnr.baselines import make_codec
from fcnr.cli import main
from fcnr.evaluation.evaluate import read_metrics_csv, timing_path, write_metrics_csv
from fcnr.evaluation.metrics import psnr
from fcnr.evaluation.rd import BD_COLUMNS, RD_COLUMNS, read_table
from fcnr.images import read_image, write_image
from fcnr.training.split import write_split_csv
from render.views import icosphere_views, write_views

TIMESTEPS = (3, 4)


# Scores with one torch thread, as the workflow's jobs do (OMP_NUM_THREADS=1).
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Returns the folder of views.csv, split.csv and images/t{t}/v{view}.png (12 views, 2 timesteps)."""
    root = tmp_path_factory.mktemp("baseline")
    views = icosphere_views(1)
    write_views(views, root / "views.csv")
    write_split_csv(root / "split.csv", TIMESTEPS, len(views))
    for t in TIMESTEPS:
        for v in range(len(views)):
            write_image(root / "images" / f"t{t:04d}" / f"v{v:04d}.png", rendering(0.3 * v + t, 48))
    return root


def baseline(dataset, codec, qualities, out, *extra):
    return main(["baseline", str(dataset / "images"), "--views", str(dataset / "views.csv"),
                 "--split", str(dataset / "split.csv"), "--codec", codec, "--quality", *map(str, qualities),
                 "--out", str(out), "--no-lpips", *extra])  # fmt: skip


def test_jpeg_rows_are_real_sizes_and_scores_of_the_decoded_images(dataset, tmp_path):
    out = tmp_path / "jpeg"
    assert baseline(dataset, "jpeg", [30, 80], out, "--timesteps", "4", "--decoded-timestep", "4") == 0
    low, high = (read_metrics_csv(out / f"q{q}" / "metrics.csv") for q in (30, 80))
    assert [(r["t"], r["view"]) for r in low] == [(4, v) for v in range(12)]
    assert {r["split"] for r in low} == {"unseen"}  # t=4 is not a training timestep (1/3 of 3, 4: t=3)
    codec = make_codec("jpeg", 30)
    for row in low:
        original = read_image(dataset / "images" / "t0004" / f"v{row['view']:04d}.png")
        stream = codec.encode([original]).streams[0]
        assert row["bytes"] == len(stream)
        assert row["bpp"] == pytest.approx(8 * len(stream) / original[..., 0].size)
        decoded = read_image(out / "q30" / "decoded" / "t0004" / f"v{row['view']:04d}.png")
        assert row["psnr"] == pytest.approx(psnr(original, decoded))
        assert math.isnan(row["lpips"]) and 0 < row["msssim"] <= 1
    timing = json.loads((out / "q30" / "timing.json").read_text())
    assert timing["bytes"] == sum(r["bytes"] for r in low) and timing["images"] == 12
    assert timing["lpips"]["available"] is False and "--no-lpips" in timing["lpips"]["reason"]
    assert np.mean([r["bpp"] for r in high]) > np.mean([r["bpp"] for r in low])
    assert np.mean([r["psnr"] for r in high]) > np.mean([r["psnr"] for r in low])


def test_no_flip_leaves_the_flip_column_empty_and_the_rest_as_it_was(dataset, tmp_path):
    for name, extra in (("with", ()), ("without", ("--no-flip",))):
        assert baseline(dataset, "jpeg", [50], tmp_path / name, "--timesteps", "4", *extra) == 0
    scored, unscored = (read_metrics_csv(tmp_path / name / "q50" / "metrics.csv") for name in ("with", "without"))
    assert all(r["flip"] > 0 for r in scored) and all(math.isnan(r["flip"]) for r in unscored)
    kept = ("psnr", "msssim", "bytes")
    assert [[r[k] for k in kept] for r in unscored] == [[r[k] for k in kept] for r in scored]


def test_video_bytes_add_up_to_the_files(dataset, tmp_path):
    assert baseline(dataset, "av1", [30], tmp_path / "av1") == 0
    rows = read_metrics_csv(tmp_path / "av1" / "q30" / "metrics.csv")
    timing = json.loads((tmp_path / "av1" / "q30" / "timing.json").read_text())
    assert len(rows) == 24 and {r["t"] for r in rows} == set(TIMESTEPS)
    assert sum(r["bytes"] for r in rows) == pytest.approx(timing["bytes"])
    # Two timesteps, two Matroska files, each with at least its EBML header and one packet per frame.
    assert timing["bytes"] > 2 * 12
    assert not (tmp_path / "av1" / "q30" / "decoded").exists()


def test_bad_requests_are_user_errors(dataset, tmp_path, capsys):
    assert baseline(dataset, "jpeg", [30], tmp_path / "x", "--timesteps", "9") == 2
    assert "no images of timestep(s) [9]" in capsys.readouterr().err
    assert baseline(dataset, "hevc", [99], tmp_path / "x") == 2
    assert "crf must be in [0, 51]" in capsys.readouterr().err


def fake_learned_run(folder, rows, train_s=10.0, enc_s=1.0, dec_s=2.0):
    """Writes the files `fcnr rd` reads of a learned run."""
    for t in TIMESTEPS:
        write_metrics_csv(folder / "metrics" / f"t{t:04d}.csv", [r for r in rows if r["t"] == t])
        for kind, seconds in (("encode", enc_s), ("decode", dec_s)):
            timing_path(folder, kind, t).parent.mkdir(parents=True, exist_ok=True)
            timing_path(folder, kind, t).write_text(json.dumps({"seconds": seconds, "images": 2}))
    (folder / "model").mkdir(parents=True, exist_ok=True)
    (folder / "model" / "train_summary.json").write_text(json.dumps({"seconds": train_s, "steps": 5}))


def fake_rows(bpp, quality):
    return [{"t": t, "view": v, "theta": 0.0, "phi": 0.0, "split": "unseen", "psnr": quality,
             "msssim": 1 - 10 ** (-quality / 10), "flip": 0.1, "lpips": math.nan, "bytes": bpp * 48 * 48 / 8, "bpp": bpp}
            for t in TIMESTEPS for v in range(2)]  # fmt: skip


def test_rd_summarises_points_and_bd_rates(tmp_path):
    # FCNR at three lambdas; a classical codec needing exactly twice FCNR's rate at every PSNR.
    curve = [(0.05, 30.0), (0.1, 33.0), (0.2, 35.0)]
    args = ["rd", "--timesteps", *map(str, TIMESTEPS)]
    for k, (bpp, q) in enumerate(curve):
        fake_learned_run(tmp_path / f"fcnr{k}", fake_rows(bpp, q))
        args += ["--learned", "fcnr", str(500 * 2**k), str(tmp_path / f"fcnr{k}")]
        folder = tmp_path / "jpeg" / f"q{10 * (k + 1)}"
        write_metrics_csv(folder / "metrics.csv", fake_rows(2 * bpp, q))
        (folder / "timing.json").write_text(json.dumps(
            {"codec": "jpeg", "setting": "quality", "quality": 10 * (k + 1), "encoding_seconds": 0.5, "decoding_seconds": 0.25}))  # fmt: skip
        args += ["--classical", str(folder)]
    fake_learned_run(tmp_path / "ecsic", fake_rows(0.1, 31.0))
    args += ["--learned", "ecsic", "1000", str(tmp_path / "ecsic")]
    assert main(args + ["--out", str(tmp_path / "rd.csv"), "--bd-out", str(tmp_path / "bd.csv")]) == 0

    points = read_table(tmp_path / "rd.csv")
    assert list(points[0]) == list(RD_COLUMNS) and len(points) == 7
    first = points[0]
    assert (first["method"], first["setting"], first["value"], first["images"]) == ("fcnr", "lambda", 500.0, 4)
    assert first["bpp"] == pytest.approx(0.05) and first["psnr"] == pytest.approx(30.0)
    # Training once plus two timesteps' encoding; decoding of both timesteps.
    assert first["et_hours"] == pytest.approx((10 + 2 * 1) / 3600) and first["dt_seconds"] == pytest.approx(4)

    bd = {row["anchor"]: row for row in read_table(tmp_path / "bd.csv")}
    assert list(next(iter(bd.values()))) == list(BD_COLUMNS) and set(bd) == {"jpeg", "ecsic"}
    assert bd["jpeg"]["bd_rate_psnr"] == pytest.approx(-50.0)
    assert bd["jpeg"]["bd_rate_msssim"] == pytest.approx(-50.0)
    assert bd["jpeg"]["bd_psnr"] > 0
    assert math.isnan(bd["ecsic"]["bd_rate_psnr"])
    assert bd["ecsic"]["note"] == ("BD-rate (PSNR), BD-PSNR, BD-rate (MS-SSIM): anchor curve: "
                                   "pchip BD needs at least 2 points, got 1")  # fmt: skip


def test_rd_keeps_to_the_given_timesteps(tmp_path):
    fake_learned_run(tmp_path / "run", fake_rows(0.1, 30.0))
    assert main(["rd", "--timesteps", "3", "--learned", "fcnr", "1000", str(tmp_path / "run"),
                 "--out", str(tmp_path / "rd.csv")]) == 0  # fmt: skip
    (point,) = read_table(tmp_path / "rd.csv")
    assert point["images"] == 2 and point["dt_seconds"] == pytest.approx(2.0)
