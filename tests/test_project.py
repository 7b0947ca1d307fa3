"""The project's own promises: the README's commands are what CI runs, and its links lead somewhere."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line and not line.startswith("#")]


def test_quick_start_has_exactly_two_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    assert "vocab-service serve" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert quick_start_commands()[1] in ci


def test_readme_links_point_at_files_that_exist() -> None:
    links = re.findall(r"\]\(([^)#:]+)\)", README)
    assert links
    missing = [link for link in links if not (ROOT / link).exists()]
    assert missing == []


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("vocab-service")
    path = str(script) if script.exists() else shutil.which("vocab-service")
    assert path, "the vocab-service console script is not installed"
    result = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("serve", "validate", "load", "export", "token"):
        assert command in result.stdout


def test_turtle_sources_parse_with_both_engines() -> None:
    import pyoxigraph
    from rdflib import Graph

    for path in sorted([*ROOT.glob("ontology/*.ttl"), *ROOT.glob("shapes/*.ttl")]):
        Graph().parse(path, format="turtle")
        pyoxigraph.Store().load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)


def test_lint_finds_no_errors() -> None:
    """Pyflakes errors, syntax errors and likely bugs (ruff's F, E9 and B rules) fail the build."""
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", "--select", "F,E9,B", "--output-format", "concise",
                             "src", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
