"""Image quality metrics on uint8 HxWx3 images: PSNR, MS-SSIM, FLIP and LPIPS (AlexNet).

MS-SSIM follows Wang et al. (2003): Gaussian window 11 / sigma 1.5, K = (0.01, 0.03), five scales
with weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), 2x2 average pooling between scales,
computed per colour channel and averaged, in float64 with numpy (so scoring loads torch only for
LPIPS). Five scales need a shorter side of at least 161 px (the coarsest scale must still hold one
11 px window); smaller images use as many scales as fit, with the leading weights renormalised to
sum to one (e.g. 64 px: 3 scales). Images under 11 px have no MS-SSIM.

This MS-SSIM agrees with ``pytorch-msssim`` (1.0) to 1e-5 where that package runs, but it is kept
because ``pytorch_msssim.ms_ssim`` refuses any image whose shorter side is 160 px or less with the
11 px window, whatever weights it is given (an assert on four downsamplings), so it cannot score
the default config's 128 px images; tests/test_metrics.py checks the agreement on real renders.

FLIP is NVIDIA's LDR-FLIP (Andersson et al. 2020, package ``flip-evaluator``): the mean of its
per-pixel perceptual error map, in [0, 1], lower is better, for sRGB images viewed at the
package's default 67 pixels per degree (a 0.7 m wide 4K monitor seen from 0.7 m). It has no
learned weights, so unlike LPIPS it is always available.

LPIPS uses the ``lpips`` package's linear layers (v0.1, shipped with the package) on an AlexNet
backbone whose ImageNet weights are read from the torch hub cache; nothing is downloaded. Torch is
imported only once those weights are found.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
_WIN, _SIGMA, _K1, _K2, _PEAK = 11, 1.5, 0.01, 0.03, 255.0
ALEXNET_FILE = "alexnet-owt-7be5be79.pth"
ALEXNET_URL = f"https://download.pytorch.org/models/{ALEXNET_FILE}"


def _check_pair(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape or a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"expected two HxWx3 images of the same shape, got {a.shape} and {b.shape}")
    if a.dtype != np.uint8 or b.dtype != np.uint8:
        raise ValueError(f"expected uint8 images, got {a.dtype} and {b.dtype}")


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


def _gaussian_window() -> np.ndarray:
    x = np.arange(_WIN, dtype=np.float64) - _WIN // 2
    g = np.exp(-(x**2) / (2 * _SIGMA**2))
    return g / g.sum()


def _blur(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Returns the separable blur of (C, H, W) images by the window ``g``: its valid part only."""
    x = sliding_window_view(x, len(g), axis=2) @ g
    return sliding_window_view(x, len(g), axis=1) @ g


def _pool(x: np.ndarray) -> np.ndarray:
    """Returns the 2x2 means of (C, H, W) images; an odd side is first zero-padded by one at both ends."""
    x = np.pad(x, [(0, 0), (x.shape[1] % 2,) * 2, (x.shape[2] % 2,) * 2])
    c, h, w = x.shape
    return x[:, : h // 2 * 2, : w // 2 * 2].reshape(c, h // 2, 2, w // 2, 2).mean(axis=(2, 4))


def _ssim_terms(x: np.ndarray, y: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Returns per-channel (ssim, contrast-structure) means of two (C, H, W) float64 images."""
    c1, c2 = (_K1 * _PEAK) ** 2, (_K2 * _PEAK) ** 2
    # One blur of the five moment images (x, y, x^2, y^2, xy) stacked along the channels.
    mx, my, exx, eyy, exy = np.split(_blur(np.concatenate([x, y, x * x, y * y, x * y]), g), 5)
    sxx, syy, sxy = exx - mx * mx, eyy - my * my, exy - mx * my
    cs = (2 * sxy + c2) / (sxx + syy + c2)
    lum = (2 * mx * my + c1) / (mx * mx + my * my + c1)
    return (lum * cs).mean(axis=(1, 2)), cs.mean(axis=(1, 2))


def ms_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Returns the MS-SSIM of two uint8 HxWx3 images (1.0 when identical; fewer scales below 161 px)."""
    _check_pair(a, b)
    scales = ms_ssim_scales(a.shape[0], a.shape[1])
    if scales == 0:
        raise ValueError(f"MS-SSIM needs images of at least {_WIN} px per side, got {a.shape[:2]}")
    weights = np.array(MS_SSIM_WEIGHTS[:scales])
    weights = weights / weights.sum()
    x, y = (np.moveaxis(img, 2, 0).astype(np.float64) for img in (a, b))
    g = _gaussian_window()
    factors = []
    for level in range(scales):
        ssim, cs = _ssim_terms(x, y, g)
        if level < scales - 1:
            factors.append(np.maximum(cs, 0))
            x, y = _pool(x), _pool(y)
    factors.append(np.maximum(ssim, 0))
    return float(np.prod(np.stack(factors) ** weights[:, None], axis=0).mean())


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

    def __init__(self, backbone: str | Path | None = None, device: str = "auto"):
        self.available = False
        self.reason = ""
        self.random_backbone = backbone == "random"
        self.net = None
        path = None
        if not self.random_backbone:
            path = Path(backbone) if backbone is not None else hub_dir() / "checkpoints" / ALEXNET_FILE
            if not path.is_file():
                self.reason = (
                    f"LPIPS unavailable: AlexNet weights {path} are missing (no network access here). "
                    f"Download {ALEXNET_URL} into {path.parent} (or run torchvision.models.alexnet("
                    "weights='IMAGENET1K_V1') once on a machine with internet) and rerun."
                )
                return
        from fcnr.devices import resolve_device

        self.device = resolve_device(device)  # a device name only LPIPS uses, so checked once it can run
        try:
            self.net = self._build(path)
        except Exception as exc:  # any unreadable or mismatched file means: no LPIPS, with the reason
            self.reason = f"LPIPS unavailable: cannot load AlexNet weights {path}: {exc}"
            self.net = None
            return
        self.available = True

    def _build(self, alexnet_path: Path | None):
        import lpips  # imported here, as torch: only LPIPS users pay for their imports
        import torch

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

    def __call__(self, a: np.ndarray, b: np.ndarray) -> float:
        """Returns the LPIPS distance of two uint8 HxWx3 images (0 when identical)."""
        if not self.available:
            raise RuntimeError(self.reason)
        _check_pair(a, b)
        import torch

        x, y = (torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].to(self.device, torch.float32)
                / 127.5 - 1 for img in (a, b))  # fmt: skip
        with torch.no_grad():
            return float(self.net(x, y).flatten()[0])


def hub_dir() -> Path:
    """Returns ``torch.hub.get_dir()`` without importing torch: ``$TORCH_HOME/hub``, by default
    ``$XDG_CACHE_HOME/torch/hub`` (``~/.cache/torch/hub``)."""
    cache = os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    return Path(os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch")))) / "hub"
