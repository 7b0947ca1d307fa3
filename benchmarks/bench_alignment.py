"""Latency of the alignment views on 110 institutions x 30 roles, over HTTP against a real server.

    .venv/bin/python benchmarks/bench_alignment.py [--institutions 110] [--roles 30] [--warm 30] [--cold 8]

The dataset comes from ``benchmarks/synthetic.py`` (shared with the SPARQL benchmark) when present;
otherwise from the small seeded generator below (tasks, scopes, levels, competencies and one mapping per
role drawn from the vocabulary, 5 units per institution, one role in ten without a unit). The graphs are
written straight into a fresh embedded store (validation is not what is measured), then a server is
started on it. For every endpoint:

  * cold: the first request after a write (the write, a PUT of a small institution, is not timed), so
    the SPARQL query and the Python work run;
  * warm: repeated requests answered from the per-generation cache.

Writes benchmarks/results/alignment.md and alignment.json (median and p95 in milliseconds).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from vocab_service.auth import hash_token, mint_token  # noqa: E402
from vocab_service.namespaces import Namespaces  # noqa: E402
from vocab_service.store import EmbeddedStore  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
DOV = "https://w3id.org/docentondersteuning/concept/"
DOM = "https://w3id.org/docentondersteuning/model/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
TASKS = [
    "inspelen-op-ontwikkelingen",
    "integreren-van-technologie-en-didactiek",
    "trainen-van-docenten",
    "coachen-van-docenten",
    "versterken-van-samenwerking-in-teams",
    "begeleiden-van-onderwijsvernieuwing-in-teams",
    "faciliteren-van-professionele-leergemeenschappen",
    "ondersteunen-van-teams-bij-implementatie",
    "formuleren-van-gezamenlijke-doelen-en-visie",
    "samenwerken-aan-onderwijsinnovaties",
    "leren-van-en-met-elkaar",
    "adviseren-over-implementatie-van-onderwijsinnovaties",
    "vertalen-van-beleid-naar-praktijk",
    "monitoren-en-evalueren-van-innovatieprocessen",
    "creeren-van-een-lerende-cultuur",
    "ontwikkelen-van-beleid-en-strategie",
]
SCOPES = ["individueel-niveau", "teamniveau", "organisatieniveau"]
LEVELS = ["operationeel-niveau", "tactisch-niveau", "strategisch-niveau"]
COMPETENCIES = [
    "flexibiliteit",
    "kennis-van-onderwijskunde",
    "kennis-van-technologie",
    "kennis-van-veranderkunde",
    "coachende-en-faciliterende-houding",
    "bruggen-slaan",
]
ROLES = [
    "docentondersteuner",
    "icto-coach",
    "onderwijsontwerper",
    "onderwijsadviseur",
    "i-coach",
    "onderwijskundig-ict-professional",
]
KINDS = ["exactMatch", "closeMatch", "broadMatch", "narrowMatch"]
SECTORS = ["mbo", "hbo", "wo"]


def generate(count: int, roles: int, seed: int = 7) -> dict[str, str]:
    """``{institution id: N-Triples}``, reproducible for a seed."""
    rng = random.Random(seed)
    out: dict[str, str] = {}
    for number in range(count):
        ident = f"inst-{number:03d}"
        base = f"https://example.org/instelling/{ident}"
        lines = [
            f"<{base}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{DOM}Institution> .",
            f'<{base}> <http://purl.org/dc/terms/identifier> "{ident}" .',
            f'<{base}> <https://schema.org/name> "Instelling {number}"@nl .',
            f"<{base}> <{DOM}sector> <{DOV}{SECTORS[number % 3]}> .",
            f"<{base}> <https://schema.org/url> <https://{ident}.example.nl/> .",
        ]
        units = [f"{base}/eenheid/u{u}" for u in range(5)]
        for unit in units:
            lines.append(f'<{unit}> <https://schema.org/name> "Eenheid {unit[-1]}"@nl .')
        for r in range(roles):
            role = f"{base}/rol/r{r:02d}"
            lines += [
                f"<{base}> <{DOM}hasLocalRole> <{role}> .",
                f"<{role}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{DOM}LocalRole> .",
                f'<{role}> <https://schema.org/name> "Rol {r}"@nl .',
                f"<{role}> <{SKOS}{rng.choice(KINDS)}> <{DOV}{rng.choice(ROLES)}> .",
            ]
            if rng.random() > 0.1:
                lines.append(f"<{role}> <{DOM}inUnit> <{rng.choice(units)}> .")
            for prop, values, low, high in (
                ("performsTask", TASKS, 1, 5),
                ("servesScope", SCOPES, 1, 2),
                ("worksAtLevel", LEVELS, 1, 2),
                ("requiresCompetency", COMPETENCIES, 0, 3),
            ):
                for value in rng.sample(values, rng.randint(low, high)):
                    lines.append(f"<{role}> <{DOM}{prop}> <{DOV}{value}> .")
        out[ident] = "\n".join(lines) + "\n"
    return out


def dataset(count: int, roles: int) -> dict[str, str]:
    """The shared synthetic dataset (``benchmarks/synthetic.py``) split per institution graph, or the
    generator above when that module is absent."""
    try:
        import synthetic  # type: ignore[import-not-found]
    except ImportError:
        return generate(count, roles)
    import pyoxigraph as ox

    prefix = Namespaces().institution_graph("")
    graphs: dict[str, list[str]] = {}
    for quad in ox.parse(synthetic.generate(count, roles), format=ox.RdfFormat.N_QUADS):
        ident = quad.graph_name.value[len(prefix) :]
        graphs.setdefault(ident, []).append(f"{quad.subject} {quad.predicate} {quad.object} .")
    return {ident: "\n".join(lines) + "\n" for ident, lines in graphs.items()}


def start_server(data_dir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "vocab_service.cli", "serve"],
        env={
            **os.environ,
            "VOCAB_DATA_DIR": str(data_dir),
            "VOCAB_PORT": str(port),
            "VOCAB_ACCESS_LOG": "false",
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=110)
    parser.add_argument("--roles", type=int, default=30)
    parser.add_argument("--warm", type=int, default=30, help="cached requests per endpoint")
    parser.add_argument("--cold", type=int, default=8, help="requests per endpoint right after a write")
    args = parser.parse_args()

    graphs = dataset(args.institutions, args.roles)
    ns = Namespaces()
    tmp = Path(tempfile.mkdtemp(prefix="bench-alignment-"))
    started = time.perf_counter()
    store = EmbeddedStore(tmp / "data" / "store")
    for ident, ntriples in graphs.items():
        store.replace_graph(ns.institution_graph(ident), ntriples.encode())
    store.close()
    load_s = time.perf_counter() - started
    triples = sum(g.count("\n") for g in graphs.values())

    admin = mint_token()
    process, url = start_server(tmp / "data", {"VOCAB_ADMIN_TOKEN_HASH": hash_token(admin)})
    bump = (ROOT / "examples" / "zeehaven.ttl").read_bytes()
    first, second, third = sorted(graphs)[:3]
    subjects = (line.split(" ")[0].strip("<>") for line in graphs[first].splitlines())
    some_role = next(subject for subject in subjects if "/rol/" in subject)
    endpoints = {
        "dashboard (HTML)": ("/alignment", {"Accept": "text/html"}),
        "dashboard ?sector=hbo (HTML)": ("/alignment?sector=hbo", {"Accept": "text/html"}),
        "crosswalk icto-coach": ("/alignment/crosswalk?role=icto-coach", {}),
        "similar (limit 10)": (f"/alignment/similar?role={some_role}", {}),
        "compare two institutions": (f"/alignment/compare?a={first}&b={second}", {}),
        "missing, all institutions": ("/alignment/missing", {}),
        "missing, one institution": (f"/alignment/missing?institution={third}", {}),
        "duplicates, all institutions": ("/alignment/duplicates", {}),
        "sectors": ("/alignment/sectors", {}),
        "institutions list": ("/institutions", {}),
    }
    results: dict[str, dict[str, Any]] = {}
    try:
        with httpx.Client(base_url=url, timeout=300) as client:
            write = {"Content-Type": "text/turtle", "Authorization": f"Bearer {admin}"}
            for name, (path, headers) in endpoints.items():
                cold: list[float] = []
                for _ in range(args.cold):
                    assert client.put("/institutions/zeehaven", content=bump, headers=write).status_code in (
                        200,
                        201,
                    )
                    t0 = time.perf_counter()
                    response = client.get(path, headers=headers)
                    cold.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, (path, response.status_code, response.text[:300])
                warm: list[float] = []
                for _ in range(args.warm):
                    t0 = time.perf_counter()
                    response = client.get(path, headers=headers)
                    warm.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200
                results[name] = {
                    "path": path,
                    "cold_median_ms": statistics.median(cold),
                    "cold_p95_ms": percentile(cold, 0.95),
                    "warm_median_ms": statistics.median(warm),
                    "warm_p95_ms": percentile(warm, 0.95),
                    "bytes": len(response.content),
                }
                cold_ms = (results[name]["cold_median_ms"], results[name]["cold_p95_ms"])
                warm_ms = (results[name]["warm_median_ms"], results[name]["warm_p95_ms"])
                print(
                    f"{name:32s} cold {cold_ms[0]:8.1f} / {cold_ms[1]:8.1f} ms"
                    f"   warm {warm_ms[0]:6.1f} / {warm_ms[1]:6.1f} ms",
                    flush=True,
                )
    finally:
        process.terminate()
        process.wait(timeout=30)

    meta = {
        "institutions": args.institutions,
        "roles_per_institution": args.roles,
        "triples": triples,
        "store_load_s": round(load_s, 2),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "cold_runs": args.cold,
        "warm_runs": args.warm,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "alignment.json").write_text(json.dumps({"meta": meta, "endpoints": results}, indent=2) + "\n")
    lines = [
        "# Alignment views: latency",
        "",
        f"{args.institutions} synthetic institutions x {args.roles} roles ({triples} triples in the "
        f"institution graphs), embedded store, one `vocab-service serve` process, requests over loopback "
        f"HTTP with httpx. "
        f"Python {meta['python']}, {meta['cpus']} CPUs. Produced by `benchmarks/bench_alignment.py`.",
        "",
        f"*Cold*: the first request after a write, while the shared inputs are being prepared again in "
        f"the background ({args.cold} runs). "
        f"*Warm*: answered from the cache kept per store generation ({args.warm} runs).",
        "",
        "| endpoint | cold median ms | cold p95 ms | warm median ms | warm p95 ms | response bytes |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} (`{r['path'].split('?')[0]}`) | {r['cold_median_ms']:.1f} | {r['cold_p95_ms']:.1f} | "
            f"{r['warm_median_ms']:.1f} | {r['warm_p95_ms']:.1f} | {r['bytes']} |"
        )
    (RESULTS / "alignment.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS / 'alignment.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
