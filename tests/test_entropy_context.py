"""bench/entropy_context.py: its forward is FCNR's, new contexts start as the control, and a tiny real run."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
import yaml

from bench import entropy_context
from bench.entropy_context import ContextModel
from fcnr.codec.model import LATENTS, build_model
from render.basics.errors import FCNRError

pytestmark = pytest.mark.usefixtures("one_thread")
REPO = entropy_context.REPO


def small_pair(seed: int = 0) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    images = [torch.rand(1, 3, 64, 64, generator=generator) for _ in range(2)]
    return (*images, torch.rand(1, 3, generator=generator), torch.rand(1, 3, generator=generator))


@torch.no_grad()
def test_the_previous_context_without_a_previous_pair_is_fcnr_forward():
    torch.manual_seed(0)
    model = build_model({"N": 16, "M": 8, "context": "checkerboard"}).eval()
    pair = small_pair()
    expected, got = model(*pair), ContextModel(model, "previous+checkerboard").eval()(*pair, None)
    assert all(torch.equal(a, b) for a, b in zip(expected["x_hat"], got["x_hat"]))
    assert all(torch.equal(expected["likelihoods"][n], got["likelihoods"][n]) for n in LATENTS)


@torch.no_grad()
def test_new_contexts_start_as_the_control():
    torch.manual_seed(0)
    model = build_model({"N": 16, "M": 8}).eval()
    control = ContextModel(model, "pair")
    both = ContextModel(model, "previous+checkerboard").eval()
    assert both.model.config["context"] == "checkerboard" and control.model is model
    assert {id(p) for p in both.new_parameters()} == {
        *map(id, both.previous.parameters()), *map(id, both.model.entropy_parameters.checkerboard.parameters())}
    prev = both(*small_pair(1), None)["latents"]
    expected, got = control(*small_pair(), None), both(*small_pair(), prev)
    assert all(torch.allclose(expected["likelihoods"][n], got["likelihoods"][n]) for n in LATENTS)


def test_tiny_run_prints_each_context_against_the_control(tmp_path, capsys):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["views"]["frequency"], config["volumes"]["max_side"] = 1, 32  # 12 views of a 32^3 grid
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    common = ["--model", str(REPO / "fcnr" / "zoo" / "base-128" / "ir"), "--dataset", "tornado", "--mode", "ir",
              "--size", "64", "--crop", "32", "--work", str(tmp_path / "work"), "--config", str(tmp_path / "config.yaml"),
              "--threads", "1"]  # fmt: skip
    assert entropy_context.main([*common, "--steps", "0"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and "bpp |" not in line]
    assert [row.split(" | ")[0] for row in rows] == [f"| {c}" for c in entropy_context.CONTEXTS]
    assert all(row.split(" | ")[5:7] == rows[0].split(" | ")[5:7] for row in rows)  # the same bpp and PSNR
    assert entropy_context.main([*common, "--steps", "2", "--contexts", "pair", "previous+checkerboard"]) == 0
    out = capsys.readouterr().out
    assert "| previous+checkerboard | " in out and "2 steps at lambda 5" in out
    images = tmp_path / "work" / "tornado" / "ir" / "s64" / "images"
    assert sorted(p.name for p in images.iterdir()) == ["t0000", "t0003", "t0005"]
    assert all(len(list(folder.glob("v*.png"))) == 12 for folder in images.iterdir())  # every view, to chain pairs


def test_a_model_that_saw_the_scored_timestep_or_whose_past_is_unknown_is_refused(tmp_path):
    seen = tmp_path / "seen"
    shutil.copytree(REPO / "fcnr" / "zoo" / "base-128" / "ir", seen)
    provenance = json.loads((seen / "base.json").read_text())
    provenance["datasets"]["tornado"]["timesteps"].append(5)  # the default run's scored timestep
    (seen / "base.json").write_text(json.dumps(provenance))
    args = ["--dataset", "tornado", "--mode", "ir", "--size", "64", "--work", str(tmp_path / "work")]
    with pytest.raises(FCNRError, match="saw tornado timestep 5"):
        entropy_context.main(["--model", str(seen), *args])
    (seen / "base.json").unlink()
    with pytest.raises(FCNRError, match="what it saw is unknown"):
        entropy_context.main(["--model", str(seen), *args])
