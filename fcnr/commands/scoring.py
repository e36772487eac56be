"""The switches of the commands that score decoded images (``--no-lpips``, ``--no-flip``) and what they give."""

from __future__ import annotations

import argparse
from functools import partial
from typing import Any, Callable

from fcnr.devices import add_device_argument


def add_metric_switches(parser: argparse.ArgumentParser) -> None:
    """Adds ``--no-lpips``, ``--no-flip``, ``--lpips-backbone`` and ``--device`` (where LPIPS runs)."""
    parser.add_argument("--no-lpips", action="store_true",
                        help="skip LPIPS (its column is left empty and the status says it was switched off)")
    parser.add_argument("--no-flip", action="store_true",
                        help="skip FLIP (its column is left empty); it costs about 0.65 s per 512² image")
    parser.add_argument("--lpips-backbone", help="AlexNet state dict (default: the torch hub cache's)")
    add_device_argument(parser, "run LPIPS on")


def scorer(args: argparse.Namespace) -> tuple[Callable[..., dict[str, float]], dict[str, Any]]:
    """Returns ``image_metrics`` with the switched-on metrics, and the LPIPS status (available, reason)."""
    from fcnr.evaluation.evaluate import image_metrics

    lpips = None
    if args.no_lpips:
        status = {"available": False, "reason": "LPIPS switched off (evaluate.lpips: false, --no-lpips)"}
    else:
        from fcnr.evaluation.metrics import LPIPSMetric

        lpips = LPIPSMetric(args.lpips_backbone, device=args.device)
        status = {"available": lpips.available, "reason": lpips.reason}
    return partial(image_metrics, lpips=lpips, flip=not args.no_flip), status
