"""A real OpenID provider for the tests: the certified ``oidc-provider`` npm package on Node.js.

The package is installed from the npm registry into a cache directory on first use (the test
set-up's own install, nothing by hand); the provider runs as a child process on a free port with
the clients and accounts a test gives it. Without node and npm the tests that need it skip, saying so.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PACKAGE = "oidc-provider@9.13.3"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "community-tests" / "oidc-provider"
SCRIPT = Path(__file__).with_name("provider.mjs")


class NoNode(Exception):
    """Node.js or npm is missing, or the package could not be installed: the reason says which."""


def install() -> Path:
    """The path of a runnable copy of provider.mjs beside the installed package."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise NoNode("node and npm are needed to run a real OpenID provider (oidc-provider)")
    CACHE.mkdir(parents=True, exist_ok=True)
    if not (CACHE / "node_modules" / "oidc-provider" / "package.json").exists():
        (CACHE / "package.json").write_text('{"private": true, "type": "module"}\n')
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", PACKAGE],
            cwd=CACHE,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise NoNode(f"npm install {PACKAGE} failed: {done.stderr.strip()[-500:]}")
    # ESM resolves imports from the script's own folder: run a copy beside node_modules, named by
    # its content and written whole, so test runs from other checkouts never swap it under us.
    source = SCRIPT.read_bytes()
    copy = CACHE / f"provider-{hashlib.sha256(source).hexdigest()[:12]}.mjs"
    if not copy.exists():
        partial = copy.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(source)
        os.replace(partial, copy)
    return copy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Provider:
    """One running provider process."""

    accounts: dict[str, dict[str, object]]
    clients: list[dict[str, object]]
    clock_skew_seconds: int = 0
    tamper_id_token: str = ""  # "audience", "issuer" or "signature": see provider.mjs
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Provider:
        script = install()
        env = {
            **os.environ,
            "OIDC_ISSUER": self.issuer,
            "OIDC_PORT": str(self.port),
            "OIDC_ACCOUNTS": json.dumps(self.accounts),
            "OIDC_CLIENTS": json.dumps(self.clients),
            "OIDC_CLOCK_SKEW_SECONDS": str(self.clock_skew_seconds),
            "OIDC_TAMPER_ID_TOKEN": self.tamper_id_token,
            "NODE_NO_WARNINGS": "1",
        }
        self.process = subprocess.Popen(
            ["node", script.name],
            cwd=script.parent,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"oidc-provider exited: {self.process.stderr.read() if self.process.stderr else ''}"
                )
            try:
                if httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("oidc-provider did not start within 20 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
