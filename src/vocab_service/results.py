"""SPARQL result formats: content negotiation (pure functions) and serialisation of result rows.

SPARQL result formats (SELECT/ASK) and RDF graph formats (CONSTRUCT/DESCRIBE) are kept in separate
tables, because the form of a query decides which table applies. Rows are serialised here rather than
with ``QuerySolutions.serialize`` so that a result cut at ``max_result_rows`` stays a valid document
that says it was cut.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox


@dataclass(frozen=True)
class Format:
    key: str  # short name for ``format=``
    media_type: str  # the type the response is labelled with
    accepts: tuple[str, ...]  # media types of Accept that select it (the first is media_type)
    extension: str


RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", ("application/sparql-results+json", "application/json"),
           "srj"),
    Format("xml", "application/sparql-results+xml", ("application/sparql-results+xml", "application/xml"), "srx"),
    Format("csv", "text/csv", ("text/csv",), "csv"),
    Format("tsv", "text/tab-separated-values", ("text/tab-separated-values",), "tsv"),
)

GRAPH_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", ("text/turtle", "application/x-turtle"), "ttl"),
    Format("ntriples", "application/n-triples", ("application/n-triples", "text/plain"), "nt"),
    Format("rdfxml", "application/rdf+xml", ("application/rdf+xml", "application/xml"), "rdf"),
    Format("jsonld", "application/ld+json", ("application/ld+json", "application/json"), "jsonld"),
)

HTML = "text/html"
FORMAT_ALIASES = {"ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples", "rdf": "rdfxml",
                  "rdf+xml": "rdfxml", "json-ld": "jsonld", "srj": "json", "srx": "xml"}

RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}


def parse_accept(accept: str | None) -> list[tuple[str, float, int]]:
    """``(media range, q, position)`` for each entry of an Accept header; a missing header is ``*/*``."""
    if not accept or not accept.strip():
        return [("*/*", 1.0, 0)]
    ranges: list[tuple[str, float, int]] = []
    for index, part in enumerate(accept.split(",")):
        pieces = part.strip().split(";")
        media = pieces[0].strip().lower()
        if not media:
            continue
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((media, q, index))
    return ranges


def _match_quality(media: str, ranges: list[tuple[str, float, int]]) -> tuple[float, int, int] | None:
    """(q, specificity, -position) of the most specific range matching ``media``, None if none does."""
    best: tuple[int, float, int] | None = None
    kind = media.split("/")[0]
    for rng, q, position in ranges:
        if rng == media:
            specificity = 2
        elif rng == kind + "/*":
            specificity = 1
        elif rng == "*/*":
            specificity = 0
        else:
            continue
        if best is None or specificity > best[0]:
            best = (specificity, q, position)
    if best is None or best[1] <= 0:
        return None
    return best[1], best[0], -best[2]


def negotiate(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client prefers (q first, then specificity, then its own order).

    Ties go to the server's order of ``offered``. None when the client accepts none of them.
    """
    ranges = parse_accept(accept)
    best: tuple[tuple[float, int, int], int, str] | None = None
    for order, media in enumerate(offered):
        quality = _match_quality(media, ranges)
        if quality is None:
            continue
        key = (quality, -order, media)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None


def _choose(accept: str | None, table: Sequence[Format], *, html: bool) -> str | None:
    offered = [m for f in table for m in f.accepts]
    if html:
        offered = [*offered, HTML]  # last: a client that accepts anything gets data, not a page
    chosen = negotiate(accept, offered)
    if chosen is None or chosen == HTML:
        return chosen
    return next(f.key for f in table if chosen in f.accepts)


def choose_result_format(accept: str | None, *, html: bool = False) -> str | None:
    """Key of the SPARQL results format for SELECT/ASK (``"html"`` when allowed and preferred)."""
    chosen = _choose(accept, RESULT_FORMATS, html=html)
    return "html" if chosen == HTML else chosen


def choose_graph_format(accept: str | None, *, html: bool = False) -> str | None:
    """Key of the RDF format for CONSTRUCT/DESCRIBE (``"html"`` when allowed and preferred)."""
    chosen = _choose(accept, GRAPH_FORMATS, html=html)
    return "html" if chosen == HTML else chosen


def format_param(value: str) -> tuple[str | None, str | None]:
    """Map ``format=`` (a short name or a media type) to (result key, graph key)."""
    value = value.strip().lower()
    value = FORMAT_ALIASES.get(value, value)
    if value == "html" or value == HTML:
        return "html", "html"
    result = next((f.key for f in RESULT_FORMATS if value in (f.key, *f.accepts)), None)
    graph = next((f.key for f in GRAPH_FORMATS if value in (f.key, *f.accepts)), None)
    # Clients such as SPARQLWrapper send format=xml / format=json whatever the query form.
    graph = graph or {"xml": "rdfxml", "json": "jsonld"}.get(value)
    return result, graph


def media_type(key: str) -> str:
    for fmt in (*RESULT_FORMATS, *GRAPH_FORMATS):
        if fmt.key == key:
            return fmt.media_type
    raise KeyError(key)


# Serialisation -------------------------------------------------------------------------------------

Term = Any  # a pyoxigraph NamedNode, BlankNode, Literal or Triple
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
TRUNCATION_NOTE = "result truncated at {n} rows (the service's max_result_rows)"


def term_json(term: Term) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": term_json(term.subject),
                                            "predicate": term_json(term.predicate),
                                            "object": term_json(term.object)}}
    raise TypeError(f"not an RDF term: {term!r}")


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
                f"</predicate><object>{_xml_term(term.object)}</object></triple>")
    raise TypeError(f"not an RDF term: {term!r}")


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    return str(term)


def _tsv_value(term: Term | None) -> str:
    return "" if term is None else str(term)  # pyoxigraph's str() is the N-Triples/Turtle form TSV asks for


def serialize_rows(variables: Sequence[str], rows: Iterable[Sequence[Term | None]], key: str,
                   truncated_at: int | None = None) -> bytes:
    """Serialise SELECT rows; ``truncated_at`` adds a note where the format has room for one."""
    note = TRUNCATION_NOTE.format(n=truncated_at) if truncated_at is not None else None
    if key == "json":
        bindings = [{v: term_json(t) for v, t in zip(variables, row, strict=True) if t is not None} for row in rows]
        doc: dict[str, Any] = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
        if note:
            doc["head"]["link"] = []
            doc["results"]["truncated"] = True  # an extension member; clients ignore unknown members
            doc["results"]["note"] = note
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    if key == "xml":
        parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
        if note:
            parts.append(f"<!-- {escape(note)} -->")
        parts.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in variables) + "</head>")
        parts.append("<results>")
        for row in rows:
            parts.append("<result>" + "".join(
                f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                for v, t in zip(variables, row, strict=True) if t is not None) + "</result>")
        parts.append("</results></sparql>\n")
        return "".join(parts).encode()
    if key == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(variables)
        for row in rows:
            writer.writerow([_csv_value(t) for t in row])
        return buffer.getvalue().encode()
    if key == "tsv":
        lines = ["\t".join("?" + v for v in variables)]
        lines.extend("\t".join(_tsv_value(t) for t in row) for row in rows)
        return ("\n".join(lines) + "\n").encode()
    raise ValueError(f"unknown result format {key}")


def serialize_boolean(value: bool, key: str) -> bytes:
    if key == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if key == "xml":
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
                f"<boolean>{'true' if value else 'false'}</boolean></sparql>\n").encode()
    if key in ("csv", "tsv"):
        header = "_askResult" if key == "csv" else "?_askResult"
        return f"{header}\n{'true' if value else 'false'}\n".encode()
    raise ValueError(f"unknown result format {key}")


def serialize_triples(triples: Sequence[Any], key: str) -> bytes:
    return ox.serialize(triples, format=RDF_FORMATS[key])
