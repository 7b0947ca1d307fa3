"""Dereferencing term IRIs on the wire: the content-negotiation matrix against a real uvicorn process."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from conftest import BASE, ONTOLOGY, Server
from pyld import jsonld
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS

from vocab_service.namespaces import Namespaces
from vocab_service.representations import Publisher
from vocab_service.store import EmbeddedStore
from vocab_service.terms import ResourceCache

TERM = "/concept/icto-coach"
IRI = BASE + "concept/icto-coach"
FORMATS = {"ttl": ("text/turtle", "turtle"), "jsonld": ("application/ld+json", "json-ld"),
           "rdf": ("application/rdf+xml", "xml"), "nt": ("application/n-triples", "nt")}
OFFERED = ["text/html", "text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples"]

SMALL_VOCABULARY = """
@prefix dov: <https://w3id.org/docentondersteuning/concept/> .
@prefix dom: <https://w3id.org/docentondersteuning/model/> .
@prefix dos: <https://w3id.org/docentondersteuning/scheme/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
dos:docentondersteuning a skos:ConceptScheme ; skos:prefLabel "Docentondersteuning"@nl, "Teacher support"@en ;
    skos:hasTopConcept dov:icto-coach .
dom:SupportRole a owl:Class ; rdfs:subClassOf skos:Concept ; rdfs:label "Ondersteunende rol"@nl, "Support role"@en .
dov:icto-coach a dom:SupportRole ; skos:inScheme dos:docentondersteuning ; skos:topConceptOf dos:docentondersteuning ;
    skos:prefLabel "ICTO-coach"@nl, "ICTO coach"@en ; skos:definition "Helpt docenten met ICT."@nl .
dov:i-coach a dom:SupportRole ; skos:inScheme dos:docentondersteuning ; skos:prefLabel "I-coach"@nl, "I-coach"@en ;
    owl:deprecated true ; dcterms:isReplacedBy dov:icto-coach .
"""
INSTITUTION = (b'<https://example.org/instelling/zeehaven/rol/ict-coach> <https://schema.org/name> "ICT-coach"@nl .\n'
               b'<https://example.org/instelling/zeehaven/rol/ict-coach> '
               b'<http://www.w3.org/2004/02/skos/core#exactMatch> <' + IRI.encode() + b'> .\n')


def parse(response: httpx.Response, fmt: str) -> Graph:
    return Graph().parse(data=response.content, format=FORMATS[fmt][1], publicID=IRI)


# Negotiation ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("accept", "media_type", "extension"), [
    (None, "text/html", "html"),
    ("*/*", "text/html", "html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html", "html"),
    ("text/turtle", "text/turtle", "ttl"),
    ("application/ld+json", "application/ld+json", "jsonld"),
    ("application/rdf+xml", "application/rdf+xml", "rdf"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("text/turtle;q=0.4, application/ld+json;q=0.8", "application/ld+json", "jsonld"),
    ("application/*", "application/ld+json", "jsonld"),
    ("text/html;q=0, */*;q=0.5", "text/turtle", "ttl"),
    ("image/png, application/rdf+xml;q=0.1", "application/rdf+xml", "rdf"),
])
def test_accept_matrix(client: httpx.Client, accept: str | None, media_type: str, extension: str) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = client.get(TERM, headers=headers)
    if accept is None:  # httpx sends */* by default: check the same with no header at all
        response = client.get(TERM, headers={"Accept": ""})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.headers["content-location"] == f"{TERM}.{extension}"
    assert "Accept" in response.headers["vary"]
    links = response.headers["link"]
    for ext, (other, _) in FORMATS.items():
        if ext != extension:
            assert f'<{TERM}.{ext}>; rel="alternate"; type="{other}"' in links
    assert f"type=\"{media_type}\"" not in links


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdf", "nt", "html"])
def test_format_parameter_and_document_urls(client: httpx.Client, fmt: str) -> None:
    by_param = client.get(TERM, params={"format": fmt}, headers={"Accept": "image/png"})
    document = client.get(f"{TERM}.{fmt}", headers={"Accept": "image/png"})
    for response in (by_param, document):
        assert response.status_code == 200
    assert by_param.content == document.content
    assert by_param.headers["etag"] == document.headers["etag"]
    assert "content-location" not in document.headers


def test_unknown_format_parameter_is_400(client: httpx.Client) -> None:
    response = client.get(TERM, params={"format": "png"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_406_lists_offered_types(client: httpx.Client) -> None:
    response = client.get(TERM, headers={"Accept": "image/png, text/csv;q=0.5"})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["offered"] == OFFERED
    assert response.headers["vary"] == "Accept"


@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "application/ld+json", "application/rdf+xml",
                                    "application/n-triples"])
def test_etag_and_304(client: httpx.Client, accept: str) -> None:
    first = client.get(TERM, headers={"Accept": accept})
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = client.get(TERM, headers={"Accept": accept, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    other = client.get(TERM, headers={"Accept": accept, "If-None-Match": '"something-else"'})
    assert other.status_code == 200
    star = client.get(TERM, headers={"Accept": accept, "If-None-Match": "*"})
    assert star.status_code == 304
    listed = client.get(TERM, headers={"Accept": accept, "If-None-Match": f'"x", W/{etag}'})
    assert listed.status_code == 304  # If-None-Match uses the weak comparison


def test_etags_differ_per_representation(client: httpx.Client) -> None:
    etags = {client.get(f"{TERM}.{ext}").headers["etag"] for ext in ("ttl", "jsonld", "rdf", "nt")}
    etags |= {client.get(TERM, params={"lang": lang}).headers["etag"] for lang in ("nl", "en")}
    assert len(etags) == 6


def test_cache_control(client: httpx.Client) -> None:
    assert client.get(TERM, headers={"Accept": "text/turtle"}).headers["cache-control"] == "public, max-age=3600"


@pytest.mark.parametrize("accept", ["text/html", "text/turtle"])
def test_head(client: httpx.Client, accept: str) -> None:
    get = client.get(TERM, headers={"Accept": accept})
    head = client.head(TERM, headers={"Accept": accept})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["etag"] == get.headers["etag"]
    assert client.head(TERM, params={"format": "nt"}).headers["content-type"].startswith("application/n-triples")


def test_cors(client: httpx.Client) -> None:
    response = client.get(TERM, headers={"Accept": "text/turtle", "Origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = response.headers["access-control-expose-headers"]
    for name in ("ETag", "Link", "Content-Location"):
        assert name in exposed
    preflight = client.options(TERM, headers={"Origin": "https://example.org",
                                              "Access-Control-Request-Method": "GET",
                                              "Access-Control-Request-Headers": "accept"})
    assert preflight.status_code == 204
    assert "GET" in preflight.headers["access-control-allow-methods"]


def test_language_of_html(client: httpx.Client) -> None:
    assert client.get(TERM, headers={"Accept-Language": "en-GB,en;q=0.8"}).headers["content-language"] == "en"
    assert client.get(TERM, headers={"Accept-Language": "nl"}).headers["content-language"] == "nl"
    chosen = client.get(TERM, params={"lang": "en"}, headers={"Accept-Language": "nl"})
    assert chosen.headers["content-language"] == "en"
    assert "lang=en" in chosen.headers["set-cookie"]
    assert chosen.headers["cache-control"].startswith("private")
    remembered = client.get(TERM, headers={"Accept-Language": "nl", "Cookie": "theme=dark; lang=en"})
    assert remembered.headers["content-language"] == "en"


def test_request_id(client: httpx.Client, server: Server) -> None:
    echoed = client.get(TERM, headers={"X-Request-Id": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = client.get(TERM + "-nope", headers={"X-Request-Id": "bad id with spaces"})
    assert generated.headers["x-request-id"] not in ("", "bad id with spaces")
    lines = [json.loads(line) for line in server.flushed_log().splitlines() if line.startswith('{"ts"')]
    line = next(entry for entry in lines if entry["request_id"] == "abc-123")
    assert line["path"] == TERM and line["status"] == 200 and line["method"] == "GET"
    assert isinstance(line["duration_ms"], float)


# Content -------------------------------------------------------------------------------------------
def test_formats_parse_to_the_same_graph(client: httpx.Client) -> None:
    graphs = {fmt: parse(client.get(f"{TERM}.{fmt}"), fmt) for fmt in FORMATS}
    reference = graphs.pop("nt")
    assert len(reference) > 3
    for fmt, graph in graphs.items():
        assert isomorphic(graph, reference), fmt


def test_description_has_the_terms_triples_and_labels_of_what_it_points_to(client: httpx.Client) -> None:
    graph = parse(client.get(TERM, headers={"Accept": "text/turtle"}), "ttl")
    source = Graph()
    for path in ONTOLOGY.glob("*.ttl"):
        source.parse(path)
    term = URIRef(IRI)
    assert set(source.predicate_objects(term)) <= set(graph.predicate_objects(term))
    for obj in source.objects(term):
        if isinstance(obj, URIRef) and obj != term:
            for label in source.objects(obj, SKOS.prefLabel):
                assert (obj, SKOS.prefLabel, label) in graph


def test_jsonld_expands_without_network(client: httpx.Client) -> None:
    def refuse(url: str, options: dict[str, object] | None = None) -> dict[str, object]:
        raise AssertionError(f"pyld tried to fetch {url}")

    document = client.get(TERM, headers={"Accept": "application/ld+json"}).json()
    options = {"documentLoader": refuse}
    expanded = jsonld.expand(document, options)
    assert any(node.get("@id") == IRI for node in expanded)
    nquads = jsonld.to_rdf(document, {**options, "format": "application/n-quads"})
    reference = parse(client.get(f"{TERM}.nt"), "nt")
    assert isomorphic(Graph().parse(data=nquads, format="nt"), reference)


def test_unknown_term(client: httpx.Client) -> None:
    page = client.get("/concept/no-such-term", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    for accept in ("application/ld+json", "text/turtle"):
        problem = client.get("/concept/no-such-term", headers={"Accept": accept})
        assert problem.status_code == 404
        assert problem.headers["content-type"] == "application/problem+json"


def test_every_vocabulary_iri_dereferences(client: httpx.Client) -> None:
    source = Graph()
    for path in ONTOLOGY.glob("*.ttl"):
        source.parse(path)
    iris = sorted({str(s) for s in source.subjects() if isinstance(s, URIRef) and str(s).startswith(BASE)
                   and "#" not in str(s) and str(s) != BASE})
    assert iris
    for iri in iris:
        response = client.get("/" + iri[len(BASE):], headers={"Accept": "application/n-triples"})
        assert response.status_code == 200, iri
        graph = Graph().parse(data=response.content, format="nt")
        assert (URIRef(iri), None, None) in graph


def test_resource_endpoint(client: httpx.Client) -> None:
    response = client.get("/resource", params={"uri": IRI}, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert isomorphic(parse(response, "ttl"), parse(client.get(f"{TERM}.ttl"), "ttl"))
    missing = client.get("/resource", params={"uri": "https://example.org/nothing"},
                         headers={"Accept": "application/ld+json"})
    assert missing.status_code == 404


# Small vocabularies of our own ----------------------------------------------------------------------
@pytest.fixture
def small_server(make_server: type, tmp_path: Path) -> Server:
    ontology = tmp_path / "ontology"
    ontology.mkdir()
    (ontology / "vocabulary.ttl").write_text(SMALL_VOCABULARY)
    data = tmp_path / "data"
    store = EmbeddedStore(data / "store")
    store.replace_graph(Namespaces(BASE).institution_graph("zeehaven"), INSTITUTION)
    store.close()
    return make_server({"VOCAB_ONTOLOGY_DIR": str(ontology)}, data_dir=data)  # type: ignore[no-any-return]


def test_deprecated_term_links_its_successor(small_server: Server) -> None:
    response = httpx.get(small_server.url + "/concept/i-coach", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert '</concept/icto-coach>; rel="successor-version"' in response.headers["link"]


def test_resource_serves_institution_data(small_server: Server) -> None:
    uri = "https://example.org/instelling/zeehaven/rol/ict-coach"
    response = httpx.get(small_server.url + "/resource", params={"uri": uri, "format": "nt"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.content, format="nt")
    assert (URIRef(uri), SKOS.exactMatch, URIRef(IRI)) in graph
    assert (URIRef(IRI), SKOS.prefLabel, Literal("ICTO-coach", lang="nl")) in graph
    page = httpx.get(small_server.url + "/resource", params={"uri": uri}, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "ICT-coach" in page.text


def test_publisher_and_resources_follow_store_changes() -> None:
    ns = Namespaces(BASE)
    store = EmbeddedStore(None)
    publisher = Publisher(ns, 60, "nl")
    store.replace_graph(ns.vocabulary_graph, Graph().parse(data=SMALL_VOCABULARY).serialize(format="nt").encode())
    assert publisher.refresh(store.graph_ntriples(ns.vocabulary_graph))
    assert "/concept/icto-coach.ttl" in publisher.table
    assert not publisher.refresh(store.graph_ntriples(ns.vocabulary_graph))  # unchanged data: no rebuild
    resources = ResourceCache(store, ns, "nl")
    uri = "https://example.org/instelling/zeehaven/rol/ict-coach"
    assert resources.entry(uri, publisher.renderer, 60) is None
    store.replace_graph(ns.institution_graph("zeehaven"), INSTITUTION)
    entry = resources.entry(uri, publisher.renderer, 60)
    assert entry is not None and b"ICT-coach" in entry.rdf["text/turtle"].body
