# The base model: one FCNR model per mode trained on images that no report scores (the config's
# `base` section: other timesteps of every dataset, more views, one or several image sizes),
# published for `train.init`.
#
#   snakemake --cores 2 base_model      # trains and publishes {base.publish}/{mode}/
#
#   results/base/{ds}/volumes/              fcnr volumes: the base timesteps any size renders
#   results/base/views-f{f}.csv             fcnr views at icosphere frequency f
#   results/base/{ds}/split-s{size}.csv     every base image of one size is a training image
#   results/base/{ds}/{mode}/s{size}/t{t}/  fcnr render, one job per timestep and size
#   results/base/{mode}/model/              fcnr train on every dataset and size at once
#   {base.publish}/{mode}/                  the model, its training curve and base.json (what it saw)
#
# The default run's `train` never depends on these rules: it reads the published folder (and
# reruns when its model id changes), so a fresh clone fine-tunes from the committed weights.

from fcnr.training.base_model import base_timesteps, check_disjoint, read_provenance


def base():
    """Returns the validated `base` section; a config without one cannot build the base model."""
    if "base" not in config:
        raise WorkflowError(f"{config_source()}: no `base` section; the base model's data and training are set there")
    return config["base"]


def base_datasets():
    """Returns {dataset: [timesteps]} of the base model's data, checked disjoint from every used timestep."""
    chosen = {ds: base_timesteps(manifest(ds), text) for ds, text in base()["datasets"].items() if text}
    try:
        check_disjoint(chosen, {ds: manifest(ds) for ds in chosen})
    except FCNRError as exc:
        raise WorkflowError(f"{config_source()}: base.datasets: {exc}") from None
    return chosen


BASE_PUBLISH = config["base"]["publish"] if "base" in config else "results/base/published"
if "base" in config:
    base_datasets()  # a base that would see a scored image stops every run, whatever its target


def base_sizes():
    """Returns the base images per size: [{size, frequency, timesteps: {ds: [t]}}], in the config's order.

    A size renders every `every`-th base timestep of each dataset, with views of its own frequency.
    """
    return [{"size": entry["size"], "frequency": entry.get("frequency") or base()["views"]["frequency"],
             "timesteps": {ds: ts[:: entry.get("every", 1)] for ds, ts in base_datasets().items()}}
            for entry in base()["render"]["sizes"]]  # fmt: skip


def base_sources(mode):
    """Returns (images root, views CSV, split CSV) of every dataset and size: `fcnr train`'s sources."""
    return [(f"results/base/{ds}/{mode}/s{s['size']}", f"results/base/views-f{s['frequency']}.csv",
             f"results/base/{ds}/split-s{s['size']}.csv") for s in base_sizes() for ds in s["timesteps"]]  # fmt: skip


def base_shape(ds):
    """Returns the base volumes' grid: the manifest's, shrunk to base.volumes.max_side."""
    shape, side = manifest(ds)["shape"], base()["volumes"]["max_side"]
    return list(shape) if side is None or max(shape) <= side else [max(8, round(n * side / max(shape))) for n in shape]


def base_images(wildcards):
    """Returns every base image folder of one mode."""
    return [f"results/base/{ds}/{wildcards.mode}/s{s['size']}/t{tstr(t)}"
            for s in base_sizes() for ds, ts in s["timesteps"].items() for t in ts]  # fmt: skip


def rendered_timesteps(ds):
    """Returns the base timesteps of a dataset that some size renders."""
    return sorted({t for s in base_sizes() for t in s["timesteps"][ds]})


def size_of(size):
    """Returns the base_sizes() entry of an image side (a wildcard)."""
    return next(s for s in base_sizes() if s["size"] == int(size))


rule base_volumes:
    output:
        "results/base/{ds}/volumes/meta.json",
    params:
        timesteps=lambda wc: ",".join(map(str, rendered_timesteps(wc.ds))),
        shape=lambda wc: " ".join(map(str, base_shape(wc.ds))),
        source=lambda wc: as_json(manifest(wc.ds)["source"]),
    log:
        "logs/base/{ds}/volumes.log",
    threads: lambda wc: base()["volumes"].get("threads", 2)
    resources:
        mem_mb=4000,
        runtime=240,
    shell:
        logged("fcnr volumes {wildcards.ds} --out results/base/{wildcards.ds}/volumes --timesteps "
               "{params.timesteps} --shape {params.shape}", omp=False)


rule base_views:
    output:
        "results/base/views-f{f}.csv",
    log:
        "logs/base/views-f{f}.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        logged("fcnr views --frequency {wildcards.f} --out {output}", omp=False)


rule base_split:
    input:
        lambda wc: f"results/base/views-f{size_of(wc.size)['frequency']}.csv",
    output:
        "results/base/{ds}/split-s{size}.csv",
    params:
        timesteps=lambda wc: size_of(wc.size)["timesteps"][wc.ds],
    log:
        "logs/base/{ds}/split-s{size}.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    run:
        from fcnr.training.split import write_split_csv
        from render.views import read_views

        write_split_csv(output[0], params.timesteps, len(read_views(input[0])), timestep_fraction=1, view_fraction=1)
        Path(log[0]).write_text(f"wrote {output[0]}\n")


rule base_render:
    input:
        volumes="results/base/{ds}/volumes/meta.json",
        views=lambda wc: f"results/base/views-f{size_of(wc.size)['frequency']}.csv",
    output:
        directory("results/base/{ds}/{mode}/s{size}/t{t}"),
    params:
        settings=lambda wc: as_json({"size": int(wc.size), "manifest": manifest(wc.ds)["render"]}),
    log:
        "logs/base/{ds}/{mode}/render/s{size}/t{t}.log",
    threads: lambda wc: base()["render"].get("workers", 1)
    resources:
        mem_mb=2000,
        runtime=60,
    shell:
        logged("fcnr render results/base/{wildcards.ds}/volumes/t{wildcards.t}.npy --dataset {wildcards.ds} "
               "--mode {wildcards.mode} --views {input.views} --size {wildcards.size} --out {output} --workers "
               "{threads}", omp=False)


rule base_train:
    input:
        images=base_images,
        views=lambda wc: sorted({views for _, views, _ in base_sources(wc.mode)}),
        splits=lambda wc: [split for _, _, split in base_sources(wc.mode)],
        init=lambda wc: [f"{base_init(wc.mode)}/{name}" for name in MODEL_FILES] if base_init(wc.mode) else [],
    output:
        [f"results/base/{{mode}}/model/{name}" for name in MODEL_FILES],
    params:
        roots=lambda wc: " ".join(root for root, _, _ in base_sources(wc.mode)),
        views=lambda wc: " ".join(views for _, views, _ in base_sources(wc.mode)),
        splits=lambda wc: " ".join(split for _, _, split in base_sources(wc.mode)),
        args=lambda wc: section_args(base()["train"]) + (f" --init {base_init(wc.mode)}" if base_init(wc.mode) else ""),
        model="results/base/{mode}/model",
    log:
        "logs/base/{mode}/train.log",
    threads: lambda wc: base()["train"].get("threads", 1)
    resources:
        mem_mb=6000,
        runtime=72 * 60,
    shell:
        logged("fcnr train {params.roots} --views {params.views} --split {params.splits} --out {params.model} "
               "{params.args} --no-progress", then="rm -rf {params.model}/checkpoints")


rule base_publish:
    input:
        model=[f"results/base/{{mode}}/model/{name}" for name in MODEL_FILES],
    output:
        [f"{BASE_PUBLISH}/{{mode}}/{name}" for name in MODEL_FILES + ("base.json",)],
    params:
        provenance=lambda wc: as_json(base_provenance(wc.mode)),
        folder=f"{BASE_PUBLISH}/{{mode}}",
    log:
        "logs/base/{mode}/publish.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    run:
        from fcnr.training.base_model import publish

        publish(Path(input.model[0]).parent, params.folder, json.loads(params.provenance))
        Path(log[0]).write_text(f"published {params.folder}\n")


def base_init(mode):
    """Returns the folder the base model continues from (base.train.init, {mode} filled in), or None."""
    return resolve_init(base()["train"].get("init"), mode, runs.main_lambda(base()))


def config_flag():
    """Returns the --configfile options of this invocation (base.json records the command)."""
    return "".join(f" --configfile {repo_relative(f)}" for f in workflow.config_settings.configfiles)


def base_provenance(mode):
    """Returns what base.json records: every dataset, timestep, image size and render setting the model saw.

    A base that continues from another published base also records that one's base.json (``init``).
    """
    init = base_init(mode)
    return {
        "mode": mode,
        "datasets": {ds: {"timesteps": rendered_timesteps(ds), "manifest": repo_relative(manifest(ds)["path"]),
                          "used_timesteps": used_timesteps(manifest(ds)), "volume_shape": base_shape(ds),
                          "render": manifest(ds)["render"]}
                     for ds in base_datasets()},  # fmt: skip
        "images": [{"size": s["size"], "views": {"frequency": s["frequency"], "count": 10 * s["frequency"] ** 2 + 2},
                    "timesteps": s["timesteps"]} for s in base_sizes()],  # fmt: skip
        "train": base()["train"],
        "init": init and {"path": repo_relative(init), "base": read_provenance(init)},
        "command": f"snakemake --cores 2 base_model{config_flag()}",
    }


rule base_model:
    input:
        expand(f"{BASE_PUBLISH}/{{mode}}/weights.safetensors", mode=config["modes"]),
