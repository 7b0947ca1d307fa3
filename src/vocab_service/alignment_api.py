"""Routes of the alignment views and the dashboard: JSON, CSV or HTML over ``alignment.Alignment``.

The format is ``?format=json|csv|html`` or negotiated on ``Accept`` (JSON when the client has no
preference). CSV cells that a spreadsheet would read as a formula are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from . import negotiation
from .alignment import WEIGHTS, Alignment, cell_state
from .errors import BadRequest, NotAcceptable
from .rendering import render, request_lang, t

JSON, CSV, HTML = "application/json", "text/csv", "text/html"
FORMATS = {"json": JSON, "csv": CSV, "html": HTML}

router = APIRouter(tags=["alignment"])


def _alignment(request: Request) -> Alignment:
    """The app's alignment service; the store generation at the first call is noted on the request, so a
    response built from data read before a write is not cached as if it were current."""
    state = request.app.state
    alignment: Alignment | None = getattr(state, "alignment", None)
    if alignment is None:
        alignment = state.alignment = Alignment(state.store, state.ns)
    if not hasattr(request.state, "generation"):
        request.state.generation = alignment.store.generation
    return alignment


def choose_format(
    accept: str | None, requested: str | None, offered: tuple[str, ...] = (JSON, CSV, HTML)
) -> str:
    """``?format=`` wins; otherwise the client's preference among ``offered`` (first when indifferent)."""
    if requested:
        chosen = FORMATS.get(requested.strip().lower())
        if chosen is None or chosen not in offered:
            names = ", ".join(k for k, v in FORMATS.items() if v in offered)
            raise BadRequest(f"unknown format '{requested}'; use {names}")
        return chosen
    ranges = negotiation.parse_accept(accept)
    if not ranges:
        return offered[0]
    best, best_q = None, 0.0
    for media in offered:
        q = negotiation.quality(ranges, media)
        if media == JSON:  # the shared parser files application/json under JSON-LD
            q = max(q, negotiation.quality(ranges, negotiation.JSONLD))
        if q > best_q:
            best, best_q = media, q
    if best is None:
        raise NotAcceptable("this view is available as JSON, CSV and HTML")
    return best


def _safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_response(header: list[str], rows: Iterable[Iterable[Any]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe_cell(v) for v in row])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{filename}.csv"', "Vary": "Accept"},
    )


VIEW_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The view as JSON, CSV or an HTML page (Accept or ?format=).",
          "content": {JSON: {}, CSV: {}, HTML: {}}}}

# Query parameters that select what a view shows; only these take part in the response cache key.
VIEW_PARAMS = ("role", "limit", "a", "b", "institution", "task", "sector")

# The views read their parameters from the query string themselves (one cache key for every view);
# this documents them in the OpenAPI description.
_PARAM_DOCS: dict[str, tuple[str, dict[str, Any], Any]] = {
    "role": ("A vocabulary role (slug or IRI) for the crosswalk; a local role's IRI for similar roles.",
             {"type": "string"}, "icto-coach"),
    "limit": ("How many similar roles to return.", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}, 5),
    "a": ("Identifier of the first institution.", {"type": "string", "pattern": "^[a-z0-9-]{1,64}$"}, "zeehaven"),
    "b": ("Identifier of the second institution.", {"type": "string", "pattern": "^[a-z0-9-]{1,64}$"},
          "duinrand"),
    "institution": ("Identifier of an institution ('all' or absent: every institution).",
                    {"type": "string"}, "zeehaven"),
    "task": ("A task of the vocabulary (slug or IRI).", {"type": "string"}, "coachen-van-docenten"),
    "sector": ("Only institutions of this sector.", {"type": "string", "enum": ["mbo", "hbo", "wo"]}, "hbo"),
    "format": ("Instead of Accept: json, csv or html.", {"type": "string", "enum": ["json", "csv", "html"]},
               "csv"),
    "lang": ("Language of labels and pages (nl or en).", {"type": "string", "enum": ["nl", "en"]}, "en"),
}


def documented(*names: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """``openapi_extra`` listing the view's query parameters."""
    parameters = []
    for name in (*names, "format", "lang"):
        description, schema, example = _PARAM_DOCS[name]
        parameters.append({"name": name, "in": "query", "required": name in required,
                           "description": description, "schema": schema, "example": example})
    return {"parameters": parameters}


async def _respond(
    request: Request,
    data: dict[str, Any],
    *,
    template: str,
    filename: str,
    csv_rows: Callable[[], tuple[list[str], Iterable[Iterable[Any]]]],
    offered: tuple[str, ...] = (JSON, CSV, HTML),
    **page: Any,
) -> Response:
    """The view in the negotiated format; the serialised response is kept until the store changes."""
    fmt = choose_format(request.headers.get("accept"), request.query_params.get("format"), offered)
    lang = request_lang(request) if fmt == HTML else ""
    alignment = _alignment(request)
    params = {k: request.query_params[k] for k in VIEW_PARAMS if k in request.query_params}

    def build() -> Response:
        if fmt == JSON:
            return JSONResponse(data, headers={"Vary": "Accept"})
        if fmt == CSV:
            header, rows = csv_rows()
            return csv_response(header, rows, filename)
        return render(
            template,
            lang=lang,
            t=t,
            data=data,
            label=lambda iri: alignment.label(iri, lang),
            slug=lambda iri: (iri or "").rsplit("/", 1)[-1],
            weights=WEIGHTS,
            query_json=urlencode({**params, "format": "json"}),
            query_csv=urlencode({**params, "format": "csv"}),
            **page,
        )

    key = ("response", request.url.path, tuple(sorted(params.items())), fmt, lang)
    response: Response = await run_in_threadpool(alignment.cached, key, build, request.state.generation)
    return response


def _join(values: Iterable[str]) -> str:
    return " ".join(values)


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "10")
    try:
        return int(raw)
    except ValueError:
        raise BadRequest("limit is a whole number") from None


def _optional_id(request: Request, name: str = "institution") -> str | None:
    value = request.query_params.get(name) or None
    if value in (None, "all"):
        return None
    from .institutions import check_id

    return check_id(value)


def _required(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if not value:
        raise BadRequest(f"the query parameter '{name}' is required")
    return value


@router.get("/alignment/crosswalk", response_model=None, responses=VIEW_RESPONSES,
            openapi_extra=documented("role", required=("role",)))
async def crosswalk(request: Request) -> Response:
    """Every institution's local roles mapped to a vocabulary role (?role= slug or IRI)."""
    alignment = _alignment(request)
    role = request.query_params.get("role")
    if not role:
        fmt = choose_format(request.headers.get("accept"), request.query_params.get("format"))
        if fmt != HTML:
            raise BadRequest("the query parameter 'role' (a vocabulary role slug or IRI) is required")
        roles = await run_in_threadpool(alignment.support_roles)
        return await _respond(
            request,
            {"role": None, "mappings": [], "institutions_without": []},
            template="crosswalk.html",
            filename="crosswalk",
            csv_rows=lambda: ([], []),
            support_roles=roles,
        )
    data = await run_in_threadpool(alignment.crosswalk, role)
    roles = await run_in_threadpool(alignment.support_roles)
    lang = request_lang(request)
    # The institution's own title of each role, so a spreadsheet or a client needs no second lookup.
    titles = await run_in_threadpool(lambda: {m["role"]: alignment.label(m["role"], lang) for m in data["mappings"]})
    data = {**data, "mappings": [{**m, "title": titles[m["role"]]} for m in data["mappings"]]}
    return await _respond(
        request,
        data,
        template="crosswalk.html",
        filename="crosswalk",
        support_roles=roles,
        csv_rows=lambda: (
            ["institution", "sector", "role", "title", "kind", "levels"],
            (
                [m["institution"], m["sector"], m["role"], m["title"], m["kind"], _join(m["levels"])]
                for m in data["mappings"]
            ),
        ),
    )


@router.get("/alignment/similar", response_model=None, responses=VIEW_RESPONSES,
            openapi_extra=documented("role", "limit", required=("role",)))
async def similar(request: Request) -> Response:
    """The local roles at other institutions most similar to one local role (?role=IRI&limit=)."""
    role, limit = _required(request, "role"), _limit(request)
    data = await run_in_threadpool(_alignment(request).similar, role, limit)
    names = list(WEIGHTS)
    return await _respond(
        request,
        data,
        template="similar.html",
        filename="similar",
        csv_rows=lambda: (
            ["rank", "institution", "role", "score", *[f"shared_{n}" for n in names]],
            (
                [i, r["institution"], r["role"], r["score"], *[_join(r["shared"][n]) for n in names]]
                for i, r in enumerate(data["results"], start=1)
            ),
        ),
    )


@router.get("/alignment/compare", response_model=None, responses=VIEW_RESPONSES,
            openapi_extra=documented("a", "b", required=("a", "b")))
async def compare(request: Request) -> Response:
    """Two institutions side by side, role by role (?a=&b=)."""
    from .institutions import check_id

    a, b = check_id(_required(request, "a")), check_id(_required(request, "b"))
    data = await run_in_threadpool(_alignment(request).compare, a, b)

    def rows() -> Iterable[list[Any]]:
        yield from ([p["a"], p["b"], p["score"], _join(p["shared"]["tasks"])] for p in data["pairs"])
        yield from ([r, "", "", ""] for r in data["unmatched_a"])
        yield from (["", r, "", ""] for r in data["unmatched_b"])

    return await _respond(
        request,
        data,
        template="compare.html",
        filename=f"compare-{a}-{b}",
        csv_rows=lambda: ([f"role_{a}", f"role_{b}", "score", "shared_tasks"], rows()),
    )


@router.get("/alignment/missing", response_model=None, responses=VIEW_RESPONSES,
            openapi_extra=documented("institution"))
async def missing(request: Request) -> Response:
    """Missing links: per institution, the tasks of the vocabulary that none of its roles performs."""
    institution = _optional_id(request)
    alignment = _alignment(request)
    items = await run_in_threadpool(
        alignment.cached,
        ("missing", institution),
        lambda: alignment.missing(institution),
        request.state.generation,
    )
    data = {"institution": institution, "institutions": items}
    return await _respond(
        request,
        data,
        template="missing.html",
        filename="missing",
        csv_rows=lambda: (
            ["institution", "scope", "level", "task"],
            (
                [i["institution"], g["scope"], g["level"], task]
                for i in items
                for g in i["groups"]
                for task in g["tasks"]
            ),
        ),
    )


@router.get("/alignment/duplicates", response_model=None, responses=VIEW_RESPONSES,
            openapi_extra=documented("institution"))
async def duplicates(request: Request) -> Response:
    """Duplicated work: per institution, tasks performed by roles in different units."""
    institution = _optional_id(request)
    alignment = _alignment(request)
    items = await run_in_threadpool(
        alignment.cached,
        ("duplicates", institution),
        lambda: alignment.duplicates(institution),
        request.state.generation,
    )
    data = {"institution": institution, "institutions": items}
    return await _respond(
        request,
        data,
        template="duplicates.html",
        filename="duplicates",
        csv_rows=lambda: (
            ["institution", "task", "role", "units"],
            (
                [i["institution"], d["task"], r["role"], _join(r["units"])]
                for i in items
                for d in i["tasks"]
                for r in d["roles"]
            ),
        ),
    )


@router.get("/alignment/sectors", response_model=None, responses=VIEW_RESPONSES,
            openapi_extra=documented())
async def sectors(request: Request) -> Response:
    """Coverage of tasks and levels per sector (mbo, hbo, wo): institutions covering each, percentage."""
    alignment = _alignment(request)
    items = await run_in_threadpool(
        alignment.cached, ("sectors",), alignment.sectors, request.state.generation
    )
    data = {"sectors": items}
    return await _respond(
        request,
        data,
        template="sectors.html",
        filename="sectors",
        csv_rows=lambda: (
            ["sector", "institutions", "dimension", "concept", "covered", "percentage"],
            (
                [s["sector"], s["institutions"], dim[:-1], c["concept"], c["covered"], c["percentage"]]
                for s in items
                for dim in ("tasks", "levels")
                for c in s[dim]
            ),
        ),
    )


@router.get("/alignment/roles", response_model=None, responses=VIEW_RESPONSES,
            openapi_extra=documented("institution", "task", required=("institution",)))
async def roles(request: Request) -> Response:
    """The roles of one institution, optionally only those performing a task (?institution=&task=)."""
    from .institutions import check_id

    alignment = _alignment(request)
    institution = check_id(_required(request, "institution"))
    task_param = request.query_params.get("task")
    task = alignment.resolve_concept(task_param) if task_param else None
    found = await run_in_threadpool(alignment.roles, institution, task)
    items = [
        {
            "role": f.role,
            "units": sorted(f.units),
            "mappings": {k: sorted(v) for k, v in f.mappings.items() if v},
            **{n: sorted(v) for n, v in f.features.items()},
        }
        for f in found
    ]
    data = {"institution": institution, "task": task, "roles": items}
    return await _respond(
        request,
        data,
        template="roles.html",
        filename=f"roles-{institution}",
        csv_rows=lambda: (
            ["role", "units", "tasks", "roles"],
            ([r["role"], _join(r["units"]), _join(r["tasks"]), _join(r["roles"])] for r in items),
        ),
    )


def dashboard_rows(coverage: dict[str, Any]) -> list[dict[str, Any]]:
    """The heatmap's rows: one per institution, a cell per task with its state and role count."""
    rows = []
    for inst in coverage["institutions"]:
        cells = []
        for task in coverage["tasks"]:
            cell = inst["cells"].get(task["task"], {"roles": 0, "units": 0})
            heat = min(cell["roles"], 3)
            cells.append({"task": task["task"], **cell, "state": cell_state(cell), "heat": heat})
        rows.append(
            {
                "institution": inst["institution"],
                "sector": inst["sector"],
                "cells": cells,
                "gaps": sum(c["state"] == "gap" for c in cells),
                "overlaps": sum(c["state"] == "overlap" for c in cells),
            }
        )
    return rows


@router.get("/alignment", response_model=None, responses=VIEW_RESPONSES, openapi_extra=documented("sector"))
@router.get("/alignment/dashboard", response_model=None, responses=VIEW_RESPONSES,
            openapi_extra=documented("sector"))
async def dashboard(request: Request) -> Response:
    """Institutions x tasks: how many roles cover each task; gaps and overlaps highlighted (?sector=)."""
    alignment = _alignment(request)
    sector = request.query_params.get("sector") or None
    coverage = await run_in_threadpool(alignment.coverage, sector)
    rows = dashboard_rows(coverage)
    data = {"sector": coverage["sector"], "tasks": coverage["tasks"], "institutions": rows}
    sectors = await run_in_threadpool(alignment.sector_iris)
    institutions = await run_in_threadpool(alignment.institution_ids)
    return await _respond(
        request,
        data,
        template="dashboard.html",
        filename="coverage",
        offered=(HTML, JSON, CSV),
        csv_rows=lambda: (
            ["institution", "sector", "task", "roles", "units", "state"],
            (
                [r["institution"], r["sector"], c["task"], c["roles"], c["units"], c["state"]]
                for r in rows
                for c in r["cells"]
            ),
        ),
        sectors=sectors,
        institutions=institutions,
    )


def install(app: FastAPI) -> None:
    """Routes for /alignment; after every write the shared inputs of the views are prepared again."""

    async def start(app: FastAPI) -> None:
        state = app.state
        alignment = getattr(state, "alignment", None) or Alignment(state.store, state.ns)
        state.alignment = alignment
        state.store.on_change(alignment.warm_in_background)
        alignment.warm_in_background()

    app.state.starters.append(start)
    app.include_router(router)
