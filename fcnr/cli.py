"""The ``fcnr`` command: one subcommand per pipeline stage.

Each subcommand lives in its own module under ``fcnr/commands/`` exposing ``add_arguments(parser)``
and ``run(args) -> int``; its one-line help is in ``COMMANDS``. Modules are imported only when their
subcommand runs, so ``fcnr views`` never pays for importing torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from render.basics.errors import FCNRError

COMMANDS = {
    "volumes": "Write a dataset's volumes as DIR/t{k:04d}.npy plus meta.json.",
    "views": "Write the geodesic icosphere views as CSV.",
    "render": "Render IR or DVR images of one volume from every view.",
    "train": "Train an FCNR model on rendered image pairs.",
    "compress": "Compress one timestep's images into a shard.",
    "decompress": "Decode a shard (all images, or one view).",
    "info": "Print a shard's header and index.",
    "evaluate": "Compute per-image quality and rate metrics.",
    "report": "Build a dataset's self-contained HTML report.",
    "baseline": "Compress images with a classical codec and score them like FCNR.",
    "rd": "Summarise rate-distortion points of FCNR and its baselines; BD-rates.",
    "view": "Browse a finished run in the browser, decoding images on demand.",
    "cinema": "Export a run as a Cinema database, or import one as this pipeline's images.",
    "inr": "Train, decode and score the INR baselines (E-NeRV, HNeRV, NeRVI-like).",
}


def _module(name: str):
    return importlib.import_module(f"fcnr.commands.{name}")


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    """Returns the parser; only the subcommand named in ``argv`` gets its arguments loaded."""
    parser = argparse.ArgumentParser(prog="fcnr", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, help_text in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == wanted:
            _module(name).add_arguments(command_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs one subcommand; user-facing errors print one message and exit with status 2."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    try:
        return int(_module(args.command).run(args) or 0)
    except FCNRError as exc:
        print(f"fcnr {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"fcnr {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
