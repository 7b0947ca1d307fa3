"""Fuzz the HTTP API against its OpenAPI description and write the counts to benchmarks/results/fuzz.md.

Runs tests/test_fuzz.py (schemathesis: generated requests for every documented read operation; checks: no
server error, documented status code, documented content type, response schema) with more examples per
operation than the test suite uses:

    .venv/bin/python benchmarks/fuzz.py [--max-examples 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=200, help="generated examples per operation")
    parser.add_argument("--output", type=Path, default=RESULTS / "fuzz.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "fuzz.json"
        env = {**os.environ, "VOCAB_FUZZ_MAX_EXAMPLES": str(args.max_examples), "VOCAB_FUZZ_REPORT": str(report)}
        started = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_fuzz.py"],
                             check=False, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - started
        data = json.loads(report.read_text())
    calls: dict[str, int] = data["calls"]
    failures: dict[str, str] = data["failures"]
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    lines = [
        "# Fuzzing against the OpenAPI description", "",
        (f"`benchmarks/fuzz.py --max-examples {args.max_examples}` ({time.strftime('%Y-%m-%d')}, "
         f"{seconds:.0f} s): schemathesis {_version()} generated requests from the service's own OpenAPI "
         "description for every documented read operation (PUT and DELETE are covered by "
         "tests/test_access.py and tests/test_hostile.py) and checked each answer: not a server error, "
         "a documented status code, a documented content type, a body that matches the documented schema. "
         f"The test suite runs the same with {25} examples per operation."), "",
        f"- operations: **{len(calls)}**",
        f"- generated requests: **{sum(calls.values())}**",
        f"- operations with a failure: **{len(failures)}**",
        f"- pytest: `{summary}`", "",
        "| operation | requests | failure |", "| --- | --- | --- |",
    ]
    for label in sorted(calls):
        lines.append(f"| `{label}` | {calls[label]} | {failures.get(label, '')} |")
    lines += ["", "Operations with one request take no documented parameters.", ""]
    args.output.write_text("\n".join(lines))
    print("\n".join(lines[4:8]))
    print(f"wrote {args.output}")
    sys.exit(0 if run.returncode == 0 else 1)


def _version() -> str:
    import schemathesis

    return str(schemathesis.__version__)


if __name__ == "__main__":
    main()
