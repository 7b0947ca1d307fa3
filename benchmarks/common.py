"""Helpers shared by the load and crash benchmarks and their bounded versions in tests/.

Servers are started with the test suite's ``Server`` (tests/conftest.py): a real ``vocab-service serve``
process on a free loopback port with its own data directory.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

from conftest import EXAMPLES, Server, free_port

__all__ = ["EXAMPLES", "RESULTS", "ROOT", "Server", "descendants", "free_port", "kill_tree", "rss_kib"]


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren, ...), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rss_kib(pid: int) -> int:
    """Resident memory of one process in KiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def kill_tree(server: Server) -> None:
    """SIGKILL the server and then every process it started, like a container being killed."""
    process = server.process
    if process is None or process.poll() is not None:
        return
    children = descendants(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
