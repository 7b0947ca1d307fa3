"""Safety of the SPARQL endpoint: read-only, nothing fetched, runaway queries stopped, others answered."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from conftest import Listener

from vocab_service.sparql_safety import refused_services, scan

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
EXPLOSIVE = ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } "
             "ORDER BY ?c ?f ?i ?l")


def count(client: httpx.Client) -> int:
    response = client.post("/sparql", data={"query": COUNT}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


# The keyword scan ---------------------------------------------------------------------------------

@pytest.mark.parametrize("query, services", [
    ("SELECT * { SERVICE <http://a/> { ?s ?p ?o } }", ["http://a/"]),
    ("select * { service silent <http://a/> { ?s ?p ?o } }", ["http://a/"]),
    ("SELECT * { SERVICE ?x { ?s ?p ?o } }", [""]),
    ("SELECT * { ?s ?p true.SERVICE <http://a/> { } }", ["http://a/"]),
    ("SELECT * { \\u0053ERVICE <http://a/> { } }", ["http://a/"]),
    ("SELECT * { ?s ?p 'SERVICE <http://a/>' } # SERVICE <http://b/>", []),
    ("SELECT * { ?s ?p <urn:SERVICE> . ?s ex:SERVICE ?o }", []),
    ('SELECT * { ?s ?p """a\n SERVICE <http://a/> " """ }', []),
])
def test_scan_finds_service(query: str, services: list[str]) -> None:
    assert scan(query).services == services


def test_allowlist() -> None:
    features = scan("SELECT * { SERVICE <http://ok.example/sparql> {} SERVICE <http://no/> {} SERVICE ?v {} }")
    assert refused_services(features, ["http://ok.example/sparql"]) == ["http://no/", "(not a full IRI)"]


def test_scan_is_fast() -> None:
    query = "PREFIX ex: <http://ex/>\nSELECT * WHERE { " + " ".join(
        f"?s{i} ex:p{i} 'literal {i}' ." for i in range(200)) + " }"
    started = time.perf_counter()
    for _ in range(20):
        scan(query)
    assert (time.perf_counter() - started) / 20 < 0.02


# On the wire --------------------------------------------------------------------------------------

UPDATE = "INSERT DATA { GRAPH <urn:x:evil> { <urn:x:s> <urn:x:p> <urn:x:o> } }"


@pytest.mark.parametrize("how", ["get-query", "get-update", "form-query", "form-update", "sparql-query",
                                 "sparql-update", "drop", "load", "clear"])
def test_updates_are_refused_every_way(client: httpx.Client, how: str) -> None:
    before = count(client)
    text = {"drop": "DROP ALL", "load": "LOAD <file:///etc/hostname>", "clear": "CLEAR DEFAULT"}.get(how, UPDATE)
    if how == "get-query":
        response = client.get("/sparql", params={"query": text})
    elif how == "get-update":
        response = client.get("/sparql", params={"update": text})
    elif how == "form-query" or how in ("drop", "load", "clear"):
        response = client.post("/sparql", data={"query": text})
    elif how == "form-update":
        response = client.post("/sparql", data={"update": text})
    elif how == "sparql-query":
        response = client.post("/sparql", content=text, headers={"Content-Type": "application/sparql-query"})
    else:
        response = client.post("/sparql", content=text, headers={"Content-Type": "application/sparql-update"})
    assert 400 <= response.status_code < 500, response.text
    assert count(client) == before


def test_service_to_loopback_is_refused_and_sends_nothing(client: httpx.Client, listener: Listener) -> None:
    for query in (f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}",
                  f"SELECT * WHERE {{ SERVICE SILENT <{listener.url}> {{ ?s ?p ?o }} }}",
                  f"SELECT * WHERE {{ BIND(<{listener.url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}"):
        response = client.get("/sparql", params={"query": query})
        assert response.status_code == 403, response.text
        assert "SERVICE" in response.json()["detail"]
    time.sleep(0.3)
    assert listener.connections == 0


def test_from_reads_nothing_outside_the_store(client: httpx.Client, listener: Listener) -> None:
    for source in ("file:///etc/hostname", listener.url):
        for clause in ("FROM", "FROM NAMED"):
            query = f"SELECT * {clause} <{source}> WHERE {{ {{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} }} }}"
            response = client.get("/sparql", params={"query": query},
                                  headers={"Accept": "application/sparql-results+json"})
            assert response.status_code == 200, response.text
            assert response.json()["results"]["bindings"] == []
        response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }",
                                                 "default-graph-uri": source},
                              headers={"Accept": "application/sparql-results+json"})
        assert response.status_code == 200 and response.json()["results"]["bindings"] == []
    time.sleep(0.3)
    assert listener.connections == 0


def test_from_a_store_graph_restricts_the_default_graph(client: httpx.Client) -> None:
    meta = "https://w3id.org/docentondersteuning/graph/meta"
    query = f"SELECT (COUNT(*) AS ?n) FROM <{meta}> WHERE {{ ?s ?p ?o }}"
    response = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert 0 < int(response.json()["results"]["bindings"][0]["n"]["value"]) < count(client)


def test_too_long_query(client: httpx.Client) -> None:
    response = client.post("/sparql", data={"query": "SELECT * WHERE { ?s ?p ?o }" + " " * 30_000})
    assert response.status_code == 413


@pytest.mark.slow
def test_runaway_query_is_stopped_while_others_are_answered(make_server) -> None:  # type: ignore[no-untyped-def]
    srv = make_server({"VOCAB_QUERY_TIMEOUT_S": "3", "VOCAB_QUERY_WORKERS": "2", "VOCAB_QUERY_MEMORY_MB": "4096"})
    outcome: dict[str, httpx.Response] = {}

    def explode() -> None:
        outcome["slow"] = httpx.post(srv.url + "/sparql", data={"query": EXPLOSIVE}, timeout=30)

    thread = threading.Thread(target=explode)
    started = time.monotonic()
    thread.start()
    time.sleep(0.5)
    with httpx.Client(base_url=srv.url, timeout=10) as c:
        quick_started = time.monotonic()
        assert count(c) > 0
        assert time.monotonic() - quick_started < 1.5  # generous: the test machine may be shared
        thread.join()
        elapsed = time.monotonic() - started
        slow = outcome["slow"]
        assert slow.status_code == 503, slow.text
        assert "3 s time limit" in slow.json()["detail"]
        assert elapsed < 8
        for _ in range(3):  # the pool keeps answering after the kill
            assert count(c) > 0


@pytest.mark.slow
def test_memory_limit_stops_a_worker(make_server) -> None:  # type: ignore[no-untyped-def]
    srv = make_server({"VOCAB_QUERY_TIMEOUT_S": "30", "VOCAB_QUERY_WORKERS": "1", "VOCAB_QUERY_MEMORY_MB": "128"})
    with httpx.Client(base_url=srv.url, timeout=40) as c:
        started = time.monotonic()
        response = c.post("/sparql", data={"query": EXPLOSIVE})
        assert response.status_code == 503, response.text
        assert "memory limit of 128 MB" in response.json()["detail"]
        assert time.monotonic() - started < 30
        assert count(c) > 0


@pytest.mark.slow
def test_a_full_queue_answers_503_and_queued_queries_wait_their_turn(make_server) -> None:  # type: ignore[no-untyped-def]
    srv = make_server({"VOCAB_QUERY_TIMEOUT_S": "3", "VOCAB_QUERY_WORKERS": "1", "VOCAB_QUERY_QUEUE": "1"})
    outcome: dict[str, httpx.Response] = {}

    def send(name: str, query: str) -> None:
        outcome[name] = httpx.post(srv.url + "/sparql", data={"query": query}, timeout=30)

    runaway = threading.Thread(target=send, args=("runaway", EXPLOSIVE))
    runaway.start()
    time.sleep(0.5)  # the only worker is busy now
    queued = threading.Thread(target=send, args=("queued", "ASK { ?s ?p ?o }"))
    queued.start()
    time.sleep(0.5)  # the only place in the queue is taken now
    refused = httpx.post(srv.url + "/sparql", data={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "2"
    assert "queries are waiting" in refused.json()["detail"]
    runaway.join()
    queued.join()
    assert outcome["runaway"].status_code == 503  # stopped at the time limit
    assert outcome["queued"].status_code == 200  # answered by the replacement worker
    assert outcome["queued"].json()["boolean"] is True
