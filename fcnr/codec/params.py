"""View parameters (t, theta, phi) as the model sees them: normalised to [0, 1]."""

from __future__ import annotations

import math

import torch


def view_params(t: int, theta: float, phi: float, t_range) -> torch.Tensor:
    """Returns (t, theta, phi) normalised to [0, 1] as a float32 tensor of shape (3,).

    t -> (t - t_first) / (t_last - t_first) (0 when they are equal), theta -> theta / pi,
    phi -> phi / (2 pi). Computed in float64 and rounded once, so encoder and decoder agree bit
    for bit.
    """
    t_first, t_last = t_range
    t_norm = 0.0 if t_last == t_first else (t - t_first) / (t_last - t_first)
    return torch.tensor([t_norm, theta / math.pi, phi / (2 * math.pi)], dtype=torch.float64).float()
