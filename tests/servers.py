"""Start real server processes (gunicorn, `quotebot serve`, redis, `chroma run`) on free loopback ports for tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

BIN = Path(sys.executable).parent
BOOT_SECONDS = 180  # the model loads in ~10 s alone; the machine may be busy


def free_port() -> int:
    """Return a loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def subprocess_env(index: Path, **extra: str) -> dict[str, str]:
    """Return this process's environment without QUOTEBOT_* settings, pointed at the embedded index `index`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUOTEBOT_", "GUNICORN_"))}
    pythonpath = [str(ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env.update(
        PYTHONPATH=os.pathsep.join(pythonpath),  # this checkout's code, whatever is installed
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        QUOTEBOT_STORE__PATH=str(index),
        **extra,
    )
    return env


@contextmanager
def running(
    argv: Sequence[str], env: Mapping[str, str], port: int, out: Path, *, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server until it answers GET /health, yield it, then stop it with SIGTERM; output goes to out.*."""
    with open(out.with_suffix(".stdout"), "wb") as so, open(out.with_suffix(".stderr"), "wb") as se:
        proc = subprocess.Popen(list(argv), env=dict(env), cwd=cwd, stdout=so, stderr=se)
        try:
            wait_healthy(proc, port, out)
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def wait_healthy(proc: subprocess.Popen[bytes], port: int, out: Path) -> None:
    """Poll /health (connection errors only: a request that got an answer is logged) until it answers 200."""
    deadline = time.monotonic() + BOOT_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = out.with_suffix(".stderr").read_text(errors="replace")
            raise AssertionError(f"server exited with {proc.returncode}:\n{err[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.3)
    else:
        raise AssertionError(f"nothing listened on port {port} within {BOOT_SECONDS} s")
    status, _ = request(port, "GET", "/health", timeout=BOOT_SECONDS)  # gunicorn queues it until a worker boots
    assert status == 200


def request(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    *,
    timeout: float = 60,
) -> tuple[int, Any]:
    """Send one request to the loopback server; return the status and the decoded JSON body."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def access_lines(stdout: Path) -> list[dict[str, Any]]:
    """Parse every line the server printed on stdout as one JSON access record (fails on any other line)."""
    lines = stdout.read_text(encoding="utf-8").splitlines()
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"stdout line is not JSON: {line!r}") from None
    return records


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """Run a real redis-server on a free loopback port without persistence; yield its URL (skip when absent)."""
    import shutil

    import pytest
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Redis tests: install redis-server (scripts/system-deps.sh)")
        pytest.skip("redis-server is not installed (scripts/system-deps.sh installs it)")
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(argv, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        proc.kill()
        proc.wait(10)


class ChromaServer:
    """A real `chroma run` on loopback that a test can stop and start again on the same port and folder."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it answers its heartbeat."""
        chroma = str(Path(sys.executable).parent / "chroma")
        self.proc = subprocess.Popen(
            [chroma, "run", "--path", str(self.folder), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("chroma run did not start")

    def stop(self) -> None:
        """Kill the server; its folder stays, so start() brings the same index back."""
        if self.proc:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None
