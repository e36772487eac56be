# Compression and decompression: one job per dataset and mode (one model load, one process start),
# writing one shard per timestep with every view pair in it, and decoding them all. The learned
# points reuse both rules (baselines.smk) on their own run folder and timesteps (common.smk's run_*).


rule compress:
    input:
        images=run_images,
        model=run_model,
        views="results/{ds}/views.csv",
    # shards/t{t}.fcnr and timing/encode/t{t}.json for every timestep.
    output:
        shards=directory("results/{ds}/{mode}/shards"),
        timing=directory("results/{ds}/{mode}/timing/encode"),
    params:
        args=lambda wc, output: compress_args(run_timesteps(wc), output.shards, output.timing),
        model=lambda wc: run_folder(wc) + "/model",
        device=device_of("codec"),
    log:
        "logs/{ds}/{mode}/compress.log",
    benchmark:
        "benchmarks/{ds}/{mode}/compress.tsv"
    priority: PRIORITY["code"]
    threads: threads_of("codec")
    resources:
        mem_mb=mem_mb(3000, 2_000),  # measured: 1.0-1.2 GB at 512²; 1.3 (encode), 2.1 GB (decode) at 1024²
        runtime=lambda wc: 120 * len(run_timesteps(wc)),
    shell:
        logged("fcnr compress {input.images} --model {params.model} --views {input.views} {params.args} "
               "--device {params.device}")


rule decompress:
    input:
        shards=lambda wc: run_folder(wc) + "/shards",
        model=run_model,
    # decoded/t{t}/ and timing/decode/t{t}.json for every timestep.
    output:
        images=directory("results/{ds}/{mode}/decoded"),
        timing=directory("results/{ds}/{mode}/timing/decode"),
    params:
        args=lambda wc, input, output: decompress_args(run_timesteps(wc), input.shards, output.images, output.timing),
        model=lambda wc: run_folder(wc) + "/model",
        device=device_of("codec"),
    log:
        "logs/{ds}/{mode}/decompress.log",
    benchmark:
        "benchmarks/{ds}/{mode}/decompress.tsv"
    priority: PRIORITY["code"]
    threads: threads_of("codec")
    resources:
        mem_mb=mem_mb(3000, 2_000),
        runtime=lambda wc: 120 * len(run_timesteps(wc)),
    shell:
        logged("fcnr decompress {params.args} --model {params.model} --device {params.device}")
