"""Quality and rate per view, on the sphere of view directions (theta, phi)."""

from __future__ import annotations

import math

import numpy as np

from fcnr.report.context import MODE_NAMES, ReportContext
from fcnr.report.html import figure, plt

TITLE = "Quality per view"
ORDER = 40


def per_view(rows: list[dict]) -> dict[str, np.ndarray]:
    """Returns per view (sorted by index): theta, phi (degrees), mean PSNR and BPP, and whether it is trained on."""
    views = sorted({r["view"] for r in rows})
    index = {v: k for k, v in enumerate(views)}
    out = {key: np.zeros(len(views)) for key in ("theta", "phi", "psnr", "bpp", "count")}
    out["train"] = np.zeros(len(views), dtype=bool)
    for r in rows:
        k = index[r["view"]]
        out["theta"][k], out["phi"][k] = math.degrees(r["theta"]), math.degrees(r["phi"])
        out["psnr"][k] += r["psnr"]
        out["bpp"][k] += r["bpp"]
        out["count"][k] += 1
        out["train"][k] |= r["split"] == "train"
    out["psnr"] /= out["count"]
    out["bpp"] /= out["count"]
    return out


def render(ctx: ReportContext) -> str | None:
    """Returns maps of mean PSNR and BPP per view direction (rows: modes)."""
    modes = [m for m in ctx.modes if ctx.metrics(m)]
    if not modes:
        return None
    fig, axes = plt.subplots(len(modes), 2, figsize=(11, 3.6 * len(modes)), squeeze=False)
    for row, mode in zip(axes, modes):
        data = per_view(ctx.metrics(mode))
        for ax, key, label, cmap in ((row[0], "psnr", "PSNR (dB)", "viridis"), (row[1], "bpp", "BPP", "magma")):
            vmin, vmax = np.percentile(data[key], [2, 98]) if len(data[key]) > 1 else (None, None)
            for trained, marker in ((True, "o"), (False, "^")):
                sel = data["train"] == trained
                points = ax.scatter(data["phi"][sel], data["theta"][sel], c=data[key][sel], cmap=cmap, vmin=vmin,
                                    vmax=vmax, marker=marker, s=46, edgecolors="k" if trained else "none",
                                    linewidths=0.6, label="training view" if trained else "unseen view")  # fmt: skip
            fig.colorbar(points, ax=ax, label=label)
            ax.set_xlim(-5, 365)
            ax.set_ylim(185, -5)  # theta = 0 (+z, top of the sphere) at the top
            ax.set_xlabel("phi (degrees)")
            ax.set_ylabel("theta (degrees)")
            ax.set_title(f"{MODE_NAMES[mode]}: {label} per view (mean over timesteps)", fontsize=10)
        row[0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return figure(fig, "quality per view on theta and phi",
                  caption="Each marker is one view direction; circles with a black edge are training views.")  # fmt: skip
