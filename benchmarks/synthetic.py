"""Synthetic institution data in the role-description model (docs/model.md), as N-Quads.

Each institution goes to its own named graph ``{base}graph/institution/{id}``; the vocabulary terms it
points at are the real concept IRIs, read from ``ontology/``. Deterministic for a given seed.

    python benchmarks/synthetic.py --institutions 110 --roles 30 > synthetic.nq
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from rdflib import RDF, Graph, URIRef

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://w3id.org/docentondersteuning/"
MODEL = BASE + "model/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "https://schema.org/"
ORG = "http://www.w3.org/ns/org#"
DCTERMS = "http://purl.org/dc/terms/"
MATCHES = ("exactMatch", "exactMatch", "closeMatch", "broadMatch", "narrowMatch")
CATEGORIES = ("SupportRole", "Task", "Level", "Scope", "Competency", "Sector")


def vocabulary_terms(ontology: Path = ROOT / "ontology") -> dict[str, list[str]]:
    graph = Graph()
    for path in sorted(ontology.glob("*.ttl")):
        graph.parse(path)
    terms = {c: sorted(str(s) for s in graph.subjects(RDF.type, URIRef(MODEL + c))) for c in CATEGORIES}
    missing = [c for c, found in terms.items() if not found]
    if missing:
        raise SystemExit(f"no concepts of {', '.join(missing)} in {ontology}")
    return terms


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"@nl'


def institution_quads(index: int, roles: int, terms: dict[str, list[str]], rng: random.Random) -> list[str]:
    ident = f"synth-{index:05d}"
    graph = f"<{BASE}graph/institution/{ident}>"
    inst = f"https://example.org/instelling/{ident}"
    out: list[str] = []

    def q(s: str, p: str, o: str) -> None:
        out.append(f"<{s}> <{p}> {o} {graph} .")

    q(inst, RDF.type, f"<{MODEL}Institution>")
    q(inst, SCHEMA + "name", _lit(f"Instelling {index}"))
    q(inst, DCTERMS + "identifier", f'"{ident}"')
    q(inst, MODEL + "sector", f"<{rng.choice(terms['Sector'])}>")
    units = [f"{inst}/eenheid/{u}" for u in range(max(1, roles // 10))]
    for number, unit in enumerate(units):
        q(inst, ORG + "hasUnit", f"<{unit}>")
        q(unit, RDF.type, f"<{ORG}OrganizationalUnit>")
        q(unit, SCHEMA + "name", _lit(f"Eenheid {number}"))
        q(unit, ORG + "unitOf", f"<{inst}>")
    for number in range(roles):
        role = f"{inst}/rol/{number}"
        q(inst, MODEL + "hasLocalRole", f"<{role}>")
        q(role, RDF.type, f"<{MODEL}LocalRole>")
        q(role, SCHEMA + "name", _lit(f"Rol {number} van instelling {index}"))
        q(role, SCHEMA + "description", _lit(f"Ondersteunt docenten ({index}/{number})."))
        q(role, MODEL + "inUnit", f"<{rng.choice(units)}>")
        if rng.random() < 0.9:
            q(role, SKOS + rng.choice(MATCHES), f"<{rng.choice(terms['SupportRole'])}>")
        q(role, MODEL + "worksAtLevel", f"<{rng.choice(terms['Level'])}>")
        for scope in rng.sample(terms["Scope"], rng.randint(1, 2)):
            q(role, MODEL + "servesScope", f"<{scope}>")
        for task in rng.sample(terms["Task"], rng.randint(2, 5)):
            q(role, MODEL + "performsTask", f"<{task}>")
        for competency in rng.sample(terms["Competency"], rng.randint(1, 3)):
            q(role, MODEL + "requiresCompetency", f"<{competency}>")
    return out


def generate(institutions: int, roles: int, seed: int = 1) -> bytes:
    terms = vocabulary_terms()
    rng = random.Random(seed)
    lines: list[str] = []
    for index in range(institutions):
        lines.extend(institution_quads(index, roles, terms, rng))
    return ("\n".join(lines) + "\n").encode()


def institutions_for(triples: int, roles: int = 30) -> int:
    """How many institutions of ``roles`` roles give about ``triples`` triples (about 15 per role)."""
    per_institution = len(institution_quads(0, roles, vocabulary_terms(), random.Random(1)))
    return max(1, round(triples / per_institution))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--institutions", type=int, default=110)
    parser.add_argument("--roles", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sys.stdout.buffer.write(generate(args.institutions, args.roles, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
