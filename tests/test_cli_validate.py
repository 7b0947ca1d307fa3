"""``vocab-service validate``: the installed console script, its exit codes and its JSON output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLES, ROOT

SCRIPT = Path(sys.executable).parent / "vocab-service"
FIXTURES = ROOT / "tests" / "shapes"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), "validate", *map(str, args)], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


def test_conforming_files_exit_0() -> None:
    result = run(EXAMPLES / "zeehaven.ttl", EXAMPLES / "zeehaven.jsonld", "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "zeehaven.ttl: conforms" in result.stdout and "zeehaven.jsonld: conforms" in result.stdout


def test_violations_exit_1_with_a_readable_report() -> None:
    result = run(FIXTURES / "invalid" / "role-mapping-unknown.ttl", "--lang", "en")
    assert result.returncode == 1
    assert "does not conform (1 violations" in result.stdout
    assert "VIOLATION" in result.stdout and "value: dov:icto-coch" in result.stdout
    assert "did you mean: ICTO coach (dov:icto-coach)" in result.stdout


def test_json_output(tmp_path: Path) -> None:
    csv = tmp_path / "rollen.txt"
    csv.write_text("institution_id,role_title,sector\nzeehaven,Coach,mbo\n", "utf-8")
    result = run(csv, "--format", "csv", "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["conforms"] is False and document["exit_status"] == 1
    [entry] = document["files"]
    assert entry["file"] == str(csv) and entry["counts"]["violation"] >= 4
    assert {r["severity"] for r in entry["results"]} <= {"violation", "warning", "info"}


def test_unusable_input_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "kapot.ttl"
    broken.write_text("<http://a> <http://b> .", "utf-8")
    result = run(broken, EXAMPLES / "zeehaven.ttl")
    assert result.returncode == 2
    assert f"{broken}:1:" in result.stdout and "onbruikbaar" in result.stdout
    assert run(tmp_path / "missing.ttl").returncode == 2
    assert run(EXAMPLES / "README.md").returncode == 2
    assert run(broken, "--format", "yaml").returncode == 2
    document = json.loads(run(broken, "--json").stdout)
    assert document["files"][0]["error"]["line"] == 1
