"""Quality on the training images against views and timesteps the model never saw."""

from __future__ import annotations

from typing import Any

import numpy as np

from fcnr.evaluation.evaluate import mean_metrics
from fcnr.report.context import MODE_NAMES, ReportContext
from fcnr.report.html import figure, fmt, note, plt, table

TITLE = "Seen vs unseen views and timesteps"
ORDER = 20


def categories(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Returns the rows grouped by whether their view and their timestep were in the training set."""
    train_views = {r["view"] for r in rows if r["split"] == "train"}
    train_ts = {r["t"] for r in rows if r["split"] == "train"}
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        view = "seen view" if r["view"] in train_views else "unseen view"
        time = "seen timestep" if r["t"] in train_ts else "unseen timestep"
        groups.setdefault(f"{view}, {time}", []).append(r)
    order = ["seen view, seen timestep", "unseen view, seen timestep", "seen view, unseen timestep",
             "unseen view, unseen timestep"]  # fmt: skip
    return {name: groups[name] for name in order if name in groups}


def render(ctx: ReportContext) -> str | None:
    """Returns a table of mean metrics per category and mode, and PSNR box plots."""
    modes = [m for m in ctx.modes if ctx.metrics(m)]
    if not modes:
        return None
    rows, groups_by_mode = [], {}
    for mode in modes:
        groups = groups_by_mode[mode] = categories(ctx.metrics(mode))
        for name, members in groups.items():
            m = mean_metrics(members)
            rows.append([MODE_NAMES[mode], name, fmt(m["images"]), fmt(m["psnr"]), fmt(m["msssim"], 4),
                         fmt(m["lpips"], 4), fmt(m["bpp"], 4)])  # fmt: skip
    html = table(["mode", "category", "images", "PSNR (dB)", "MS-SSIM", "LPIPS", "BPP"], rows)
    fig, axes = plt.subplots(1, len(modes), figsize=(5.5 * len(modes), 3.6), squeeze=False)
    for ax, mode in zip(axes[0], modes):
        groups = groups_by_mode[mode]
        data = [np.array([r["psnr"] for r in g]) for g in groups.values()]
        ax.boxplot(data, showmeans=True)
        ax.set_xticks(range(1, len(data) + 1), [n.replace(", ", "\n") for n in groups], fontsize=8)
        ax.set_ylabel("PSNR (dB)")
        ax.set_title(MODE_NAMES[mode])
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    explain = note("The model is trained on 1/2 of the views (whole pairs) at 1/3 of the timesteps; "
                   "every other image is unseen in view, timestep or both.")  # fmt: skip
    return html + explain + figure(fig, "PSNR by seen and unseen views and timesteps")
