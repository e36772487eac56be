"""The workflow's and ``fcnr train``'s schemas, completed from the registries.

A schema node ``x-registry: NAME`` stands for what ``registries()[NAME]`` gives
(``render.basics.schema.fill_registries``): the model variants' names and entropy contexts, the ablation's, each classical
codec's settings, each INR method's budgets. So a new variant, codec or INR method is one registry
entry and its implementation; ``tests/test_registries.py`` checks that no schema lists them by hand.
"""

from __future__ import annotations

import os
from typing import Any

from fcnr.baselines.base import CODECS
from fcnr.codec.variants import CONTEXTS, VARIANTS, ablation_variants, curve_variants
from fcnr.inr import METHODS as INR_METHODS
from render.basics.schema import fill_registries, load_yaml


def registries() -> dict[str, dict[str, Any]]:
    """Returns the schema keywords each registry name stands for."""
    return {
        "variants": {"enum": list(VARIANTS)},
        "contexts": {"enum": list(CONTEXTS)},
        "curve_variants": {"items": {"enum": curve_variants()}, "default": curve_variants()},
        "ablation_variants": {"items": {"enum": ablation_variants()}, "default": ablation_variants()},
        "codecs": {"properties": {name: cls.settings_schema() for name, cls in CODECS.items()}},
        "inr_methods": {"properties": {name: {"$ref": "#/$defs/inr_method", "default": {"sizes": list(m.default_sizes)}}
                                       for name, m in INR_METHODS.items()}},
    }  # fmt: skip


def load_schema(path: str | os.PathLike) -> dict[str, Any]:
    """Returns the YAML schema at ``path`` with its registry nodes filled in."""
    return fill_registries(load_yaml(path), registries())
