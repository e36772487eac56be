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
    """One variant: its name, display label, inter-view block, z prior, and whether the workflow may train it
    at every lambda of a sweep (an RD curve, as the paper draws for FCNR and ECSIC)."""

    name: str
    label: str
    attention: str
    prior: str
    curve: bool


VARIANTS: dict[str, Variant] = {}


def register_variant(name: str, label: str, attention: str, prior: str, curve: bool = False) -> Variant:
    """Adds a variant to ``VARIANTS`` and returns it; a name registered twice is an error."""
    if name in VARIANTS:
        raise ValueError(f"variant {name!r} is registered twice")
    VARIANTS[name] = Variant(name, label, attention, prior, curve)
    return VARIANTS[name]


register_variant("fcnr", "FCNR", attention="jctm", prior="pe", curve=True)
register_variant("ecsic", "ECSIC", attention="scam", prior="learned", curve=True)
register_variant("jct-only", "JCT-only", attention="jctm", prior="learned")
register_variant("pe-only", "PE-only", attention="scam", prior="pe")


def curve_variants() -> list[str]:
    """Returns the variants a lambda sweep may train (``baselines.learned.sweep``)."""
    return [name for name, variant in VARIANTS.items() if variant.curve]


def ablation_variants() -> list[str]:
    """Returns the variants the ablation compares with FCNR: every one but the main model."""
    return [name for name in VARIANTS if name != MAIN]


# The entropy contexts of z_l, y_l and y_r beyond the hyperprior and the other view; every one
# keeps a pair's record on its own (random access per pair).
CONTEXTS = {
    "pair": "one pass per latent (the paper's)",
    "checkerboard": "two passes per latent: the anchors, then the rest corrected from the decoded anchors",
}
