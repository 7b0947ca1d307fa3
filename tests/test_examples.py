"""The example institutions in examples/: Turtle and JSON-LD agree, and both follow the model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, SKOS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CONTEXT_URL = "https://w3id.org/docentondersteuning/context.jsonld"
DOM = Namespace("https://w3id.org/docentondersteuning/model/")
DOV = Namespace("https://w3id.org/docentondersteuning/concept/")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch)

IDS = sorted(p.stem for p in EXAMPLES.glob("*.ttl"))


@pytest.fixture(scope="module")
def vocab() -> Graph:
    graph = Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def local_context() -> dict:
    return json.loads((ROOT / "ontology" / "context.jsonld").read_text(encoding="utf-8"))["@context"]


def load_jsonld(path: Path, context: dict) -> Graph:
    """Parse an example with the local context put in place of its URL, so nothing is fetched."""
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["@context"] == CONTEXT_URL
    document["@context"] = context
    return Graph().parse(data=json.dumps(document), format="json-ld")


def turtle(institution_id: str) -> Graph:
    return Graph().parse(EXAMPLES / f"{institution_id}.ttl", format="turtle")


def test_there_are_enough_examples_in_every_sector() -> None:
    assert len(IDS) >= 8
    sectors = [turtle(i).value(URIRef(f"https://example.org/instelling/{i}"), DOM.sector) for i in IDS]
    for sector in ("mbo", "hbo", "wo"):
        assert sectors.count(DOV[sector]) >= 2, sector


@pytest.mark.parametrize("institution_id", IDS)
def test_turtle_and_jsonld_are_isomorphic(institution_id: str, local_context: dict) -> None:
    ttl = turtle(institution_id)
    jsonld = load_jsonld(EXAMPLES / f"{institution_id}.jsonld", local_context)
    assert len(ttl) > 0 and isomorphic(ttl, jsonld)


def test_every_jsonld_has_a_turtle_twin() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.jsonld")) == IDS


@pytest.mark.parametrize("institution_id", IDS)
def test_institution_follows_the_model(institution_id: str, vocab: Graph) -> None:
    graph = turtle(institution_id)
    both = graph + vocab
    base = f"https://example.org/instelling/{institution_id}"
    institution = URIRef(base)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", institution_id)
    assert set(graph.subjects(RDF.type, DOM.Institution)) == {institution}
    assert len(list(graph.objects(institution, SCHEMA.name))) == 1
    assert list(graph.objects(institution, DCTERMS.identifier)) == [Literal(institution_id)]
    assert isinstance(graph.value(institution, SCHEMA.url), URIRef)
    sectors = list(graph.objects(institution, DOM.sector))
    assert len(sectors) == 1 and (sectors[0], RDF.type, DOM.Sector) in vocab

    units = set(graph.objects(institution, ORG.hasUnit))
    assert units and units == set(graph.subjects(RDF.type, ORG.OrganizationalUnit))
    for unit in units:
        assert str(unit).startswith(base + "/eenheid/")
        assert (unit, ORG.unitOf, institution) in graph and graph.value(unit, SCHEMA.name) is not None

    roles = set(graph.objects(institution, DOM.hasLocalRole))
    assert 3 <= len(roles) <= 8 and roles == set(graph.subjects(RDF.type, DOM.LocalRole))
    ask = """ASK {
        ?role a dom:LocalRole .
        FILTER NOT EXISTS { ?role ?mapping ?target . ?target a dom:SupportRole .
                            VALUES ?mapping { skos:exactMatch skos:closeMatch skos:broadMatch skos:narrowMatch } }
    }"""
    assert not both.query(ask, initNs={"dom": DOM, "skos": SKOS}).askAnswer, "a role is not mapped to a SupportRole"
    for role in roles:
        assert str(role).startswith(base + "/rol/")
        assert graph.value(role, SCHEMA.name) is not None and graph.value(role, SCHEMA.description) is not None
        assert graph.value(role, DOM.inUnit) in units
        for predicate, category in ((DOM.worksAtLevel, DOM.Level), (DOM.servesScope, DOM.Scope),
                                    (DOM.performsTask, DOM.Task)):
            values = list(graph.objects(role, predicate))
            assert values, (role, predicate)
            assert all((v, RDF.type, category) in vocab for v in values), (role, predicate)
        assert all((c, RDF.type, DOM.Competency) in vocab for c in graph.objects(role, DOM.requiresCompetency))
        for mapping in MAPPINGS:
            assert all((t, RDF.type, DOM.SupportRole) in vocab for t in graph.objects(role, mapping))


def test_most_roles_name_competencies() -> None:
    roles = [(i, r) for i in IDS for r in turtle(i).subjects(RDF.type, DOM.LocalRole)]
    with_competencies = [r for i, r in roles if turtle(i).value(r, DOM.requiresCompetency) is not None]
    assert len(with_competencies) >= 0.9 * len(roles)


def overlaps_and_gaps(institution_id: str, vocab: Graph) -> tuple[set[URIRef], set[URIRef]]:
    graph = turtle(institution_id)
    units_per_task: dict[URIRef, set] = {}
    for role in graph.subjects(RDF.type, DOM.LocalRole):
        for task in graph.objects(role, DOM.performsTask):
            units_per_task.setdefault(task, set()).add(graph.value(role, DOM.inUnit))
    overlaps = {t for t, units in units_per_task.items() if len(units) > 1}
    gaps = set(vocab.subjects(RDF.type, DOM.Task)) - set(units_per_task)
    return overlaps, gaps


def test_designed_overlaps_and_gaps_exist(vocab: Graph) -> None:
    found = {i: overlaps_and_gaps(i, vocab) for i in IDS}
    assert sum(1 for overlaps, _ in found.values() if overlaps) >= 3
    assert sum(1 for overlaps, _ in found.values() if not overlaps) >= 3
    assert all(gaps for _, gaps in found.values())


def test_readme_lists_every_institution_and_its_overlaps(vocab: Graph) -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for institution_id in IDS:
        assert f"`{institution_id}`" in readme
        overlaps, gaps = overlaps_and_gaps(institution_id, vocab)
        section = readme.split(f"### `{institution_id}`", 1)[1].split("\n### ", 1)[0]
        for task in overlaps | gaps:
            assert f"`{str(task).rsplit('/', 1)[1]}`" in section, (institution_id, task)


def test_mapping_kinds_and_units_vary_across_examples() -> None:
    graphs = [turtle(i) for i in IDS]
    used = {p for g in graphs for p in MAPPINGS if any(g.subject_objects(p))}
    assert used == set(MAPPINGS)
    names = {str(n) for g in graphs for u in g.subjects(RDF.type, ORG.OrganizationalUnit) for n in g.objects(u, SCHEMA.name)}
    assert sum(1 for n in names if "Teaching" in n or "Onderwijs en Leren" in n) >= 3  # CTLs under various names


# --- Deliberately invalid examples --------------------------------------------------------------------

def test_invalid_examples_break_what_their_name_says(vocab: Graph) -> None:
    invalid = EXAMPLES / "invalid"
    assert sorted(p.name for p in invalid.glob("*.ttl")) == [
        "alleen-roostering.ttl", "onbekende-taak.ttl", "ontbrekende-sector.ttl"]

    graph = Graph().parse(invalid / "onbekende-taak.ttl", format="turtle")
    tasks = set(graph.objects(None, DOM.performsTask))
    assert tasks and not any((t, None, None) in vocab for t in tasks)

    graph = Graph().parse(invalid / "ontbrekende-sector.ttl", format="turtle")
    institution = next(graph.subjects(RDF.type, DOM.Institution))
    assert graph.value(institution, DOM.sector) is None

    graph = Graph().parse(invalid / "alleen-roostering.ttl", format="turtle")
    assert set(graph.objects(None, DOM.performsTask)) == {DOV.roostering}
    assert (DOV.roostering, RDF.type, DOM.EducationSupportProcess) in vocab
    assert (DOV.roostering, RDF.type, DOM.Task) not in vocab


@pytest.mark.parametrize("institution_id", IDS)
def test_roles_serve_the_scopes_of_their_tasks(institution_id: str, vocab: Graph) -> None:
    graph = turtle(institution_id)
    for role in graph.subjects(RDF.type, DOM.LocalRole):
        scopes = set(graph.objects(role, DOM.servesScope))
        for task in graph.objects(role, DOM.performsTask):
            assert vocab.value(task, DOM.atScope) in scopes, (role, task)
