"""Schemathesis against a real server: every operation of the OpenAPI document, every check, with a
partner's and a moderator's token. Bounded in time, traffic to 127.0.0.1 only. Not part of the
test suite (``make test`` does not collect it).

    .venv/bin/pip install -e '.[load]'
    .venv/bin/python tests/load/api_fuzz.py --seconds 240
    .venv/bin/python tests/load/api_fuzz.py --database-url postgres://postgres@127.0.0.1:5432/fuzz

It makes a fresh database (SQLite in a temporary directory unless ``--database-url`` names an empty
one), loads the demo, creates the two tokens, starts ``community serve`` on a free port of
127.0.0.1, runs ``schemathesis run`` once per token with half the time each, and prints the
requests sent, the statuses, the 5xx and the failures per check (schema violations among them).
Exit status 1 when any request answered 5xx, any response broke the document (status, schema,
headers, content type) or the server logged a traceback. Other findings are printed: "schema-valid
request rejected" (ST202) counts requests the document allows that a use case refused for a rule the
schema does not spell (a title's minimum words, an id that exists in no row...).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.load.services import HOST, free_port, wait_until_up

WHO = {"partner": "gold partner, organisation admin", "moderator": "moderator"}


def community(env: dict[str, str], *args: str) -> str:
    exe = Path(sys.executable).with_name("community")
    done = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"community {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def demo_logins(output: str) -> dict[str, str]:
    """Label -> e-mail from the demo's printed logins ("  email  Name (label)")."""
    logins = {}
    for line in output.splitlines():
        if m := re.match(r"\s+(\S+@\S+)\s+.+\((.+)\)\s*$", line):
            logins[m.group(2)] = m.group(1)
    return logins


def fuzz(base: str, token: str, seconds: int, report: Path, workers: int) -> dict[str, object]:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    har, result = report.with_suffix(".har"), report.with_suffix(".json")
    command = [
        str(schemathesis), "run", f"{base}/api/v1/openapi.json",
        "--checks", "all", "--continue-on-failure", "--max-time", str(seconds),
        "--workers", str(workers), "--header", f"Authorization: Bearer {token}",
        "--request-timeout", "20", "--seed", "13", "--no-color", "--max-failures", "10000",
        "--report", "har,json", "--report-har-path", str(har), "--report-json-path", str(result),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 300)
    (report.with_suffix(".log")).write_text(done.stdout + done.stderr)
    statuses: collections.Counter[int] = collections.Counter()
    if har.exists():
        for entry in json.loads(har.read_text())["log"]["entries"]:
            statuses[entry["response"]["status"]] += 1
    failures: collections.Counter[str] = collections.Counter()
    if result.exists():
        failures = _failed_checks(json.loads(result.read_text()))
    return {"statuses": statuses, "failures": failures, "exit": done.returncode, "log": done.stdout}


# Failures that say a response broke the document (status, body, headers, content type).
CONFORMANCE = re.compile(
    r"violates schema|undocumented|missing (required )?header|deserializ|content-type", re.I
)


def accepted_violations(log: str) -> list[str]:
    """What each "schema-violating request accepted" finding sent: the part the document forbids
    and the request to reproduce it (from schemathesis's text report, one block per test case)."""
    found = []
    for case in log.split("Test Case ID:")[1:]:
        if "- ST201 Schema-violating request accepted" not in case:
            continue
        what = re.search(r"Invalid component: (.+)", case)
        curl = re.search(r"^\s*(curl .+)$", case, re.M)
        found.append(f"{what[1] if what else '?'} <- {curl[1] if curl else '?'}")
    return found


def _failed_checks(report: dict[str, object]) -> collections.Counter[str]:
    """Failures by title from schemathesis's JSON report (``failures``: title, code, count)."""
    found: collections.Counter[str] = collections.Counter()
    for failure in report.get("failures") or []:  # type: ignore[attr-defined]
        found[f"{failure.get('code', '?')} {failure.get('title', '?')}"] += int(failure.get("count", 1))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=240, help="the whole fuzzing budget (split per token)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("COMMUNITY_FUZZ_DATABASE_URL", ""))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (reports, logs)")
    args = parser.parse_args()
    if shutil.which("schemathesis", path=str(Path(sys.executable).parent)) is None:
        raise SystemExit("schemathesis is not installed: pip install -e '.[load]'")

    work = Path(tempfile.mkdtemp(prefix="community-fuzz-"))
    port = free_port()
    base = f"http://{HOST}:{port}"
    env = {
        **os.environ,
        "COMMUNITY_DATA_DIR": str(work / "data"),
        "COMMUNITY_DATABASE_URL": args.database_url or f"sqlite://{work / 'fuzz.sqlite3'}",
        "COMMUNITY_SECRET_KEY": "fuzzing-only-secret-key-0123456789",
        "COMMUNITY_BASE_URL": base,
        # Fuzzing posts many times a second from one address: the posting limits would answer
        # most of it 429 (documented, but it would test little else).
        "COMMUNITY_POSTS_PER_MINUTE": "0",
        "COMMUNITY_POSTS_PER_DAY": "0",
        "COMMUNITY_POSTS_PER_IP_MINUTE": "0",
        "COMMUNITY_NEW_ACCOUNT_HELD_POSTS": "0",
        "COMMUNITY_LOG_LEVEL": "warning",
    }
    community(env, "migrate")
    logins = demo_logins(community(env, "demo"))
    tokens = {who: community(env, "create-token", logins[label]).strip() for who, label in WHO.items()}
    log = (work / "server.log").open("wb")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("community")), "serve", "--host", HOST, "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    results = {}
    started = time.monotonic()
    try:
        wait_until_up(base, server, 60)
        for who, token in tokens.items():
            results[who] = fuzz(base, token, args.seconds // len(tokens), work / who, args.workers)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    elapsed = time.monotonic() - started

    total: collections.Counter[int] = collections.Counter()
    failures: collections.Counter[str] = collections.Counter()
    for who, result in results.items():
        statuses: collections.Counter[int] = result["statuses"]  # type: ignore[assignment]
        total.update(statuses)
        failures.update(result["failures"])  # type: ignore[arg-type]
        print(f"{who}: {sum(statuses.values())} requests, statuses {dict(sorted(statuses.items()))}, "
              f"failed checks {dict(result['failures'])}, schemathesis exit {result['exit']}")  # fmt: skip
        for finding in accepted_violations(str(result["log"])):
            print(f"  accepted although the document forbids it: {finding}")
    server_errors = sum(n for status, n in total.items() if status >= 500)
    violations = sum(n for title, n in failures.items() if CONFORMANCE.search(title))
    crashes = (work / "server.log").read_text(errors="replace").count("Traceback")
    print(
        f"all: {sum(total.values())} requests in {elapsed:.0f} s, {server_errors} 5xx, "
        f"{violations} responses breaking the document, other findings {dict(failures)}, "
        f"{crashes} tracebacks in the server log"
    )
    print(f"reports and logs: {work}" if args.keep else "")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if server_errors or violations or crashes else 0


if __name__ == "__main__":
    sys.exit(main())
