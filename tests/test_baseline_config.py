"""The `baselines:` config section (schema, the shipped configs) and the run layout it implies."""

from __future__ import annotations

from pathlib import Path

import pytest

from fcnr.baselines import CODECS
from fcnr.baselines.runs import compared_timesteps, default_lambda, lam_str, run_dir
from fcnr.baselines.schemas import load_schema
from render.basics.errors import FCNRError
from render.basics.schema import load_yaml, validate

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = load_schema(ROOT / "workflow" / "schemas" / "baselines.schema.yaml")


@pytest.mark.parametrize("name", ["config", "test", "paper"])
def test_shipped_configs_are_valid_and_name_every_codec(name):
    section = validate(load_yaml(ROOT / "config" / f"{name}.yaml")["baselines"], SCHEMA, name)
    assert set(section["classical"]) == set(CODECS)
    assert section["enabled"] is True


def test_paper_config_runs_the_full_comparison():
    section = load_yaml(ROOT / "config" / "paper.yaml")["baselines"]
    learned = section["learned"]
    assert section["timesteps"] is None and learned["modes"] is None
    assert len(learned["lambdas"]) >= 3 and set(learned["sweep"]) == {"fcnr", "ecsic"}
    assert set(learned["variants"]) == {"ecsic", "jct-only", "pe-only"}


def test_default_config_sweeps_fcnr_over_three_lambdas():
    # The main lambda plus the listed ones: the 3-point curve BD-rates need.
    learned = load_yaml(ROOT / "config" / "config.yaml")["baselines"]["learned"]
    assert "fcnr" in learned["sweep"] and len({*learned["lambdas"], default_lambda()}) >= 3


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"classical": {"jpeg": [0]}}, "classical.jpeg.0"),
        ({"classical": {"hevc": [60]}}, "classical.hevc.0"),
        ({"classical": {"png": [5]}}, "classical.png"),
        ({"learned": {"sweep": ["jct-only"]}}, "learned.sweep.0"),
        ({"learned": {"lambdas": [0]}}, "learned.lambdas.0"),
        ({"timesteps": 0}, "timesteps"),
    ],
)
def test_bad_settings_name_the_key(section, key):
    with pytest.raises(FCNRError, match=rf"cfg: {key}:"):
        validate(section, SCHEMA, "cfg")


def test_compared_timesteps_are_evenly_spread():
    ts = list(range(30, 36))
    assert compared_timesteps(ts, None) == ts and compared_timesteps(ts, 9) == ts
    assert compared_timesteps(ts, 1) == [35]  # the first is a training timestep
    assert compared_timesteps(ts, 2) == [30, 35]
    assert compared_timesteps(ts, 3) == [30, 32, 35]  # round(2.5) = 2


def test_run_folders():
    mode = Path("results/vortex/ir")
    assert run_dir(mode, "fcnr", "lambda", 1000.0, 1000.0) == mode
    assert run_dir(mode, "fcnr", "lambda", 250.0, 1000.0) == mode / "baselines/fcnr/lambda250"
    assert run_dir(mode, "ecsic", "lambda", 1000.0, 1000.0) == mode / "baselines/ecsic/lambda1000"
    assert run_dir(mode, "hevc", "crf", 34.0, 1000.0) == mode / "baselines/hevc/q34"
    assert lam_str(0.5) == "0.5" and lam_str(4000) == "4000"
