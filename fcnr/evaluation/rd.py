"""Rate-distortion points of FCNR, its learned variants and the classical codecs; BD-rates.

One point is one method at one setting (a lambda, a quality or a CRF): the mean BPP, PSNR, MS-SSIM,
FLIP and LPIPS over the compared images, and the coding times. Every point is computed on the same
images (the same timesteps' every view), so the curves and BD-rates compare like with like.

Learned runs follow the workflow's mode-directory layout (``metrics/t{t:04d}.csv``,
``timing/{encode,decode}/t{t:04d}.json``, ``model/train_summary.json``); classical runs are
``fcnr baseline`` setting folders (``metrics.csv``, ``timing.json``); INR runs (setting
``params``: the parameter budget) are ``fcnr inr`` run folders (:mod:`fcnr.inr.run`); where each
run lives is :mod:`fcnr.baselines.runs`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from fcnr.codec.variants import MAIN
from fcnr.evaluation.bdrate import bd_psnr, bd_rate
from fcnr.evaluation.evaluate import mean_metrics, read_metrics_csv, timing
from render.basics.atomic import write_text
from render.basics.errors import FCNRError

RD_COLUMNS = ("method", "setting", "value", "images", "bpp", "psnr", "msssim", "flip", "lpips",
              "train_seconds", "encode_seconds", "decode_seconds", "et_hours", "dt_seconds")  # fmt: skip
BD_COLUMNS = ("anchor", "test", "points_anchor", "points_test", "bd_rate_psnr", "bd_psnr", "bd_rate_msssim", "note")


def learned_point(method: str, lmbda: float, run_dir: str | os.PathLike, timesteps: Sequence[int]) -> dict[str, Any]:
    """Returns the RD point of a learned run (a mode directory) over ``timesteps``."""
    run_dir = Path(run_dir)
    rows = [row for t in timesteps for row in read_metrics_csv(run_dir / "metrics" / f"t{t:04d}.csv")]
    times = timing(run_dir, timesteps)
    return _point(method, "lambda", lmbda, rows, times["training_seconds"], times["encoding_seconds"],
                  times["decoding_seconds"])  # fmt: skip


def classical_point(setting_dir: str | os.PathLike, timesteps: Sequence[int] | None = None) -> dict[str, Any]:
    """Returns the RD point of an ``fcnr baseline`` setting folder (``metrics.csv``, ``timing.json``)."""
    setting_dir = Path(setting_dir)
    rows = read_metrics_csv(setting_dir / "metrics.csv")
    if timesteps is not None:
        wanted = set(timesteps)
        missing = wanted - {row["t"] for row in rows}
        if missing:
            raise FCNRError(f"{setting_dir / 'metrics.csv'}: no rows of timestep(s) {sorted(missing)}; "
                            "rerun fcnr baseline with them")
        rows = [row for row in rows if row["t"] in wanted]
    try:
        times = json.loads((setting_dir / "timing.json").read_text())
    except (OSError, ValueError) as exc:
        raise FCNRError(f"{setting_dir / 'timing.json'}: cannot read ({exc}); rerun fcnr baseline") from exc
    return _point(times["codec"], times["setting"], times["quality"], rows, 0.0,
                  times["encoding_seconds"], times["decoding_seconds"])  # fmt: skip


def inr_point(method: str, size: int, run_dir: str | os.PathLike, timesteps: Sequence[int]) -> dict[str, Any]:
    """Returns the RD point of an ``fcnr inr`` run folder (``metrics.csv``, ``timing.json``) over ``timesteps``.

    ET counts training and writing the bitstream, DT loading it and decoding every image.
    """
    run_dir = Path(run_dir)
    rows = [row for row in read_metrics_csv(run_dir / "metrics.csv") if row["t"] in set(timesteps)]
    try:
        times = json.loads((run_dir / "timing.json").read_text())
    except (OSError, ValueError) as exc:
        raise FCNRError(f"{run_dir / 'timing.json'}: cannot read ({exc}); rerun fcnr inr evaluate") from exc
    return _point(method, "params", size, rows, times["training_seconds"], times["encoding_seconds"],
                  times["load_seconds"] + times["decoding_seconds"])  # fmt: skip


def _point(method, setting, value, rows, train_s, encode_s, decode_s) -> dict[str, Any]:
    means = mean_metrics(rows)
    if not rows:
        raise FCNRError(f"{method} {setting}={value}: no images to summarise")
    return {
        "method": method, "setting": setting, "value": value, "images": means["images"],
        "bpp": means["bpp"], "psnr": means["psnr"], "msssim": means["msssim"], "flip": means["flip"],
        "lpips": means["lpips"],
        "train_seconds": train_s, "encode_seconds": encode_s, "decode_seconds": decode_s,
        "et_hours": (train_s + encode_s) / 3600, "dt_seconds": decode_s,
    }  # fmt: skip


def curves(points: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Returns the points grouped by method, each group sorted by BPP."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for point in points:
        grouped.setdefault(point["method"], []).append(point)
    return {method: sorted(group, key=lambda p: p["bpp"]) for method, group in grouped.items()}


# (column, quality, name): BD-rate on PSNR, BD-PSNR, BD-rate on MS-SSIM in dB.
BD_KINDS = (("bd_rate_psnr", "psnr", "BD-rate (PSNR)"), ("bd_psnr", "psnr", "BD-PSNR"),
            ("bd_rate_msssim", "msssim", "BD-rate (MS-SSIM)"))  # fmt: skip


def msssim_db(value: float) -> float:
    """Returns MS-SSIM on a dB scale, -10 log10(1 - MS-SSIM), the usual axis for BD on MS-SSIM."""
    return math.inf if value >= 1 else -10 * math.log10(1 - value)


def bd_rows(points: Iterable[dict[str, Any]], test: str = MAIN) -> list[dict[str, Any]]:
    """Returns one row per other method: BD-rate and BD-PSNR of ``test`` against it (the anchor).

    A negative BD-rate means ``test`` needs fewer bits than the anchor for the same quality. A row
    whose curves cannot be compared (one point, no overlap) has NaN values and a note saying why.
    """
    by_method = curves(points)
    if test not in by_method:
        raise FCNRError(f"no RD points of {test}; nothing to compare the baselines with")
    mine = by_method[test]
    rows = []
    for anchor, theirs in by_method.items():
        if anchor == test:
            continue
        row = {"anchor": anchor, "test": test, "points_anchor": len(theirs), "points_test": len(mine),
               "bd_rate_psnr": math.nan, "bd_psnr": math.nan, "bd_rate_msssim": math.nan, "note": ""}  # fmt: skip
        rate_a, rate_t = [p["bpp"] for p in theirs], [p["bpp"] for p in mine]
        problems: dict[str, list[str]] = {}
        for key, quality, name in BD_KINDS:
            q_a, q_t = [p[quality] for p in theirs], [p[quality] for p in mine]
            if quality == "msssim":
                q_a, q_t = [msssim_db(q) for q in q_a], [msssim_db(q) for q in q_t]
            function = bd_psnr if key == "bd_psnr" else bd_rate
            try:
                row[key] = function(rate_a, q_a, rate_t, q_t)
            except ValueError as exc:
                problems.setdefault(str(exc), []).append(name)
        row["note"] = "; ".join(f"{', '.join(names)}: {message}" for message, names in problems.items())
        rows.append(row)
    return rows


def table_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """Returns ``rows`` as CSV text with ``columns`` (NaN and None written empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if _missing(row[c]) else repr(row[c]) if isinstance(row[c], float) else row[c]
                         for c in columns])  # fmt: skip
    return out.getvalue()


def write_table(path: str | os.PathLike, rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> None:
    """Writes ``rows`` to ``path`` as CSV, atomically."""
    write_text(path, table_csv(rows, columns))


def read_table(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Returns the rows of an RD or BD CSV; numbers as float (NaN where empty), text as str."""
    path = Path(path)
    try:
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise FCNRError(f"{path}: cannot read ({exc.strerror or exc}); rerun the rd rule") from exc
    return [{key: _parse(key, value) for key, value in row.items()} for row in rows]


TEXT_COLUMNS = ("method", "setting", "anchor", "test", "note")


def _parse(key: str, value: str) -> Any:
    if key in TEXT_COLUMNS:
        return value
    return float(value) if value else math.nan


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
