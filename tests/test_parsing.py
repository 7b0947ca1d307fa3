"""Reading uploaded descriptions: every format, refusals before parsing, error positions, the CSV template."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES, ONTOLOGY
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from vocab_service.errors import InputError, UnsupportedMediaType
from vocab_service.namespaces import Namespaces
from vocab_service.parsing import (
    CSV_COLUMNS,
    MEDIA_TYPES,
    csv_template,
    media_type_for_path,
    normalise_media_type,
    parse_description,
)
from vocab_service.validation import UNKNOWN_TERM_PREFIX

DOM = "https://w3id.org/docentondersteuning/model/"
DOV = "https://w3id.org/docentondersteuning/concept/"
NS = Namespaces()


@pytest.fixture
def parse(vocabulary: Graph, context: dict):
    def _parse(body: bytes | str, media_type: str) -> Graph:
        data = body.encode("utf-8") if isinstance(body, str) else body
        return parse_description(data, media_type, vocabulary=vocabulary, ns=NS, context=context)

    return _parse


TURTLE = f"""@prefix dom: <{DOM}> . @prefix dov: <{DOV}> .
<https://example.org/i> a dom:Institution ; dom:sector dov:mbo ; dom:hasLocalRole <https://example.org/i/r> .
<https://example.org/i/r> a dom:LocalRole ; <https://schema.org/name> "Rol"@nl ; dom:performsTask dov:roostering .
"""


def test_turtle_ntriples_rdfxml_and_jsonld_give_the_same_graph(parse) -> None:
    expected = Graph().parse(data=TURTLE, format="turtle")
    assert isomorphic(parse(TURTLE, "text/turtle; charset=utf-8"), expected)
    assert isomorphic(parse(expected.serialize(format="nt"), "application/n-triples"), expected)
    assert isomorphic(parse(expected.serialize(format="xml"), "application/rdf+xml"), expected)
    assert isomorphic(parse(expected.serialize(format="json-ld"), "application/ld+json"), expected)


@pytest.mark.parametrize("name", ["zeehaven", "rivierland"])
def test_example_jsonld_with_the_context_url_equals_the_turtle(parse, name: str) -> None:
    turtle = parse((EXAMPLES / f"{name}.ttl").read_bytes(), "text/turtle")
    jsonld = parse((EXAMPLES / f"{name}.jsonld").read_bytes(), "application/ld+json")
    assert isomorphic(turtle, jsonld)


def test_plain_json_gets_the_project_context(parse) -> None:
    body = {"id": "https://example.org/i", "type": "Institution", "name": "ROC", "sector": "dov:mbo",
            "roles": [{"id": "https://example.org/i/r", "type": "LocalRole", "tasks": ["dov:roostering"]}]}
    graph = parse(json.dumps(body), "application/json")
    assert (URIRef("https://example.org/i/r"), URIRef(DOM + "performsTask"), URIRef(DOV + "roostering")) in graph
    as_list = parse(json.dumps([body]), "application/json")
    assert isomorphic(graph, as_list)


@pytest.mark.parametrize("context_of", [
    lambda url: url,
    lambda url: [url],
    lambda url: [{"x": "http://x/"}, url],
    lambda url: {"p": {"@id": "http://p/", "@context": url}},
    lambda url: {"@import": url},
])
def test_remote_context_or_import_is_refused_without_fetching(parse, listener, context_of) -> None:
    url = listener.url + "/context.jsonld"
    body = {"@context": context_of(url), "@id": "https://example.org/i", "p": {"@id": "https://example.org/x"}}
    with pytest.raises(InputError) as info:
        parse(json.dumps(body), "application/ld+json")
    assert info.value.status == 400
    time.sleep(0.2)
    assert listener.hits == []


def test_nested_remote_context_in_a_node_is_refused(parse, listener) -> None:
    url = listener.url + "/context.jsonld"
    body = {"@id": "https://example.org/i", "roles": [{"@context": url, "@id": "https://example.org/r"}]}
    with pytest.raises(InputError, match="not fetched"):
        parse(json.dumps(body), "application/ld+json")
    time.sleep(0.2)
    assert listener.hits == []


@pytest.mark.parametrize("ref", ["context.jsonld", "file:///etc/passwd", "/etc/passwd"])
def test_local_file_contexts_are_refused(parse, ref: str) -> None:
    with pytest.raises(InputError):
        parse(json.dumps({"@context": ref, "@id": "https://example.org/i"}), "application/ld+json")


def test_deep_json_is_refused_not_crashing(parse) -> None:
    deep = '{"@id": "https://example.org/i", "http://p/": ' * 5000 + "1" + "}" * 5000
    with pytest.raises(InputError, match="nested too deeply"):
        parse(deep, "application/ld+json")
    with pytest.raises(InputError, match="nested too deeply"):
        parse("[" * 100_000 + "]" * 100_000, "application/json")


def test_json_syntax_error_has_line_and_column(parse) -> None:
    with pytest.raises(InputError) as info:
        parse('{\n  "name": "x",\n  "sector" "dov:mbo"\n}', "application/json")
    assert (info.value.line, info.value.column) == (3, 12)


def test_rdfxml_doctype_is_refused(parse) -> None:
    body = ('<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    with pytest.raises(InputError, match="DOCTYPE"):
        parse(body, "application/rdf+xml")


def test_entity_bomb_is_refused_quickly(parse) -> None:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    body = (f'<?xml version="1.0"?><!DOCTYPE r [{entities}]><rdf:RDF '
            'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="http://a">'
            '<p xmlns="http://p/">&j;</p></rdf:Description></rdf:RDF>')
    started = time.perf_counter()
    with pytest.raises(InputError):
        parse(body, "application/rdf+xml")
    assert time.perf_counter() - started < 0.5


def test_rdfxml_syntax_error_has_position(parse) -> None:
    body = ('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            '<rdf:Description rdf:about="http://a"></rdf:Descr>\n</rdf:RDF>')
    with pytest.raises(InputError) as info:
        parse(body, "application/rdf+xml")
    assert info.value.line == 3 and info.value.column is not None


@pytest.mark.parametrize(("body", "media_type", "line", "column"), [
    ("@prefix ex: <http://ex/> .\nex:a ex:b ex:c ;\n  ex:d .", "text/turtle", 3, 8),
    ("<http://a> <http://b> <http://c> .\n<http://a> <http://b> .\n", "application/n-triples", 2, 23),
])
def test_syntax_errors_have_line_and_column(parse, body: str, media_type: str, line: int, column: int) -> None:
    with pytest.raises(InputError) as info:
        parse(body, media_type)
    assert (info.value.line, info.value.column) == (line, column)
    assert info.value.extra["line"] == line


def test_huge_input_is_not_echoed(parse) -> None:
    body = "<http://a> <http://b> " + '"' + "x" * 100_000
    with pytest.raises(InputError) as info:
        parse(body, "text/turtle")
    assert len(info.value.detail) < 1000


def test_invalid_utf8_and_empty_input(parse) -> None:
    with pytest.raises(InputError, match="UTF-8") as info:
        parse(b"<http://a> <http://b> \"caf\xe9\" .", "text/turtle")
    assert info.value.line == 1
    with pytest.raises(InputError, match="empty"):
        parse(b"  \n", "text/turtle")


def test_unsupported_media_types(parse) -> None:
    with pytest.raises(UnsupportedMediaType) as info:
        parse("x", "text/plain")
    assert info.value.status == 415 and "text/turtle" in info.value.detail
    with pytest.raises(UnsupportedMediaType):
        normalise_media_type("text/turtle; charset=latin-1")
    assert set(MEDIA_TYPES) >= {"text/turtle", "application/ld+json", "text/csv"}
    assert media_type_for_path("a/b.JSONLD") == "application/ld+json"
    with pytest.raises(UnsupportedMediaType):
        media_type_for_path("notes.txt")


def test_deep_turtle_collections_are_handled(parse) -> None:
    graph = parse("<http://a> <http://b> " + "(" * 5_000 + ")" * 5_000 + " .", "text/turtle")
    assert len(graph) > 5_000


# CSV ----------------------------------------------------------------------------------------------------

def test_csv_template_parses_and_resolves_labels(parse) -> None:
    template = csv_template()
    assert template.splitlines()[0].split(",") == list(CSV_COLUMNS)
    graph = parse(template, "text/csv")
    role = URIRef(NS.base + "institution/zeehaven/role/ict-coach")
    assert (role, URIRef("http://www.w3.org/2004/02/skos/core#exactMatch"), URIRef(DOV + "icto-coach")) in graph
    assert set(graph.objects(role, URIRef(DOM + "servesScope"))) == {
        URIRef(DOV + "individueel-niveau"), URIRef(DOV + "teamniveau")}


def test_csv_labels_in_both_languages_slugs_and_iris(parse) -> None:
    body = ("institution_id;institution_name;sector;role_title;mapping_kind;vocabulary_role;levels;scopes;tasks;"
            "competencies\n"
            f'zeehaven;ROC;MBO;Coach;close;ICTO Coach;"Operational level; tactisch-niveau";'
            f'"{DOV}teamniveau";"coaching teachers; Créëren van een lerende cultuur";dov:flexibiliteit\n')
    graph = parse(body, "text/csv")
    role = URIRef(NS.base + "institution/zeehaven/role/coach")
    assert set(graph.objects(role, URIRef(DOM + "worksAtLevel"))) == {
        URIRef(DOV + "operationeel-niveau"), URIRef(DOV + "tactisch-niveau")}
    assert set(graph.objects(role, URIRef(DOM + "performsTask"))) == {
        URIRef(DOV + "coachen-van-docenten"), URIRef(DOV + "creeren-van-een-lerende-cultuur")}
    assert (role, URIRef("http://www.w3.org/2004/02/skos/core#closeMatch"), URIRef(DOV + "icto-coach")) in graph


def test_csv_unknown_label_is_reported_with_a_suggestion(parse, vocabulary: Graph) -> None:
    from vocab_service.validation import Validator

    shapes = Graph().parse(ONTOLOGY.parent / "shapes" / "role-description.ttl")
    body = csv_template().replace("coachen van docenten", "Coachen van docent")
    report = Validator(vocabulary, shapes).validate(parse(body, "text/csv"), lang="en")
    [result] = report.results
    assert result.value == UNKNOWN_TERM_PREFIX + "Coachen%20van%20docent"
    assert result.severity == "violation" and result.path == DOM + "performsTask"
    assert result.suggestions[0]["iri"] == DOV + "coachen-van-docenten"
    assert "'Coachen van docent'" in result.message


@pytest.mark.parametrize(("body", "fragment", "line", "column"), [
    ("institution_id,role_title,levle\nz,Coach,x\n", "unknown CSV column", 1, 3),
    ("institution_id,role_title,mapping_kind\nz,Coach,exactly\n", "mapping_kind", 2, 3),
    ("institution_id,role_title\nZee Haven,Coach\n", "institution_id", 2, 1),
    ("institution_id,role_title\nz,Coach\nz,Coach\n", "twice", 3, None),
    ("institution_id,role_title\n", "no rows", None, None),
    ("role_title\nCoach\n", "lacks the column", 1, None),
    ("institution_id,role_title,sector\nz,A,mbo\nz,B,hbo\n", "differs", 3, 3),
])
def test_csv_errors_name_row_and_column(parse, body: str, fragment: str, line, column) -> None:
    with pytest.raises(InputError, match=fragment) as info:
        parse(body, "text/csv")
    assert info.value.line == line
    if column is not None:
        assert info.value.column == column


def test_csv_with_bom_and_crlf(parse) -> None:
    graph = parse(b"\xef\xbb\xbf" + csv_template().encode("utf-8"), "text/csv")
    assert len(graph) > 10


def test_shipped_examples_parse(parse) -> None:
    for path in sorted(EXAMPLES.glob("*.*")):
        if path.suffix in (".ttl", ".jsonld"):
            assert len(parse(path.read_bytes(), media_type_for_path(path))) > 10, path


def test_template_file_name(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(csv_template())
    assert media_type_for_path(path) == "text/csv"
