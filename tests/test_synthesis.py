"""The decoder's synthesis paths: the fast ones agree with the reference; latents never depend on the path."""

from __future__ import annotations

import pytest
import torch
from test_model import P_L, P_R, coded  # noqa: F401 (coded: test_model's trained tiny model, a fixture)

from fcnr.cli import main
from fcnr.codec import synthesis
from fcnr.codec.model import LATENTS, build_model, latents_crc
from fcnr.codec.model_files import model_id
from fcnr.codec.model_io import save_model
from fcnr.codec.shard import ShardHeader, write_shard
from fcnr.codec.synthesis import Synthesis, resolve_path

pytestmark = pytest.mark.usefixtures("one_thread")

SIZE = (64, 96)  # the images of test_model's ``coded`` fixture


def decode(model, enc, path: str) -> dict:
    model.synthesis_path = path
    return model.decompress(enc["strings"], enc["shape"], P_L, P_R, SIZE, return_latents=True)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(1 / ((a - b) ** 2).mean()))


def test_fast_paths_stay_within_the_stated_tolerance_of_the_reference(coded):
    model, _, _, enc = coded
    ref = decode(model, enc, "reference")
    fp32, bf16 = decode(model, enc, "fast-fp32"), decode(model, enc, "fast-bf16")
    for r, f, b in zip(ref["x_hat"], fp32["x_hat"], bf16["x_hat"]):
        assert r.shape == f.shape == b.shape == (1, 3, *SIZE)
        assert r.is_contiguous() and f.is_contiguous() and f.dtype == torch.float32
        assert (f - r).abs().max() < 1e-5  # the same float32 network in another layout
        assert psnr(b, r) > 40  # bfloat16 (emulated here where the CPU lacks it) stays close
        assert not torch.equal(b, r)  # and it really ran in bfloat16


def test_latents_do_not_depend_on_the_path(coded):
    model, _, _, enc = coded
    for path in synthesis.PATHS:
        dec = decode(model, enc, path)
        assert latents_crc(dec["latents"]) == latents_crc(enc["latents"]), path
        for name in LATENTS:
            assert torch.equal(dec["latents"][name], enc["latents"][name]), (path, name)


def test_each_path_is_deterministic(coded):
    model, _, _, enc = coded
    for path in synthesis.PATHS:
        first = decode(model, enc, path)["x_hat"]
        model.train().eval()  # rebuilds the path's copy of g_s
        again = decode(model, enc, path)["x_hat"]
        assert all(torch.equal(a, b) for a, b in zip(first, again)), path


def test_the_path_copy_follows_new_weights(coded):
    model, _, _, enc = coded
    before = decode(model, enc, "fast-fp32")["x_hat"][0]
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["g_s.8.left.bias"] += 0.01
    model.load_state_dict(state)
    after = decode(model, enc, "fast-fp32")["x_hat"][0]
    model.load_state_dict({**state, "g_s.8.left.bias": state["g_s.8.left.bias"] - 0.01})
    assert not torch.equal(before, after)


def test_auto_is_the_fast_float32_path_unless_the_environment_says_otherwise(monkeypatch):
    monkeypatch.delenv(synthesis.ENV, raising=False)
    assert resolve_path(None) == resolve_path("auto") == "fast-fp32"
    assert resolve_path("fast-bf16") == "fast-bf16"
    monkeypatch.setenv(synthesis.ENV, "reference")
    assert resolve_path(None) == "reference"
    assert resolve_path("fast-fp32") == "fast-fp32"  # an explicit choice wins over the environment


def test_the_reference_path_can_be_forced_by_environment_and_option(coded, monkeypatch, tmp_path):
    model, _, _, _ = coded
    model.synthesis_path = None
    monkeypatch.setenv(synthesis.ENV, "reference")
    assert model.synthesis().path == "reference"
    monkeypatch.setenv(synthesis.ENV, "fastest")
    with pytest.raises(ValueError, match=r"\$FCNR_SYNTHESIS: synthesis path 'fastest'"):
        model.synthesis()
    with pytest.raises(ValueError, match="slow"):
        Synthesis(model.g_s, "slow")


def test_decompress_refuses_an_unknown_path_naming_the_option(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(synthesis.ENV, raising=False)
    torch.manual_seed(0)
    save_model(build_model({"N": 16, "M": 8, "heads": 2, "t_range": [0, 9]}).eval(), tmp_path / "m")
    write_shard(tmp_path / "s.fcnr", ShardHeader(model_id(tmp_path / "m"), 64, 64, 3), [])
    code = main(["decompress", str(tmp_path / "s.fcnr"), "--model", str(tmp_path / "m"), "--out", str(tmp_path / "o"),
                 "--synthesis", "fastest", "--device", "cpu"])  # fmt: skip
    assert code != 0
    assert "--synthesis: synthesis path 'fastest'" in capsys.readouterr().err
    monkeypatch.setenv(synthesis.ENV, "fastest")
    code = main(["decompress", str(tmp_path / "s.fcnr"), "--model", str(tmp_path / "m"), "--out", str(tmp_path / "o"),
                 "--device", "cpu"])  # fmt: skip
    assert code != 0
    assert "$FCNR_SYNTHESIS: synthesis path 'fastest'" in capsys.readouterr().err
