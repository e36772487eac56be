"""A throwaway single-node SLURM cluster with real accounting, for tests and local trials.

Everything lives under one directory: a munge key and socket, a MariaDB data directory, the
slurm.conf/slurmdbd.conf/gres.conf trio, state, spool and logs. Daemons run in the foreground as
children of this process (so their ids are known and they are stopped by id), on free ports of
127.0.0.1, and never touch /etc/slurm, /etc/munge or /run/munge. Clients find the cluster through
``SLURM_CONF`` (see :attr:`LocalSlurm.env`).

Why slurmdbd: snakemake-executor-plugin-slurm asks ``sacct`` for job states whenever ``sacct`` is
installed. Without an accounting database ``sacct`` never reports a finished job and the workflow
waits forever, so the cluster keeps accounting for real (slurmdbd on MariaDB), exactly as on a
production cluster; ``MinJobAge`` is raised as well so ``squeue --states=all`` still lists finished
jobs for a user who switches the plugin to ``squeue``.

Run it by hand with ``python tests/slurm/cluster.py [DIR]``: it starts the cluster, prints the
``SLURM_CONF`` line to export, and stops every daemon on Ctrl-C.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

#: Programs the cluster needs (Debian: slurm-wlm, slurmdbd, munge, mariadb-server).
PROGRAMS = (
    "munged", "mariadb-install-db", "mariadbd", "slurmdbd", "slurmctld", "slurmd",
    "sbatch", "squeue", "sacct", "sacctmgr", "sinfo", "scontrol", "scancel",
)
_SBIN_PATH = os.pathsep.join(
    [os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"]
)
#: Seconds a finished job stays visible to ``squeue`` (SLURM's default is 300).
MIN_JOB_AGE = 3600


def which(program: str) -> str | None:
    """Return the path of ``program``, looking in the sbin directories as well."""
    return shutil.which(program, path=_SBIN_PATH)


def unavailable_reason() -> str | None:
    """Return why a local cluster cannot start here, or None when it can."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root: munged, slurmctld, slurmd and slurmdbd run as root on localhost"
    missing = [p for p in PROGRAMS if which(p) is None]
    if missing:
        return (
            f"SLURM/munge/MariaDB programs missing: {', '.join(missing)} "
            "(install with: bash .ci/install --test)"
        )
    return None


class ClusterError(RuntimeError):
    """A daemon did not come up; the message carries the tail of its log."""


def _free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    """Return whether something accepts connections on 127.0.0.1:port."""
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _tail(path: Path, lines: int = 15) -> str:
    """Return the last lines of a log file (or a note that it is missing)."""
    if not path.exists():
        return f"({path} does not exist)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _mem_total_mb() -> int:
    """Return the machine's memory in MB as /proc/meminfo reports it."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise ClusterError("MemTotal missing from /proc/meminfo")


@dataclass
class LocalSlurm:
    """One node, partitions ``cpu`` (default) and ``gpu``, ``Gres=gpu:1``, accounting on MariaDB.

    The GPU is declared with ``File=/dev/null`` so that GPU requests (``--gpus=1`` /
    ``--gres=gpu:1``) are scheduled and accounted without a real device.
    """

    root: Path
    cluster: str = "fcnrtest"
    account: str = "fcnr"
    partitions: tuple[str, ...] = ("cpu", "gpu")
    cpus: int = field(default_factory=lambda: len(os.sched_getaffinity(0)))  # as `nproc`
    node: str = "node1"
    procs: dict[str, subprocess.Popen] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.etc = self.root / "etc"
        self.log = self.root / "log"
        self.run = self.root / "run"
        self.ports = {k: _free_port() for k in ("mysql", "dbd", "ctld", "slurmd")}
        self.memory_mb = int(_mem_total_mb() * 0.9)

    # -- paths and environment -------------------------------------------------------------

    @property
    def slurm_conf(self) -> Path:
        """Return the path of this cluster's slurm.conf."""
        return self.etc / "slurm.conf"

    @property
    def munge_socket(self) -> Path:
        """Return the path of this cluster's munged socket."""
        return self.run / "munge.socket"

    @property
    def env(self) -> dict[str, str]:
        """Return os.environ with ``SLURM_CONF`` pointing at this cluster."""
        return {**os.environ, "SLURM_CONF": str(self.slurm_conf), "PATH": _SBIN_PATH}

    def command(self, *argv: str, check: bool = True, timeout: float = 30) -> str:
        """Return the stdout of a SLURM client command run against this cluster."""
        done = subprocess.run(
            list(argv), env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and done.returncode != 0:
            raise ClusterError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
        return done.stdout

    # -- configuration ---------------------------------------------------------------------

    def _write_configs(self) -> None:
        """Write slurm.conf, gres.conf and slurmdbd.conf (mode 600, as slurmdbd demands)."""
        host = socket.gethostname().split(".")[0]
        auth = f"AuthType=auth/munge\nAuthInfo=socket={self.munge_socket}\n"
        part_lines = "\n".join(
            f"PartitionName={p} Nodes={self.node} Default={'YES' if i == 0 else 'NO'} "
            "MaxTime=INFINITE State=UP"
            for i, p in enumerate(self.partitions)
        )
        self.slurm_conf.write_text(
            f"""# Generated by tests/slurm/cluster.py: a one-node cluster for tests.
ClusterName={self.cluster}
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={self.ports['ctld']}
SlurmdPort={self.ports['slurmd']}
{auth}CredType=cred/munge
StateSaveLocation={self.root / 'state'}
SlurmdSpoolDir={self.root / 'spool'}
SlurmctldPidFile={self.run / 'slurmctld.pid'}
SlurmdPidFile={self.run / 'slurmd.pid'}
SlurmctldLogFile={self.log / 'slurmctld.log'}
SlurmdLogFile={self.log / 'slurmd.log'}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/builtin
# The node is what slurm.conf says even where the container's hardware view differs.
SlurmdParameters=config_overrides
ReturnToService=2
MpiDefault=none
KillWait=5
DefMemPerCPU=1000
InactiveLimit=0
MinJobAge={MIN_JOB_AGE}
# Accounting: every job start and end goes to slurmdbd, so sacct sees each job finish.
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort={self.ports['dbd']}
# Clients reach slurmdbd through munge too; this names the socket for that connection.
AccountingStoragePass={self.munge_socket}
AccountingStorageTRES=gres/gpu
# Keep sbatch --comment (the plugin writes the rule and wildcards there) for sacct listings.
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
GresTypes=gpu
NodeName={self.node} NodeHostname={host} NodeAddr=127.0.0.1 CPUs={self.cpus} \
RealMemory={self.memory_mb} Gres=gpu:1 State=UNKNOWN
{part_lines}
"""
        )
        (self.etc / "gres.conf").write_text(f"NodeName={self.node} Name=gpu File=/dev/null\n")
        dbd = self.etc / "slurmdbd.conf"
        dbd.write_text(
            f"""{auth}DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort={self.ports['dbd']}
SlurmUser=root
PidFile={self.run / 'slurmdbd.pid'}
LogFile={self.log / 'slurmdbd.log'}
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort={self.ports['mysql']}
StorageUser=root
StorageLoc=slurm_acct_db
"""
        )
        dbd.chmod(0o600)

    # -- daemons ---------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str]) -> None:
        """Start one daemon in the foreground, its output in log/NAME.out."""
        out = open(self.log / f"{name}.out", "wb")
        self.procs[name] = subprocess.Popen(
            argv, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        out.close()

    def _wait(self, name: str, ready, log: Path, timeout: float = 60) -> None:
        """Wait until ``ready()`` is true; raise with the daemon's log if it dies or stalls."""
        deadline = time.monotonic() + timeout
        proc = self.procs.get(name)
        while time.monotonic() < deadline:
            if ready():
                return
            if proc is not None and proc.poll() is not None:
                raise ClusterError(f"{name} exited with {proc.returncode}:\n{_tail(log)}")
            time.sleep(0.2)
        raise ClusterError(f"{name} not ready after {timeout:.0f} s:\n{_tail(log)}")

    def _start_munge(self) -> None:
        key = self.etc / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        self._spawn("munged", [
            which("munged"), "--foreground", "--force", f"--key-file={key}",
            f"--socket={self.munge_socket}", f"--pid-file={self.run / 'munged.pid'}",
            f"--log-file={self.log / 'munged.log'}", f"--seed-file={self.run / 'munged.seed'}",
        ])
        self._wait("munged", self.munge_socket.exists, self.log / "munged.log")

    def _start_mariadb(self) -> None:
        data = self.root / "mysql"
        # Accounting data is thrown away with the directory: trade durability for speed.
        server_opts = [
            "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M",
            "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0",
            "--skip-log-bin", "--skip-name-resolve",
        ]
        done = subprocess.run(
            [which("mariadb-install-db"), "--no-defaults", f"--datadir={data}", "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db", *server_opts],
            capture_output=True, text=True, timeout=120,
        )
        if done.returncode != 0:
            raise ClusterError(f"mariadb-install-db failed:\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
        self._spawn("mariadbd", [
            which("mariadbd"), "--no-defaults", f"--datadir={data}", "--user=root",
            f"--socket={self.run / 'mysqld.sock'}", f"--port={self.ports['mysql']}",
            "--bind-address=127.0.0.1", f"--pid-file={self.run / 'mysqld.pid'}",
            f"--log-error={self.log / 'mariadb.log'}", *server_opts,
        ])
        self._wait("mariadbd", lambda: _port_open(self.ports["mysql"]), self.log / "mariadb.log")

    def start(self) -> "LocalSlurm":
        """Start munged, MariaDB, slurmdbd, slurmctld and slurmd; return once the node is idle."""
        for d in (self.etc, self.log, self.run, self.root / "state", self.root / "spool"):
            d.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)
        self._write_configs()
        try:
            self._start_munge()
            self._start_mariadb()
            self._spawn("slurmdbd", [which("slurmdbd"), "-D"])
            self._wait("slurmdbd", lambda: _port_open(self.ports["dbd"]),
                       self.log / "slurmdbd.log")
            # Register cluster, account and user before slurmctld connects, so its first
            # registration finds them and submissions with ``-A account`` are valid.
            self.command("sacctmgr", "-i", "add", "cluster", self.cluster)
            self.command("sacctmgr", "-i", "add", "account", self.account,
                         f"cluster={self.cluster}", "description=fcnr tests", "organization=fcnr")
            self.command("sacctmgr", "-i", "add", "user", "root", f"account={self.account}",
                         f"cluster={self.cluster}")
            self._spawn("slurmctld", [which("slurmctld"), "-D", "-i"])
            self._wait("slurmctld", lambda: _port_open(self.ports["ctld"]),
                       self.log / "slurmctld.log")
            self._spawn("slurmd", [which("slurmd"), "-D", "-N", self.node])
            self._wait("slurmd", self._node_idle, self.log / "slurmd.log")
        except BaseException:
            self.stop()
            raise
        return self

    def _node_idle(self) -> bool:
        out = self.command("sinfo", "-h", "-N", "-o", "%t", check=False, timeout=10)
        return bool(out.split()) and all(s == "idle" for s in out.split())

    def stop(self) -> None:
        """Cancel every job, then stop each daemon this object started (by its pid)."""
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            self.command("scancel", "--full", f"--user={os.getuid()}", check=False)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self.command(
                "squeue", "-h", "-o", "%i", "--states=PD,R,CG,S", check=False, timeout=10
            ).strip():
                time.sleep(0.5)
        for name in ("slurmd", "slurmctld", "slurmdbd", "mariadbd", "munged"):
            proc = self.procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def __enter__(self) -> "LocalSlurm":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    """Start a cluster under argv[0] (or a new temp dir) and keep it up until interrupted."""
    reason = unavailable_reason()
    if reason:
        print(f"cannot start: {reason}", file=sys.stderr)
        return 2
    root = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="fcnr-slurm-"))
    with LocalSlurm(root) as cluster:
        print(f"export SLURM_CONF={cluster.slurm_conf}", flush=True)
        print(cluster.command("sinfo"), flush=True)
        # Block only now: the daemons must not inherit a mask that hides SIGTERM.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
