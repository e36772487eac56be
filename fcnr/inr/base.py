"""What every INR offers: codes for its images, synthesis of an image from a code, the stored tensors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import torch
from torch import nn


class INR(nn.Module, ABC):
    """An implicit neural representation of a set of images, built from a JSON-ready ``config``.

    A *code* is what the decoder is queried with: the view parameters (t, theta, phi) normalised
    to [0, 1] (:func:`fcnr.codec.params.view_params`) for E-NeRV and NeRVI-like, a per-image
    embedding for HNeRV (``embeds``). ``synthesize(codes)`` returns images in [0, 1].
    """

    method: ClassVar[str]
    #: True when codes are per-image embeddings that the bitstream must store (HNeRV)
    embeds: ClassVar[bool] = False
    #: state-dict prefixes of tensors the decoder does not need (never stored in a bitstream)
    encoder_prefixes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: dict[str, Any]):
        super().__init__()
        self.config = config

    def codes(self, images: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """Returns the codes of a batch: (B, 3, H, W) images in [0, 1] and their (B, 3) view parameters."""
        return params

    @abstractmethod
    def synthesize(self, codes: torch.Tensor) -> torch.Tensor:
        """Returns the (B, 3, H, W) images in [0, 1] of a batch of codes."""

    def forward(self, images: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        return self.synthesize(self.codes(images, params))

    def embedding_shape(self) -> tuple[int, ...]:
        """Returns the shape of one image's stored embedding, () when the method stores none."""
        return ()

    def stored_state(self) -> dict[str, torch.Tensor]:
        """Returns the tensors a decoder needs, in state-dict order (the bitstream's order)."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith(self.encoder_prefixes)}
