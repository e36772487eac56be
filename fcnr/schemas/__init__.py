"""The model schema (``model.schema.yaml``): the one place that says each model and training setting's default.

``fcnr train`` validates its settings against it (completed from the registries by
``fcnr.baselines.schemas``); the model and the workflow read their defaults from here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from render.basics.schema import load_yaml

MODEL_SCHEMA = Path(__file__).resolve().parent / "model.schema.yaml"


@cache
def model_schema() -> dict[str, Any]:
    """Returns the model schema as written (registry nodes not filled in)."""
    return load_yaml(MODEL_SCHEMA)


def model_default(key: str) -> Any:
    """Returns the model schema's default of setting ``key``."""
    return model_schema()["properties"][key]["default"]
