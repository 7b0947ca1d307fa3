"""Crash safety: SIGKILL the service while it writes, and while it loads the vocabulary at start-up.

1. Writes: one client thread per institution PUTs two different complete descriptions in turn; after a
   while the server and its workers are killed with SIGKILL. The service is restarted on the same data
   directory and must (a) answer /health quickly, without repair; (b) hold for every institution a graph
   isomorphic to one of the two versions (nothing half-written); (c) hold the last acknowledged version or
   the one that was in flight when the process died (no acknowledged write lost).
2. Start-up: a fresh data directory is started and killed at points spread over the start-up (while it
   loads ontology/ and shapes/); then a normal start must succeed and every graph must have the triple
   count of a clean start.

    .venv/bin/python benchmarks/crash.py [--cycles 5] [--seconds 4] [--startup-kills 8]

writes benchmarks/results/crash.md. tests/test_crash.py runs a bounded version of both.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from common import EXAMPLES, RESULTS, Server, kill_tree
from rdflib import Graph, Literal, Namespace
from rdflib.compare import isomorphic

from vocab_service.auth import hash_token, mint_token

SCHEMA = Namespace("https://schema.org/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
INSTITUTIONS = ("zeehaven", "heuvelrand", "lindeveld", "dijkzicht")
GRAPH_COUNTS = """SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"""


@dataclass
class Versions:
    """Two complete, valid descriptions of one institution that differ in several triples."""

    institution: str
    bodies: dict[str, bytes]
    graphs: dict[str, Graph]

    @classmethod
    def of(cls, institution: str) -> Versions:
        a = Graph().parse(EXAMPLES / f"{institution}.ttl")
        b = Graph().parse(EXAMPLES / f"{institution}.ttl")
        subject = next(s for s, o in b.subject_objects(DCTERMS.identifier) if str(o) == institution)
        for n in range(20):
            b.add((subject, SCHEMA.alternateName, Literal(f"versie B, naam {n}", lang="nl")))
        return cls(institution, {"a": a.serialize(format="nt").encode(), "b": b.serialize(format="nt").encode()},
                   {"a": a, "b": b})

    def which(self, graph: Graph) -> str | None:
        return next((name for name, g in self.graphs.items() if isomorphic(g, graph)), None)


@dataclass
class Writer:
    """Sends alternating versions until the connection fails; remembers what was acknowledged."""

    versions: Versions
    url: str
    token: str
    log: list[tuple[str, str]] = field(default_factory=list)  # (version, "ack" | "status N" | "lost")

    def run(self, stop: threading.Event) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/n-triples"}
        with httpx.Client(base_url=self.url, timeout=30.0) as client:
            n = 0
            while not stop.is_set():
                version = "ab"[n % 2]
                n += 1
                try:
                    response = client.put(f"/institutions/{self.versions.institution}",
                                          content=self.versions.bodies[version], headers=headers)
                except httpx.HTTPError:
                    self.log.append((version, "lost"))
                    return
                self.log.append((version, "ack" if response.status_code in (200, 201)
                                 else f"status {response.status_code}"))

    def allowed(self) -> set[str]:
        """The versions the store may hold: the last acknowledged one, or the one in flight at the kill."""
        acked = [v for v, outcome in self.log if outcome == "ack"]
        lost = [v for v, outcome in self.log if outcome == "lost"]
        return set(acked[-1:]) | set(lost[:1])


@dataclass
class WriteCycle:
    acknowledged: int
    in_flight: int
    refused: int
    recovered_s: float
    complete: bool
    problems: list[str]


def wait_healthy(url: str, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if httpx.get(url + "/health", timeout=1.0).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"not healthy within {timeout}s")


def write_cycle(server: Server, token: str, versions: list[Versions], seconds: float) -> WriteCycle:
    """Write for ``seconds``, kill, restart on the same directory, check. The server is left running."""
    stop = threading.Event()
    writers = [Writer(v, server.url, token) for v in versions]
    threads = [threading.Thread(target=w.run, args=(stop,)) for w in writers]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    kill_tree(server)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    started = time.monotonic()
    server.start()
    recovered = time.monotonic() - started
    problems: list[str] = []
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        for writer in writers:
            name = writer.versions.institution
            response = client.get(f"/institutions/{name}", params={"format": "nt"})
            if not any(outcome == "ack" for _, outcome in writer.log):
                if response.status_code != 404 and writer.versions.which(
                        Graph().parse(data=response.text, format="nt")) is None:
                    problems.append(f"{name}: never acknowledged, but holds a graph that is no version")
                continue
            if response.status_code != 200:
                problems.append(f"{name}: acknowledged writes but GET answers {response.status_code}")
                continue
            stored = writer.versions.which(Graph().parse(data=response.text, format="nt"))
            if stored is None:
                problems.append(f"{name}: the stored graph is neither complete version (half-written)")
            elif stored not in writer.allowed():
                problems.append(f"{name}: holds version {stored}, but the last acknowledged/in-flight were "
                                f"{sorted(writer.allowed())} (an acknowledged write was lost)")
    logs = [outcome for w in writers for _, outcome in w.log]
    return WriteCycle(acknowledged=logs.count("ack"), in_flight=logs.count("lost"),
                      refused=sum(1 for o in logs if o.startswith("status")), recovered_s=recovered,
                      complete=not problems, problems=problems)


def graph_counts(url: str) -> dict[str, int]:
    response = httpx.get(url + "/sparql", params={"query": GRAPH_COUNTS},
                         headers={"Accept": "application/sparql-results+json"}, timeout=60)
    response.raise_for_status()
    return {b["g"]["value"]: int(b["n"]["value"]) for b in response.json()["results"]["bindings"]}


@dataclass
class StartupKill:
    anchor: str  # "process": after the process was created; "store": after the store directory appeared
    delay_s: float
    was_running: bool  # the process had not finished start-up when it was killed


def startup_kills(data_dir: Path, delays: list[tuple[str, float]]) -> list[StartupKill]:
    """Start on ``data_dir`` and SIGKILL at each (anchor, delay); the directory is reused from one to the next.

    Anchored at "store", the kill lands while ontology/ and shapes/ are being loaded into the opened store.
    """
    kills = []
    marker = data_dir / "store" / "CURRENT"
    for anchor, delay in delays:
        server = Server(data_dir)
        ready = threading.Event()

        def launch(server: Server = server, ready: threading.Event = ready) -> None:
            try:
                server.start(timeout=180)
            except RuntimeError:
                pass  # killed on purpose
            ready.set()

        existed = marker.exists()
        thread = threading.Thread(target=launch)
        thread.start()
        while server.process is None:
            time.sleep(0.002)
        if anchor == "store":
            # RocksDB writes CURRENT when it opens a new store; on a reused directory, wait for the lock.
            lock = data_dir / "store" / "LOCK"
            while not ready.is_set() and not (marker.exists() if not existed else _locked(lock)):
                time.sleep(0.002)
        time.sleep(delay)
        healthy = ready.is_set()
        kill_tree(server)
        thread.join(timeout=180)
        kills.append(StartupKill(anchor, delay, not healthy))
    return kills


def _locked(lock: Path) -> bool:
    """Whether some process holds the RocksDB lock file (from /proc/locks)."""
    try:
        inode = lock.stat().st_ino
    except OSError:
        return False
    return any(line.split()[5].endswith(f":{inode}") for line in Path("/proc/locks").read_text().splitlines()
               if len(line.split()) > 5)


def clean_start(data_dir: Path) -> tuple[float, dict[str, int]]:
    started = time.monotonic()
    server = Server(data_dir).start(timeout=180)
    seconds = time.monotonic() - started
    try:
        return seconds, graph_counts(server.url)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=5, help="kill/restart cycles while writing")
    parser.add_argument("--seconds", type=float, default=4.0, help="writing time before each kill")
    parser.add_argument("--startup-kills", type=int, default=8, help="kills during start-up")
    parser.add_argument("--output", type=Path, default=RESULTS / "crash.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vocab-crash-") as tmp:
        base = Path(tmp)
        token = mint_token()
        versions = [Versions.of(name) for name in INSTITUTIONS]
        server = Server(base / "writes", env={"VOCAB_ADMIN_TOKEN_HASH": hash_token(token)}).start(timeout=180)
        cycles = []
        try:
            for n in range(args.cycles):
                cycle = write_cycle(server, token, versions, args.seconds)
                cycles.append(cycle)
                print(f"write cycle {n + 1}: {cycle}", flush=True)
        finally:
            server.stop()

        reference_s, reference = clean_start(base / "clean")
        half = args.startup_kills // 2
        delays = [("process", 0.1 + 0.2 * i / max(half - 1, 1)) for i in range(half)] + [
            ("store", 0.05 + 1.5 * i / max(args.startup_kills - half - 1, 1))
            for i in range(args.startup_kills - half)]
        kills = startup_kills(base / "killed", delays)
        recovered_s, recovered = clean_start(base / "killed")
        print(f"start-up: clean {reference_s:.1f}s, kills {kills}, "
              f"then start {recovered_s:.1f}s; counts equal: {recovered == reference}", flush=True)

    lines = [
        "# Crash safety", "",
        (f"Measured with `benchmarks/crash.py --cycles {args.cycles} --seconds {args.seconds} "
         f"--startup-kills {args.startup_kills}` on a {os.cpu_count()}-core {platform.machine()} machine, "
         f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}; load average "
         f"{os.getloadavg()[0]:.1f} at the end (other work ran on the machine; times are indicative)."), "",
        "## SIGKILL while writing", "",
        (f"{len(INSTITUTIONS)} client threads, one per institution, each PUT two complete versions "
         "(examples/{id}.ttl and the same with 20 extra triples) in turn, until the server and its worker "
         "processes were killed with SIGKILL. Then the service was restarted on the same data directory."), "",
        ("| cycle | acknowledged writes | in flight at the kill | other answers | restart to healthy (s) "
         "| every graph a complete version, none acknowledged lost |"),
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for n, c in enumerate(cycles, start=1):
        lines.append(f"| {n} | {c.acknowledged} | {c.in_flight} | {c.refused} | {c.recovered_s:.1f} | "
                     f"{'yes' if c.complete else 'NO: ' + '; '.join(c.problems)} |")
    lines += [
        "", "## SIGKILL during start-up", "",
        f"A clean start on an empty data directory took {reference_s:.1f} s (loading ontology/ and shapes/ "
        f"into the store). A second empty directory was started and killed {len(kills)} times: "
        + ", ".join(f"{k.delay_s:.2f} s after {'the process was created' if k.anchor == 'process' else 'the store opened'}"
                    for k in kills)
        + f" ({sum(k.was_running for k in kills)} of them before it was ready); then a normal start took "
        f"{recovered_s:.1f} s.", "",
        "| graph | triples after a clean start | triples after the killed starts |", "| --- | --- | --- |",
    ]
    for graph in sorted(set(reference) | set(recovered)):
        lines.append(f"| `{graph}` | {reference.get(graph, 0)} | {recovered.get(graph, 0)} |")
    lines += ["", f"Counts equal: **{'yes' if recovered == reference else 'NO'}**.", ""]
    args.output.write_text("\n".join(lines))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
