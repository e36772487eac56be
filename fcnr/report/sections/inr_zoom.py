"""Each INR's decoded image beside FCNR's at the FCNR setting nearest the INR's BPP, whole and zoomed in."""

from __future__ import annotations

from fcnr.baselines import label
from fcnr.baselines.runs import image_row, run_dir
from fcnr.evaluation.rd import curves
from fcnr.images import image_path, read_image
from fcnr.inr import METHODS as INR_METHODS
from fcnr.report.baselines import compared, config, main_lambda, rd_points
from fcnr.report.context import MODE_NAMES, ReportContext
from fcnr.report.html import fmt, image, note
from fcnr.report.sections.baseline_zoom import nearest, pick_view
from fcnr.report.sections.images import boxed, zoom_window

TITLE = "INRs beside FCNR"
ORDER = 82
SHOWN = 256  # display width of each image and crop (px)


def comparison(ctx: ReportContext, mode: str, point: dict, fcnr: dict, t: int, fraction: float) -> str:
    """Returns one INR point's decoded image and FCNR's, whole and cropped where the INR errs most."""
    view = pick_view(ctx, mode, t)
    reference = read_image(image_path(ctx.mode_dir(mode) / "images" / f"t{t:04d}", view))
    shown, captions = [], []
    for p in (point, fcnr):
        folder = run_dir(ctx.mode_dir(mode), p["method"], p["setting"], p["value"], main_lambda(ctx))
        path = image_path(folder / "decoded" / f"t{t:04d}", view)
        if not path.is_file():
            return note(f"{MODE_NAMES[mode]}: {path} is missing; no comparison for {label(p['method'])}.")
        row = image_row(folder, p["setting"], t, view) or {}
        setting = f"{p['setting']} {fmt(p['value'], 1 if p['setting'] == 'lambda' else 0)}"
        shown.append(read_image(path))
        captions.append(f"{label(p['method'])} ({setting}): {fmt(row.get('bpp'), 4)} bpp, {fmt(row.get('psnr'))} dB, "
                        f"FLIP {fmt(row.get('flip'), 3)} on this image")  # fmt: skip
    r, c, side = zoom_window(reference, shown[0], fraction)
    crop = (slice(r, r + side), slice(c, c + side))
    figures = [image(boxed(reference, r, c, side), "ground truth", "ground truth (red: zoomed region)", SHOWN)]
    figures += [image(d, cap, cap, SHOWN) for d, cap in zip(shown, captions)]
    figures.append(image(reference[crop].copy(), "ground truth, zoomed", "ground truth, zoomed", SHOWN))
    figures += [image(d[crop].copy(), f"{cap}, zoomed", "zoomed", SHOWN) for d, cap in zip(shown, captions)]
    title = (f"{MODE_NAMES[mode]}: {label(point['method'])} ({fmt(int(point['value']))} parameters, "
             f"{fmt(point['bpp'], 4)} bpp) beside FCNR at {fmt(fcnr['bpp'], 4)} bpp; t={t}, view {view}")
    return f'<h3>{title}</h3><div class="examples">{"".join(figures)}</div>'


def render(ctx: ReportContext) -> str | None:
    """Returns every INR's comparison with FCNR in every mode with INR runs, or None without any."""
    parts = []
    t = compared(ctx)[0] if compared(ctx) else None
    fraction = config(ctx).get("report", {}).get("zoom", 0.25)
    for mode in ctx.modes:
        by_method = curves(rd_points(ctx, mode) or [])
        if "fcnr" not in by_method:
            continue
        for method in INR_METHODS:
            for point in by_method.get(method, []):
                parts.append(comparison(ctx, mode, point, nearest(by_method["fcnr"], point["bpp"]), t, fraction))
    if not parts:
        return None
    explain = note(
        "The first unseen view of the first compared timestep, decoded by each INR from its bitstream alone and by "
        "FCNR at the lambda whose mean BPP is nearest the INR's (on a log scale). The crop is where the INR's "
        "image differs most from the ground truth."
    )  # fmt: skip
    return explain + "".join(parts)
