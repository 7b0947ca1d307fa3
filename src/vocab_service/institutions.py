"""Institutions publish their role descriptions; each institution's data is one named graph.

``InstitutionService`` knows nothing of HTTP: it validates and stores a description, deletes it, lists the
institutions and reads the change history. The routes below and the ``load`` command both use it.

Every accepted write is recorded in the changes graph with PROV-O: a ``prov:Activity`` (``dcterms:type``
"replace" or "delete") associated with the agent that held the token, with its start and end time; it
``prov:generated`` (replace) or ``prov:used`` (delete) a ``prov:Entity`` that is a
``prov:specializationOf`` the institution's graph and carries its ``void:triples`` count.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef

from . import negotiation
from .alignment import Alignment, load_query
from .auth import Principal, require_writer
from .errors import BadRequest, NotAcceptable, NotFound, Unprocessable
from .namespaces import Namespaces
from .rendering import render, request_lang, t
from .store import Store

PROV = Namespace("http://www.w3.org/ns/prov#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
VOID = Namespace("http://rdfs.org/ns/void#")
SCHEMA = Namespace("https://schema.org/")
SLUG = re.compile(r"[a-z0-9-]{1,64}")


def check_id(institution_id: str) -> str:
    """The identifier if it is a lowercase slug; BadRequest otherwise (no path tricks reach the store)."""
    if not SLUG.fullmatch(institution_id):
        raise BadRequest("an institution identifier is 1-64 characters of a-z, 0-9 and '-'")
    return institution_id


def agent_iri(ns: Namespaces, principal: Principal) -> str:
    return (
        f"{ns.base}agent/{principal.name}"
        if principal.is_admin
        else f"{ns.base}agent/institution/{principal.name}"
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass
class PublishResult:
    institution: str
    graph: str
    created: bool
    triples: int
    report: Any  # validation.ValidationReport

    def to_json(self) -> dict[str, Any]:
        return {
            "institution": self.institution,
            "graph": self.graph,
            "created": self.created,
            "triples": self.triples,
            "report": self.report.to_json(),
        }


@dataclass
class InstitutionService:
    """Validated, atomic, serialised writes of institution graphs, and the reads around them."""

    store: Store
    ns: Namespaces
    vocabulary: Graph
    validator: Any  # validation.Validator, or None to build one from ``shapes`` on first write
    alignment: Alignment
    shapes: Graph | None = None
    context: dict[str, Any] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _locks_guard: threading.Lock = field(default_factory=threading.Lock)
    _changes_lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def _locked(self, institution_id: str) -> Iterator[None]:
        with self._locks_guard:
            lock = self._locks.setdefault(institution_id, threading.Lock())
        with lock:
            yield

    # Writes ---------------------------------------------------------------------------------------
    def parse(self, body: bytes, media_type: str) -> Graph:
        from .parsing import parse_description

        return parse_description(
            body, media_type, vocabulary=self.vocabulary, ns=self.ns, context=self.context
        )

    def identify(self, graph: Graph, expected: str | None) -> str:
        """The identifier of the one institution the data describes; Unprocessable otherwise."""
        dom = Namespace(self.ns.model)
        institutions = sorted(set(graph.subjects(RDF.type, dom.Institution)), key=str)
        if len(institutions) != 1:
            raise Unprocessable(
                f"the data must describe exactly one institution (a dom:Institution); it describes "
                f"{len(institutions)}" + (f": {', '.join(map(str, institutions))}" if institutions else "")
            )
        identifiers = sorted(str(v) for v in graph.objects(institutions[0], DCTERMS.identifier))
        if len(identifiers) != 1:
            raise Unprocessable(
                f"the institution {institutions[0]} needs exactly one dcterms:identifier; "
                f"it has {len(identifiers)}"
            )
        found = identifiers[0]
        if expected is not None and found != expected:
            raise Unprocessable(
                f"the data describes the institution '{found}' (dcterms:identifier) but was "
                f"sent to '{expected}'; an institution may only publish its own description",
                institution=expected,
                described=found,
            )
        if not SLUG.fullmatch(found):
            raise Unprocessable(f"the identifier '{found}' is not 1-64 characters of a-z, 0-9 and '-'")
        return found

    def _validator(self) -> Any:
        if self.validator is None:
            from .validation import Validator

            self.validator = Validator(self.vocabulary, self.shapes if self.shapes is not None else Graph())
        return self.validator

    def publish(
        self,
        body: bytes,
        media_type: str,
        principal: Principal,
        *,
        expected: str | None = None,
        lang: str = "nl",
        authorize: Any = None,
    ) -> PublishResult:
        """Parse, check, validate and store a description, replacing the institution's graph.

        Violations raise Unprocessable with the report and store nothing; warnings are stored and returned.
        ``authorize(institution_id)`` is called once the institution is known (for the CLI's files).
        """
        started = _now()
        graph = self.parse(body, media_type)
        institution_id = self.identify(graph, expected)
        if authorize is not None:
            authorize(institution_id)
        report = self._validator().validate(graph, lang=lang)
        if report.has_violations:
            raise Unprocessable(
                f"the description of '{institution_id}' violates the role-description shapes; "
                "nothing was stored",
                report=report.to_json(),
            )
        name = self.ns.institution_graph(institution_id)
        ntriples = graph.serialize(format="nt", encoding="utf-8")
        with self._locked(institution_id):
            created = name not in self.store.graphs()
            self.store.replace_graph(name, ntriples)
            self._record("replace", principal, name, len(graph), started, generated=True)
        return PublishResult(institution_id, name, created, len(graph), report)

    def delete(self, institution_id: str, principal: Principal) -> None:
        started = _now()
        name = self.ns.institution_graph(check_id(institution_id))
        with self._locked(institution_id):
            triples = self.store.graph_ntriples(name).count(b"\n")
            if not self.store.delete_graph(name):
                raise NotFound(f"no institution '{institution_id}'")
            self._record("delete", principal, name, triples, started, generated=False)

    def _record(
        self,
        action: str,
        principal: Principal,
        graph_name: str,
        triples: int,
        started: str,
        *,
        generated: bool,
    ) -> None:
        g = Graph()
        activity = URIRef(f"urn:uuid:{uuid.uuid4()}")
        version = URIRef(f"urn:uuid:{uuid.uuid4()}")
        agent = URIRef(agent_iri(self.ns, principal))
        g.add((activity, RDF.type, PROV.Activity))
        g.add((activity, DCTERMS.type, Literal(action)))
        g.add((activity, PROV.wasAssociatedWith, agent))
        g.add((activity, PROV.startedAtTime, Literal(started, datatype=XSD.dateTime)))
        g.add((activity, PROV.endedAtTime, Literal(_now(), datatype=XSD.dateTime)))
        g.add((activity, PROV.generated if generated else PROV.used, version))
        if not generated:
            g.add((activity, PROV.invalidated, URIRef(graph_name)))
        g.add((version, RDF.type, PROV.Entity))
        g.add((version, PROV.specializationOf, URIRef(graph_name)))
        g.add((version, VOID.triples, Literal(triples)))
        g.add((agent, RDF.type, PROV.Agent))
        g.add((agent, DCTERMS.identifier, Literal(principal.name)))
        with self._changes_lock:
            existing = self.store.graph_ntriples(self.ns.changes_graph)
            self.store.replace_graph(
                self.ns.changes_graph, existing + g.serialize(format="nt", encoding="utf-8")
            )

    # Reads ----------------------------------------------------------------------------------------
    def graph(self, institution_id: str) -> Graph:
        data = self.store.graph_ntriples(self.ns.institution_graph(check_id(institution_id)))
        if not data.strip():
            raise NotFound(f"no institution '{institution_id}'")
        graph = Graph().parse(data=data, format="nt")
        for prefix in ("dom", "dov"):
            graph.bind(prefix, self.ns.model if prefix == "dom" else self.ns.concept)
        graph.bind("schema", SCHEMA)
        graph.bind("skos", "http://www.w3.org/2004/02/skos/core#")
        return graph

    def list(self, lang: str = "nl") -> list[dict[str, Any]]:
        """Every institution with id, name, sector, homepage, role count and last change."""
        items = self.alignment.institutions()
        return [{**item, "name": self.alignment.label(item["iri"], lang)} for item in items]

    def history(self, institution_id: str) -> list[dict[str, Any]]:
        name = self.ns.institution_graph(check_id(institution_id))
        rows = self.store.select(
            load_query("alignment-changes", self.ns), {"changes": self.ns.changes_graph, "graph": name}
        )
        return [
            {
                "activity": r["activity"],
                "action": r["action"],
                "agent": r["agent"],
                "by": r.get("agentId"),
                "started": r.get("started"),
                "ended": r["ended"],
                "graph": r["graph"],
                "triples": int(r["triples"]),
            }
            for r in rows
        ]


# Files (the ``load`` command) ----------------------------------------------------------------------

# Media types by file extension; in a folder one file per name is loaded, the first in this order.
FILE_TYPES = {
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
    ".nt": "application/n-triples",
    ".rdf": "application/rdf+xml",
    ".csv": "text/csv",
}


def description_files(paths: list[Path]) -> list[Path]:
    """The files to load: files as given, and per folder one file per stem (Turtle before JSON-LD, ...)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            by_stem: dict[str, Path] = {}
            for child in sorted(
                path.iterdir(),
                key=lambda p: (list(FILE_TYPES).index(p.suffix) if p.suffix in FILE_TYPES else 99, p.name),
            ):
                if child.is_file() and child.suffix in FILE_TYPES:
                    by_stem.setdefault(child.stem, child)
            found.extend(sorted(by_stem.values()))
        else:
            found.append(path)
    return found


def load_file(service: InstitutionService, path: Path, principal: Principal) -> PublishResult:
    """Publish one file as its institution's description, validated exactly like a PUT."""
    media_type = FILE_TYPES.get(path.suffix.lower())
    if media_type is None:
        raise BadRequest(f"unknown file type '{path.suffix}'; use one of {', '.join(FILE_TYPES)}")
    return service.publish(path.read_bytes(), media_type, principal)


def offline_service(settings: Any) -> InstitutionService:
    """The service over the store of ``settings`` without a server (for the ``load`` command).

    The vocabulary and shapes are brought up to date exactly as at server start. An embedded store held
    by a running server raises ``StoreBusy``.
    """
    from types import SimpleNamespace

    from .app import load_sources
    from .store import open_store
    from .validation import Validator

    try:
        store = open_store(settings)
    except OSError as exc:
        if "lock" in str(exc).lower():
            raise StoreBusy(settings.data_dir) from None
        raise
    state = SimpleNamespace(settings=settings, ns=Namespaces(settings.base_iri), store=store)
    load_sources(SimpleNamespace(state=state))  # type: ignore[arg-type]
    state.validator = Validator(state.vocabulary, state.shapes)
    state.context = _json_ld_context(settings)
    return service_for(SimpleNamespace(state=state))


def _json_ld_context(settings: Any) -> dict[str, Any]:
    """The project's JSON-LD context if the vocabulary ships one (for JSON-LD uploads)."""
    import json

    path = settings.ontology_dir / "context.jsonld"
    return json.loads(path.read_text("utf-8")) if path.is_file() else {}


class StoreBusy(Exception):
    def __init__(self, data_dir: Path) -> None:
        super().__init__(
            f"the store in {data_dir} is in use by a running server; stop the server first, "
            f"or publish through it with PUT /institutions/{{id}}"
        )


# HTTP ---------------------------------------------------------------------------------------------

LIST_FORMATS = ("text/html", "application/json")


def _service(request: Request) -> InstitutionService:
    state = request.app.state
    service: InstitutionService | None = getattr(state, "institutions", None)
    if service is None:
        with state.institutions_guard:  # one service per app: its locks serialise the writes
            service = getattr(state, "institutions", None) or service_for(request.app)
            state.institutions = service
    return service


def _graph_format(request: Request) -> negotiation.Format:
    requested = request.query_params.get("format")
    if requested:
        fmt = negotiation.format_from_param(requested)
        if fmt is None:
            raise BadRequest(f"unknown format '{requested}'; use ttl, jsonld, rdf, nt or html")
        return fmt
    chosen = negotiation.choose(
        request.headers.get("accept"), [f.media_type for f in negotiation.RDF_FORMATS] + [negotiation.HTML]
    )
    if chosen is None:
        raise NotAcceptable("this resource is available as Turtle, JSON-LD, RDF/XML, N-Triples and HTML")
    return negotiation.BY_MEDIA_TYPE[chosen]


def _wants_html(request: Request) -> bool:
    requested = request.query_params.get("format")
    if requested:
        if requested not in ("html", "json"):
            raise BadRequest("format is html or json")
        return requested == "html"
    chosen = negotiation.choose(request.headers.get("accept"), ["application/json", "text/html"])
    return chosen == "text/html"


router = APIRouter(tags=["institutions"])


@router.get("/institutions", response_model=None)
async def list_institutions(request: Request) -> Response:
    """The institutions that publish role descriptions (JSON or HTML)."""
    lang = request_lang(request)
    items = await run_in_threadpool(_service(request).list, lang)
    if _wants_html(request):
        alignment = _service(request).alignment
        return render(
            "institutions.html",
            lang=lang,
            t=t,
            institutions=items,
            label=lambda iri: alignment.label(iri, lang),
        )
    return JSONResponse({"institutions": items})


@router.get("/institutions/{institution_id}", response_model=None)
async def get_institution(institution_id: str, request: Request) -> Response:
    """An institution's published graph in the negotiated RDF format, or its page."""
    check_id(institution_id)
    fmt = _graph_format(request)
    service = _service(request)
    graph = await run_in_threadpool(service.graph, institution_id)
    if fmt.rdflib is None:
        lang = request_lang(request)
        summary = next(
            (i for i in await run_in_threadpool(service.list, lang) if i["id"] == institution_id), None
        )
        roles = await run_in_threadpool(service.alignment.roles, institution_id)
        history = await run_in_threadpool(service.history, institution_id)
        return render(
            "institution.html",
            lang=lang,
            t=t,
            institution=summary,
            roles=roles,
            history=history,
            formats=negotiation.RDF_FORMATS,
            label=lambda iri: service.alignment.label(iri, lang),
        )
    if fmt.rdflib == "json-ld" and service.context:
        body = graph.serialize(format="json-ld", context=service.context, auto_compact=True)
    else:
        body = graph.serialize(format=fmt.rdflib)
    return Response(body, media_type=negotiation.content_type(fmt), headers={"Vary": "Accept"})


@router.put("/institutions/{institution_id}", response_model=None, status_code=200)
async def put_institution(institution_id: str, request: Request) -> Response:
    """Replace an institution's role descriptions (validated; needs that institution's or the admin token)."""
    from .bodies import read_body

    check_id(institution_id)
    principal = require_writer(request, institution_id)
    body = await read_body(request, request.app.state.settings.max_body_bytes)
    media_type = request.headers.get("content-type", "")
    lang = request_lang(request)
    result = await run_in_threadpool(
        _service(request).publish, body, media_type, principal, expected=institution_id, lang=lang
    )
    headers = {"Location": f"/institutions/{institution_id}"}
    return JSONResponse(result.to_json(), status_code=201 if result.created else 200, headers=headers)


@router.delete("/institutions/{institution_id}", response_model=None, status_code=204)
async def delete_institution(institution_id: str, request: Request) -> Response:
    """Remove an institution's role descriptions (needs that institution's or the admin token)."""
    check_id(institution_id)
    principal = require_writer(request, institution_id)
    await run_in_threadpool(_service(request).delete, institution_id, principal)
    return Response(status_code=204)


@router.get("/institutions/{institution_id}/history", response_model=None)
async def institution_history(institution_id: str, request: Request) -> Response:
    """Who changed this institution's data and when (from the PROV-O changes graph)."""
    check_id(institution_id)
    items = await run_in_threadpool(_service(request).history, institution_id)
    return JSONResponse(
        {
            "institution": institution_id,
            "graph": request.app.state.ns.institution_graph(institution_id),
            "changes": items,
        }
    )


def service_for(app: Any) -> InstitutionService:
    state = app.state
    alignment = getattr(state, "alignment", None) or Alignment(state.store, state.ns)
    state.alignment = alignment
    return InstitutionService(
        store=state.store,
        ns=state.ns,
        vocabulary=state.vocabulary,
        validator=getattr(state, "validator", None),
        alignment=alignment,
        shapes=getattr(state, "shapes", None),
        context=getattr(state, "context", None) or _json_ld_context(state.settings),
    )


def install(app: FastAPI) -> None:
    """Routes for /institutions; the service is built on first use, once the validator exists."""
    app.state.institutions_guard = threading.Lock()
    app.include_router(router)
