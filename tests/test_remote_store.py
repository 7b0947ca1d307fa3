"""The service in remote mode: VOCAB_STORE points at a real ``oxigraph serve``; /sparql forwards to it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import Server
from test_store import OXIGRAPH, start_oxigraph

pytestmark = pytest.mark.skipif(not os.path.exists(OXIGRAPH), reason="the oxigraph server is not installed")

ICTO = "https://w3id.org/docentondersteuning/concept/icto-coach"


@pytest.fixture
def oxigraph(tmp_path: Path) -> Iterator[str]:
    process, url = start_oxigraph(tmp_path / "oxigraph")
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def test_remote_mode_loads_and_answers(make_server, oxigraph: str) -> None:  # type: ignore[no-untyped-def]
    srv: Server = make_server({"VOCAB_STORE": oxigraph})
    # The vocabulary went to the remote server, in its own named graph.
    graphs = httpx.post(oxigraph + "/query", data={"query": "SELECT DISTINCT ?g { GRAPH ?g {} }"},
                        headers={"Accept": "application/sparql-results+json"}).json()
    assert "https://w3id.org/docentondersteuning/graph/vocabulary" in {
        b["g"]["value"] for b in graphs["results"]["bindings"]}
    with httpx.Client(base_url=srv.url, timeout=20) as client:
        query = f"SELECT ?p ?o WHERE {{ <{ICTO}> ?p ?o }}"  # the union default graph
        for fmt in ("json", "xml", "csv", "tsv"):
            response = client.get("/sparql", params={"query": query, "format": fmt})
            assert response.status_code == 200, response.text
            assert ICTO in response.text or "prefLabel" in response.text
        construct = client.post("/sparql", data={"query": f"CONSTRUCT WHERE {{ <{ICTO}> ?p ?o }}"},
                                headers={"Accept": "application/n-triples"})
        assert construct.status_code == 200 and construct.text.count("\n") > 5
        page = client.get("/sparql", params={"query": query}, headers={"Accept": "text/html"})
        assert page.status_code == 200 and "<table>" in page.text
        assert client.get("/sparql", params={"query": "SELECT * { ?s ?p }"}).status_code == 400
        before = client.post("/sparql", data={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}).json()
        assert client.post("/sparql", data={"update": "DROP ALL"}).status_code == 403
        assert client.post("/sparql", data={"query": "DROP ALL"}).status_code == 403
        assert client.get("/sparql", params={"query": "SELECT * { SERVICE <http://127.0.0.1:1/> {} }"}
                          ).status_code == 403
        after = client.post("/sparql", data={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}).json()
        assert before == after
        assert client.get("/.well-known/void").status_code == 200
