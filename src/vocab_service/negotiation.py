"""Content negotiation for RDF graph formats and HTML (RFC 9110 §12.5.1), as pure functions.

``choose(accept, offered)`` picks the offered media type the client prefers: every offered type takes
the quality of the most specific matching media range (``type/subtype`` > ``type/*`` > ``*/*``); the
highest quality wins and ties go to the server's order of ``offered``. A missing or empty ``Accept``
accepts anything. SPARQL result formats are negotiated elsewhere; this table is for graphs only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

HTML = "text/html"
TURTLE = "text/turtle"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"
NTRIPLES = "application/n-triples"


@dataclass(frozen=True)
class Format:
    """One representation format: its media type, file extension and rdflib serializer name."""

    media_type: str
    extension: str
    rdflib: str | None
    charset: bool = True


HTML_FORMAT = Format(HTML, "html", None)
RDF_FORMATS: tuple[Format, ...] = (
    Format(TURTLE, "ttl", "turtle"),
    Format(JSONLD, "jsonld", "json-ld", charset=False),
    Format(RDFXML, "rdf", "xml", charset=False),
    Format(NTRIPLES, "nt", "nt"),
)
# HTML first: a browser's */* after specific types must not turn a page visit into a download.
TERM_FORMATS: tuple[Format, ...] = (HTML_FORMAT, *RDF_FORMATS)
BY_MEDIA_TYPE = {f.media_type: f for f in TERM_FORMATS}
BY_EXTENSION = {f.extension: f for f in TERM_FORMATS}

# Other names clients use for the same formats (requested in Accept or in ?format=).
MEDIA_ALIASES = {
    "application/x-turtle": TURTLE,
    "application/turtle": TURTLE,
    "application/json": JSONLD,
    "application/xhtml+xml": HTML,
    "text/plain": NTRIPLES,
    "application/xml": RDFXML,
    "text/xml": RDFXML,
}
FORMAT_ALIASES = {
    "turtle": "ttl", "json-ld": "jsonld", "json": "jsonld", "xml": "rdf", "rdfxml": "rdf", "owl": "rdf",
    "ntriples": "nt", "n-triples": "nt", "htm": "html",
}


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    @property
    def specificity(self) -> int:
        return 0 if self.type == "*" else 1 if self.subtype == "*" else 2

    def matches(self, media_type: str) -> bool:
        type_, _, subtype = media_type.partition("/")
        return (self.type == "*" or self.type == type_) and (self.subtype == "*" or self.subtype == subtype)


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed parts are skipped, bad q counts as 0."""
    ranges: list[MediaRange] = []
    if not header:
        return ranges
    for order, part in enumerate(header.split(",")):
        pieces = part.split(";")
        media = pieces[0].strip().lower()
        type_, slash, subtype = media.partition("/")
        if not slash or not type_ or not subtype or (type_ == "*" and subtype != "*"):
            continue
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        media = MEDIA_ALIASES.get(media, media)
        type_, _, subtype = media.partition("/")
        ranges.append(MediaRange(type_, subtype, q, order))
    return ranges


def quality(ranges: Sequence[MediaRange], media_type: str) -> float:
    """The quality the client gives ``media_type``: that of the most specific matching range."""
    best: MediaRange | None = None
    for range_ in ranges:
        if range_.matches(media_type) and (
            best is None or range_.specificity > best.specificity
            or (range_.specificity == best.specificity and range_.q > best.q)
        ):
            best = range_
    return best.q if best is not None else 0.0


def choose(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type to send, or None when the client accepts none of them (406)."""
    if not offered:
        return None
    ranges = parse_accept(accept)
    if not ranges:
        # No usable Accept header means "anything"; a header of only malformed parts counts the same.
        return offered[0]
    chosen: str | None = None
    chosen_q = 0.0
    for media_type in offered:
        q = quality(ranges, media_type)
        if q > chosen_q:
            chosen, chosen_q = media_type, q
    return chosen


def format_from_param(value: str | None) -> Format | None:
    """The format named by ``?format=`` (an extension, an alias or a media type); None if unknown."""
    if not value:
        return None
    value = value.strip().lower()
    value = FORMAT_ALIASES.get(value, value)
    if value in BY_EXTENSION:
        return BY_EXTENSION[value]
    media = MEDIA_ALIASES.get(value, value)
    return BY_MEDIA_TYPE.get(media)


def content_type(fmt: Format) -> str:
    return f"{fmt.media_type}; charset=utf-8" if fmt.charset else fmt.media_type


class NegotiationCache:
    """A small bounded memo of ``choose`` for the hot path: browsers send a handful of Accept strings.

    Plain dict access is atomic under the GIL; when full the memo is simply cleared (cheap, rare).
    """

    def __init__(self, offered: Sequence[str], size: int = 256) -> None:
        self.offered = tuple(offered)
        self.size = size
        self._memo: dict[bytes, str | None] = {}

    def choose(self, accept: bytes) -> str | None:
        try:
            return self._memo[accept]
        except KeyError:
            pass
        chosen = choose(accept.decode("latin-1"), self.offered)
        if len(self._memo) >= self.size:
            self._memo.clear()
        self._memo[accept] = chosen
        return chosen
