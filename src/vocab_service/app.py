"""The application factory: ``create_app(settings)`` builds a FastAPI app with its own state."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import AsyncIterator
from typing import Any
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from rdflib import Graph

from . import __version__, downloads, middleware, pages, search, terms
from . import alignment_api, auth, institutions
from . import validate_api
from . import sparql
from .errors import document_problems, install_error_handlers
from .namespaces import Namespaces
from .rendering import STATIC
from .settings import Settings
from .store import open_store

log = logging.getLogger("vocab_service")


def load_sources(app: FastAPI) -> None:
    """Bring the store up to date with ``ontology/`` and ``shapes/`` (idempotent)."""
    settings: Settings = app.state.settings
    ns: Namespaces = app.state.ns
    store = app.state.store
    ontology = sorted(settings.ontology_dir.glob("*.ttl"))
    shapes = sorted(settings.shapes_dir.glob("*.ttl"))
    if not ontology:
        raise RuntimeError(f"no Turtle files in the ontology directory {settings.ontology_dir}")
    if store.sync_graph_from_files(ns.vocabulary_graph, ontology, ns.meta_graph):
        log.info("loaded vocabulary graph from %d files", len(ontology))
    if shapes and store.sync_graph_from_files(ns.shapes_graph, shapes, ns.meta_graph):
        log.info("loaded shapes graph from %d files", len(shapes))
    # The vocabulary and the shapes as rdflib graphs, parsed once, for validation, pages and search.
    app.state.vocabulary = Graph().parse(data=store.graph_ntriples(ns.vocabulary_graph), format="nt")
    app.state.shapes = Graph().parse(data=store.graph_ntriples(ns.shapes_graph), format="nt")


class VocabApp(FastAPI):
    """FastAPI with an optional raw ASGI layer in front of everything, FastAPI's own ``__call__`` included.

    The term fast path (terms.FastPath) answers prepared representations there and hands anything else
    to FastAPI; per-request framework work on that path would halve its throughput (benchmarks).
    """

    fast_path: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.fast_path is not None:
            await self.fast_path(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def framework_call(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The application behind the fast path."""
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = open_store(settings)
        try:
            await asyncio.to_thread(load_sources, app)
            # Components prepare independently (representations, validator, SPARQL workers...):
            # let their waits and worker start-ups overlap.
            await asyncio.gather(*(start(app) for start in app.state.starters))
            app.state.ready = True
            yield
        finally:
            app.state.ready = False
            for stop in reversed(app.state.stoppers):
                await stop(app)
            app.state.store.close()

    app = VocabApp(
        title="Docentondersteuning vocabulary service",
        version=__version__,
        summary="Term URIs, SPARQL, validation and cross-institution alignment for the shared language "
        "of teacher support (docentondersteuning) in Dutch education.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.ns = Namespaces(settings.base_iri)
    app.state.ready = False
    # Components register start/stop hooks here; they run in order inside the lifespan.
    app.state.starters = []
    app.state.stoppers = []
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Components: each module's install(app) adds its routes and start/stop hooks.
    # (keep one line per component, in this order)
    terms.install(app)
    pages.install(app)
    search.install(app)
    downloads.install(app)
    middleware.install(app)
    auth.install(app)
    institutions.install(app)
    alignment_api.install(app)
    validate_api.install(app)
    sparql.install(app)

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    document_problems(app)  # wraps the builder above: every operation documents its problem+json errors

    @app.get("/health", tags=["operations"])
    async def health() -> JSONResponse:
        """Readiness: 200 once the vocabulary is loaded, 503 before."""
        ready = bool(app.state.ready)
        return JSONResponse({"status": "ready" if ready else "starting", "version": __version__},
                            status_code=200 if ready else 503)

    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI description, with one operation id per method.

    Routes that answer GET and HEAD (or GET and POST) share one endpoint function, so FastAPI would
    give both methods the same operation id; suffix the method where that happens.
    """
    if app.openapi_schema is None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Duplicate Operation ID")
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary,
                                 description=app.description, routes=app.routes)
        seen: set[str] = set()
        for item in schema.get("paths", {}).values():
            for method, operation in item.items():
                operation_id = operation.get("operationId")
                if operation_id in seen:
                    operation["operationId"] = f"{operation_id}_{method}"
                seen.add(operation["operationId"]) if operation_id else None
        app.openapi_schema = schema
    return app.openapi_schema


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory vocab_service.app:app_factory`` (settings from the environment)."""
    return create_app(Settings())
