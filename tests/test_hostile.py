"""Hostile and broken input on every endpoint that takes input: one table, one test.

Every case is sent to a real server and must be refused (or, where stated, harmlessly answered) with a 4xx
RFC 9457 problem document, never a 5xx, never a stack trace or an internal path, without the server
reaching out (a loopback listener must receive nothing) or reading a local file (a canary file's content
must appear in no response), and the server must still answer ``/health`` afterwards.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import select
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import EXAMPLES, ROOT, Listener, Server

from vocab_service.auth import hash_token, mint_token

# What a response must never contain: traces, source locations, paths of this machine.
LEAKS = ("Traceback (most recent call last)", 'File "/', "site-packages", str(ROOT), "/usr/lib/python",
         "/root/", "/tmp/", "pytest-of-")
MB = 1024 * 1024


# The world around the server: a canary file and a loopback listener ------------------------------------


@dataclass
class World:
    server: Server
    token: str
    listener: Listener
    canary: Path
    secret: str  # the canary file's content: must never be seen in a response

    @property
    def canary_uri(self) -> str:
        return self.canary.as_uri()

    def fill(self, text: str) -> str:
        return text.replace("{listener}", self.listener.url).replace("{canary}", self.canary_uri) \
            .replace("{canary_path}", str(self.canary))

    def fill_query(self, text: str) -> str:
        """``fill`` for a value that goes into a query string (percent-encoded)."""
        return text.replace("{listener}", quote(self.listener.url, safe="")) \
            .replace("{canary}", quote(self.canary_uri, safe=""))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("hostile")
    secret = "canary-" + secrets.token_hex(16)
    canary = tmp / "canary" / "secret.ttl"
    canary.parent.mkdir()
    canary.write_text(f'<urn:x:canary> <urn:x:says> "{secret}" .\n{{"@context": {{"{secret}": "urn:x"}}}}\n')
    token = mint_token()
    listener = Listener()
    server = Server(tmp / "data", env={"VOCAB_ADMIN_TOKEN_HASH": hash_token(token),
                                       "VOCAB_QUERY_TIMEOUT_S": "5"}).start()
    yield World(server, token, listener, canary, secret)
    server.stop()
    listener.close()


@pytest.fixture
def live(world: World) -> World:
    """The module's server, restarted if an earlier case killed it (that case has failed already)."""
    if world.server.process is None or world.server.process.poll() is not None:
        world.server.start()
    world.listener.hits.clear()
    return world


# Bodies ------------------------------------------------------------------------------------------------

TURTLE_OK = (EXAMPLES / "zeehaven.ttl").read_text("utf-8")
PREFIXES = ("@prefix dom: <https://w3id.org/docentondersteuning/model/> .\n"
            "@prefix schema: <https://schema.org/> .\n")


def billion_laughs() -> str:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    ]
    return ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [' + "\n".join(entities) + "]>\n"
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:s="https://schema.org/">'
            '<rdf:Description rdf:about="urn:x:a"><s:name>&lol9;</s:name></rdf:Description></rdf:RDF>')


def xxe(system: str) -> str:
    return ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY ext SYSTEM "' + system + '">]>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:s="https://schema.org/">'
            '<rdf:Description rdf:about="urn:x:a"><s:name>&ext;</s:name></rdf:Description></rdf:RDF>')


def jsonld(context: object, extra: dict[str, object] | None = None) -> str:
    return json.dumps({"@context": context, "@id": "urn:x:a", "name": "x", **(extra or {})})


def chunks(total: int, size: int = 64 * 1024) -> Callable[[], Iterator[bytes]]:
    """A body generator of ``total`` bytes (Turtle comment lines), sent chunked without Content-Length."""
    def generate() -> Iterator[bytes]:
        line = (b"# " + b"x" * (size - 3) + b"\n")
        for _ in range(total // size):
            yield line
    return generate


# The table ---------------------------------------------------------------------------------------------

TTL = {"Content-Type": "text/turtle"}
JSONLD = {"Content-Type": "application/ld+json"}
RDFXML = {"Content-Type": "application/rdf+xml"}
SPARQL_Q = {"Content-Type": "application/sparql-query"}
SPARQL_U = {"Content-Type": "application/sparql-update"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str  # sent as is (already percent-encoded); {listener} and {canary} are filled in
    status: tuple[int, ...]
    body: str | bytes | Callable[[], Iterator[bytes]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    auth: bool = False  # send the admin token
    streamed: bool = False  # body is a generator, sent chunked; the server must refuse it mid-stream
    problem: bool = True  # refusals are problem+json (False: the HTML form page, or the HTTP parser itself)


def q(text: str) -> str:
    return quote(text, safe="")


def sparql_get(query: str) -> str:
    return "/sparql?query=" + q(query)


CASES: list[Case] = [
    # --- POST /validate: broken syntax in every format
    Case("validate-turtle-syntax", "POST", "/validate", (400,), "@prefix x: <urn:x> .\n<a> x:b ", TTL),
    Case("validate-ntriples-syntax", "POST", "/validate", (400,), "<urn:a> <urn:b> .\n",
         {"Content-Type": "application/n-triples"}),
    Case("validate-jsonld-syntax", "POST", "/validate", (400,), '{"@id": "urn:x", ', JSONLD),
    Case("validate-json-not-object", "POST", "/validate", (400,), "42", {"Content-Type": "application/json"}),
    Case("validate-rdfxml-not-well-formed", "POST", "/validate", (400,), "<rdf:RDF><unclosed>", RDFXML),
    Case("validate-csv-unterminated-quote", "POST", "/validate", (400,),
         'institution_id,role_title\nzeehaven,"never closed\n', {"Content-Type": "text/csv"}),
    Case("validate-csv-unknown-column", "POST", "/validate", (400,), "institution_id,role_title,salary\n",
         {"Content-Type": "text/csv"}),
    # The page's form answers a browser with the page and its message, not a problem document.
    Case("validate-form-garbage", "POST", "/validate", (400,), b"text=%ZZ%ff&format=text/turtle", FORM,
         problem=False),
    # --- wrong, missing or lying Content-Type; empty bodies; invalid UTF-8
    Case("validate-no-content-type", "POST", "/validate", (415,), TURTLE_OK),
    Case("validate-image-content-type", "POST", "/validate", (415,), TURTLE_OK, {"Content-Type": "image/png"}),
    Case("validate-latin1-charset", "POST", "/validate", (415,), TURTLE_OK,
         {"Content-Type": "text/turtle; charset=iso-8859-1"}),
    Case("validate-turtle-labelled-jsonld", "POST", "/validate", (400,), TURTLE_OK, JSONLD),
    Case("validate-empty-body", "POST", "/validate", (400,), b"", TTL),
    Case("validate-whitespace-body", "POST", "/validate", (400,), b" \n\t ", TTL),
    Case("validate-invalid-utf8", "POST", "/validate", (400,), b'<urn:a> <urn:b> "\xff\xfe\xc3" .', TTL),
    # Refused by uvicorn's HTTP parser before the application sees it (plain text, no details).
    Case("validate-bad-content-length", "POST", "/validate", (400,), TURTLE_OK,
         {"Content-Type": "text/turtle", "Content-Length": "lots"}, problem=False),
    # --- sizes: declared and streamed bodies over the limit, deep nesting, enormous terms
    Case("validate-declared-too-large", "POST", "/validate", (413,), b"#" * (3 * MB), TTL),
    Case("validate-streamed-50mb", "POST", "/validate", (413,), chunks(50 * MB), TTL, streamed=True),
    Case("validate-json-nested-100k", "POST", "/validate", (400,), "[" * 100_000 + "]" * 100_000, JSONLD),
    Case("validate-json-objects-nested-100k", "POST", "/validate", (400,),
         '{"a":' * 100_000 + "1" + "}" * 100_000, JSONLD),
    # Deep nesting is valid Turtle: parsed without recursion, or refused as too many triples; never a crash.
    Case("validate-turtle-collections-nested-100k", "POST", "/validate", (200, 400, 413),
         "<urn:a> <urn:b> " + "(" * 100_000 + ")" * 100_000 + " .", TTL),
    Case("validate-turtle-blank-nodes-nested-100k", "POST", "/validate", (200, 400, 413),
         "<urn:a> <urn:b> " + "[ <urn:p> " * 100_000 + "1" + " ]" * 100_000 + " .", TTL),
    Case("validate-enormous-literal-over-limit", "POST", "/validate", (413,),
         PREFIXES + '<urn:a> schema:name "' + "x" * (3 * MB) + '" .', TTL),
    Case("validate-enormous-iri-rdfxml-newlines", "POST", "/validate", (200, 400),
         '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:s="https://schema.org/">'
         '<rdf:Description rdf:about="urn:x:a"><s:name>' + "\n" * 400_000 + "</s:name></rdf:Description>"
         "</rdf:RDF>", RDFXML),
    # --- reaching outside: XML entities, remote JSON-LD contexts
    Case("validate-rdfxml-billion-laughs", "POST", "/validate", (400,), billion_laughs(), RDFXML),
    Case("validate-rdfxml-xxe-file", "POST", "/validate", (400,), xxe("{canary}"), RDFXML),
    Case("validate-rdfxml-xxe-http", "POST", "/validate", (400,), xxe("{listener}/xxe"), RDFXML),
    Case("validate-rdfxml-parameter-entity", "POST", "/validate", (400,),
         '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "{listener}/dtd"> %p;]><r/>', RDFXML),
    Case("validate-jsonld-remote-context", "POST", "/validate", (400,), jsonld("{listener}/context"), JSONLD),
    Case("validate-jsonld-file-context", "POST", "/validate", (400,), jsonld("{canary}"), JSONLD),
    Case("validate-jsonld-relative-context", "POST", "/validate", (400,), jsonld("pyproject.toml"), JSONLD),
    Case("validate-jsonld-import", "POST", "/validate", (400,),
         jsonld({"@version": 1.1, "@import": "{listener}/import"}), JSONLD),
    Case("validate-jsonld-nested-remote-context", "POST", "/validate", (400,),
         jsonld({"x": "urn:x"}, {"knows": {"@context": "{listener}/inner", "@id": "urn:x:b"}}), JSONLD),
    Case("validate-jsonld-context-array", "POST", "/validate", (400,),
         jsonld([{"x": "urn:x"}, "{listener}/second"]), JSONLD),
    Case("validate-lang-header-injection", "POST", "/validate?lang=en%0D%0AX-Injected:%20yes", (400,), b"", TTL),
    # --- PUT /institutions/{id}
    Case("put-no-token-streamed", "PUT", "/institutions/zeehaven", (401,), chunks(50 * MB), TTL, streamed=True),
    Case("put-streamed-50mb", "PUT", "/institutions/zeehaven", (413,), chunks(50 * MB), TTL, auth=True,
         streamed=True),
    Case("put-turtle-syntax", "PUT", "/institutions/zeehaven", (400,), "<urn:a> <urn:b> <urn:c>", TTL, auth=True),
    Case("put-empty-body", "PUT", "/institutions/zeehaven", (400,), b"", TTL, auth=True),
    Case("put-no-content-type", "PUT", "/institutions/zeehaven", (415,), TURTLE_OK, auth=True),
    Case("put-jsonld-remote-context", "PUT", "/institutions/zeehaven", (400,), jsonld("{listener}/ctx"), JSONLD,
         auth=True),
    Case("put-rdfxml-xxe-file", "PUT", "/institutions/zeehaven", (400,), xxe("{canary}"), RDFXML, auth=True),
    Case("put-json-nested-100k", "PUT", "/institutions/zeehaven", (400,), "[" * 100_000, JSONLD, auth=True),
    Case("put-other-institution-in-body", "PUT", "/institutions/heuvelrand", (422,), TURTLE_OK, TTL, auth=True),
    Case("put-traversal-dotdot", "PUT", "/institutions/..%2F..%2Fetc", (400, 404), TURTLE_OK, TTL, auth=True),
    Case("put-traversal-nul", "PUT", "/institutions/zeehaven%00", (400,), TURTLE_OK, TTL, auth=True),
    Case("delete-traversal", "DELETE", "/institutions/%2e%2e%2f%2e%2e", (400, 404), None, auth=True),
    # --- SPARQL: reaching outside, updates, broken queries
    Case("sparql-service-listener", "GET", sparql_get("SELECT * WHERE { SERVICE <{listener}/sparql> { ?s ?p ?o } }"),
         (400, 403)),
    Case("sparql-service-silent", "POST", "/sparql", (400, 403),
         "SELECT * WHERE { SERVICE SILENT <{listener}/q> { ?s ?p ?o } }", SPARQL_Q),
    Case("sparql-from-file", "GET", sparql_get("SELECT * FROM <{canary}> WHERE { ?s ?p ?o }"), (200, 400)),
    Case("sparql-from-named-listener", "POST", "/sparql", (200, 400),
         "SELECT * FROM NAMED <{listener}/g> WHERE { GRAPH ?g { ?s ?p ?o } }", SPARQL_Q),
    Case("sparql-default-graph-uri-file", "GET",
         "/sparql?query=" + q("SELECT * WHERE { ?s ?p ?o } LIMIT 1") + "&default-graph-uri={canary}", (200, 400)),
    Case("sparql-load-as-query", "GET", sparql_get("LOAD <{canary}>"), (400, 403)),
    Case("sparql-load-update", "POST", "/sparql", (400, 403, 405, 415), "LOAD <{listener}/data>", SPARQL_U),
    Case("sparql-load-form-update", "POST", "/sparql", (400, 403, 405, 415),
         "update=" + q("LOAD <{listener}/data> INTO GRAPH <urn:x>"), FORM),
    Case("sparql-drop-all", "POST", "/sparql", (400, 403, 405, 415), "DROP ALL", SPARQL_U),
    Case("sparql-syntax-error", "GET", sparql_get("SELEKT ?x WHERE { ?x }"), (400,)),
    Case("sparql-missing-query", "GET", "/sparql?format=json", (200, 400, 406)),
    Case("sparql-empty-post", "POST", "/sparql", (400,), b"", SPARQL_Q),
    Case("sparql-wrong-content-type", "POST", "/sparql", (400, 415), "SELECT * WHERE {}",
         {"Content-Type": "image/gif"}),
    Case("sparql-too-long", "POST", "/sparql", (400, 413),
         "SELECT * WHERE { ?s ?p ?o } # " + "x" * 30_000, SPARQL_Q),
    Case("sparql-deep-nesting", "POST", "/sparql", (200, 400), "SELECT * WHERE " + "{" * 9_000 + "}" * 9_000,
         SPARQL_Q),
    Case("sparql-deep-expression", "GET", sparql_get("SELECT (" + "(" * 9_000 + "1" + ")" * 9_000 + " AS ?x) {}"),
         (200, 400)),
    Case("sparql-streamed-50mb", "POST", "/sparql", (413,), chunks(50 * MB), SPARQL_Q, streamed=True),
    Case("sparql-invalid-utf8", "POST", "/sparql", (400,), b"SELECT * WHERE { ?s ?p \"\xff\xfe\" }", SPARQL_Q),
    # --- GET /search
    Case("search-q-too-long", "GET", "/search?q=" + "a" * 5000, (400,)),
    Case("search-lang-unknown", "GET", "/search?q=icto&lang=fr", (400,)),
    Case("search-lang-header-injection", "GET", "/search?q=icto&lang=en%0D%0AX-Injected:%20yes", (400,)),
    Case("search-limit-not-number", "GET", "/search?q=icto&limit=1e999", (400,)),
    Case("search-invalid-utf8", "GET", "/search?q=%ff%fe%c3", (200, 400)),
    # --- GET /resource?uri=
    Case("resource-missing-uri", "GET", "/resource", (400,)),
    Case("resource-file-uri", "GET", "/resource?uri={canary}", (404,)),
    Case("resource-listener-uri", "GET", "/resource?uri={listener}/thing", (404,)),
    Case("resource-enormous-iri", "GET", "/resource?uri=http://x/" + "a" * 60_000, (404, 414, 431)),
    Case("resource-format-injection", "GET",
         "/resource?uri=" + q("https://w3id.org/docentondersteuning/concept/icto-coach")
         + "&format=ttl%0D%0AX-Injected:%20yes", (400,)),
    # --- term paths: traversal, NUL, encoded slashes, bad parameters
    Case("concept-encoded-traversal", "GET", "/concept/..%2F..%2F..%2Fetc%2Fpasswd", (404,)),
    Case("concept-dot-segments", "GET", "/concept/%2e%2e/%2e%2e/pyproject.toml", (404,)),
    Case("source-raw-traversal", "GET", "/source/../../../../etc/passwd", (404,)),
    Case("source-traversal-to-canary", "GET", "/source/" + "..%2F" * 12 + "{canary_path}", (404,)),
    Case("concept-nul", "GET", "/concept/icto-coach%00.ttl", (404,)),
    Case("model-double-encoded", "GET", "/model/%252e%252e%252fsettings.py", (404,)),
    Case("downloads-traversal", "GET", "/downloads/..%2F..%2Fpyproject.toml", (404,)),
    Case("static-traversal", "GET", "/static/..%2F..%2F..%2Fpyproject.toml", (404,)),
    Case("history-traversal", "GET", "/institutions/..%2F..%2Fetc/history", (400, 404)),
    Case("concept-format-unknown", "GET", "/concept/icto-coach?format=docx", (400,)),
    Case("concept-format-header-injection", "GET", "/concept/icto-coach?format=ttl%0D%0AX-Injected:%20yes", (400,)),
    Case("concept-lang-header-injection", "GET", "/concept/icto-coach?lang=en%0D%0ASet-Cookie:%20evil=1",
         (200, 400)),
    Case("concept-not-acceptable", "GET", "/concept/icto-coach", (406,), headers={"Accept": "image/png"}),
    Case("institution-format-injection", "GET", "/institutions?format=json%0D%0AX-Injected:%20yes", (400,)),
    # --- /alignment/* parameters
    Case("alignment-crosswalk-missing-role", "GET", "/alignment/crosswalk?format=json", (400,)),
    Case("alignment-crosswalk-traversal", "GET", "/alignment/crosswalk?role=..%2F..%2Fetc%2Fpasswd&format=json",
         (400, 404)),
    Case("alignment-crosswalk-file-iri", "GET", "/alignment/crosswalk?role={canary}&format=json", (400, 404)),
    Case("alignment-similar-listener-iri", "GET", "/alignment/similar?role={listener}/r&format=json", (400, 404)),
    Case("alignment-similar-limit", "GET", "/alignment/similar?role=urn:x&limit=-5", (400,)),
    Case("alignment-similar-sparql-injection", "GET",
         "/alignment/similar?role=" + q("urn:x> } ; DROP ALL ; SELECT * { <urn:y") + "&format=json", (400, 404)),
    Case("alignment-missing-traversal", "GET", "/alignment/missing?institution=..%2F..%2Fetc", (400,)),
    Case("alignment-compare-nul", "GET", "/alignment/compare?a=zeehaven%00&b=x", (400,)),
    Case("alignment-format-injection", "GET", "/alignment/sectors?format=csv%0D%0AX-Injected:%20yes", (400,)),
    Case("alignment-lang-injection", "GET", "/alignment/sectors?format=json&lang=nl%0D%0AX-Injected:%20yes",
         (200, 400)),
]


# Sending -------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    sent: int = 0  # bytes of body sent before the server answered (streamed cases)

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name), "")


def send(world: World, case: Case) -> Answer:
    headers = {"Accept": "application/json", **case.headers}
    if case.auth:
        headers["Authorization"] = f"Bearer {world.token}"
    path = world.fill_query(case.path) if "?" in case.path else world.fill(case.path)
    if "?" in case.path:  # the path part before '?' may hold {canary_path} too
        path = world.fill(path)
    if case.streamed:
        assert callable(case.body)
        return stream(world.server.port, case.method, path, headers, case.body())
    body: bytes | None
    if callable(case.body):
        body = b"".join(case.body())
    elif isinstance(case.body, str):
        body = world.fill(case.body).encode("utf-8")
    else:
        body = case.body
    if body is not None and "Content-Length" not in headers:
        headers["Content-Length"] = str(len(body))
    conn = http.client.HTTPConnection("127.0.0.1", world.server.port, timeout=60)
    try:
        conn.putrequest(case.method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        if body:
            try:
                conn.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # refused before the whole body was read: the answer is still there
        response = conn.getresponse()
        return Answer(response.status, response.getheaders(), response.read())
    finally:
        conn.close()


def stream(port: int, method: str, path: str, headers: dict[str, str], body: Iterator[bytes]) -> Answer:
    """Send a chunked body without Content-Length, stopping as soon as the server answers."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTransfer-Encoding: chunked\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        sock.sendall(head.encode("latin-1"))
        sent = 0
        for chunk in body:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        else:
            sock.sendall(b"0\r\n\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        return Answer(response.status, response.getheaders(), response.read(), sent)
    finally:
        sock.close()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


# The test ------------------------------------------------------------------------------------------------


def test_table_is_broad() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    covered = {c.path.split("?")[0].split("/")[1] for c in CASES}
    assert {"validate", "institutions", "sparql", "search", "resource", "concept", "source", "alignment"} <= covered


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(live: World, case: Case) -> None:
    pid = live.server.process.pid  # type: ignore[union-attr]
    rss_before = rss_kib(pid)
    started = time.monotonic()
    answer = send(live, case)
    elapsed = time.monotonic() - started
    text = answer.body.decode("utf-8", "replace")

    assert answer.status < 500, f"{answer.status}: {text[:500]}"
    assert answer.status in case.status, f"{answer.status}: {text[:500]}"
    if answer.status >= 400 and case.problem:
        assert answer.header("content-type").startswith("application/problem+json"), answer.headers
        problem = json.loads(text)
        assert problem["status"] == answer.status
        assert isinstance(problem["detail"], str) and problem["detail"].strip()
        assert len(problem["detail"]) < 2000, "the message echoes the input"
    # The client's own input may be echoed (bounded); internal paths may not.
    echoed = text.replace(str(live.canary), "<canary>")
    for leak in LEAKS:
        assert leak not in echoed, f"response leaks {leak!r}: {text[:500]}"
    assert live.secret not in text and live.secret not in str(answer.headers), "the canary file was read"
    # CR LF in a parameter never becomes a header of its own.
    assert not any(k.lower() == "x-injected" or (k.lower() == "set-cookie" and "evil" in v)
                   for k, v in answer.headers)
    assert not any(re.search(r"[\r\n]", k + v) for k, v in answer.headers)
    assert live.listener.hits == [], f"the server reached out: {live.listener.hits[:1]}"
    assert elapsed < 30, f"took {elapsed:.1f}s"
    if case.streamed:
        assert answer.sent < 45 * MB, f"the server read {answer.sent} bytes before refusing"
        grown = rss_kib(pid) - rss_before
        assert grown < 20 * 1024, f"server RSS grew by {grown} KiB for a refused 50 MB body"
    # Still alive and well.
    conn = http.client.HTTPConnection("127.0.0.1", live.server.port, timeout=10)
    conn.request("GET", "/health")
    assert conn.getresponse().status == 200
    conn.close()
