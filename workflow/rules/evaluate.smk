# Evaluation: every image of every timestep scored against its ground truth, then gathered.


rule evaluate_timestep:
    input:
        images="results/{ds}/{mode}/images/t{t}",
        decoded="results/{ds}/{mode}/decoded",
        shards="results/{ds}/{mode}/shards",
        views="results/{ds}/views.csv",
        split="results/{ds}/split.csv",
    output:
        metrics="results/{ds}/{mode}/metrics/t{t}.csv",
        status="results/{ds}/{mode}/metrics/t{t}.json",
    params:
        lpips=lambda wc: "" if settings(wc.ds)["evaluate"]["lpips"] else "--no-lpips",
        device=lambda wc: settings(wc.ds)["evaluate"]["device"],
    log:
        "logs/{ds}/{mode}/evaluate/t{t}.log",
    benchmark:
        "benchmarks/{ds}/{mode}/evaluate/t{t}.tsv"
    priority: PRIORITY["code"]
    threads: lambda wc: settings(wc.ds)["evaluate"]["threads"]
    resources:
        mem_mb=lambda wc: 2000 + 200 * settings(wc.ds)["render"]["size"] ** 2 // 1_000_000,
        runtime=60,
    shell:
        "OMP_NUM_THREADS={threads} fcnr evaluate timestep results/{wildcards.ds}/{wildcards.mode} "
        "--timestep {wildcards.t} --views {input.views} --split {input.split} --out {output.metrics} "
        "--status {output.status} --device {params.device} {params.lpips} > {log} 2>&1"


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
        "fcnr evaluate gather results/{wildcards.ds}/{wildcards.mode} --split {input.split} "
        "--parts {input.parts} --status {input.status} --out {output.metrics} "
        "--summary {output.summary} --timing {output.timing} > {log} 2>&1"
