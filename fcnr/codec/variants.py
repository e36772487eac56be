"""The model variants (paper Sec. 4's ablation), registered once each.

A variant is FCNR with another inter-view block (``jctm`` or ``scam``, see
``fcnr.codec.layers.stereo_attention``) or another z prior (``pe``: MLP(PE(t, theta, phi)), or
``learned``: channel-wise constants). ``fcnr.codec.model`` builds a variant from its entry; the
``fcnr train`` choices, the workflow's wildcard and the report's labels read ``VARIANTS``, and
``tests/test_registries.py`` checks the schemas' enums against it.
"""

from __future__ import annotations

from dataclasses import dataclass

MAIN = "fcnr"


@dataclass(frozen=True)
class Variant:
    """One variant: its name, display label, inter-view block and z prior."""

    name: str
    label: str
    attention: str
    prior: str


VARIANTS: dict[str, Variant] = {}


def register_variant(name: str, label: str, attention: str, prior: str) -> Variant:
    """Adds a variant to ``VARIANTS`` and returns it; a name registered twice is an error."""
    if name in VARIANTS:
        raise ValueError(f"variant {name!r} is registered twice")
    VARIANTS[name] = Variant(name, label, attention, prior)
    return VARIANTS[name]


register_variant("fcnr", "FCNR", attention="jctm", prior="pe")
register_variant("ecsic", "ECSIC", attention="scam", prior="learned")
register_variant("jct-only", "JCT-only", attention="jctm", prior="learned")
register_variant("pe-only", "PE-only", attention="scam", prior="pe")


def ablation_variants() -> list[str]:
    """Returns the variants the ablation compares with FCNR: every one but the main model."""
    return [name for name in VARIANTS if name != MAIN]
