"""The SPARQL 1.1 Protocol endpoint with real clients (SPARQLWrapper, rdflib's SPARQLStore), negotiation."""

from __future__ import annotations

import csv
import io
import json
import os
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
from conftest import BASE, Server
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, TSV, TURTLE, XML, SPARQLWrapper

from vocab_service.results import choose_graph_format, choose_result_format, negotiate
from vocab_service.sparql import load_examples

ICTO = BASE + "concept/icto-coach"
LABEL_QUERY = f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?label WHERE {{ <{ICTO}> skos:prefLabel ?label }} ORDER BY ?label"""
CONSTRUCT = f"CONSTRUCT {{ <{ICTO}> ?p ?o }} WHERE {{ <{ICTO}> ?p ?o }}"


# Negotiation: pure functions, one table per kind of format --------------------------------------

@pytest.mark.parametrize("accept, chosen", [
    (None, "json"),
    ("*/*", "json"),
    ("application/sparql-results+json", "json"),
    ("application/json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("application/xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
    ("text/csv;q=0.5, text/tab-separated-values", "tsv"),
    ("application/sparql-results+xml;q=0.9, application/sparql-results+json;q=0.8", "xml"),
    ("text/*", "csv"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),
    ("text/turtle", None),
    ("application/sparql-results+json;q=0", None),
])
def test_result_negotiation(accept: str | None, chosen: str | None) -> None:
    assert choose_result_format(accept, html=True) == chosen


@pytest.mark.parametrize("accept, chosen", [
    (None, "turtle"),
    ("*/*", "turtle"),
    ("text/turtle", "turtle"),
    ("application/n-triples", "ntriples"),
    ("application/rdf+xml", "rdfxml"),
    ("application/ld+json", "jsonld"),
    ("application/ld+json;q=0.4, text/turtle;q=0.3", "jsonld"),
    ("application/rdf+xml, text/turtle;q=0.9", "rdfxml"),
    ("application/sparql-results+json", None),
])
def test_graph_negotiation(accept: str | None, chosen: str | None) -> None:
    assert choose_graph_format(accept) == chosen


def test_negotiate_prefers_specific_ranges() -> None:
    assert negotiate("text/*;q=0.5, text/csv;q=0.1", ["text/csv", "text/plain"]) == "text/plain"
    assert negotiate("", ["a/b"]) == "a/b"


# Over the wire ------------------------------------------------------------------------------------

def dutch_label(server: Server) -> str:
    response = httpx.get(server.url + "/sparql", params={"query": LABEL_QUERY},
                         headers={"Accept": "application/sparql-results+json"})
    labels = [b["label"] for b in response.json()["results"]["bindings"]]
    return next(lbl["value"] for lbl in labels if lbl.get("xml:lang") == "nl")


@pytest.mark.parametrize("return_format", [JSON, XML, CSV, TSV])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select(server: Server, return_format: str, method: str) -> None:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(LABEL_QUERY)
    client.setReturnFormat(return_format)
    client.setMethod(method)
    result = client.query().convert()
    label = dutch_label(server)
    if return_format == JSON:
        assert label in [b["label"]["value"] for b in result["results"]["bindings"]]
    elif return_format == XML:
        assert label in result.toxml()
    elif return_format == CSV:
        rows = list(csv.reader(io.StringIO(result.decode())))
        assert rows[0] == ["label"] and [label] in rows[1:]
    else:
        lines = result.decode().splitlines()
        assert lines[0] == "?label" and f'"{label}"@nl' in lines[1:]


def test_sparqlwrapper_ask(server: Server) -> None:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(f"ASK {{ <{ICTO}> ?p ?o }}")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True


@pytest.mark.parametrize("accept, rdflib_format", [
    ("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/rdf+xml", "xml"),
    ("application/ld+json", "json-ld"),
])
def test_construct_formats(server: Server, accept: str, rdflib_format: str) -> None:
    response = httpx.post(server.url + "/sparql", data={"query": CONSTRUCT}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(accept)
    graph = Graph().parse(data=response.content, format=rdflib_format)
    reference = Graph().parse(data=httpx.post(server.url + "/sparql", data={"query": CONSTRUCT},
                                              headers={"Accept": "application/n-triples"}).content, format="nt")
    assert len(graph) > 5 and isomorphic(graph, reference)


@pytest.mark.parametrize("return_format", [XML, TURTLE, JSONLD])
def test_sparqlwrapper_construct(server: Server, return_format: str) -> None:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(CONSTRUCT)
    client.setReturnFormat(return_format)
    body = client.query().response.read()
    graph = Graph().parse(data=body, format={XML: "xml", TURTLE: "turtle", JSONLD: "json-ld"}[return_format])
    assert (URIRef(ICTO), None, None) in graph


def test_rdflib_sparqlstore(server: Server) -> None:
    store = SPARQLStore(server.url + "/sparql", returnFormat="json")
    graph = Graph(store=store)
    rows = list(graph.query(LABEL_QUERY))
    assert dutch_label(server) in [str(r[0]) for r in rows]
    assert any(URIRef(ICTO) == s for s, _, _ in graph.query(CONSTRUCT))
    for fmt in ("xml", "csv"):
        assert len(list(Graph(store=SPARQLStore(server.url + "/sparql", returnFormat=fmt)).query(LABEL_QUERY))) >= 1


def test_results_parse_with_oxigraph(client: httpx.Client) -> None:
    query = f"SELECT ?p ?o WHERE {{ <{ICTO}> ?p ?o }}"
    counts = set()
    for fmt, media in (("json", ox.QueryResultsFormat.JSON), ("xml", ox.QueryResultsFormat.XML),
                       ("tsv", ox.QueryResultsFormat.TSV)):
        response = client.get("/sparql", params={"query": query, "format": fmt})
        assert response.status_code == 200
        counts.add(len(list(ox.parse_query_results(response.content, format=media))))
    assert len(counts) == 1 and counts.pop() > 5


def test_direct_post_and_dataset_parameters(client: httpx.Client) -> None:
    vocabulary = BASE + "graph/vocabulary"
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    response = client.post("/sparql", params={"default-graph-uri": vocabulary}, content=query,
                           headers={"Content-Type": "application/sparql-query",
                                    "Accept": "application/sparql-results+json"})
    in_vocabulary = int(response.json()["results"]["bindings"][0]["n"]["value"])
    union = int(client.post("/sparql", data={"query": query}).json()["results"]["bindings"][0]["n"]["value"])
    assert 0 < in_vocabulary < union
    named = client.get("/sparql", params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                                          "named-graph-uri": vocabulary, "format": "json"})
    assert [b["g"]["value"] for b in named.json()["results"]["bindings"]] == [vocabulary]


def test_malformed_query_is_400_with_position(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert response.status_code == 400
    assert "1:" in response.json()["detail"]


def test_unacceptable_and_unsupported(client: httpx.Client) -> None:
    assert client.get("/sparql", params={"query": LABEL_QUERY}, headers={"Accept": "image/png"}).status_code == 406
    assert client.post("/sparql", content=LABEL_QUERY, headers={"Content-Type": "text/plain"}).status_code == 415


def test_truncation_is_announced(make_server) -> None:  # type: ignore[no-untyped-def]
    srv = make_server({"VOCAB_MAX_RESULT_ROWS": "3"})
    response = httpx.get(srv.url + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }", "format": "json"})
    assert response.headers["x-result-truncated"] == "true"
    body = response.json()
    assert len(body["results"]["bindings"]) == 3 and body["results"]["truncated"] is True
    small = httpx.get(srv.url + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 2"})
    assert small.headers["x-result-truncated"] == "false"


def test_service_description(client: httpx.Client) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    endpoints = list(graph.objects(None, URIRef(sd + "endpoint")))
    assert [str(e) for e in endpoints] == [str(client.base_url).rstrip("/") + "/sparql"]
    names = {str(o) for o in graph.objects(None, URIRef(sd + "name"))}
    assert BASE + "graph/vocabulary" in names
    formats = {str(o) for o in graph.objects(None, URIRef(sd + "resultFormat"))}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_CSV" in formats


def test_void(client: httpx.Client) -> None:
    response = client.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="json-ld")
    void = "http://rdfs.org/ns/void#"
    subsets = {str(o) for o in graph.objects(None, URIRef(void + "subset"))}
    assert BASE + "graph/vocabulary" in subsets
    assert list(graph.objects(None, URIRef(void + "sparqlEndpoint")))
    assert list(graph.objects(None, URIRef(void + "dataDump")))


def test_query_page_without_javascript(client: httpx.Client) -> None:
    page = client.get("/sparql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "<textarea" in page.text and "/static/yasgui/yasgui.min.js" in page.text
    assert "PREFIX dov:" in page.text
    for example in load_examples():
        assert example.title["nl"] in page.text.replace("&amp;", "&").replace("&#39;", "'")
    results = client.get("/sparql", params={"query": LABEL_QUERY}, headers={"Accept": "text/html"})
    assert results.status_code == 200 and "<table>" in results.text
    linked = client.get("/sparql", params={"query": f"SELECT ?c WHERE {{ BIND(<{ICTO}> AS ?c) }}"},
                        headers={"Accept": "text/html"})
    assert 'href="/concept/icto-coach"' in linked.text
    assert "script-src 'self'" in linked.headers["content-security-policy"]


def test_every_example_query_runs(client: httpx.Client) -> None:
    examples = load_examples()
    assert len(examples) >= 3
    for example in examples:
        response = client.post("/sparql", data={"query": example.text}, headers={"Accept": "application/json"})
        assert response.status_code == 200, (example.name, response.text)
        json.loads(response.content)


def test_vendored_editor_is_served(client: httpx.Client) -> None:
    for path in ("/static/yasgui/yasgui.min.js", "/static/yasgui/yasgui.min.css", "/static/sparql.js"):
        assert client.get(path).status_code == 200


CHROMIUM = "/usr/bin/chromium"


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is not installed")
def test_query_page_in_a_browser(server: Server) -> None:
    """Yasgui mounts from the vendored files, runs the query of the URL and shows rows; no console errors."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: problems.append("outside: " + r.url)
                if not r.url.startswith(server.url) else None)
        page.goto(server.url + "/sparql?query=" + quote(LABEL_QUERY))
        page.wait_for_selector(".CodeMirror")
        page.wait_for_selector(".yasr table tbody tr", timeout=15_000)
        assert page.locator("#sparql-form").is_hidden()
        assert page.locator(".yasr table tbody tr").count() >= 1
        browser.close()
    assert problems == []
