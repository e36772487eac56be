"""The viewer's JSON API: parsing requests (errors name the parameter) and building answers.

``GET /api/meta`` (format ``fcnr-viewer-meta``, version 1)::

    {"format": "fcnr-viewer-meta", "version": 1, "dataset": "vortex", "modes": ["ir", "dvr"],
     "timesteps": [30, ...], "image": {"width": 128, "height": 128},
     "views": [{"index": 0, "theta": 0.18, "phi": 1.57, "x": ..., "y": ..., "z": ...}, ...],
     "truth": {"ir": true, ...}, "metrics": {"ir": true, ...}, "sources": ["decoded", "truth", "error"]}

Angles are radians as in views.csv (theta from +z, phi from +x).

``GET /api/image?mode=ir&t=30&view=17[&source=decoded|truth|error]``: a PNG; ``decoded`` (the
default) is decoded from the shard, ``truth`` is the rendered image, ``error`` the report's
error map of the two. Headers: ``Server-Timing: decode;dur=MS;desc="hit|miss"`` and, from
metrics.csv, ``X-FCNR-PSNR`` and ``X-FCNR-BPP`` (absent when the run has no metrics).

Errors are JSON ``{"error": message, "parameter": name or null, "status": code}``: 400 for a
missing, repeated, unknown or malformed parameter, 404 for a mode, timestep, view or ground truth
the run does not have, 500 (naming the file) for a shard or model that cannot be read or decoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fcnr.viewer.decoding import Served
from fcnr.viewer.run import Run
from render.basics.errors import FCNRError

META_FORMAT, META_VERSION = "fcnr-viewer-meta", 1
SOURCES = ("decoded", "truth", "error")
IMAGE_PARAMETERS = ("mode", "t", "view", "source")


class RequestError(Exception):
    """A request the API answers with a JSON error: HTTP status, the parameter at fault, the message."""

    def __init__(self, status: int, parameter: str | None, message: str):
        super().__init__(message)
        self.status, self.parameter, self.message = status, parameter, message

    def body(self) -> dict[str, Any]:
        """Returns the JSON error body."""
        return {"error": self.message, "parameter": self.parameter, "status": self.status}


@dataclass(frozen=True)
class ImageRequest:
    """A valid ``/api/image`` request."""

    mode: str
    t: int
    view: int
    source: str = "decoded"


def _single(query: dict[str, list[str]], name: str, default: str | None = None) -> str:
    values = query.get(name)
    if not values:
        if default is None:
            raise RequestError(400, name, f"parameter {name!r} is missing")
        return default
    if len(values) > 1:
        raise RequestError(400, name, f"parameter {name!r} is given {len(values)} times; give it once")
    return values[0]


def _integer(query: dict[str, list[str]], name: str) -> int:
    text = _single(query, name)
    try:
        return int(text)
    except ValueError:
        raise RequestError(400, name, f"parameter {name!r}: {text!r} is not an integer") from None


def parse_image_request(query_string: str, run: Run) -> ImageRequest:
    """Returns the image request in ``query_string``; a RequestError names the first bad parameter."""
    query = parse_qs(query_string, keep_blank_values=True)
    unknown = sorted(set(query) - set(IMAGE_PARAMETERS))
    if unknown:
        raise RequestError(400, unknown[0], f"unknown parameter {unknown[0]!r}; known: {', '.join(IMAGE_PARAMETERS)}")
    mode = _single(query, "mode")
    if mode not in run.modes:
        raise RequestError(404, "mode", f"mode {mode!r} is not in this run; it has {', '.join(run.modes)}")
    t = _integer(query, "t")
    if t not in run.timesteps:
        raise RequestError(404, "t", f"timestep {t} is not in this run; it has {_span(run.timesteps)}")
    view = _integer(query, "view")
    if view not in run.view_index:
        raise RequestError(404, "view", f"view {view} is not in this run; it has {_span(sorted(run.view_index))}")
    source = _single(query, "source", "decoded")
    if source not in SOURCES:
        raise RequestError(400, "source", f"source {source!r} is unknown; use one of {', '.join(SOURCES)}")
    return ImageRequest(mode, t, view, source)


def _span(values: list[int]) -> str:
    return f"{len(values)}: {values[0]}..{values[-1]}" if len(values) > 1 else str(values[0])


def image_size(run: Run) -> dict[str, int] | None:
    """Returns the run's image size from the first shard header that can be read, or None."""
    from fcnr.codec.shard import read_shard

    for mode in run.modes:
        for t in run.timesteps:
            try:
                header = read_shard(run.shard_path(mode, t)).header
            except FCNRError:
                continue
            return {"width": header.width, "height": header.height}
    return None


def meta(run: Run) -> dict[str, Any]:
    """Returns the ``/api/meta`` answer."""
    views = [{"index": int(v["index"]), **{c: float(v[c]) for c in ("theta", "phi", "x", "y", "z")}}
             for v in run.views]  # fmt: skip
    return {
        "format": META_FORMAT, "version": META_VERSION, "dataset": run.dataset, "modes": run.modes,
        "timesteps": run.timesteps, "image": image_size(run), "views": views,
        "truth": {m: run.has_truth(m) for m in run.modes},
        "metrics": {m: (run.mode_dir(m) / "metrics.csv").is_file() for m in run.modes},
        "sources": list(SOURCES),
    }  # fmt: skip


def image_headers(run: Run, request: ImageRequest, served: Served) -> dict[str, str]:
    """Returns the headers of an ``/api/image`` answer: timing, cache state and the image's metrics."""
    state = "hit" if served.cached else "miss"
    headers = {"Server-Timing": f'decode;dur={served.seconds * 1000:.2f};desc="{state}"'}
    row = run.metrics(request.mode, request.t, request.view)
    if row is not None:
        headers |= {"X-FCNR-PSNR": repr(row["psnr"]), "X-FCNR-BPP": repr(row["bpp"])}
    return headers
