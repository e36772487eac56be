"""HNeRV (Chen et al., CVPR 2023, haochen-rye/HNeRV ``model_all.py``): per-image embeddings and a NeRV decoder.

A ConvNeXt encoder (one block per stage, strides ``strides``, widths ``enc_width`` then
``embed_channels``) turns each image into a small embedding of embed_channels x (H / prod) x
(W / prod) values. The decoder mirrors the strides, so HNeRV's fc grid is 1 x 1: a 1x1 conv +
GELU to ``width`` channels, then stage i is conv(k_i) -> PixelShuffle -> GELU with
k_i = min(1 + 2 i, 5) (``--ks 0_1_5``) and its width divided by 1.2 (rounded) down to
``lower_width``; the head is a 3x3 conv to RGB plus ``out_bias``. The encoder is training
machinery only: the bitstream holds the decoder and the (quantized) embeddings.

Output: the reference offers ``--out_bias tanh`` (its default: tanh * 0.5 + 0.5), ``sigmoid`` or a
number (a linear output plus that bias). Visualization images are mostly white background, which
tanh reaches only by saturating: with it, every tornado IR run here (30k parameters, 30 epochs)
collapsed to an all-white image within two epochs (the head's input averaged 57, so no gradient
came back). So this uses the reference's linear ``out_bias 0.5``; decoded images are clamped to
[0, 1] as every image is.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from fcnr.inr.base import INR
from fcnr.inr.layers import ConvNeXtEncoder, NeRVBlock

DEFAULTS = {"enc_width": 32, "embed_channels": 4, "lower_width": 8, "reduce": 1.2, "out_bias": 0.5}


def decoder_widths(width: int, stages: int, reduce: float, lower_width: int) -> list[int]:
    """Returns each decoder stage's width: ``width`` divided by ``reduce`` per stage, at least ``lower_width``."""
    widths, current = [], width
    for _ in range(stages):
        current = int(max(round(current / reduce), lower_width))
        widths.append(current)
    return widths


class HNeRV(INR):
    """HNeRV; config keys: width (the decoder's first width, HNeRV's fc_dim), strides and ``DEFAULTS``.

    ``with_encoder=False`` builds the decoder alone, as a bitstream's reader needs it.
    """

    method = "hnerv"
    embeds = True
    encoder_prefixes = ("encoder.",)

    def __init__(self, config: dict[str, Any], with_encoder: bool = True):
        config = {**DEFAULTS, **config}
        super().__init__(config)
        strides, embed = config["strides"], config["embed_channels"]
        dims = [config["enc_width"]] * (len(strides) - 1) + [embed]
        self.encoder = ConvNeXtEncoder(strides, dims) if with_encoder else None
        self.stem = nn.Sequential(nn.Conv2d(embed, config["width"], 1), nn.GELU())
        cin, stages = config["width"], []
        widths = decoder_widths(config["width"], len(strides), config["reduce"], config["lower_width"])
        for i, (stride, cout) in enumerate(zip(strides, widths)):
            stages.append(NeRVBlock(cin, cout, stride, kernel=min(1 + 2 * i, 5)))
            cin = cout
        self.stages = nn.Sequential(*stages)
        self.head = nn.Conv2d(cin, 3, 3, 1, 1)

    def embedding_shape(self) -> tuple[int, ...]:
        height, width = self.config["image"]
        ratio = math.prod(self.config["strides"])
        return (self.config["embed_channels"], height // ratio, width // ratio)

    def codes(self, images: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        if self.encoder is None:
            raise RuntimeError("this HNeRV was built without its encoder (a decoder read from a bitstream)")
        return self.encoder(images)

    def synthesize(self, codes: torch.Tensor) -> torch.Tensor:
        out = self.head(self.stages(self.stem(codes)))
        bias = self.config["out_bias"]
        if bias == "tanh":
            return torch.tanh(out) * 0.5 + 0.5
        return torch.sigmoid(out) if bias == "sigmoid" else out + float(bias)
