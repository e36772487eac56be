"""Each INR's PSNR training curve (the paper's Fig. 4), where it converged, and its bitstream's figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fcnr.baselines import label
from fcnr.baselines.runs import run_dir
from fcnr.evaluation.evaluate import read_metrics_csv
from fcnr.inr import METHODS as INR_METHODS
from fcnr.inr.convergence import TAIL, mean_image_psnr, standing, tail_gain
from fcnr.inr.run import RunDir, read_json, read_train_log
from fcnr.report.baselines import main_lambda, rd_points
from fcnr.report.context import MODE_NAMES, ReportContext
from fcnr.report.html import figure, fmt, note, plt, table

TITLE = "INR training curves"
ORDER = 52


def runs(ctx: ReportContext, mode: str) -> list[tuple[dict[str, Any], Path]]:
    """Returns (RD point, run folder) of every INR of a mode."""
    return [(p, run_dir(ctx.mode_dir(mode), p["method"], p["setting"], p["value"], main_lambda(ctx)))
            for p in rd_points(ctx, mode) or [] if p["method"] in INR_METHODS]  # fmt: skip


def mode_part(ctx: ReportContext, mode: str) -> str:
    """Returns one mode's curves and table."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    rows, mean_images = [], {}
    for point, folder in runs(ctx, mode):
        run = RunDir(folder)
        curve = read_train_log(run.model)
        summary, config = read_json(run.model / "train_summary.json"), read_json(run.model / "config.json")
        encoded, times = read_json(run.encode_json), read_json(run.timing)
        images = tuple((r["t"], r["view"]) for r in read_metrics_csv(run.metrics))
        if images not in mean_images:  # the INRs of a mode usually share their images: one line for all
            mean_images[images] = mean_image_psnr(ctx.mode_dir(mode) / "images", list(images))
            ax.axhline(mean_images[images], color="grey", linestyle=":", linewidth=1.2,
                       label=f"mean image of {len(images)} images")  # fmt: skip
        mean_image = mean_images[images]
        name = f"{label(point['method'])} {fmt(int(point['value']))}"
        line = ax.plot(curve["epoch"], curve["psnr"], marker=".", label=f"{name} (training, float)")[0]
        ax.scatter([curve["epoch"][-1]], [point["psnr"]], marker="*", s=140, color=line.get_color(), zorder=5,
                   label=f"{name} (decoded from its bitstream)")  # fmt: skip
        gain = tail_gain(curve["psnr"])
        rows.append([label(point["method"]), fmt(int(point["value"])), fmt(summary["parameters"]), fmt(config["width"]),
                     f"{summary['epochs']} / {summary['epochs_planned']}", fmt(summary["seconds"], 1),
                     fmt(summary["seconds"] / max(1, summary["epochs"]), 2), fmt(curve["psnr"][-1]),
                     fmt(gain), fmt(point["psnr"]), fmt(mean_image), standing(point["psnr"], mean_image, gain),
                     fmt(encoded["bytes"]), fmt(point["bpp"], 4), fmt(encoded["bits_per_symbol"], 2),
                     fmt(times["load_seconds"], 3), fmt(1000 * times["seconds_per_image"], 1)])  # fmt: skip
    ax.set_xlabel("epoch")
    ax.set_ylabel("PSNR (dB)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(f"{MODE_NAMES[mode]}: INR training PSNR per epoch")
    fig.tight_layout()
    header = ["method", "budget", "parameters (all, float)", "width", "epochs (done / planned)", "training (s)",
              "s / epoch", "last-epoch PSNR (dB)", f"gain, last {int(100 * TAIL)} % (dB)", "decoded PSNR (dB)",
              "mean image PSNR (dB)", "where it stands", "bitstream (bytes)", "BPP", "bits / symbol", "load (s)",
              "decode (ms / image)"]  # fmt: skip
    caption = ("Training: mean PSNR of the float network's output over each epoch's batches; star: decoded from the "
               "bitstream; dotted: the mean image")
    return f"<h3>{MODE_NAMES[mode]}</h3>" + figure(fig, f"{MODE_NAMES[mode]} INR training curves", caption) + table(
        header, rows, caption=f"{MODE_NAMES[mode]}: INR training and bitstreams"
    )


def render(ctx: ReportContext) -> str | None:
    """Returns the INR curves and tables of every mode with INR runs, or None without any."""
    modes = [mode for mode in ctx.modes if runs(ctx, mode)]
    if not modes:
        return None
    explain = note(
        "Each INR is trained on every image it represents, with its reference's loss and warmup-cosine schedule "
        "(E-NeRV: Fusion6, lr 5e-4; HNeRV: L2, lr 1e-3, batch 2; NeRVI-like: Fusion6 plus a foreground L1 term). "
        "A curve still rising at its end (a large gain over the last epochs) has not converged: the paper "
        "trains 200 epochs on a GPU. A level curve has not converged either when it lies near or below its "
        "dotted line, the PSNR of the mean image (one image, the per-pixel mean of all the images, scored "
        "against each: the best output of a network that ignores its input): these networks first learn the "
        "background and stay there for tens of epochs before the views appear, so a run cut short levels off "
        "having learned nothing else. The star is the PSNR of the images decoded from the 8-bit (HNeRV: plus "
        "6-bit embeddings) bitstream; its gap below the curve's end is what quantization costs, and also that the "
        "curve averages training batches while the weights were still changing. 'parameters' counts every "
        "trained tensor, HNeRV's encoder included, which the bitstream leaves out."
    )  # fmt: skip
    return explain + "".join(mode_part(ctx, mode) for mode in modes)
