"""Classical codecs FCNR is compared with, behind one interface (see ``base.Codec``).

``make_codec("jpeg", 50)`` gives a codec at one setting; ``CODECS`` lists them by name.
"""

from __future__ import annotations

from basics.errors import FCNRError
from fcnr.baselines.base import Codec, Encoded
from fcnr.baselines.image import AVIF, JPEG, JPEGXL, WebP
from fcnr.baselines.video import AV1, HEVC

CODECS: dict[str, type[Codec]] = {c.name: c for c in (JPEG, WebP, AVIF, JPEGXL, HEVC, AV1)}

__all__ = ["CODECS", "Codec", "Encoded", "make_codec"]


def make_codec(name: str, quality: int) -> Codec:
    """Returns the codec called ``name`` at ``quality``; an unknown or unavailable codec is an FCNRError."""
    try:
        cls = CODECS[name]
    except KeyError:
        raise FCNRError(f"unknown codec {name!r}; choose one of {', '.join(CODECS)}") from None
    reason = cls.unavailable_reason()
    if reason:
        raise FCNRError(f"codec {name} is not available: {reason}")
    return cls(quality)
