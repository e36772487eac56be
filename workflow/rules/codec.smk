# Compression and decompression: one shard per dataset, mode and timestep, every view pair in it.


rule compress:
    input:
        images="results/{ds}/{mode}/images/t{t}",
        model=lambda wc: model_files(wc.ds, wc.mode),
        views="results/{ds}/views.csv",
    output:
        shard="results/{ds}/{mode}/shards/t{t}.fcnr",
        timing="results/{ds}/{mode}/timing/encode_t{t}.json",
    params:
        model="results/{ds}/{mode}/model",
        device=lambda wc: settings(wc.ds)["codec"]["device"],
    log:
        "logs/{ds}/{mode}/compress/t{t}.log",
    benchmark:
        "benchmarks/{ds}/{mode}/compress/t{t}.tsv"
    priority: PRIORITY["code"]
    threads: lambda wc: settings(wc.ds)["codec"]["threads"]
    resources:
        mem_mb=lambda wc: 3000 + 64 * settings(wc.ds)["render"]["size"] ** 2 // 1000,
        runtime=120,
    shell:
        "OMP_NUM_THREADS={threads} fcnr compress {input.images} --model {params.model} --views {input.views} "
        "--timestep {wildcards.t} --out {output.shard} --timing-json {output.timing} "
        "--device {params.device} > {log} 2>&1"


rule decompress:
    input:
        shard="results/{ds}/{mode}/shards/t{t}.fcnr",
        model=lambda wc: model_files(wc.ds, wc.mode),
    output:
        images=directory("results/{ds}/{mode}/decoded/t{t}"),
        timing="results/{ds}/{mode}/timing/decode_t{t}.json",
    params:
        model="results/{ds}/{mode}/model",
        device=lambda wc: settings(wc.ds)["codec"]["device"],
    log:
        "logs/{ds}/{mode}/decompress/t{t}.log",
    benchmark:
        "benchmarks/{ds}/{mode}/decompress/t{t}.tsv"
    priority: PRIORITY["code"]
    threads: lambda wc: settings(wc.ds)["codec"]["threads"]
    resources:
        mem_mb=lambda wc: 3000 + 64 * settings(wc.ds)["render"]["size"] ** 2 // 1000,
        runtime=120,
    shell:
        "OMP_NUM_THREADS={threads} fcnr decompress {input.shard} --model {params.model} --out {output.images} "
        "--timing-json {output.timing} --device {params.device} > {log} 2>&1"
