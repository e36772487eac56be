"""The FCNR model on a tiny configuration: shapes, exact bitstream round trips, thread independence,
saving/loading, and every variant learning."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from fcnr.codec.layers import SCAM
from fcnr.codec.model import LATENTS, VARIANTS, build_model, latents_crc
from fcnr.codec.model_files import model_id
from fcnr.codec.model_io import load_model, save_model
from fcnr.codec.params import view_params
from fcnr.training.train import rd_loss
from render.basics.errors import FCNRError

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = {"N": 16, "M": 8, "heads": 2}


def smooth_pair(h: int, w: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns two overlapping crops of a smooth random image, (1, 3, h, w) each, in [0, 1]."""
    gen = torch.Generator().manual_seed(seed)
    coarse = torch.rand(1, 3, h // 8 + 2, w // 8 + 3, generator=gen)
    full = torch.nn.functional.interpolate(coarse, size=(h + 8, w + 8), mode="bilinear", align_corners=False)
    return full[..., :h, :w].contiguous(), full[..., 5 : h + 5, 3 : w + 3].contiguous()


def params(theta: float, phi: float) -> torch.Tensor:
    return view_params(3, theta, phi, (0, 9)).unsqueeze(0)


P_L, P_R = params(1.0, 2.0), params(1.1, 2.3)


@pytest.fixture(scope="module")
def coded():
    """Returns (model, x_l, x_r, encoder output) for a briefly trained tiny FCNR model."""
    torch.manual_seed(0)
    model = build_model(TINY)
    x_l, x_r = smooth_pair(64, 96)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(5):  # a few steps so latents are not all zero
        loss = rd_loss(model(x_l, x_r, P_L, P_R), x_l, x_r, 100.0)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    model.update(force=True)
    return model, x_l, x_r, model.compress(x_l, x_r, P_L, P_R, return_latents=True)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_forward_shapes_for_sizes_off_the_stride(variant):
    model = build_model({**TINY, "variant": variant})
    x_l, x_r = smooth_pair(70, 45)
    out = model(x_l, x_r, P_L, P_R)
    assert [x.shape for x in out["x_hat"]] == [x_l.shape, x_r.shape]
    # 70 x 45 pads to 96 x 64: y at 1/8, z at 1/32 of that
    shapes = {k: tuple(v.shape) for k, v in out["likelihoods"].items()}
    assert shapes == {"z_l": (1, 8, 3, 2), "z_r": (1, 8, 3, 2), "y_l": (1, 8, 12, 8), "y_r": (1, 8, 12, 8)}
    assert all(((v > 0) & (v <= 1)).all() for v in out["likelihoods"].values())


def test_unknown_config_is_rejected():
    with pytest.raises(ValueError, match="variant"):
        build_model({"variant": "nope"})
    with pytest.raises(ValueError, match="unknown model config keys"):
        build_model({"channels": 3})


def test_round_trip_matches_the_rounded_forward_pass(coded):
    model, x_l, x_r, enc = coded
    assert len(enc["strings"]) == 1 and isinstance(enc["strings"][0], bytes) and enc["strings"][0]
    assert enc["shape"] == (2, 3)
    dec = model.decompress(enc["strings"], enc["shape"], P_L, P_R, (64, 96), return_latents=True)
    for name in LATENTS:
        assert torch.equal(dec["latents"][name], enc["latents"][name]), name
    assert latents_crc(dec["latents"]) == latents_crc(enc["latents"])
    with torch.no_grad():
        forward = model(x_l, x_r, P_L, P_R)
    for got, want in zip(dec["x_hat"], forward["x_hat"]):
        assert got.shape == (1, 3, 64, 96)
        assert torch.allclose(got, want.clamp(0, 1), atol=1e-5)


def test_decoding_is_identical_under_one_and_two_threads(coded):
    model, _, _, enc = coded
    results = []
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            model.train().eval()  # drop the float64 copy so it is rebuilt under this thread count
            results.append(model.decompress(enc["strings"], enc["shape"], P_L, P_R, (64, 96), return_latents=True))
    finally:
        torch.set_num_threads(1)
    one, two = results
    assert latents_crc(one["latents"]) == latents_crc(two["latents"]) == latents_crc(enc["latents"])
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(one["x_hat"], two["x_hat"]))


def test_other_view_parameters_change_the_z_prior(coded):
    model, _, _, enc = coded
    dec = model.decompress(enc["strings"], enc["shape"], params(0.2, 5.0), P_R, (64, 96), return_latents=True)
    assert latents_crc(dec["latents"]) != latents_crc(enc["latents"])


def test_compress_refuses_batches(coded):
    model, x_l, x_r, _ = coded
    with pytest.raises(ValueError, match="one pair at a time"):
        model.compress(torch.cat([x_l, x_l]), torch.cat([x_r, x_r]), P_L.repeat(2, 1), P_R.repeat(2, 1))


def test_saved_model_loads_and_codes_identically(coded, tmp_path):
    model, x_l, x_r, enc = coded
    save_model(model, tmp_path / "m")
    loaded, again = load_model(tmp_path / "m"), load_model(tmp_path / "m")
    strings = loaded.compress(x_l, x_r, P_L, P_R)["strings"]
    assert again.compress(x_l, x_r, P_L, P_R)["strings"] == strings
    ident = model_id(tmp_path / "m")
    assert len(ident) == 16 and ident == model_id(tmp_path / "m")
    with torch.no_grad():
        loaded.g_s[-1].left.bias.add_(0.01)
    save_model(loaded, tmp_path / "m2")
    assert model_id(tmp_path / "m2") != ident


def test_loading_weights_of_another_config_is_a_clear_error(coded, tmp_path):
    model, *_ = coded
    save_model(model, tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, "M": 12}))
    with pytest.raises(FCNRError, match="weights.safetensors.*do not match"):
        load_model(tmp_path / "m")
    with pytest.raises(FCNRError, match="config.json: cannot read"):
        load_model(tmp_path / "absent")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_each_variant_learns_a_fixed_pair(variant):
    torch.manual_seed(0)
    model = build_model({**TINY, "variant": variant})
    x_l, x_r = smooth_pair(32, 64, seed=1)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(12):
        loss = rd_loss(model(x_l, x_r, P_L, P_R), x_l, x_r, 100.0)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert sum(losses[-3:]) / 3 < 0.5 * losses[0], losses


def test_decoding_absorbs_last_bit_differences_of_the_parameter_networks(coded):
    """Another device rounds differently; perturbing the float64 weights by 1e-12 stands in for it."""
    model, _, _, enc = coded
    model.train().eval()
    exact = model._exact()
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for p in exact.parameters():
            p.mul_(1 + 1e-12 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    dec = model.decompress(enc["strings"], enc["shape"], P_L, P_R, (64, 96), return_latents=True)
    model.train().eval()
    assert latents_crc(dec["latents"]) == latents_crc(enc["latents"])


def test_weights_are_stored_in_float16_and_the_coder_tables_exactly(coded, tmp_path):
    model, x_l, x_r, _ = coded
    save_model(model, tmp_path / "m")
    stored = load_file(tmp_path / "m" / "weights.safetensors")
    dtypes = {k: t.dtype for k, t in stored.items()}
    assert {d for k, d in dtypes.items() if not k.startswith("laplace.")} == {torch.float16}
    assert dtypes["laplace._quantized_cdf"] == torch.int32
    assert torch.equal(stored["laplace._quantized_cdf"], model.laplace.quantized_cdf)
    loaded = load_model(tmp_path / "m")
    assert next(loaded.parameters()).dtype == torch.float32
    # Rounding the weights to float16 moves the reconstruction by far less than one grey level.
    with torch.no_grad():
        a, b = model.eval()(x_l, x_r, P_L, P_R)["x_hat"][0], loaded(x_l, x_r, P_L, P_R)["x_hat"][0]
    assert (a - b).abs().max() < 0.5 / 255


def test_the_new_blocks_have_the_reference_sizes():
    n = 16
    scam = SCAM(n)
    per_direction = 2 * (3 * n * 4 * 2 * n + 4 * 2 * n) + (3 * n * n + n) + (n * n + n)  # q, k; v; out
    assert sum(p.numel() for p in scam.parameters()) == 2 * 2 * n + 2 * per_direction + 2 * (n * n + n)
    assert scam.rtl.heads == 4 and scam.rtl.q.out_channels == 4 * 2 * n
    ecsic = build_model({**TINY, "variant": "ecsic"})
    assert isinstance(ecsic.entropy_parameters.cont_y.attention, SCAM)
    head = build_model(TINY).entropy_parameters.h_s_out_r  # the reference's hd_out_right: N -> N, 3x3
    assert (head.in_channels, head.out_channels, head.kernel_size) == (16, 16, (3, 3))


def test_scam_computes_both_directions_from_the_features_before_either_update():
    torch.manual_seed(0)
    scam, left, right = SCAM(8).eval(), torch.randn(1, 8, 2, 5), torch.randn(1, 8, 2, 5)
    out_l, out_r = scam(left, right)
    # Swapping the roles of the two views swaps the outputs when the two directions share weights.
    scam.ltr.load_state_dict(scam.rtl.state_dict())
    scam.norm_r.load_state_dict(scam.norm_l.state_dict())
    scam.ff_r.load_state_dict(scam.ff_l.state_dict())
    a_l, a_r = scam(left, right)
    b_l, b_r = scam(right, left)
    assert torch.allclose(a_l, b_r, atol=1e-6) and torch.allclose(a_r, b_l, atol=1e-6)
    # The left view's update depends only on its own direction (right-to-left), not on the other.
    assert torch.allclose(out_l, a_l) and not torch.allclose(out_r, a_r)
