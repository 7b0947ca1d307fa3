"""Latency of the alignment-style queries through /sparql, against bare Oxigraph and rdflib-endpoint.

Every ``.rq`` in ``src/vocab_service/queries/`` is run (one warm-up, then ``--runs`` timed runs, median)
through: this service (embedded store, worker pool), a bare ``oxigraph serve --union-default-graph`` on
a copy of the same store (the ceiling), and rdflib-endpoint (rdflib's engine, what many deployments use)
at the default size only. Then the service alone at about 10k, 100k and 1M triples.

    python benchmarks/bench_sparql.py [--rdflib-endpoint PATH] [--write]

rdflib-endpoint is not a dependency of the project: install it into its own virtualenv
(``python -m venv /tmp/rep && /tmp/rep/bin/pip install rdflib-endpoint``) and pass its executable.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).parent))

import pyoxigraph as ox
from synthetic import generate, institutions_for

from vocab_service.namespaces import Namespaces
from vocab_service.store import EmbeddedStore

QUERIES = ROOT / "src" / "vocab_service" / "queries"
RESULTS = Path(__file__).parent / "results" / "sparql.md"
OXIGRAPH = str(Path(sys.executable).parent / "oxigraph")
ACCEPT = "application/sparql-results+json"
REP_TIMEOUT_S = 20.0  # rdflib-endpoint: one run per query, cut off here


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            if httpx.post(url, data={"query": "ASK {}"}, headers={"Accept": ACCEPT}, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def prepare(work: Path, institutions: int, roles: int) -> tuple[Path, Path, int]:
    """A service data directory and a copy of its store for bare Oxigraph; returns the triple count."""
    ns = Namespaces()
    data_dir = work / "data"
    store = EmbeddedStore(data_dir / "store")
    store.sync_graph_from_files(ns.vocabulary_graph, sorted((ROOT / "ontology").glob("*.ttl")), ns.meta_graph)
    store.sync_graph_from_files(ns.shapes_graph, sorted((ROOT / "shapes").glob("*.ttl")), ns.meta_graph)
    store.oxigraph.bulk_load(generate(institutions, roles), format=ox.RdfFormat.N_QUADS)
    triples = int(store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"])
    store.backup(work / "oxigraph")
    store.oxigraph.dump(output=str(work / "all.nq"), format=ox.RdfFormat.N_QUADS)
    store.close()
    return data_dir, work / "oxigraph", triples


def time_queries(url: str, queries: dict[str, str], runs: int, timeout: float,
                 warm_up: bool = True) -> dict[str, tuple[float, int]]:
    """Median seconds and row count per query (inf when it failed or timed out)."""
    out: dict[str, tuple[float, int]] = {}
    with httpx.Client(timeout=timeout) as client:
        for name, text in queries.items():
            times: list[float] = []
            rows = -1
            for run in range(0 if warm_up else 1, runs + 1):
                started = time.perf_counter()
                try:
                    response = client.post(url, data={"query": text}, headers={"Accept": ACCEPT})
                except httpx.TimeoutException:
                    times = [float("inf")]
                    break
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    print(f"  {name}: HTTP {response.status_code} {response.text[:200]}", file=sys.stderr)
                    times = [float("inf")]
                    break
                rows = len(response.json().get("results", {}).get("bindings", []))
                if run:
                    times.append(elapsed)
            out[name] = (statistics.median(times), rows)
    return out


def start_service(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "VOCAB_DATA_DIR": str(data_dir), "VOCAB_PORT": str(port), "VOCAB_HOST": "127.0.0.1",
           "VOCAB_QUERY_TIMEOUT_S": "120", "VOCAB_MAX_RESULT_ROWS": "10000000", "VOCAB_LOG_LEVEL": "warning"}
    return subprocess.Popen([sys.executable, "-m", "vocab_service.cli", "serve"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ms(value: float) -> str:
    return "timeout" if value == float("inf") else f"{value * 1000:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--institutions", type=int, default=110)
    parser.add_argument("--roles", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="triple counts for the growth table")
    parser.add_argument("--rdflib-endpoint", help="the rdflib-endpoint executable (in its own virtualenv)")
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    queries = {p.stem: p.read_text(encoding="utf-8") for p in sorted(QUERIES.glob("*.rq"))}
    from importlib.metadata import version

    header = (f"# SPARQL endpoint benchmark\n\nMachine: {platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, pyoxigraph {version('pyoxigraph')}. Median of {args.runs} "
              "runs after one warm-up, JSON results over HTTP on loopback, "
              "`python benchmarks/bench_sparql.py --rdflib-endpoint PATH --write`. The machine was shared "
              "with other work while this ran: treat small differences as noise.\n")
    lines = [header]

    with tempfile.TemporaryDirectory(prefix="bench-sparql-") as tmp:
        work = Path(tmp) / "main"
        data_dir, ox_dir, triples = prepare(work, args.institutions, args.roles)
        service_port, ox_port = free_port(), free_port()
        service = start_service(data_dir, service_port)
        bare = subprocess.Popen([OXIGRAPH, "serve", "--location", str(ox_dir), "--union-default-graph",
                                 "--bind", f"127.0.0.1:{ox_port}"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        rep: subprocess.Popen[bytes] | None = None
        try:
            wait_ready(f"http://127.0.0.1:{service_port}/sparql", service)
            wait_ready(f"http://127.0.0.1:{ox_port}/query", bare)
            ours = time_queries(f"http://127.0.0.1:{service_port}/sparql", queries, args.runs, 300)
            ceiling = time_queries(f"http://127.0.0.1:{ox_port}/query", queries, args.runs, 300)
            theirs: dict[str, tuple[float, int]] = {}
            rep_port = 0
            if args.rdflib_endpoint:
                for name, text in queries.items():
                    # rdflib-endpoint answers one query at a time and goes on with a query its client gave
                    # up on, so after a cut-off the next query would wait: start it afresh when needed.
                    if rep is None:
                        rep_port = free_port()
                        rep = subprocess.Popen([args.rdflib_endpoint, "serve", "--host", "127.0.0.1", "--port",
                                                str(rep_port), str(work / "all.nq")], stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL)
                        wait_ready(f"http://127.0.0.1:{rep_port}/", rep)
                    theirs.update(time_queries(f"http://127.0.0.1:{rep_port}/", {name: text}, 1, REP_TIMEOUT_S,
                                               warm_up=False))
                    if theirs[name][0] == float("inf"):
                        rep.kill()
                        rep.wait()
                        rep = None
        finally:
            for process in (service, bare, rep):
                if process is not None:
                    stop(process)
        lines.append(f"\n## Against bare Oxigraph and rdflib-endpoint\n\n{args.institutions} institutions x "
                     f"{args.roles} roles: {triples} triples (vocabulary, shapes and the synthetic "
                     "institutions). Latency in ms; ratio = this service / bare Oxigraph; speed-up = "
                     f"rdflib-endpoint / this service (rdflib-endpoint: one cold run, cut off at "
                     f"{REP_TIMEOUT_S:.0f} s).\n")
        lines.append("| query | rows | this service | bare oxigraph | ratio | rdflib-endpoint | speed-up |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        ratios, speedups = [], []
        for name in queries:
            (t_ours, rows), (t_ox, rows_ox) = ours[name], ceiling[name]
            ratio = t_ours / t_ox if t_ox not in (0, float("inf")) else float("nan")
            ratios.append(ratio)
            rep_cell, speed_cell = "-", "-"
            if name in theirs:
                t_rep = theirs[name][0]
                if t_rep == float("inf"):  # timed out: the speed-up is at least this much
                    rep_cell, speedup = f"> {REP_TIMEOUT_S * 1000:.0f}", REP_TIMEOUT_S / t_ours
                    speed_cell = f"> {speedup:.0f}x"
                else:
                    rep_cell, speedup = ms(t_rep), t_rep / t_ours
                    speed_cell = f"{speedup:.0f}x"
                speedups.append(speedup)
            mark = "" if rows == rows_ox else f" (oxigraph: {rows_ox})"
            lines.append(f"| {name} | {rows}{mark} | {ms(t_ours)} | {ms(t_ox)} | {ratio:.2f} | {rep_cell} | "
                         f"{speed_cell} |")
        finite = [s for s in speedups if s != float("inf")]
        lines.append(f"\nMedian ratio to bare Oxigraph: **{statistics.median(ratios):.2f}**"
                     + (f"; median speed-up over rdflib-endpoint: **{statistics.median(finite):.0f}x** (a lower bound "
                        "where rdflib-endpoint hit the cut-off)"
                        if finite else "") + ".\n")
        print("\n".join(lines[-len(queries) - 6:]), flush=True)

        growth: dict[int, dict[str, tuple[float, int]]] = {}
        sizes = [int(s) for s in args.sizes.split(",") if s]
        if not sizes:
            text = "\n".join(lines) + "\n"
            print(text)
            return 0
        actual: dict[int, int] = {}
        for size in sizes:
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            data_dir, _, actual[size] = prepare(work, institutions_for(size, args.roles), args.roles)
            port = free_port()
            service = start_service(data_dir, port)
            try:
                wait_ready(f"http://127.0.0.1:{port}/sparql", service)
                big = size >= 500_000  # one cold run each, to keep the whole benchmark within minutes
                growth[size] = time_queries(f"http://127.0.0.1:{port}/sparql", queries, 1 if big else 2, 300,
                                            warm_up=not big)
            finally:
                stop(service)
            print(f"size {actual[size]}: done", flush=True)
        lines.append("\n## Growth with data size (this service)\n\nLatency in ms (synthetic institutions of "
                     f"{args.roles} roles added until about the given number of triples).\n")
        lines.append("| query | " + " | ".join(f"{actual[s]:,} triples" for s in sizes) + " |")
        lines.append("| --- |" + " ---: |" * len(sizes))
        for name in queries:
            lines.append(f"| {name} | " + " | ".join(ms(growth[s][name][0]) for s in sizes) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
