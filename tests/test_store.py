"""The store interface, run on both modes: embedded Oxigraph and a real ``oxigraph serve`` (remote)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import free_port

from vocab_service.store import EmbeddedStore, RemoteStore, Store

OXIGRAPH = str(Path(sys.executable).parent / "oxigraph")
G1, G2, META = "urn:test:g1", "urn:test:g2", "urn:test:meta"


def start_oxigraph(location: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/query", params={"query": "ASK {}"}, timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("oxigraph serve did not start")


@pytest.fixture(params=["embedded", "remote"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "embedded":
        s: Store = EmbeddedStore(tmp_path / "store")
        yield s
        s.close()
        return
    if not os.path.exists(OXIGRAPH):
        pytest.skip("the oxigraph server is not installed")
    process, url = start_oxigraph(tmp_path / "oxigraph")
    s = RemoteStore(url)
    yield s
    s.close()
    process.terminate()
    process.wait(timeout=10)


def nt(*triples: tuple[str, str, str]) -> bytes:
    return "".join(f"<{s}> <{p}> {o} .\n" for s, p, o in triples).encode()


def test_replace_list_and_delete(store: Store) -> None:
    generation = store.generation
    store.replace_graph(G1, nt(("urn:a", "urn:p", '"1"'), ("urn:a", "urn:p", '"2"')))
    store.replace_graph(G2, nt(("urn:b", "urn:p", "<urn:a>")))
    assert store.generation == generation + 2
    assert {G1, G2} <= set(store.graphs())
    store.replace_graph(G1, nt(("urn:a", "urn:p", '"3"')))
    assert store.graph_ntriples(G1).decode().count("\n") == 1
    assert b'"3"' in store.graph_ntriples(G1)
    assert store.delete_graph(G1) is True
    assert store.delete_graph(G1) is False
    assert store.graph_ntriples(G1) == b""
    assert b"<urn:b>" in store.dump_nquads()


def test_select_and_ask_see_the_union(store: Store) -> None:
    store.replace_graph(G1, nt(("urn:a", "urn:p", "<urn:b>")))
    store.replace_graph(G2, nt(("urn:b", "urn:p", "<urn:c>")))
    rows = store.select("SELECT ?z WHERE { ?x <urn:p> ?y . ?y <urn:p> ?z }")
    assert rows == [{"z": "urn:c"}]
    assert store.select("SELECT ?y WHERE { ?x <urn:p> ?y }", {"x": "urn:b"}) == [{"y": "urn:c"}]
    assert store.ask("ASK { <urn:a> <urn:p> <urn:b> }") is True
    assert store.ask("ASK { <urn:a> <urn:p> <urn:c> }") is False


def test_bindings_are_not_pasted(store: Store) -> None:
    store.replace_graph(G1, nt(("urn:a", "urn:p", "<urn:b>")))
    with pytest.raises(ValueError):
        store.select("SELECT ?y WHERE { ?x <urn:p> ?y }", {"x": "urn:a> } # "})


def test_sync_from_files_is_idempotent(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "a.ttl"
    source.write_text("<urn:a> <urn:p> 1 .\n")
    assert store.sync_graph_from_files(G1, [source], META) is True
    generation = store.generation
    assert store.sync_graph_from_files(G1, [source], META) is False
    assert store.generation == generation  # unchanged files cost nothing
    source.write_text("<urn:a> <urn:p> 2 .\n")
    assert store.sync_graph_from_files(G1, [source], META) is True
    assert b'"2"' in store.graph_ntriples(G1) and b'"1"' not in store.graph_ntriples(G1)


def test_change_listeners(store: Store) -> None:
    seen: list[int] = []
    store.on_change(lambda s: seen.append(s.generation))
    store.replace_graph(G1, nt(("urn:a", "urn:p", "<urn:b>")))
    store.delete_graph(G1)
    assert len(seen) == 2 and seen[0] < seen[1]


def test_large_new_graph_takes_the_bulk_path(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    data = b"".join(f'<urn:s{i}> <urn:p> "{"x" * 60} {i}" .\n'.encode() for i in range(100_000))
    store.replace_graph(G1, data)
    assert store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == [{"n": "100000"}]
    store.replace_graph(G1, nt(("urn:a", "urn:p", "<urn:b>")))  # replacing takes the transaction
    assert store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == [{"n": "1"}]
    store.close()


REPLACER = """
import sys
from pathlib import Path
from vocab_service.store import EmbeddedStore
store = EmbeddedStore(Path(sys.argv[1]))
big = b"".join(f'<urn:s{i}> <urn:p> "new {i}" .\\n'.encode() for i in range(200_000))
print("ready", flush=True)
store.replace_graph("urn:test:g1", big)
print("done", flush=True)
"""


def test_replace_survives_sigkill_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = EmbeddedStore(path)
    store.replace_graph(G1, b"".join(f'<urn:s{i}> <urn:p> "old {i}" .\n'.encode() for i in range(1000)))
    store.close()
    process = subprocess.Popen([sys.executable, "-c", REPLACER, str(path)], stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"ready"
    time.sleep(0.5)
    process.kill()
    process.wait()
    store = EmbeddedStore(path)
    rows = store.select("SELECT (COUNT(*) AS ?n) (SAMPLE(?o) AS ?one) WHERE { GRAPH <urn:test:g1> { ?s ?p ?o } }")
    assert (rows[0]["n"], rows[0]["one"].split()[0]) in (("1000", "old"), ("200000", "new"))
    store.close()
