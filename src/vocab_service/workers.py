"""A small pool of killable worker processes that run untrusted SPARQL queries.

No engine can cancel a query in-process, and a runaway query can allocate gigabytes in seconds, so each
query runs in a separate process (``multiprocessing`` spawn) with an address-space limit; at the time
limit the process is killed and replaced. Workers read a checkpoint of the store (``Store.backup``, hard
links) opened with ``Store.read_only``: a consistent view taken after each change. The main process only
waits (in a thread, never on the event loop) and passes bytes through.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import shutil
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .errors import ServiceUnavailable

log = logging.getLogger("vocab_service.workers")
STARTUP_TIMEOUT_S = 60.0


@dataclass
class Job:
    """One query for a worker; ``result_format``/``graph_format`` are keys of results.py."""

    query: str
    result_format: str
    graph_format: str
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    union: bool = True
    max_rows: int = 10_000
    snapshot: str = ""
    generation: int = 0


@dataclass
class Answer:
    kind: str  # "select", "ask" or "graph"
    format: str  # key of results.py; "json" for an HTML page
    body: bytes
    truncated: bool = False


class QueryError(Exception):
    """The engine refused the query (syntax, unsupported feature): the client's mistake."""


class QueryLimit(ServiceUnavailable):
    """The query hit the time or memory limit and its worker was killed."""


class PoolBusy(ServiceUnavailable):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": "2"}


# The worker process -------------------------------------------------------------------------------

def _limit_memory(megabytes: int | None) -> None:
    """Cap the address space at the current footprint plus ``megabytes`` (None lifts the cap).

    Only the soft limit is set, so the worker can lift it while it opens a checkpoint (RocksDB reserves
    thread stacks and maps files then); queries cannot change it.
    """
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if megabytes is None:
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        return
    with open("/proc/self/status") as status:
        vm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    limit = vm_kb * 1024 + megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _worker_main(conn: Connection, memory_mb: int) -> None:
    import pyoxigraph as ox

    from . import results

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers end
    store: Any = None
    generation = -1
    ox.Store()  # load the engine's code before measuring the footprint
    conn.send(("ready", None))
    while True:
        try:
            job: Job = conn.recv()
        except EOFError:
            return
        try:
            if job.generation != generation:
                store = None
                _limit_memory(None)
                store = ox.Store.read_only(job.snapshot)
                generation = job.generation
                _limit_memory(memory_mb)
            conn.send(("ok", _run(ox, results, store, job)))
        except SyntaxError as exc:
            conn.send(("syntax", str(exc)))
        except MemoryError:
            conn.send(("memory", ""))
        except (OSError, ValueError, TypeError) as exc:
            conn.send(("error", str(exc)))


def _run(ox: Any, results: Any, store: Any, job: Job) -> Answer:
    options: dict[str, Any] = {}
    if job.default_graphs is not None:
        options["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    elif job.union:
        options["use_default_graph_as_union"] = True
    if job.named_graphs is not None:
        options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    outcome = store.query(job.query, **options)
    if isinstance(outcome, ox.QueryBoolean):
        return Answer("ask", job.result_format, results.serialize_boolean(bool(outcome), job.result_format))
    if isinstance(outcome, ox.QuerySolutions):
        variables = [v.value for v in outcome.variables]
        rows = []
        for solution in outcome:
            if len(rows) == job.max_rows:
                body = results.serialize_rows(variables, rows, job.result_format, truncated_at=job.max_rows)
                return Answer("select", job.result_format, body, truncated=True)
            rows.append([solution[v] for v in variables])
        return Answer("select", job.result_format, results.serialize_rows(variables, rows, job.result_format))
    triples = []
    truncated = False
    for triple in outcome:
        if len(triples) == job.max_rows:
            truncated = True
            break
        triples.append(triple)
    if job.graph_format == "html":  # a table of subject, predicate, object for the page
        body = results.serialize_rows(["subject", "predicate", "object"],
                                      [[t.subject, t.predicate, t.object] for t in triples], "json",
                                      truncated_at=job.max_rows if truncated else None)
        return Answer("graph", "json", body, truncated)
    return Answer("graph", job.graph_format, results.serialize_triples(triples, job.graph_format), truncated)


# The pool, in the main process --------------------------------------------------------------------

@dataclass
class _Worker:
    process: Any
    conn: Connection
    generation: int = -1  # the snapshot it has open
    index: int = 0
    ready: bool = False  # started and waiting for jobs (start-up does not count against a query's time)


@dataclass
class Snapshots:
    """Checkpoints of the embedded store under ``root``; one per generation that a worker may read."""

    root: Path
    current: tuple[int, Path] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    stale: bool = False
    _sequence: int = 0
    _store: Any = None
    _refresh_lock: threading.Lock = field(default_factory=threading.Lock)

    def mark_stale(self, store: Any) -> None:
        """Called after each change: the next query takes a fresh checkpoint, so a burst of writes
        shares one checkpoint and no write waits for it."""
        self._store = store
        self.stale = True

    def refresh(self) -> None:
        """Take the checkpoint a change asked for; queries that arrive meanwhile wait for it, so every
        query sees every write acknowledged before it."""
        with self._refresh_lock:
            if not self.stale:
                return
            self.stale = False  # a change during the backup marks it stale again
            self.take(self._store)

    def take(self, store: Any) -> None:
        """Checkpoint ``store`` (a consistent RocksDB checkpoint, safe beside writers)."""
        with self.lock:
            self._sequence += 1
            path = self.root / f"{self._sequence:08d}"
            store.backup(path)
            self.current = (self._sequence, path)

    def prune(self, in_use: set[int]) -> None:
        with self.lock:
            keep = in_use | ({self.current[0]} if self.current else set())
        for path in self.root.iterdir():
            if path.name.isdigit() and int(path.name) not in keep:
                shutil.rmtree(path, ignore_errors=True)


class QueryPool:
    """``query_workers`` processes; ``run(job)`` waits for a free one, then for its answer."""

    def __init__(self, snapshots: Snapshots, *, workers: int, memory_mb: int, timeout_s: float,
                 queue: int = 64, queue_wait_s: float | None = None) -> None:
        self.snapshots = snapshots
        self.size = workers
        self.memory_mb = memory_mb
        self.timeout_s = timeout_s
        # Like a server's accept backlog: a bounded number of queries wait (up to the time limit) for a
        # worker; only past that bound is the service saturated and says so with 503.
        self.queue = queue
        self.queue_wait_s = timeout_s if queue_wait_s is None else queue_wait_s
        self._waiting = 0
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._idle: asyncio.Queue[_Worker] | None = None
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sparql-wait")

    def _spawn(self, index: int) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker_main, args=(child, self.memory_mb),
                                        name=f"sparql-worker-{index}", daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent, index=index)

    async def start(self) -> None:
        self._idle = asyncio.Queue()
        for index in range(self.size):
            worker = self._spawn(index)
            self._workers.append(worker)
            self._idle.put_nowait(worker)
        for _ in range(self.size):  # each worker in turn (the queue is FIFO) opens the checkpoint now
            await self.run(Job("ASK {}", "json", "turtle"))

    async def stop(self) -> None:
        for worker in self._workers:
            worker.conn.close()
            worker.process.kill()
            worker.process.join(timeout=5)
        self._threads.shutdown(wait=False, cancel_futures=True)

    def _replace(self, worker: _Worker) -> _Worker:
        worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()
        fresh = self._spawn(worker.index)
        self._workers[worker.index] = fresh
        return fresh

    def _exchange(self, worker: _Worker, job: Job) -> tuple[str, Any]:
        """Send the job and wait for the answer (runs in a thread)."""
        if not worker.ready:
            if not worker.conn.poll(STARTUP_TIMEOUT_S):
                return ("died", "did not start")
            try:
                worker.conn.recv()
            except EOFError:
                return ("died", worker.process.exitcode)
            worker.ready = True
        worker.conn.send(job)
        worker.generation = job.generation
        if not worker.conn.poll(self.timeout_s):
            return ("timeout", None)
        try:
            return worker.conn.recv()
        except EOFError:
            worker.process.join(timeout=5)
            return ("died", worker.process.exitcode)

    async def run(self, job: Job) -> Answer:
        assert self._idle is not None, "the pool is not started"
        if self.snapshots.stale:
            await asyncio.get_running_loop().run_in_executor(None, self.snapshots.refresh)
        current = self.snapshots.current
        if current is None:
            raise ServiceUnavailable("the store has no checkpoint to query yet")
        job.generation, job.snapshot = current[0], str(current[1])
        if self._idle.empty() and self._waiting >= self.queue:
            raise PoolBusy(f"all {self.size} query workers are busy and {self._waiting} queries are waiting; "
                           "try again shortly")
        self._waiting += 1
        try:
            worker = await asyncio.wait_for(self._idle.get(), self.queue_wait_s)
        except TimeoutError:
            raise PoolBusy(f"all {self.size} query workers stayed busy for {_seconds(self.queue_wait_s)} s; "
                           "try again shortly") from None
        finally:
            self._waiting -= 1
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        status, payload = "died", None
        try:
            status, payload = await loop.run_in_executor(self._threads, self._exchange, worker, job)
        finally:
            if status in ("timeout", "died", "memory"):
                worker = self._replace(worker)
            self._idle.put_nowait(worker)
            self.snapshots.prune({w.generation for w in self._workers})
        if status == "ok":
            return payload  # type: ignore[no-any-return]
        if status == "syntax":
            raise QueryError(payload)
        if status == "error":
            raise QueryError(payload)
        if status == "timeout":
            log.warning("query stopped at the %s s time limit", self.timeout_s)
            raise QueryLimit(f"query exceeded the {_seconds(self.timeout_s)} s time limit", limit="time")
        log.warning("query worker ended (exit code %s) after %.1f s", payload, time.monotonic() - started)
        raise QueryLimit(f"query exceeded the memory limit of {self.memory_mb} MB and was stopped",
                         limit="memory")


def _seconds(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)
