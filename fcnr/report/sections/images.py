"""Ground truth beside decoded images, with error maps and zoomed-in crops."""

from __future__ import annotations

from typing import Any

import numpy as np

from fcnr.evaluation.evaluate import t_dir
from fcnr.images import image_path, read_image
from fcnr.report.context import MODE_NAMES, ReportContext
from fcnr.report.html import fmt, image, note, plt

TITLE = "Ground truth vs decoded"
ORDER = 70
SHOWN = 320  # display width of full images (px)
ZOOM_SHOWN = 240  # display width of zoomed-in crops (px)


def pick_examples(rows: list[dict[str, Any]], count: int) -> list[tuple[str, dict[str, Any]]]:
    """Returns ``count`` labelled rows spread over the PSNR ranking: worst, median, then best and quartiles."""
    ranked = sorted(rows, key=lambda r: r["psnr"])
    quantiles = [(0.5, "median PSNR"), (0.0, "worst PSNR"), (1.0, "best PSNR"), (0.25, "lower quartile"),
                 (0.75, "upper quartile")][:count]  # fmt: skip
    picked, seen = [], set()
    for q, label in sorted(quantiles):
        row = ranked[round(q * (len(ranked) - 1))]
        if (row["t"], row["view"]) not in seen:
            seen.add((row["t"], row["view"]))
            picked.append((label, row))
    return picked


def error_map(reference: np.ndarray, decoded: np.ndarray) -> tuple[np.ndarray, float]:
    """Returns the absolute error (mean over RGB) as an inferno-coloured image, and its colour scale top."""
    err = np.abs(reference.astype(np.float32) - decoded.astype(np.float32)).mean(axis=2)
    top = max(float(np.percentile(err, 99.5)), 1.0)
    colours = plt.get_cmap("inferno")(np.clip(err / top, 0, 1))[..., :3]
    return (colours * 255).round().astype(np.uint8), top


def zoom_window(reference: np.ndarray, decoded: np.ndarray, fraction: float) -> tuple[int, int, int]:
    """Returns (row, column, side) of the square crop with the largest total error."""
    err = np.abs(reference.astype(np.float64) - decoded.astype(np.float64)).sum(axis=2)
    side = max(8, round(fraction * min(err.shape)))
    integral = np.pad(err.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = integral[side:, side:] - integral[:-side, side:] - integral[side:, :-side] + integral[:-side, :-side]
    r, c = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(r), int(c), side


def boxed(reference: np.ndarray, r: int, c: int, side: int) -> np.ndarray:
    """Returns a copy of ``reference`` with the zoomed square (row r, column c, side) outlined in red."""
    out = reference.copy()
    out[r : r + side, [c, min(c + side, out.shape[1]) - 1]] = (255, 0, 0)
    out[[r, min(r + side, out.shape[0]) - 1], c : c + side] = (255, 0, 0)
    return out


def example(ctx: ReportContext, mode: str, label: str, row: dict[str, Any], zoom: float) -> str:
    """Returns one example: ground truth, decoded, error map, and the three zoomed in."""
    t, v = row["t"], row["view"]
    reference = read_image(image_path(t_dir(ctx.mode_dir(mode), "images", t), v))
    decoded = read_image(image_path(t_dir(ctx.mode_dir(mode), "decoded", t), v))
    errors, top = error_map(reference, decoded)
    r, c, side = zoom_window(reference, decoded, zoom)
    crop = (slice(r, r + side), slice(c, c + side))
    title = (f"{MODE_NAMES[mode]}, {label}: t={t}, view {v} ({row['split']}), PSNR {fmt(row['psnr'])} dB, "
             f"MS-SSIM {fmt(row['msssim'], 4)}, {fmt(row['bpp'], 4)} bpp")  # fmt: skip
    figures = [
        image(boxed(reference, r, c, side), f"ground truth t={t} view {v}", "ground truth (red: zoomed region)",
              SHOWN),
        image(decoded, f"decoded t={t} view {v}", "decoded", SHOWN),
        image(errors, f"error map t={t} view {v}", f"|error|, black 0 to yellow {top:.0f}+ (of 255)", SHOWN),
        image(reference[crop], f"ground truth zoom t={t} view {v}", "ground truth, zoomed", ZOOM_SHOWN),
        image(decoded[crop], f"decoded zoom t={t} view {v}", "decoded, zoomed", ZOOM_SHOWN),
        image(errors[crop], f"error zoom t={t} view {v}", "|error|, zoomed", ZOOM_SHOWN),
    ]
    return f'<h3>{title}</h3><div class="examples">{"".join(figures)}</div>'


def render(ctx: ReportContext) -> str | None:
    """Returns the examples of every mode (worst, median, ... PSNR), or None without metrics."""
    modes = [m for m in ctx.modes if ctx.metrics(m)]
    if not modes:
        return None
    report = ctx.settings.get("config", {}).get("report", {})
    count, zoom = report.get("examples", 2), report.get("zoom", 0.25)
    parts = [example(ctx, mode, label, row, zoom) for mode in modes for label, row in pick_examples(ctx.metrics(mode), count)]
    explain = note("Images at their true pixels (enlarged without smoothing). The zoomed region is where "
                   "the decoded image differs most from the ground truth.")  # fmt: skip
    return explain + "".join(parts)
