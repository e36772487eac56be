"""Bjontegaard delta rates of FCNR against every baseline, per mode."""

from __future__ import annotations

import math
from typing import Any

from fcnr.baselines import label
from fcnr.codec.variants import MAIN
from fcnr.evaluation.rd import curves
from fcnr.report.baselines import bd_table, compared, rd_points
from fcnr.report.context import MODE_NAMES, ReportContext
from fcnr.report.html import esc, fmt, note, table

TITLE = "BD-rate of FCNR against each baseline"
ORDER = 61


def _percent(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:+.1f} %"


def verdict(rows: list[dict[str, Any]], mode: str) -> str:
    """Returns what the table says for a mode: who FCNR beats on BD-rate, or on BD-PSNR where only that exists."""
    better, worse, by_psnr = [], [], []
    for r in rows:
        name = label(r["anchor"])
        if not math.isnan(r["bd_rate_psnr"]):
            (better if r["bd_rate_psnr"] < 0 else worse).append(f"{name} ({_percent(r['bd_rate_psnr'])})")
        elif not math.isnan(r["bd_psnr"]):
            by_psnr.append(f"{name} ({r['bd_psnr']:+.2f} dB)")
    parts = []
    if better:
        parts.append("at equal PSNR FCNR needs fewer bits than " + ", ".join(better))
    if worse:
        parts.append("more bits than " + ", ".join(worse))
    if by_psnr:
        parts.append("where the PSNR ranges do not overlap, FCNR's PSNR at equal rate differs from "
                     + ", ".join(by_psnr))  # fmt: skip
    if not parts:
        return f"{MODE_NAMES[mode]}: no baseline could be compared (see the notes in the table)."
    return f"{MODE_NAMES[mode]}: " + "; ".join(parts) + "."


def reach(points: list[dict[str, Any]], mode: str) -> str | None:
    """Returns where FCNR's sweep stops in PSNR and which baselines go on above it (None without FCNR)."""
    tops = {method: max(group, key=lambda p: p["psnr"]) for method, group in curves(points).items()}
    if MAIN not in tops:
        return None
    ours = tops.pop(MAIN)
    beyond = sorted((p for p in tops.values() if p["psnr"] > ours["psnr"]), key=lambda p: -p["psnr"])
    head = (f"{MODE_NAMES[mode]}: FCNR's highest quality here is {ours['psnr']:.2f} dB "
            f"({ours['setting']} {fmt(ours['value'], 1)}, {ours['bpp']:.4f} bpp)")  # fmt: skip
    if not beyond:
        return head + "; no baseline reaches a higher PSNR."
    others = ", ".join(f"{label(p['method'])} to {p['psnr']:.2f} dB ({p['bpp']:.4f} bpp)" for p in beyond)
    return (f"{head}; above it the curves go on without FCNR: {others}. For a higher quality, use one of "
            "those or add a larger lambda to baselines.learned.lambdas.")  # fmt: skip


def render(ctx: ReportContext) -> str | None:
    """Returns the BD-rate table of every mode, or None without BD tables."""
    tables = {mode: bd_table(ctx, mode) for mode in ctx.modes}
    tables = {mode: rows for mode, rows in tables.items() if rows is not None}
    if not tables:
        return None
    parts = [note(
        "BD-rate (Bjontegaard, VCEG-M33): FCNR's average rate difference to the baseline at equal quality, "
        "over the quality range both curves cover; negative means FCNR needs fewer bits. Interpolation: "
        "piecewise cubic Hermite (as in the JCT-VC common test conditions), so two points per curve suffice. "
        "BD-PSNR: FCNR's average PSNR gain at equal rate. MS-SSIM is taken as -10 log10(1 - MS-SSIM) dB. "
        f"Images: all views of timestep(s) {', '.join(map(str, compared(ctx)))}."
    )]  # fmt: skip
    for mode, rows in tables.items():
        body = [[label(r["anchor"]), int(r["points_anchor"]), int(r["points_test"]), _percent(r["bd_rate_psnr"]),
                 "n/a" if math.isnan(r["bd_psnr"]) else f"{r['bd_psnr']:+.2f} dB", _percent(r["bd_rate_msssim"]),
                 r["note"]] for r in rows]  # fmt: skip
        header = ["baseline (anchor)", "its points", "FCNR points", "BD-rate (PSNR)", "BD-PSNR",
                  "BD-rate (MS-SSIM)", "why n/a"]  # fmt: skip
        parts.append(table(header, body, caption=f"{MODE_NAMES[mode]}: FCNR vs each baseline"))
        parts.append(f"<p>{esc(verdict(rows, mode))}</p>")
        limit = reach(rd_points(ctx, mode) or [], mode)
        if limit:
            parts.append(f"<p>{esc(limit)}</p>")
        if rows and all(r["points_test"] < 2 for r in rows):
            parts.append(note(
                f"{MODE_NAMES[mode]}: FCNR has one point here, so no BD-rate: add lambdas to "
                "baselines.learned.lambdas with fcnr in baselines.learned.sweep, and this mode to "
                "baselines.learned.modes."
            ))  # fmt: skip
    return "".join(parts)
