"""Publishing institutions: PUT/GET/DELETE on a real server, atomicity, history, and the admin CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import EXAMPLES, Server
from rdflib import Graph
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS

from vocab_service.auth import hash_token, mint_token

CLI = Path(sys.executable).with_name("vocab-service")
GRAPH = "https://w3id.org/docentondersteuning/graph/institution/"
TURTLE = {"Content-Type": "text/turtle"}


def example(institution: str, suffix: str = "ttl") -> bytes:
    return (EXAMPLES / f"{institution}.{suffix}").read_bytes()


def example_graph(institution: str) -> Graph:
    return Graph().parse(data=example(institution), format="turtle")


@pytest.fixture
def admin() -> str:
    return mint_token()


@pytest.fixture
def srv(make_server, admin: str):  # type: ignore[no-untyped-def]
    return make_server(env={"VOCAB_ADMIN_TOKEN_HASH": hash_token(admin), "VOCAB_MAX_BODY_BYTES": "200000"})


@pytest.fixture
def api(srv, admin: str) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=srv.url, timeout=60.0, headers={"Authorization": f"Bearer {admin}"}) as client:
        yield client


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """One server, shared by the read-only tests, with lindeveld published."""
    admin = mint_token()
    server = Server(
        tmp_path_factory.mktemp("published") / "data", env={"VOCAB_ADMIN_TOKEN_HASH": hash_token(admin)}
    ).start()
    try:
        with httpx.Client(base_url=server.url, timeout=60.0) as client:
            response = client.put(
                "/institutions/lindeveld",
                content=example("lindeveld"),
                headers={**TURTLE, "Authorization": f"Bearer {admin}"},
            )
            assert response.status_code == 201, response.text
            yield client
    finally:
        server.stop()


def put(
    api: httpx.Client, institution: str, body: bytes, content_type: str = "text/turtle"
) -> httpx.Response:
    return api.put(f"/institutions/{institution}", content=body, headers={"Content-Type": content_type})


def fetch(api: httpx.Client, institution: str) -> Graph:
    response = api.get(f"/institutions/{institution}", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200, response.text
    return Graph().parse(data=response.text, format="nt")


def test_publish_read_replace_delete(api: httpx.Client) -> None:
    created = put(api, "zeehaven", example("zeehaven"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["institution"] == "zeehaven" and body["graph"] == GRAPH + "zeehaven" and body["created"]
    assert body["report"]["counts"].get("violation", 0) == 0
    assert created.headers["location"] == "/institutions/zeehaven"
    assert isomorphic(fetch(api, "zeehaven"), example_graph("zeehaven"))

    replaced = put(api, "zeehaven", example("zeehaven", "jsonld"), "application/ld+json")
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["created"] is False
    assert isomorphic(fetch(api, "zeehaven"), example_graph("zeehaven"))

    assert api.delete("/institutions/zeehaven").status_code == 204
    assert api.get("/institutions/zeehaven").status_code == 404
    assert api.delete("/institutions/zeehaven").status_code == 404


@pytest.mark.parametrize(
    "accept, param, media, rdflib_format",
    [
        ("text/turtle", None, "text/turtle", "turtle"),
        ("application/ld+json", None, "application/ld+json", "json-ld"),
        ("application/rdf+xml", None, "application/rdf+xml", "xml"),
        ("application/n-triples", None, "application/n-triples", "nt"),
        (None, "ttl", "text/turtle", "turtle"),
        ("text/html", "jsonld", "application/ld+json", "json-ld"),
        (None, "rdf", "application/rdf+xml", "xml"),
        (None, "nt", "application/n-triples", "nt"),
    ],
)
def test_graph_in_every_format(
    published: httpx.Client, accept: str | None, param: str | None, media: str, rdflib_format: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    params = {"format": param} if param else {}
    response = published.get("/institutions/lindeveld", headers=headers, params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    assert isomorphic(Graph().parse(data=response.content, format=rdflib_format), example_graph("lindeveld"))


def test_graph_page_and_unknown_format(published: httpx.Client) -> None:
    page = published.get("/institutions/lindeveld", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Universiteit Lindeveld" in page.text
    assert published.get("/institutions/lindeveld", params={"format": "docx"}).status_code == 400
    assert published.get("/institutions/lindeveld", headers={"Accept": "image/png"}).status_code == 406


def test_listing(api: httpx.Client) -> None:
    assert api.get("/institutions").json() == {"institutions": []}
    put(api, "zeehaven", example("zeehaven"))
    put(api, "heuvelrand", example("heuvelrand"))
    items = api.get("/institutions").json()["institutions"]
    assert [i["id"] for i in items] == ["heuvelrand", "zeehaven"]
    zee = items[1]
    assert zee["name"] == "ROC Zeehaven"
    assert zee["sector"] == "https://w3id.org/docentondersteuning/concept/mbo"
    assert zee["homepage"] == "https://zeehaven.example.nl/"
    assert zee["roles"] == 4
    assert zee["modified"].startswith("20")
    page = api.get("/institutions", headers={"Accept": "text/html"})
    assert "ROC Zeehaven" in page.text and "Universiteit Heuvelrand" in page.text


def test_warnings_are_stored_and_returned(api: httpx.Client) -> None:
    # heuvelrand's researcher names no competencies: a warning, not a violation.
    response = put(api, "heuvelrand", example("heuvelrand"))
    assert response.status_code == 201
    report = response.json()["report"]
    assert report["counts"].get("warning", 0) >= 1 and report["counts"].get("violation", 0) == 0
    assert any(r["focus_node"].endswith("/rol/onderzoeker-onderwijsevaluatie") for r in report["results"])


def test_identity_must_match_the_path(api: httpx.Client) -> None:
    response = put(api, "lindenhout", example("zeehaven"))
    assert response.status_code == 422
    problem = response.json()
    assert "'zeehaven'" in problem["detail"] and "'lindenhout'" in problem["detail"]
    assert api.get("/institutions/lindenhout").status_code == 404
    both = Graph().parse(data=example("zeehaven"), format="turtle")
    both.parse(data=example("lindenhout"), format="turtle")
    response = put(api, "zeehaven", both.serialize(format="nt", encoding="utf-8"), "application/n-triples")
    assert response.status_code == 422 and "exactly one institution" in response.json()["detail"]


@pytest.mark.parametrize("name", ["onbekende-taak", "ontbrekende-sector", "alleen-roostering"])
def test_rejected_put_keeps_the_previous_graph(api: httpx.Client, name: str) -> None:
    data = (EXAMPLES / "invalid" / f"{name}.ttl").read_bytes()
    institution_id = str(
        next(Graph().parse(data=data, format="turtle").objects(predicate=DCTERMS.identifier))
    )
    # Publish a valid description under the same identifier first.
    valid = example("zeehaven").replace(b'"zeehaven"', f'"{institution_id}"'.encode())
    assert put(api, institution_id, valid).status_code == 201
    before = fetch(api, institution_id)
    response = put(api, institution_id, data)
    assert response.status_code == 422, response.text
    assert response.json()["report"]["counts"]["violation"] >= 1
    assert isomorphic(fetch(api, institution_id), before)
    history = api.get(f"/institutions/{institution_id}/history").json()["changes"]
    assert len(history) == 1


def test_unusable_input(api: httpx.Client) -> None:
    assert put(api, "zeehaven", b"this is not turtle <").status_code == 400
    assert put(api, "zeehaven", example("zeehaven"), "application/pdf").status_code == 415
    assert put(api, "zeehaven", example("zeehaven") + b"#" * 300_000).status_code == 413
    assert api.get("/institutions/zeehaven").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/institutions/Zeehaven",
        "/institutions/zee_haven",
        "/institutions/%2e%2e",
        "/institutions/" + "a" * 65,
        "/institutions/a%2Fb",
    ],
)
def test_identifiers_are_slugs(published: httpx.Client, path: str) -> None:
    assert published.get(path).status_code in (400, 404)
    assert published.put(path, content=example("zeehaven"), headers=TURTLE).status_code in (
        400,
        401,
        404,
        405,
    )
    assert published.delete(path).status_code in (400, 401, 404, 405)


def test_history_records_every_write(api: httpx.Client) -> None:
    put(api, "zeehaven", example("zeehaven"))
    put(api, "zeehaven", example("zeehaven"))
    api.delete("/institutions/zeehaven")
    changes = api.get("/institutions/zeehaven/history").json()["changes"]
    assert [c["action"] for c in changes] == ["delete", "replace", "replace"]
    assert all(c["by"] == "admin" and c["graph"] == GRAPH + "zeehaven" for c in changes)
    triples = len(example_graph("zeehaven"))
    assert [c["triples"] for c in changes] == [triples, triples, triples]
    assert changes[0]["ended"] > changes[1]["ended"] > changes[2]["ended"]


def test_history_is_queryable_with_sparql(api: httpx.Client) -> None:
    put(api, "zeehaven", example("zeehaven"))
    query = """PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?activity ?agent WHERE { GRAPH <https://w3id.org/docentondersteuning/graph/changes> {
          ?activity a prov:Activity ; prov:wasAssociatedWith ?agent ; prov:generated ?v .
          ?v prov:specializationOf <https://w3id.org/docentondersteuning/graph/institution/zeehaven> } }"""
    response = api.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.text
    rows = response.json()["results"]["bindings"]
    assert [r["agent"]["value"] for r in rows] == ["https://w3id.org/docentondersteuning/agent/admin"]


def _variant(institution_bytes: bytes) -> bytes:
    """A second complete description of zeehaven: every role renamed, so a mix would show."""
    return institution_bytes.replace(b"/rol/", b"/rol/v2-").replace(b"ROC Zeehaven", b"ROC Zeehaven v2")


def test_concurrent_puts_leave_one_complete_graph(api: httpx.Client, srv, admin: str) -> None:  # type: ignore[no-untyped-def]
    first, second = example("zeehaven"), _variant(example("zeehaven"))
    graphs = [Graph().parse(data=first, format="turtle"), Graph().parse(data=second, format="turtle")]
    for _ in range(6):
        results: list[int] = []

        def send(body: bytes, results: list[int] = results) -> None:
            with httpx.Client(base_url=srv.url, timeout=60.0) as client:
                results.append(
                    client.put(
                        "/institutions/zeehaven",
                        content=body,
                        headers={**TURTLE, "Authorization": f"Bearer {admin}"},
                    ).status_code
                )

        threads = [threading.Thread(target=send, args=(body,)) for body in (first, second, first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(status in (200, 201) for status in results), results
        stored = fetch(api, "zeehaven")
        assert any(isomorphic(stored, g) for g in graphs), "the stored graph mixes two descriptions"


# The admin CLI --------------------------------------------------------------------------------------------


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}
    )


def test_cli_load_then_serve_then_export(tmp_path: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    loaded = run("load", str(EXAMPLES), "--data-dir", str(data))
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.count("created ") == 8
    again = run("load", str(EXAMPLES / "zeehaven.jsonld"), "--data-dir", str(data))
    assert again.returncode == 0 and "replaced zeehaven" in again.stdout

    server = make_server(data_dir=data)
    items = httpx.get(server.url + "/institutions").json()["institutions"]
    assert len(items) == 8
    busy = run("load", str(EXAMPLES / "zeehaven.ttl"), "--data-dir", str(data))
    assert busy.returncode == 2 and "in use by a running server" in busy.stderr
    server.stop()

    out = tmp_path / "backup.nq"
    assert run("export", "--data-dir", str(data), "-o", str(out)).returncode == 0
    store = ox.Store()
    store.load(out.read_bytes(), format=ox.RdfFormat.N_QUADS)
    graphs = {g.value for g in store.named_graphs()}
    assert {GRAPH + i for i in ("zeehaven", "lindenhout", "heuvelrand")} <= graphs
    assert "https://w3id.org/docentondersteuning/graph/changes" in graphs
    assert "https://w3id.org/docentondersteuning/graph/vocabulary" in graphs
    trig = run("export", "--data-dir", str(data), "--format", "trig")
    assert trig.returncode == 0
    again_store = ox.Store()
    again_store.load(trig.stdout.encode(), format=ox.RdfFormat.TRIG)
    assert len(again_store) == len(store)


def test_cli_load_reports_invalid_files(tmp_path: Path) -> None:
    result = run(
        "load",
        str(EXAMPLES / "invalid"),
        str(EXAMPLES / "dijkzicht.ttl"),
        "--data-dir",
        str(tmp_path / "data"),
    )
    assert result.returncode == 1
    assert result.stderr.count("FAILED") == 3
    assert "created dijkzicht" in result.stdout


def test_cli_tokens(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    minted = run("token", "zeehaven", "--tokens-file", str(path), "--expires", "2030-01-01T00:00:00+00:00")
    assert minted.returncode == 0, minted.stderr
    token = minted.stdout.strip()  # only the token on stdout, so TOKEN=$(vocab-service token ...) works
    assert len(token) >= 40 and "\n" not in token and "shown once" in minted.stderr
    document = json.loads(path.read_text())
    assert document["tokens"][0]["sha256"] == hash_token(token)
    assert document["tokens"][0]["expires"] == "2030-01-01T00:00:00Z"
    assert token not in path.read_text()
    assert run("token", "Bad Name", "--tokens-file", str(path)).returncode == 2
    admin = run("token", "--admin")
    lines = admin.stdout.strip().splitlines()
    admin_token = lines[0].rsplit(" ", 1)[1]
    assert lines[1] == f"VOCAB_ADMIN_TOKEN_HASH={hash_token(admin_token)}"
