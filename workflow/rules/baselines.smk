# Baselines: classical codecs and learned points on the same images as FCNR, their RD points and
# BD-rates (results/{ds}/{mode}/baselines/, layout: fcnr.baselines.runs), read by the report.
#
#   baselines/{codec}/q{q}/              fcnr baseline (one job per codec, every setting):
#                                        metrics.csv, timing.json, decoded/t{t}/ (the zoom timestep)
#   baselines/{variant}/lambda{lam}/     a learned point: FCNR's train, compress, decompress and
#                                        evaluate_timestep rules on its own folder (common.smk's POINT)
#   baselines/rd.csv, bdrate.csv         fcnr rd: one RD point per method and setting; BD-rates
#
# The INRs' runs are inr.smk's; their points join rd.csv here.

from fcnr.baselines import CODECS
from fcnr.baselines.runs import BD_CSV, RD_CSV, lam_str, learned_steps
from fcnr.codec.variants import VARIANTS

wildcard_constraints:
    codec="|".join(CODECS),
    variant="|".join(VARIANTS),
    lam=r"[0-9][0-9.e+-]*",


def classical_codecs(ds):
    """Returns {codec: [settings]} of the classical codecs in use."""
    if not bl(ds)["enabled"]:
        return {}
    return {codec: qs for codec, qs in bl(ds)["classical"].items() if qs}


def learned_train_args(wildcards):
    """Returns the `fcnr train` options of one learned point: the train section with its variant, lambda and steps."""
    section = dict(settings(wildcards.ds)["train"], variant=wildcards.variant, **{"lambda": float(wildcards.lam)})
    return section_args(section | {"max_steps": learned_steps(settings(wildcards.ds))})


def learned_start(wildcards):
    """Returns the folder a learned point fine-tunes from: train.init (the base nearest its lambda) or the main model.

    From the base, every point of a curve has the main model's recipe (the base plus a fine-tune at its
    lambda), and the points train beside the main model instead of after it.
    """
    return init_dir(wildcards) or f"results/{wildcards.ds}/{wildcards.mode}/model"


def learned_start_files(wildcards):
    """Returns the start's files that this workflow makes (none for a committed base model)."""
    if init_dir(wildcards):
        return init_input(wildcards)
    return model_files(wildcards.ds, wildcards.mode)


def rd_inputs(wildcards):
    """Returns every file the RD summary of one dataset mode reads."""
    ds, mode = wildcards.ds, wildcards.mode
    learned, inrs = learned_runs(ds, mode), inr_runs(ds, mode)
    files = [f"{folder}/metrics/t{tstr(t)}.csv" for _, _, folder in learned for t in baseline_timesteps(ds)]
    files += [f"{folder}/{name}" for _, _, folder in learned
              for name in ("timing/encode", "timing/decode", "model/train_summary.json")]  # fmt: skip
    files += [f"results/{ds}/{mode}/baselines/{codec}" for codec in classical_codecs(ds)]
    files += [f"{folder}/decoded" for _, _, folder in learned]
    files += [f"{folder}/{name}" for _, _, folder in inrs for name in ("metrics.csv", "timing.json")]
    return files + [f"{folder}/decoded" for _, _, folder in inrs]


def rd_args(wildcards):
    """Returns the `fcnr rd` options naming every run of one dataset mode."""
    ds, mode = wildcards.ds, wildcards.mode
    args = [f"--learned {m} {lam_str(lam)} {folder}" for m, lam, folder in learned_runs(ds, mode)]
    settings_dirs = [f"results/{ds}/{mode}/baselines/{c}/q{q}" for c, qs in classical_codecs(ds).items() for q in qs]
    if settings_dirs:
        args.append("--classical " + " ".join(settings_dirs))
    args += [f"--inr {method} {size} {folder}" for method, size, folder in inr_runs(ds, mode)]
    args.append("--timesteps " + " ".join(str(t) for t in baseline_timesteps(ds)))
    return " ".join(args)


rule baseline_classical:
    input:
        images=lambda wc: [image_dir(wc.ds, wc.mode, t) for t in baseline_timesteps(wc.ds)],
        views="results/{ds}/views.csv",
        split="results/{ds}/split.csv",
    # q{Q}/metrics.csv, q{Q}/timing.json and q{Q}/decoded/t{zoom}/ for every setting of the codec;
    # the zoom-ins show the first compared timestep.
    output:
        directory("results/{ds}/{mode}/baselines/{codec}"),
    params:
        qualities=lambda wc: " ".join(str(q) for q in classical_codecs(wc.ds)[wc.codec]),
        timesteps=lambda wc: " ".join(str(t) for t in baseline_timesteps(wc.ds)),
        zoom=lambda wc: baseline_timesteps(wc.ds)[0],
        metrics=metric_flags,
        device=device_of("evaluate"),
    log:
        "logs/{ds}/{mode}/baselines/{codec}.log",
    benchmark:
        "benchmarks/{ds}/{mode}/baselines/{codec}.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(2000, 200),
        runtime=120,
    shell:
        logged("fcnr baseline results/{wildcards.ds}/{wildcards.mode}/images --views {input.views} "
               "--split {input.split} --codec {wildcards.codec} --quality {params.qualities} "
               "--timesteps {params.timesteps} --decoded-timestep {params.zoom} --out {output} "
               "--device {params.device} {params.metrics}")


# A learned point: FCNR's own rules on its folder, fine-tuned from learned_start for finetune_steps.
use rule train as baseline_train with:
    input:
        images=training_images,
        views="results/{ds}/views.csv",
        split="results/{ds}/split.csv",
        init=learned_start_files,
    output:
        [f"{POINT}/model/{name}" for name in MODEL_FILES],
    params:
        args=learned_train_args,
        init=init_param,
        init_option=lambda wc: f"--init {learned_start(wc)} --no-progress",
        model=lambda wc: run_folder(wc) + "/model",
    log:
        POINT_LOG + "/train.log",
    benchmark:
        POINT_BENCHMARK + "/train.tsv"
    priority: PRIORITY["learned"]


use rule compress as baseline_compress with:
    output:
        shards=directory(POINT + "/shards"),
        timing=directory(POINT + "/timing/encode"),
    log:
        POINT_LOG + "/compress.log",
    benchmark:
        POINT_BENCHMARK + "/compress.tsv"


use rule decompress as baseline_decompress with:
    output:
        images=directory(POINT + "/decoded"),
        timing=directory(POINT + "/timing/decode"),
    log:
        POINT_LOG + "/decompress.log",
    benchmark:
        POINT_BENCHMARK + "/decompress.tsv"


use rule evaluate_timestep as baseline_evaluate_timestep with:
    output:
        metrics=POINT + "/metrics/t{t}.csv",
        status=POINT + "/metrics/t{t}.json",
    log:
        POINT_LOG + "/evaluate_t{t}.log",
    benchmark:
        POINT_BENCHMARK + "/evaluate_t{t}.tsv"


rule baseline_rd:
    input:
        rd_inputs,
    output:
        rd="results/{ds}/{mode}/" + RD_CSV,
        bd="results/{ds}/{mode}/" + BD_CSV,
    params:
        args=rd_args,
    log:
        "logs/{ds}/{mode}/baselines/rd.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        logged("fcnr rd {params.args} --out {output.rd} --bd-out {output.bd}", omp=False)
