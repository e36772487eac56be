"""Print the measured Table 2 of a workflow run: FCNR and the INRs per dataset and mode, from rd.csv.

    python -m bench.inr_table2 results/vortex results/tornado

Each row is one RD point of ``results/DS/MODE/baselines/rd.csv`` (means over the images that method
was scored on), with the INRs' training length, time and convergence from their run folders. LPIPS
prints as n/a where its AlexNet weights are absent. Run after e.g.

    nice -n 10 .venv/bin/snakemake --cores 2 results/{vortex,tornado}/{ir,dvr}/baselines/rd.csv \\
        --configfile bench/inr-table2.yaml
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from fcnr.baselines import label
from fcnr.baselines.runs import RD_CSV, run_dir
from fcnr.evaluation.evaluate import read_metrics_csv
from fcnr.evaluation.rd import read_table
from fcnr.inr import METHODS as INR_METHODS
from fcnr.inr.convergence import mean_image_psnr, standing, tail_gain
from fcnr.inr.run import RunDir, read_json, read_train_log


def cell(value: float, digits: int) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="+", help="results/DS folders")
    args = parser.parse_args()
    print("| dataset | mode | method | setting | images | PSNR | LPIPS | MS-SSIM | FLIP | BPP | ET (h) | DT (s) | "
          "training | last-epoch PSNR | gain, last 10 % | mean image PSNR | where it stands |")
    print("|" + "---|" * 17)
    for root in map(Path, args.roots):
        for mode in ("ir", "dvr"):
            path = root / mode / RD_CSV
            if not path.is_file():
                continue
            for p in read_table(path):
                extra = ["", "", "", "", ""]
                if p["method"] in INR_METHODS:
                    run = RunDir(run_dir(root / mode, p["method"], p["setting"], p["value"], 0))
                    summary, curve = read_json(run.model / "train_summary.json"), read_train_log(run.model)
                    images = [(r["t"], r["view"]) for r in read_metrics_csv(run.metrics)]
                    mean_image, gain = mean_image_psnr(root / mode / "images", images), tail_gain(curve["psnr"])
                    extra = [f"{summary['epochs']} epochs, {summary['seconds']:.0f} s", cell(curve["psnr"][-1], 2),
                             cell(gain, 2), cell(mean_image, 2), standing(p["psnr"], mean_image, gain)]  # fmt: skip
                print(f"| {root.name} | {mode.upper()} | {label(p['method'])} | {p['setting']} {p['value']:g} | "
                      f"{int(p['images'])} | {cell(p['psnr'], 2)} | {cell(p['lpips'], 4)} | {cell(p['msssim'], 4)} | "
                      f"{cell(p['flip'], 4)} | {cell(p['bpp'], 4)} | {cell(p['et_hours'], 4)} | "
                      f"{cell(p['dt_seconds'], 2)} | " + " | ".join(extra) + " |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
