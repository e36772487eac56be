"""Report sections, discovered automatically: every module here with ``TITLE``, ``ORDER`` and ``render``.

A section's ``render(ctx: ReportContext) -> str | None`` returns its HTML body, or None when its
inputs are absent (the section is then skipped). Add a section by adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def discover() -> list[ModuleType]:
    """Returns the section modules sorted by ``ORDER`` (then name)."""
    modules = [importlib.import_module(f"{__name__}.{info.name}") for info in pkgutil.iter_modules(__path__)]
    return sorted((m for m in modules if hasattr(m, "render")), key=lambda m: (m.ORDER, m.__name__))
