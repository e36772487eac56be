# Compression and decompression: one job per dataset and mode (one model load, one process start),
# writing one shard per timestep with every view pair in it, and decoding them all.


rule compress:
    input:
        images=lambda wc: [image_dir(wc.ds, wc.mode, t) for t in timesteps(wc.ds)],
        model=lambda wc: model_files(wc.ds, wc.mode),
        views="results/{ds}/views.csv",
    # shards/t{t}.fcnr and timing/encode/t{t}.json for every timestep.
    output:
        shards=directory("results/{ds}/{mode}/shards"),
        timing=directory("results/{ds}/{mode}/timing/encode"),
    params:
        args=lambda wc, output: compress_args(timesteps(wc.ds), output.shards, output.timing),
        model="results/{ds}/{mode}/model",
        device=lambda wc: settings(wc.ds)["codec"]["device"],
    log:
        "logs/{ds}/{mode}/compress.log",
    benchmark:
        "benchmarks/{ds}/{mode}/compress.tsv"
    priority: PRIORITY["code"]
    threads: lambda wc: settings(wc.ds)["codec"]["threads"]
    resources:
        mem_mb=lambda wc: 3000 + 64 * settings(wc.ds)["render"]["size"] ** 2 // 1000,
        runtime=lambda wc: 120 * len(timesteps(wc.ds)),
    shell:
        "OMP_NUM_THREADS={threads} fcnr compress {input.images} --model {params.model} --views {input.views} "
        "{params.args} --device {params.device} > {log} 2>&1"


rule decompress:
    input:
        shards="results/{ds}/{mode}/shards",
        model=lambda wc: model_files(wc.ds, wc.mode),
    # decoded/t{t}/ and timing/decode/t{t}.json for every timestep.
    output:
        images=directory("results/{ds}/{mode}/decoded"),
        timing=directory("results/{ds}/{mode}/timing/decode"),
    params:
        args=lambda wc, input, output: decompress_args(timesteps(wc.ds), input.shards, output.images, output.timing),
        model="results/{ds}/{mode}/model",
        device=lambda wc: settings(wc.ds)["codec"]["device"],
    log:
        "logs/{ds}/{mode}/decompress.log",
    benchmark:
        "benchmarks/{ds}/{mode}/decompress.tsv"
    priority: PRIORITY["code"]
    threads: lambda wc: settings(wc.ds)["codec"]["threads"]
    resources:
        mem_mb=lambda wc: 3000 + 64 * settings(wc.ds)["render"]["size"] ** 2 // 1000,
        runtime=lambda wc: 120 * len(timesteps(wc.ds)),
    shell:
        "OMP_NUM_THREADS={threads} fcnr decompress {params.args} --model {params.model} "
        "--device {params.device} > {log} 2>&1"
