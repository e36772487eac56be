"""The Laplace conditional entropy model: probabilities, CDF indexes and exact rANS round trips."""

from __future__ import annotations

import math

import pytest
import torch
from compressai.ans import BufferedRansEncoder, RansDecoder

from fcnr.codec.entropy import (
    MEAN_GRID,
    LaplaceConditional,
    quantize_means,
    round_ste,
    scale_table,
)


@pytest.fixture(scope="module")
def laplace():
    model = LaplaceConditional()
    model.update()
    return model


def test_likelihoods_are_the_laplace_mass_of_each_integer(laplace):
    b, mu = 1.75, 0.25  # exact in float32: LowerBound compares in float32
    values = torch.arange(-60, 61, dtype=torch.float64) + mu
    lik = laplace._likelihood(values, torch.tensor(b, dtype=torch.float64), torch.tensor(mu, dtype=torch.float64))

    def mass(k: int) -> float:  # closed form, accurate far into the tails
        return 1 - math.exp(-0.5 / b) if k == 0 else math.exp(-abs(k) / b) * math.sinh(0.5 / b)

    expected = torch.tensor([mass(k) for k in range(-60, 61)], dtype=torch.float64)
    assert torch.allclose(lik, expected, rtol=1e-9, atol=0)
    assert lik.sum().item() == pytest.approx(1.0, abs=1e-9)


def test_tail_quantile_bounds_the_tabulated_range():
    q = LaplaceConditional._standardized_quantile(1e-9 / 2)
    assert 0.5 * math.exp(q) == pytest.approx(1e-9 / 2)
    assert LaplaceConditional._standardized_quantile(0.5) == 0.0


def test_indexes_pick_the_first_table_scale_not_below(laplace):
    table = torch.tensor(scale_table(), dtype=torch.float64)
    scales = torch.cat([table, table[:-1] * 1.01, torch.tensor([1e-4, 0.05, 1e3])])
    index = laplace.build_indexes(scales).long()
    expected = torch.searchsorted(table, scales.clamp(table[0], table[-1]) * (1 - 1e-9))
    assert torch.equal(index, expected)


def test_code_and_decode_round_trip_exactly_with_outliers(laplace):
    gen = torch.Generator().manual_seed(1)
    shape = (1, 5, 7, 9)
    mu = torch.randn(shape, generator=gen) * 3
    b = torch.rand(shape, generator=gen) * 4 + 0.01
    y = mu + torch.randn(shape, generator=gen) * b
    y[0, 0, 0, :3] = torch.tensor([500.0, -800.0, 3e3])  # far outside every tabulated range
    encoder = BufferedRansEncoder()
    y_hat = laplace.code(y, mu, b, encoder)
    second = laplace.code(y * 0.5, mu, b, encoder)  # a second latent in the same stream
    decoder = RansDecoder()
    decoder.set_stream(encoder.flush())
    assert torch.equal(laplace.decode(decoder, mu, b, torch.Size(shape)), y_hat)
    assert torch.equal(laplace.decode(decoder, mu, b, torch.Size(shape)), second)
    mu_q = torch.round(mu.double() * MEAN_GRID) / MEAN_GRID
    assert torch.equal(y_hat.double(), torch.round(y.double() - mu_q) + mu_q)


def test_coded_size_matches_the_estimated_rate(laplace):
    gen = torch.Generator().manual_seed(2)
    shape = (1, 8, 32, 32)
    mu = torch.randn(shape, generator=gen)
    b = torch.rand(shape, generator=gen) * 3 + 0.2
    y = mu + torch.distributions.Laplace(0.0, b).sample()
    encoder = BufferedRansEncoder()
    y_hat = laplace.code(y, mu, b, encoder)
    estimate = -torch.log2(laplace._likelihood(y_hat, b, quantize_means(mu))).sum().item() / 8
    assert abs(len(encoder.flush()) - estimate) < 0.03 * estimate + 16


def test_straight_through_helpers_are_exact_and_pass_gradients():
    x = torch.tensor([0.26, -1.49, 2.5], requires_grad=True)
    mu_q = quantize_means(x)
    assert torch.equal(mu_q.detach(), torch.round(x.detach() * MEAN_GRID) / MEAN_GRID)
    (mu_q.sum() + round_ste(x).sum()).backward()
    assert torch.equal(x.grad, torch.full_like(x, 2.0))
