"""Quality and rate per timestep, training timesteps marked."""

from __future__ import annotations

from fcnr.evaluation.evaluate import mean_metrics
from fcnr.report.context import MODE_NAMES, ReportContext
from fcnr.report.html import figure, plt

TITLE = "Quality per timestep"
ORDER = 30


def render(ctx: ReportContext) -> str | None:
    """Returns plots of mean PSNR, MS-SSIM, LPIPS (when available) and BPP against the timestep."""
    modes = [m for m in ctx.modes if ctx.metrics(m)]
    if not modes:
        return None
    per_t = {}
    for mode in modes:
        rows = ctx.metrics(mode)
        per_t[mode] = {t: mean_metrics([r for r in rows if r["t"] == t]) for t in sorted({r["t"] for r in rows})}
    keys = [("psnr", "PSNR (dB)"), ("msssim", "MS-SSIM"), ("lpips", "LPIPS"), ("bpp", "BPP")]
    keys = [k for k in keys if any(v[k[0]] is not None for m in modes for v in per_t[m].values())]
    train_ts = sorted({r["t"] for m in modes for r in ctx.metrics(m) if r["split"] == "train"})
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.3), squeeze=False)
    for ax, (key, label) in zip(axes[0], keys):
        for t in train_ts:
            ax.axvline(t, color="#cde", lw=6, zorder=0)
        for mode in modes:
            ts = list(per_t[mode])
            ax.plot(ts, [per_t[mode][t][key] for t in ts], marker="o", ms=3, label=MODE_NAMES[mode])
        ax.set_xlabel("timestep")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return figure(fig, "quality per timestep",
                  caption="Mean over all views of each timestep; shaded: training timesteps.")  # fmt: skip
