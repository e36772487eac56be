"""``fcnr view``: browse a finished run in a web page that decodes images on demand."""

from __future__ import annotations

import argparse

from fcnr.devices import add_device_argument


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the view options to ``parser``."""
    parser.add_argument("run_dir", metavar="RUN", help="a finished run's folder, results/DATASET")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")  # fmt: skip
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument("--cache-mb", type=float, default=256.0,
                        help="size of the server's cache of decoded PNGs in MiB (default 256)")  # fmt: skip
    parser.add_argument("--no-prefetch", action="store_true",
                        help="decode only what is asked for (no prefetching of neighbouring views and timesteps)")  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="do not log every request")
    add_device_argument(parser, "decode on")


def run(args: argparse.Namespace) -> int:
    """Serves the page until interrupted; returns 0."""
    from fcnr.devices import resolve_device
    from fcnr.viewer.decoding import ImageSource
    from fcnr.viewer.run import open_run
    from fcnr.viewer.server import ViewerServer
    from render.basics.errors import FCNRError

    if not 0 <= args.port <= 65535:
        raise FCNRError(f"--port {args.port}: a port is 0..65535 (0 picks a free one)")
    run_folder = open_run(args.run_dir)
    source = ImageSource(run_folder, resolve_device(args.device), args.cache_mb, prefetch=not args.no_prefetch)
    try:
        server = ViewerServer(run_folder, source, args.host, args.port, quiet=args.quiet)
    except OSError as exc:
        source.close()
        raise FCNRError(f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc}); pick another --port") from exc
    print(f"fcnr view: {run_folder.root} ({', '.join(run_folder.modes)}; {len(run_folder.timesteps)} timesteps, "
          f"{len(run_folder.views)} views) at {server.url}  (Ctrl-C stops)", flush=True)  # fmt: skip
    for problem in source.load_models():
        print(f"fcnr view: warning: {problem}", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"fcnr view: listening on {args.host}: anyone who can reach this machine can browse the run", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
