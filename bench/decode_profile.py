"""Where decoding time goes: per stage, per image size, on this machine.

    python -m bench.decode_profile --model fcnr/zoo/base-128/ir --shards A.shard B.shard [--pairs 4]
        [--threads 2] [--synthesis auto|reference] [--device cpu]

For each shard (one image size each) it decodes ``--pairs`` records through the real
``fcnr.codec.coding.decode_pair`` and times, by wrapping the model's own callables: the rANS
decoder (CompressAI's ``decode_stream`` plus the index and table conversions around it), the
float64 entropy-parameter networks (z_l, z_r, y_l, y_r), each block of ``g_s``, the crop/clamp and
uint8 conversion, and PNG writing. Prints milliseconds per pair and the share of each stage. The
first record of each shard is decoded once untimed (warm-up).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import torch

from fcnr.codec import coding
from fcnr.codec.model_files import model_id
from fcnr.codec.model_io import load_model
from fcnr.codec.shard import read_shard
from fcnr.images import write_image

ENTROPY_STAGES = ("z_left", "z_right", "y_left", "y_right")


class StageClock:
    """Accumulates seconds per stage name; ``wrap`` returns a timed version of a callable.

    On CUDA each stage ends with a synchronisation, so its kernels are charged to it.
    """

    def __init__(self, device: torch.device) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def wrap(self, name: str, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            self.sync()
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.sync()
                self.seconds[name] += time.perf_counter() - start

        return timed


def instrument(model, clock: StageClock) -> None:
    """Replaces the model's stage callables (instance attributes only) by timed ones."""
    exact = model._exact()
    for name in ENTROPY_STAGES:
        setattr(exact, name, clock.wrap(f"entropy nets: {name}", getattr(exact, name)))
    model.laplace.decode = clock.wrap("rANS decode (+ index/table lists)", model.laplace.decode)
    synthesis = model.synthesis()
    for i, block in enumerate(synthesis.blocks()):
        label = f"g_s[{i}] {type(getattr(block, 'left', block)).__name__}"
        block.forward = clock.wrap(label, block.forward)
    coding.to_uint8 = clock.wrap("crop/clamp + to uint8", coding.to_uint8)


def profile_shard(model, shard_path: str, pairs: int) -> tuple[dict[str, float], float, int]:
    """Returns (seconds per stage, total seconds, pairs) for decoding ``pairs`` records of a shard."""
    shard = read_shard(shard_path)
    mid = model.model_id
    coding.decode_pair(shard, 0, model, mid)  # warm-up: the float64 copy, oneDNN primitives
    clock = StageClock(next(model.parameters()).device)
    saved = coding.to_uint8
    instrument(model, clock)
    count = min(pairs, len(shard.records))
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(count):
                images = coding.decode_pair(shard, i, model, mid)
                png = time.perf_counter()
                for view, image in images.items():
                    write_image(Path(tmp) / f"v{view:04d}.png", image)
                clock.seconds["PNG writing"] += time.perf_counter() - png
    finally:
        coding.to_uint8 = saved
    return dict(clock.seconds), time.perf_counter() - start, count


def print_profile(label: str, stages: dict[str, float], total: float, pairs: int) -> None:
    """Prints one shard's table: ms per pair and share per stage, and the unaccounted rest."""
    print(f"\n{label}: {pairs} pairs, {total / pairs * 1e3:.1f} ms per pair ({2 * pairs / total:.2f} images/s)")
    print(f"  {'stage':44s} {'ms/pair':>9s} {'share':>7s}")
    rest = total - sum(stages.values())
    for name, seconds in stages.items():
        print(f"  {name:44s} {seconds / pairs * 1e3:9.1f} {seconds / total:7.1%}")
    print(f"  {'other (shard I/O, CRC, view parameters)':44s} {rest / pairs * 1e3:9.1f} {rest / total:7.1%}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--shards", nargs="+", required=True)
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--synthesis", default="auto", help="a path of fcnr.codec.synthesis (auto, reference, ...)")
    parser.add_argument("--device", default="cpu")
    a = parser.parse_args(argv)
    torch.set_num_threads(a.threads)
    for path in a.shards:
        model = load_model(a.model, device=a.device, synthesis=a.synthesis)
        model.model_id = model_id(a.model)
        shard = read_shard(path)
        size = f"{shard.header.height}x{shard.header.width}"
        stages, total, pairs = profile_shard(model, path, a.pairs)
        where = f"{a.device}, {a.threads} threads" if a.device == "cpu" else a.device
        print_profile(f"{path} ({size}, {where}, synthesis {model.synthesis().path})", stages, total, pairs)


if __name__ == "__main__":
    main()
