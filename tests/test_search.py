"""Label search: ranking as a table over a small vocabulary, and the HTTP API against the real one."""

from __future__ import annotations

import httpx
import pytest
from rdflib import Graph

from vocab_service.namespaces import Namespaces
from vocab_service.representations import Snapshot
from vocab_service.search import SearchIndex, normalize

VOCABULARY = """
@prefix dov: <https://w3id.org/docentondersteuning/concept/> .
@prefix dom: <https://w3id.org/docentondersteuning/model/> .
@prefix doc: <https://w3id.org/docentondersteuning/collection/> .
@prefix dos: <https://w3id.org/docentondersteuning/scheme/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
doc:rollen a skos:Collection ; skos:member dov:icto-coach, dov:coach, dov:i-coach .
doc:taken a skos:Collection ; skos:member dov:coachen-van-docenten .
dov:coach a skos:Concept, dom:SupportRole ; skos:inScheme dos:s ; skos:prefLabel "coach"@nl, "coach"@en .
dov:icto-coach a skos:Concept, dom:SupportRole ; skos:inScheme dos:s ;
    skos:prefLabel "ICTO-coach"@nl, "ICTO coach"@en ; skos:hiddenLabel "ICT&O-coach"@nl .
dov:i-coach a skos:Concept, dom:SupportRole ; skos:inScheme dos:s ; skos:prefLabel "I-coach"@nl .
dov:coachen-van-docenten a skos:Concept, dom:Task ; skos:inScheme dos:s ;
    skos:prefLabel "coachen van docenten"@nl, "coaching teachers"@en ; skos:altLabel "begeleiden"@nl .
dov:een-op-een a skos:Concept, dom:Scope ; skos:inScheme dos:s ; skos:prefLabel "één-op-één-begeleiding"@nl .
"""


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    graph = Graph().parse(data=VOCABULARY, format="turtle")
    return SearchIndex(Snapshot(graph, Namespaces(), "test"))


def slugs(index: SearchIndex, q: str, lang: str = "nl", category: str | None = None) -> list[str]:
    return [hit.iri.rsplit("/", 1)[1] for hit in index.search(q, lang, category)]


@pytest.mark.parametrize(("text", "normalized"), [
    ("ICT&O-coach", "ict o coach"), ("één-op-één", "een op een"), ("  Coach ", "coach"), ("Ärger", "arger"),
])
def test_normalize(text: str, normalized: str) -> None:
    assert normalize(text) == normalized


@pytest.mark.parametrize(("q", "lang", "category", "expected"), [
    ("coach", "nl", None, ["coach", "coachen-van-docenten", "i-coach", "icto-coach"]),  # exact, prefix, words
    ("COACH", "nl", None, ["coach", "coachen-van-docenten", "i-coach", "icto-coach"]),
    ("icto", "nl", None, ["icto-coach"]),
    ("ict&o", "nl", None, ["icto-coach"]),  # hidden label, punctuation ignored
    ("een op", "nl", None, ["een-op-een"]),  # accents ignored
    ("begel", "nl", None, ["een-op-een", "coachen-van-docenten"][::-1]),  # alt-label prefix beats word prefix
    ("oach", "nl", None, ["coach", "i-coach", "icto-coach", "coachen-van-docenten"]),  # substrings, shorter first
    ("coach", "nl", "taken", ["coachen-van-docenten"]),
    ("coach", "nl", "SupportRole", ["coach", "i-coach", "icto-coach"]),
    ("teachers", "en", None, ["coachen-van-docenten"]),
    ("xyz", "nl", None, []),
    ("", "nl", None, []),
])
def test_ranking(index: SearchIndex, q: str, lang: str, category: str | None, expected: list[str]) -> None:
    assert slugs(index, q, lang, category) == expected


def test_hit_reports_label_in_language_and_match(index: SearchIndex) -> None:
    hit = index.search("ict&o", "en")[0]
    assert hit.label == "ICTO coach" and hit.matched == "ICT&O-coach"
    assert hit.match == "prefix" or hit.match == "alt-prefix"
    assert hit.as_json()["category"] == "rollen"


def test_limit(index: SearchIndex) -> None:
    assert len(index.search("c", "nl", limit=2)) == 2


# HTTP ------------------------------------------------------------------------------------------------
def test_search_api(client: httpx.Client) -> None:
    body = client.get("/search", params={"q": "icto", "lang": "en"}).json()
    first = body["results"][0]
    assert first["iri"].endswith("/concept/icto-coach") and first["href"] == "/concept/icto-coach"
    assert first["label"] == "ICTO coach"
    assert {"iri", "label", "category", "matched_label", "match"} <= set(first)


def test_search_category_and_limit(client: httpx.Client) -> None:
    results = client.get("/search", params={"q": "o", "category": "rollen", "limit": 3}).json()["results"]
    assert 0 < len(results) <= 3 and all("rollen" in r["categories"] for r in results)
    assert client.get("/search", params={"q": "o", "limit": 500}).status_code == 400


def test_search_html_for_browsers(client: httpx.Client) -> None:
    response = client.get("/search", params={"q": "coach", "lang": "nl"},
                          headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.headers["content-type"].startswith("text/html")
    assert 'href="/concept/icto-coach"' in response.text
