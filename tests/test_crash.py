"""Crash safety, bounded: SIGKILL while institutions write and while the vocabulary loads at start-up.

The full run with more cycles is ``benchmarks/crash.py`` (results in benchmarks/results/crash.md).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from conftest import ROOT, Server

sys.path.insert(0, str(ROOT / "benchmarks"))

from crash import INSTITUTIONS, Versions, graph_counts, startup_kills, write_cycle

from vocab_service.auth import hash_token, mint_token


def test_sigkill_while_writing_loses_no_acknowledged_write(tmp_path: Path) -> None:
    token = mint_token()
    versions = [Versions.of(name) for name in INSTITUTIONS]
    assert all(v.which(v.graphs["b"]) == "b" for v in versions)  # the versions differ
    server = Server(tmp_path / "data", env={"VOCAB_ADMIN_TOKEN_HASH": hash_token(token)}).start()
    try:
        for _ in range(1):
            cycle = write_cycle(server, token, versions, seconds=6)
            assert cycle.acknowledged >= 2, cycle
            assert cycle.refused == 0, cycle
            assert cycle.problems == [], cycle.problems
            assert cycle.recovered_s < 30, "the store opened slowly (repair?)"
    finally:
        server.stop()
    assert "repair" not in server.log().lower()


def test_sigkill_during_startup_then_a_complete_vocabulary(server: Server, tmp_path: Path) -> None:
    # The session's server had a clean start: its vocabulary, shapes and meta graphs are the reference.
    graph = "https://w3id.org/docentondersteuning/graph/"
    loaded = (graph + "vocabulary", graph + "shapes", graph + "meta")
    reference = {g: n for g, n in graph_counts(server.url).items() if g in loaded}
    assert reference.get(graph + "vocabulary", 0) > 500 and len(reference) == 3
    # Kill early (while it starts), and after the store opened (while ontology/ and shapes/ load into it).
    delays = [("process", 0.1), ("process", 0.3), ("store", 0.05), ("store", 0.3), ("store", 0.8)]
    kills = startup_kills(tmp_path / "killed", delays)
    assert all(k.was_running for k in kills), kills
    started = time.monotonic()
    recovered = Server(tmp_path / "killed").start()
    try:
        assert time.monotonic() - started < 90
        assert graph_counts(recovered.url) == reference
    finally:
        recovered.stop()
