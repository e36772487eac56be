# Baselines: classical codecs and learned variants on the same images as FCNR, their RD points
# and BD-rates (results/{ds}/{mode}/baselines/), read by the report's baseline sections.
#
#   baselines/{codec}/q{q}/              fcnr baseline (one job per codec, every setting):
#                                        metrics.csv, timing.json, decoded/t{t}/ (the zoom timestep)
#   baselines/{variant}/lambda{lam}/     a learned run in the mode-directory layout: model/,
#                                        shards/, decoded/, timing/, metrics/t{t}.csv
#   baselines/{method}/p{size}/          an INR (E-NeRV, HNeRV, NeRVI-like) at one parameter budget, in
#                                        the fcnr.inr.run layout: model/, bitstream.inr, decoded/,
#                                        metrics.csv, timing.json
#   baselines/rd.csv, bdrate.csv         fcnr rd: one RD point per method and setting; BD-rates

from fcnr.baselines import CODECS
from fcnr.baselines.runs import compared_timesteps, default_lambda, lam_str, learned_steps, run_dir

wildcard_constraints:
    codec="|".join(CODECS),
    variant=r"fcnr|ecsic|jct-only|pe-only",
    lam=r"[0-9][0-9.e+-]*",


def bl(ds):
    """Returns the dataset's validated `baselines` section."""
    return settings(ds)["baselines"]


def baseline_timesteps(ds):
    """Returns the timesteps every method is compared on: `baselines.timesteps` of them, evenly spread."""
    return compared_timesteps(timesteps(ds), bl(ds)["timesteps"])


def zoom_timestep(ds):
    """Returns the timestep whose decoded images the zoom-ins show: the first compared one."""
    return baseline_timesteps(ds)[0]


def main_lambda(ds):
    """Returns FCNR's main lambda (train.lambda, else the command's default)."""
    value = settings(ds)["train"].get("lambda")
    return default_lambda() if value is None else float(value)


def learned_modes(ds):
    """Returns the modes that get learned baselines."""
    chosen = bl(ds)["learned"]["modes"]
    return [m for m in modes(ds) if chosen is None or m in chosen]


def learned_runs(ds, mode):
    """Returns [(method, lambda, run_dir)] of every learned point of a mode, FCNR's main run first."""
    wanted = [("fcnr", main_lambda(ds))]
    if bl(ds)["enabled"] and mode in learned_modes(ds):
        section = bl(ds)["learned"]
        wanted += [(m, float(lam)) for m in section["sweep"] for lam in section["lambdas"]]
        wanted += [(v, main_lambda(ds)) for v in section["variants"]]
    mode_dir = f"results/{ds}/{mode}"
    return [(m, lam, str(run_dir(mode_dir, m, "lambda", lam, main_lambda(ds)))) for m, lam in dict.fromkeys(wanted)]


def classical_codecs(ds):
    """Returns {codec: [settings]} of the classical codecs in use."""
    if not bl(ds)["enabled"]:
        return {}
    return {codec: qs for codec, qs in bl(ds)["classical"].items() if qs}


def run_files(folder, ts):
    """Returns the files `fcnr rd` reads of a learned run: per-timestep metrics and timings, the training summary."""
    files = [f"{folder}/metrics/t{tstr(t)}.csv" for t in ts]
    files += [f"{folder}/timing/encode", f"{folder}/timing/decode"]
    return files + [f"{folder}/model/train_summary.json"]


def rd_inputs(wildcards):
    """Returns every file the RD summary of one dataset mode reads."""
    ds, mode = wildcards.ds, wildcards.mode
    ts = baseline_timesteps(ds)
    files = [f for _, _, folder in learned_runs(ds, mode) for f in run_files(folder, ts)]
    files += [f"results/{ds}/{mode}/baselines/{codec}" for codec in classical_codecs(ds)]
    files += [f"{folder}/decoded" for _, _, folder in learned_runs(ds, mode)]
    files += [f"{folder}/{name}" for _, _, folder in inr_runs(ds, mode) for name in ("metrics.csv", "timing.json")]
    files += [f"{folder}/decoded" for _, _, folder in inr_runs(ds, mode)]
    return files


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


def learned_train_args(wildcards):
    """Returns the `fcnr train` options of one learned point: the train section with its variant, lambda and steps."""
    section = dict(settings(wildcards.ds)["train"], variant=wildcards.variant, **{"lambda": float(wildcards.lam)})
    return section_args(section | {"max_steps": learned_steps(settings(wildcards.ds))})


def learned_start(wildcards):
    """Returns the folder a learned point fine-tunes from: train.init (the base model) if set, else FCNR's main model.

    From the base, every point of a curve has the main model's recipe (the base plus a fine-tune at its
    lambda), and the points train beside the main model instead of after it.
    """
    return init_dir(wildcards.ds, wildcards.mode) or f"results/{wildcards.ds}/{wildcards.mode}/model"


def learned_start_files(wildcards):
    """Returns the start's files that this workflow makes (none for a committed base model)."""
    if init_dir(wildcards.ds, wildcards.mode):
        return init_input(wildcards)
    return model_files(wildcards.ds, wildcards.mode)


RUN = "results/{ds}/{mode}/baselines/{variant}/lambda{lam}"
RUN_LOG = "logs/{ds}/{mode}/baselines/{variant}-lambda{lam}"


rule baseline_classical:
    input:
        images=lambda wc: [image_dir(wc.ds, wc.mode, t) for t in baseline_timesteps(wc.ds)],
        views="results/{ds}/views.csv",
        split="results/{ds}/split.csv",
    # q{Q}/metrics.csv, q{Q}/timing.json and q{Q}/decoded/t{zoom}/ for every setting of the codec.
    output:
        directory("results/{ds}/{mode}/baselines/{codec}"),
    params:
        qualities=lambda wc: " ".join(str(q) for q in classical_codecs(wc.ds)[wc.codec]),
        timesteps=lambda wc: " ".join(str(t) for t in baseline_timesteps(wc.ds)),
        zoom=lambda wc: zoom_timestep(wc.ds),
        lpips=lambda wc: "" if settings(wc.ds)["evaluate"]["lpips"] else "--no-lpips",
        device=lambda wc: settings(wc.ds)["evaluate"]["device"],
    log:
        "logs/{ds}/{mode}/baselines/{codec}.log",
    threads: 1
    resources:
        mem_mb=lambda wc: 2000 + 200 * settings(wc.ds)["render"]["size"] ** 2 // 1_000_000,
        runtime=120,
    shell:
        "OMP_NUM_THREADS={threads} fcnr baseline results/{wildcards.ds}/{wildcards.mode}/images "
        "--views {input.views} --split {input.split} --codec {wildcards.codec} --quality {params.qualities} "
        "--timesteps {params.timesteps} --decoded-timestep {params.zoom} --out {output} "
        "--device {params.device} {params.lpips} > {log} 2>&1"


rule baseline_train:
    input:
        images=training_images,
        views="results/{ds}/views.csv",
        split="results/{ds}/split.csv",
        start=learned_start_files,
    # As for the main model: a killed job resumes from MODEL/checkpoints/, a finished one deletes them,
    # so a rerun with other settings (e.g. finetune_steps) starts over.
    output:
        [f"{RUN}/model/{name}" for name in MODEL_FILES],
    params:
        args=learned_train_args,
        start=learned_start,
        start_id=init_param,
        model=RUN + "/model",
    log:
        RUN_LOG + "/train.log",
    priority: PRIORITY["learned"]
    threads: lambda wc: settings(wc.ds)["train"]["threads"]
    resources:
        mem_mb=lambda wc: 4000 + 64 * settings(wc.ds)["render"]["size"] ** 2 // 1000,
        runtime=24 * 60,
    shell:
        "OMP_NUM_THREADS={threads} fcnr train results/{wildcards.ds}/{wildcards.mode}/images "
        "--views {input.views} --split {input.split} --out {params.model} {params.args} "
        "--init {params.start} --no-progress > {log} 2>&1 && rm -rf {params.model}/checkpoints"


rule baseline_compress:
    input:
        images=lambda wc: [image_dir(wc.ds, wc.mode, t) for t in baseline_timesteps(wc.ds)],
        model=[f"{RUN}/model/{name}" for name in MODEL_FILES],
        views="results/{ds}/views.csv",
    output:
        shards=directory(RUN + "/shards"),
        timing=directory(RUN + "/timing/encode"),
    params:
        args=lambda wc, output: compress_args(baseline_timesteps(wc.ds), output.shards, output.timing),
        model=RUN + "/model",
        device=lambda wc: settings(wc.ds)["codec"]["device"],
    log:
        RUN_LOG + "/compress.log",
    priority: PRIORITY["code"]
    threads: lambda wc: settings(wc.ds)["codec"]["threads"]
    resources:
        mem_mb=lambda wc: 3000 + 64 * settings(wc.ds)["render"]["size"] ** 2 // 1000,
        runtime=lambda wc: 120 * len(baseline_timesteps(wc.ds)),
    shell:
        "OMP_NUM_THREADS={threads} fcnr compress {input.images} --model {params.model} --views {input.views} "
        "{params.args} --device {params.device} > {log} 2>&1"


rule baseline_decompress:
    input:
        shards=RUN + "/shards",
        model=[f"{RUN}/model/{name}" for name in MODEL_FILES],
    output:
        images=directory(RUN + "/decoded"),
        timing=directory(RUN + "/timing/decode"),
    params:
        args=lambda wc, input, output: decompress_args(baseline_timesteps(wc.ds), input.shards, output.images,
                                                       output.timing),
        model=RUN + "/model",
        device=lambda wc: settings(wc.ds)["codec"]["device"],
    log:
        RUN_LOG + "/decompress.log",
    priority: PRIORITY["code"]
    threads: lambda wc: settings(wc.ds)["codec"]["threads"]
    resources:
        mem_mb=lambda wc: 3000 + 64 * settings(wc.ds)["render"]["size"] ** 2 // 1000,
        runtime=lambda wc: 120 * len(baseline_timesteps(wc.ds)),
    shell:
        "OMP_NUM_THREADS={threads} fcnr decompress {params.args} --model {params.model} "
        "--device {params.device} > {log} 2>&1"


rule baseline_evaluate_timestep:
    input:
        images="results/{ds}/{mode}/images/t{t}",
        decoded=RUN + "/decoded",
        shards=RUN + "/shards",
        views="results/{ds}/views.csv",
        split="results/{ds}/split.csv",
    output:
        metrics=RUN + "/metrics/t{t}.csv",
        status=RUN + "/metrics/t{t}.json",
    params:
        run=RUN,
        lpips=lambda wc: "" if settings(wc.ds)["evaluate"]["lpips"] else "--no-lpips",
        device=lambda wc: settings(wc.ds)["evaluate"]["device"],
    log:
        RUN_LOG + "/evaluate_t{t}.log",
    priority: PRIORITY["code"]
    threads: lambda wc: settings(wc.ds)["evaluate"]["threads"]
    resources:
        mem_mb=lambda wc: 2000 + 200 * settings(wc.ds)["render"]["size"] ** 2 // 1_000_000,
        runtime=60,
    shell:
        "OMP_NUM_THREADS={threads} fcnr evaluate timestep {params.run} "
        "--images results/{wildcards.ds}/{wildcards.mode}/images --timestep {wildcards.t} --views {input.views} "
        "--split {input.split} --out {output.metrics} --status {output.status} --device {params.device} "
        "{params.lpips} > {log} 2>&1"


rule baseline_rd:
    input:
        rd_inputs,
    output:
        rd="results/{ds}/{mode}/baselines/rd.csv",
        bd="results/{ds}/{mode}/baselines/bdrate.csv",
    params:
        args=rd_args,
    log:
        "logs/{ds}/{mode}/baselines/rd.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "fcnr rd {params.args} --out {output.rd} --bd-out {output.bd} > {log} 2>&1"


def baseline_report_inputs(wildcards):
    """Returns the baselines' RD and BD tables of every mode (nothing when baselines are off)."""
    if not bl(wildcards.ds)["enabled"]:
        return []
    root = f"results/{wildcards.ds}"
    return [f"{root}/{mode}/baselines/{name}" for mode in modes(wildcards.ds) for name in ("rd.csv", "bdrate.csv")]


REPORT_INPUTS.append(baseline_report_inputs)


# ---- INRs: E-NeRV, HNeRV and NeRVI-like, one run per method and parameter budget (fcnr inr) ----------
# Each represents every view of the INR timesteps; train writes the bitstream, decode reads only that
# file, evaluate scores the decoded images. After FCNR's jobs, before the classical codecs (PRIORITY).

from fcnr.inr import METHODS as INR_METHODS

wildcard_constraints:
    method="|".join(INR_METHODS),
    size=r"\d+",

INR_RUN = "results/{ds}/{mode}/baselines/{method}/p{size}"
INR_LOG = "logs/{ds}/{mode}/baselines/{method}-p{size}"


def inr(ds):
    """Returns the dataset's validated `baselines.inr` section."""
    return bl(ds)["inr"]


def inr_timesteps(ds):
    """Returns the timesteps the INRs represent: `baselines.inr.timesteps` of the compared ones."""
    return compared_timesteps(baseline_timesteps(ds), inr(ds)["timesteps"])


def inr_runs(ds, mode):
    """Returns [(method, size, run folder)] of every INR of one dataset mode (none when baselines are off)."""
    modes_wanted = inr(ds)["modes"]
    if not bl(ds)["enabled"] or (modes_wanted is not None and mode not in modes_wanted):
        return []
    return [(method, size, f"results/{ds}/{mode}/baselines/{method}/p{size}")
            for method, spec in inr(ds)["methods"].items() for size in spec["sizes"]]


def inr_train_args(wildcards):
    """Returns the `fcnr inr train` options of one method: timesteps, epochs, minutes, device."""
    spec = inr(wildcards.ds)["methods"][wildcards.method]
    args = ["--timesteps " + " ".join(str(t) for t in inr_timesteps(wildcards.ds)), f"--epochs {spec['epochs']}"]
    if spec["minutes"] is not None:
        args.append(f"--minutes {spec['minutes']}")
    return " ".join(args + [f"--device {inr(wildcards.ds)['device']}"])


rule inr_train:
    input:
        images=lambda wc: [image_dir(wc.ds, wc.mode, t) for t in inr_timesteps(wc.ds)],
        views="results/{ds}/views.csv",
    # MODEL/checkpoints/ survives a killed job, which then resumes; a finished run deletes them.
    output:
        bitstream=INR_RUN + "/bitstream.inr",
        encode=INR_RUN + "/encode.json",
        summary=INR_RUN + "/model/train_summary.json",
        curve=INR_RUN + "/model/train_log.csv",
    params:
        args=inr_train_args,
        run=INR_RUN,
    log:
        INR_LOG + "/train.log",
    benchmark:
        "benchmarks/{ds}/{mode}/baselines/{method}-p{size}/train.tsv"
    priority: PRIORITY["inr"]
    threads: lambda wc: inr(wc.ds)["threads"]
    resources:
        mem_mb=lambda wc: 3000 + 64 * settings(wc.ds)["render"]["size"] ** 2 // 1000,
        runtime=24 * 60,
    shell:
        "OMP_NUM_THREADS={threads} fcnr inr train results/{wildcards.ds}/{wildcards.mode}/images "
        "--views {input.views} --method {wildcards.method} --size {wildcards.size} {params.args} "
        "--out {params.run} > {log} 2>&1 && rm -rf {params.run}/model/checkpoints"


rule inr_decode:
    input:
        bitstream=INR_RUN + "/bitstream.inr",
        views="results/{ds}/views.csv",
    output:
        decoded=directory(INR_RUN + "/decoded"),
        timing=INR_RUN + "/decode.json",
    params:
        device=lambda wc: inr(wc.ds)["device"],
    log:
        INR_LOG + "/decode.log",
    priority: PRIORITY["inr"]
    threads: lambda wc: inr(wc.ds)["threads"]
    resources:
        mem_mb=lambda wc: 2000 + 64 * settings(wc.ds)["render"]["size"] ** 2 // 1000,
        runtime=120,
    shell:
        "OMP_NUM_THREADS={threads} fcnr inr decode {input.bitstream} --views {input.views} --out {output.decoded} "
        "--timing-json {output.timing} --device {params.device} > {log} 2>&1"


rule inr_evaluate:
    input:
        truth=lambda wc: [image_dir(wc.ds, wc.mode, t) for t in inr_timesteps(wc.ds)],
        bitstream=INR_RUN + "/bitstream.inr",
        decoded=INR_RUN + "/decoded",
        times=[INR_RUN + "/encode.json", INR_RUN + "/decode.json", INR_RUN + "/model/train_summary.json"],
        views="results/{ds}/views.csv",
        split="results/{ds}/split.csv",
    output:
        metrics=INR_RUN + "/metrics.csv",
        timing=INR_RUN + "/timing.json",
    params:
        run=INR_RUN,
        lpips=lambda wc: "" if settings(wc.ds)["evaluate"]["lpips"] else "--no-lpips",
        device=lambda wc: settings(wc.ds)["evaluate"]["device"],
    log:
        INR_LOG + "/evaluate.log",
    priority: PRIORITY["inr"]
    threads: lambda wc: settings(wc.ds)["evaluate"]["threads"]
    resources:
        mem_mb=lambda wc: 2000 + 200 * settings(wc.ds)["render"]["size"] ** 2 // 1_000_000,
        runtime=60,
    shell:
        "OMP_NUM_THREADS={threads} fcnr inr evaluate {params.run} --images results/{wildcards.ds}/{wildcards.mode}/images "
        "--views {input.views} --split {input.split} --device {params.device} {params.lpips} > {log} 2>&1"


def inr_report_inputs(wildcards):
    """Returns every INR's training curve (the report's INR training section reads them)."""
    ds = wildcards.ds
    return [f"{folder}/model/train_log.csv" for mode in modes(ds) for _, _, folder in inr_runs(ds, mode)]


REPORT_INPUTS.append(inr_report_inputs)
