"""shapes/vocabulary.ttl: the vocabulary conforms, and each shape catches the break it is written for."""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH, SKOS
from rdflib.term import Node

ROOT = Path(__file__).resolve().parents[1]
SHAPES_FILE = ROOT / "shapes" / "vocabulary.ttl"
DOSH = Namespace("https://w3id.org/docentondersteuning/shapes/")
DOM = Namespace("https://w3id.org/docentondersteuning/model/")
EX = Namespace("https://example.org/test/")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


def validate(data: Graph, shapes: Graph) -> tuple[bool, Graph]:
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=False)
    return conforms, report


def path_key(graph: Graph, node: Node) -> Node | tuple:
    """A SHACL path as a comparable value: an IRI, or a nested tuple for a complex path."""
    if isinstance(node, URIRef):
        return node
    if (node, RDF.first, None) in graph:
        return ("sequence", *(path_key(graph, n) for n in Collection(graph, node)))
    for kind, predicate in (("inverse", SH.inversePath), ("oneOrMore", SH.oneOrMorePath),
                            ("zeroOrMore", SH.zeroOrMorePath)):
        value = graph.value(node, predicate)
        if value is not None:
            return (kind, path_key(graph, value))
    alternatives = graph.value(node, SH.alternativePath)
    if alternatives is not None:
        return ("alternative", *(path_key(graph, n) for n in Collection(graph, alternatives)))
    raise AssertionError(f"unknown path node {node}")


def results(report: Graph) -> set[tuple]:
    found = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        path = report.value(result, SH.resultPath)
        found.add((
            report.value(result, SH.sourceShape),
            report.value(result, SH.focusNode),
            path_key(report, path) if path is not None else None,
            report.value(result, SH.resultSeverity),
        ))
    return found


# --- The real vocabulary ------------------------------------------------------------------------------

def test_vocabulary_conforms_without_warnings(shapes: Graph, vocabulary: Graph) -> None:
    conforms, report = validate(vocabulary, shapes)
    assert conforms and results(report) == set(), report.serialize(format="turtle")


def test_institution_data_is_never_a_focus_node(shapes: Graph) -> None:
    for path in sorted((ROOT / "examples").glob("*.ttl")) + sorted((ROOT / "examples" / "invalid").glob("*.ttl")):
        conforms, report = validate(Graph().parse(path, format="turtle"), shapes)
        assert conforms and results(report) == set(), path.name


def test_every_shape_is_named_documented_and_bilingual(shapes: Graph) -> None:
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    property_shapes = set(shapes.subjects(RDF.type, SH.PropertyShape))
    assert node_shapes and property_shapes
    for shape in node_shapes | property_shapes:
        assert isinstance(shape, URIRef) and str(shape).startswith(str(DOSH) + "vocabulary-"), shape
        assert shapes.value(shape, RDFS.comment) is not None, shape
    for shape in property_shapes:
        assert shapes.value(shape, SH.severity) in (SH.Violation, SH.Warning), shape
        languages = {m.language for m in shapes.objects(shape, SH.message) if isinstance(m, Literal)}
        assert languages == {"nl", "en"}, shape
        comment = str(shapes.value(shape, RDFS.comment))
        assert comment.startswith("MUST" if shapes.value(shape, SH.severity) == SH.Violation else "SHOULD"), shape
    for shape in node_shapes:  # severities belong on property shapes only
        assert shapes.value(shape, SH.severity) is None, shape
        assert set(shapes.objects(shape, SH.property)) <= property_shapes
    targets = {o for s in node_shapes for p in (SH.targetClass, SH.targetNode) for o in shapes.objects(s, p)}
    assert not targets & {DOM.LocalRole, DOM.Institution}


# --- One broken snippet per shape ---------------------------------------------------------------------

PREFIXES = """
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix dom: <https://w3id.org/docentondersteuning/model/> .
@prefix ex: <https://example.org/test/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""


def concept(name: str, *extra: str, category: str = "dom:CoreNotion", omit: tuple[str, ...] = ()) -> str:
    """A fully documented concept ex:{name}; ``omit`` drops lines by their predicate and language."""
    lines = {
        "prefLabel@nl": f'skos:prefLabel "{name} nl"@nl',
        "prefLabel@en": f'skos:prefLabel "{name} en"@en',
        "definition@nl": f'skos:definition "Definitie van {name}."@nl',
        "definition@en": f'skos:definition "Definition of {name}."@en',
        "comment@nl": f'rdfs:comment "Uitleg van {name}."@nl',
        "comment@en": f'rdfs:comment "Explanation of {name}."@en',
        "inScheme": "skos:inScheme ex:scheme",
        "source": "dcterms:source ex:section",
    }
    body = [f"a skos:Concept , {category}"]
    body += [line for key, line in lines.items() if key not in omit]
    body += list(extra)
    return f"ex:{name} " + " ;\n    ".join(body) + " .\n"


def base_vocabulary(**overrides: str) -> str:
    """A small valid vocabulary: A is the top concept, B and T are narrower than A, S is a top scope."""
    parts = {
        "scheme": "ex:scheme a skos:ConceptScheme ; skos:hasTopConcept ex:A , ex:S .\n",
        "A": concept("A", "skos:topConceptOf ex:scheme", "skos:narrower ex:B , ex:T"),
        "B": concept("B", "skos:broader ex:A"),
        "T": concept("T", "skos:broader ex:A", "dom:atScope ex:S", category="dom:Task"),
        "S": concept("S", "skos:topConceptOf ex:scheme", category="dom:Scope"),
    }
    parts.update(overrides)
    return PREFIXES + "".join(parts.values())


V, W = SH.Violation, SH.Warning
CASES = {
    "prefLabel-one-per-language": (
        {"B": concept("B", "skos:broader ex:A", 'skos:prefLabel "B tweede"@nl')},
        {(DOSH["vocabulary-prefLabel-one-per-language"], EX.B, SKOS.prefLabel, V)}),
    "prefLabel-nl": (
        {"B": concept("B", "skos:broader ex:A", omit=("prefLabel@nl",))},
        {(DOSH["vocabulary-prefLabel-nl"], EX.B, SKOS.prefLabel, V)}),
    "prefLabel-en": (
        {"B": concept("B", "skos:broader ex:A", omit=("prefLabel@en",))},
        {(DOSH["vocabulary-prefLabel-en"], EX.B, SKOS.prefLabel, V)}),
    "prefLabel-not-altLabel": (
        {"B": concept("B", "skos:broader ex:A", 'skos:altLabel "B nl"@nl')},
        {(DOSH["vocabulary-prefLabel-not-altLabel"], EX.B, SKOS.prefLabel, V)}),
    "prefLabel-not-hiddenLabel": (
        {"B": concept("B", "skos:broader ex:A", 'skos:hiddenLabel "B en"@en')},
        {(DOSH["vocabulary-prefLabel-not-hiddenLabel"], EX.B, SKOS.prefLabel, V)}),
    "altLabel-not-hiddenLabel": (
        {"B": concept("B", "skos:broader ex:A", 'skos:altLabel "Bee"@nl', 'skos:hiddenLabel "Bee"@nl')},
        {(DOSH["vocabulary-altLabel-not-hiddenLabel"], EX.B, SKOS.altLabel, V)}),
    "prefLabel-unique-in-scheme": (
        {"B": concept("B", "skos:broader ex:A", 'skos:prefLabel "A nl"@nl', omit=("prefLabel@nl",))},
        {(DOSH["vocabulary-prefLabel-unique-in-scheme"], focus,
          ("sequence", SKOS.prefLabel, ("inverse", SKOS.prefLabel)), V) for focus in (EX.A, EX.B)}),
    "definition-nl": (
        {"B": concept("B", "skos:broader ex:A", omit=("definition@nl",))},
        {(DOSH["vocabulary-definition-nl"], EX.B, SKOS.definition, V)}),
    "definition-en": (
        {"B": concept("B", "skos:broader ex:A", omit=("definition@en",))},
        {(DOSH["vocabulary-definition-en"], EX.B, SKOS.definition, V)}),
    "comment-nl": (
        {"B": concept("B", "skos:broader ex:A", omit=("comment@nl",))},
        {(DOSH["vocabulary-comment-nl"], EX.B, RDFS.comment, W)}),
    "comment-en": (
        {"B": concept("B", "skos:broader ex:A", omit=("comment@en",))},
        {(DOSH["vocabulary-comment-en"], EX.B, RDFS.comment, W)}),
    "in-scheme": (
        {"B": concept("B", "skos:broader ex:A", omit=("inScheme",))},
        {(DOSH["vocabulary-in-scheme"], EX.B, SKOS.inScheme, V)}),
    "source-missing": (
        {"B": concept("B", "skos:broader ex:A", omit=("source",))},
        {(DOSH["vocabulary-source"], EX.B, URIRef("http://purl.org/dc/terms/source"), V)}),
    "source-not-an-iri": (
        {"B": concept("B", "skos:broader ex:A", 'dcterms:source "§2"', omit=("source",))},
        {(DOSH["vocabulary-source"], EX.B, URIRef("http://purl.org/dc/terms/source"), V)}),
    "broader-no-cycle": (
        {"B": concept("B", "skos:broader ex:A , ex:C", "skos:narrower ex:C"),
         "C": concept("C", "skos:broader ex:B", "skos:narrower ex:B")},
        {(DOSH["vocabulary-broader-no-cycle"], focus, SKOS.broader, V) for focus in (EX.B, EX.C)}),
    "related-not-broader-or-narrower-transitive": (
        {"A": concept("A", "skos:topConceptOf ex:scheme", "skos:narrower ex:B , ex:T", "skos:related ex:B"),
         "B": concept("B", "skos:broader ex:A", "skos:related ex:A")},
        {(DOSH["vocabulary-related-not-broader-transitive"], EX.B, ("oneOrMore", SKOS.broader), V),
         (DOSH["vocabulary-related-not-narrower-transitive"], EX.A, ("oneOrMore", SKOS.narrower), V)}),
    "broader-has-narrower": (
        {"A": concept("A", "skos:topConceptOf ex:scheme", "skos:narrower ex:T")},
        {(DOSH["vocabulary-broader-has-narrower"], EX.B, ("inverse", SKOS.narrower), W)}),
    "related-symmetric": (
        {"B": concept("B", "skos:broader ex:A", "skos:related ex:T")},
        {(DOSH["vocabulary-related-symmetric"], focus, ("inverse", SKOS.related), W) for focus in (EX.B, EX.T)}),
    "no-orphan": (
        {"O": concept("O")},
        {(DOSH["vocabulary-no-orphan"], EX.O,
          ("alternative", SKOS.broader, SKOS.narrower, SKOS.related, SKOS.topConceptOf), W)}),
    "top-concept-no-broader": (
        {"A": concept("A", "skos:topConceptOf ex:scheme", "skos:narrower ex:B , ex:T , ex:S"),
         "S": concept("S", "skos:topConceptOf ex:scheme", "skos:broader ex:A", category="dom:Scope")},
        {(DOSH["vocabulary-top-concept-no-broader"], EX.S, SKOS.broader, V)}),
    "task-without-scope": (
        {"T": concept("T", "skos:broader ex:A", category="dom:Task")},
        {(DOSH["vocabulary-task-one-scope"], EX.T, DOM.atScope, V)}),
    "task-with-two-scopes": (
        {"T": concept("T", "skos:broader ex:A", "dom:atScope ex:S , ex:S2", category="dom:Task"),
         "S2": concept("S2", "skos:topConceptOf ex:scheme", category="dom:Scope")},
        {(DOSH["vocabulary-task-one-scope"], EX.T, DOM.atScope, V)}),
    "task-scope-not-a-scope": (
        {"T": concept("T", "skos:broader ex:A", "dom:atScope ex:B", category="dom:Task")},
        {(DOSH["vocabulary-task-one-scope"], EX.T, DOM.atScope, V)}),
}


def test_base_vocabulary_of_the_cases_conforms(shapes: Graph) -> None:
    conforms, report = validate(Graph().parse(data=base_vocabulary(), format="turtle"), shapes)
    assert conforms and results(report) == set(), report.serialize(format="turtle")


@pytest.mark.parametrize("case", sorted(CASES))
def test_shape_catches_its_break(shapes: Graph, case: str) -> None:
    overrides, expected = CASES[case]
    data = Graph().parse(data=base_vocabulary(**overrides), format="turtle")
    conforms, report = validate(data, shapes)
    assert results(report) == expected
    assert not conforms  # SHACL: any result, whatever its severity, means the data does not conform


def test_every_property_shape_has_a_case(shapes: Graph) -> None:
    covered = {shape for _, expected in CASES.values() for shape, *_ in expected}
    assert covered == set(shapes.subjects(RDF.type, SH.PropertyShape))

