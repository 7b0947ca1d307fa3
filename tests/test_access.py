"""Access control proofs beyond tests/test_auth.py (which covers each refusal's status and message):

- every route that is not a read is known here, and the ones that do not need a token change nothing;
- each bad credential leaves the stored graph and its history exactly as they were;
- token comparison is constant-time in the code (hmac.compare_digest over every entry, no early exit,
  no lookup keyed by the token or its digest);
- tokens never appear in any response or in the server log, even at debug level.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import Server
from rdflib import Graph
from rdflib.compare import isomorphic
from test_auth import description, write_tokens

from vocab_service import auth
from vocab_service.auth import hash_token, mint_token

WRITES = {("PUT", "/institutions/{institution_id}"), ("DELETE", "/institutions/{institution_id}")}
# POST routes that take input but never change the store.
READ_ONLY_POSTS = {("POST", "/validate"), ("POST", "/sparql")}


@dataclass
class Secured:
    server: Server
    client: httpx.Client
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    tmp = tmp_path_factory.mktemp("access")
    tokens = {name: mint_token() for name in ("admin", "zee", "berg", "expired", "revoked")}
    path = tmp / "tokens.json"
    write_tokens(path, [
        {"institution": "zeehaven", "sha256": hash_token(tokens["zee"])},
        {"institution": "bergland", "sha256": hash_token(tokens["berg"])},
        {"institution": "zeehaven", "sha256": hash_token(tokens["expired"]), "expires": "2020-01-01T00:00:00Z"},
        {"institution": "zeehaven", "sha256": hash_token(tokens["revoked"]), "revoked": True},
    ])
    server = Server(tmp / "data", env={"VOCAB_ADMIN_TOKEN_HASH": hash_token(tokens["admin"]),
                                       "VOCAB_TOKENS_FILE": str(path), "VOCAB_LOG_LEVEL": "debug"}).start()
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        created = client.put("/institutions/zeehaven", content=description("zeehaven"),
                             headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {tokens['zee']}"})
        assert created.status_code == 201, created.text
        yield Secured(server, client, tokens)
    server.stop()


def snapshot(client: httpx.Client) -> tuple[Graph, list[dict[str, object]], list[dict[str, object]]]:
    graph = Graph().parse(data=client.get("/institutions/zeehaven?format=nt").text, format="nt")
    history = client.get("/institutions/zeehaven/history").json()["changes"]
    listing = client.get("/institutions?format=json").json()["institutions"]
    return graph, history, listing


def test_every_non_read_route_is_known(secured: Secured) -> None:
    paths = secured.client.get("/openapi.json").json()["paths"]
    routes = {(method.upper(), path) for path, item in paths.items() for method in item
              if method.upper() not in ("GET", "HEAD", "OPTIONS", "PARAMETERS")}
    assert routes == WRITES | READ_ONLY_POSTS, routes
    # Methods that no route offers are refused without touching anything.
    for method in ("POST", "PATCH"):
        response = secured.client.request(method, "/institutions/zeehaven", content=b"x")
        assert response.status_code == 405
        assert response.headers["content-type"].startswith("application/problem+json")


BAD = [
    ("none", {}, 401),
    ("empty", {"Authorization": ""}, 401),
    ("bearer-alone", {"Authorization": "Bearer"}, 401),
    ("bearer-comma", {"Authorization": "Bearer ,"}, 401),
    ("basic", {"Authorization": "Basic xyz"}, 401),
    ("two-words", {"Authorization": "Bearer  two words"}, 401),
    ("token-in-query", {}, 401),
    ("wrong", {"Authorization": "Bearer {wrong}"}, 401),
    ("hash-as-token", {"Authorization": "Bearer {zee_hash}"}, 401),
    ("prefix-of-token", {"Authorization": "Bearer {zee_prefix}"}, 401),
    ("token-plus-suffix", {"Authorization": "Bearer {zee}x"}, 401),
    ("other-institution", {"Authorization": "Bearer {berg}"}, 403),
    ("revoked", {"Authorization": "Bearer {revoked}"}, 401),
    ("expired", {"Authorization": "Bearer {expired}"}, 401),
]


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
@pytest.mark.parametrize("name, headers, status", BAD, ids=[b[0] for b in BAD])
def test_bad_credentials_change_nothing(secured: Secured, method: str, name: str, headers: dict[str, str],
                                        status: int) -> None:
    tokens = secured.tokens
    values = {"wrong": mint_token(), "zee_hash": hash_token(tokens["zee"]), "zee_prefix": tokens["zee"][:20],
              "zee": tokens["zee"], "berg": tokens["berg"], "revoked": tokens["revoked"],
              "expired": tokens["expired"]}
    headers = {k: v.format(**values) for k, v in headers.items()}
    before = snapshot(secured.client)
    params = {"token": tokens["zee"], "access_token": tokens["zee"]} if name == "token-in-query" else None
    # A different, valid description: if it got through, the graph would change.
    body = description("zeehaven", role="intruder", name="Overgenomen")
    if method == "PUT":
        response = secured.client.put("/institutions/zeehaven", content=body, params=params,
                                      headers={"Content-Type": "text/turtle", **headers})
    else:
        response = secured.client.delete("/institutions/zeehaven", params=params, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert all(token not in response.text and token not in str(response.headers) for token in tokens.values())
    after = snapshot(secured.client)
    assert isomorphic(before[0], after[0]) and before[1:] == after[1:]


def test_read_only_posts_change_nothing(secured: Secured) -> None:
    before = secured.client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
                                headers={"Accept": "application/sparql-results+json"}).json()
    posted = [
        secured.client.post("/validate", content=description("zeehaven", role="validated"),
                            headers={"Content-Type": "text/turtle"}),
        secured.client.post("/sparql", data={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}),
        secured.client.post("/sparql", data={"update": "DROP ALL"}),
        secured.client.post("/sparql", content="CLEAR ALL", headers={"Content-Type": "application/sparql-update"}),
    ]
    assert [r.status_code for r in posted] == [200, 200, 403, 403]
    after = secured.client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
                               headers={"Accept": "application/sparql-results+json"}).json()
    assert before == after


# Constant-time comparison, in the code ---------------------------------------------------------------


def test_token_comparison_is_constant_time_in_the_code() -> None:
    tree = ast.parse(textwrap.dedent(inspect.getsource(auth.TokenRegistry.authenticate)))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    compare_digest = [c for c in calls if ast.unparse(c.func) == "hmac.compare_digest"]
    assert len(compare_digest) >= 2, "admin and institution digests are compared with hmac.compare_digest"
    # The secret-derived values never meet ==, !=, in, startswith or a dict/set lookup.
    secret = {"digest", "authorization", "match"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            assert not names & {"digest"}, ast.unparse(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in ("startswith", "endswith", "find", "index", "get") or not (
                {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} & {"digest"}), ast.unparse(node)
        if isinstance(node, ast.Subscript):
            assert not ({n.id for n in ast.walk(node.slice) if isinstance(n, ast.Name)} & secret), ast.unparse(node)
    # The loop over the entries visits every entry: no break or return inside it.
    loops = [n for n in ast.walk(tree) if isinstance(n, ast.For) and "entries" in ast.unparse(n.iter)]
    assert loops, "authenticate compares against every entry in a loop"
    for loop in loops:
        assert not any(isinstance(n, (ast.Break, ast.Return, ast.Raise)) for n in ast.walk(loop))
    # The admin digest is compared even when an institution matched, before either result is used.
    source = ast.unparse(tree)
    assert source.index("hmac.compare_digest(digest, self.admin_hash)") < source.index("for entry in")
    # Tokens are hashed before comparison, so every comparison is of two 64-character strings.
    assert "hash_token(match.group(1))" in source


def test_registry_visits_every_entry(tmp_path: Path) -> None:
    """Behaviour behind the code test: the first and the last entry cost the same number of comparisons."""
    tokens = [mint_token() for _ in range(50)]
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"tokens": [{"institution": f"i{n}", "sha256": hash_token(t)}
                                           for n, t in enumerate(tokens)]}))
    registry = auth.TokenRegistry(path, hash_token(mint_token()))
    counted: list[int] = []
    real = auth.hmac.compare_digest

    def counting(a: str, b: str) -> bool:
        counted[-1] += 1
        return real(a, b)

    auth.hmac.compare_digest = counting  # type: ignore[assignment]
    try:
        for token in (tokens[0], tokens[-1], mint_token()):
            counted.append(0)
            try:
                registry.authenticate(f"Bearer {token}")
            except auth.Unauthorized:
                pass
    finally:
        auth.hmac.compare_digest = real  # type: ignore[assignment]
    assert counted == [51, 51, 51]


# Tokens are never logged ---------------------------------------------------------------------------------


def test_tokens_never_reach_the_log(secured: Secured) -> None:
    tokens = secured.tokens
    # Use every token once more, successfully or not, then read the whole log of the run (debug level).
    for token in tokens.values():
        secured.client.put("/institutions/zeehaven", content=description("zeehaven"),
                           headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {token}"})
        secured.client.get("/institutions", headers={"Authorization": f"Bearer {token}"})
    log = secured.server.flushed_log()
    assert re.search(r'"event":\s*"access"', log) and "/institutions/zeehaven" in log  # the log was written
    leaked = [name for name, token in tokens.items() if token in log or token[:16] in log]
    assert leaked == []
    assert "Bearer" not in log and "authorization" not in log.lower()
