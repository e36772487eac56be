"""Classical codecs FCNR is compared with, behind one interface (see ``base.Codec``).

``make_codec("jpeg", 50)`` gives a codec at one setting; ``CODECS`` lists them by name (each class
registers itself with ``@register_codec``). ``label`` names any method of the comparison.
"""

from __future__ import annotations

from fcnr.baselines import image, video  # noqa: F401  (their codecs register themselves)
from fcnr.baselines.base import CODECS, Codec, Encoded
from fcnr.codec.variants import VARIANTS
from fcnr.inr import METHODS as INR_METHODS
from render.basics.errors import FCNRError

__all__ = ["CODECS", "Codec", "Encoded", "label", "make_codec"]


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


def label(method: str) -> str:
    """Returns the display name of a method: a model variant, a classical codec or an INR (else the name itself)."""
    for registry in (VARIANTS, CODECS, INR_METHODS):
        if method in registry:
            return registry[method].label
    return method
