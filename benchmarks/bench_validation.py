"""Validation latency and throughput, against the naive pyshacl call, in one run.

    .venv/bin/python benchmarks/bench_validation.py [--runs 30] [--naive-runs 5]

Measures, on this machine:
  * per-description latency (median, p95) of ``Validator.validate`` for every example and for a 10-role
    description built from the examples (the issue's aim: median under 25 ms);
  * batch throughput over all examples (descriptions per second);
  * the naive call ``pyshacl.validate(data, shacl_graph=<shapes file>, ont_graph=<vocabulary files parsed>)``
    that re-parses the files on every call, and the ratio naive / prepared;
  * the prepared validator with every constraint run by pyshacl (``engine="pyshacl"``), for comparison.
Writes benchmarks/results/validation.md and validation.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pyshacl
from rdflib import RDF, Graph, URIRef

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from vocab_service.validation import Validator

ONTOLOGY = ROOT / "ontology"
SHAPES_FILE = ROOT / "shapes" / "role-description.ttl"
EXAMPLES = ROOT / "examples"
RESULTS = ROOT / "benchmarks" / "results"
DOM = "https://w3id.org/docentondersteuning/model/"


def load_vocabulary() -> Graph:
    graph = Graph()
    for path in sorted(ONTOLOGY.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def ten_roles(examples: list[Graph]) -> Graph:
    """One institution with 10 roles, copied from the examples' roles (renamed, re-attached)."""
    graph = Graph()
    institution = URIRef("https://example.org/instelling/bench")
    first = examples[0]
    source = next(first.subjects(RDF.type, URIRef(DOM + "Institution")))
    for p, o in first.predicate_objects(source):
        if str(p) != DOM + "hasLocalRole":
            graph.add((institution, p, o))
    count = 0
    for example in examples:
        for role in sorted(example.subjects(RDF.type, URIRef(DOM + "LocalRole"))):
            if count == 10:
                return graph
            renamed = URIRef(f"{institution}/rol/{count}")
            for p, o in example.predicate_objects(role):
                if str(p) != DOM + "inUnit":
                    graph.add((renamed, p, o))
            graph.add((institution, URIRef(DOM + "hasLocalRole"), renamed))
            count += 1
    return graph


def timings(fn: Any, runs: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def cpu_median(fn: Any, runs: int) -> float:
    """Median CPU time of this process per call: less disturbed by other processes than wall time."""
    fn()
    out = []
    for _ in range(runs):
        started = time.process_time()
        fn()
        out.append((time.process_time() - started) * 1000)
    return round(statistics.median(out), 2)


def summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"median_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2),
            "min_ms": round(ordered[0], 2), "runs": len(ordered)}


def naive(data: Graph) -> tuple[bool, int]:
    ontology = Graph()
    for path in sorted(ONTOLOGY.glob("*.ttl")):
        ontology.parse(path, format="turtle")
    conforms, report, _ = pyshacl.validate(data, shacl_graph=str(SHAPES_FILE), ont_graph=ontology,
                                           inference="none")
    from rdflib.namespace import SH

    return bool(conforms), len(list(report.subjects(RDF.type,
                                                   SH.ValidationResult)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--naive-runs", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    vocabulary = load_vocabulary()
    shapes = Graph().parse(SHAPES_FILE, format="turtle")
    validator = Validator(vocabulary, shapes)
    prepare_ms = (time.perf_counter() - started) * 1000
    reference = Validator(vocabulary, shapes, engine="pyshacl")

    files = sorted(EXAMPLES.glob("*.ttl"))
    examples = [Graph().parse(path, format="turtle") for path in files]
    big = ten_roles(examples)

    per_example: dict[str, Any] = {}
    all_ms: list[float] = []
    for path, graph in zip(files, examples, strict=True):
        ms = timings(lambda g=graph: validator.validate(g), args.runs)
        all_ms.extend(ms)
        roles = len(set(graph.subjects(RDF.type, URIRef(DOM + "LocalRole"))))
        per_example[path.stem] = {"roles": roles, "triples": len(graph), **summary(ms)}

    ten = summary(timings(lambda: validator.validate(big), args.runs))
    ten["cpu_median_ms"] = cpu_median(lambda: validator.validate(big), args.runs)
    ten_reference = summary(timings(lambda: reference.validate(big), max(3, args.naive_runs)))
    ten_naive = summary(timings(lambda: naive(big), args.naive_runs))
    naive_conforms, naive_results = naive(big)
    ours = validator.validate(big)

    batch_started = time.perf_counter()
    rounds = max(1, args.runs // 5)
    for _ in range(rounds):
        for graph in examples:
            validator.validate(graph)
    batch_s = time.perf_counter() - batch_started
    throughput = rounds * len(examples) / batch_s

    naive_example_ms = summary(timings(lambda: naive(examples[0]), args.naive_runs))
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "pyshacl": pyshacl.__version__,
                    "load_average": list(os.getloadavg())},
        "prepare_ms": round(prepare_ms, 1),
        "examples": per_example,
        "all_examples": summary(all_ms),
        "ten_roles": {"triples": len(big), "prepared": ten, "prepared_all_in_pyshacl": ten_reference,
                      "naive": ten_naive, "ratio_naive_over_prepared": round(ten_naive["median_ms"] / ten["median_ms"], 1),
                      "results_prepared": len(ours.results), "results_naive": naive_results,
                      "naive_conforms": naive_conforms, "prepared_conforms": ours.conforms},
        "naive_first_example": naive_example_ms,
        "batch": {"descriptions": rounds * len(examples), "seconds": round(batch_s, 3),
                  "per_second": round(throughput, 1)},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "validation.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    (RESULTS / "validation.md").write_text(render(result), "utf-8")
    print(render(result))
    return 0


def render(r: dict[str, Any]) -> str:
    t = r["ten_roles"]
    lines = [
        "# Validation benchmark",
        "",
        f"Machine: {r['machine']['cpus']} CPUs, Python {r['machine']['python']}, pyshacl {r['machine']['pyshacl']}, "
        f"load average at the end {', '.join(f'{x:.2f}' for x in r['machine']['load_average'])} "
        "(other work was running on the machine). Written by `benchmarks/bench_validation.py`.",
        "",
        f"Preparing the validator (parse vocabulary and shapes, select shapes, index labels): {r['prepare_ms']} ms, once.",
        "",
        "## 10-role description",
        "",
        f"{t['triples']} triples. Latency per call:",
        "",
        "| how | median ms | p95 ms | runs |",
        "| --- | ---: | ---: | ---: |",
        f"| `Validator.validate` (prepared; core constraints in pyshacl, SPARQL constraints batched) | "
        f"{t['prepared']['median_ms']} | {t['prepared']['p95_ms']} | {t['prepared']['runs']} |",
        f"| `Validator(engine=\"pyshacl\")` (prepared; every constraint in pyshacl) | "
        f"{t['prepared_all_in_pyshacl']['median_ms']} | {t['prepared_all_in_pyshacl']['p95_ms']} | "
        f"{t['prepared_all_in_pyshacl']['runs']} |",
        f"| naive `pyshacl.validate(data, shacl_graph=<file>, ont_graph=<files parsed>)` | "
        f"{t['naive']['median_ms']} | {t['naive']['p95_ms']} | {t['naive']['runs']} |",
        "",
        f"Naive / prepared (medians): **{t['ratio_naive_over_prepared']}x**. CPU time of the prepared call "
        f"(median, this process only): {t['prepared']['cpu_median_ms']} ms.",
        "",
        f"The naive call is also wrong: its `ont_graph` mix-in copies only RDFS/OWL axioms, not the concepts' "
        f"`rdf:type`, so every `sh:class` check fails: {t['results_naive']} results (conforms: "
        f"{t['naive_conforms']}) against {t['results_prepared']} (conforms: {t['prepared_conforms']}).",
        "",
        "## Examples",
        "",
        "| example | roles | triples | median ms | p95 ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, e in r["examples"].items():
        lines.append(f"| {name} | {e['roles']} | {e['triples']} | {e['median_ms']} | {e['p95_ms']} |")
    a = r["all_examples"]
    lines += [
        f"| all | | | {a['median_ms']} | {a['p95_ms']} |",
        "",
        f"Naive call on the first example: median {r['naive_first_example']['median_ms']} ms.",
        "",
        f"Batch: {r['batch']['descriptions']} descriptions in {r['batch']['seconds']} s = "
        f"**{r['batch']['per_second']} descriptions/s** (one thread).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
