"""HTTP routes of validation: ``POST /validate`` (JSON report or SHACL report graph), the form page, the CSV template."""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from . import negotiation
from .bodies import read_body
from .errors import BadRequest, NotAcceptable, ProblemError
from .parsing import CSV_COLUMNS, MEDIA_TYPES, csv_template, media_type_for_path, parse_description
from .rendering import render, request_lang, t
from .validation import ValidationReport, Validator, compact

router = APIRouter(tags=["validation"])

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
REPORT_TYPES = ("application/json", negotiation.TURTLE, negotiation.JSONLD)

_EXAMPLE_TURTLE = """@prefix dom: <https://w3id.org/docentondersteuning/model/> .
@prefix dov: <https://w3id.org/docentondersteuning/concept/> .
@prefix schema: <https://schema.org/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

<https://example.org/instelling/zeehaven> a dom:Institution ;
    schema:name "ROC Zeehaven"@nl ; dcterms:identifier "zeehaven" ; dom:sector dov:mbo ;
    dom:hasLocalRole <https://example.org/instelling/zeehaven/rol/ict-coach> .

<https://example.org/instelling/zeehaven/rol/ict-coach> a dom:LocalRole ;
    schema:name "ICT-coach onderwijs"@nl ;
    skos:exactMatch dov:icto-coach ;
    dom:worksAtLevel dov:operationeel-niveau ;
    dom:servesScope dov:individueel-niveau ;
    dom:performsTask dov:coachen-van-docenten ;
    dom:requiresCompetency dov:kennis-van-technologie .
"""
_EXAMPLE_JSONLD = {
    "@context": "https://w3id.org/docentondersteuning/context.jsonld",
    "id": "https://example.org/instelling/zeehaven", "type": "Institution", "name": "ROC Zeehaven",
    "identifier": "zeehaven", "sector": "dov:mbo",
    "roles": [{"id": "https://example.org/instelling/zeehaven/rol/ict-coach", "type": "LocalRole",
               "title": "ICT-coach onderwijs", "exactMatch": ["dov:icto-coach"],
               "levels": ["dov:operationeel-niveau"], "scopes": ["dov:individueel-niveau"],
               "tasks": ["dov:coachen-van-docenten"], "competencies": ["dov:kennis-van-technologie"]}],
}
_EXAMPLE_REPORT = {
    "conforms": False, "lang": "en", "counts": {"violation": 1, "warning": 0, "info": 0},
    "results": [{
        "focus_node": "https://example.org/instelling/zeehaven/rol/ict-coach",
        "path": "https://w3id.org/docentondersteuning/model/performsTask",
        "value": "urn:x-unknown-term:coachen%20docent", "severity": "violation",
        "source_shape": "https://w3id.org/docentondersteuning/shapes/role-task-class",
        "message": "'coachen docent' is not a task of the vocabulary (dom:Task or dom:EducationSupportProcess).",
        "suggestions": [{"iri": "https://w3id.org/docentondersteuning/concept/coachen-van-docenten",
                         "label": "coaching teachers"}],
    }],
}
_PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}
POST_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The role description; Content-Type names its format.",
        "content": {
            "text/turtle": {"schema": {"type": "string"}, "example": _EXAMPLE_TURTLE},
            "application/ld+json": {"schema": {"type": "object"}, "example": _EXAMPLE_JSONLD},
            "application/json": {"schema": {"type": "object"}, "example": {
                k: v for k, v in _EXAMPLE_JSONLD.items() if k != "@context"}},
            "application/rdf+xml": {"schema": {"type": "string"}},
            "application/n-triples": {"schema": {"type": "string"}, "example":
                                      "<https://example.org/i> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                                      "<https://w3id.org/docentondersteuning/model/Institution> .\n"},
            "text/csv": {"schema": {"type": "string"}, "example": csv_template()},
            "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
                "text": {"type": "string"}, "format": {"type": "string", "enum": list(MEDIA_TYPES)}}}},
        },
    },
    "parameters": [{"name": "lang", "in": "query", "required": False,
                    "schema": {"type": "string", "enum": ["nl", "en"]},
                    "description": "Language of the messages (else Accept-Language, else the default)."}],
    "responses": {
        "200": {"description": "The validation report, whether or not the description conforms.",
                "content": {"application/json": {"example": _EXAMPLE_REPORT},
                            "text/turtle": {"schema": {"type": "string"}},
                            "application/ld+json": {"schema": {"type": "object"}},
                            "text/html": {"schema": {"type": "string"}}}},
        "400": {"description": "Unparsable input (with line and column where known); the form page answers "
                "a form post with the page and the message.", "content": {**_PROBLEM, "text/html": {}}},
        "413": {"description": "The body is larger than the limit.", "content": _PROBLEM},
        "415": {"description": "Unsupported Content-Type; the supported ones are listed.",
                "content": {**_PROBLEM, "text/html": {}}},
    },
}


def _validator(request: Request) -> Validator:
    return request.app.state.validator  # type: ignore[no-any-return]


def _parse(request: Request, body: bytes, media_type: str) -> Any:
    state = request.app.state
    return parse_description(body, media_type, vocabulary=state.vocabulary, ns=state.ns,
                             context=state.validation_context)


def _check(request: Request, body: bytes, media_type: str, lang: str) -> ValidationReport:
    return _validator(request).validate(_parse(request, body, media_type), lang=lang)


@router.post("/validate", response_model=None, openapi_extra=POST_OPENAPI,
             summary="Validate a role description against the role-description shapes")
async def validate(request: Request) -> Response:
    """Validate a role description; 200 with the report (JSON, or the SHACL report graph by Accept)."""
    media_type = request.headers.get("content-type", "")
    main = media_type.partition(";")[0].strip().lower()
    lang = request_lang(request)
    body = await read_body(request, request.app.state.settings.max_body_bytes)
    if main in FORM_TYPES:
        return await _form_post(request, body, media_type, lang)
    accept = request.headers.get("accept")
    chosen = negotiation.choose(accept, REPORT_TYPES)
    if chosen == negotiation.JSONLD and "ld+json" not in (accept or "").lower():
        chosen = "application/json"  # negotiation reads application/json as JSON-LD; here it names the report
    if chosen is None:
        raise NotAcceptable(f"the report is available as {', '.join(REPORT_TYPES)}")
    report = await run_in_threadpool(_check, request, body, media_type, lang)
    if chosen == "application/json":
        return JSONResponse(report.to_json(), headers={"Vary": "Accept, Accept-Language"})
    fmt = "turtle" if chosen == negotiation.TURTLE else "json-ld"
    text = report.graph.serialize(format=fmt)
    media = chosen + ("; charset=utf-8" if chosen == negotiation.TURTLE else "")
    return Response(text, media_type=media, headers={"Vary": "Accept, Accept-Language"})


def _form_fields(body: bytes, media_type: str) -> dict[str, tuple[bytes, str | None]]:
    """Fields of a form post: name -> (content, file name or None)."""
    if media_type.lower().startswith("application/x-www-form-urlencoded"):
        try:
            pairs = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest(f"the form could not be read: {exc}") from None
        return {k: (v[0].encode("utf-8"), None) for k, v in pairs.items()}
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + media_type.encode("latin-1", "replace") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise BadRequest("the multipart form could not be read")
    fields: dict[str, tuple[bytes, str | None]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            fields[name] = (payload if isinstance(payload, bytes) else b"", part.get_filename())
    return fields


async def _form_post(request: Request, body: bytes, media_type: str, lang: str) -> Response:
    """The page's form: a pasted text or an uploaded file, answered with the report as HTML."""
    fields = _form_fields(body, media_type)
    lang = fields["lang"][0].decode("utf-8", "replace") if "lang" in fields else lang
    lang = lang if lang in ("nl", "en") else request.app.state.settings.default_lang
    content, filename = fields.get("file", (b"", None))
    chosen = fields.get("format", (b"", None))[0].decode("utf-8", "replace").strip()
    if not content.strip():
        content, filename = fields.get("text", (b"", None))
    text = content.decode("utf-8", "replace") if not filename else ""
    error: dict[str, Any] | None = None
    report: ValidationReport | None = None
    try:
        if not content.strip():
            raise BadRequest(t(lang, "Plak een beschrijving of kies een bestand.",
                               "Paste a description or choose a file."))
        if chosen in MEDIA_TYPES:
            kind = chosen
        elif filename:
            kind = media_type_for_path(filename)
        else:
            kind = _guess(content)
        report = await run_in_threadpool(_check, request, content, kind, lang)
    except ProblemError as exc:
        error = {"status": exc.status, "detail": exc.detail, "line": exc.extra.get("line"),
                 "column": exc.extra.get("column")}
    return render("validate.html", lang=lang, status=200 if error is None else error["status"], t=t,
                  formats=MEDIA_TYPES, chosen=chosen, text=text[:200_000], report=report, error=error,
                  compact=compact, label=lambda iri: _validator(request).terms.label(iri, lang),
                  local=lambda iri: _local(request, iri), columns=CSV_COLUMNS)


def _local(request: Request, iri: str) -> str:
    """A term IRI as a link on this service ({base}concept/x is served at /concept/x)."""
    base = request.app.state.ns.base
    return "/" + iri[len(base):] if iri.startswith(base) else iri


def _guess(content: bytes) -> str:
    """The format of pasted text when the form says 'automatic'."""
    start = content.lstrip()[:200]
    if start.startswith((b"{", b"[")):
        return "application/ld+json"
    if start.startswith(b"<?xml") or start.startswith(b"<rdf:RDF"):
        return "application/rdf+xml"
    if start.lower().startswith(b"institution_id") or b"role_title" in start.split(b"\n", 1)[0]:
        return "text/csv"
    return "text/turtle"


@router.get("/validate", response_model=None, summary="Validation page",
            responses={200: {"description": "A form to paste or upload a description.",
                             "content": {"text/html": {"example": "<!doctype html>..."}}}})
async def validate_page(request: Request) -> Response:
    """A page with a form to paste or upload a role description and see the report (works without JavaScript)."""
    lang = request_lang(request)
    return render("validate.html", lang=lang, t=t, formats=MEDIA_TYPES, chosen="", text="", report=None,
                  error=None, compact=compact, label=lambda iri: None, local=lambda iri: iri, columns=CSV_COLUMNS)


@router.get("/validate/template.csv", response_model=None, summary="CSV template of a role description",
            responses={200: {"description": "The header and one example row.",
                             "content": {"text/csv": {"example": csv_template()}}}})
async def template_csv() -> Response:
    """The CSV template for role descriptions: one row per local role (docs/validation.md lists the columns)."""
    return Response(csv_template(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="role-descriptions.csv"'})


def load_context(app: FastAPI) -> dict[str, Any]:
    path = app.state.settings.ontology_dir / "context.jsonld"
    return json.loads(path.read_text("utf-8")) if path.is_file() else {}


async def _start(app: FastAPI) -> None:
    app.state.validation_context = load_context(app)
    app.state.validator = await run_in_threadpool(Validator, app.state.vocabulary, app.state.shapes)


def install(app: FastAPI) -> None:
    """Routes for /validate; the validator is built once at start from the parsed vocabulary and shapes."""
    app.include_router(router)
    app.state.starters.append(_start)
