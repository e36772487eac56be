# Training: one FCNR model per dataset and mode, on the paper's subset of the images.


def training_images(wildcards):
    """Returns the image folders of the training timesteps (the split picks the views)."""
    return [image_dir(wildcards.ds, wildcards.mode, t) for t in train_timesteps(wildcards.ds)]


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
        model="results/{ds}/{mode}/model",
    log:
        "logs/{ds}/{mode}/train.log",
    benchmark:
        "benchmarks/{ds}/{mode}/train.tsv"
    priority: PRIORITY["train"]
    threads: lambda wc: settings(wc.ds)["train"]["threads"]
    resources:
        mem_mb=lambda wc: 4000 + 64 * settings(wc.ds)["render"]["size"] ** 2 // 1000,
        runtime=24 * 60,
    shell:
        "OMP_NUM_THREADS={threads} fcnr train results/{wildcards.ds}/{wildcards.mode}/images "
        "--views {input.views} --split {input.split} --out {params.model} {params.args} "
        "{params.init_option} > {log} 2>&1 "
        "&& rm -rf {params.model}/checkpoints"
