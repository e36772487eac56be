"""Zoom-ins of one image as every method decodes it, each at the setting closest to FCNR's BPP."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from fcnr.baselines import label
from fcnr.baselines.runs import image_row, run_dir
from fcnr.evaluation.evaluate import t_dir
from fcnr.evaluation.rd import curves
from fcnr.images import image_path, read_image
from fcnr.report.baselines import (
    baseline_modes,
    compared,
    config,
    main_lambda,
    rd_points,
)
from fcnr.report.context import MODE_NAMES, ReportContext
from fcnr.report.html import fmt, image, note
from fcnr.report.sections.images import boxed, zoom_window

TITLE = "Zoom-ins at similar BPP"
ORDER = 80
SHOWN = 200  # display width of each crop (px)


def pick_view(ctx: ReportContext, mode: str, t: int) -> int:
    """Returns the view shown: the first unseen view of timestep ``t`` (else its first view)."""
    rows = [r for r in ctx.metrics(mode) or [] if r["t"] == t]
    unseen = [r["view"] for r in rows if r["split"] == "unseen"]
    return min(unseen or [r["view"] for r in rows] or [0])


def nearest(points: list[dict[str, Any]], bpp: float) -> dict[str, Any]:
    """Returns the point whose BPP is closest to ``bpp`` on a log scale."""
    return min(points, key=lambda p: abs(math.log(p["bpp"] / bpp)))


def mode_zoom(ctx: ReportContext, mode: str, t: int, fraction: float) -> str:
    """Returns the ground truth and each method's crop for one mode."""
    points = rd_points(ctx, mode)
    lam = main_lambda(ctx)
    main = next((p for p in points if p["method"] == "fcnr" and float(p["value"]) == lam), None)
    if main is None:
        return note(f"{MODE_NAMES[mode]}: FCNR's main point is missing from rd.csv; no zoom-ins.")
    view = pick_view(ctx, mode, t)
    reference = read_image(image_path(t_dir(ctx.mode_dir(mode), "images", t), view))
    chosen = [main] + [nearest(group, main["bpp"]) for method, group in curves(points).items() if method != "fcnr"]
    decoded, captions, missing = [], [], []
    for p in chosen:
        folder = run_dir(ctx.mode_dir(mode), p["method"], p["setting"], p["value"], lam)
        path = image_path(folder / "decoded" / f"t{t:04d}", view)
        if not path.is_file():
            missing.append(label(p["method"]))
            continue
        row = image_row(folder, p["setting"], t, view) or {}
        decoded.append(read_image(path))
        setting = f"{p['setting']} {fmt(p['value'], 1 if p['setting'] == 'lambda' else 0)}"
        captions.append(f"{label(p['method'])} ({setting}): "
                        f"{fmt(row.get('bpp'), 3)} bpp, {fmt(row.get('psnr'))} dB on this image; "
                        f"{fmt(p['bpp'], 3)} bpp on average")  # fmt: skip
    r, c, side = zoom_window(reference, decoded[0], fraction) if decoded else (0, 0, reference.shape[0])
    crop = (slice(r, r + side), slice(c, c + side))
    figures = [image(boxed(reference, r, c, side), f"ground truth t={t} view {view}",
                     "ground truth (red: zoomed region)", 2 * SHOWN),
               image(reference[crop], "ground truth zoom", "ground truth, zoomed", SHOWN)]  # fmt: skip
    figures += [image(np.ascontiguousarray(d[crop]), caption, caption, SHOWN) for d, caption in zip(decoded, captions)]
    title = (f"{MODE_NAMES[mode]}: t={t}, view {view}; each method at its setting nearest FCNR's "
             f"{fmt(main['bpp'], 4)} bpp")
    extra = note(f"No decoded image of t={t} view {view} for: {', '.join(missing)}.") if missing else ""
    return f'<h3>{title}</h3><div class="examples">{"".join(figures)}</div>{extra}'


def render(ctx: ReportContext) -> str | None:
    """Returns the zoom-ins of every mode with RD points, or None without them."""
    modes = baseline_modes(ctx)
    if not modes:
        return None
    t = compared(ctx)[0]
    fraction = config(ctx).get("report", {}).get("zoom", 0.25)
    return "".join(mode_zoom(ctx, mode, t, fraction) for mode in modes)
