"""A model folder's file names and its identity, without torch (the workflow hashes models while it plans)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from render.basics.errors import FCNRError

CONFIG, WEIGHTS = "config.json", "weights.safetensors"


def model_id(model_dir: str | os.PathLike) -> str:
    """Returns 16 hex digits of the SHA-256 of config.json and weights.safetensors."""
    digest = hashlib.sha256()
    for name in (CONFIG, WEIGHTS):
        path = Path(model_dir) / name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FCNRError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()[:16]
