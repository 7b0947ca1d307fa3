"""Shared fixtures: real service processes on free loopback ports, and paths of the project."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import Graph

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology"
SHAPES = ROOT / "shapes"
EXAMPLES = ROOT / "examples"
BASE = "https://w3id.org/docentondersteuning/"


def parse_turtle_files(directory: Path) -> Graph:
    """Every Turtle file of a directory in one rdflib graph."""
    graph = Graph()
    for path in sorted(directory.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="session")
def vocabulary() -> Graph:
    """The vocabulary and model as the files hold them (read-only: tests must not change it)."""
    return parse_turtle_files(ONTOLOGY)


@pytest.fixture(scope="session")
def context() -> dict[str, Any]:
    """The project's JSON-LD context, read from ontology/ (never fetched)."""
    return json.loads((ONTOLOGY / "context.jsonld").read_text("utf-8"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A ``vocab-service serve`` process; ``url`` is its origin without a trailing slash."""

    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        self.port = free_port()
        env = {**os.environ, "VOCAB_HOST": "127.0.0.1", "VOCAB_PORT": str(self.port),
               "VOCAB_DATA_DIR": str(self.data_dir), **self.env}
        self.log_path = self.data_dir.parent / f"server-{self.port}.log"
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vocab_service.cli", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not become ready in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def flushed_log(self, timeout: float = 10.0) -> str:
        """The log once every request made so far is in it (the access log is written in batches)."""
        marker = f"flush-{time.monotonic_ns()}"
        httpx.get(self.url + "/health", headers={"X-Request-Id": marker}, timeout=5.0)
        deadline = time.monotonic() + timeout
        while marker not in (text := self.log()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return text

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


class Listener:
    """A loopback web server that records every connection, and answers as a real server would (so a
    fetch that should never happen would succeed, not fail quietly)."""

    def __init__(self) -> None:
        self.hits: list[bytes] = []
        listener = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.settimeout(2)
                try:
                    data = self.request.recv(4096)
                except OSError:
                    data = b""
                listener.hits.append(data or b"(connection)")
                body = b'{"@context": {"x": "http://example.org/x"}}'
                self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/ld+json\r\n"
                                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def connections(self) -> int:
        return len(self.hits)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A loopback listener for SSRF checks: nothing the service does may reach it."""
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One service on the embedded store, shared by read-only tests of the whole session."""
    srv = Server(tmp_path_factory.mktemp("server") / "data").start()
    yield srv
    srv.stop()


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[type]:
    """Start services with their own data directory and settings; all are stopped afterwards."""
    started: list[Server] = []

    def _make(env: dict[str, str] | None = None, data_dir: Path | None = None) -> Server:
        srv = Server(data_dir or tmp_path / f"data{len(started)}", env=env or {}).start()
        started.append(srv)
        return srv

    yield _make  # type: ignore[misc]
    for srv in started:
        srv.stop()


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30.0) as c:
        yield c


def have(program: str) -> bool:
    return shutil.which(program) is not None
