"""Throughput of term dereferencing against the ceiling of a bare ASGI app, measured with wrk.

Every target runs in its own ``uvicorn`` process with the same settings (uvloop, httptools, one worker,
no uvicorn access log); wrk uses 32 connections. Targets:

- ``ceiling``: a bare ASGI callable returning a constant body (the most uvicorn can do here);
- ``fastapi-route``: a FastAPI route returning constant bytes (what an ordinary route costs);
- ``service``: ``create_app(settings)`` as the CLI runs it, fast path outermost, access log on;
- ``service-nolog``: the same with the access log off (the logging overhead);
- ``service-inner``: the fast path inside FastAPI's ``__call__`` (in front of Starlette's middleware only),
  to show what the per-request work of ``FastAPI.__call__`` costs.

Usage: ``python benchmarks/bench_dereference.py [--duration 8] [--rounds 2] [--write]``;
``--write`` replaces benchmarks/results/dereference.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "dereference.md"
TERM = "/concept/icto-coach"
UVICORN = {"loop": "uvloop", "http": "httptools", "access_log": False, "log_level": "warning", "lifespan": "on"}


# The targets (run in a child process with --serve) ---------------------------------------------------
def ceiling_app(body: bytes) -> Any:
    headers = [(b"content-type", b"text/turtle; charset=utf-8"), (b"content-length", str(len(body)).encode())]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def fastapi_app(body: bytes) -> Any:
    from fastapi import FastAPI
    from fastapi.responses import Response

    app = FastAPI()

    @app.get("/concept/{slug}")
    async def constant(slug: str) -> Response:
        return Response(body, media_type="text/turtle")

    return app


def service_app(data_dir: Path, port: int, access_log: bool, inner: bool) -> Any:
    from vocab_service.app import create_app
    from vocab_service.settings import Settings

    app = create_app(Settings(data_dir=data_dir, port=port, access_log=access_log))
    if inner:
        fast = app.fast_path  # type: ignore[attr-defined]
        app.fast_path = None  # type: ignore[attr-defined]
        build = app.build_middleware_stack

        def build_inner() -> Any:
            fast.app = build()  # FastPath(ServerErrorMiddleware(...)), inside FastAPI.__call__
            return fast

        app.build_middleware_stack = build_inner  # type: ignore[method-assign]
    return app


def serve(kind: str, port: int, data_dir: Path) -> None:
    import uvicorn

    body = (ROOT / "benchmarks" / ".body").read_bytes() if (ROOT / "benchmarks" / ".body").exists() else b"x" * 2048
    if kind == "ceiling":
        app = ceiling_app(body)
    elif kind == "fastapi-route":
        app = fastapi_app(body)
    else:
        app = service_app(data_dir, port, access_log=kind != "service-nolog", inner=kind == "service-inner")
    uvicorn.run(app, host="127.0.0.1", port=port, **UVICORN)  # type: ignore[arg-type]


# The driver ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


NICE = ["nice", "-n", "-10"] if os.geteuid() == 0 else []  # the machine is shared: favour the measurement


def start(kind: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([*NICE, sys.executable, __file__, "--serve", kind, "--port", str(port),
                                "--data-dir", str(data_dir)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # the access log is still written
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + TERM, headers={"Accept": "text/turtle"}, timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{kind} did not start")


def wrk(url: str, accept: str, duration: int) -> float:
    command = [*NICE, "wrk", "-t1", "-c32", f"-d{duration}s", "-H", f"Accept: {accept}", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if not match or errors:
        raise RuntimeError(f"wrk failed:\n{output}")
    return float(match.group(1))


async def in_process(data_dir: Path, n: int = 20000) -> dict[str, float]:
    """Microseconds of Python per request, calling each ASGI app directly (no sockets, no HTTP parsing)."""
    import contextlib

    body = (ROOT / "benchmarks" / ".body").read_bytes()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        pass

    def scope(accept: bytes) -> dict[str, Any]:
        return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
                "path": TERM, "raw_path": TERM.encode(), "query_string": b"", "root_path": "",
                "headers": [(b"host", b"localhost"), (b"accept", accept), (b"user-agent", b"wrk")],
                "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}

    async def measure(app: Any, accept: bytes) -> float:
        for _ in range(500):
            await app(scope(accept), receive, send)
        started = time.perf_counter()
        for _ in range(n):
            await app(scope(accept), receive, send)
        return (time.perf_counter() - started) / n * 1e6

    results = {"ceiling turtle": await measure(ceiling_app(body), b"text/turtle"),
               "fastapi-route turtle": await measure(fastapi_app(body), b"text/turtle")}
    real_stderr = sys.stderr
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115, ASYNC230 - the access log writes here
    try:
        for kind, access_log in (("service", True), ("service-nolog", False)):
            app = service_app(data_dir, 0, access_log=access_log, inner=False)
            async with contextlib.AsyncExitStack() as stack:
                await stack.enter_async_context(app.router.lifespan_context(app))
                for case, accept in (("html", b"text/html"), ("turtle", b"text/turtle")):
                    results[f"{kind} {case}"] = await measure(app, accept)
    finally:
        sys.stderr.close()
        sys.stderr = real_stderr
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.data_dir)
        return 0
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    kinds = ["ceiling", "fastapi-route", "service", "service-nolog", "service-inner"]
    cases = [("html", "text/html"), ("turtle", "text/turtle")]
    rates: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        # The ceiling and the constant route send a body as large as the term's Turtle.
        process, url = start("service-nolog", data_dir)
        (ROOT / "benchmarks" / ".body").write_bytes(httpx.get(url + TERM, headers={"Accept": "text/turtle"}).content)
        process.terminate()
        process.wait()
        servers = {}
        try:
            for kind in kinds:
                servers[kind] = start(kind, data_dir / kind)  # one store per process (RocksDB lock)
            for _ in range(args.rounds):
                for kind in kinds:
                    url = servers[kind][1]
                    for case, accept in cases:
                        if kind in ("ceiling", "fastapi-route") and case == "html":
                            continue
                        wrk(url + TERM, accept, 1)  # warm up
                        rate = wrk(url + TERM, accept, args.duration)
                        rates.setdefault((kind, case), []).append(rate)
                        print(f"{kind:14} {case:7} {rate:10.0f} req/s", flush=True)
            micro = asyncio.run(in_process(Path(tmp) / "in-process"))
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait()
            (ROOT / "benchmarks" / ".body").unlink(missing_ok=True)

    # Ratios are taken per round (each round measures the ceiling next to the others), then the median.
    median = {key: statistics.median(values) for key, values in rates.items()}
    ceilings = rates[("ceiling", "turtle")]
    rows = []
    for (kind, case), values in rates.items():
        ratios = [value / ceiling for value, ceiling in zip(values, ceilings, strict=True)]
        rows.append(f"| {kind} | {case} | {median[(kind, case)]:,.0f} | {statistics.median(ratios):.2f} "
                    f"| {min(ratios):.2f}-{max(ratios):.2f} |")
    log_cost = {case: 1 - median[("service", case)] / median[("service-nolog", case)] for case in ("html", "turtle")}
    report = "\n".join([
        "# Dereferencing throughput",
        "",
        f"`python benchmarks/bench_dereference.py --duration {args.duration} --rounds {args.rounds} --write`, "
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}. wrk 1 thread, 32 connections, {args.duration} s per run after a 2 s "
        f"warm-up, median of {args.rounds} rounds; uvicorn with uvloop + httptools, one worker, on the same "
        "machine as wrk. Path `" + TERM + "`; `Accept: text/html` or `text/turtle`. The ceiling is a bare ASGI "
        "app sending the same Turtle bytes.",
        "",
        "| target | representation | requests/s (median) | ratio to ceiling (median) | ratio range |",
        "| --- | --- | ---: | ---: | ---: |",
        *rows,
        "",
        (f"Access log cost on the fast path: {log_cost['html']:.1%} (HTML), {log_cost['turtle']:.1%} (Turtle) "
        "of throughput (`service` vs `service-nolog`)."),
        "",
        ("In-process cost (each ASGI app called directly, no sockets or HTTP parsing; microseconds of Python per "
        "request, lower is better):"),
        "",
        "| target | µs/request |",
        "| --- | ---: |",
        *[f"| {name} | {value:.1f} |" for name, value in micro.items()],
        "",
    ])
    print(report)
    if args.write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
