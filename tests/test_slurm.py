"""The workflow through workflow/profiles/slurm on a real single-node SLURM cluster.

A throwaway cluster (tests/slurm/: munge, MariaDB + slurmdbd accounting, slurmctld, slurmd; one
node with a fake GPU, partitions ``cpu`` and ``gpu``) runs config/test.yaml's IR chain for tornado
(volumes, render, train, compress/decompress/evaluate_timestep grouped per timestep, evaluate;
views and split are local rules) with ``--profile workflow/profiles/slurm``. The tests check that every job went through sbatch
and was accounted as COMPLETED, that GPU rules asked for the GPU on the GPU partition, that the
codec steps of one timestep ran as one SLURM job, and that every output equals a local run's
byte for byte, timings aside. Every daemon is stopped by the fixture's finalizer.

Set FCNR_SLURM_RECORD=PATH to keep the run's wall time, sinfo and job listings in PATH.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from slurm import LocalSlurm, unavailable_reason

UNAVAILABLE = unavailable_reason()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(UNAVAILABLE is not None, reason=str(UNAVAILABLE))]

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "workflow" / "profiles" / "slurm"
TEST_CONFIG = REPO / "config" / "test.yaml"
TARGET = "results/tornado/ir/metrics.csv"
TIMESTEPS = 3  # config/test.yaml
GPU_RULES = {"train", "compress", "decompress", "evaluate_timestep"}
SACCT_FIELDS = ("JobID", "Partition", "Account", "AllocTRES", "State", "ExitCode", "Elapsed", "Comment")
# Keys and columns that hold measured time; everything else must be identical.
TIMING = re.compile(r"(seconds|per_second|hours)$")


def start_snakemake(workdir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Starts Snakemake in ``workdir`` on config/test.yaml's ``TARGET``; output goes to workdir/snakemake.out."""
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), *args,
           TARGET, "--configfile", str(TEST_CONFIG)]  # fmt: skip
    workdir.mkdir(parents=True, exist_ok=True)
    with open(workdir / "snakemake.out", "w") as out:
        return subprocess.Popen(cmd, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)


def finish_snakemake(proc: subprocess.Popen, workdir: Path) -> str:
    """Returns the output of a Snakemake run started by start_snakemake; fails the test if it failed."""
    try:
        proc.wait(timeout=900)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=60)
    output = (workdir / "snakemake.out").read_text()
    if proc.returncode != 0:
        pytest.fail(f"snakemake {' '.join(proc.args[5:])} exited {proc.returncode}:\n{output[-6000:]}")
    return output


@pytest.fixture(scope="module")
def cluster():
    """Yields a started LocalSlurm; stops every daemon afterwards, also when a test failed."""
    # A short root: munged's and MariaDB's unix sockets must fit in 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="fcnr-slurm-"))
    started = LocalSlurm(root).start()
    procs = dict(started.procs)
    try:
        yield started
    finally:
        started.stop()
        alive = [name for name, proc in procs.items() if proc.poll() is None]
        shutil.rmtree(root, ignore_errors=True)
        assert not alive, f"daemons still running after stop(): {alive}"


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory):
    """Returns the SLURM run's folder, output, job ids and wall time, and the local run's folder."""
    # The local run goes on beside the SLURM run: it fills the cores while SLURM jobs wait
    # for the single GPU or for the next status poll.
    local = tmp_path_factory.mktemp("local")
    local_proc = start_snakemake(local, "--cores", "2")
    try:
        env = {
            **cluster.env,
            "FCNR_SLURM_PARTITION": "cpu",
            "FCNR_SLURM_GPU_PARTITION": "gpu",
            "FCNR_SLURM_ACCOUNT": cluster.account,
        }
        remote = tmp_path_factory.mktemp("slurm")
        start = time.monotonic()
        # Poll sacct 2 s after a job ends instead of the plugin's 40 s: the jobs here last seconds.
        proc = start_snakemake(remote, "--profile", str(PROFILE),
                               "--slurm-init-seconds-before-status-checks", "2", env=env)  # fmt: skip
        output = finish_snakemake(proc, remote)
        seconds = time.monotonic() - start
    finally:
        finish_snakemake(local_proc, local)
    job_ids = re.findall(r"has been submitted with SLURM jobid (\d+)", output)
    return {"dir": remote, "output": output, "job_ids": job_ids, "seconds": seconds, "local": local}


def listing(cluster: LocalSlurm, ids: str) -> str:
    """Returns what the record keeps: sinfo, sacct and squeue as a user would read them."""
    fmt = ",".join(SACCT_FIELDS).replace("AllocTRES", "AllocTRES%45").replace("Comment", "Comment%60")
    return "\n".join(
        f"$ {' '.join(argv)}\n{cluster.command(*argv)}"
        for argv in (("sinfo",), ("sacct", "-X", "-j", ids, f"--format={fmt}"), ("squeue", "--states=all"))
    )


@pytest.fixture(scope="module")
def accounting(cluster, runs):
    """Returns sacct's rows ({field: value}) for the SLURM run's jobs; records the listings."""
    ids = ",".join(runs["job_ids"]) or "0"
    text = cluster.command("sacct", "-X", "-P", "-n", "-j", ids, f"--format={','.join(SACCT_FIELDS)}")
    rows = [dict(zip(SACCT_FIELDS, line.split("|"))) for line in text.splitlines() if line]
    record = os.environ.get("FCNR_SLURM_RECORD")
    if record:
        Path(record).write_text(
            f"snakemake --profile workflow/profiles/slurm {TARGET} --configfile config/test.yaml: "
            f"{runs['seconds']:.0f} s wall ({len(runs['job_ids'])} SLURM jobs; load average at the end "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)\n\n{listing(cluster, ids)}"
        )
    return rows


def rule_of(row: dict[str, str]) -> str:
    """Returns the rule (or group) name the plugin wrote into a job's comment."""
    match = re.match(r"rule_(.+?)(_wildcards_.*)?$", row["Comment"])
    assert match, f"job {row['JobID']} has no rule comment: {row['Comment']!r}"
    return match[1]


def test_every_job_ran_in_slurm_and_completed(cluster, runs, accounting):
    assert runs["job_ids"], "no 'submitted with SLURM jobid' line in Snakemake's log"
    assert sorted(r["JobID"] for r in accounting) == sorted(runs["job_ids"])
    assert all(r["State"] == "COMPLETED" and r["ExitCode"] == "0:0" for r in accounting), accounting
    assert {r["Account"] for r in accounting} == {cluster.account}
    # MinJobAge keeps finished jobs in slurmctld too, for a plugin set to poll squeue.
    queue = cluster.command("squeue", "--states=all", "-h", "-o", "%i %T").split("\n")
    assert {line.split()[0] for line in queue if line.endswith("COMPLETED")} >= set(runs["job_ids"])


def test_gpu_rules_get_a_gpu_on_the_gpu_partition(accounting):
    for row in accounting:
        rule = rule_of(row)
        gpu = rule in GPU_RULES or rule.startswith("codec")
        assert row["Partition"] == ("gpu" if gpu else "cpu"), (rule, row)
        assert ("gres/gpu=1" in row["AllocTRES"]) == gpu, (rule, row)


def test_codec_steps_of_a_mode_share_one_job(accounting):
    rules = [rule_of(row) for row in accounting]
    codec = [r for r in rules if r.startswith("codec")]
    assert len(codec) == 1, rules  # compress and decompress of the one mode
    assert not {"compress", "decompress"} & set(rules), rules
    assert rules.count("evaluate_timestep") == rules.count("render") == TIMESTEPS and rules.count("train") == 1


def comparable(path: Path) -> object:
    """Returns a file's content with measured times left out (JSON keys, CSV columns)."""
    if path.suffix == ".json":
        def strip(value):
            if isinstance(value, dict):
                return {k: strip(v) for k, v in value.items() if not TIMING.search(k)}
            return value

        return strip(json.loads(path.read_text()))
    if path.suffix == ".csv":
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
        return [{k: v for k, v in row.items() if not TIMING.search(k)} for row in rows]
    return path.read_bytes()


def test_outputs_equal_a_local_run(runs):
    local, remote = runs["local"], runs["dir"]
    files = sorted(p.relative_to(local) for p in (local / "results").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(remote) for p in (remote / "results").rglob("*") if p.is_file())
    assert any(f.suffix == ".safetensors" for f in files) and any(f.suffix == ".fcnr" for f in files)
    # Volumes, images, weights, shards and decoded images are deterministic: byte-equal. JSON and
    # CSV files may differ only in measured times (timing files, the training log's seconds).
    differ = [f for f in files if (local / f).read_bytes() != (remote / f).read_bytes()]
    assert all(f.suffix in (".json", ".csv") for f in differ), differ
    for f in differ:
        assert comparable(local / f) == comparable(remote / f), f
