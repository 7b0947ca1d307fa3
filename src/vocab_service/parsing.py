"""Reading role descriptions sent by institutions: Turtle, JSON-LD, RDF/XML, N-Triples and a CSV template.

Untrusted input never makes the service reach outside: JSON-LD may only use the project's own context (inline,
or by its URL, which is resolved to ontology/context.jsonld locally); any other ``@context`` string or an
``@import`` is refused before parsing. RDF/XML with a DOCTYPE (the door to entity expansion) is refused before
parsing. JSON deeper than ``MAX_JSON_DEPTH`` is refused (the JSON-LD parser would overflow its stack).
Turtle, N-Triples, JSON-LD and RDF/XML are parsed with pyoxigraph, which reports line and column.
"""

from __future__ import annotations

import csv
import io
import json
import re
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import defusedxml.ElementTree as DefusedET
import pyoxigraph as ox
from defusedxml import DefusedXmlException
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, SKOS, XSD

from .errors import InputError, PayloadTooLarge, UnsupportedMediaType
from .namespaces import DEFAULT_BASE, Namespaces
from .validation import UNKNOWN_TERM_PREFIX, TermIndex, normalise

SCHEMA = Namespace("https://schema.org/")

TURTLE = "text/turtle"
JSON_LD = "application/ld+json"
JSON = "application/json"
RDF_XML = "application/rdf+xml"
N_TRIPLES = "application/n-triples"
CSV = "text/csv"
MEDIA_TYPES: tuple[str, ...] = (TURTLE, JSON_LD, JSON, RDF_XML, N_TRIPLES, CSV)
EXTENSIONS = {".ttl": TURTLE, ".jsonld": JSON_LD, ".json": JSON, ".rdf": RDF_XML, ".xml": RDF_XML,
              ".owl": RDF_XML, ".nt": N_TRIPLES, ".csv": CSV}
FORMAT_NAMES = {"turtle": TURTLE, "ttl": TURTLE, "json-ld": JSON_LD, "jsonld": JSON_LD, "json": JSON,
                "rdf-xml": RDF_XML, "rdfxml": RDF_XML, "xml": RDF_XML, "n-triples": N_TRIPLES, "nt": N_TRIPLES,
                "csv": CSV}
_OX_FORMATS = {TURTLE: ox.RdfFormat.TURTLE, N_TRIPLES: ox.RdfFormat.N_TRIPLES, RDF_XML: ox.RdfFormat.RDF_XML,
               JSON_LD: ox.RdfFormat.JSON_LD}

MAX_JSON_DEPTH = 64
# A role description has tens to hundreds of triples; 2 MB of nested collections parse into ~200k,
# which cost about a minute of graph building and validation. Refuse them while parsing.
MAX_TRIPLES = 20_000
MAX_MESSAGE = 300

CSV_COLUMNS = ("institution_id", "institution_name", "sector", "homepage", "role_id", "role_title",
               "role_description", "unit", "mapping_kind", "vocabulary_role", "levels", "scopes", "tasks",
               "competencies")
CSV_REQUIRED = ("institution_id", "role_title")
MAPPING_KINDS = {"exact": SKOS.exactMatch, "close": SKOS.closeMatch, "broad": SKOS.broadMatch,
                 "narrow": SKOS.narrowMatch}
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


def media_type_for_path(path: str | Path) -> str:
    """The media type of a file by its extension; UnsupportedMediaType for an unknown one."""
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        raise UnsupportedMediaType(f"cannot tell the format of '{Path(path).name}' from its extension; "
                                   f"known: {', '.join(sorted(EXTENSIONS))}", supported=list(MEDIA_TYPES))
    return EXTENSIONS[suffix]


def normalise_media_type(media_type: str | None) -> str:
    """``text/turtle; charset=utf-8`` -> ``text/turtle``; UnsupportedMediaType unless in MEDIA_TYPES."""
    main, _, params = (media_type or "").partition(";")
    main = main.strip().lower()
    charset = re.search(r"charset\s*=\s*\"?([\w-]+)", params, re.IGNORECASE)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8", "us-ascii"):
        raise UnsupportedMediaType(f"only UTF-8 is accepted, not charset={charset.group(1)}",
                                   supported=list(MEDIA_TYPES))
    if main not in MEDIA_TYPES:
        shown = main or "(none)"
        raise UnsupportedMediaType(f"unsupported media type {shown}; supported: {', '.join(MEDIA_TYPES)}",
                                   supported=list(MEDIA_TYPES))
    return main


def parse_description(body: bytes, media_type: str, *, vocabulary: Graph, ns: Namespaces,
                      context: dict[str, Any]) -> Graph:
    """Parse an uploaded description into an rdflib graph; InputError (400) or UnsupportedMediaType (415)."""
    kind = normalise_media_type(media_type)
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    if not body.strip():
        raise InputError("the description is empty")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[:exc.start].count(b"\n") + 1
        column = exc.start - (body.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(f"the description is not valid UTF-8 (byte {exc.start})", line=line,
                         column=column) from None
    if kind == CSV:
        return parse_csv(text, vocabulary=vocabulary, ns=ns)
    if kind in (JSON_LD, JSON):
        body = _safe_json_ld(text, ns, context)
        kind = JSON_LD
    elif kind == RDF_XML:
        _refuse_doctype(body)
    return _parse_rdf(body, kind)


def _parse_rdf(body: bytes, kind: str) -> Graph:
    graph = _new_graph()
    try:
        for count, triple in enumerate(ox.parse(body, format=_OX_FORMATS[kind], base_iri=None,
                                                without_named_graphs=True)):
            if count >= MAX_TRIPLES:
                raise PayloadTooLarge(f"the description has more than {MAX_TRIPLES} triples", limit=MAX_TRIPLES)
            graph.add((_term(triple.subject), _term(triple.predicate), _term(triple.object)))  # type: ignore[arg-type]
    except SyntaxError as exc:
        line = exc.lineno if kind != JSON_LD else None
        column = exc.offset if kind != JSON_LD else None
        raise InputError(_short(f"the {_NAMES[kind]} could not be parsed: {exc.msg}"), line=line,
                         column=column) from None
    except ValueError as exc:  # e.g. an RDF 1.2 triple term, which role descriptions never need
        raise InputError(_short(f"the {_NAMES[kind]} could not be read: {exc}")) from None
    return graph


_NAMES = {TURTLE: "Turtle", N_TRIPLES: "N-Triples", RDF_XML: "RDF/XML", JSON_LD: "JSON-LD"}


def _term(term: Any) -> URIRef | BNode | Literal:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value, datatype=None if datatype == str(XSD.string) else URIRef(datatype))
    raise ValueError("triple terms are not supported")


def _short(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "…"


def _new_graph() -> Graph:
    graph = Graph()
    graph.bind("dom", DEFAULT_BASE + "model/")
    graph.bind("dov", DEFAULT_BASE + "concept/")
    graph.bind("schema", SCHEMA)
    return graph


# JSON-LD ------------------------------------------------------------------------------------------------

def _safe_json_ld(text: str, ns: Namespaces, context: dict[str, Any]) -> bytes:
    """The document with the project's context applied and every context checked to be local."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(_short(f"the JSON could not be parsed: {exc.msg}"), line=exc.lineno,
                         column=exc.colno) from None
    except RecursionError:
        raise InputError(f"the JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels)") from None
    _check_depth(document)
    local = context.get("@context", context) if isinstance(context, dict) else {}
    own_urls = {ns.context_url, DEFAULT_BASE + "context.jsonld"}
    document = _localise_contexts(document, own_urls, local)
    if isinstance(document, list):
        document = {"@context": local, "@graph": document}
    elif isinstance(document, dict) and "@context" not in document:
        document = {"@context": local, **document}
    elif not isinstance(document, dict):
        raise InputError("a JSON-LD description is a JSON object or array")
    return json.dumps(document).encode("utf-8")


def _check_depth(document: Any) -> None:
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InputError(f"the JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels)")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _localise_contexts(value: Any, own_urls: set[str], local: dict[str, Any]) -> Any:
    """Copy of the JSON with the service's context URL replaced by the local context; other references refused."""
    if isinstance(value, list):
        return [_localise_contexts(v, own_urls, local) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "@import":
            raise InputError("JSON-LD @import is not accepted: use the project's context "
                             f"({sorted(own_urls)[0]}) or an inline context")
        if key == "@context":
            out[key] = _localise_context(item, own_urls, local)
        else:
            out[key] = _localise_contexts(item, own_urls, local)
    return out


def _localise_context(item: Any, own_urls: set[str], local: dict[str, Any]) -> Any:
    if isinstance(item, list):
        return [_localise_context(i, own_urls, local) for i in item]
    if item is None:
        return None
    if isinstance(item, str):
        if item in own_urls:
            return local
        raise InputError(_short(f"the JSON-LD context '{item}' is not fetched: only the project's context "
                                f"({sorted(own_urls)[0]}) or an inline context is accepted"))
    if isinstance(item, dict):
        return _localise_contexts(item, own_urls, local)
    raise InputError("a JSON-LD @context must be an object, an array or the project's context URL")


# RDF/XML ------------------------------------------------------------------------------------------------

def _refuse_doctype(body: bytes) -> None:
    """Refuse DTDs and entities before any RDF parser sees the document; report XML syntax errors."""
    if re.search(rb"<!(DOCTYPE|ENTITY)", body, re.IGNORECASE):
        raise InputError("RDF/XML with a DOCTYPE or ENTITY declaration is not accepted")
    try:
        DefusedET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise InputError("RDF/XML with a DOCTYPE or ENTITY declaration is not accepted") from None
    except DefusedET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise InputError(_short(f"the XML could not be parsed: {exc}"), line=line,
                         column=None if column is None else column + 1) from None


# CSV ----------------------------------------------------------------------------------------------------

_CATEGORIES = {
    "sector": {"Sector"}, "vocabulary_role": {"SupportRole"}, "levels": {"Level"}, "scopes": {"Scope"},
    "tasks": {"Task", "EducationSupportProcess"}, "competencies": {"Competency"},
}
_PROPERTIES = {"levels": "worksAtLevel", "scopes": "servesScope", "tasks": "performsTask",
               "competencies": "requiresCompetency"}
_indexes: weakref.WeakKeyDictionary[Graph, TermIndex] = weakref.WeakKeyDictionary()


def term_index(vocabulary: Graph) -> TermIndex:
    """The label index of a vocabulary graph, built once per graph."""
    index = _indexes.get(vocabulary)
    if index is None:
        index = _indexes[vocabulary] = TermIndex(vocabulary)
    return index


def csv_template(ns: Namespaces | None = None) -> str:
    """The CSV template: the header and one example row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerow(["zeehaven", "ROC Zeehaven", "mbo", "https://zeehaven.example.nl/", "ict-coach",
                     "ICT-coach onderwijs", "Begeleidt docenten bij de inzet van ICT in hun lessen.",
                     "Center for Teaching and Learning", "exact", "ICTO-coach", "operationeel niveau",
                     "individueel niveau; teamniveau", "coachen van docenten; trainen van docenten",
                     "kennis van technologie; flexibiliteit"])
    return buffer.getvalue()


def _rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InputError("the CSV is empty") from None
    except csv.Error as exc:
        raise InputError(f"the CSV could not be read: {exc}", line=reader.line_num) from None
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise InputError(f"unknown CSV column(s): {', '.join(repr(u) for u in unknown)}; the columns are: "
                         f"{', '.join(CSV_COLUMNS)}", line=1, column=header.index(unknown[0]) + 1)
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise InputError(f"the CSV lacks the column(s) {', '.join(missing)}", line=1)
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                raise InputError(f"row {reader.line_num} has {len(cells)} cells but the header has {len(header)}",
                                 line=reader.line_num)
            yield reader.line_num, {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
    except csv.Error as exc:
        raise InputError(f"the CSV could not be read: {exc}", line=reader.line_num) from None


def parse_csv(text: str, *, vocabulary: Graph, ns: Namespaces) -> Graph:
    """One row per local role; vocabulary terms by Dutch or English label, slug or IRI.

    A term that matches nothing becomes ``urn:x-unknown-term:<label>``, so the validation report names it and
    suggests the nearest terms instead of refusing the whole file.
    """
    index = term_index(vocabulary)
    dom = Namespace(ns.model)
    graph = _new_graph()
    graph.bind("org", ORG)
    institution: dict[str, str] = {}
    seen_roles: set[str] = set()
    rows = 0
    for line, row in _rows(text):
        rows += 1
        for key in ("institution_id", "institution_name", "sector", "homepage"):
            value = row.get(key, "")
            if value and institution.get(key) and institution[key] != value:
                raise InputError(f"row {line}: {key} '{value}' differs from '{institution[key]}' in an earlier row; "
                                 "one CSV describes one institution", line=line, column=_column(row, key))
            if value:
                institution.setdefault(key, value)
        inst_id = institution.get("institution_id", "")
        if not SLUG.fullmatch(inst_id):
            raise InputError(f"row {line}: institution_id must be 1-64 characters of a-z, 0-9 and '-'",
                             line=line, column=_column(row, "institution_id"))
        inst = URIRef(f"{ns.base}institution/{inst_id}")
        title = row.get("role_title", "")
        if not title:
            raise InputError(f"row {line}: role_title is empty", line=line, column=_column(row, "role_title"))
        role_id = row.get("role_id") or _slug(title)
        if not SLUG.fullmatch(role_id):
            raise InputError(f"row {line}: role_id must be 1-64 characters of a-z, 0-9 and '-'", line=line,
                             column=_column(row, "role_id"))
        if role_id in seen_roles:
            raise InputError(f"row {line}: the role '{role_id}' appears twice", line=line,
                             column=_column(row, "role_id"))
        seen_roles.add(role_id)
        role = URIRef(f"{inst}/role/{role_id}")
        graph.add((inst, dom.hasLocalRole, role))
        graph.add((role, RDF.type, dom.LocalRole))
        graph.add((role, SCHEMA.name, Literal(title, lang="nl")))
        if row.get("role_description"):
            graph.add((role, SCHEMA.description, Literal(row["role_description"], lang="nl")))
        if row.get("unit"):
            unit = URIRef(f"{inst}/unit/{_slug(row['unit'])}")
            graph.add((unit, RDF.type, ORG.OrganizationalUnit))
            graph.add((unit, SCHEMA.name, Literal(row["unit"], lang="nl")))
            graph.add((unit, ORG.unitOf, inst))
            graph.add((inst, ORG.hasUnit, unit))
            graph.add((role, dom.inUnit, unit))
        kind = (row.get("mapping_kind") or "exact").lower()
        if kind not in MAPPING_KINDS:
            raise InputError(f"row {line}: mapping_kind '{kind}' is not one of {', '.join(MAPPING_KINDS)}",
                             line=line, column=_column(row, "mapping_kind"))
        for item in _split(row.get("vocabulary_role", "")):
            graph.add((role, MAPPING_KINDS[kind], _resolve(index, item, "vocabulary_role", ns)))
        for column, prop in _PROPERTIES.items():
            for item in _split(row.get(column, "")):
                graph.add((role, dom[prop], _resolve(index, item, column, ns)))
    if rows == 0:
        raise InputError("the CSV has a header but no rows")
    inst = URIRef(f"{ns.base}institution/{institution['institution_id']}")
    graph.add((inst, RDF.type, dom.Institution))
    graph.add((inst, DCTERMS.identifier, Literal(institution["institution_id"])))
    if institution.get("institution_name"):
        graph.add((inst, SCHEMA.name, Literal(institution["institution_name"], lang="nl")))
    if institution.get("sector"):
        graph.add((inst, dom.sector, _resolve(index, institution["sector"], "sector", ns)))
    if institution.get("homepage"):
        graph.add((inst, SCHEMA.url, URIRef(institution["homepage"])))
    return graph


def _column(row: dict[str, str], key: str) -> int | None:
    keys = list(row)
    return keys.index(key) + 1 if key in keys else None


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _slug(text: str) -> str:
    return normalise(text).replace(" ", "-")[:64].strip("-") or "x"


def _resolve(index: TermIndex, text: str, column: str, ns: Namespaces) -> URIRef:
    """A concept by IRI, ``dov:`` name, slug or label; the expected category first, then any concept."""
    categories = {ns.model + c for c in _CATEGORIES[column]}
    found = index.lookup(text, categories) or index.lookup(text)
    if found is not None:
        return URIRef(found)
    return URIRef(UNKNOWN_TERM_PREFIX + quote(text, safe=""))
