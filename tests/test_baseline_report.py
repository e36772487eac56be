"""The report's baseline sections on a small hand-made results folder (no workflow run)."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from fcnr.evaluation.evaluate import write_metrics_csv
from fcnr.evaluation.rd import BD_COLUMNS, RD_COLUMNS, bd_rows, write_table
from fcnr.images import write_image
from fcnr.report.build import build_report
from fcnr.report.sections import ablation, baseline_zoom, bd_rates, inr_training, rd_curves

# Only these sections are under test; the others need files this folder does not have.
MINE = {m.TITLE for m in (rd_curves, bd_rates, ablation, baseline_zoom)}

T, VIEWS, SIZE = 3, 4, 32
# (method, setting, value, bpp, psnr): JPEG needs twice FCNR's rate at every PSNR.
POINTS = [("fcnr", "lambda", 500.0, 0.05, 30.0), ("fcnr", "lambda", 1000.0, 0.1, 33.0),
          ("fcnr", "lambda", 2000.0, 0.2, 35.0), ("jpeg", "quality", 10, 0.1, 30.0),
          ("jpeg", "quality", 40, 0.2, 33.0), ("jpeg", "quality", 80, 0.4, 35.0),
          ("ecsic", "lambda", 1000.0, 0.15, 32.0), ("pe-only", "lambda", 1000.0, 0.08, 32.5),
          ("hevc", "crf", 40, 0.05, 40.0), ("hevc", "crf", 30, 0.2, 45.0)]  # fmt: skip
# HEVC's PSNR range does not meet FCNR's: no BD-rate, but a BD-PSNR over the shared rates.


def section(page: str, name: str) -> str:
    match = re.search(rf'<section id="{name}">(.*?)</section>', page, re.S)
    assert match, f"section {name} missing"
    return match.group(1)


def point_dir(mode_dir, method, setting, value):
    if (method, value) == ("fcnr", 1000.0):
        return mode_dir
    return mode_dir / "baselines" / method / (f"lambda{value:g}" if setting == "lambda" else f"q{value}")


def make_results(root, dataset: str):
    """Writes settings, FCNR's metrics and images, RD and BD tables and every point's decoded image."""
    rng = np.random.default_rng(0)
    settings = {"dataset": dataset, "modes": ["ir"], "timesteps": [T - 1, T],  # T: the one compared timestep
                "config": {"train": {"lambda": None}, "baselines": {"timesteps": 1}, "report": {"zoom": 0.25}}}  # fmt: skip
    (root / "settings.json").write_text(json.dumps(settings))
    mode_dir = root / "ir"
    truth = [rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8) for _ in range(VIEWS)]
    for v, image in enumerate(truth):
        write_image(mode_dir / "images" / f"t{T:04d}" / f"v{v:04d}.png", image)
    rows = [{"t": T, "view": v, "theta": 0.1 * v, "phi": 0.0, "split": "train" if v < 2 else "unseen", "psnr": 33.0,
             "msssim": 0.99, "flip": 0.1, "lpips": math.nan, "bytes": 12.8, "bpp": 0.1} for v in range(VIEWS)]  # fmt: skip
    write_metrics_csv(mode_dir / "metrics.csv", rows)
    (mode_dir / "summary.json").write_text(json.dumps({"lpips": {"available": False, "reason": "no AlexNet here"}}))
    points = []
    for method, setting, value, bpp, psnr in POINTS:
        folder = point_dir(mode_dir, method, setting, value)
        noisy = np.clip(truth[2].astype(int) + rng.integers(-8, 9, truth[2].shape), 0, 255).astype(np.uint8)
        write_image(folder / "decoded" / f"t{T:04d}" / "v0002.png", noisy)
        points.append({"method": method, "setting": setting, "value": value, "images": VIEWS, "bpp": bpp,
                       "psnr": psnr, "msssim": 1 - 10 ** (-psnr / 10), "flip": 0.1, "lpips": math.nan, "train_seconds": 60.0,
                       "encode_seconds": 1.0, "decode_seconds": 2.0, "et_hours": 61 / 3600, "dt_seconds": 2.0})  # fmt: skip
    write_table(mode_dir / "baselines" / "rd.csv", points, RD_COLUMNS)
    write_table(mode_dir / "baselines" / "bdrate.csv", bd_rows(points), BD_COLUMNS)


@pytest.fixture(scope="module")
def tornado(tmp_path_factory):
    root = tmp_path_factory.mktemp("tornado")
    make_results(root, "tornado")
    page, failed = build_report(root)
    assert not MINE & set(failed)
    return page


def test_rd_curves_without_lpips_say_why(tornado):
    body = section(tornado, "rd_curves")
    assert body.count("<img") == 1 and "No LPIPS plot: no AlexNet here" in body
    assert "All 10 points" in body and "timestep(s) 3" in body
    assert "one model each, fine-tuned from FCNR" in body  # train.init is not set here


def test_rd_curves_name_the_learned_points_start(tmp_path):
    make_results(tmp_path, "tornado")
    settings = json.loads((tmp_path / "settings.json").read_text())
    settings["config"]["train"].update(init="fcnr/zoo/base-128/{mode}", max_steps=200)
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    body = section(build_report(tmp_path)[0], "rd_curves")
    assert "fine-tuned from the warm start of the main model (fcnr/zoo/base-128/ir) for 200 steps." in body
    settings["config"]["train"]["init"] = {"ir": "fcnr/zoo/base-512/ir", "dvr": "fcnr/zoo/base-512-long/dvr"}
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    body = section(build_report(tmp_path)[0], "rd_curves")  # a base per mode: this run's mode's
    assert "fine-tuned from the warm start of the main model (fcnr/zoo/base-512/ir) for 200 steps." in body
    settings["config"]["train"]["init"] = {"ir": ["bases/high/ir", "bases/low/ir"]}
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    body = section(build_report(tmp_path)[0], "rd_curves")  # bases at several lambdas: each point its nearest
    assert ("fine-tuned from the base model trained at the lambda nearest theirs (bases/high/ir, "
            "bases/low/ir) for 200 steps.") in body  # fmt: skip


def test_bd_table_and_verdict(tornado):
    body = section(tornado, "bd_rates")
    row = re.search(r"<tr><td>JPEG</td><td>3</td><td>3</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", body)
    assert row and row.group(1) == "-50.0 %" and row.group(3) == "-50.0 %" and row.group(2).startswith("+")
    assert "FCNR needs fewer bits than JPEG (-50.0 %)" in body
    assert "at least 2 points" in body  # ECSIC and PE-only have one point each
    assert "do not overlap" in body and re.search(r"differs from HEVC \(x265\) \(-\d+\.\d\d dB\)", body)


def test_bd_section_says_where_fcnr_stops_and_who_goes_on(tornado):
    body = section(tornado, "bd_rates")
    assert "FCNR&#x27;s highest quality here is 35.00 dB (lambda 2,000.0, 0.2000 bpp)" in body
    assert "go on without FCNR: HEVC (x265) to 45.00 dB (0.2000 bpp). For a higher" in body
    assert "JPEG to" not in body  # JPEG's top point only equals FCNR's


def test_reach_without_a_higher_baseline():
    points = [{"method": "fcnr", "setting": "lambda", "value": 100.0, "bpp": 0.1, "psnr": 40.0},
              {"method": "jpeg", "setting": "quality", "value": 90, "bpp": 0.5, "psnr": 39.0}]  # fmt: skip
    assert bd_rates.reach(points, "ir").endswith("no baseline reaches a higher PSNR.")
    assert bd_rates.reach(points[1:], "ir") is None


def test_ablation_has_the_paper_beside_this_run(tornado):
    body = section(tornado, "ablation")
    cells = re.findall(r"<td>([^<]*)</td>", body)
    ecsic = cells[cells.index("ECSIC") : cells.index("ECSIC") + 11]
    assert ecsic[1:4] == ["32.00", "n/a", "0.1500"] and ecsic[6] == "36.30"
    jct = cells[cells.index("JCT-only") : cells.index("JCT-only") + 11]
    assert jct[1] == "not run" and jct[6] == "37.81"
    assert "38.07" in cells and "0.0280" in cells


def test_ablation_of_another_dataset_has_no_paper_columns(tmp_path):
    make_results(tmp_path, "vortex")
    page, failed = build_report(tmp_path)
    body = section(page, "ablation")
    assert not MINE & set(failed) and "38.07" not in body and "covers tornado IR only" in body


def test_zoom_shows_every_method_nearest_fcnr_bpp(tornado):
    body = section(tornado, "baseline_zoom")
    # Ground truth, its crop, then one crop per method: FCNR, ECSIC, JPEG, PE-only, HEVC.
    assert body.count("<img") == 2 + 5
    assert "view 2" in body  # the first unseen view
    assert "JPEG (quality 10)" in body  # 0.1 bpp: the JPEG setting nearest FCNR's 0.1 bpp
    assert "FCNR (lambda 1,000.0)" in body


def test_sections_are_skipped_without_baselines(tmp_path):
    make_results(tmp_path, "tornado")
    for name in ("rd.csv", "bdrate.csv"):
        (tmp_path / "ir" / "baselines" / name).unlink()
    page, failed = build_report(tmp_path)
    assert not MINE & set(failed)
    for name in ("rd_curves", "bd_rates", "ablation", "baseline_zoom"):
        assert f'<section id="{name}">' not in page


def test_mean_image_psnr_scores_the_per_pixel_mean_against_each_image(tmp_path):
    for view, value in ((0, 10), (1, 30)):
        write_image(tmp_path / "t0002" / f"v{view:04d}.png", np.full((8, 8, 3), value, np.uint8))
    expected = 10 * math.log10(255**2 / 100)  # the mean image is 20 everywhere: every pixel 10 away
    assert inr_training.mean_image_psnr(tmp_path, [(2, 0), (2, 1)]) == pytest.approx(expected)


@pytest.mark.parametrize(("decoded", "gain", "verdict"), [(14.5, 0.0, "no better than the mean image"),
                                                          (20.0, 2.0, "still rising"), (20.0, 0.1, "levelled off")])
def test_a_level_curve_no_better_than_the_mean_image_is_not_called_converged(decoded, gain, verdict):
    assert inr_training.standing(decoded, 14.0, gain).startswith(verdict)
