"""``fcnr cinema export|import``: Cinema (spec D) databases out of a run, and into this pipeline."""

from __future__ import annotations

import argparse

from fcnr.devices import add_device_argument


def _where(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r}: expected COLUMN=VALUE")
    return name, value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the ``export`` and ``import`` subcommands to ``parser``."""
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = sub.add_parser("export", help="write a run's images of one mode as NAME.cdb",
                            description="Write a run's images of one mode as a spec-D Cinema database.")  # fmt: skip
    export.add_argument("run_dir", metavar="RUN", help="a finished run's folder, results/DATASET")
    export.add_argument("--mode", required=True, help="ir or dvr")
    export.add_argument("--out", required=True, help="the database folder to write, NAME.cdb")
    export.add_argument("--source", default="decoded", choices=("decoded", "truth"),
                        help="decoded from the shards (default) or the rendered ground truth")  # fmt: skip
    add_device_argument(export, "decode on")
    imp = sub.add_parser("import", help="write a database's images and views as this pipeline's",
                         description="Write a spec-D database (ParaView, VisIt or fcnr cinema export) as "
                                     "IMAGES_ROOT/t{k:04d}/v{view:04d}.png and views.csv.")  # fmt: skip
    imp.add_argument("cdb", metavar="DB.cdb", help="the database folder (holds data.csv)")
    imp.add_argument("--out", help="images root to write t{k:04d}/v{view:04d}.png into")
    imp.add_argument("--views", help="views CSV to write (index,theta,phi,x,y,z)")
    imp.add_argument("--timestep", type=int, help="import only this timestep (k-th distinct time, from 0)")
    imp.add_argument("--column", help="the FILE column to read (default the first)")
    imp.add_argument("--convention", default="auto", choices=("auto", "fcnr", "paraview", "visit"),
                     help="the phi/theta convention (default: stated in fcnr-cinema.json, else detected)")  # fmt: skip
    imp.add_argument("--where", type=_where, action="append", default=[], metavar="COLUMN=VALUE",
                     help="import only rows with this value (repeatable), e.g. producer=PNG1")  # fmt: skip
    imp.add_argument("--drop-unpaired", action="store_true",
                     help="with an odd number of views, drop the last in sort order (FCNR codes pairs)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Runs the chosen action; returns 0."""
    return _export(args) if args.action == "export" else _import(args)


def _export(args: argparse.Namespace) -> int:
    from fcnr.cinema.export import export_database
    from fcnr.devices import resolve_device
    from fcnr.viewer.run import open_run

    count = export_database(open_run(args.run_dir), args.mode, args.out, args.source, resolve_device(args.device))
    print(f"{args.out}: wrote data.csv, fcnr-cinema.json and {count} {args.source} {args.mode} images")
    return 0


def _import(args: argparse.Namespace) -> int:
    from fcnr.cinema.importing import check_images, plan_import, write_images
    from render.basics.errors import FCNRError
    from render.views import write_views

    if not (args.out or args.views):
        raise FCNRError("nothing to write: give --out IMAGES_ROOT, --views VIEWS.csv or both")
    plan = plan_import(args.cdb, args.convention, args.column, dict(args.where), args.drop_unpaired)
    steps = plan.timesteps(args.timestep)
    width, height = check_images(plan, steps if args.out and args.timestep is not None else None)
    print(plan.summary())
    if args.views:
        write_views(plan.views, args.views)
        print(f"{args.views}: {len(plan.views)} views")
    if args.out:
        count = write_images(plan, args.out, steps)
        print(f"{args.out}: {count} images of {width}x{height}")
    return 0
