"""Load: a mixed workload with wrk against a real server process, its memory, and one runaway query.

1. Starts ``vocab-service serve`` on a fresh data directory with the examples loaded (``vocab-service load``).
2. Runs wrk with benchmarks/wrk/mixed.lua: dereference 70 % (random concept IRIs, random formats), SPARQL
   15 % (small SELECTs), search 10 %, validate 5 % (POST of an example), for --seconds at --connections.
   Reports throughput, p50/p95/p99 latency and errors (non-2xx/3xx answers and socket errors), while the
   resident memory of the server and its worker processes is sampled every 0.5 s.
3. Measures dereference latency alone, and again while one runaway SPARQL query runs to its time limit.

    .venv/bin/python benchmarks/load.py [--seconds 60] [--connections 64]

writes benchmarks/results/load.md. tests/test_load.py runs a bounded version.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
from common import EXAMPLES, RESULTS, ROOT, Server, descendants, rss_kib

LUA = ROOT / "benchmarks" / "wrk" / "mixed.lua"
ACCEPTS = ("text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples", "text/html")
SEARCHES = ("icto", "coach", "onderwijs", "docent", "advies", "ontwerp", "teacher", "support", "niveau", "data")
CONCEPTS = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?c WHERE { ?c a skos:Concept }"""
SMALL_SELECT = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?label WHERE {{ <{iri}> skos:prefLabel ?label }}"""
# A three-way cross product counted in a streaming aggregate: CPU-bound until the time limit stops it.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def start_loaded(data_dir: Path, env: dict[str, str] | None = None) -> Server:
    """A server on ``data_dir`` with every valid example institution loaded."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "vocab_service.cli", "load", str(EXAMPLES), "--data-dir", str(data_dir)],
                   check=True, capture_output=True)
    return Server(data_dir, env=env or {}).start(timeout=180)


def write_data(server: Server, path: Path) -> int:
    """The Lua data file for mixed.lua; returns the number of concept paths."""
    response = httpx.get(server.url + "/sparql", params={"query": CONCEPTS},
                         headers={"Accept": "application/sparql-results+json"}, timeout=60)
    response.raise_for_status()
    iris = sorted(b["c"]["value"] for b in response.json()["results"]["bindings"])
    base = "https://w3id.org/docentondersteuning/"
    paths = ["/" + iri[len(base):] for iri in iris if iri.startswith(base)]
    queries = [quote(SMALL_SELECT.format(iri=iri), safe="") for iri in iris[:40]]

    def lua_list(items: list[str] | tuple[str, ...]) -> str:
        return "{" + ", ".join(json.dumps(i) for i in items) + "}"

    body = (EXAMPLES / "zeehaven.ttl").read_text("utf-8")
    path.write_text(f"return {{ terms = {lua_list(paths)}, accepts = {lua_list(ACCEPTS)}, "
                    f"searches = {lua_list(SEARCHES)}, queries = {lua_list(queries)}, "
                    f"body = {json.dumps(body)} }}\n")
    return len(paths)


@dataclass
class MemorySampler:
    """VmRSS of a process and its descendants every ``interval`` seconds, in a thread."""

    pid: int
    interval: float = 0.5
    samples: list[tuple[float, int, int]] = field(default_factory=list)  # (t, server KiB, total KiB)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> MemorySampler:
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            server = rss_kib(self.pid)
            total = server + sum(rss_kib(p) for p in descendants(self.pid))
            self.samples.append((time.monotonic() - self._started, server, total))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def at(self, seconds: float) -> tuple[int, int]:
        """(server, total) KiB of the first sample at or after ``seconds``."""
        for t, server, total in self.samples:
            if t >= seconds:
                return server, total
        return self.samples[-1][1:]

    def peak(self) -> tuple[int, int]:
        return max(s[1] for s in self.samples), max(s[2] for s in self.samples)


def run_wrk(url: str, data: Path, seconds: float, connections: int, threads: int = 2) -> dict[str, float]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    out = subprocess.run([wrk, f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "10s",
                          "-s", str(LUA), url, "--", str(data)], check=True, capture_output=True, text=True)
    line = next(line for line in reversed(out.stdout.splitlines()) if line.startswith("{"))
    result: dict[str, float] = json.loads(line)
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors",
                                                "timeouts"))
    return result


def dereference_latencies(url: str, paths: list[str], count: int) -> list[float]:
    """Seconds per sequential dereference of random terms in random RDF formats."""
    rng = random.Random(7)
    times = []
    with httpx.Client(base_url=url, timeout=30.0) as client:
        for _ in range(count):
            started = time.perf_counter()
            response = client.get(rng.choice(paths), headers={"Accept": rng.choice(ACCEPTS)})
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"dereference answered {response.status_code}")
    return times


@dataclass
class Runaway:
    idle: list[float]
    during: list[float]
    runaway_status: int
    runaway_seconds: float
    runaway_detail: str

    def summary(self, values: list[float]) -> tuple[float, float]:
        ordered = sorted(values)
        return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def runaway_effect(url: str, paths: list[str], count: int = 300) -> Runaway:
    """Dereference latency without, then with, a runaway SPARQL query running."""
    idle = dereference_latencies(url, paths, count)
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        response = httpx.get(url + "/sparql", params={"query": RUNAWAY},
                             headers={"Accept": "application/sparql-results+json"}, timeout=600)
        outcome.update(status=response.status_code, seconds=time.monotonic() - started,
                       detail=response.json().get("detail", "") if response.status_code >= 400 else response.text)

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)
    during = dereference_latencies(url, paths, count)
    still_running = thread.is_alive()
    thread.join()
    if not still_running:
        raise RuntimeError(f"the runaway query ended before the measurement did: {outcome}")
    return Runaway(idle, during, int(outcome["status"]), float(outcome["seconds"]),  # type: ignore[arg-type]
                   str(outcome["detail"])[:200])


def by_kind(log: str, since: int = 0) -> dict[str, dict[str, object]]:
    """Per request kind (first path segment), from the server's access log lines after ``since`` characters."""
    kinds: dict[str, list[float]] = {}
    statuses: dict[str, dict[int, int]] = {}
    for line in log[since:].splitlines():
        if not line.startswith("{") or '"access"' not in line:
            continue
        entry = json.loads(line)
        kind = entry["path"].split("/")[1] or "/"
        kinds.setdefault(kind, []).append(entry["duration_ms"])
        counts = statuses.setdefault(kind, {})
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    out: dict[str, dict[str, object]] = {}
    for kind, values in kinds.items():
        values.sort()
        out[kind] = {"count": len(values), "p50": values[len(values) // 2],
                     "p95": values[min(len(values) - 1, int(len(values) * 0.95))], "statuses": statuses[kind]}
    return out


def term_paths(data: Path) -> list[str]:
    text = data.read_text()
    start = text.index("terms = {") + len("terms = ")
    return json.loads("[" + text[start + 1:text.index("}", start)] + "]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=10, help="seconds after which memory counts as warm")
    parser.add_argument("--sweep", default="16,32", help="further connection counts, run for half as long")
    parser.add_argument("--output", type=Path, default=RESULTS / "load.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vocab-load-") as tmp:
        server = start_loaded(Path(tmp) / "data")
        try:
            data = Path(tmp) / "data.lua"
            terms = write_data(server, data)
            assert server.process is not None
            sampler = MemorySampler(server.process.pid).start()
            mark = len(server.log())
            result = run_wrk(server.url, data, args.seconds, args.connections)
            sampler.stop()
            time.sleep(1)  # the access log is written in batches
            kinds = by_kind(server.log(), mark)
            sweep = [(c, run_wrk(server.url, data, args.seconds / 2, c))
                     for c in (int(x) for x in args.sweep.split(",") if x)]
            runaway = runaway_effect(server.url, term_paths(data))
            timeout_s = _timeout(server)
        finally:
            server.stop()

    warm = sampler.at(args.warmup)
    end = sampler.samples[-1][1:]
    peak = sampler.peak()
    idle_p50, idle_p99 = runaway.summary(runaway.idle)
    during_p50, during_p99 = runaway.summary(runaway.during)
    mib = 1024
    lines = [
        "# Load", "",
        (f"`benchmarks/load.py --seconds {args.seconds:g} --connections {args.connections}` on a "
         f"{os.cpu_count()}-core {platform.machine()} machine (wrk and the server share it), Python "
         f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}; load average {os.getloadavg()[0]:.1f} at the "
         "end (other work may have run on the machine)."), "",
        "## Mixed workload", "",
        (f"wrk, 2 threads, {args.connections} connections, {args.seconds:g} s, script benchmarks/wrk/mixed.lua: "
         f"dereference 70 % ({terms} concept IRIs x {len(ACCEPTS)} formats by Accept), SPARQL 15 % (a SELECT of "
         "one concept's labels), search 10 %, validate 5 % (POST examples/zeehaven.ttl). One server process "
         "(uvicorn) with its SPARQL worker processes, on the embedded store with the examples loaded."), "",
        "| requests | throughput (req/s) | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | errors |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        (f"| {int(result['requests'])} | {result['rps']:.0f} | {result['p50_us'] / 1000:.1f} | "
         f"{result['p95_us'] / 1000:.1f} | {result['p99_us'] / 1000:.1f} | {result['max_us'] / 1000:.0f} | "
         f"{int(result['errors'])} |"), "",
        (f"Errors: {int(result['status_errors'])} non-2xx/3xx answers, {int(result['connect_errors'])} connect, "
         f"{int(result['read_errors'])} read, {int(result['write_errors'])} write, {int(result['timeouts'])} "
         "timeouts (10 s)."), "",
        "Per kind of request, from the server's access log (time inside the server):", "",
        "| kind | requests | p50 (ms) | p95 (ms) | answers |", "| --- | --- | --- | --- | --- |",
        *[f"| {k} | {v['count']} | {v['p50']:.1f} | {v['p95']:.1f} | "
          + ", ".join(f"{n} x {code}" for code, n in sorted(v["statuses"].items())) + " |"  # type: ignore[union-attr]
          for k, v in sorted(kinds.items(), key=lambda kv: -int(kv[1]["count"]))],  # type: ignore[call-overload]
        "", f"The same workload with fewer connections, {args.seconds / 2:g} s each:", "",
        "| connections | requests | throughput (req/s) | p50 (ms) | p99 (ms) | errors |",
        "| --- | --- | --- | --- | --- | --- |",
        *[f"| {c} | {int(r['requests'])} | {r['rps']:.0f} | {r['p50_us'] / 1000:.1f} | {r['p99_us'] / 1000:.1f} | "
          f"{int(r['errors'])} |" for c, r in sweep], "",
        ("Reading the figures: dereferences are answered from prepared bytes by the server process itself; "
         "SPARQL queries go to the worker processes, and a query that finds every worker busy waits in a "
         "bounded queue (VOCAB_QUERY_QUEUE, up to the time limit); only a full queue is refused with 503 and Retry-After (back-pressure, see SECURITY.md); validation runs "
         "pyshacl in the server's thread pool and competes with the event loop for the interpreter. Error "
         "answers in the tables above are such refusals when the per-kind table shows them on `sparql`."), "",
        "## Memory", "",
        "Resident memory (VmRSS) sampled every 0.5 s during the run; \"all\" adds the SPARQL worker processes.", "",
        "| | server (MiB) | all processes (MiB) |", "| --- | --- | --- |",
        f"| after warm-up ({args.warmup:g} s) | {warm[0] / mib:.0f} | {warm[1] / mib:.0f} |",
        f"| peak | {peak[0] / mib:.0f} | {peak[1] / mib:.0f} |",
        f"| end ({args.seconds:g} s) | {end[0] / mib:.0f} | {end[1] / mib:.0f} |", "",
        (f"Growth from warm-up to the end: {(end[0] - warm[0]) / mib:+.1f} MiB (server), "
         f"{(end[1] - warm[1]) / mib:+.1f} MiB (all)."), "",
        "## A runaway query does not slow dereferencing", "",
        (f"{len(runaway.idle)} sequential dereferences (random term, random RDF format or HTML) with nothing "
         f"else running, then {len(runaway.during)} more while one runaway SPARQL query "
         f"(`{RUNAWAY}`) ran in a worker process until its time limit ({timeout_s} s) stopped it: it answered "
         f"HTTP {runaway.runaway_status} after {runaway.runaway_seconds:.1f} s "
         f"(\"{runaway.runaway_detail}\")."), "",
        "| dereference | p50 (ms) | p99 (ms) |", "| --- | --- | --- |",
        f"| idle | {idle_p50 * 1000:.2f} | {idle_p99 * 1000:.2f} |",
        f"| during the runaway query | {during_p50 * 1000:.2f} | {during_p99 * 1000:.2f} |", "",
    ]
    args.output.write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {args.output}")


def _timeout(server: Server) -> str:
    return server.env.get("VOCAB_QUERY_TIMEOUT_S", "10")


if __name__ == "__main__":
    main()
