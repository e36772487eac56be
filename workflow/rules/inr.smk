# INRs: E-NeRV, HNeRV and NeRVI-like, one run per method and parameter budget (fcnr inr), in
# results/{ds}/{mode}/baselines/{method}/p{size}/ (the fcnr.inr.run layout: model/, bitstream.inr,
# decoded/, metrics.csv, timing.json). Each represents every view of the INR timesteps; train writes
# the bitstream, decode reads only that file, evaluate scores the decoded images. Their RD points
# join rd.csv (baselines.smk); after FCNR's jobs, before the classical codecs (PRIORITY).

from fcnr.baselines.runs import INR_RUN, compared_timesteps
from fcnr.inr import METHODS as INR_METHODS

wildcard_constraints:
    method="|".join(INR_METHODS),
    size=r"\d+",

INR_DIR = "results/{ds}/{mode}/" + INR_RUN.format(method="{method}", value="{size}")
INR_LOG = "logs/{ds}/{mode}/baselines/{method}-p{size}"


def inr(ds):
    """Returns the dataset's validated `baselines.inr` section."""
    return settings(ds)["baselines"]["inr"]


def inr_timesteps(ds):
    """Returns the timesteps the INRs represent: `baselines.inr.timesteps` of the compared ones."""
    return compared_timesteps(baseline_timesteps(ds), inr(ds)["timesteps"])


def inr_images(wildcards):
    """Returns the image folders of the timesteps the INRs represent."""
    return [image_dir(wildcards.ds, wildcards.mode, t) for t in inr_timesteps(wildcards.ds)]


def inr_train_args(wildcards):
    """Returns the `fcnr inr train` options of one method: timesteps, epochs, minutes, device."""
    spec = inr(wildcards.ds)["methods"][wildcards.method]
    args = ["--timesteps " + " ".join(str(t) for t in inr_timesteps(wildcards.ds)), f"--epochs {spec['epochs']}"]
    if spec["minutes"] is not None:
        args.append(f"--minutes {spec['minutes']}")
    return " ".join(args + [f"--device {inr(wildcards.ds)['device']}"])


rule inr_train:
    input:
        images=inr_images,
        views="results/{ds}/views.csv",
    # MODEL/checkpoints/ survives a killed job, which then resumes; a finished run deletes them.
    output:
        bitstream=INR_DIR + "/bitstream.inr",
        encode=INR_DIR + "/encode.json",
        summary=INR_DIR + "/model/train_summary.json",
        curve=INR_DIR + "/model/train_log.csv",
    params:
        args=inr_train_args,
        run=INR_DIR,
    log:
        INR_LOG + "/train.log",
    benchmark:
        "benchmarks/{ds}/{mode}/baselines/{method}-p{size}/train.tsv"
    priority: PRIORITY["inr"]
    threads: lambda wc: inr(wc.ds)["threads"]
    resources:
        mem_mb=mem_mb(3000, 64_000),
        runtime=24 * 60,
    shell:
        logged("fcnr inr train results/{wildcards.ds}/{wildcards.mode}/images --views {input.views} --method "
               "{wildcards.method} --size {wildcards.size} {params.args} --out {params.run}",
               then="rm -rf {params.run}/model/checkpoints")


rule inr_decode:
    input:
        bitstream=INR_DIR + "/bitstream.inr",
        views="results/{ds}/views.csv",
    output:
        decoded=directory(INR_DIR + "/decoded"),
        timing=INR_DIR + "/decode.json",
    params:
        device=lambda wc: inr(wc.ds)["device"],
    log:
        INR_LOG + "/decode.log",
    priority: PRIORITY["inr"]
    threads: lambda wc: inr(wc.ds)["threads"]
    resources:
        mem_mb=mem_mb(2000, 64_000),
        runtime=120,
    shell:
        logged("fcnr inr decode {input.bitstream} --views {input.views} --out {output.decoded} "
               "--timing-json {output.timing} --device {params.device}")


rule inr_evaluate:
    input:
        truth=inr_images,
        bitstream=INR_DIR + "/bitstream.inr",
        decoded=INR_DIR + "/decoded",
        times=[INR_DIR + "/encode.json", INR_DIR + "/decode.json", INR_DIR + "/model/train_summary.json"],
        views="results/{ds}/views.csv",
        split="results/{ds}/split.csv",
    output:
        metrics=INR_DIR + "/metrics.csv",
        timing=INR_DIR + "/timing.json",
    params:
        run=INR_DIR,
        metrics=metric_flags,
        device=device_of("evaluate"),
    log:
        INR_LOG + "/evaluate.log",
    priority: PRIORITY["inr"]
    threads: threads_of("evaluate")
    resources:
        mem_mb=mem_mb(2000, 200),
        runtime=60,
    shell:
        logged("fcnr inr evaluate {params.run} --images results/{wildcards.ds}/{wildcards.mode}/images "
               "--views {input.views} --split {input.split} --device {params.device} {params.metrics}")
