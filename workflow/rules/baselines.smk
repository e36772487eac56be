# Baselines: classical codecs and learned variants on the same images as FCNR, their RD points
# and BD-rates (results/{ds}/{mode}/baselines/), read by the report's baseline sections.
#
#   baselines/{codec}/q{q}/              fcnr baseline (one job per codec, every setting):
#                                        metrics.csv, timing.json, decoded/t{t}/ (the zoom timestep)
#   baselines/{variant}/lambda{lam}/     a learned run in the mode-directory layout: model/,
#                                        shards/, decoded/, timing/, metrics/t{t}.csv
#   baselines/rd.csv, bdrate.csv         fcnr rd: one RD point per method and setting; BD-rates

from fcnr.baselines import CODECS
from fcnr.baselines.rd import compared_timesteps, default_lambda, lam_str, run_dir

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
    files += [f"{folder}/timing/{kind}_t{tstr(t)}.json" for kind in ("encode", "decode") for t in ts]
    return files + [f"{folder}/model/train_summary.json"]


def rd_inputs(wildcards):
    """Returns every file the RD summary of one dataset mode reads."""
    ds, mode = wildcards.ds, wildcards.mode
    ts = baseline_timesteps(ds)
    files = [f for _, _, folder in learned_runs(ds, mode) for f in run_files(folder, ts)]
    files += [f"results/{ds}/{mode}/baselines/{codec}" for codec in classical_codecs(ds)]
    files += [f"{folder}/decoded/t{tstr(zoom_timestep(ds))}" for _, _, folder in learned_runs(ds, mode)]
    return files


def rd_args(wildcards):
    """Returns the `fcnr rd` options naming every run of one dataset mode."""
    ds, mode = wildcards.ds, wildcards.mode
    args = [f"--learned {m} {lam_str(lam)} {folder}" for m, lam, folder in learned_runs(ds, mode)]
    settings_dirs = [f"results/{ds}/{mode}/baselines/{c}/q{q}" for c, qs in classical_codecs(ds).items() for q in qs]
    if settings_dirs:
        args.append("--classical " + " ".join(settings_dirs))
    args.append("--timesteps " + " ".join(str(t) for t in baseline_timesteps(ds)))
    return " ".join(args)


def learned_train_args(wildcards):
    """Returns the `fcnr train` options of one learned point: the train section with its variant, lambda and steps."""
    steps = bl(wildcards.ds)["learned"]["finetune_steps"]
    section = dict(settings(wildcards.ds)["train"], variant=wildcards.variant, **{"lambda": float(wildcards.lam)})
    return section_args(section | ({"max_steps": steps} if steps else {}))


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
        main=lambda wc: model_files(wc.ds, wc.mode),
    output:
        [f"{RUN}/model/{name}" for name in MODEL_FILES],
    params:
        args=learned_train_args,
        model=RUN + "/model",
    log:
        RUN_LOG + "/train.log",
    threads: lambda wc: settings(wc.ds)["train"]["threads"]
    resources:
        mem_mb=lambda wc: 4000 + 64 * settings(wc.ds)["render"]["size"] ** 2 // 1000,
        runtime=24 * 60,
    shell:
        "OMP_NUM_THREADS={threads} fcnr train results/{wildcards.ds}/{wildcards.mode}/images "
        "--views {input.views} --split {input.split} --out {params.model} {params.args} "
        "--init results/{wildcards.ds}/{wildcards.mode}/model --no-progress > {log} 2>&1"


rule baseline_compress:
    input:
        images="results/{ds}/{mode}/images/t{t}",
        model=[f"{RUN}/model/{name}" for name in MODEL_FILES],
        views="results/{ds}/views.csv",
    output:
        shard=RUN + "/shards/t{t}.fcnr",
        timing=RUN + "/timing/encode_t{t}.json",
    params:
        model=RUN + "/model",
        device=lambda wc: settings(wc.ds)["codec"]["device"],
    log:
        RUN_LOG + "/compress_t{t}.log",
    threads: lambda wc: settings(wc.ds)["codec"]["threads"]
    resources:
        mem_mb=lambda wc: 3000 + 64 * settings(wc.ds)["render"]["size"] ** 2 // 1000,
        runtime=120,
    shell:
        "OMP_NUM_THREADS={threads} fcnr compress {input.images} --model {params.model} --views {input.views} "
        "--timestep {wildcards.t} --out {output.shard} --timing-json {output.timing} "
        "--device {params.device} > {log} 2>&1"


rule baseline_decompress:
    input:
        shard=RUN + "/shards/t{t}.fcnr",
        model=[f"{RUN}/model/{name}" for name in MODEL_FILES],
    output:
        images=directory(RUN + "/decoded/t{t}"),
        timing=RUN + "/timing/decode_t{t}.json",
    params:
        model=RUN + "/model",
        device=lambda wc: settings(wc.ds)["codec"]["device"],
    log:
        RUN_LOG + "/decompress_t{t}.log",
    threads: lambda wc: settings(wc.ds)["codec"]["threads"]
    resources:
        mem_mb=lambda wc: 3000 + 64 * settings(wc.ds)["render"]["size"] ** 2 // 1000,
        runtime=120,
    shell:
        "OMP_NUM_THREADS={threads} fcnr decompress {input.shard} --model {params.model} --out {output.images} "
        "--timing-json {output.timing} --device {params.device} > {log} 2>&1"


rule baseline_evaluate_timestep:
    input:
        images="results/{ds}/{mode}/images/t{t}",
        decoded=RUN + "/decoded/t{t}",
        shard=RUN + "/shards/t{t}.fcnr",
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
