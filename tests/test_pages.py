"""Pages, downloads and the API description, over HTTP against a real server."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import httpx
import pytest
from conftest import BASE, Server
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS
from test_terms import small_server  # noqa: F401 - fixture

LANGS = ("nl", "en")


class Page(HTMLParser):
    """Collects what the assertions need: scripts, links, the html lang and visible text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.script_bodies: list[str] = []
        self.hrefs: list[str] = []
        self.lang: str | None = None
        self.inline_handlers: list[str] = []
        self._in_script = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        if tag == "script":
            self.scripts.append(values)
            self._in_script = True
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")
        self.inline_handlers += [name for name, _ in attrs if name.startswith("on")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_bodies.append(data)


def check_csp_safe(page: Page) -> None:
    """No executable inline script: only external scripts and JSON-LD data blocks."""
    for script in page.scripts:
        assert script.get("src") or script.get("type") == "application/ld+json", script
    assert not page.inline_handlers


@pytest.fixture(scope="module")
def vocabulary(server: Server) -> Graph:
    return Graph().parse(data=httpx.get(server.url + "/downloads/docentondersteuning.nt").content, format="nt")


def test_every_term_page_renders_in_both_languages(client: httpx.Client, vocabulary: Graph) -> None:
    paths = sorted({"/" + str(s)[len(BASE):] for s in vocabulary.subjects()
                    if isinstance(s, URIRef) and str(s).startswith(BASE) and "#" not in str(s) and str(s) != BASE})
    assert len(paths) > 20
    for path in paths:
        for lang in LANGS:
            response = client.get(path, params={"lang": lang}, headers={"Accept": "text/html"})
            assert response.status_code == 200, (path, lang)
            assert response.headers["content-language"] == lang
            page = Page(response.text)
            assert page.lang == lang
            check_csp_safe(page)
            iri = BASE + path[1:]
            assert iri in response.text
            for href in page.hrefs:  # links into the vocabulary point at pages that exist
                if href.startswith(("/concept/", "/collection/", "/scheme/")):
                    assert href in paths or href.rsplit(".", 1)[0] in paths, (path, href)


def test_concept_page_content(client: httpx.Client, vocabulary: Graph) -> None:
    iri = URIRef(BASE + "concept/icto-coach")
    response = client.get("/concept/icto-coach", headers={"Accept": "text/html", "Accept-Language": "en"})
    text = response.text
    for label in vocabulary.objects(iri, SKOS.prefLabel):
        if label.language == "en":
            assert str(label) in text
    assert 'class="copy"' in text and 'data-copy="' + str(iri) + '"' in text
    for ext in ("ttl", "jsonld", "rdf", "nt"):
        assert f'href="/concept/icto-coach.{ext}"' in text
    for broader in vocabulary.objects(iri, SKOS.broader):
        assert f'href="/{str(broader)[len(BASE):]}"' in text
    # A role links to the crosswalk of the institutions that map to it; the link answers.
    assert 'href="/alignment/crosswalk?role=icto-coach&amp;lang=en"' in text
    assert client.get("/alignment/crosswalk?role=icto-coach&lang=en").status_code == 200
    task = client.get("/concept/coachen-van-docenten", headers={"Accept": "text/html"}).text
    assert "/alignment/crosswalk" not in task
    page = Page(text)
    data = json.loads(page.script_bodies[0])
    assert data["@type"] == "DefinedTerm" and data["@id"] == str(iri)
    assert data["inDefinedTermSet"] == BASE + "scheme/docentondersteuning"
    assert "§" in text  # the source paragraph


def test_home_page(client: httpx.Client) -> None:
    for lang in LANGS:
        response = client.get("/", params={"lang": lang})
        assert response.status_code == 200
        page = Page(response.text)
        check_csp_safe(page)
        for href in ("/sparql", "/validate", "/alignment", "/downloads/docentondersteuning.ttl", "/context.jsonld"):
            assert any(h.split("?")[0] == href for h in page.hrefs), href
        assert any(h.startswith("/collection/") for h in page.hrefs)
        assert re.search(r"\(\d+\)", response.text)  # counts per category


@pytest.mark.parametrize("path", ["/hierarchy", "/index"])
def test_overview_pages(client: httpx.Client, vocabulary: Graph, path: str) -> None:
    concepts = {str(s) for s in vocabulary.subjects(SKOS.inScheme, URIRef(BASE + "scheme/docentondersteuning"))}
    for lang in LANGS:
        response = client.get(path, params={"lang": lang})
        assert response.status_code == 200 and response.headers["content-language"] == lang
        page = Page(response.text)
        check_csp_safe(page)
        linked = {BASE + h[1:] for h in page.hrefs if h.startswith("/concept/")}
        if path == "/index":
            assert concepts <= linked
        else:
            assert len(linked) > len(concepts) // 2


def test_language_switch_is_remembered(server: Server) -> None:
    with httpx.Client(base_url=server.url) as browser:
        chosen = browser.get("/hierarchy", params={"lang": "en"}, headers={"Accept-Language": "nl"})
        assert chosen.headers["content-language"] == "en"
        later = browser.get("/concept/icto-coach", headers={"Accept": "text/html", "Accept-Language": "nl"})
        assert later.headers["content-language"] == "en"
        assert 'hreflang="nl"' in later.text


def test_deprecated_concept_page(small_server: Server) -> None:  # noqa: F811
    response = httpx.get(small_server.url + "/concept/i-coach", params={"lang": "en"})
    assert "Deprecated" in response.text
    assert 'href="/concept/icto-coach"' in response.text.split("Deprecated", 1)[1]


def test_unknown_page_is_a_404_page(client: httpx.Client) -> None:
    response = client.get("/concept/does-not-exist", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert response.status_code == 404 and "Not found" in response.text


def test_downloads(client: httpx.Client) -> None:
    parsers = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml", "nt": "nt"}
    graphs = {}
    for ext, parser in parsers.items():
        response = client.get(f"/downloads/docentondersteuning.{ext}")
        assert response.status_code == 200 and response.headers["etag"]
        graphs[ext] = Graph().parse(data=response.content, format=parser)
    reference = graphs.pop("nt")
    assert len(reference) > 500
    for ext, graph in graphs.items():
        assert isomorphic(graph, reference), ext
    context = client.get("/context.jsonld")
    assert context.headers["content-type"] == "application/ld+json"
    assert "@context" in context.json()
    assert client.get("/downloads/nothing.ttl").status_code == 404


def test_openapi_lists_every_endpoint(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/concept/{slug}", "/scheme/{slug}", "/collection/{slug}", "/model/{name}", "/source/{path}",
                 "/resource", "/search", "/downloads/{name}", "/context.jsonld", "/", "/hierarchy", "/index"):
        assert path in paths, path
    concept = paths["/concept/{slug}"]["get"]
    assert {"200", "304", "404", "406"} <= set(concept["responses"])
    assert "text/turtle" in concept["responses"]["200"]["content"]
    assert client.get("/docs").status_code == 200
