"""The training curve of each mode's model (MODEL/train_log.csv)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from fcnr.report.context import MODE_NAMES, ReportContext
from fcnr.report.html import figure, fmt, plt, table
from render.basics.errors import FCNRError

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
    return (figure(fig, "training curve", caption="Thin: logged values; thick: running mean.")
            + table(["mode", "last step", "loss", "BPP", "PSNR (dB)", "seconds"], rows, caption="Last logged values")
            + warm_starts(ctx))  # fmt: skip


def warm_starts(ctx: ReportContext) -> str:
    """Returns a table saying, per mode, whether the model was warm-started, from what, and what that saw."""
    rows = []
    for mode in ctx.modes:
        summary = ctx.json(ctx.mode_dir(mode) / "model" / "train_summary.json") or {}
        init = summary.get("init")
        if not init:
            rows.append([MODE_NAMES[mode], "no: trained from scratch", "", ""])
            continue
        base = init.get("base")
        seen = "" if base is None else "; ".join(f"{ds} t {ranges(ts)}" for ds, ts in base["datasets"].items())
        if base:
            seen += " (" + ", ".join(f"{i['views']} views at {i['size']}²" for i in base["images"]) + ")"
        rows.append([MODE_NAMES[mode], f"yes: {init['path']} (model {init['model_id']}, {init['variant']})",
                     seen or "not a published base model", fmt(len(init["fresh"]))])  # fmt: skip
    return table(["mode", "warm-started", "images the start model saw", "tensors trained from scratch"], rows,
                 caption="Warm start (train.init). A base model sees no timestep that a report scores.")  # fmt: skip


def ranges(timesteps: list[int]) -> str:
    """Returns timesteps as compact ranges: [0, 2, 4, 10, 11] -> '0-4 step 2, 10-11'."""
    ts, parts, i = list(timesteps), [], 0
    while i < len(ts):
        step = ts[i + 1] - ts[i] if i + 1 < len(ts) else 0
        j = i
        while j + 1 < len(ts) and ts[j + 1] - ts[j] == step:
            j += 1
        if j - i >= 2 or (j - i == 1 and step == 1):
            parts.append(f"{ts[i]}-{ts[j]}" + (f" step {step}" if step > 1 else ""))
            i = j + 1
        else:
            parts.append(str(ts[i]))
            i += 1
    return ", ".join(parts)
