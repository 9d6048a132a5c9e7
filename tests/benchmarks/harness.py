"""What the benchmark scripts share: the real-text corpus, a uvicorn server in a subprocess,
signing in through the real form, and running and reading wrk.

Everything is bounded (timeouts on every wait, the server always stopped) and loopback only.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from community.actor import Actor
    from community.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
COFFEE_POSTS = SHARED_DATA / "coffee-Posts.xml"
HOST = "127.0.0.1"
SESSION_COOKIE = "community_session"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class BenchError(RuntimeError):
    """The benchmark cannot run or its figures would mean nothing; the message says why."""


# --- corpus -------------------------------------------------------------------------------------


class _TextOnly(HTMLParser):
    """Stack Exchange HTML to plain paragraphs (blank line between blocks, "- " for list items)."""

    BLOCKS = frozenset(
        {"p", "pre", "blockquote", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "div"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def text(self) -> str:
        raw = "".join(self.parts)
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", raw)]
        return "\n\n".join(p for p in paragraphs if p)


def strip_html(fragment: str) -> str:
    parser = _TextOnly()
    parser.feed(fragment)
    parser.close()
    return parser.text()


@dataclass
class Corpus:
    """Real questions and answers, as plain text; ``source`` says where they came from."""

    questions: list[tuple[str, str, list[str]]] = field(default_factory=list)  # title, body, tags
    answers: list[str] = field(default_factory=list)
    source: str = ""


def load_coffee_corpus(path: Path = COFFEE_POSTS) -> Corpus:
    """The coffee.stackexchange.com dump beside the repository (CC BY-SA 3.0: read at run time,
    never copied into the repository). Falls back to generated text, and says so, when it is
    missing, so the benchmark still runs on a machine without the shared data."""
    if not path.exists():
        return _generated_corpus()
    corpus = Corpus(source=f"{path} (real answers, HTML stripped)")
    for row in ET.parse(path).getroot():
        body = strip_html(row.get("Body") or "")
        if len(body) < 20:
            continue
        if row.get("PostTypeId") == "1":
            title = " ".join((row.get("Title") or "").split())
            tags = re.findall(r"<([^>]+)>", row.get("Tags") or "")
            if 8 <= len(title) <= 150:
                corpus.questions.append((title, body, tags[:5]))
        elif row.get("PostTypeId") == "2":
            corpus.answers.append(body[:20_000])
    if not corpus.questions or not corpus.answers:
        raise BenchError(f"{path} holds no usable questions or answers")
    return corpus


def _generated_corpus() -> Corpus:
    rng = random.Random(7)
    vocabulary = "grind beans water temperature brew ratio filter roast espresso burr kettle pour bloom"
    words = vocabulary.split()

    def sentence() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(8, 18))).capitalize() + "."

    def paragraph() -> str:
        return " ".join(sentence() for _ in range(rng.randint(2, 5)))

    answers = ["\n\n".join(paragraph() for _ in range(rng.randint(1, 4))) for _ in range(200)]
    return Corpus(
        questions=[("How should I store whole bean coffee?", paragraph(), ["storage"])],
        answers=answers,
        source=f"generated text ({COFFEE_POSTS} not found)",
    )


# --- server -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def clean_env(**settings: str) -> dict[str, str]:
    """The parent's environment without any COMMUNITY_* setting, plus ``settings``: the server
    must use the benchmark's data dir, not whatever database the shell points at."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNITY_")}
    env.update(settings)
    return env


class Server:
    """One uvicorn worker serving an app factory, in a subprocess; always stopped on exit."""

    def __init__(self, factory: str, env: dict[str, str], log_path: Path, app_dir: Path) -> None:
        self.factory = factory
        self.env = env
        self.log_path = log_path
        self.app_dir = app_dir
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> None:
        cmd = [
            sys.executable, "-m", "uvicorn", self.factory, "--factory", "--app-dir", str(self.app_dir),
            "--host", HOST, "--port", str(self.port), "--workers", "1",
            "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(cmd, env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BenchError(f"the server exited with code {self._proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise BenchError(f"the server did not answer /healthz within {timeout:.0f} s:\n{self.log_tail()}")

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:]) or "(server log is empty)"


def cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user + system) a process has used so far, from /proc; None where unavailable."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_times() -> tuple[int, int] | None:
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    return sum(values), values[3] + values[4]  # total, idle + iowait


def machine_busy(seconds: float = 1.0) -> float | None:
    """Share of all CPUs busy right now (0..1), sampled over ``seconds``; None where unavailable.

    Sampled rather than the load average, which still counts a benchmark run a minute ago."""
    before = _cpu_times()
    time.sleep(seconds)
    after = _cpu_times()
    if before is None or after is None or after[0] == before[0]:
        return None
    total, idle = after[0] - before[0], after[1] - before[1]
    return 1 - idle / total


# --- signing in ---------------------------------------------------------------------------------


def csrf_from(page: str) -> str:
    match = CSRF_RE.search(page)
    if not match:
        raise BenchError("no csrf_token field on the page")
    return match.group(1)


def sign_in(client: httpx.Client, email: str, password: str, settle_path: str = "/") -> str:
    """Sign in through the real /login form and return the session cookie's value.

    The CSRF token joins the session on the first page that renders a form, which re-issues the
    cookie; ``settle_path`` is fetched so the returned cookie is the stable one (a load generator
    replaying an older cookie would make the server mint a token and a cookie on every request)."""
    form = client.get("/login")
    if form.status_code != 200:
        raise BenchError(f"GET /login answered {form.status_code}")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_from(form.text), "next": "/"},
    )
    if response.status_code != 303:
        raise BenchError(f"signing in failed: POST /login answered {response.status_code}")
    client.get(settle_path)
    cookie = client.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise BenchError("no session cookie after signing in")
    return cookie


# --- wrk ----------------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_SIZE_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


@dataclass
class WrkResult:
    url: str
    requests_per_s: float
    latency_ms: dict[str, float]  # "50%", "75%", "90%", "99%" -> milliseconds
    requests: int
    bytes_read: float
    non_2xx_3xx: int
    socket_errors: dict[str, int]
    raw: str

    @property
    def p50(self) -> float:
        return self.latency_ms.get("50%", float("nan"))

    @property
    def p99(self) -> float:
        return self.latency_ms.get("99%", float("nan"))

    @property
    def bytes_per_response(self) -> float:
        return self.bytes_read / self.requests if self.requests else 0.0

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + sum(self.socket_errors.values())


def wrk_path() -> str | None:
    return shutil.which("wrk")


def wrk_version() -> str:
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
    first = (out.stdout or out.stderr).splitlines()
    return first[0].split(" Copyright")[0] if first else "wrk"


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise BenchError(f"cannot read the wrk time {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(url: str, out: str) -> WrkResult:
    """Read wrk 4.x's text report (run with ``--latency``)."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    total = re.search(r"^\s*(\d+) requests in [\d.]+\w+, ([\d.]+)(B|KB|MB|GB) read", out, re.M)
    if not rps or not total:
        raise BenchError(f"cannot read wrk's report:\n{out}")
    latency = {pct: _ms(value) for pct, value in re.findall(r"^\s+(50%|75%|90%|99%)\s+(\S+)", out, re.M)}
    if "99%" not in latency:
        raise BenchError(f"wrk's report has no latency distribution (was --latency given?):\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True))
        if sockets
        else {}
    )
    return WrkResult(
        url=url,
        requests_per_s=float(rps.group(1)),
        latency_ms=latency,
        requests=int(total.group(1)),
        bytes_read=float(total.group(2)) * _SIZE_UNITS[total.group(3)],
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
        raw=out,
    )


def run_wrk(
    url: str, *, duration: float, connections: int, threads: int, headers: dict[str, str]
) -> WrkResult:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(url)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish within {duration + 60:.0f} s") from exc
    if done.returncode != 0:
        raise BenchError(f"wrk failed (exit {done.returncode}):\n{done.stderr or done.stdout}")
    return parse_wrk(url, done.stdout)


async def service_database(folder: Path, url: str | None = None) -> tuple[Settings, Actor]:
    """A fresh, migrated SQLite database in ``folder`` (or the empty database at ``url``; Tortoise
    initialised on it) and one gold partner to act through the service layer, for benchmarks that
    time use cases directly."""
    from community.accounts import directory, people
    from community.actor import Actor
    from community.db import apply_migrations
    from community.settings import Settings

    url = url or f"sqlite://{folder / 'bench.sqlite3'}"
    await apply_migrations(url)
    settings = Settings.from_env(
        {"COMMUNITY_DATA_DIR": str(folder), "COMMUNITY_DATABASE_URL": url, "COMMUNITY_SECRET_KEY": "bench"}
    )
    org = await directory.create_organisation(settings, None, name="Bench Reseller", tier="gold")
    user = await people.create_user(
        settings, email="b@bench.example", display_name="Bench", role="partner", organisation=org,
        password="long enough password",
    )  # fmt: skip
    user.organisation = org
    return settings, Actor.from_user(user)
