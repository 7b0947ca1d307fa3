"""Dereferencing term IRIs: ``{base}concept/icto-coach`` is served at ``/concept/icto-coach``.

Pattern (W3C "Cool URIs for the Semantic Web" §4.3 / Best Practice Recipes, with the 200 variant of the
TAG's httpRange-14 resolution): the term IRI answers ``200`` with the representation chosen from
``Accept`` (or ``?format=``), ``Content-Location`` names the format-specific document
(``/concept/icto-coach.ttl``, ``.jsonld``, ``.rdf``, ``.nt``, ``.html``), which is served itself, and
``Link: rel="alternate"`` lists the other formats. No redirects: one round trip per term.

The hot path is ``FastPath``, a raw ASGI layer outside the whole FastAPI stack: a dict lookup of the
path in the prepared table, a memoised negotiation, and bytes out. Whatever it does not answer (unknown
paths, 406, bad parameters, other methods) falls through to the FastAPI routes below, which apply the
same rules with ordinary Request/Response objects and are what OpenAPI documents.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qsl, quote

import pyoxigraph as ox
from fastapi import FastAPI, Query, Request
from fastapi.responses import Response
from rdflib import Graph, URIRef

from .errors import BadRequest, NotAcceptable, problem_response
from .middleware import REQUEST_ID, ASGIApp, Receive, Scope, Send, access_log
from .negotiation import HTML, TERM_FORMATS, NegotiationCache, choose, content_type, format_from_param
from .rendering import HTML_HEADERS, LANGS, pick_lang, render, request_lang
from .representations import (
    CORS_HEADERS,
    Entry,
    Publisher,
    Snapshot,
    Variant,
    describe,
    serialize,
)

log_errors = logging.getLogger("vocab_service")
OFFERED = tuple(f.media_type for f in TERM_FORMATS)
OPTIONS_HEADERS = [
    (b"allow", b"GET, HEAD, OPTIONS"), *CORS_HEADERS,
    (b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
    (b"access-control-allow-headers", b"Accept, Accept-Language, If-None-Match, X-Request-Id"),
    (b"access-control-max-age", b"86400"), (b"content-length", b"0"),
]
LANG_COOKIE = "lang={lang}; Max-Age=31536000; Path=/; SameSite=Lax"


def publisher(app: FastAPI) -> Publisher:
    """The app's publisher of prepared representations, created on first use."""
    if getattr(app.state, "publisher", None) is None:
        settings = app.state.settings
        app.state.publisher = Publisher(app.state.ns, settings.cache_max_age, settings.default_lang)
    return app.state.publisher  # type: ignore[no-any-return]


def select_variant(entry: Entry, accept: str | None, fmt_param: str | None, lang: str) -> Variant | None:
    """The representation to send, or None for 406. ``?format=`` beats ``Accept``."""
    if fmt_param:
        fmt = format_from_param(fmt_param)
        if fmt is None:
            raise BadRequest(f"unknown format {fmt_param!r}; use one of "
                             + ", ".join(f.extension for f in TERM_FORMATS), offered=list(OFFERED))
        if fmt.media_type not in entry.offered:
            return None
        return entry.variant(fmt.media_type, lang)
    chosen = choose(accept, entry.offered)
    if chosen is None:
        if entry.strict:
            return None
        chosen = entry.offered[0]
    return entry.variant(chosen, lang)


def cookie_lang(cookie: bytes | str | None) -> str | None:
    if not cookie:
        return None
    text = cookie.decode("latin-1") if isinstance(cookie, bytes) else cookie
    for part in text.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "lang" and value in LANGS:
            return value
    return None


def with_cookie(headers: list[tuple[bytes, bytes]], lang: str) -> list[tuple[bytes, bytes]]:
    """Remember an explicit ``?lang=``; such a response is then private to the browser."""
    out = [(k, b"private, max-age=0" if k == b"cache-control" else v) for k, v in headers]
    out.append((b"set-cookie", LANG_COOKIE.format(lang=lang).encode()))
    return out


class FastPath:
    """Raw ASGI layer that answers GET/HEAD/OPTIONS of prepared paths without touching Starlette."""

    def __init__(self, app: ASGIApp, publisher: Publisher, log: Any, default_lang: str) -> None:
        self.app = app
        self.publisher = publisher
        self.log = log
        self.default_lang = default_lang
        self._negotiators: dict[tuple[str, ...], NegotiationCache] = {}
        self._langs: dict[tuple[bytes, bytes], str] = {}

    def _negotiator(self, offered: tuple[str, ...]) -> NegotiationCache:
        cache = self._negotiators.get(offered)
        if cache is None:
            cache = self._negotiators[offered] = NegotiationCache(offered)
        return cache

    def _lang(self, accept_language: bytes, cookie: bytes) -> str:
        key = (accept_language, cookie)
        lang = self._langs.get(key)
        if lang is None:
            lang = pick_lang(None, cookie_lang(cookie), accept_language.decode("latin-1"), self.default_lang)
            if len(self._langs) > 512:
                self._langs.clear()
            self._langs[key] = lang
        return lang

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        entry = self.publisher.table.get(scope["path"])
        method = scope["method"]
        if entry is None or (method != "GET" and method != "HEAD" and method != "OPTIONS"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        accept = accept_language = cookie = b""
        if_none_match = request_id = None
        for key, value in scope["headers"]:
            if key == b"accept":
                accept = value
            elif key == b"accept-language":
                accept_language = value
            elif key == b"cookie":
                cookie = value
            elif key == b"if-none-match":
                if_none_match = value
            elif key == REQUEST_ID:
                request_id = value
        query_lang = None
        if scope["query_string"]:
            params = dict(parse_qsl(scope["query_string"].decode("latin-1")))
            query_lang = params.pop("lang", None)
            if params or query_lang not in LANGS:
                await self.app(scope, receive, send)  # ?format= and anything unusual: the full route
                return
        if method == "OPTIONS":
            request_id = self.log.ids.take(request_id)
            await send({"type": "http.response.start", "status": 204,
                        "headers": [*OPTIONS_HEADERS, (REQUEST_ID, request_id)]})
            await send({"type": "http.response.body", "body": b""})
            self.log.record(request_id, method, scope["path"], 204, started)
            return
        if len(entry.offered) == 1:
            chosen: str | None = entry.offered[0]
        else:
            chosen = self._negotiator(entry.offered).choose(accept)
            if chosen is None:
                await self.app(scope, receive, send)  # 406 with its problem document
                return
        if chosen == HTML:
            lang = query_lang or self._lang(accept_language, cookie)
            variant = entry.html.get(lang) or next(iter(entry.html.values()))
        else:
            variant = entry.rdf[chosen]
        if if_none_match is not None and (variant.etag in if_none_match or if_none_match.strip() == b"*"):
            status, headers, body = 304, variant.not_modified_headers, b""
        else:
            status, headers, body = 200, variant.headers, variant.body
            if method == "HEAD":
                body = b""
        if query_lang and chosen == HTML:
            headers = with_cookie(headers, query_lang)
        request_id = self.log.ids.take(request_id)
        await send({"type": "http.response.start", "status": status, "headers": [*headers, (REQUEST_ID, request_id)]})
        await send({"type": "http.response.body", "body": body})
        self.log.record(request_id, method, scope["path"], status, started)


# The same behaviour with FastAPI objects: used when the fast path falls through ---------------------
def variant_response(request: Request, variant: Variant, *, set_lang: str | None = None) -> Response:
    headers = variant.headers
    if set_lang and variant.media_type == HTML:
        headers = with_cookie(headers, set_lang)
    inm = request.headers.get("if-none-match")
    if inm is not None and (variant.etag.decode() in inm or inm.strip() == "*"):
        response = Response(status_code=304)
        response.raw_headers = [(k, v) for k, v in variant.not_modified_headers]
        return response
    body = b"" if request.method == "HEAD" else variant.body
    response = Response(body, status_code=variant.status)
    response.raw_headers = [(k, v) for k, v in headers if k != b"content-length"]
    response.raw_headers.append((b"content-length", str(len(variant.body)).encode()))
    return response


def not_acceptable(offered: tuple[str, ...]) -> Response:
    error = NotAcceptable("none of the offered media types is acceptable: " + ", ".join(offered),
                          offered=list(offered))
    return problem_response(error.status, error.title, error.detail,
                            {"Vary": "Accept", "Access-Control-Allow-Origin": "*"}, **error.extra)


def not_found(request: Request, what: str) -> Response:
    if len(what) > 300:  # the client's own input, echoed: keep the message short
        what = what[:300] + "…"
    chosen = choose(request.headers.get("accept"), OFFERED)
    fmt = format_from_param(request.query_params.get("format"))
    if (fmt is None or fmt.media_type == HTML) and chosen == HTML:
        lang = request_lang(request)
        return render("notfound.html", lang=lang, status=404, what=what)
    return problem_response(404, "Not found", f"{what} is not known to this service",
                            {"Vary": "Accept", "Access-Control-Allow-Origin": "*"})


def serve_entry(request: Request, entry: Entry) -> Response:
    lang = request_lang(request)
    variant = select_variant(entry, request.headers.get("accept"), request.query_params.get("format"), lang)
    if variant is None:
        return not_acceptable(entry.offered)
    explicit = request.query_params.get("lang")
    return variant_response(request, variant, set_lang=explicit if explicit in LANGS else None)


class ResourceCache:
    """Descriptions of any IRI the store knows (vocabulary and institution data), for ``/resource``.

    The union of all graphs is re-read lazily when the store's generation has moved; prepared
    responses are kept per (generation, IRI, format/language) in a small LRU.
    """

    def __init__(self, store: Any, ns: Any, default_lang: str, size: int = 512) -> None:
        self.store = store
        self.ns = ns
        self.default_lang = default_lang
        self.size = size
        self._generation = -1
        self._snapshot: Snapshot | None = None
        self._entries: OrderedDict[str, Entry | None] = OrderedDict()
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        with self._lock:
            generation = self.store.generation
            if self._snapshot is None or generation != self._generation:
                quads = ox.parse(self.store.dump_nquads(), format=ox.RdfFormat.N_QUADS)
                data = ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES)
                self._snapshot = Snapshot.from_ntriples(data, self.ns, self.default_lang)
                self._generation = generation
                self._entries.clear()
            return self._snapshot

    def entry(self, iri: str, renderer: Any, cache_max_age: int) -> Entry | None:
        snapshot = self.snapshot()
        with self._lock:
            if iri in self._entries:
                self._entries.move_to_end(iri)
                return self._entries[iri]
        entry = build_resource_entry(snapshot, iri, renderer, cache_max_age)
        with self._lock:
            self._entries[iri] = entry
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return entry


def build_resource_entry(snapshot: Snapshot, iri: str, renderer: Any, cache_max_age: int) -> Entry | None:
    subject = URIRef(iri)
    if (subject, None, None) not in snapshot.graph:
        return None
    description: Graph = describe(snapshot.graph, subject)
    here = "/resource?uri=" + quote(iri, safe="")
    entry = Entry(here, offered=OFFERED)
    links = ", ".join(f'<{here}&format={f.extension}>; rel="alternate"; type="{f.media_type}"' for f in TERM_FORMATS)
    for fmt in TERM_FORMATS:
        extra = [("Vary", "Accept, Accept-Language, Cookie"), ("Link", links),
                 ("Content-Location", f"{here}&format={fmt.extension}")]
        if fmt.rdflib is None:
            for lang in LANGS:
                body = renderer(snapshot, subject, lang).encode()
                entry.html[lang] = Variant.make(HTML, content_type(fmt), body, [*extra, *HTML_HEADERS.items()],
                                                lang=lang, cache_max_age=cache_max_age)
        else:
            body = serialize(description, fmt, snapshot.prefixes)
            entry.rdf[fmt.media_type] = Variant.make(fmt.media_type, content_type(fmt), body, extra,
                                                     cache_max_age=cache_max_age)
    return entry


TERM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The term's description (its triples, blank-node closure and the labels of what it "
                         "points to), in the negotiated format. `Content-Location` names the format-specific "
                         "document, `Link` the alternates, `ETag` the representation.",
          "content": {HTML: {"example": "<!doctype html>..."},
                      "text/turtle": {"example": "dov:icto-coach a dom:SupportRole ;\n    skos:prefLabel "
                                                 "\"ICTO-coach\"@nl ."},
                      "application/ld+json": {"example": {"@id": "dov:icto-coach"}},
                      "application/rdf+xml": {"example": "<rdf:RDF>...</rdf:RDF>"},
                      "application/n-triples": {"example": "<...> <...> \"ICTO-coach\"@nl ."}}},
    304: {"description": "Not modified (If-None-Match matched the ETag)."},
    404: {"description": "Unknown term: an HTML page or a problem+json document."},
    406: {"description": "No offered format is acceptable; the problem document lists `offered`."},
}


def install(app: FastAPI) -> None:
    pub = publisher(app)
    log = access_log(app)
    settings = app.state.settings
    stop_event = threading.Event()
    changed = threading.Event()

    def refresh() -> None:
        store = app.state.store
        pub.refresh(store.graph_ntriples(app.state.ns.vocabulary_graph))

    def watch() -> None:
        while not stop_event.is_set():
            if changed.wait(timeout=1.0):
                changed.clear()
                try:
                    refresh()
                except Exception:  # keep serving the previous table, and say why
                    log_errors.exception("rebuilding representations failed")

    async def start(app_: FastAPI) -> None:
        await asyncio.to_thread(refresh)
        app_.state.resources = ResourceCache(app_.state.store, app_.state.ns, settings.default_lang)
        app_.state.store.on_change(lambda _store: changed.set(), graph=app_.state.ns.vocabulary_graph)
        threading.Thread(target=watch, name="representations", daemon=True).start()

    async def stop(_: FastAPI) -> None:
        stop_event.set()

    app.state.starters.append(start)
    app.state.stoppers.append(stop)

    # Outermost layer: in front of FastAPI's own __call__ and Starlette's middleware (see the benchmark).
    app.fast_path = FastPath(app.framework_call, pub, log, settings.default_lang)  # type: ignore[attr-defined]

    fmt_query = Query(None, description="Format instead of Accept: html, ttl, jsonld, rdf or nt.",
                      examples=["ttl"])
    lang_query = Query(None, description="Language of the HTML page (nl or en); remembered in a cookie.",
                       examples=["en"])

    def handler(kind: str) -> Any:
        async def serve(request: Request, format: str | None = fmt_query, lang: str | None = lang_query) -> Response:
            entry = pub.table.get(request.url.path)
            if entry is None:
                return not_found(request, f"{kind} {request.url.path}")
            return serve_entry(request, entry)
        return serve

    doc = ("Dereference a {kind} IRI `{{base}}{prefix}/…` with content negotiation (Accept with q-values, or "
           "`?format=`). Append `.ttl`, `.jsonld`, `.rdf`, `.nt` or `.html` for one format. Strong ETags, "
           "If-None-Match, HEAD and CORS are supported; deprecated terms carry `Link: rel=\"successor-version\"`.")
    for prefix, kind, param in (("concept", "concept", "{slug}"), ("scheme", "concept scheme", "{slug}"),
                                ("collection", "collection", "{slug}"), ("model", "model term", "{name}"),
                                ("source", "source section", "{path:path}")):
        app.add_api_route(f"/{prefix}/{param}", handler(kind), methods=["GET", "HEAD"], tags=["terms"],
                          summary=f"Dereference a {kind}", description=doc.format(kind=kind, prefix=prefix),
                          responses=TERM_RESPONSES, response_class=Response, name=f"term_{prefix}")

    @app.api_route("/resource", methods=["GET", "HEAD"], tags=["terms"], responses=TERM_RESPONSES,
                   response_class=Response)
    async def resource(request: Request,
                       uri: str = Query(..., description="Any IRI the store knows: vocabulary or institution data.",
                                        examples=["https://w3id.org/docentondersteuning/concept/icto-coach"]),
                       format: str | None = fmt_query, lang: str | None = lang_query) -> Response:
        """Describe any IRI in the store (union of all graphs) with the same negotiation as term IRIs."""
        path = pub.snapshot.path_of(uri)
        entry = pub.table.get(path) if path else None
        if entry is None or entry.offered != OFFERED:
            cache: ResourceCache = request.app.state.resources
            entry = await asyncio.to_thread(cache.entry, uri, pub.renderer, settings.cache_max_age)
        if entry is None:
            return not_found(request, uri)
        return serve_entry(request, entry)

