"""The ablation of the paper's Table 3: ECSIC, JCT-only, PE-only and FCNR at FCNR's main lambda."""

from __future__ import annotations

from fcnr.baselines import label
from fcnr.codec.variants import MAIN, ablation_variants
from fcnr.report.baselines import compared, main_lambda, rd_points
from fcnr.report.context import MODE_NAMES, ReportContext
from fcnr.report.html import fmt, note, table

TITLE = "Ablation (paper Table 3)"
ORDER = 62
METHODS = (*ablation_variants(), MAIN)
COLUMNS = (("psnr", "PSNR", 2), ("lpips", "LPIPS", 4), ("bpp", "BPP", 4), ("et_h", "ET (h)", 3), ("dt_s", "DT (s)", 2))


def ours(ctx: ReportContext, mode: str) -> dict[str, dict[str, float]]:
    """Returns this run's points at FCNR's main lambda, keyed by method, in the paper's units."""
    lam = main_lambda(ctx)
    found = {}
    for p in rd_points(ctx, mode) or []:
        if p["method"] in METHODS and p["setting"] == "lambda" and float(p["value"]) == lam:
            found[p["method"]] = {"psnr": p["psnr"], "lpips": p["lpips"], "bpp": p["bpp"],
                                  "et_h": p["et_hours"], "dt_s": p["dt_seconds"]}  # fmt: skip
    return found


def render(ctx: ReportContext) -> str | None:
    """Returns one Table-3 layout per mode with variants; None when no variant was trained."""
    measured = {mode: ours(ctx, mode) for mode in ctx.modes}
    measured = {mode: found for mode, found in measured.items() if set(found) - {"fcnr"}}
    if not measured:
        return None
    parts = [note(
        f"All four trained with the same data, steps and sizes (the config's train section) at lambda "
        f"{fmt(main_lambda(ctx), 1)}; scored on all views of timestep(s) {', '.join(map(str, compared(ctx)))}. "
        "ET: training plus encoding (hours), DT: decoding (seconds), for those images on this machine. "
        "The paper's figures are for tornado IR on an NVIDIA A40, 24,360 images of 1024^2."
    )]  # fmt: skip
    paper = ctx.paper_table()["ablation"]
    for mode, found in measured.items():
        paper_here = (ctx.dataset.lower(), mode) == (paper["dataset"], paper["mode"])
        header = [["", ("this run", len(COLUMNS))] + ([("paper", len(COLUMNS))] if paper_here else []),
                  ["method"] + [c[1] for c in COLUMNS] * (2 if paper_here else 1)]  # fmt: skip
        rows = []
        for method in METHODS:
            mine = found.get(method)
            cells = [fmt(mine[key], digits) if mine else "not run" for key, _, digits in COLUMNS]
            if paper_here:
                theirs = paper["methods"].get(method)  # a variant the paper did not train has no figures
                cells += [fmt(theirs[key], digits) if theirs else "-" for key, _, digits in COLUMNS]
            rows.append([label(method), *cells])
        parts.append(table(header, rows, caption=f"{MODE_NAMES[mode]}", highlight=[len(METHODS) - 1]))
        if not paper_here:
            parts.append(note(f"The paper's ablation covers tornado IR only; no paper figures for {ctx.dataset} "
                              f"{MODE_NAMES[mode]}."))  # fmt: skip
    return "".join(parts)
