# FCNR pipeline: volumes -> views -> IR/DVR images -> FCNR model -> shards -> metrics -> report.
#
#   snakemake --cores 2 results/vortex/report.html                      # default (CPU-sized) config
#   snakemake --cores 2 --configfile config/test.yaml results/tornado/report.html
#   snakemake --profile workflow/profiles/slurm --configfile config/paper.yaml
#   snakemake --cores 2 base_model                                      # the base model train.init uses
#
# config/config.yaml is always loaded; a --configfile is merged over it. Rules live in
# workflow/rules/ (one file per stage); the work is done by `fcnr ...` commands.
#
# Include order: common.smk first, as every rule file uses its helpers and nothing else from
# another rule file; then the config, checked before any rule reads it; then the stages in the
# order data flows. baselines.smk comes after train, codec and evaluate because it reuses their
# rules (`use rule ... as ... with:`), which must be defined first; the other files could come in
# any order.

from pathlib import Path

include: "workflow/rules/common.smk"

configfile: str(Path(workflow.basedir) / "config" / "config.yaml")

check_config(config)

include: "workflow/rules/cinema.smk"
include: "workflow/rules/volumes.smk"
include: "workflow/rules/render.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/codec.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/baselines.smk"
include: "workflow/rules/inr.smk"
include: "workflow/rules/base.smk"


# Bookkeeping rules run inside Snakemake itself, never as cluster jobs.
localrules:
    all,
    base_model,
    base_publish,
    base_views,
    base_split,
    views,
    split,
    settings,


rule all:
    default_target: True
    input:
        expand("results/{ds}/report.html", ds=config["datasets"]),
