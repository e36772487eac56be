"""What a model's capacity costs: FLOPs (and, with --time, milliseconds) per pair and stage.

    python -m bench.capacity [--sizes 128 512 1024] [--capacities 64/16 96/24 128/32 192/48]
        [--time] [--threads 2]

For each N/M and image size it builds an FCNR model (random weights: cost does not depend on
them) and counts with ``torch.utils.flop_counter.FlopCounterMode`` one pair's encoder transforms
(g_a, h_a), the float64 entropy-parameter networks (z_l, z_r, y_l, y_r: run by both sides), and
the decoder g_s split into its inter-view block (JCTM) and the rest. ``--time`` adds the median
of three runs of each stage on this machine (decoding = entropy + g_s on the fast path; rANS and
PNG writing are not included) and the images/s those two allow. The RD side of capacity needs a
trained model per N/M: ``bench/rd_resolution.py`` with a base of that size.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch.utils.flop_counter import FlopCounterMode

from fcnr.codec.model import build_model

STAGES = ("g_a + h_a", "entropy (float64)", "g_s: JCTM", "g_s: rest")


def stage_calls(model, size: int) -> dict[str, Callable[[], object]]:
    """Returns one callable per stage, each running that stage of one ``size`` x ``size`` pair."""
    torch.manual_seed(0)
    x = torch.rand(1, 3, size, size)
    p_l, p_r = torch.rand(1, 3), torch.rand(1, 3)
    y_l, y_r = model.g_a(x, x)
    z_l, z_r = model.h_a(y_l, y_r)
    exact = model._exact()
    z_l, z_r, y_l, y_r = (v.round().double() for v in (z_l, z_r, y_l, y_r))

    def entropy():
        exact.z_left(p_l.double())
        exact.z_right(z_l, p_r.double())
        _, phi_r = exact.y_left(z_l, z_r)
        exact.y_right(y_l, phi_r)

    synthesis = model.synthesis()
    before_jctm = model.g_s[:2](y_l.float(), y_r.float())  # g_s's inter-view block is its third module
    return {"g_a + h_a": lambda: model.h_a(*model.g_a(x, x)), "entropy (float64)": entropy,
            "g_s": lambda: synthesis(y_l.float(), y_r.float()), "g_s: JCTM": lambda: model.g_s[2](*before_jctm)}  # fmt: skip


def count(calls: dict[str, Callable]) -> dict[str, float]:
    """Returns GFLOP per stage of ``STAGES`` (g_s split into its JCTM and the rest)."""
    gflop = {}
    for name, call in calls.items():
        with FlopCounterMode(display=False) as counter:
            call()
        gflop[name] = counter.get_total_flops() / 1e9
    gflop["g_s: rest"] = gflop.pop("g_s") - gflop["g_s: JCTM"]
    return gflop


def clock(calls: dict[str, Callable], runs: int = 3) -> dict[str, float]:
    """Returns the median milliseconds of each stage over ``runs`` runs (after one warm-up)."""
    ms = {}
    for name, call in calls.items():
        call()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1e3)
        ms[name] = statistics.median(times)
    return ms


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 512, 1024])
    parser.add_argument("--capacities", nargs="+", default=["64/16", "96/24", "128/32", "192/48"], help="N/M")
    parser.add_argument("--time", action="store_true", help="also time each stage on this machine")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    head = "| N/M | params (M) | size | " + " | ".join(f"{s} GFLOP" for s in STAGES) + " | decode GFLOP |"
    if args.time:
        head += " g_a+h_a ms | entropy ms | g_s ms | of which JCTM ms | decode nets images/s |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    with torch.no_grad():
        for capacity in args.capacities:
            N, M = (int(v) for v in capacity.split("/"))
            model = build_model({"N": N, "M": M, "t_range": [0, 1]}).eval()
            params = sum(p.numel() for p in model.parameters()) / 1e6
            for size in args.sizes:
                calls = stage_calls(model, size)
                gflop = count(calls)
                decode = gflop["entropy (float64)"] + gflop["g_s: JCTM"] + gflop["g_s: rest"]
                row = f"| {N}/{M} | {params:.2f} | {size}² | " + " | ".join(f"{gflop[s]:.3g}" for s in STAGES)
                row += f" | {decode:.3g} |"
                if args.time:
                    ms = clock(calls)
                    rate = 2e3 / (ms["entropy (float64)"] + ms["g_s"])
                    stages = ("g_a + h_a", "entropy (float64)", "g_s", "g_s: JCTM")
                    row += " " + " | ".join(f"{ms[stage]:.3g}" for stage in stages) + f" | {rate:.2f} |"
                print(row, flush=True)


if __name__ == "__main__":
    main()
