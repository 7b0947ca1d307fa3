"""Checkpoints for the query workers: taken lazily, one per burst of changes, never behind a write."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from vocab_service.store import EmbeddedStore
from vocab_service.workers import Snapshots

GRAPH = "https://example.org/graph/a"


def triple(n: int) -> bytes:
    return f'<https://example.org/s> <https://example.org/p> "{n}" .\n'.encode()


def test_a_burst_of_changes_shares_one_checkpoint_that_sees_the_last_write(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    root = tmp_path / "snapshots"
    root.mkdir()
    snapshots = Snapshots(root)
    snapshots.take(store)
    store.on_change(snapshots.mark_stale)
    for n in range(3):
        store.replace_graph(GRAPH, triple(n))
    assert snapshots.stale
    assert snapshots.current is not None and snapshots.current[0] == 1  # no write waited for a checkpoint
    snapshots.refresh()
    assert not snapshots.stale
    assert snapshots.current[0] == 2
    view = ox.Store.read_only(str(snapshots.current[1]))
    values = {q.object.value for q in view.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH))}
    assert values == {"2"}
    snapshots.refresh()  # nothing changed since: no new checkpoint
    assert snapshots.current[0] == 2
    store.close()
