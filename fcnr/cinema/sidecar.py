"""``fcnr-cinema.json``: what ``fcnr cinema export`` states beside its data.csv (format version 1).

Spec D defines no metadata file and lets other files sit in the database, so readers that do
not know this one ignore it. Keys::

    format       "fcnr-cinema"
    version      1
    convention   "fcnr": the angle convention of the phi and theta columns (fcnr.cinema.cameras)
    columns      a sentence per column: time, view, phi, theta, FILE
    up           "+z": the images' up direction (the volume's z axis, projected)
    dataset, mode, source ("decoded" or "truth"), model_id (decoded only), image {width, height}

``fcnr cinema import`` reads ``convention`` from it (unless ``--convention`` says otherwise).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fcnr.cinema.cameras import CONVENTIONS
from render.basics.atomic import read_json, write_json
from render.basics.errors import FCNRError

NAME, FORMAT, VERSION = "fcnr-cinema.json", "fcnr-cinema", 1
COLUMNS = {
    "time": "the run's timestep number",
    "view": "the geodesic view's index in the run's views.csv",
    "phi": "azimuth in degrees about +z, from +x towards +y, in [-180, 180)",
    "theta": "elevation in degrees above the x-y plane, in [-90, 90] (90 looks down from +z)",
    "FILE": "the image, t{time:04d}/v{view:04d}.png (RGB PNG)",
}


def write_sidecar(cdb: str | os.PathLike, **fields: Any) -> None:
    """Writes ``cdb/fcnr-cinema.json`` with the format's fixed keys and ``fields``."""
    write_json(Path(cdb) / NAME, {"format": FORMAT, "version": VERSION, "convention": "fcnr", "columns": COLUMNS,
                                  "up": "+z", **fields})  # fmt: skip


def read_convention(cdb: str | os.PathLike) -> str | None:
    """Returns the convention stated in ``cdb/fcnr-cinema.json``, or None when there is no such file."""
    path = Path(cdb) / NAME
    if not path.is_file():
        return None
    data = read_json(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise FCNRError(f"{path}: not an {FORMAT} file (format {data.get('format') if isinstance(data, dict) else None!r})")
    if data.get("version") != VERSION:
        raise FCNRError(f"{path}: version {data.get('version')!r} is not supported (this fcnr reads {VERSION})")
    if data.get("convention") not in CONVENTIONS:
        raise FCNRError(f"{path}: convention {data.get('convention')!r} is unknown; known: {', '.join(CONVENTIONS)}")
    return data["convention"]
