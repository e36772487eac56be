# Volumes, views and the training split: the inputs of everything else.


def volume_args(ds):
    """Returns the `fcnr volumes` options: grid shape (when scaled) and the timestep range."""
    ts = timesteps(ds)
    args = f"--timesteps {ts[0]}:{ts[-1] + 1}"
    if volume_shape(ds) != list(manifest(ds)["shape"]):
        args += " --shape " + " ".join(map(str, volume_shape(ds)))
    return args


def volume_mem_mb(wildcards):
    """Returns a memory request: a lattice-Boltzmann state (19 float32 per cell, twice) plus slack."""
    cells = 1
    for n in volume_shape(wildcards.ds):
        cells *= n
    return 2000 + 2 * 19 * 4 * cells // 1_000_000


rule volumes:
    output:
        "results/{ds}/volumes/meta.json",
    params:
        args=lambda wc: volume_args(wc.ds),
        # The manifest's source section: a new source (e.g. the original raw files) regenerates.
        source=lambda wc: as_json(manifest(wc.ds)["source"]),
    log:
        "logs/{ds}/volumes.log",
    benchmark:
        "benchmarks/{ds}/volumes.tsv"
    threads: threads_of("volumes")
    resources:
        mem_mb=volume_mem_mb,
        runtime=120,
    shell:
        logged("fcnr volumes {wildcards.ds} --out results/{wildcards.ds}/volumes {params.args}", omp=False)


rule views:
    output:
        "results/{ds}/views.csv",
    wildcard_constraints:
        ds=RENDERED_DS,  # a Cinema dataset's views come from cinema.smk
    params:
        frequency=lambda wc: settings(wc.ds)["views"]["frequency"],
    log:
        "logs/{ds}/views.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        logged("fcnr views --frequency {params.frequency} --out {output}", omp=False)


rule split:
    input:
        "results/{ds}/views.csv",
    output:
        "results/{ds}/split.csv",
    params:
        timesteps=lambda wc: timesteps(wc.ds),
    log:
        "logs/{ds}/split.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    run:
        from fcnr.training.split import write_split_csv
        from render.views import read_views

        write_split_csv(output[0], params.timesteps, len(read_views(input[0])))
        Path(log[0]).write_text(f"wrote {output[0]}\n")
