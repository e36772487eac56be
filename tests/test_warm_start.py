"""Warm starts, several training sources, the learning-rate schedule and the base model's data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from fcnr.cli import main
from fcnr.codec.model import build_model
from fcnr.codec.layers import anchor_mask
from fcnr.codec.model_io import load_model, save_model
from fcnr.training.base_model import (
    base_timesteps,
    check_disjoint,
    init_candidates,
    nearest_base,
    read_provenance,
    seen_timesteps,
    trained_lambda,
)
from fcnr.training.schedule import learning_rate
from fcnr.training.warm_start import warm_start
from render.basics.errors import FCNRError
from render.manifest import known_datasets, load_manifest, parse_timesteps, used_timesteps
from render.views import icosphere_views, write_views

pytestmark = pytest.mark.usefixtures("one_thread")

REPO = Path(__file__).resolve().parents[1]
SIZE = 32


def write_renders(root: Path, timesteps, phase: float) -> Path:
    """Writes views.csv, an all-train split.csv and smooth images of ``timesteps`` under ``root``."""
    views = icosphere_views(1)
    write_views(views, root / "views.csv")
    (root / "split.csv").write_text("t,view,split\n" + "".join(f"{t},{int(v)},train\n" for t in timesteps
                                                                for v in views["index"]))  # fmt: skip
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    for t in timesteps:
        for v in views:
            img = np.stack([np.sin(4 * xx + v["phi"] + t + phase), np.cos(3 * yy + v["theta"]), xx * yy], -1)
            path = root / "images" / f"t{t:04d}" / f"v{int(v['index']):04d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(((img + 1) / 2 * 255).clip(0, 255).astype(np.uint8)).save(path)
    return root


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("warm")
    return write_renders(base / "a", (10, 11), 0.0), write_renders(base / "b", (40,), 1.0)


def train(out: Path, roots: list[Path], *extra: str) -> int:
    return main(["train", *(str(r / "images") for r in roots), "--views", str(roots[0] / "views.csv"),
                 "--split", *(str(r / "split.csv") for r in roots), "--out", str(out), "--N", "8", "--M", "4",
                 "--lr", "3e-3", "--lambda", "100", "--no-progress", "--epochs", "10", *extra])  # fmt: skip


def test_learning_rate_warms_up_then_decays_below_a_tenth():
    lrs = [learning_rate(s, 100, 1e-3, "cosine", warmup=10) for s in range(100)]
    assert lrs[0] == pytest.approx(1e-4) and max(lrs) == pytest.approx(1e-3) and lrs.index(max(lrs)) == 10
    assert all(a <= b for a, b in zip(lrs[:10], lrs[1:11])) and all(a >= b for a, b in zip(lrs[10:], lrs[11:]))
    assert lrs[-1] == pytest.approx(5e-5) and lrs[-1] <= 1e-3 / 10
    assert {learning_rate(s, 100, 1e-3, "constant") for s in range(100)} == {1e-3}
    with pytest.raises(ValueError, match="linear"):
        learning_rate(0, 10, 1e-3, "linear")


def test_several_sources_train_one_model_each_with_its_own_time_range(sources, tmp_path, capsys):
    out = tmp_path / "both"
    assert train(out, list(sources), "--max-steps", "6") == 0
    summary = json.loads((out / "train_summary.json").read_text())
    assert [(s["pairs"], s["t_range"]) for s in summary["sources"]] == [(12, [10, 11]), (6, [40, 40])]
    assert summary["init"] is None and "on 18 pairs" in capsys.readouterr().out
    rows = (out / "train_log.csv").read_text().splitlines()
    assert rows[0] == "step,epoch,loss,bpp,psnr,lr,seconds" and len(rows) == 7


def test_mismatched_source_lists_are_refused(sources, tmp_path, capsys):
    a, b = sources
    args = ["train", str(a / "images"), str(b / "images"), "--views", str(a / "views.csv"), "--split",
            str(a / "split.csv"), str(a / "split.csv"), str(b / "split.csv"), "--out", str(tmp_path / "m")]  # fmt: skip
    assert main(args) == 2
    assert "--split: give one file for all 2 images roots or one per root, not 3" in capsys.readouterr().err


def test_warm_start_loads_every_tensor_then_fine_tunes(sources, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    assert train(first, [sources[0]], "--max-steps", "4") == 0
    assert train(second, [sources[1]], "--max-steps", "1", "--init", str(first), "--lr", "1e-9") == 0
    summary = json.loads((second / "train_summary.json").read_text())
    assert summary["init"]["path"] == str(first) and summary["init"]["fresh"] == []
    a, b = load_file(first / "weights.safetensors"), load_file(second / "weights.safetensors")
    # One step at a negligible rate: every network tensor is (within fp16 rounding) the source's.
    assert all(torch.allclose(a[k].float(), b[k].float(), atol=1e-3) for k in a if not k.startswith("laplace."))
    tuned = tmp_path / "tuned"
    assert train(tuned, [sources[1]], "--max-steps", "8", "--init", str(first)) == 0
    c = load_file(tuned / "weights.safetensors")
    assert any(not torch.equal(a[k], c[k]) for k in a if k.startswith("g_s."))
    config = json.loads((tuned / "config.json").read_text())
    assert config["t_range"] == [40, 40]  # the new data's, not the source model's


def test_a_variant_takes_the_shared_convolutions_and_keeps_its_own_blocks(tmp_path):
    torch.manual_seed(0)
    source = build_model({"N": 8, "M": 4, "t_range": [0, 1]})
    save_model(source.eval(), tmp_path / "fcnr")
    ecsic = build_model({"N": 8, "M": 4, "variant": "ecsic", "t_range": [0, 1]})
    info = warm_start(ecsic, tmp_path / "fcnr")
    assert info["variant"] == "fcnr" and info["tensors_loaded"] > 0
    assert any(k.startswith("g_a.6.") for k in info["fresh"])  # g_a's inter-view block: SCAM, not JCTM
    assert any(k.startswith("entropy_parameters.prior_l.") for k in info["fresh"])  # learned prior, not PE
    kept = source.state_dict()["g_s.0.left.weight"].half().float()
    assert torch.equal(ecsic.state_dict()["g_s.0.left.weight"], kept)


@torch.no_grad()
def test_a_checkerboard_model_starts_from_a_pair_model_as_that_model(tmp_path):
    torch.manual_seed(0)
    save_model(build_model({"N": 8, "M": 4, "t_range": [0, 1]}).eval(), tmp_path / "pair")
    source = load_model(tmp_path / "pair")
    model = build_model({"N": 8, "M": 4, "t_range": [0, 1], "context": "checkerboard"})
    info = warm_start(model, tmp_path / "pair")
    assert {k.split(".")[1] for k in info["fresh"]} == {"checkerboard"}  # only the context's layers
    model.eval().update(force=True)
    pair = (torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64), torch.rand(1, 3), torch.rand(1, 3))
    expected, got = source(*pair)["likelihoods"], model(*pair)["likelihoods"]
    assert all(torch.equal(expected[n], got[n]) for n in expected)  # zero corrections: the pair model
    model.entropy_parameters.checkerboard["y_l"].net[-1].bias.fill_(0.5)  # as trained
    moved = model(*pair)["likelihoods"]
    anchors = anchor_mask(moved["y_l"]).bool()
    assert torch.equal(moved["y_l"][anchors], expected["y_l"][anchors])
    assert not torch.allclose(moved["y_l"][~anchors], expected["y_l"][~anchors])
    assert not torch.equal(moved["y_r"], expected["y_r"])  # y_r depends on the decoded y_l


def test_a_checkerboard_model_is_refused_as_the_start_of_a_pair_model(tmp_path):
    save_model(build_model({"N": 8, "M": 4, "t_range": [0, 1], "context": "checkerboard"}).eval(), tmp_path / "cb")
    with pytest.raises(FCNRError, match=r"--init .*cb: its entropy context is 'checkerboard', this model's 'pair'"):
        warm_start(build_model({"N": 8, "M": 4, "t_range": [0, 1]}), tmp_path / "cb")


def test_a_model_of_other_sizes_is_not_compatible(tmp_path):
    save_model(build_model({"N": 8, "M": 4, "t_range": [0, 1]}).eval(), tmp_path / "small")
    with pytest.raises(FCNRError, match=r"--init .*small: not compatible with this model: its sizes \(N=8, M=4\) "
                       r"are not this model's \(N=16, M=4\); g_a\.0\.left\.weight .* or from scratch"):
        warm_start(build_model({"N": 16, "M": 4, "t_range": [0, 1]}), tmp_path / "small")


def test_timestep_ranges_parse_with_steps_and_lists():
    assert parse_timesteps("0:6:2,10,20:22", 48) == [0, 2, 4, 10, 20, 21]
    assert parse_timesteps("45:", 48) == [45, 46, 47]
    with pytest.raises(FCNRError, match="'1:2:3:4'"):
        parse_timesteps("1:2:3:4", 48)


def test_a_base_that_overlaps_a_used_timestep_is_refused():
    tornado = load_manifest("tornado")
    with pytest.raises(FCNRError, match=r"tornado: timestep\(s\) \[28, 29\] are among the 30 used ones"):
        check_disjoint({"tornado": base_timesteps(tornado, "28:40")}, {"tornado": tornado})
    with pytest.raises(FCNRError, match="outside 0..47"):
        base_timesteps(tornado, "40:50")


def published_bases() -> list[Path]:
    return sorted(p.parent for p in (REPO / "fcnr" / "zoo").glob("*/*/base.json"))


def test_committed_base_models_never_saw_a_used_timestep_of_any_manifest():
    bases = published_bases()
    assert bases, "no published base model under fcnr/zoo/"
    manifests = {ds: load_manifest(ds) for ds in known_datasets()}
    for folder in bases:
        provenance = read_provenance(folder)
        seen = seen_timesteps(provenance)  # at every size, through the chain of bases it continued from
        assert set(seen) <= set(manifests), folder
        for ds, timesteps in seen.items():
            overlap = set(timesteps) & set(used_timesteps(manifests[ds]))
            assert not overlap, f"{folder}: {ds} timesteps {sorted(overlap)} are scored by reports"
        for images in provenance["images"]:  # each size's timesteps are among the ones base.json lists
            for ds, timesteps in images["timesteps"].items():
                assert set(timesteps) <= set(provenance["datasets"][ds]["timesteps"]), (folder, images["size"])
        weights = load_file(folder / "weights.safetensors")
        assert {t.dtype for k, t in weights.items() if not k.startswith("laplace.")} == {torch.float16}
        summary = json.loads((folder / "train_summary.json").read_text())
        assert math.isfinite(summary["seconds"]) and len((folder / "train_log.csv").read_text().splitlines()) > 1


def test_what_a_base_saw_includes_the_base_it_continued_from():
    first = {"datasets": {"tornado": {"timesteps": [30, 31]}}, "images": [], "init": None}
    second = {"datasets": {"tornado": {"timesteps": [33]}, "vortex": {"timesteps": [2]}}, "images": [],
              "init": {"path": "fcnr/zoo/first/ir", "base": first}}  # fmt: skip
    assert seen_timesteps(second) == {"tornado": [30, 31, 33], "vortex": [2]}


def write_base(folder: Path, lmbda: float | None) -> str:
    """Writes a base.json saying only the lambda a base model was trained at; returns the folder."""
    folder.mkdir(parents=True)
    (folder / "base.json").write_text(json.dumps({"format": "fcnr-base", "version": 2, "train": {"lambda": lmbda}}))
    return str(folder)


def test_a_training_starts_from_the_base_trained_nearest_its_lambda(tmp_path):
    high, low = write_base(tmp_path / "high" / "dvr", None), write_base(tmp_path / "low" / "dvr", 5)
    setting = {"ir": "zoo/base/{mode}", "dvr": [str(tmp_path / "high/{mode}"), str(tmp_path / "low/{mode}")]}
    assert init_candidates(setting, "ir") == ["zoo/base/ir"] and init_candidates(setting, "dvr") == [high, low]
    assert init_candidates(None, "ir") == [] and init_candidates({"dvr": None}, "dvr") == []
    assert trained_lambda(high) == 1000.0 and trained_lambda(low) == 5.0  # unset: `fcnr train`'s default
    picks = {lmbda: nearest_base([high, low], lmbda) for lmbda in (1, 5, 20, 100, 1000, 5000)}
    assert picks == {1: low, 5: low, 20: low, 100: high, 1000: high, 5000: high}  # 70.7 splits them (log scale)
    assert nearest_base(["results/any/dvr/model"], 5) == "results/any/dvr/model"  # one: no base.json needed
    with pytest.raises(FCNRError, match="no base.json, so the lambda it was trained at is unknown"):
        nearest_base([high, str(tmp_path)], 5)
