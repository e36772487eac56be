"""PSNR, MS-SSIM and LPIPS on known inputs; LPIPS never loads or downloads weights it lacks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from fcnr.evaluation.metrics import LPIPSMetric, ms_ssim, ms_ssim_scales, psnr


def noisy(shape, sigma, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    b = np.clip(a.astype(np.int64) + np.rint(rng.normal(0, sigma, shape)), 0, 255).astype(np.uint8)
    return a, b


def test_psnr_known_values():
    a = np.full((8, 8, 3), 100, np.uint8)
    assert psnr(a, a) == math.inf
    assert psnr(a, a + 1) == pytest.approx(10 * math.log10(255**2))  # MSE 1 -> 48.13 dB
    b = a.copy()
    b[..., 0] = 110  # MSE = 100 / 3
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2 * 3 / 100))
    with pytest.raises(ValueError, match="uint8"):
        psnr(a.astype(np.float32), a.astype(np.float32))
    with pytest.raises(ValueError, match="same shape"):
        psnr(a, a[:4])


def test_ms_ssim_matches_reference_implementation():
    pytorch_msssim = pytest.importorskip("pytorch_msssim")
    a, b = noisy((170, 200, 3), 20)
    reference = pytorch_msssim.ms_ssim(
        torch.from_numpy(a).permute(2, 0, 1)[None].double(),
        torch.from_numpy(b).permute(2, 0, 1)[None].double(), data_range=255,
    )
    assert ms_ssim(a, b) == pytest.approx(float(reference), abs=1e-5)
    assert ms_ssim(a, a) == pytest.approx(1.0)


def test_ms_ssim_small_images_use_fewer_scales():
    assert [ms_ssim_scales(s, s) for s in (10, 11, 20, 21, 64, 128, 160, 161, 1024)] == [0, 1, 1, 2, 3, 4, 4, 5, 5]
    a, b = noisy((64, 64, 3), 10)
    _, c = noisy((64, 64, 3), 40)
    assert ms_ssim(a, a) == pytest.approx(1.0)
    assert 0 < ms_ssim(a, c) < ms_ssim(a, b) < 1
    with pytest.raises(ValueError, match="at least 11 px"):
        ms_ssim(a[:10], b[:10])


def test_lpips_unavailable_without_cached_alexnet(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    metric = LPIPSMetric()
    assert not metric.available
    assert str(tmp_path / "checkpoints" / "alexnet-owt-7be5be79.pth") in metric.reason
    assert "download.pytorch.org" in metric.reason
    with pytest.raises(RuntimeError, match="LPIPS unavailable"):
        metric(*noisy((32, 32, 3), 5))
    # A file that is not an AlexNet state dict is refused with the reason, never used.
    bad = tmp_path / "checkpoints" / "alexnet-owt-7be5be79.pth"
    bad.parent.mkdir()
    torch.save({"something": torch.zeros(1)}, bad)
    metric = LPIPSMetric()
    assert not metric.available and "cannot load AlexNet weights" in metric.reason


def test_lpips_loads_a_cached_alexnet_state_dict(tmp_path):
    # Plumbing only: a torchvision AlexNet state dict with seeded random weights, written where the
    # hub cache would hold the real one, must be loaded into the backbone exactly.
    import torchvision

    torch.manual_seed(0)
    alexnet = torchvision.models.alexnet(weights=None)
    path = tmp_path / "alexnet.pth"
    torch.save(alexnet.state_dict(), path)
    metric = LPIPSMetric(backbone=path)
    assert metric.available, metric.reason
    assert torch.equal(metric.net.net.slice5._modules["10"].weight, alexnet.features[10].weight)
    assert torch.equal(metric.net.net.slice1._modules["0"].bias, alexnet.features[0].bias)
    a, b = noisy((64, 64, 3), 10)
    _, c = noisy((64, 64, 3), 60)
    assert metric(a, a) == pytest.approx(0.0, abs=1e-6)
    assert 0 < metric(a, b) < metric(a, c)


def test_lpips_random_backbone_plumbing():
    metric = LPIPSMetric(backbone="random")
    assert metric.available and metric.random_backbone
    a, b = noisy((48, 40, 3), 30)
    assert metric(a, a) == pytest.approx(0.0, abs=1e-6)
    assert metric(a, b) > 0
