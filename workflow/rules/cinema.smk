# Cinema databases as a dataset's source (manifest `source: {kind: cinema, path: X.cdb, modes: {ir: FILE}}`):
# `fcnr cinema import` writes the views and each timestep's images, so for these datasets the
# volumes and render rules never run. Training, coding, evaluation and the report are the same.

import re
import shlex

from fcnr.cinema.importing import plan_import
from render.manifest import known_datasets


def cinema_datasets():
    """Returns the names of the datasets on the manifest path whose source is a Cinema database."""
    names = []
    for name in known_datasets():
        try:
            if load_manifest(name)["source"]["kind"] == "cinema":
                names.append(name)
        except FCNRError:
            pass  # a broken manifest is reported when it is a target
    return names


# Wildcard patterns that send each dataset to the rules that make its images: the Cinema
# datasets here, every other name to views and render. Every path has "/" after {ds}.
_CINEMA_NAMES = "|".join(map(re.escape, cinema_datasets()))
CINEMA_DS = f"(?:{_CINEMA_NAMES})" if _CINEMA_NAMES else "(?!)"
RENDERED_DS = rf"(?!(?:{_CINEMA_NAMES})/){DS_PATTERN}" if _CINEMA_NAMES else DS_PATTERN


def is_cinema(ds):
    """Returns whether the dataset's images come from a Cinema database."""
    return manifest(ds)["source"]["kind"] == "cinema"


def cinema_db(ds):
    """Returns the dataset's database folder (the manifest's source.path, relative to the manifest)."""
    path = Path(manifest(ds)["source"]["path"])
    return path if path.is_absolute() else Path(manifest(ds)["path"]).parent / path


def cinema_options(ds):
    """Returns the `fcnr cinema import` options of the manifest's source (convention, where, drop_unpaired)."""
    source = manifest(ds)["source"]
    options = [f"--convention {source['convention']}"] if "convention" in source else []
    options += [f"--where {shlex.quote(f'{key}={value}')}" for key, value in source.get("where", {}).items()]
    return " ".join(options + (["--drop-unpaired"] if source.get("drop_unpaired") else []))


def cinema_modes(ds):
    """Returns the modes of the run that the database has a FILE column for (config order)."""
    available = manifest(ds)["source"]["modes"]
    chosen = [m for m in settings(ds)["modes"] if m in available]
    if not chosen:
        raise WorkflowError(f"{manifest(ds)['path']}: source.modes has {', '.join(available)}, but the config's "
                            f"modes are {', '.join(settings(ds)['modes'])}; add one of them to either")  # fmt: skip
    return chosen


@cache
def cinema_view_count(ds):
    """Returns the number of views the database gives (data.csv only, no image is opened)."""
    source = manifest(ds)["source"]
    try:
        plan = plan_import(cinema_db(ds), source.get("convention", "auto"), None,
                           {k: str(v) for k, v in source.get("where", {}).items()}, source.get("drop_unpaired", False))  # fmt: skip
    except FCNRError as exc:
        raise WorkflowError(f"{manifest(ds)['path']}: source: {exc}") from None
    return len(plan.views)


rule cinema_views:
    input:
        lambda wc: cinema_db(wc.ds) / "data.csv",
    output:
        "results/{ds}/views.csv",
    wildcard_constraints:
        ds=CINEMA_DS,
    params:
        db=lambda wc: cinema_db(wc.ds),
        options=lambda wc: cinema_options(wc.ds),
    log:
        "logs/{ds}/cinema_views.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    shell:
        "fcnr cinema import {params.db} --views {output} {params.options} > {log} 2>&1"


rule cinema_images:
    input:
        csv=lambda wc: cinema_db(wc.ds) / "data.csv",
        views="results/{ds}/views.csv",
    output:
        directory("results/{ds}/{mode}/images/t{t}"),
    wildcard_constraints:
        ds=CINEMA_DS,
    params:
        db=lambda wc: cinema_db(wc.ds),
        column=lambda wc: manifest(wc.ds)["source"]["modes"][wc.mode],
        options=lambda wc: cinema_options(wc.ds),
    log:
        "logs/{ds}/{mode}/cinema_images/t{t}.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    shell:
        "fcnr cinema import {params.db} --column {params.column} --timestep {wildcards.t} "
        "--out results/{wildcards.ds}/{wildcards.mode}/images {params.options} > {log} 2>&1"
