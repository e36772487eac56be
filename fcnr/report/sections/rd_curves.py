"""Rate-distortion curves of FCNR and every baseline: BPP against PSNR, MS-SSIM, FLIP and LPIPS."""

from __future__ import annotations

import math
from typing import Any

from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from fcnr.baselines import label
from fcnr.codec.variants import VARIANTS
from fcnr.evaluation.rd import curves
from fcnr.inr import METHODS as INR_METHODS
from fcnr.report.baselines import baseline_modes, compared, learned_start, lpips_reason, rd_points
from fcnr.report.context import MODE_NAMES, ReportContext
from fcnr.report.html import figure, fmt, note, plt, table

TITLE = "Rate-distortion curves"
ORDER = 60
AXES = (("psnr", "PSNR (dB)"), ("msssim", "MS-SSIM"), ("flip", "FLIP (lower is better)"),
        ("lpips", "LPIPS (lower is better)"))  # fmt: skip


def _style(method: str) -> dict[str, Any]:
    """Returns the line style of a method: FCNR bold, learned solid, INRs dotted, classical dashed."""
    if method == "fcnr":
        return {"color": "black", "linewidth": 2.4, "marker": "o", "zorder": 5}
    if method in INR_METHODS:
        return {"linestyle": ":", "marker": "D", "markersize": 7}
    return {"linestyle": "-" if method in VARIANTS else "--", "marker": "s" if method in VARIANTS else "^"}


def plot(points: list[dict[str, Any]], mode: str, with_lpips: bool) -> str:
    """Returns the mode's RD plots as one inline figure (a metric no point has, e.g. FLIP switched off, left out)."""
    measured = {key for key, _ in AXES if any(not math.isnan(p[key]) for p in points)}
    axes_shown = [a for a in AXES if a[0] in measured and (with_lpips or a[0] != "lpips")]
    fig, axes = plt.subplots(1, len(axes_shown), figsize=(4.6 * len(axes_shown), 4.2), squeeze=False)
    for ax, (key, title) in zip(axes[0], axes_shown):
        for method, group in curves(points).items():
            group = [p for p in group if not math.isnan(p[key])]
            if group:
                ax.plot([p["bpp"] for p in group], [p[key] for p in group], label=label(method), **_style(method))
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("bits per pixel (log scale)")
        ax.set_ylabel(title)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"{MODE_NAMES[mode]}: rate-distortion")
    fig.tight_layout()
    return figure(fig, f"{MODE_NAMES[mode]} rate-distortion curves",
                  "Each point: one method at one setting, averaged over the same images.")  # fmt: skip


def points_table(points: list[dict[str, Any]]) -> str:
    """Returns every RD point as a table (inside a collapsible block), FCNR's first."""
    ordered = sorted(points, key=lambda p: (p["method"] != "fcnr", p["method"], p["bpp"]))
    rows = [[label(p["method"]), f"{p['setting']} {fmt(p['value'], 1 if p['setting'] == 'lambda' else 0)}",
             fmt(p["bpp"], 4), fmt(p["psnr"]), fmt(p["msssim"], 4), fmt(p["flip"], 4), fmt(p["lpips"], 4),
             fmt(p["et_hours"], 4), fmt(p["dt_seconds"], 2)] for p in ordered]  # fmt: skip
    ours = [i for i, p in enumerate(ordered) if p["method"] == "fcnr"]
    header = ["method", "setting", "BPP", "PSNR", "MS-SSIM", "FLIP", "LPIPS", "ET (h)", "DT (s)"]
    body = table(header, rows, highlight=ours)
    return f"<details><summary>All {len(points)} points</summary>{body}</details>"


def render(ctx: ReportContext) -> str | None:
    """Returns the RD plots and point tables of every mode, or None without RD points."""
    modes = baseline_modes(ctx)
    if not modes:
        return None
    parts = [note(
        f"Every method is scored by the same metric code on the same images: all views of timestep(s) "
        f"{', '.join(map(str, compared(ctx)))}. BPP counts the real bytes of each method's files "
        "(FCNR: shards; image codecs: one file per image; video codecs: the Matroska file of a "
        "timestep's views; INRs: their bitstream, the whole network and HNeRV's embeddings); FCNR's decoder "
        "weights are not counted here (see the summary for that). ET includes training for the learned methods "
        "and the INRs. An INR's setting is its parameter budget; it is run on the modes and timesteps of "
        f"baselines.inr (see the summary). {learned_start(ctx)}"
    )]  # fmt: skip
    for mode in modes:
        points = rd_points(ctx, mode)
        reason = lpips_reason(ctx, mode)
        parts.append(f"<h3>{MODE_NAMES[mode]}</h3>")
        parts.append(plot(points, mode, with_lpips=reason is None))
        if reason:
            parts.append(note(f"No LPIPS plot: {reason}"))
        parts.append(points_table(points))
    return "".join(parts)
