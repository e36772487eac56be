# The base model: one FCNR model per mode trained on images that no report scores (the config's
# `base` section: other timesteps of every dataset, more views), published for `train.init`.
#
#   snakemake --cores 2 base_model      # trains and publishes {base.publish}/{mode}/
#
#   results/base/{ds}/volumes/           fcnr volumes: the base timesteps of one dataset
#   results/base/views.csv               fcnr views at base.views.frequency
#   results/base/{ds}/split.csv          every base image is a training image
#   results/base/{ds}/{mode}/images/t{t}/  fcnr render, one job per timestep
#   results/base/{mode}/model/           fcnr train on every dataset at once
#   {base.publish}/{mode}/               the model, its training curve and base.json (what it saw)
#
# The default run's `train` never depends on these rules: it reads the published folder (and
# reruns when its model id changes), so a fresh clone fine-tunes from the committed weights.

from fcnr.training.base_model import base_timesteps, check_disjoint


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


def base_shape(ds):
    """Returns the base volumes' grid: the manifest's, shrunk to base.volumes.max_side."""
    shape, side = manifest(ds)["shape"], base()["volumes"]["max_side"]
    return list(shape) if side is None or max(shape) <= side else [max(8, round(n * side / max(shape))) for n in shape]


def base_images(wildcards):
    """Returns every base image folder of one mode."""
    return [f"results/base/{ds}/{wildcards.mode}/images/t{tstr(t)}" for ds, ts in base_datasets().items() for t in ts]


rule base_volumes:
    output:
        "results/base/{ds}/volumes/meta.json",
    params:
        timesteps=lambda wc: ",".join(map(str, base_datasets()[wc.ds])),
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
        "results/base/views.csv",
    params:
        frequency=lambda wc: base()["views"]["frequency"],
    log:
        "logs/base/views.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        logged("fcnr views --frequency {params.frequency} --out {output}", omp=False)


rule base_split:
    input:
        "results/base/views.csv",
    output:
        "results/base/{ds}/split.csv",
    params:
        timesteps=lambda wc: base_datasets()[wc.ds],
    log:
        "logs/base/{ds}/split.log",
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
        views="results/base/views.csv",
    output:
        directory("results/base/{ds}/{mode}/images/t{t}"),
    params:
        settings=lambda wc: as_json({"size": base()["render"]["size"], "manifest": manifest(wc.ds)["render"]}),
        size=lambda wc: base()["render"]["size"],
    log:
        "logs/base/{ds}/{mode}/render/t{t}.log",
    threads: lambda wc: base()["render"].get("workers", 1)
    resources:
        mem_mb=2000,
        runtime=60,
    shell:
        logged("fcnr render results/base/{wildcards.ds}/volumes/t{wildcards.t}.npy --dataset {wildcards.ds} "
               "--mode {wildcards.mode} --views {input.views} --size {params.size} --out {output} --workers "
               "{threads}", omp=False)


rule base_train:
    input:
        images=base_images,
        views="results/base/views.csv",
        splits=lambda wc: [f"results/base/{ds}/split.csv" for ds in base_datasets()],
    output:
        [f"results/base/{{mode}}/model/{name}" for name in MODEL_FILES],
    params:
        roots=lambda wc: " ".join(f"results/base/{ds}/{wc.mode}/images" for ds in base_datasets()),
        args=lambda wc: section_args(base()["train"]),
        model="results/base/{mode}/model",
    log:
        "logs/base/{mode}/train.log",
    threads: lambda wc: base()["train"].get("threads", 1)
    resources:
        mem_mb=6000,
        runtime=72 * 60,
    shell:
        logged("fcnr train {params.roots} --views {input.views} --split {input.splits} --out {params.model} "
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


def base_provenance(mode):
    """Returns what base.json records: every dataset, timestep and render setting the model saw."""
    return {
        "mode": mode,
        "datasets": {ds: {"timesteps": ts, "manifest": repo_relative(manifest(ds)["path"]),
                          "used_timesteps": used_timesteps(manifest(ds)), "volume_shape": base_shape(ds),
                          "render": manifest(ds)["render"]}
                     for ds, ts in base_datasets().items()},  # fmt: skip
        "views": {"frequency": base()["views"]["frequency"], "count": 10 * base()["views"]["frequency"] ** 2 + 2},
        "image_size": base()["render"]["size"],
        "train": base()["train"],
        "command": "snakemake --cores 2 base_model",
    }


rule base_model:
    input:
        expand(f"{BASE_PUBLISH}/{{mode}}/weights.safetensors", mode=config["modes"]),
