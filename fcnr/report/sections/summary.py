"""The paper's Table 2 layout: its rows beside this run's FCNR and measured INRs, plus rate and speed details."""

from __future__ import annotations

from typing import Any

from fcnr.baselines import label
from fcnr.inr import METHODS as INR_METHODS
from fcnr.report.baselines import main_lambda, rd_points
from fcnr.report.context import MODE_NAMES, MODES, ReportContext
from fcnr.report.html import Raw, esc, fmt, note, table

TITLE = "Results beside the paper (Table 2)"
ORDER = 10

# (label, key, decimals) of each Table-2 column; the paper's Table 2 has no MS-SSIM and no FLIP.
COLUMNS = [("PSNR (dB)", "psnr", 2), ("LPIPS", "lpips", 4), ("MS-SSIM", "msssim", 4), ("FLIP", "flip", 4),
           ("BPP", "bpp", 4), ("ET (h)", "et_h", 3), ("DT (s)", "dt_s", 2)]  # fmt: skip


def ours(ctx: ReportContext, mode: str) -> dict[str, Any] | None:
    """Returns this run's Table-2 figures for ``mode`` (None if not evaluated)."""
    summary, timing = ctx.summary(mode), ctx.timing(mode)
    if summary is None or timing is None:
        return None
    means = summary["all"]
    return {"psnr": means["psnr"], "lpips": means["lpips"], "msssim": means["msssim"], "flip": means.get("flip"),
            "bpp": means["bpp"], "et_h": timing["et_hours"], "dt_s": timing["dt_seconds"]}  # fmt: skip


def point_figures(point: dict[str, Any]) -> dict[str, Any]:
    """Returns an RD point's Table-2 figures (its means over the images it was scored on)."""
    return {"psnr": point["psnr"], "lpips": point["lpips"], "msssim": point["msssim"], "flip": point["flip"],
            "bpp": point["bpp"], "et_h": point["et_hours"], "dt_s": point["dt_seconds"]}  # fmt: skip


def measured(ctx: ReportContext, method: str, setting: str | None = None) -> dict[tuple, dict[str, dict]]:
    """Returns {(label, value): {mode: figures}} of one method's RD points in every mode (one key per setting)."""
    found: dict[tuple, dict[str, dict]] = {}
    for mode in ctx.modes:
        for p in rd_points(ctx, mode) or []:
            if p["method"] == method and (setting is None or float(p["value"]) == float(setting)):
                found.setdefault((p["setting"], p["value"]), {})[mode] = point_figures(p) | {"images": p["images"]}
    return found


def _row(label: str, figures: dict[str, dict[str, Any] | None]) -> list[str]:
    cells = [label]
    for mode in MODES:
        values = figures.get(mode)
        cells += [fmt(values.get(key) if values else None, digits) for _, key, digits in COLUMNS]
    return cells


def _table2(ctx: ReportContext) -> str:
    header = [[("", 1)] + [(MODE_NAMES[m], len(COLUMNS)) for m in MODES], ["method"] + [c[0] for c in COLUMNS] * 2]
    paper = ctx.paper()
    rows, mine = [], []
    for method in INR_METHODS:
        paper_name = INR_METHODS[method].paper_name
        if paper_name in paper:
            rows.append(_row(f"{paper_name} (paper)", paper[paper_name]))
        for (_, size), figures in measured(ctx, method).items():
            mine.append(len(rows))
            rows.append(_row(f"{label(method)} (this run, {fmt(int(size))} parameters)", figures))
    if "ECSIC" in paper:
        rows.append(_row("ECSIC (paper)", paper["ECSIC"]))
    if "FCNR" in paper:
        rows.append(_row("FCNR (paper)", paper["FCNR"]))
    for figures in measured(ctx, "fcnr", main_lambda(ctx)).values():
        mine.append(len(rows))
        rows.append(_row("FCNR (this run, the baselines' images)", figures))
    mine.append(len(rows))
    rows.append(_row("FCNR (this run, all images)", {m: ours(ctx, m) for m in ctx.modes}))
    return table(header, rows, caption=f"{ctx.dataset}: the paper's Table 2 and this run", cls="table2",
                 highlight=mine)  # fmt: skip


def _scope(ctx: ReportContext) -> str:
    """Returns what each measured row averages over: its images, timesteps and modes."""
    parts = []
    for method in (*INR_METHODS, "fcnr"):
        setting = main_lambda(ctx) if method == "fcnr" else None
        for (_, value), figures in measured(ctx, method, setting).items():
            where = ", ".join(f"{MODE_NAMES[m]} {fmt(int(f['images']))} images" for m, f in figures.items())
            absent = [MODE_NAMES[m] for m in ctx.modes if m not in figures]
            parts.append(f"{label(method)}{'' if method == 'fcnr' else f' ({fmt(int(value))} parameters)'}: {where}"
                         + (f"; not run for {', '.join(absent)}" if absent else ""))
    if not parts:
        return ""
    ts = ", ".join(map(str, ctx.settings.get("timesteps", [])))
    return note(Raw(
        "Measured rows other than FCNR's last are means over the images each method was run on (every view of "
        "the baselines' compared timesteps; the INRs of <code>baselines.inr.timesteps</code> of them): "
        + esc("; ".join(parts)) + f". The last row averages all images of the run (timesteps {esc(ts)}). "
        "An INR's BPP is 8 &times; its bitstream's bytes over its images' pixels (the whole network and, for "
        "HNeRV, the embeddings); its ET is training plus writing the bitstream, its DT loading the bitstream "
        "plus decoding every image; the INR training curves say where each run stands (an INR no better than "
        "the mean image of its images has not learned the views). NeRVI has no public code: its row here is "
        "the NeRVI-like reconstruction (fcnr/inr/nervi.py), beside the paper's NeRVI."
    ))  # fmt: skip


def _scale(ctx: ReportContext) -> str:
    paper, s = ctx.paper_table(), ctx.settings
    summaries = [ctx.summary(m) for m in ctx.modes if ctx.summary(m)]
    size = f"{summaries[0]['width']} x {summaries[0]['height']}" if summaries else "n/a"
    rows = [
        ["paper", "812", "30", fmt(paper["images"]), f"{paper['size']} x {paper['size']}", paper["gpu"]],
        ["this run", fmt(s.get("n_views")), fmt(len(s.get("timesteps", []))),
         fmt(summaries[0]["images"]) if summaries else "n/a", size, "see Settings"],
    ]  # fmt: skip
    return table(["", "views", "timesteps", "images per mode", "image size", "hardware"], rows,
                 caption="Scale: the figures above are not at the same scale")  # fmt: skip


def _details(ctx: ReportContext) -> str:
    rows = []
    for mode in ctx.modes:
        summary, timing = ctx.summary(mode), ctx.timing(mode)
        if summary is None or timing is None:
            continue
        rows.append([
            MODE_NAMES[mode], fmt(summary["images"]), fmt(summary["all"]["bpp"], 4), fmt(summary["bpp_shards"], 4),
            fmt(summary["bpp_with_decoder"], 4), fmt(summary["decoder_bytes"] / 1e6, 2),
            fmt(summary["decoder_parameters"]), fmt(timing["training_seconds"], 1), fmt(timing["training_steps"]),
            fmt(timing["encoding_seconds"], 1), fmt(timing["encoding_images_per_second"], 1),
            fmt(timing["decoding_seconds"], 1), fmt(timing["decoding_images_per_second"], 1),
        ])  # fmt: skip
    header = ["mode", "images", "BPP (mean per image)", "BPP (shard files)", "BPP incl. decoder weights",
              "decoder weights (MB)", "decoder parameters", "training (s)", "training steps", "encoding (s)",
              "encoding (images/s)", "decoding (s)", "decoding (images/s)"]  # fmt: skip
    paths = sorted({ctx.timing(m).get("decoding_synthesis", "reference") for m in ctx.modes if ctx.timing(m)})
    return table(header, rows, caption=f"Rate and speed of this run (decoding's synthesis path: {', '.join(paths)})")


def _metric_notes(ctx: ReportContext) -> str:
    """Returns a note for each metric a mode lacks: LPIPS with its reason, FLIP when the config switched it off."""
    reasons: dict[tuple[str, str], list[str]] = {}
    for mode in ctx.modes:
        summary = ctx.summary(mode)
        if summary and not summary["lpips"]["available"]:
            reasons.setdefault(("LPIPS", summary["lpips"]["reason"]), []).append(MODE_NAMES[mode])
        if summary and summary["all"]["flip"] is None:
            reasons.setdefault(("FLIP", "switched off in the config (evaluate.flip: false); its columns say n/a"),
                               []).append(MODE_NAMES[mode])  # fmt: skip
    return "".join(note(f"{metric} ({', '.join(modes)}): {reason}") for (metric, reason), modes in reasons.items())


def _paper_table(ctx: ReportContext) -> str:
    rows = [_row(method, figures) for method, figures in ctx.paper().items()]
    header = [[("", 1)] + [(MODE_NAMES[m], len(COLUMNS)) for m in MODES], ["method"] + [c[0] for c in COLUMNS] * 2]
    return f"<details><summary>All methods of the paper's Table 2 for {esc(ctx.dataset)}</summary>" + table(
        header, rows
    ) + "</details>"


def render(ctx: ReportContext) -> str | None:
    """Returns Table 2 with this run's row, the scale and rate/speed tables and the LPIPS note."""
    if not any(ours(ctx, m) for m in ctx.modes):
        return None
    explain = note(Raw(
        "FCNR's row of all images: PSNR, MS-SSIM, FLIP and LPIPS are means over every image (seen and unseen "
        "views and timesteps); BPP is the mean per image from the shards (each image carries half of its pair's "
        "record and a share of the shard header). ET is the total encoding time in hours, training included; DT the "
        "total decoding time in seconds, both over all images of the run. The paper's figures are for "
        "24,360 images of 1024&sup2; per mode on an NVIDIA A40. FLIP (NVIDIA's LDR-FLIP, lower is better) is "
        "not in the paper."
    ))  # fmt: skip
    return _table2(ctx) + _metric_notes(ctx) + explain + _scope(ctx) + _scale(ctx) + _details(ctx) + _paper_table(ctx)
