"""Load, bounded: the mixed wrk workload of benchmarks/load.py for a few seconds, and dereferencing while a
runaway SPARQL query runs. Correctness under load, not timing: the figures are in benchmarks/results/load.md.
"""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, Server, have

sys.path.insert(0, str(ROOT / "benchmarks"))

from load import MemorySampler, run_wrk, runaway_effect, start_loaded, term_paths, write_data

pytestmark = pytest.mark.skipif(not have("wrk") and not os.environ.get("CI"),
                                reason="wrk is not installed (Debian: apt-get install wrk); CI requires it")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    tmp = tmp_path_factory.mktemp("load")
    server = start_loaded(tmp / "data", env={"VOCAB_QUERY_TIMEOUT_S": "4"})
    data = tmp / "data.lua"
    write_data(server, data)
    yield server, data
    server.stop()


def test_mixed_workload_without_errors(loaded: tuple[Server, Path]) -> None:
    server, data = loaded
    assert server.process is not None
    sampler = MemorySampler(server.process.pid).start()
    result = run_wrk(server.url, data, seconds=5, connections=16)
    sampler.stop()
    assert result["requests"] > 100, result
    assert result["errors"] == 0, result
    assert sampler.samples and sampler.peak()[0] < 1024 * 1024, "the server passed 1 GiB"
    assert server.process.poll() is None


def test_dereferencing_is_not_slowed_by_a_runaway_query(loaded: tuple[Server, Path]) -> None:
    server, data = loaded
    effect = runaway_effect(server.url, term_paths(data), count=150)
    idle, during = statistics.median(effect.idle), statistics.median(effect.during)
    assert during < max(10 * idle, 0.05) and during < 1.0, (idle, during)
    assert effect.runaway_status == 503 and "time limit" in effect.runaway_detail, effect
