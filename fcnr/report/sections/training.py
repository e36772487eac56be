"""The training curve of each mode's model (MODEL/train_log.csv)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from fcnr.errors import FCNRError
from fcnr.report.context import MODE_NAMES, ReportContext
from fcnr.report.html import figure, fmt, plt, table

TITLE = "Training curve"
ORDER = 50
CURVES = [("loss", "loss (R + lambda D)"), ("bpp", "BPP (estimated)"), ("psnr", "PSNR (dB)")]


def read_train_log(path: Path) -> dict[str, np.ndarray] | None:
    """Returns the training log's columns as float arrays, or None if the log is absent."""
    if not path.is_file():
        return None
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    try:
        return {key: np.array([float(r[key]) for r in rows]) for key in ("step", "loss", "bpp", "psnr", "seconds")}
    except (KeyError, ValueError) as exc:
        raise FCNRError(f"{path}: expected columns step,epoch,loss,bpp,psnr,seconds ({exc})") from exc


def render(ctx: ReportContext) -> str | None:
    """Returns loss, BPP and PSNR against the training step, and the final values."""
    logs = {m: read_train_log(ctx.mode_dir(m) / "model" / "train_log.csv") for m in ctx.modes}
    logs = {m: log for m, log in logs.items() if log is not None and len(log["step"])}
    if not logs:
        return None
    fig, axes = plt.subplots(1, len(CURVES), figsize=(13, 3.3))
    for ax, (key, label) in zip(axes, CURVES):
        for mode, log in logs.items():
            ax.plot(log["step"], log[key], lw=0.8, alpha=0.35)
            window = max(1, len(log[key]) // 25)  # a running mean shows the trend through the noise
            smooth = np.convolve(log[key], np.ones(window) / window, mode="valid")
            ax.plot(log["step"][window - 1 :], smooth, lw=1.6, label=MODE_NAMES[mode],
                    color=ax.lines[-1].get_color())  # fmt: skip
        if key == "loss" and all((log["loss"] > 0).all() for log in logs.values()):
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    rows = [[MODE_NAMES[m], fmt(int(log["step"][-1])), fmt(log["loss"][-1], 4), fmt(log["bpp"][-1], 4),
             fmt(log["psnr"][-1], 2), fmt(log["seconds"][-1], 1)] for m, log in logs.items()]  # fmt: skip
    return figure(fig, "training curve", caption="Thin: logged values; thick: running mean.") + table(
        ["mode", "last step", "loss", "BPP", "PSNR (dB)", "seconds"], rows, caption="Last logged values"
    )
