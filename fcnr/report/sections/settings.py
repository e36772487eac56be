"""The run's settings: configuration, manifest, model, software and machine."""

from __future__ import annotations

import json
import os
import platform
from importlib import metadata
from typing import Any

from fcnr.report.context import MODE_NAMES, ReportContext
from fcnr.report.html import note, table

TITLE = "Settings of this run"
ORDER = 90
PACKAGES = ("fcnr-pipeline", "torch", "compressai", "vtk", "pyvista", "snakemake", "numpy")


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Returns (dotted key, value as text) for every leaf of nested mappings."""
    if isinstance(value, dict) and value:
        return [item for key, sub in value.items() for item in flatten(sub, f"{prefix}{key}.")]
    return [(prefix.rstrip("."), json.dumps(value) if not isinstance(value, str) else value)]


def _versions() -> list[list[str]]:
    rows = []
    for name in PACKAGES:
        try:
            rows.append([name, metadata.version(name)])
        except metadata.PackageNotFoundError:
            rows.append([name, "not installed"])
    return rows + [["python", platform.python_version()]]


def render(ctx: ReportContext) -> str | None:
    """Returns tables of the config, manifest, derived sizes, model hyper-parameters and versions."""
    s = ctx.settings
    parts = []
    if s:
        derived = [["config files", ", ".join(s.get("config_files", []))],
                   ["volume shape", " x ".join(map(str, s.get("volume_shape", [])))],
                   ["views", str(s.get("n_views"))], ["timesteps", ", ".join(map(str, s.get("timesteps", [])))],
                   ["training timesteps", ", ".join(map(str, s.get("train_timesteps", [])))],
                   ["modes", ", ".join(s.get("modes", []))]]  # fmt: skip
        parts.append(table(["setting", "value"], derived, caption="Run"))
        parts.append(table(["key", "value"], flatten(s.get("config", {})), caption="Configuration (this dataset)"))
        parts.append(table(["key", "value"], flatten(s.get("manifest", {})), caption="Dataset manifest"))
    for mode in ctx.modes:
        path = ctx.mode_dir(mode) / "model" / "config.json"
        if path.is_file():
            config = json.loads(path.read_text())
            parts.append(table(["key", "value"], flatten(config), caption=f"{MODE_NAMES[mode]} model (config.json)"))
    parts.append(table(["package", "version"], _versions(), caption="Software (where the report was built)"))
    machine = [["platform", platform.platform()], ["processor", platform.processor() or platform.machine()],
               ["CPUs", str(os.cpu_count())]]  # fmt: skip
    parts.append(table(["", ""], machine, caption="Machine that built the report"))
    if not s:
        parts.insert(0, note(f"{ctx.root / 'settings.json'} is absent: the run's configuration is unknown."))
    return "".join(parts)
