"""Training losses of the INRs: the references' Fusion6 and L2, and NeRVI-like's foreground term."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pytorch_msssim import ssim

#: a pixel belongs to the foreground when a channel differs from the background colour by more
FOREGROUND_THRESHOLD = 2 / 255


def fusion6(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Returns 0.7 L1 + 0.3 (1 - SSIM): E-NeRV's and NeRV's ``Fusion6`` (SSIM: 11 px Gaussian window)."""
    return 0.7 * F.l1_loss(pred, target) + 0.3 * (1 - ssim(pred, target, data_range=1.0, size_average=True))


def l2(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Returns the mean squared error (HNeRV's ``--loss L2``)."""
    return F.mse_loss(pred, target)


def foreground_mask(target: torch.Tensor) -> torch.Tensor:
    """Returns a (B, 1, H, W) mask of the pixels that differ from each image's background colour.

    The background colour is the commonest colour of the image's one-pixel border (the renderer's
    clear colour: the volume never fills the frame's edge).
    """
    masks = []
    for image in target:
        border = torch.cat([image[:, 0], image[:, -1], image[:, :, 0], image[:, :, -1]], dim=1).T  # (4W, 3)
        colours, counts = torch.unique(torch.round(border * 255), dim=0, return_counts=True)
        background = colours[counts.argmax()] / 255
        masks.append(((image - background[:, None, None]).abs() > FOREGROUND_THRESHOLD).any(dim=0, keepdim=True))
    return torch.stack(masks).to(target.dtype)


def fusion6_foreground(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Returns Fusion6 on the whole image plus the L1 error over foreground pixels (NeRVI-like's mask loss)."""
    mask = foreground_mask(target)
    foreground = (mask * (pred - target).abs()).sum() / (3 * mask.sum()).clamp_min(1)
    return fusion6(pred, target) + foreground


LOSSES = {"fusion6": fusion6, "l2": l2, "fusion6+foreground": fusion6_foreground}
