"""The read-only SPARQL 1.1 Protocol endpoint ``/sparql``, its service description, VoID and query page.

Routes only parse the protocol and render; ``SparqlService`` decides and runs: safety checks, then the
worker pool (embedded store) or the remote server (remote mode).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.responses import Response
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, VOID, XSD

from . import results
from .errors import (
    BadRequest,
    Forbidden,
    NotAcceptable,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
)
from .namespaces import Namespaces
from .rendering import HTML_HEADERS, render, request_lang
from .settings import Settings
from .sparql_safety import refused_services, scan
from .store import EmbeddedStore, RemoteStore, Store
from .workers import Answer, Job, QueryError, QueryPool, Snapshots

log = logging.getLogger("vocab_service.sparql")
MAX_NESTING = 200  # groups, brackets and parentheses; real queries use a handful

QUERIES = Path(__file__).parent / "queries"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
FORMAT_IRIS = {"json": "SPARQL_Results_JSON", "xml": "SPARQL_Results_XML", "csv": "SPARQL_Results_CSV",
               "tsv": "SPARQL_Results_TSV", "turtle": "Turtle", "ntriples": "N-Triples", "rdfxml": "RDF_XML",
               "jsonld": "JSON-LD"}
PAGE_PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#", "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/", "schema": "https://schema.org/", "org": "http://www.w3.org/ns/org#",
}
TRUNCATED_HEADER = "X-Result-Truncated"


# Example queries ----------------------------------------------------------------------------------

@dataclass
class Example:
    name: str
    title: dict[str, str]
    description: dict[str, str]
    text: str


def load_examples(folder: Path = QUERIES) -> list[Example]:
    """Every ``.rq`` in the package; ``# title[@en]:`` and ``# description[@en]:`` header lines name it."""
    examples = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        meta: dict[str, dict[str, str]] = {"title": {}, "description": {}}
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            key, _, value = line.lstrip("# ").partition(":")
            field_, _, lang = key.strip().partition("@")
            if field_ in meta and value.strip():
                meta[field_][lang or "nl"] = value.strip()
        examples.append(Example(path.stem, meta["title"] or {"nl": path.stem}, meta["description"], text))
    return examples


def prefix_block(ns: Namespaces) -> str:
    prefixes = {"dov": ns.concept, "dom": ns.model, "dos": ns.scheme, "doc": ns.collection, "dosrc": ns.source,
                **PAGE_PREFIXES}
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in prefixes.items())


# The service --------------------------------------------------------------------------------------

@dataclass
class QueryRequest:
    """A query as the protocol delivered it."""

    query: str
    default_graphs: list[str]
    named_graphs: list[str]
    result_format: str
    graph_format: str


class SparqlService:
    """Checks and runs untrusted queries; knows nothing of HTTP requests."""

    def __init__(self, settings: Settings, store: Store, pool: QueryPool | None) -> None:
        self.settings = settings
        self.store = store
        self.pool = pool
        self._client: httpx.AsyncClient | None = None

    def check(self, query: str) -> Any:
        if len(query) > self.settings.max_query_length:
            raise PayloadTooLarge(f"the query is longer than the limit of {self.settings.max_query_length} "
                                  "characters")
        if not query.strip():
            raise BadRequest("the query is empty")
        features = scan(query)
        if features.depth > MAX_NESTING:
            raise BadRequest(f"the query is nested more than {MAX_NESTING} levels deep")
        if features.update_keywords:
            raise Forbidden("this endpoint is read-only: SPARQL Update operations "
                            f"({', '.join(sorted(set(features.update_keywords)))}) are refused")
        refused = refused_services(features, self.settings.service_allowlist)
        if refused:
            raise Forbidden(f"SERVICE is only allowed to the configured endpoints; refused: {', '.join(refused)}")
        return features

    async def run(self, request: QueryRequest) -> Answer:
        features = self.check(request.query)
        if isinstance(self.store, RemoteStore):
            return await self._forward(request, union=not features.has_from)
        assert self.pool is not None
        result_format = "json" if request.result_format == "html" else request.result_format
        job = Job(request.query, result_format, request.graph_format,
                  default_graphs=request.default_graphs or None, named_graphs=request.named_graphs or None,
                  union=not features.has_from, max_rows=self.settings.max_result_rows)
        try:
            return await self.pool.run(job)
        except QueryError as exc:
            raise BadRequest(f"the query could not be run: {exc}") from None

    async def _forward(self, request: QueryRequest, *, union: bool) -> Answer:
        """Remote mode: the SPARQL server runs the query, with our time limit on the whole exchange."""
        store = self.store
        assert isinstance(store, RemoteStore)
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.settings.query_timeout_s, trust_env=False)
        html = request.result_format == "html"
        result_media = results.media_type("json" if html else request.result_format)
        graph_media = results.media_type("ntriples" if html else request.graph_format)
        params = store.query_params(request.query, union=union, default_graphs=request.default_graphs,
                                    named_graphs=request.named_graphs)
        limit = max(1_000_000, self.settings.max_result_rows * 2048)
        form: dict[str, list[str]] = {}
        for key, value in params:
            form.setdefault(key, []).append(value)
        client = self._client

        async def exchange() -> tuple[int, str, bytes]:
            async with client.stream("POST", store.query_url, data=form,
                                     headers={"Accept": f"{result_media}, {graph_media};q=0.9"}) as response:
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise ServiceUnavailable(f"the result is larger than {limit} bytes; add a LIMIT")
                return response.status_code, response.headers.get("content-type", ""), body

        try:
            # One deadline for the whole exchange (httpx's timeouts apply per read).
            status, content_type, body = await asyncio.wait_for(exchange(), self.settings.query_timeout_s)
        except (TimeoutError, httpx.TimeoutException):
            raise ServiceUnavailable(f"query exceeded the {self.settings.query_timeout_s:g} s time limit",
                                     limit="time") from None
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"the SPARQL store did not answer: {exc}") from None
        if status == 400:
            raise BadRequest(f"the query could not be run: {body.decode(errors='replace')}")
        if status >= 300:
            raise ServiceUnavailable(f"the SPARQL store answered HTTP {status}")
        media = content_type.split(";")[0].strip()
        if media == graph_media:
            if html:
                triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))[: self.settings.max_result_rows]
                body = results.serialize_rows(["subject", "predicate", "object"],
                                              [[t.subject, t.predicate, t.object] for t in triples], "json")
                return Answer("graph", "json", body)
            return Answer("graph", request.graph_format, body)
        kind = "ask" if b'"boolean"' in body[:200] or b"<boolean>" in body[:400] else "select"
        return Answer(kind, "json" if html else request.result_format, body)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()


# Descriptions -------------------------------------------------------------------------------------

def _graph_sizes(store: Store) -> dict[str, int]:
    rows = store.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {r["g"]: int(r["n"]) for r in rows}


def service_description(store: Store, endpoint: str) -> Graph:
    graph = Graph(bind_namespaces="none")
    graph.bind("sd", SD)
    graph.bind("void", VOID)
    graph.bind("formats", FORMATS)
    service = URIRef(endpoint)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    for name in FORMAT_IRIS.values():
        graph.add((service, SD.resultFormat, FORMATS[name]))
    dataset, default = BNode(), BNode()
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    sizes = _graph_sizes(store)
    graph.add((default, VOID.triples, Literal(sum(sizes.values()), datatype=XSD.integer)))
    for name, size in sorted(sizes.items()):
        named, inner = BNode(), BNode()
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(name)))
        graph.add((named, SD.graph, inner))
        graph.add((inner, RDF.type, SD.Graph))
        graph.add((inner, VOID.triples, Literal(size, datatype=XSD.integer)))
    return graph


def void_description(store: Store, ns: Namespaces, origin: str) -> Graph:
    graph = Graph(bind_namespaces="none")
    graph.bind("void", VOID)
    graph.bind("dcterms", "http://purl.org/dc/terms/")
    dataset = URIRef(origin + "/.well-known/void#dataset")
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, URIRef("http://purl.org/dc/terms/title"),
               Literal("Begrippenkader docentondersteuning", lang="nl")))
    graph.add((dataset, VOID.sparqlEndpoint, URIRef(origin + "/sparql")))
    graph.add((dataset, VOID.uriSpace, Literal(ns.base)))
    sizes = _graph_sizes(store)
    graph.add((dataset, VOID.triples, Literal(sum(sizes.values()), datatype=XSD.integer)))
    classes = store.select("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }")
    graph.add((dataset, VOID.classes, Literal(int(classes[0]["n"]) if classes else 0, datatype=XSD.integer)))
    for name, size in sorted(sizes.items()):
        subset = URIRef(name)
        graph.add((dataset, VOID.subset, subset))
        graph.add((subset, RDF.type, VOID.Dataset))
        graph.add((subset, VOID.triples, Literal(size, datatype=XSD.integer)))
        if name == ns.vocabulary_graph:
            graph.add((subset, VOID.dataDump, URIRef(origin + "/downloads/docentondersteuning.ttl")))
    return graph


# Routes -------------------------------------------------------------------------------------------

def _all(pairs: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in pairs if k == name]


def _first(pairs: list[tuple[str, str]], name: str) -> str | None:
    values = _all(pairs, name)
    return values[0] if values else None


async def _protocol_request(request: Request) -> tuple[str | None, list[tuple[str, str]]]:
    """(query text, all parameters) from GET, form POST or direct POST; updates are refused."""
    settings: Settings = request.app.state.settings
    params = list(request.query_params.multi_items())
    query = _first(params, "query")
    if request.method == "POST":
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        # Read while streaming: a body over the limit is refused before it is all received.
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > settings.max_query_length * 4 + 10_000:
                raise PayloadTooLarge(f"the request is larger than the query length limit allows "
                                      f"({settings.max_query_length} characters)")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest(f"the request body is not valid UTF-8 (byte {exc.start})") from None
        if media == "application/x-www-form-urlencoded":
            form = parse_qsl(text, keep_blank_values=True)
            params += form
            query = _first(form, "query") or query
        elif media == "application/sparql-query":
            query = text
        elif media == "application/sparql-update":
            raise Forbidden("this endpoint is read-only: SPARQL Update is refused")
        else:
            raise UnsupportedMediaType("send the query as application/sparql-query or as the form field "
                                       "'query' (application/x-www-form-urlencoded)")
    if _first(params, "update") is not None:
        raise Forbidden("this endpoint is read-only: SPARQL Update is refused")
    return query, params


def _choose_formats(accept: str | None, format_: str | None, html: bool) -> tuple[str, str]:
    if format_:
        result, graph = results.format_param(format_)
        if result is None and graph is None:
            raise BadRequest(f"unknown format '{format_}'")
    else:
        result = results.choose_result_format(accept, html=html)
        graph = results.choose_graph_format(accept, html=html)
    if result is None and graph is None:
        raise NotAcceptable("none of the accepted media types is a SPARQL result or RDF format this "
                            "endpoint offers")
    # A client that names only formats of the other query form still gets an answer in the default.
    return result or "json", graph or "turtle"


def install(app: FastAPI) -> None:
    async def start(app: FastAPI) -> None:
        settings: Settings = app.state.settings
        store: Store = app.state.store
        pool = None
        if isinstance(store, EmbeddedStore):
            root = settings.data_dir / "snapshots"
            if root.exists():
                import shutil

                shutil.rmtree(root)
            root.mkdir(parents=True)
            snapshots = Snapshots(root)
            snapshots.take(store)
            store.on_change(snapshots.mark_stale)
            pool = QueryPool(snapshots, workers=settings.query_workers, memory_mb=settings.query_memory_mb,
                             timeout_s=settings.query_timeout_s, queue=settings.query_queue)
            await pool.start()
        app.state.sparql = SparqlService(settings, store, pool)
        app.state.sparql_examples = load_examples()

    async def stop(app: FastAPI) -> None:
        service: SparqlService | None = getattr(app.state, "sparql", None)
        if service is not None:
            await service.close()
            if service.pool is not None:
                await service.pool.stop()

    app.state.starters.append(start)
    app.state.stoppers.append(stop)

    async def endpoint(request: Request) -> Response:
        """SPARQL 1.1 Protocol query endpoint (read-only); without a query: service description or page."""
        service: SparqlService = request.app.state.sparql
        query, params = await _protocol_request(request)
        accept = request.headers.get("accept")
        format_ = _first(params, "format")
        if query is None:
            return _describe_service(request, accept, format_)
        result, graph = _choose_formats(accept, format_, html=True)
        answer = await service.run(QueryRequest(query, _all(params, "default-graph-uri"),
                                            _all(params, "named-graph-uri"), result, graph))
        if result == "html":
            return _page(request, query, answer)
        headers = {"Vary": "Accept", TRUNCATED_HEADER: "true" if answer.truncated else "false"}
        media = results.media_type(answer.format)
        if media.startswith("text/"):
            media += "; charset=utf-8"
        return Response(answer.body, media_type=media, headers=headers)

    graph_types = {f.media_type: {} for f in results.GRAPH_FORMATS}
    app.add_api_route("/sparql", endpoint, methods=["GET", "POST"], tags=["sparql"], response_model=None,
                      summary="SPARQL 1.1 query endpoint (read-only)",
                      responses={200: {"description": "Query results (SELECT/ASK) or a graph (CONSTRUCT/DESCRIBE) "
                                       "in the negotiated format; without a query the service description or "
                                       "the query page.",
                                       "content": {**{f.media_type: {} for f in results.RESULT_FORMATS},
                                                   **graph_types, results.HTML: {}}}},
                      openapi_extra={"parameters": [
                          {"name": "query", "in": "query", "required": False, "schema": {"type": "string"},
                           "description": "The SPARQL query (or in a form or application/sparql-query body)."},
                          {"name": "default-graph-uri", "in": "query", "required": False,
                           "schema": {"type": "array", "items": {"type": "string"}},
                           "description": "Graphs of the store that form the default graph."},
                          {"name": "named-graph-uri", "in": "query", "required": False,
                           "schema": {"type": "array", "items": {"type": "string"}},
                           "description": "Graphs of the store available as named graphs."},
                          {"name": "format", "in": "query", "required": False, "schema": {"type": "string"},
                           "description": "Result format instead of Accept: json, xml, csv, tsv, ttl, nt, rdf, "
                                          "jsonld or html."}]})

    async def void(request: Request) -> Response:
        """VoID description of the dataset: size, classes, named graphs, endpoint, dump."""
        origin = str(request.base_url).rstrip("/")
        graph = void_description(request.app.state.store, request.app.state.ns, origin)
        return _rdf_response(graph, request.headers.get("accept"), request.query_params.get("format"))

    app.add_api_route("/.well-known/void", void, methods=["GET"], tags=["sparql"], response_model=None,
                      responses={200: {"description": "The VoID description.", "content": graph_types}})


def _rdf_response(graph: Graph, accept: str | None, format_: str | None) -> Response:
    key = results.format_param(format_)[1] if format_ else results.choose_graph_format(accept)
    if key is None or key == "html":
        raise NotAcceptable("this resource is available as Turtle, N-Triples, RDF/XML and JSON-LD")
    rdflib_format = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml", "jsonld": "json-ld"}[key]
    body = graph.serialize(format=rdflib_format, encoding="utf-8")
    return Response(body, media_type=results.media_type(key), headers={"Vary": "Accept"})


def _describe_service(request: Request, accept: str | None, format_: str | None) -> Response:
    wants_html = (format_ in ("html", "text/html") if format_ else
                  results.negotiate(accept, [m for f in results.GRAPH_FORMATS for m in f.accepts]
                                    + [results.HTML]) == results.HTML)
    if wants_html:
        return _page(request, None, None)
    endpoint = str(request.base_url).rstrip("/") + "/sparql"
    return _rdf_response(service_description(request.app.state.store, endpoint), accept, format_)


def _display(term: dict[str, Any], ns: Namespaces) -> dict[str, str]:
    """How the page shows one term of a JSON result: text, and a link for IRIs."""
    value = str(term.get("value", ""))
    if term.get("type") == "uri":
        href = "/" + value[len(ns.base):] if value.startswith(ns.base) else value
        short = value
        for prefix, iri in (("dov", ns.concept), ("dom", ns.model), ("dos", ns.scheme), ("doc", ns.collection),
                            *PAGE_PREFIXES.items()):
            if value.startswith(iri) and "/" not in value[len(iri):]:
                short = f"{prefix}:{value[len(iri):]}"
                break
        return {"text": short, "href": href, "title": value}
    if term.get("type") == "bnode":
        return {"text": "_:" + value}
    if term.get("type") == "literal" and term.get("xml:lang"):
        return {"text": value, "lang": str(term["xml:lang"])}
    return {"text": value}


def _page(request: Request, query: str | None, answer: Answer | None) -> Response:
    ns: Namespaces = request.app.state.ns
    lang = request_lang(request)
    table: dict[str, Any] | None = None
    if answer is not None:
        doc = json.loads(answer.body)
        if "boolean" in doc:
            table = {"boolean": doc["boolean"]}
        else:
            variables = doc["head"]["vars"]
            rows = [[_display(b[v], ns) if v in b else None for v in variables] for b in doc["results"]["bindings"]]
            table = {"vars": variables, "rows": rows, "truncated": answer.truncated}
    examples = request.app.state.sparql_examples
    response = render("sparql.html", lang=lang, query=query or prefix_block(ns) + "\nSELECT ?concept ?label WHERE {\n"
                  "  ?concept skos:inScheme dos:docentondersteuning ;\n    skos:prefLabel ?label .\n"
                  "  FILTER(lang(?label) = \"nl\")\n}\nORDER BY ?label\nLIMIT 25\n",
                  table=table, examples=examples, prefixes=prefix_block(ns),
                  settings=request.app.state.settings)
    # Yasgui (CodeMirror) injects <style> elements and style attributes; scripts stay 'self' only.
    response.headers["Content-Security-Policy"] = HTML_HEADERS["Content-Security-Policy"].replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'")
    return response
