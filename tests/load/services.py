"""The load script's own PostgreSQL cluster, Redis and ``community serve``: started in a temporary
directory on free ports of 127.0.0.1, stopped, killed and restarted on purpose, removed at the end.
The shared servers (5432, 6379) are never touched.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_until_up(
    base: str, process: subprocess.Popen[bytes] | None, seconds: float, where_to_look: str = ""
) -> None:
    """Until ``/healthz`` answers 200; SystemExit if the server stops or does not start in time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is None or process.poll() is not None:
            raise SystemExit(f"the server stopped while starting{where_to_look}")
        try:
            with urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not start")


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise SystemExit(f"PostgreSQL's {name} is not installed (/usr/lib/postgresql/*/bin)")
    return found[-1]


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the ``postgres`` user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Postgres:
    """A throw-away cluster (trust authentication, fsync off: it only has to survive restarts)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "pgdata"
        self.port = free_port()
        self.url = f"postgres://postgres@{HOST}:{self.port}/load"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        if not self.data.exists():
            self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        self._ctl("start", "-l", str(self.folder / "postgres.log"), "-o", self._options())
        self._run(_pg_bin("createdb"), "-h", HOST, "-p", str(self.port), "-U", "postgres", "load")

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.folder} -c listen_addresses={HOST} -c fsync=off "
            "-c full_page_writes=off -c max_connections=200"
        )

    def restart(self) -> None:
        # With its log file, or the new server would hold our output pipe open.
        self._ctl("restart", "-m", "fast", "-l", str(self.folder / "postgres.log"), "-o", self._options())

    def stop(self) -> None:
        if self.data.exists():
            self._ctl("stop", "-m", "immediate", check=False)

    def _ctl(self, *args: str, check: bool = True) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-w", "-t", "60", *args, check=check)

    def _run(self, *command: str, check: bool = True) -> None:
        done = subprocess.run(_as_postgres(list(command)), capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise SystemExit(f"{command[0]} failed:\n{done.stdout}\n{done.stderr}")


class Redis:
    """redis-server in the foreground (its process is ours to stop), nothing saved to disk."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if shutil.which("redis-server") is None:
            raise SystemExit("redis-server is not installed")
        self.folder.mkdir(parents=True, exist_ok=True)
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                HOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex((HOST, self.port)) == 0:
                    return
            time.sleep(0.1)
        raise SystemExit("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=20)
        self.process = None


class Server:
    """``community serve --workers N``, as docs/deployment.md has an operator run it."""

    def __init__(self, folder: Path, env: dict[str, str], workers: int) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.env = {**env, "COMMUNITY_BASE_URL": self.base}
        self.workers = workers
        self.log_path = folder / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = Path(sys.executable).with_name("community")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(exe), "serve", "--host", HOST, "--port", str(self.port), "--workers", str(self.workers)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_until_up()
        self.wait_for_workers(self.workers, 120)

    def wait_until_up(self, seconds: float = 120) -> None:
        wait_until_up(self.base, self.process, seconds, f" (see {self.log_path})")

    def worker_pids(self) -> list[int]:
        """The worker processes: children of uvicorn's supervisor, less multiprocessing's helpers."""
        if self.process is None:
            return []
        pids = []
        for task in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            for pid in task.read_text().split():
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                except OSError:
                    continue
                if "resource_tracker" not in cmdline:
                    pids.append(int(pid))
        return sorted(pids)

    def wait_for_workers(self, count: int, seconds: float, *, avoid: int | None = None) -> float | None:
        """Seconds until ``count`` workers run (none of them ``avoid``), or None if they never did."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            pids = self.worker_pids()
            if len(pids) >= count and avoid not in pids:
                return time.monotonic() - started
            time.sleep(0.2)
        return None

    def kill_worker(self) -> int:
        pids = self.worker_pids()
        if not pids:
            raise RuntimeError("no worker to kill")
        os.kill(pids[0], signal.SIGKILL)
        return pids[0]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
