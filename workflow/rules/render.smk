# Rendering: one job per dataset, mode and timestep; the renderer writes every view's image.


def render_params(wildcards):
    """Returns the rendering settings as JSON: a change (config or manifest) reruns rendering only."""
    return as_json({"size": settings(wildcards.ds)["render"]["size"], "manifest": manifest(wildcards.ds)["render"]})


def render_mem_mb(wildcards):
    """Returns a memory request: the volume, VTK's copies and a few frame buffers per worker."""
    cells = 1
    for n in volume_shape(wildcards.ds):
        cells *= n
    size = settings(wildcards.ds)["render"]["size"]
    workers = settings(wildcards.ds)["render"]["workers"]
    return 1000 + workers * (400 + 16 * cells // 1_000_000 + 64 * size * size // 1_000_000)


rule render:
    input:
        volumes="results/{ds}/volumes/meta.json",
        views="results/{ds}/views.csv",
    output:
        directory("results/{ds}/{mode}/images/t{t}"),
    wildcard_constraints:
        ds=RENDERED_DS,  # a Cinema dataset's images come from cinema.smk
    params:
        settings=render_params,
        size=lambda wc: settings(wc.ds)["render"]["size"],
    log:
        "logs/{ds}/{mode}/render/t{t}.log",
    benchmark:
        "benchmarks/{ds}/{mode}/render/t{t}.tsv"
    priority: PRIORITY["render"]
    threads: lambda wc: settings(wc.ds)["render"]["workers"]
    resources:
        mem_mb=render_mem_mb,
        runtime=60,
    shell:
        logged("fcnr render results/{wildcards.ds}/volumes/t{wildcards.t}.npy --dataset {wildcards.ds} --mode "
               "{wildcards.mode} --views {input.views} --size {params.size} --out {output} --workers {threads}",
               omp=False)
