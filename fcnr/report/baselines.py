"""What the baseline sections of the report read: each mode's RD points and BD-rates.

``results/DS/MODE/baselines/rd.csv`` and ``bdrate.csv`` are written by ``fcnr rd`` (workflow rule
``baseline_rd``); every point there is averaged over the same images (see ``fcnr.evaluation.rd``).
"""

from __future__ import annotations

from typing import Any

from fcnr.baselines import runs
from fcnr.baselines.runs import BD_CSV, RD_CSV, compared_timesteps, learned_steps
from fcnr.evaluation.rd import read_table
from fcnr.report.context import ReportContext
from fcnr.report.html import fmt
from fcnr.training.base_model import init_candidates


def rd_points(ctx: ReportContext, mode: str) -> list[dict[str, Any]] | None:
    """Returns the RD points of a mode (``rd.csv``), or None if absent."""
    path = ctx.mode_dir(mode) / RD_CSV
    return read_table(path) if path.is_file() else None


def bd_table(ctx: ReportContext, mode: str) -> list[dict[str, Any]] | None:
    """Returns the BD-rates of FCNR against each baseline (``bdrate.csv``), or None if absent."""
    path = ctx.mode_dir(mode) / BD_CSV
    return read_table(path) if path.is_file() else None


def baseline_modes(ctx: ReportContext) -> list[str]:
    """Returns the modes that have RD points."""
    return [mode for mode in ctx.modes if rd_points(ctx, mode)]


def config(ctx: ReportContext) -> dict[str, Any]:
    """Returns the run's config (from the settings; {} when absent)."""
    return ctx.settings.get("config", {})


def main_lambda(ctx: ReportContext) -> float:
    """Returns FCNR's main lambda: the config's train.lambda, else `fcnr train`'s default."""
    return runs.main_lambda(config(ctx))


def learned_start(ctx: ReportContext) -> str:
    """Returns a sentence on where FCNR's other points (lambdas, variants) start their training."""
    cfg = config(ctx)
    steps = learned_steps(cfg)
    init = cfg.get("train", {}).get("init")
    candidates = {m: init_candidates(init, m) for m in ctx.modes}
    folders = ", ".join(dict.fromkeys(folder for found in candidates.values() for folder in found))
    several = any(len(found) > 1 for found in candidates.values())
    start = (f"the base model trained at the lambda nearest theirs ({folders})" if several
             else f"the warm start of the main model ({folders})" if folders else "FCNR's main model")  # fmt: skip
    length = f" for {fmt(steps)} steps" if steps else ""
    return f"FCNR's other points are one model each, fine-tuned from {start}{length}."


def compared(ctx: ReportContext) -> list[int]:
    """Returns the timesteps the baselines were compared on (all run timesteps when unknown)."""
    return compared_timesteps(ctx.settings.get("timesteps", []), config(ctx).get("baselines", {}).get("timesteps"))


def lpips_reason(ctx: ReportContext, mode: str) -> str | None:
    """Returns why LPIPS is missing for a mode (from its summary), or None when it was computed."""
    summary = ctx.summary(mode) or {}
    status = summary.get("lpips", {})
    return None if status.get("available") else status.get("reason", "LPIPS was not computed")

