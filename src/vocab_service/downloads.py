"""Downloads at stable URLs: the whole vocabulary and model in every RDF format, and the JSON-LD context.

``/downloads/docentondersteuning.{ttl,jsonld,rdf,nt}`` and ``/context.jsonld`` (the document behind the
context IRI ``{base}context.jsonld``) are prepared with each snapshot and served by the fast path.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from rdflib import Graph

from .negotiation import JSONLD, RDF_FORMATS, content_type
from .representations import Snapshot, Table, file_entry, serialize
from .terms import not_found, publisher, serve_entry

log = logging.getLogger("vocab_service")

NAME = "docentondersteuning"
DOWNLOADS = "/downloads/"
CONTEXT_PATH = "/context.jsonld"


def contribute(snapshot: Snapshot, table: Table, context_file: Path, cache_max_age: int) -> None:
    graph = Graph(bind_namespaces="none")
    for triple in snapshot.graph:
        graph.add(triple)
    alternates = ", ".join(f'<{DOWNLOADS}{NAME}.{f.extension}>; rel="alternate"; type="{f.media_type}"'
                           for f in RDF_FORMATS)
    for fmt in RDF_FORMATS:
        path = f"{DOWNLOADS}{NAME}.{fmt.extension}"
        body = serialize(graph, fmt, snapshot.prefixes)
        table[path] = file_entry(path, fmt.media_type, content_type(fmt), body, cache_max_age, [
            ("Link", alternates),
            ("Content-Disposition", f'inline; filename="{NAME}.{fmt.extension}"'),
        ])
    if context_file.is_file():
        table[CONTEXT_PATH] = file_entry(CONTEXT_PATH, JSONLD, JSONLD, context_file.read_bytes(), cache_max_age)
    else:
        log.warning("no JSON-LD context at %s; %s is not served", context_file, CONTEXT_PATH)


def install(app: FastAPI) -> None:
    pub = publisher(app)
    settings = app.state.settings
    context_file = settings.ontology_dir / "context.jsonld"
    pub.contributors.append(lambda snapshot, table: contribute(snapshot, table, context_file,
                                                               settings.cache_max_age))
    file_responses: dict[int | str, dict[str, Any]] = {
        200: {"description": "The document, with a strong ETag.",
              "content": {f.media_type: {} for f in RDF_FORMATS}},
        304: {"description": "Not modified."}, 404: {"description": "No such download."}}

    async def serve(request: Request) -> Response:
        entry = pub.table.get(request.url.path)
        if entry is None:
            return not_found(request, request.url.path)
        return serve_entry(request, entry)

    async def download(request: Request, name: str) -> Response:
        return await serve(request)

    app.add_api_route(DOWNLOADS + "{name}", download, methods=["GET", "HEAD"], tags=["downloads"],
                      response_class=Response, responses=file_responses, name="download",
                      summary="The whole vocabulary and model: docentondersteuning.ttl, .jsonld, .rdf or .nt")
    app.add_api_route(CONTEXT_PATH, serve, methods=["GET", "HEAD"], tags=["downloads"], response_class=Response,
                      responses={200: {"description": "The JSON-LD context of the project.",
                                       "content": {JSONLD: {}}}}, name="jsonld_context",
                      summary="The JSON-LD context (the document behind {base}context.jsonld)")
