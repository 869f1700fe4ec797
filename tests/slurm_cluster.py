"""A private one-node SLURM cluster (munged, slurmctld, slurmd) for tests, started as root.

Everything but the configuration lives in a fresh folder: munge key and socket, state, spool,
logs and the job completion record. SLURM reads /etc/slurm/slurm.conf (job steps clear
SLURM_CONF), so that file and gres.conf are written on every start and removed on stop: left
behind, they name a controller that is gone, and every SLURM client call then retries it for
9 s, `snakemake` itself included (the SLURM executor plugin runs `scontrol show config` when it
is imported, which the command line does for every installed plugin). There is no slurmdbd,
hence no `sacct`: jobcomp/filetxt records every finished job, and slurmctld keeps each job's
details (GPUs included) for an hour. Install the daemons with .ci/install-slurm.sh.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SLURM_CONF = Path("/etc/slurm/slurm.conf")
GRES_CONF = SLURM_CONF.with_name("gres.conf")
MARKER = "# Written by tests/slurm_cluster.py"
PROGRAMS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "sinfo")
INSTALL = "run `.ci/install-slurm.sh` as root and `pip install snakemake-executor-plugin-slurm`"


def missing_requirements() -> str | None:
    """Why no cluster can be started here, or None."""
    if os.geteuid() != 0:
        return "the SLURM daemons are started as root"
    missing = [name for name in PROGRAMS + ("scancel", "srun") if not shutil.which(name)]
    if missing:
        return f"{', '.join(missing)} not found: {INSTALL}"
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return f"snakemake-executor-plugin-slurm is not installed: {INSTALL}"
    for path in (SLURM_CONF, GRES_CONF):
        if path.exists() and MARKER not in path.read_text():
            return f"{path} belongs to another cluster; not overwriting it"
    return None


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def key_values(line: str) -> dict[str, str]:
    """`Key=value Key2=value2 ...` (jobcomp lines, `scontrol -o` records) as a dict."""
    return dict(re.findall(r"([\w:/]+)=(\S*)", line))


class SlurmCluster:
    """One node with this machine's CPUs and memory (`slurmd -C`). `gpus` > 0 adds that many
    stand-in GPUs (GRES on /dev/null): SLURM allocates and records them, jobs run on the CPU."""

    def __init__(self, gpus: int = 0) -> None:
        self.gpus = gpus
        self.root = Path(tempfile.mkdtemp(prefix="alignbench-slurm-"))
        # munged wants every folder above its socket searchable by everyone.
        self.root.chmod(0o755)
        self.jobcomp = self.root / "jobcomp.txt"
        self.processes: dict[str, subprocess.Popen] = {}
        out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
        self.node = next(line for line in out.splitlines() if line.startswith("NodeName="))
        self.node_name = key_values(self.node)["NodeName"]

    def config(self) -> str:
        root, host = self.root, socket.gethostname().split(".")[0]
        ctld_port, slurmd_port = free_ports(2)
        gres = f" Gres=gpu:{self.gpus}" if self.gpus else ""
        return f"""{MARKER}; state in {root}
ClusterName=alignbench-test
SlurmctldHost={host}
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={root}/munge.sock
CredType=cred/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={self.jobcomp}
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
MpiDefault=none
ReturnToService=2
MinJobAge=3600
GresTypes=gpu
{self.node}{gres} State=UNKNOWN
PartitionName=test Nodes={self.node_name} Default=YES MaxTime=INFINITE State=UP
"""

    def start(self) -> None:
        root = self.root
        for folder in ("state", "spool"):
            (root / folder).mkdir()
        SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SLURM_CONF.write_text(self.config())
        # Without it slurmd looks for real GPU devices and the node is drained.
        GRES_CONF.write_text(
            f"{MARKER}\nNodeName={self.node_name} Name=gpu File=/dev/null Count={self.gpus}\n"
            if self.gpus
            else f"{MARKER}\n"
        )
        subprocess.run(["mungekey", "--create", "--keyfile", str(root / "munge.key")], check=True)
        self._spawn(
            "munged",
            "--foreground",
            f"--key-file={root}/munge.key",
            f"--socket={root}/munge.sock",
            f"--pid-file={root}/munged.pid",
            f"--seed-file={root}/munged.seed",
        )
        self._wait("munged", lambda: (root / "munge.sock").exists())
        self._spawn("slurmctld", "-D", "-i")
        self._wait("slurmctld", lambda: "UP" in self._out("scontrol", "ping"))
        self._spawn("slurmd", "-D")
        self._wait("slurmd", lambda: self._out("sinfo", "-h", "-o", "%T").strip() == "idle")

    def stop(self) -> None:
        """Cancel leftover jobs, then end the daemons this object started, by PID."""
        if "slurmctld" in self.processes and self.processes["slurmctld"].poll() is None:
            subprocess.run(["scancel", "--full", "--user", "root"], capture_output=True, timeout=30)
            deadline = time.monotonic() + 30
            while self._out("squeue", "-h") and time.monotonic() < deadline:
                time.sleep(0.5)
        for name in ("slurmd", "slurmctld", "munged"):
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
        for path in (SLURM_CONF, GRES_CONF):
            if path.exists() and MARKER in path.read_text():
                path.unlink()

    def finished_jobs(self) -> dict[str, dict[str, str]]:
        """Job id -> JobState, ExitCode, ProcCnt, ... of every job that ended (jobcomp)."""
        if not self.jobcomp.exists():
            return {}
        records = map(key_values, self.jobcomp.read_text().splitlines())
        return {job["JobId"]: job for job in records}

    def job_details(self) -> dict[str, dict[str, str]]:
        """Job id -> `scontrol show job -d` fields (TresPerJob, JOB_GRES, NumCPUs, ...)."""
        out = self._out("scontrol", "show", "job", "--details", "--oneliner")
        records = map(key_values, out.splitlines())
        return {job["JobId"]: job for job in records if "JobId" in job}

    def logs(self) -> str:
        parts = []
        for name in ("munged.out", "slurmctld.out", "slurmd.out"):
            path = self.root / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text()[-3000:]}")
        return "\n".join(parts)

    def _spawn(self, program: str, *args: str) -> None:
        with open(self.root / f"{program}.out", "wb") as out:
            self.processes[program] = subprocess.Popen(
                [program, *args], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def _wait(self, name: str, ready, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.processes[name].poll() is None:
            if ready():
                return
            time.sleep(0.3)
        raise RuntimeError(f"{name} exited or was not ready within {timeout:.0f} s\n{self.logs()}")

    @staticmethod
    def _out(*command: str) -> str:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
        return result.stdout if result.returncode == 0 else ""


@contextlib.contextmanager
def running_cluster(gpus: int = 0):
    cluster = SlurmCluster(gpus)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
