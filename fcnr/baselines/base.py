"""The interface every baseline codec offers: encode a sequence of images, decode it back."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from render.basics.errors import FCNRError


@dataclass(frozen=True)
class Encoded:
    """The real bitstreams of a sequence of images and the bytes each image accounts for.

    ``streams`` are the files a user would store (one per image for an image codec, one video
    container for a video codec); ``image_bytes[i]`` is image i's share, and the shares add up to
    the total length of the streams.
    """

    streams: list[bytes]
    image_bytes: list[float]

    @property
    def total_bytes(self) -> int:
        """Returns the summed length of all streams."""
        return sum(len(s) for s in self.streams)


class Codec(ABC):
    """A lossy codec at one setting; ``quality`` is on the codec's own scale (see ``setting``)."""

    name: ClassVar[str]
    #: the display name (report tables and legends)
    label: ClassVar[str]
    #: what ``quality`` means for this codec: "quality" (higher is better) or "crf" (lower is better)
    setting: ClassVar[str] = "quality"
    #: the allowed range of ``quality``, inclusive
    quality_range: ClassVar[tuple[int, int]]
    #: the range the workflow's config accepts (default ``quality_range``) and its default settings
    settings_range: ClassVar[tuple[int, int] | None] = None
    default_settings: ClassVar[tuple[int, ...]]

    def __init__(self, quality: int):
        low, high = self.quality_range
        if not low <= quality <= high:
            raise FCNRError(f"{self.name}: {self.setting} must be in [{low}, {high}], got {quality}")
        self.quality = int(quality)

    @classmethod
    def settings_schema(cls) -> dict:
        """Returns the JSON schema of the codec's settings in the workflow config (``baselines.classical``)."""
        low, high = cls.settings_range or cls.quality_range
        better = "higher" if cls.setting == "quality" else "lower"
        return {"description": f"{cls.label}: {cls.setting} settings, {low}-{high}, {better} is better.",
                "allOf": [{"$ref": "#/$defs/settings"}, {"items": {"type": "integer", "minimum": low, "maximum": high}}],
                "default": list(cls.default_settings)}  # fmt: skip

    @classmethod
    @abstractmethod
    def unavailable_reason(cls) -> str | None:
        """Returns why the codec cannot run here, or None when it can."""

    @abstractmethod
    def encode(self, images: Sequence[np.ndarray]) -> Encoded:
        """Returns the bitstreams of ``images`` (uint8 H x W x 3, all the same size)."""

    @abstractmethod
    def decode(self, streams: Sequence[bytes]) -> list[np.ndarray]:
        """Returns the decoded images (uint8 H x W x 3) of ``streams``, in encoding order."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.setting}={self.quality})"


def check_images(images: Sequence[np.ndarray], codec: str) -> tuple[int, int]:
    """Returns the common (height, width) of ``images``; anything but uint8 RGB of one size is an error."""
    if not images:
        raise FCNRError(f"{codec}: no images to encode")
    shape = images[0].shape
    for k, image in enumerate(images):
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise FCNRError(f"{codec}: image {k} is {image.dtype} {image.shape}; expected uint8 H x W x 3")
        if image.shape != shape:
            raise FCNRError(f"{codec}: image {k} is {image.shape[:2]}, image 0 is {shape[:2]}; sizes must match")
    return shape[0], shape[1]


CODECS: dict[str, type[Codec]] = {}


def register_codec(cls: type[Codec]) -> type[Codec]:
    """Class decorator that adds a codec to ``CODECS`` under its ``name`` (as CompressAI's ``register_model``)."""
    if cls.name in CODECS:
        raise ValueError(f"codec {cls.name!r} is registered twice")
    CODECS[cls.name] = cls
    return cls
