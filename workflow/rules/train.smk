# Training: one FCNR model per dataset and mode, on the paper's subset of the images. The rule also
# trains every learned point (baselines.smk reuses it with the point's wildcards: common.smk's run_*).


rule train:
    input:
        images=training_images,
        views="results/{ds}/views.csv",
        split="results/{ds}/split.csv",
        init=init_input,
    # Only the finished model's files: MODEL/checkpoints/ survives a killed job, which then resumes.
    # A finished run deletes its checkpoints, so a later rerun (new images or settings) starts over.
    output:
        [f"results/{{ds}}/{{mode}}/model/{name}" for name in MODEL_FILES],
    params:
        args=lambda wc: train_args(wc.ds),
        init=init_param,
        init_option=init_flag,
        model=lambda wc: run_folder(wc) + "/model",
    log:
        "logs/{ds}/{mode}/train.log",
    benchmark:
        "benchmarks/{ds}/{mode}/train.tsv"
    priority: PRIORITY["train"]
    threads: threads_of("train")
    resources:
        mem_mb=mem_mb(4000, 16_000, window_pixels),
        runtime=24 * 60,
    shell:
        logged("fcnr train results/{wildcards.ds}/{wildcards.mode}/images --views {input.views} --split {input.split} "
               "--out {params.model} {params.args} {params.init_option}", then="rm -rf {params.model}/checkpoints")
