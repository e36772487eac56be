"""The HTML report on a small hand-made results folder: sections, skipping, failures, the command."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from PIL import Image

from fcnr.cli import main
from fcnr.evaluation.evaluate import write_metrics_csv
from fcnr.report.build import build_report
from fcnr.report.html import Raw, fmt, table
from fcnr.report.sections import discover

BUILT_IN = ["summary", "seen_unseen", "timesteps", "views", "training", "images", "settings"]


def make_results(root, modes=("ir",), views=4, timesteps=(0, 1), size=32):
    """Writes a minimal results/DS folder that every built-in section can read."""
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    (root / "settings.json").write_text(json.dumps({
        "dataset": "tornado", "modes": list(modes), "n_views": views, "timesteps": list(timesteps),
        "train_timesteps": [timesteps[0]], "config": {"report": {"examples": 2, "zoom": 0.25}},
    }))  # fmt: skip
    for mode in modes:
        m = root / mode
        rows = []
        for t in timesteps:
            for v in range(views):
                truth = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
                noisy = np.clip(truth.astype(int) + rng.integers(-9, 10, truth.shape), 0, 255).astype(np.uint8)
                for kind, image in (("images", truth), ("decoded", noisy)):
                    (m / kind / f"t{t:04d}").mkdir(parents=True, exist_ok=True)
                    Image.fromarray(image).save(m / kind / f"t{t:04d}" / f"v{v:04d}.png")
                split = "train" if t == timesteps[0] and v < views // 2 else "unseen"
                rows.append({"t": t, "view": v, "theta": 0.5 + v, "phi": 0.3 * v, "split": split, "psnr": 30.0 + v,
                             "msssim": 0.95, "flip": 0.1, "lpips": math.nan, "bytes": 100.0 + t, "bpp": 0.8})  # fmt: skip
        write_metrics_csv(m / "metrics.csv", rows)
        means = {"images": len(rows), "psnr": 31.5, "msssim": 0.95, "flip": 0.1, "lpips": None, "bytes": 100.5,
                 "bpp": 0.8}
        (m / "summary.json").write_text(json.dumps({
            "images": len(rows), "height": size, "width": size, "all": means, "train": means, "unseen": means,
            "shard_bytes": 900, "bpp_shards": 0.85, "decoder_bytes": 4000, "decoder_parameters": 1000,
            "bpp_with_decoder": 4.7, "lpips": {"available": False, "reason": "LPIPS unavailable: no AlexNet here"},
        }))  # fmt: skip
        (m / "timing.json").write_text(json.dumps({
            "training_seconds": 36.0, "training_steps": 10, "encoding_seconds": 2.0, "decoding_seconds": 3.0,
            "images": len(rows), "encoding_images_per_second": 4.0, "decoding_images_per_second": 2.7,
            "et_hours": 0.0105, "dt_seconds": 3.0,
        }))  # fmt: skip
        (m / "model").mkdir()
        (m / "model" / "config.json").write_text(json.dumps({"variant": "fcnr", "N": 8, "M": 4}))
        log = "step,epoch,loss,bpp,psnr,seconds\n" + "".join(
            f"{s},{s // 5},{10.0 / s},{1.0 / s},{20 + s},{0.1 * s}\n" for s in range(1, 11)
        )
        (m / "model" / "train_log.csv").write_text(log)
    return root


def test_sections_are_discovered_in_order():
    names = [m.__name__.rsplit(".", 1)[-1] for m in discover()]
    assert [n for n in names if n in BUILT_IN] == BUILT_IN
    orders = [m.ORDER for m in discover()]
    assert orders == sorted(orders)


def test_full_report_has_every_section(tmp_path):
    page, failed = build_report(make_results(tmp_path))
    assert failed == []
    for name in BUILT_IN:
        assert f'<section id="{name}">' in page
    assert "38.07" in page and "FCNR (this run, all images)" in page  # the paper's tornado IR PSNR beside ours
    assert 'class="ours"' in page
    assert "LPIPS (IR): LPIPS unavailable: no AlexNet here" in page
    assert page.count("data:image/png;base64,") >= 4 + 2 * 6  # plots + 2 examples x 6 images
    skipped = page.split("Sections skipped (their inputs are absent):")[-1] if "Sections skipped" in page else ""
    assert not [m.TITLE for m in discover() if m.__name__.rsplit(".", 1)[-1] in BUILT_IN and m.TITLE in skipped]
    assert "http://" not in page and "https://" not in page.replace("https://json-schema", "")


def test_switched_off_flip_is_said_once_for_its_modes(tmp_path):
    root = make_results(tmp_path, modes=("ir", "dvr"))
    for mode in ("ir", "dvr"):
        summary = json.loads((root / mode / "summary.json").read_text())
        summary["all"]["flip"] = None
        (root / mode / "summary.json").write_text(json.dumps(summary))
    page, failed = build_report(root)
    assert failed == []
    assert page.count("FLIP (IR, DVR): switched off in the config (evaluate.flip: false)") == 1


def test_sections_without_inputs_are_skipped(tmp_path):
    page, failed = build_report(tmp_path)
    assert failed == []
    assert '<section id="settings">' in page and '<section id="summary">' not in page
    assert "Sections skipped (their inputs are absent): Results beside the paper (Table 2)" in page


def test_a_failing_section_shows_its_error_and_is_reported(tmp_path):
    make_results(tmp_path)
    (tmp_path / "ir" / "metrics.csv").write_text("t,view\n0,0\n")
    page, failed = build_report(tmp_path)
    assert "Quality per timestep" in failed
    assert '<pre class="error">section failed: FCNRError' in page and "expected header" in page
    assert '<section id="training">' in page  # the others still build


def test_report_command_writes_the_page(tmp_path, capsys):
    make_results(tmp_path / "res", modes=("ir", "dvr"))
    assert main(["report", str(tmp_path / "res"), "--out", str(tmp_path / "out" / "report.html")]) == 0
    page = (tmp_path / "out" / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "DVR" in page
    assert main(["report", str(tmp_path / "missing"), "--out", str(tmp_path / "x.html")]) == 2
    assert "no such results folder" in capsys.readouterr().err


def test_html_helpers_escape_and_format():
    html = table([[("", 1), ("IR", 2)], ["m", "a", "b"]], [["<x>", Raw("<b>1</b>"), 2]], highlight=[0])
    assert '<th colspan="2">IR</th>' in html and "&lt;x&gt;" in html and "<b>1</b>" in html
    assert '<tr class="ours">' in html
    assert (fmt(None), fmt(math.nan), fmt(math.inf), fmt(1234), fmt(0.123456, 3)) == ("n/a", "n/a", "inf", "1,234", "0.123")


@pytest.mark.parametrize("count", [1, 2, 3])
def test_examples_pick_distinct_images(count):
    from fcnr.report.sections.images import pick_examples

    rows = [{"t": 0, "view": v, "psnr": float(v)} for v in range(9)]
    picked = pick_examples(rows, count)
    assert len(picked) == count and len({r["view"] for _, r in picked}) == count
    assert picked[0][1]["view"] == (4 if count == 1 else 0)  # median alone, else the worst first
