"""Hygiene on the wire: security headers on every HTML page, CORS only for reads, request ids in the access
log, no internals in error answers (even for an unexpected exception), and a threat model that says so."""

from __future__ import annotations

import re
import time
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from conftest import EXAMPLES, ROOT, Server
from fastapi.testclient import TestClient

from vocab_service.app import create_app
from vocab_service.settings import Settings

SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy")
ICTO = "https://w3id.org/docentondersteuning/concept/icto-coach"
# Pages reached by forms or parameters rather than links; the crawl starts from these too.
START = ["/", "/hierarchy", "/index", "/search?q=coach", "/sparql", "/validate", "/alignment",
         "/alignment/dashboard", "/alignment/crosswalk", "/alignment/sectors", "/alignment/duplicates",
         "/alignment/roles", "/institutions", "/concept/icto-coach", "/concept/icto-coach.html",
         "/concept/no-such-term", "/resource?uri=" + ICTO, "/no/such/page"]
MAX_PAGES = 120


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v)


def crawl(client: httpx.Client) -> dict[str, httpx.Response]:
    """HTML pages reachable from START over same-origin links (one per path, without fragments)."""
    seen: dict[str, httpx.Response] = {}
    queue = deque(START)
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path, headers={"Accept": "text/html"})
        seen[path] = response
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        parser = Links()
        parser.feed(response.text)
        for href in parser.hrefs:
            url = urlsplit(urljoin(str(response.url), href))
            if url.netloc == urlsplit(str(client.base_url)).netloc and not url.path.startswith("/static/") \
                    and not url.path.startswith("/downloads/"):
                target = url.path + (f"?{url.query}" if url.query else "")
                if target not in seen:
                    queue.append(target)
    return seen


@pytest.fixture(scope="module")
def pages(server: Server) -> dict[str, httpx.Response]:
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        return crawl(client)


def test_every_html_page_carries_security_headers(pages: dict[str, httpx.Response]) -> None:
    html = {path: r for path, r in pages.items() if r.headers.get("content-type", "").startswith("text/html")}
    assert len(html) >= 30, sorted(html)
    kinds = {p.split("?")[0].split("/")[1] for p in html}
    assert {"", "concept", "sparql", "validate", "alignment", "institutions", "search"} <= kinds, kinds
    missing = {path: [h for h in SECURITY_HEADERS if h not in r.headers] for path, r in html.items()}
    assert {p: m for p, m in missing.items() if m} == {}
    for path, response in html.items():
        assert response.status_code < 500, path
        if path.startswith(("/docs", "/redoc")):
            continue  # FastAPI's own pages load Swagger UI from a CDN: see the next test
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0], (path, csp)
        assert response.headers["x-content-type-options"] == "nosniff", path


def test_api_docs_pages_carry_security_headers(client: httpx.Client) -> None:
    for path in ("/docs", "/redoc"):
        response = client.get(path)
        if response.status_code == 404:
            continue
        assert response.status_code == 200
        assert all(h in response.headers for h in SECURITY_HEADERS), (path, dict(response.headers))
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp


# CORS --------------------------------------------------------------------------------------------------

READS = ["/concept/icto-coach?format=ttl", "/concept/icto-coach.jsonld", "/search?q=icto",
         "/resource?uri=" + ICTO + "&format=nt", "/downloads/docentondersteuning.ttl", "/context.jsonld",
         "/sparql?query=ASK%7B%7D", "/alignment/sectors?format=json", "/institutions?format=json"]


@pytest.mark.parametrize("path", READS)
def test_reads_allow_any_origin(client: httpx.Client, path: str) -> None:
    response = client.get(path, headers={"Origin": "https://elsewhere.example", "Accept": "application/json"})
    assert response.status_code == 200, response.text
    assert response.headers.get("access-control-allow-origin") == "*", dict(response.headers)


@pytest.mark.parametrize("path", ["/institutions/zeehaven", "/concept/icto-coach", "/validate", "/sparql"])
@pytest.mark.parametrize("method", ["PUT", "DELETE", "POST"])
def test_preflight_never_allows_writes_from_another_origin(client: httpx.Client, path: str, method: str) -> None:
    response = client.options(path, headers={"Origin": "https://elsewhere.example",
                                             "Access-Control-Request-Method": method,
                                             "Access-Control-Request-Headers": "authorization, content-type"})
    assert response.status_code < 500
    allowed = response.headers.get("access-control-allow-methods", "")
    origin = response.headers.get("access-control-allow-origin")
    assert not (origin and method in allowed.upper()), dict(response.headers)
    assert "authorization" not in response.headers.get("access-control-allow-headers", "").lower()
    assert response.headers.get("access-control-allow-credentials") != "true"


def test_write_answers_carry_no_cors(client: httpx.Client) -> None:
    response = client.put("/institutions/zeehaven", content=b"x", headers={"Origin": "https://elsewhere.example",
                                                                           "Content-Type": "text/turtle"})
    assert response.status_code == 401
    assert "access-control-allow-origin" not in response.headers


# Request ids and the access log ------------------------------------------------------------------------


def test_request_id_is_echoed_and_logged(server: Server, client: httpx.Client) -> None:
    ids = {path: f"hygiene-{i}-{time.monotonic_ns()}" for i, path in enumerate(
        ["/concept/icto-coach", "/search?q=icto", "/no/such/page", "/sparql?query=ASK%7B%7D"])}
    for path, request_id in ids.items():
        response = client.get(path, headers={"X-Request-Id": request_id})
        assert response.headers["x-request-id"] == request_id, path
    generated = client.get("/health").headers["x-request-id"]
    assert re.fullmatch(r"[A-Za-z0-9._:-]{6,128}", generated)
    # An id that could forge log lines or headers is replaced, not echoed.
    hostile = client.get("/health", headers={"X-Request-Id": 'x" "evil": "1'}).headers["x-request-id"]
    assert "evil" not in hostile
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not all(i in server.log() for i in ids.values()):
        time.sleep(0.1)
    lines = server.log().splitlines()
    for path, request_id in ids.items():
        matching = [line for line in lines if request_id in line]
        assert matching, f"{request_id} ({path}) is not in the access log"
        assert path.split("?")[0] in matching[0]


# No internals in answers -------------------------------------------------------------------------------


def test_unexpected_exception_is_a_plain_problem(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An exception nobody anticipated: logged with its trace, answered without it."""
    app = create_app(Settings(data_dir=tmp_path / "data"))

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError(f"secret internal state at {ROOT}/src/vocab_service/boom.py")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] and "secret" not in response.text and str(ROOT) not in response.text


def test_validate_accept_json_gets_the_json_report(client: httpx.Client) -> None:
    response = client.post("/validate", content=(EXAMPLES / "zeehaven.ttl").read_bytes(),
                           headers={"Content-Type": "text/turtle", "Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "conforms" in response.json()


# The threat model --------------------------------------------------------------------------------------


def test_security_md_covers_the_threat_model() -> None:
    text = (ROOT / "SECURITY.md").read_text("utf-8").lower()
    for topic in ("public", "anyone may read", "bearer", "token", "ssrf", "service", "query exhaustion",
                  "time limit", "413", "reporting a problem", "privately"):
        assert topic in text, topic
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "SECURITY.md" in readme
