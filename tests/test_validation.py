"""The role-description shapes and the validator: exact results per shape, the examples, mutated examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import EXAMPLES, ONTOLOGY, ROOT, SHAPES, parse_turtle_files
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from vocab_service.validation import TermIndex, Validator, compact, normalise, select_shapes

FIXTURES = ROOT / "tests" / "shapes"
DOM = "https://w3id.org/docentondersteuning/model/"
DOV = "https://w3id.org/docentondersteuning/concept/"
SHP = "https://w3id.org/docentondersteuning/shapes/role-"
SCHEMA = "https://schema.org/"
MAPPING_PATH = "|".join(f"<http://www.w3.org/2004/02/skos/core#{m}>"
                        for m in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch"))


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return parse_turtle_files(SHAPES)


@pytest.fixture(scope="module")
def validator(vocabulary: Graph, shapes: Graph) -> Validator:
    return Validator(vocabulary, shapes)


def load(path: Path) -> Graph:
    fmt = "json-ld" if path.suffix == ".jsonld" else "turtle"
    if fmt == "json-ld":
        from vocab_service.namespaces import Namespaces
        from vocab_service.parsing import parse_description

        context = json.loads((ONTOLOGY / "context.jsonld").read_text("utf-8"))
        return parse_description(path.read_bytes(), "application/ld+json", vocabulary=Graph(), ns=Namespaces(),
                                 context=context)
    return Graph().parse(path, format=fmt)


def triples(report) -> set[tuple[str, str | None, str | None, str, str]]:
    """(focus local name, path, value, severity, shape local name) of every result."""
    return {(r.focus_node.rsplit("/", 1)[-1], r.path, r.value, r.severity, r.source_shape.removeprefix(SHP))
            for r in report.results}


# file -> the exact results it must produce
INVALID = {
    "institution-name": {("inst", SCHEMA + "name", None, "violation", "institution-name")},
    "institution-identifier": {("inst", "http://purl.org/dc/terms/identifier", None, "violation",
                                "institution-identifier")},
    "institution-sector-missing": {("inst", DOM + "sector", None, "violation", "institution-sector")},
    "institution-sector-class": {("inst", DOM + "sector", DOV + "flexibiliteit", "violation", "institution-sector")},
    "institution-roles-class": {("inst", DOM + "hasLocalRole",
                                 "https://example.org/test/institution-roles-class/iets", "violation",
                                 "institution-roles-class")},
    "role-name": {("rol", SCHEMA + "name", None, "violation", "name")},
    "role-institution": {("rol", f"^<{DOM}hasLocalRole>", None, "violation", "institution")},
    "role-mapping-missing": {("rol", MAPPING_PATH, None, "violation", "mapping")},
    "role-mapping-unknown": {("rol", MAPPING_PATH, DOV + "icto-coch", "violation", "mapping")},
    "role-level": {("rol", DOM + "worksAtLevel", DOV + "teamniveau", "violation", "level")},
    "role-scope": {("rol", DOM + "servesScope", None, "violation", "scope"),
                   ("rol", DOM + "performsTask", DOV + "coachen-van-docenten", "warning", "task-scope")},
    "role-task-count": {("rol", DOM + "performsTask", None, "violation", "task-count")},
    "role-task-class": {("rol", DOM + "performsTask", DOV + "lesgeven", "violation", "task-class")},
    "role-teacher-support": {("rol", DOM + "performsTask", DOV + "onderwijslogistiek", "violation",
                              "teacher-support")},
    "role-task-scope": {("rol", DOM + "performsTask", DOV + "versterken-van-samenwerking-in-teams", "warning",
                         "task-scope")},
    "role-competency-count": {("rol", DOM + "requiresCompetency", None, "warning", "competency-count")},
    "role-competency-class": {("rol", DOM + "requiresCompetency", DOV + "mbo", "violation", "competency-class")},
    "role-strategic-organisation": {("rol", DOM + "performsTask", None, "info", "strategic-organisation")},
    "role-vocabulary-owned": {
        ("eigen-taak", str(RDF.type), DOM + "Task", "violation", "vocabulary-owned"),
        ("icto-coach", "http://www.w3.org/2004/02/skos/core#prefLabel", "Iets anders", "violation",
         "vocabulary-owned"),
        ("rol", DOM + "performsTask", "https://example.org/test/role-vocabulary-owned/eigen-taak", "violation",
         "task-class"),
    },
}


def test_every_shape_has_an_invalid_fixture(validator: Validator) -> None:
    shapes = {str(s).removeprefix(SHP) for s in validator.shapes.subjects(RDF.type, SH.PropertyShape)}
    covered = {shape for expected in INVALID.values() for *_, shape in expected}
    assert shapes | {"vocabulary-owned"} == covered
    assert {p.stem for p in (FIXTURES / "invalid").glob("*.ttl")} == set(INVALID)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_fixture_gives_exact_results(validator: Validator, name: str) -> None:
    report = validator.validate(load(FIXTURES / "invalid" / f"{name}.ttl"), lang="en")
    assert triples(report) == INVALID[name]
    assert report.conforms == (report.counts["violation"] == 0)
    assert report.has_violations == any(sev == "violation" for *_, sev, _ in INVALID[name])


@pytest.mark.parametrize("path", sorted((FIXTURES / "valid").glob("*.ttl")), ids=lambda p: p.stem)
def test_valid_fixture_has_no_results(validator: Validator, path: Path) -> None:
    report = validator.validate(load(path))
    assert report.results == [] and report.conforms
    assert report.counts == {"violation": 0, "warning": 0, "info": 0}


def test_batch_engine_matches_pyshacl(vocabulary: Graph, shapes: Graph, validator: Validator) -> None:
    """The batched SPARQL constraints give what pyshacl gives when it runs them itself (all fixtures at once)."""
    union = Graph()
    for path in sorted(FIXTURES.glob("*/*.ttl")):
        union += load(path)
    reference = Validator(vocabulary, shapes, engine="pyshacl").validate(union)
    assert triples(validator.validate(union)) == triples(reference)
    assert len(reference.results) == sum(len(v) for v in INVALID.values())


def test_messages_in_both_languages_with_values_named(validator: Validator) -> None:
    data = load(FIXTURES / "invalid" / "role-task-scope.ttl")
    nl = validator.validate(data, lang="nl").results[0].message
    en = validator.validate(data, lang="en").results[0].message
    assert "dov:versterken-van-samenwerking-in-teams" in nl and "reikwijdte dov:teamniveau ('teamniveau')" in nl
    assert "belongs to scope dov:teamniveau ('team level')" in en
    report = validator.validate(load(FIXTURES / "invalid" / "role-competency-class.ttl"), lang="en")
    assert report.results[0].message.startswith("dov:mbo ('")


def test_report_graph_is_a_shacl_report(validator: Validator) -> None:
    report = validator.validate(load(FIXTURES / "invalid" / "role-teacher-support.ttl"))
    graph = report.graph
    node = next(graph.subjects(RDF.type, SH.ValidationReport))
    assert graph.value(node, SH.conforms) == Literal(False)
    results = list(graph.objects(node, SH.result))
    assert len(results) == 1
    assert graph.value(results[0], SH.value) == URIRef(DOV + "onderwijslogistiek")
    assert graph.value(results[0], SH.sourceShape) == URIRef(SHP + "teacher-support")
    assert {m.language for m in graph.objects(results[0], SH.resultMessage)} == {"nl", "en"}
    assert json.loads(json.dumps(report.to_json()))["counts"]["violation"] == 1


def test_warnings_only_still_conform(validator: Validator) -> None:
    report = validator.validate(load(FIXTURES / "invalid" / "role-competency-count.ttl"))
    assert report.conforms and not report.has_violations and report.counts["warning"] == 1
    graph_conforms = report.graph.value(next(report.graph.subjects(RDF.type, SH.ValidationReport)), SH.conforms)
    assert graph_conforms == Literal(False)  # the SHACL report says so, as the SHACL spec asks


def test_suggestions_for_unknown_values(validator: Validator) -> None:
    report = validator.validate(load(FIXTURES / "invalid" / "role-mapping-unknown.ttl"), lang="nl")
    assert report.results[0].suggestions[0] == {"iri": DOV + "icto-coach", "label": "ICTO-coach"}
    level = validator.validate(load(FIXTURES / "invalid" / "role-level.ttl")).results[0]
    assert all(s["iri"].endswith("-niveau") for s in level.suggestions)  # only levels are suggested for a level


def test_vocabulary_shapes_are_not_applied(vocabulary: Graph, shapes: Graph) -> None:
    selected = select_shapes(shapes)
    assert all(str(s).startswith(SHP) for s in selected.subjects(RDF.type, SH.NodeShape))
    with pytest.raises(ValueError):
        Validator(vocabulary, Graph())


def test_term_index_matches_labels_accent_and_case_insensitively(vocabulary: Graph) -> None:
    index = TermIndex(vocabulary)
    assert normalise("Creëren  van-een Lerende cultuur") == "creeren van een lerende cultuur"
    assert index.lookup("icto coach") == DOV + "icto-coach"
    assert index.lookup("Coaching teachers") == DOV + "coachen-van-docenten"
    assert index.lookup("creeren van een lerende cultuur") == DOV + "creeren-van-een-lerende-cultuur"
    assert index.lookup("dov:mbo") == DOV + "mbo"
    assert index.lookup("niets") is None
    assert index.suggest("ICTO coch")[0]["iri"] == DOV + "icto-coach"
    assert compact(f"^<{DOM}hasLocalRole>") == "^dom:hasLocalRole"


# The examples and mutated copies of them ------------------------------------------------------------

EXAMPLE_FILES = sorted([*EXAMPLES.glob("*.ttl"), *EXAMPLES.glob("*.jsonld")])


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_examples_conform(validator: Validator, path: Path) -> None:
    report = validator.validate(load(path))
    assert report.counts["violation"] == 0, [r.message for r in report.results]


def _first_role(graph: Graph) -> URIRef:
    return sorted(s for s in graph.subjects(RDF.type, URIRef(DOM + "LocalRole")) if isinstance(s, URIRef))[0]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.ttl")), ids=lambda p: p.stem)
def test_mutated_examples_fail_as_expected(validator: Validator, path: Path) -> None:
    original = load(path)
    role = _first_role(original)
    institution = next(original.subjects(RDF.type, URIRef(DOM + "Institution")))

    no_level = Graph() + original
    no_level.remove((role, URIRef(DOM + "worksAtLevel"), None))
    report = validator.validate(no_level)
    assert {(r.focus_node, r.path, r.value, r.severity, r.source_shape) for r in report.results
            if r.severity == "violation"} == {(str(role), DOM + "worksAtLevel", None, "violation", SHP + "level")}

    unknown = Graph() + original
    task = sorted(unknown.objects(role, URIRef(DOM + "performsTask")))[0]
    unknown.remove((role, URIRef(DOM + "performsTask"), task))
    unknown.add((role, URIRef(DOM + "performsTask"), URIRef(DOV + "onbekende-taak")))
    report = validator.validate(unknown)
    violations = [r for r in report.results if r.severity == "violation"]
    assert [(r.focus_node, r.path, r.value, r.source_shape) for r in violations] == [
        (str(role), DOM + "performsTask", DOV + "onbekende-taak", SHP + "task-class")]

    no_sector = Graph() + original
    no_sector.remove((institution, URIRef(DOM + "sector"), None))
    report = validator.validate(no_sector)
    assert [(r.focus_node, r.path, r.value, r.source_shape) for r in report.results if r.severity == "violation"] \
        == [(str(institution), DOM + "sector", None, SHP + "institution-sector")]


@pytest.mark.parametrize("path", sorted((EXAMPLES / "invalid").glob("*.ttl")), ids=lambda p: p.stem)
def test_invalid_examples_have_one_violation(validator: Validator, path: Path) -> None:
    assert validator.validate(load(path)).counts["violation"] == 1
