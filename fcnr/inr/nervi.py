"""NeRVI-like: a documented reconstruction of NeRVI, whose code and text are not public.

All the FCNR paper says of NeRVI is that it is an INR for visualization images that reaches good
fidelity "using mask loss", encodes slowly and needs about 11 times E-NeRV's rate (Table 2:
0.0356 vs 0.0031 bpp). This reconstruction is therefore labelled "NeRVI-like" everywhere:

- generator: NeRV (Chen et al. 2021) on PE(t, theta, phi) (FCNR's PE, base 1.25, ``levels`` per
  input): an MLP 6 * levels -> 2 * width -> fc_h * fc_w * width (GELU after each layer), reshaped to
  width x fc_h x fc_w, then NeRV blocks (conv3 -> PixelShuffle -> GELU) whose width halves after
  the first stage down to ``lower_width``, and a 1x1 conv head with sigmoid;
- loss: E-NeRV's 0.7 L1 + 0.3 (1 - SSIM) on the whole image plus an L1 term on the foreground
  only (:func:`fcnr.inr.losses.foreground_mask`), so the object is not drowned by the
  background that fills most of a visualization image (:mod:`fcnr.inr.recipes`);
- size: a larger parameter budget than E-NeRV's by default (the paper's rate ratio).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from fcnr.codec.layers import PositionalEncoding
from fcnr.inr.base import INR
from fcnr.inr.enerv import stage_widths
from fcnr.inr.layers import NeRVBlock, mlp

DEFAULTS = {"levels": 8, "base": 1.25, "lower_width": 8, "reduction": 2}


class NeRVILike(INR):
    """NeRV generator on PE(t, theta, phi); config keys: width, fc, strides and ``DEFAULTS``."""

    method = "nervi"

    def __init__(self, config: dict[str, Any]):
        config = {**DEFAULTS, **config}
        super().__init__(config)
        width, (fc_h, fc_w) = config["width"], config["fc"]
        self.pe = PositionalEncoding(config["levels"], config["base"])
        self.stem = mlp([self.pe.dim, 2 * width, fc_h * fc_w * width])
        widths = stage_widths(width, len(config["strides"]), config["reduction"], config["lower_width"])
        cin, stages = width, []
        for stride, cout in zip(config["strides"], widths):
            stages.append(NeRVBlock(cin, cout, stride))
            cin = cout
        self.stages = nn.Sequential(*stages)
        self.head = nn.Conv2d(cin, 3, 1)

    def synthesize(self, codes: torch.Tensor) -> torch.Tensor:
        fc_h, fc_w = self.config["fc"]
        x = self.stem(self.pe(codes)).view(codes.shape[0], self.config["width"], fc_h, fc_w)
        return torch.sigmoid(self.head(self.stages(x)))
