"""The quad store: an embedded on-disk Oxigraph store, or any SPARQL 1.1 server (remote mode).

Both implementations offer the same small interface. Graph data crosses it as N-Triples/N-Quads bytes,
so callers never depend on the engine's term classes. ``generation`` grows on every change, so caches
(prepared representations, SPARQL worker snapshots) know when to rebuild.
"""

from __future__ import annotations

import hashlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from .errors import ServiceUnavailable
from .settings import Settings

DCTERMS_HAS_VERSION = "http://purl.org/dc/terms/hasVersion"
# Above this size a graph that does not exist yet is loaded with Oxigraph's bulk loader (see replace_graph).
BULK_THRESHOLD_BYTES = 8_000_000


class Store(ABC):
    """A dataset of named graphs; the union of all graphs is the default graph for queries."""

    def __init__(self) -> None:
        self._generation = 0
        self._listeners: list[Any] = []

    @property
    def generation(self) -> int:
        return self._generation

    def on_change(self, callback: Any, *, graph: str | None = None) -> None:
        """Call ``callback(store)`` after every change (in the thread that made the change).

        With ``graph``, only changes of that named graph call it.
        """
        self._listeners.append((graph, callback))

    def _changed(self, graph: str) -> None:
        self._generation += 1
        for only, callback in list(self._listeners):
            if only is None or only == graph:
                callback(self)

    @abstractmethod
    def replace_graph(self, graph: str, ntriples: bytes) -> None:
        """Replace the whole named graph atomically with the given N-Triples."""

    @abstractmethod
    def delete_graph(self, graph: str) -> bool:
        """Remove a named graph; False if it did not exist."""

    @abstractmethod
    def graphs(self) -> list[str]:
        """IRIs of the named graphs."""

    @abstractmethod
    def graph_ntriples(self, graph: str) -> bytes:
        """The named graph as N-Triples (empty when absent)."""

    @abstractmethod
    def dump_nquads(self) -> bytes:
        """Every named graph as N-Quads."""

    @abstractmethod
    def select(self, query: str, bindings: dict[str, str] | None = None) -> list[dict[str, str]]:
        """Run a trusted SELECT over the union graph; values are IRIs/literals as plain strings.

        ``bindings`` maps variable names to IRIs and is applied with a VALUES clause, never pasted.
        """

    @abstractmethod
    def ask(self, query: str) -> bool:
        """Run a trusted ASK over the union graph."""

    def close(self) -> None:  # noqa: B027 - an optional hook, not abstract
        pass

    # Idempotent loading of source files -----------------------------------------------------------
    def sync_graph_from_files(self, graph: str, files: Iterable[Path], meta_graph: str) -> bool:
        """Load ``files`` into ``graph`` unless the graph already holds exactly their content.

        A digest of the files is kept in ``meta_graph``; an unchanged set of files costs one lookup.
        Returns True when the graph was (re)loaded.
        """
        files = sorted(files)
        digest = hashlib.sha256()
        for path in files:
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        version = digest.hexdigest()
        rows = self.select(
            f"SELECT ?v WHERE {{ GRAPH <{meta_graph}> {{ ?g <{DCTERMS_HAS_VERSION}> ?v }} }}", {"g": graph}
        )
        if rows and rows[0]["v"] == version:
            return False
        store = ox.Store()
        for path in files:
            store.load(path=str(path), format=_format_for(path), to_graph=ox.DefaultGraph())
        self.replace_graph(graph, store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()))
        meta = self.graph_ntriples(meta_graph).decode().splitlines()
        meta = [line for line in meta if not line.startswith(f"<{graph}> ")]
        meta.append(f'<{graph}> <{DCTERMS_HAS_VERSION}> "{version}" .')
        self.replace_graph(meta_graph, ("\n".join(meta) + "\n").encode())
        return True


def _format_for(path: Path) -> ox.RdfFormat:
    format_ = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    if format_ is None:
        raise ValueError(f"unknown RDF file extension: {path.name}")
    return format_


def _values_clause(bindings: dict[str, str] | None) -> str:
    if not bindings:
        return ""
    names = list(bindings)
    values = " ".join(ox.NamedNode(bindings[n]).__str__() for n in names)  # validates IRIs
    return f"VALUES ({' '.join('?' + n for n in names)}) {{ ({values}) }}"


def _with_values(query: str, bindings: dict[str, str] | None) -> str:
    """Insert a VALUES clause at the top of the first group pattern (outside IRIs, strings, comments)."""
    clause = _values_clause(bindings)
    if not clause:
        return query
    from .sparql_safety import token_spans

    brace = next((start for kind, start, text in token_spans(query) if text == "{"), -1)
    if brace < 0:
        raise ValueError("query has no group pattern to bind values into")
    return query[: brace + 1] + " " + clause + " " + query[brace + 1:]


def _term_text(term: Any) -> str:
    return term.value if hasattr(term, "value") else str(term)


class EmbeddedStore(Store):
    """Oxigraph on disk (RocksDB) in the data directory. Writes are all-or-nothing."""

    def __init__(self, path: Path | None) -> None:
        super().__init__()
        self.path = path
        if path is None:
            self._store = ox.Store()
        else:
            path.mkdir(parents=True, exist_ok=True)
            self._store = ox.Store(str(path))
        self._write_lock = threading.RLock()  # re-entered by change listeners that take a backup

    @property
    def oxigraph(self) -> ox.Store:
        return self._store

    def replace_graph(self, graph: str, ntriples: bytes) -> None:
        name = ox.NamedNode(graph)  # validates the IRI
        with self._write_lock:
            if len(ntriples) >= BULK_THRESHOLD_BYTES and not self._store.contains_named_graph(name):
                # A new large graph: the bulk loader writes sorted files and ingests them at once, which
                # is several times faster than a transaction and still all-or-nothing under SIGKILL.
                for _ in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES):
                    pass  # refuse bad input before anything is written
                self._store.bulk_load(ntriples, format=ox.RdfFormat.N_TRIPLES, to_graph=name)
                self._store.add_graph(name)
            else:
                # Re-serialise through the parser so the update text holds only well-formed N-Triples.
                triples = ox.serialize(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES),
                                       format=ox.RdfFormat.N_TRIPLES).decode()
                # DROP and INSERT DATA in one update run as one transaction: readers and a crash see
                # either the old graph or the new one, never a mix or nothing.
                self._store.update(
                    f"DROP SILENT GRAPH <{name.value}> ; CREATE SILENT GRAPH <{name.value}> ; "
                    f"INSERT DATA {{ GRAPH <{name.value}> {{ {triples} }} }}"
                )
            self._changed(graph)

    def delete_graph(self, graph: str) -> bool:
        name = ox.NamedNode(graph)
        with self._write_lock:
            existed = self._store.contains_named_graph(name)
            if existed:
                self._store.remove_graph(name)
                self._changed(graph)
        return existed

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def graph_ntriples(self, graph: str) -> bytes:
        name = ox.NamedNode(graph)
        if not self._store.contains_named_graph(name):
            return b""
        return self._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name)

    def dump_nquads(self) -> bytes:
        return self._store.dump(format=ox.RdfFormat.N_QUADS)

    def select(self, query: str, bindings: dict[str, str] | None = None) -> list[dict[str, str]]:
        # Not the engine's ``substitutions``: it refuses variables outside the SELECT projection.
        solutions = self._store.query(_with_values(query, bindings), use_default_graph_as_union=True)
        names = [v.value for v in solutions.variables]
        return [{n: _term_text(s[n]) for n in names if s[n] is not None} for s in solutions]

    def ask(self, query: str) -> bool:
        return bool(self._store.query(query, use_default_graph_as_union=True))

    def backup(self, target: Path) -> None:
        """A consistent checkpoint of the whole store in ``target`` (hard links where possible)."""
        if self.path is None:
            raise RuntimeError("an in-memory store has no checkpoints")
        with self._write_lock:
            self._store.backup(str(target))

    def close(self) -> None:
        self._store.flush() if self.path is not None else None
        del self._store


class RemoteStore(Store):
    """Any SPARQL 1.1 Query/Update/Graph Store Protocol server; the service keeps no data itself.

    Endpoint paths default to Oxigraph server's layout (``/query``, ``/update``, ``/store``); for Fuseki
    use ``/ds/query``, ``/ds/update``, ``/ds/data``. Queries are sent with ``union_param`` (Oxigraph's
    ``union-default-graph``) so that the default graph is the union of the named graphs; set it to an
    empty string for servers configured with a union default graph of their own (Fuseki's
    ``tdb2:unionDefaultGraph``, GraphDB).
    """

    def __init__(self, url: str, *, timeout: float = 30.0, query_path: str = "/query",
                 update_path: str = "/update", graph_path: str = "/store",
                 union_param: str = "union-default-graph") -> None:
        super().__init__()
        self.url = url.rstrip("/")
        self.query_url = self.url + query_path
        self.update_url = self.url + update_path
        self.store_url = self.url + graph_path
        self.union_param = union_param
        self._client = httpx.Client(timeout=timeout, trust_env=False)

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"the SPARQL store at {self.url} did not answer: {exc}") from exc
        if response.status_code >= 500:
            raise ServiceUnavailable(f"the SPARQL store at {self.url} failed with HTTP {response.status_code}")
        return response

    def replace_graph(self, graph: str, ntriples: bytes) -> None:
        # Graph Store Protocol PUT replaces the graph in one request (atomic on the server).
        response = self._request("PUT", self.store_url, params={"graph": graph}, content=ntriples,
                                 headers={"Content-Type": "application/n-triples"})
        response.raise_for_status()
        self._changed(graph)

    def delete_graph(self, graph: str) -> bool:
        response = self._request("DELETE", self.store_url, params={"graph": graph})
        if response.status_code == 404:
            return False
        response.raise_for_status()
        self._changed(graph)
        return True

    def graphs(self) -> list[str]:
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        return sorted(r["g"] for r in rows)

    def graph_ntriples(self, graph: str) -> bytes:
        response = self._request("GET", self.store_url, params={"graph": graph},
                                 headers={"Accept": "application/n-triples"})
        if response.status_code == 404:
            return b""
        response.raise_for_status()
        return response.content

    def dump_nquads(self) -> bytes:
        response = self._request("GET", self.store_url, headers={"Accept": "application/n-quads"})
        response.raise_for_status()
        return response.content

    def query_params(self, query: str, *, union: bool = True, default_graphs: list[str] | None = None,
                     named_graphs: list[str] | None = None) -> list[tuple[str, str]]:
        """Form fields of a SPARQL Protocol query request against this server."""
        params = [("query", query)]
        params += [("default-graph-uri", g) for g in default_graphs or []]
        params += [("named-graph-uri", g) for g in named_graphs or []]
        if union and not default_graphs and self.union_param:
            params.append((self.union_param, "true"))
        return params

    def _trusted(self, query: str) -> httpx.Response:
        response = self._request("POST", self.query_url, data=dict(self.query_params(query)),
                                 headers={"Accept": "application/sparql-results+json"})
        response.raise_for_status()
        return response

    def select(self, query: str, bindings: dict[str, str] | None = None) -> list[dict[str, str]]:
        body = self._trusted(_with_values(query, bindings)).json()
        return [{k: v["value"] for k, v in row.items()} for row in body["results"]["bindings"]]

    def ask(self, query: str) -> bool:
        return bool(self._trusted(query).json()["boolean"])

    def close(self) -> None:
        self._client.close()


def open_store(settings: Settings) -> Store:
    if settings.store == "embedded":
        return EmbeddedStore(settings.data_dir / "store")
    return RemoteStore(settings.store, timeout=settings.query_timeout_s + 5,
                       query_path=settings.store_query_path, update_path=settings.store_update_path,
                       graph_path=settings.store_graph_path, union_param=settings.store_union_param)
