# Cinema databases as a dataset's source (manifest `source: {kind: cinema, path: X.cdb, modes: {ir: FILE}}`):
# `fcnr cinema import` writes the views and each timestep's images, so for these datasets the
# volumes and render rules never run. Training, coding, evaluation and the report are the same.
# Which datasets these are (CINEMA_DS), their views and modes: common.smk.

import shlex


def cinema_options(ds):
    """Returns the `fcnr cinema import` options of the manifest's source (convention, where, drop_unpaired)."""
    source = manifest(ds)["source"]
    options = [f"--convention {source['convention']}"] if "convention" in source else []
    options += [f"--where {shlex.quote(f'{key}={value}')}" for key, value in source.get("where", {}).items()]
    return " ".join(options + (["--drop-unpaired"] if source.get("drop_unpaired") else []))


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
        logged("fcnr cinema import {params.db} --views {output} {params.options}", omp=False)


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
        logged("fcnr cinema import {params.db} --column {params.column} --timestep {wildcards.t} --out "
               "results/{wildcards.ds}/{wildcards.mode}/images {params.options}", omp=False)
