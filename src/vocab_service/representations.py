"""Prepared representations: every term in every format, built once per change of the vocabulary.

A ``Snapshot`` is the vocabulary graph at one moment with the lookups pages and search need. From it
the ``Publisher`` prepares a ``Table``: for each path on the service's origin the bodies, strong ETags
and pre-encoded headers of its representations. The fast path in ``terms`` only looks bytes up here.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD, Namespace

from .namespaces import Namespaces
from .negotiation import HTML, RDF_FORMATS, TERM_FORMATS, Format, content_type
from .rendering import HTML_HEADERS

log = logging.getLogger("vocab_service")

SCHEMA = Namespace("https://schema.org/")
LABEL_PREDICATES = (SKOS.prefLabel, RDFS.label, SCHEMA.name)
CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"ETag, Link, Content-Location, Content-Language, X-Request-Id"),
]


def standard_prefixes(ns: Namespaces) -> dict[str, str]:
    return {
        "dov": ns.concept, "dom": ns.model, "dos": ns.scheme, "doc": ns.collection, "dosrc": ns.source,
        "skos": str(SKOS), "dcterms": str(DCTERMS), "rdfs": str(RDFS), "owl": str(OWL), "rdf": str(RDF),
        "xsd": str(XSD), "schema": str(SCHEMA), "org": "http://www.w3.org/ns/org#",
        "sh": "http://www.w3.org/ns/shacl#", "prov": "http://www.w3.org/ns/prov#",
    }


class Snapshot:
    """The vocabulary graph at one moment, with label lookups; derived data is memoised per snapshot."""

    def __init__(self, graph: Graph, ns: Namespaces, digest: str, default_lang: str = "nl") -> None:
        self.graph = graph
        self.ns = ns
        self.digest = digest
        self.default_lang = default_lang
        self.prefixes = standard_prefixes(ns)
        self._derived: dict[str, Any] = {}
        self._lock = threading.Lock()
        # Plain dict indexes: rdflib's triple lookups cost microseconds each, pages make thousands.
        self.out: dict[Any, list[tuple[Any, Any]]] = defaultdict(list)
        self.into: dict[Any, list[tuple[Any, Any]]] = defaultdict(list)
        for s, p, o in graph:
            self.out[s].append((p, o))
            self.into[o].append((s, p))

    def objects(self, subject: Any, predicate: Any) -> list[Any]:
        return [o for p, o in self.out.get(subject, ()) if p == predicate]

    def subjects(self, predicate: Any, obj: Any) -> list[Any]:
        return [s for s, p in self.into.get(obj, ()) if p == predicate]

    def has(self, subject: Any, predicate: Any, obj: Any) -> bool:
        return (predicate, obj) in self.out.get(subject, ())

    @classmethod
    def from_ntriples(cls, data: bytes, ns: Namespaces, default_lang: str = "nl") -> Snapshot:
        graph = Graph(bind_namespaces="none")
        if data:
            graph.parse(data=data, format="nt")
        return cls(graph, ns, hashlib.sha256(data).hexdigest(), default_lang)

    def derived(self, key: str, factory: Callable[[Snapshot], Any]) -> Any:
        """``factory(self)`` computed once for this snapshot (search index, hierarchy, ...)."""
        try:
            return self._derived[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self._derived:
                self._derived[key] = factory(self)
            return self._derived[key]

    # Labels -----------------------------------------------------------------------------------
    def texts(self, subject: URIRef | BNode, predicate: URIRef, lang: str | None = None) -> list[str]:
        """Literal values of ``predicate``; with ``lang`` those in that language (else untagged ones)."""
        values = [o for o in self.objects(subject, predicate) if isinstance(o, Literal)]
        if lang is not None:
            tagged = [o for o in values if o.language == lang]
            values = tagged or [o for o in values if o.language is None]
        return sorted(str(v) for v in values)

    def text(self, subject: URIRef | BNode, predicate: URIRef, lang: str) -> str | None:
        """One value in ``lang``, else in the default language, else untagged, else any."""
        values = [o for o in self.objects(subject, predicate) if isinstance(o, Literal)]
        for wanted in (lang, self.default_lang, None):
            for value in sorted(values):
                if value.language == wanted:
                    return str(value)
        return str(min(values)) if values else None

    def label(self, node: URIRef | BNode, lang: str) -> str:
        for predicate in LABEL_PREDICATES + (DCTERMS.title,):
            text = self.text(node, predicate, lang)
            if text:
                return text
        return local_name(str(node)) if isinstance(node, URIRef) else ""

    def path_of(self, iri: str) -> str | None:
        """The path on this service's origin for an IRI under the base, or None."""
        return path_for(iri, self.ns.base)

    def served_iris(self) -> list[URIRef]:
        """Every IRI under the base that the vocabulary describes (is the subject of a triple)."""
        return sorted(s for s in self.out if isinstance(s, URIRef) and path_for(str(s), self.ns.base))


def local_name(iri: str) -> str:
    for sep in ("#", "/"):
        if sep in iri.rstrip(sep):
            return iri.rstrip(sep).rsplit(sep, 1)[1]
    return iri


def path_for(iri: str, base: str) -> str | None:
    if not iri.startswith(base) or "#" in iri or "?" in iri:
        return None
    rest = iri[len(base):]
    return "/" + rest if rest else None


# Descriptions ---------------------------------------------------------------------------------
def describe(graph: Graph | Snapshot, subject: URIRef) -> Graph:
    """All triples about ``subject`` with the closure over blank nodes, plus the labels of every resource
    it points to, so a client can show the term without asking again."""
    if isinstance(graph, Snapshot):
        out_index = graph.out
        return _describe(lambda node: out_index.get(node, ()),
                         lambda node, predicate: graph.objects(node, predicate), subject)
    return _describe(graph.predicate_objects, graph.objects, subject)  # type: ignore[arg-type]


def _describe(outgoing: Callable[[Any], Iterable[tuple[Any, Any]]], objects: Callable[[Any, Any], Iterable[Any]],
              subject: URIRef) -> Graph:
    out = Graph(bind_namespaces="none")
    pending: list[URIRef | BNode] = [subject]
    seen: set[URIRef | BNode] = set()
    pointed: set[URIRef] = set()
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        for predicate, obj in outgoing(node):
            out.add((node, predicate, obj))
            if isinstance(obj, BNode):
                pending.append(obj)
            elif isinstance(obj, URIRef) and obj != subject:
                pointed.add(obj)
    for obj in pointed:
        for predicate in LABEL_PREDICATES:
            for label in objects(obj, predicate):
                out.add((obj, predicate, label))
    return out


def serialize(graph: Graph, fmt: Format, prefixes: dict[str, str], used: dict[str, str] | None = None) -> bytes:
    """``graph`` in ``fmt`` with the prefixes it uses (pass ``used`` when serialising one graph repeatedly)."""
    used = used if used is not None else _used_prefixes(graph, prefixes)
    for prefix, namespace in used.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    if fmt.rdflib in ("nt", "xml"):
        # Oxigraph's serializers are fast and lossless (rdflib's pretty RDF/XML drops list assertions).
        data = graph.serialize(format="nt", encoding="utf-8")
        triples = ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
        if fmt.rdflib == "nt":
            return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        return ox.serialize(triples, format=ox.RdfFormat.RDF_XML, prefixes=used)
    if fmt.rdflib == "json-ld":
        # An inline context of prefixes only: clients expand it without fetching anything.
        return graph.serialize(format="json-ld", context=used, auto_compact=True, encoding="utf-8")
    return graph.serialize(format=fmt.rdflib or "turtle", encoding="utf-8")


def _used_prefixes(graph: Graph, prefixes: dict[str, str]) -> dict[str, str]:
    iris = {str(t) for triple in graph for t in triple if isinstance(t, URIRef)}
    iris |= {str(t.datatype) for _, _, t in graph if isinstance(t, Literal) and t.datatype}
    return {p: n for p, n in prefixes.items() if any(i.startswith(n) for i in iris)}


# Prepared responses ---------------------------------------------------------------------------
def etag_for(body: bytes) -> bytes:
    return b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'


@dataclass
class Variant:
    """One representation as bytes: status, body, ETag and headers, encoded once."""

    media_type: str
    body: bytes
    headers: list[tuple[bytes, bytes]]
    status: int = 200
    lang: str | None = None
    etag: bytes = b""
    not_modified_headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    @classmethod
    def make(cls, media_type: str, content_type_: str, body: bytes, extra: Iterable[tuple[str, str]],
             *, status: int = 200, lang: str | None = None, cache_max_age: int = 0) -> Variant:
        etag = etag_for(body)
        common = [(b"etag", etag), (b"cache-control", f"public, max-age={cache_max_age}".encode()),
                  *CORS_HEADERS, *((k.lower().encode(), v.encode("latin-1")) for k, v in extra)]
        headers = [(b"content-type", content_type_.encode()), (b"content-length", str(len(body)).encode()),
                   *common]
        if lang:
            headers.append((b"content-language", lang.encode()))
        return cls(media_type, body, headers, status, lang, etag, common)


@dataclass
class Entry:
    """What one path serves: variants by media type (HTML by language), and whether it negotiates."""

    path: str
    rdf: dict[str, Variant] = field(default_factory=dict)
    html: dict[str, Variant] = field(default_factory=dict)
    offered: tuple[str, ...] = ()
    strict: bool = True  # False: serve the first offered type when nothing fits instead of 406

    def variant(self, media_type: str, lang: str) -> Variant:
        if media_type == HTML:
            return self.html.get(lang) or next(iter(self.html.values()))
        return self.rdf[media_type]


Table = dict[str, Entry]
HtmlRenderer = Callable[[Snapshot, URIRef, str], str]
Contributor = Callable[[Snapshot, Table], None]


def _link(url: str, rel: str, media_type: str | None = None) -> str:
    return f'<{url}>; rel="{rel}"' + (f'; type="{media_type}"' if media_type else "")


def term_entries(snapshot: Snapshot, iri: URIRef, render_html: HtmlRenderer, cache_max_age: int,
                 langs: Iterable[str] = ("nl", "en")) -> list[Entry]:
    """The entries of one term: the generic path (negotiated) and one document path per format."""
    path = snapshot.path_of(str(iri))
    assert path is not None
    description = describe(snapshot, iri)
    used = _used_prefixes(description, snapshot.prefixes)
    bodies = {fmt: serialize(description, fmt, snapshot.prefixes, used) for fmt in RDF_FORMATS}
    pages = {lang: render_html(snapshot, iri, lang).encode() for lang in langs}
    successor = [str(o) for o in snapshot.objects(iri, DCTERMS.isReplacedBy) if isinstance(o, URIRef)]
    links_base = [_link(snapshot.path_of(s) or s, "successor-version") for s in successor]

    def links(current: Format | None) -> str:
        alternates = [_link(f"{path}.{f.extension}", "alternate", f.media_type)
                      for f in TERM_FORMATS if f is not current]
        return ", ".join(alternates + links_base)

    generic = Entry(path, offered=tuple(f.media_type for f in TERM_FORMATS))
    entries = [generic]
    for fmt in TERM_FORMATS:
        document = Entry(f"{path}.{fmt.extension}", offered=(fmt.media_type,), strict=False)
        for where, entry, vary in ((f"{path}.{fmt.extension}", generic, "Accept, Accept-Language, Cookie"),
                                   (None, document, "Accept-Language, Cookie" if fmt.rdflib is None else "")):
            extra: list[tuple[str, str]] = [("Link", links(fmt))]
            if vary:
                extra.append(("Vary", vary))
            if where:
                extra.append(("Content-Location", where))
            if fmt.rdflib is None:
                for lang, body in pages.items():
                    entry.html[lang] = Variant.make(HTML, content_type(fmt), body,
                                                    [*extra, *HTML_HEADERS.items()], lang=lang,
                                                    cache_max_age=cache_max_age)
            else:
                entry.rdf[fmt.media_type] = Variant.make(fmt.media_type, content_type(fmt), bodies[fmt], extra,
                                                         cache_max_age=cache_max_age)
        entries.append(document)
    return entries


def html_entry(path: str, pages: dict[str, str], cache_max_age: int) -> Entry:
    """A page that exists only as HTML, in each language (home, hierarchy, index)."""
    entry = Entry(path, offered=(HTML,), strict=False)
    for lang, html in pages.items():
        entry.html[lang] = Variant.make(HTML, "text/html; charset=utf-8", html.encode(),
                                        [("Vary", "Accept-Language, Cookie"), *HTML_HEADERS.items()],
                                        lang=lang, cache_max_age=cache_max_age)
    return entry


def file_entry(path: str, media_type: str, content_type_: str, body: bytes, cache_max_age: int,
               extra: Iterable[tuple[str, str]] = ()) -> Entry:
    """A single document (a download, the JSON-LD context): no negotiation."""
    entry = Entry(path, offered=(media_type,), strict=False)
    entry.rdf[media_type] = Variant.make(media_type, content_type_, body, extra, cache_max_age=cache_max_age)
    return entry


class Publisher:
    """Holds the current snapshot and prepared table; rebuilds both when the vocabulary graph changes.

    Components add ``renderer`` (term HTML) and ``contributors`` (extra entries) at install time.
    The table is replaced by assigning one reference, so readers never see a half-built table.
    """

    def __init__(self, ns: Namespaces, cache_max_age: int, default_lang: str) -> None:
        self.ns = ns
        self.cache_max_age = cache_max_age
        self.default_lang = default_lang
        self.renderer: HtmlRenderer = _plain_html
        self.contributors: list[Contributor] = []
        self.snapshot: Snapshot = Snapshot(Graph(), ns, "", default_lang)
        self.table: Table = {}
        self._build_lock = threading.Lock()

    def refresh(self, vocabulary_ntriples: bytes) -> bool:
        """Rebuild when the data differs from the current snapshot; True when it did."""
        digest = hashlib.sha256(vocabulary_ntriples).hexdigest()
        with self._build_lock:
            if digest == self.snapshot.digest:
                return False
            snapshot = Snapshot.from_ntriples(vocabulary_ntriples, self.ns, self.default_lang)
            self.table = self.build(snapshot)
            self.snapshot = snapshot
            return True

    def build(self, snapshot: Snapshot) -> Table:
        table: Table = {}
        for iri in snapshot.served_iris():
            for entry in term_entries(snapshot, iri, self.renderer, self.cache_max_age):
                table[entry.path] = entry
        for contribute in self.contributors:
            contribute(snapshot, table)
        log.info("prepared %d representations of %d paths", sum(len(e.rdf) + len(e.html) for e in table.values()),
                 len(table))
        return table


def _plain_html(snapshot: Snapshot, iri: URIRef, lang: str) -> str:
    from html import escape

    return f"<!doctype html><title>{escape(snapshot.label(iri, lang))}</title><p>{escape(str(iri))}</p>"
