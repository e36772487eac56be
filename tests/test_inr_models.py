"""The INR architectures: sized by a parameter budget, the shapes they produce, what they store."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from fcnr.inr.layers import up_strides
from fcnr.inr.models import architecture, budget_count, build_model, sized_config
from render.basics.errors import FCNRError
from render.basics.schema import load_yaml

TEST_CONFIG = Path(__file__).resolve().parents[1] / "config" / "test.yaml"


def test_up_strides_split_powers_of_two_larger_first():
    assert up_strides(32, 4) == [4, 2, 2, 2]
    assert up_strides(128, 5) == [4, 4, 2, 2, 2]
    assert up_strides(512, 5) == [4, 4, 4, 4, 2]
    for ratio, stages in ((48, 4), (8, 4)):
        with pytest.raises(ValueError):
            up_strides(ratio, stages)


@pytest.mark.parametrize("method", ["enerv", "hnerv", "nervi"])
@pytest.mark.parametrize(("size", "images", "budget"), [(64, 12, 20_000), (128, 184, 40_000)])
def test_budget_picks_the_widest_model_that_fits(method, size, images, budget):
    config = sized_config(method, budget, size, size, images)
    assert budget_count(config, images) <= budget < budget_count({**config, "width": config["width"] + 1}, images)
    model = build_model(config)
    out = model(torch.rand(2, 3, size, size), torch.rand(2, 3))
    assert out.shape == (2, 3, size, size) and 0 <= out.min() and out.max() <= 1


@pytest.mark.parametrize(("size", "images"), [(64, 12), (128, 92)])
def test_the_test_configs_budgets_fit_its_images_and_a_default_run_exported_as_cinema(size, images):
    for method, spec in load_yaml(TEST_CONFIG)["baselines"]["inr"]["methods"].items():
        for budget in spec["sizes"]:
            assert budget_count(sized_config(method, budget, size, size, images), images) <= budget


def test_hnerv_stores_decoder_and_embeddings_not_its_encoder():
    config = sized_config("hnerv", 30_000, 128, 128, 184)
    model = build_model(config)
    stored = model.stored_state()
    assert stored and not any(k.startswith("encoder.") for k in stored)
    assert any(k.startswith("encoder.") for k in model.state_dict())
    embedding = model.codes(torch.rand(1, 3, 128, 128), torch.rand(1, 3))
    assert embedding.shape[1:] == model.embedding_shape() == (4, 2, 2)
    parameters = sum(t.numel() for t in stored.values())
    assert budget_count(config, 184) == parameters + 184 * 16
    decoder = build_model(config, with_encoder=False)
    assert decoder.encoder is None and decoder.stored_state().keys() == stored.keys()
    with pytest.raises(RuntimeError, match="without its encoder"):
        decoder.codes(torch.rand(1, 3, 128, 128), None)


def test_enerv_and_nervi_store_every_parameter_and_no_grid():
    for method in ("enerv", "nervi"):
        model = build_model(sized_config(method, 20_000, 64, 64, 12))
        assert model.stored_state().keys() == dict(model.named_parameters()).keys()
        assert model.embedding_shape() == ()


def test_impossible_sizes_are_user_errors():
    with pytest.raises(FCNRError, match="too small"):
        sized_config("hnerv", 1000, 128, 128, 184)
    with pytest.raises(FCNRError, match="no architecture for 96 x 96"):
        architecture("enerv", 96, 96)
    with pytest.raises(FCNRError, match="unknown INR method"):
        build_model({"method": "siren"})
