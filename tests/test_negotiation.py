"""The pure negotiation table: (Accept, offered) -> chosen media type."""

from __future__ import annotations

import pytest

from vocab_service.negotiation import (
    HTML,
    JSONLD,
    NTRIPLES,
    RDFXML,
    TURTLE,
    NegotiationCache,
    choose,
    format_from_param,
    parse_accept,
)

ALL = (HTML, TURTLE, JSONLD, RDFXML, NTRIPLES)
RDF_ONLY = (TURTLE, JSONLD, RDFXML, NTRIPLES)
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.parametrize(("accept", "offered", "chosen"), [
    (None, ALL, HTML),
    ("", ALL, HTML),
    ("*/*", ALL, HTML),
    ("*/*", RDF_ONLY, TURTLE),
    (BROWSER, ALL, HTML),
    ("text/turtle", ALL, TURTLE),
    ("application/ld+json", ALL, JSONLD),
    ("application/rdf+xml", ALL, RDFXML),
    ("application/n-triples", ALL, NTRIPLES),
    ("TEXT/Turtle", ALL, TURTLE),
    ("application/json", ALL, JSONLD),
    ("application/x-turtle", ALL, TURTLE),
    ("text/*", ALL, HTML),
    ("text/*;q=0.5, text/turtle", ALL, TURTLE),
    ("application/*", ALL, JSONLD),
    ("text/turtle;q=0.5, application/ld+json;q=0.9", ALL, JSONLD),
    ("text/turtle;q=0.9, application/ld+json;q=0.9", ALL, TURTLE),
    ("application/ld+json;q=0.9, text/turtle;q=0.9", ALL, TURTLE),  # equal q: the server's order
    ("text/html;q=0, */*", ALL, TURTLE),
    ("*/*;q=0.1, application/rdf+xml", ALL, RDFXML),
    ("text/turtle;q=0", ALL, None),
    ("image/png", ALL, None),
    ("image/png, */*;q=0.01", ALL, HTML),
    ("text/html", RDF_ONLY, None),
    ("text/turtle; charset=utf-8; q=0.8, image/png", ALL, TURTLE),
    ("text/turtle;q=abc, application/n-triples;q=0.2", ALL, NTRIPLES),
    ("text/turtle;q=7", ALL, TURTLE),
    ("garbage", ALL, HTML),  # nothing parseable: treated as no preference
    ("text/plain", ALL, NTRIPLES),
    ("application/rdf+xml;q=0.5, application/*;q=0.1", ALL, RDFXML),
    ("text/html", (), None),
])
def test_choose(accept: str | None, offered: tuple[str, ...], chosen: str | None) -> None:
    assert choose(accept, offered) == chosen


@pytest.mark.parametrize(("value", "media_type"), [
    ("ttl", TURTLE), ("turtle", TURTLE), ("jsonld", JSONLD), ("json-ld", JSONLD), ("rdf", RDFXML),
    ("xml", RDFXML), ("nt", NTRIPLES), ("ntriples", NTRIPLES), ("html", HTML), ("TTL", TURTLE),
    ("text/turtle", TURTLE), ("application/ld+json", JSONLD),
])
def test_format_param(value: str, media_type: str) -> None:
    fmt = format_from_param(value)
    assert fmt is not None and fmt.media_type == media_type


@pytest.mark.parametrize("value", ["", None, "png", "csv", "text/csv"])
def test_unknown_format_param(value: str | None) -> None:
    assert format_from_param(value) is None


def test_parse_accept_skips_malformed_parts() -> None:
    ranges = parse_accept("text/turtle;q=0.5, nonsense, */html, application/ld+json")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [("text", "turtle", 0.5), ("application", "ld+json", 1.0)]


def test_cache_is_bounded_and_agrees_with_choose() -> None:
    cache = NegotiationCache(ALL, size=4)
    for i in range(20):
        accept = f"text/turtle;q=0.{i % 9 + 1}, application/ld+json;q=0.5".encode()
        assert cache.choose(accept) == choose(accept.decode(), ALL)
        assert len(cache._memo) <= 4
