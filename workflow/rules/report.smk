# The per-dataset report: one self-contained HTML file.


rule settings:
    output:
        "results/{ds}/settings.json",
    params:
        # The whole run's settings: any change in the config or manifest rebuilds the report.
        settings=lambda wc: as_json(run_settings(wc.ds)),
    log:
        "logs/{ds}/settings.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    run:
        from render.basics.atomic import write_json

        write_json(output[0], json.loads(params.settings))
        Path(log[0]).write_text(f"wrote {output[0]}\n")


rule report:
    input:
        report_inputs,
    output:
        "results/{ds}/report.html",
    log:
        "logs/{ds}/report.log",
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    shell:
        logged("fcnr report results/{wildcards.ds} --out {output}", omp=False)
