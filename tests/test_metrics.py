"""PSNR, MS-SSIM, FLIP and LPIPS on known inputs and real renders; LPIPS never loads weights it lacks."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fcnr.evaluation.metrics import LPIPSMetric, flip, hub_dir, ms_ssim, ms_ssim_scales, psnr


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
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    metric = LPIPSMetric()
    assert not metric.available
    assert str(tmp_path / "home" / "hub" / "checkpoints" / "alexnet-owt-7be5be79.pth") in metric.reason
    assert "download.pytorch.org" in metric.reason
    with pytest.raises(RuntimeError, match="LPIPS unavailable"):
        metric(*noisy((32, 32, 3), 5))
    # A file that is not an AlexNet state dict is refused with the reason, never used.
    bad = tmp_path / "home" / "hub" / "checkpoints" / "alexnet-owt-7be5be79.pth"
    bad.parent.mkdir(parents=True)
    torch.save({"something": torch.zeros(1)}, bad)
    metric = LPIPSMetric()
    assert not metric.available and "cannot load AlexNet weights" in metric.reason


@pytest.mark.parametrize("env", [{}, {"XDG_CACHE_HOME": "xdg"}, {"TORCH_HOME": "th", "XDG_CACHE_HOME": "xdg"}])
def test_hub_dir_is_torchs(tmp_path, monkeypatch, env):
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    for name, folder in env.items():
        monkeypatch.setenv(name, str(tmp_path / folder))
    assert hub_dir() == Path(torch.hub.get_dir())


SCORING_WITHOUT_TORCH = """
import sys
import numpy as np
import fcnr.baselines, fcnr.cli, fcnr.commands.baseline, fcnr.commands.evaluate  # what scoring jobs import
from fcnr.evaluation.evaluate import image_metrics
from fcnr.evaluation.metrics import LPIPSMetric
a = np.zeros((32, 32, 3), np.uint8)
lpips = LPIPSMetric(device="auto")  # TORCH_HOME is empty: no AlexNet
assert not lpips.available
image_metrics(a, a + 9, lpips)
assert "torch" not in sys.modules, "scoring imported torch"
"""


def test_scoring_without_lpips_does_not_import_torch(tmp_path):
    env = os.environ | {"TORCH_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", SCORING_WITHOUT_TORCH], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]


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


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    """Returns real 192 px renders (tornado, IR and DVR, view 0) and JPEG-decoded copies at two qualities."""
    import imagecodecs

    from fcnr.cli import main
    from render.views import icosphere_views, write_views

    folder = tmp_path_factory.mktemp("renders")
    write_views(icosphere_views(1)[:2], folder / "views.csv")
    assert main(["volumes", "tornado", "--shape", "32", "32", "32", "--timesteps", "0:1", "--out", str(folder)]) == 0
    cases = []
    for mode in ("ir", "dvr"):
        out = folder / mode
        assert main(["render", str(folder / "t0000.npy"), "--dataset", "tornado", "--mode", mode,
                     "--views", str(folder / "views.csv"), "--size", "192", "--out", str(out)]) == 0  # fmt: skip
        truth = np.array(Image.open(out / "v0000.png").convert("RGB"))
        for quality in (15, 60):
            cases.append((truth, imagecodecs.jpeg_decode(imagecodecs.jpeg_encode(truth, level=quality))))
    return cases


def test_ms_ssim_agrees_with_pytorch_msssim_on_real_renders(renders):
    import pytorch_msssim

    for truth, decoded in renders:
        reference = pytorch_msssim.ms_ssim(*(torch.from_numpy(x).permute(2, 0, 1)[None].double() for x in
                                             (truth, decoded)), data_range=255)  # fmt: skip
        assert ms_ssim(truth, decoded) == pytest.approx(float(reference), abs=1e-5)  # its window is float32
    with pytest.raises(AssertionError, match="larger than 160"):  # why pytorch-msssim cannot score 128 px images
        pytorch_msssim.ms_ssim(torch.zeros(1, 3, 128, 128), torch.zeros(1, 3, 128, 128), data_range=255,
                               weights=[0.0448, 0.2856, 0.3001, 0.2363])  # fmt: skip


def test_flip_equals_the_package_reading_the_png_files(renders, tmp_path):
    import flip_evaluator

    for k, (truth, decoded) in enumerate(renders):
        paths = [tmp_path / f"{k}-{name}.png" for name in ("ref", "test")]
        for path, image in zip(paths, (truth, decoded)):
            Image.fromarray(image).save(path)
        _, mean, _ = flip_evaluator.evaluate(str(paths[0]), str(paths[1]), "LDR")
        assert flip(truth, decoded) == pytest.approx(mean, abs=1e-6)


def test_flip_grows_with_the_distortion(renders):
    (ir_low, ir_high), (dvr_low, dvr_high) = (renders[0:2], renders[2:4])
    for (truth, worse), (_, better) in ((ir_low, ir_high), (dvr_low, dvr_high)):
        assert flip(truth, truth) == 0.0
        assert 0 < flip(truth, better) < flip(truth, worse) < 1
    with pytest.raises(ValueError, match="uint8"):
        flip(truth.astype(np.float32), truth.astype(np.float32))
