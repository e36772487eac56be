# Evaluation: every image of every timestep scored against its ground truth, then gathered. The
# learned points reuse evaluate_timestep (baselines.smk) on their own run folder (common.smk's run_*).


rule evaluate_timestep:
    input:
        images="results/{ds}/{mode}/images/t{t}",
        decoded=lambda wc: run_folder(wc) + "/decoded",
        shards=lambda wc: run_folder(wc) + "/shards",
        views="results/{ds}/views.csv",
        split="results/{ds}/split.csv",
    output:
        metrics="results/{ds}/{mode}/metrics/t{t}.csv",
        status="results/{ds}/{mode}/metrics/t{t}.json",
    params:
        run=run_folder,
        metrics=metric_flags,
        device=device_of("evaluate"),
    log:
        "logs/{ds}/{mode}/evaluate/t{t}.log",
    benchmark:
        "benchmarks/{ds}/{mode}/evaluate/t{t}.tsv"
    priority: PRIORITY["code"]
    threads: threads_of("evaluate")
    resources:
        mem_mb=mem_mb(2000, 200),
        runtime=60,
    shell:
        logged("fcnr evaluate timestep {params.run} --images results/{wildcards.ds}/{wildcards.mode}/images "
               "--timestep {wildcards.t} --views {input.views} --split {input.split} --out {output.metrics} "
               "--status {output.status} --device {params.device} {params.metrics}")


def evaluate_inputs(wildcards):
    """Returns the per-timestep parts, timings and model files the gather step reads."""
    ds, mode = wildcards.ds, wildcards.mode
    ts = [tstr(t) for t in timesteps(ds)]
    root = f"results/{ds}/{mode}"
    return {
        "parts": [f"{root}/metrics/t{t}.csv" for t in ts],
        "status": [f"{root}/metrics/t{t}.json" for t in ts],
        "timing": [f"{root}/timing/encode", f"{root}/timing/decode"],
        "model": model_files(ds, mode),
        "split": f"results/{ds}/split.csv",
    }


rule evaluate:
    input:
        unpack(evaluate_inputs),
    output:
        metrics="results/{ds}/{mode}/metrics.csv",
        summary="results/{ds}/{mode}/summary.json",
        timing="results/{ds}/{mode}/timing.json",
    log:
        "logs/{ds}/{mode}/evaluate.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    shell:
        logged("fcnr evaluate gather results/{wildcards.ds}/{wildcards.mode} --split {input.split} "
               "--parts {input.parts} --status {input.status} --out {output.metrics} "
               "--summary {output.summary} --timing {output.timing}", omp=False)
