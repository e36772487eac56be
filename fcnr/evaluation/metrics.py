"""Image quality metrics on uint8 HxWx3 images: PSNR, MS-SSIM, FLIP and LPIPS (AlexNet).

MS-SSIM follows Wang et al. (2003): Gaussian window 11 / sigma 1.5, K = (0.01, 0.03), five scales
with weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), 2x2 average pooling between scales,
computed per colour channel and averaged; in float32 on pixel values centred on 127.5 (which
keeps the variances' cancellation small: within 1e-6 of float64 on real renders), means in float64.
Five scales need a shorter side of at least 161 px (the
coarsest scale must still hold one 11 px window); smaller images use as many scales as fit,
with the leading weights renormalised to sum to one (e.g. 64 px: 3 scales). Images under 11 px
have no MS-SSIM.

This MS-SSIM agrees with ``pytorch-msssim`` (1.0) to 1e-5 where that package runs, but it is kept
because ``pytorch_msssim.ms_ssim`` refuses any image whose shorter side is 160 px or less with the
11 px window, whatever weights it is given (an assert on four downsamplings), so it cannot score
the default config's 128 px images; tests/test_metrics.py checks the agreement on real renders.

FLIP is NVIDIA's LDR-FLIP (Andersson et al. 2020, package ``flip-evaluator``): the mean of its
per-pixel perceptual error map, in [0, 1], lower is better, for sRGB images viewed at the
package's default 67 pixels per degree (a 0.7 m wide 4K monitor seen from 0.7 m). It has no
learned weights, so unlike LPIPS it is always available.

LPIPS uses the ``lpips`` package's linear layers (v0.1, shipped with the package) on an AlexNet
backbone whose ImageNet weights are read from the torch hub cache; nothing is downloaded.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
_WIN, _SIGMA, _K1, _K2, _PEAK, _CENTER = 11, 1.5, 0.01, 0.03, 255.0, 127.5
ALEXNET_FILE = "alexnet-owt-7be5be79.pth"
ALEXNET_URL = f"https://download.pytorch.org/models/{ALEXNET_FILE}"


def _check_pair(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape or a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"expected two HxWx3 images of the same shape, got {a.shape} and {b.shape}")
    if a.dtype != np.uint8 or b.dtype != np.uint8:
        raise ValueError(f"expected uint8 images, got {a.dtype} and {b.dtype}")


def _to_tensor(img: np.ndarray) -> torch.Tensor:
    """Returns a uint8 HxWx3 image as a (1, 3, H, W) float32 tensor of its 0-255 values."""
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].to(torch.float32)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Returns the PSNR in dB of two uint8 HxWx3 images (peak 255; inf when identical)."""
    _check_pair(a, b)
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(_PEAK**2 / mse)


def ms_ssim_scales(height: int, width: int) -> int:
    """Returns how many MS-SSIM scales (at most 5) an image of this size supports."""
    side = min(height, width)
    scales = 0
    while scales < len(MS_SSIM_WEIGHTS) and math.ceil(side / 2**scales) >= _WIN:
        scales += 1
    return scales


def _gaussian_window() -> torch.Tensor:
    x = torch.arange(_WIN, dtype=torch.float64) - _WIN // 2
    g = torch.exp(-(x**2) / (2 * _SIGMA**2))
    return g / g.sum()


def _blur(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    c = x.shape[1]
    x = F.conv2d(x, g.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(x, g.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def _ssim_terms(x: torch.Tensor, y: torch.Tensor, g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns per-channel (ssim, contrast-structure) means of two NCHW float images."""
    c1, c2 = (_K1 * _PEAK) ** 2, (_K2 * _PEAK) ** 2
    x, y = x - _CENTER, y - _CENTER
    # One blur of the five moment images (x, y, x^2, y^2, xy) stacked along the channels.
    mx, my, exx, eyy, exy = _blur(torch.cat([x, y, x * x, y * y, x * y], dim=1), g).chunk(5, dim=1)
    sxx, syy, sxy = exx - mx * mx, eyy - my * my, exy - mx * my
    cs = (2 * sxy + c2) / (sxx + syy + c2)
    mx, my = mx + _CENTER, my + _CENTER
    lum = (2 * mx * my + c1) / (mx * mx + my * my + c1)
    return (lum * cs).double().mean(dim=(2, 3)), cs.double().mean(dim=(2, 3))


def ms_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Returns the MS-SSIM of two uint8 HxWx3 images (1.0 when identical; fewer scales below 161 px)."""
    _check_pair(a, b)
    scales = ms_ssim_scales(a.shape[0], a.shape[1])
    if scales == 0:
        raise ValueError(f"MS-SSIM needs images of at least {_WIN} px per side, got {a.shape[:2]}")
    weights = torch.tensor(MS_SSIM_WEIGHTS[:scales], dtype=torch.float64)
    weights = weights / weights.sum()
    x, y, g = _to_tensor(a), _to_tensor(b), _gaussian_window().float()
    factors = []
    for level in range(scales):
        ssim, cs = _ssim_terms(x, y, g)
        if level < scales - 1:
            factors.append(torch.relu(cs))
            pad = [x.shape[2] % 2, x.shape[3] % 2]
            x = F.avg_pool2d(x, 2, padding=pad)
            y = F.avg_pool2d(y, 2, padding=pad)
    factors.append(torch.relu(ssim))
    per_channel = torch.prod(torch.stack(factors) ** weights.view(-1, 1, 1), dim=0)
    return float(per_channel.mean())


def flip(a: np.ndarray, b: np.ndarray) -> float:
    """Returns the mean LDR-FLIP error of test image ``b`` against reference ``a`` (0 when identical)."""
    import flip_evaluator  # imported here: only scoring pays for loading its extension

    _check_pair(a, b)
    _, mean, _ = flip_evaluator.evaluate(_unit_float(a), _unit_float(b), "LDR", applyMagma=False)
    return float(mean)


def _unit_float(img: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(img, dtype=np.float32) / 255


class LPIPSMetric:
    """LPIPS (v0.1, AlexNet) with the backbone read from the torch hub cache, never downloaded.

    ``backbone`` is the path of torchvision's AlexNet state dict (default:
    ``torch.hub.get_dir()/checkpoints/alexnet-owt-7be5be79.pth``), or ``"random"`` for a randomly
    initialised backbone, which only tests plumbing: its numbers are not LPIPS. When the file is
    missing or unreadable, ``available`` is False and ``reason`` says what to do; calling the
    metric then raises RuntimeError.
    """

    def __init__(self, backbone: str | Path | None = None, device: str = "cpu"):
        self.device = torch.device(device)
        self.available = False
        self.reason = ""
        self.random_backbone = backbone == "random"
        self.net = None
        path = None
        if not self.random_backbone:
            path = Path(backbone) if backbone is not None else Path(torch.hub.get_dir()) / "checkpoints" / ALEXNET_FILE
            if not path.is_file():
                self.reason = (
                    f"LPIPS unavailable: AlexNet weights {path} are missing (no network access here). "
                    f"Download {ALEXNET_URL} into {path.parent} (or run torchvision.models.alexnet("
                    "weights='IMAGENET1K_V1') once on a machine with internet) and rerun."
                )
                return
        try:
            self.net = self._build(path)
        except Exception as exc:  # any unreadable or mismatched file means: no LPIPS, with the reason
            self.reason = f"LPIPS unavailable: cannot load AlexNet weights {path}: {exc}"
            self.net = None
            return
        self.available = True

    def _build(self, alexnet_path: Path | None) -> torch.nn.Module:
        import lpips  # imported here: its import is slow and only LPIPS users pay for it

        with warnings.catch_warnings():
            # lpips passes torchvision the deprecated ``pretrained=False``; it builds an empty AlexNet.
            warnings.simplefilter("ignore", UserWarning)
            net = lpips.LPIPS(pretrained=False, net="alex", pnet_rand=True, verbose=False)
        lin_path = Path(lpips.__file__).parent / "weights" / "v0.1" / "alex.pth"
        state = dict(torch.load(lin_path, map_location="cpu", weights_only=True))
        if alexnet_path is not None:
            features = torch.load(alexnet_path, map_location="cpu", weights_only=True)
            for k in range(1, 6):
                for name, module in getattr(net.net, f"slice{k}").named_children():
                    for param, _ in module.named_parameters():
                        state[f"net.slice{k}.{name}.{param}"] = features[f"features.{name}.{param}"]
        missing, unexpected = net.load_state_dict(state, strict=False)
        # Everything but the lins' aliases (lins.i == lin i) and the fixed scaling layer must load.
        missing = [m for m in missing if not m.startswith(("lins.", "scaling_layer."))]
        if alexnet_path is None:
            missing = [m for m in missing if not m.startswith("net.")]
        if missing or unexpected:
            raise KeyError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
        return net.eval().to(self.device)

    @torch.no_grad()
    def __call__(self, a: np.ndarray, b: np.ndarray) -> float:
        """Returns the LPIPS distance of two uint8 HxWx3 images (0 when identical)."""
        if not self.available:
            raise RuntimeError(self.reason)
        _check_pair(a, b)
        x = (_to_tensor(a) / 127.5 - 1).to(self.device)
        y = (_to_tensor(b) / 127.5 - 1).to(self.device)
        return float(self.net(x, y).flatten()[0])
