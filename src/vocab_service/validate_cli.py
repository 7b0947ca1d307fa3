"""``vocab-service validate FILE...``: validate role descriptions offline, without a server or the store.

Exit status: 0 when every file conforms (warnings and notes allowed), 1 when any file has a violation,
2 when any input is unusable (missing file, unknown format, parse error) or the sources cannot be loaded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from rdflib import Graph

from .errors import ProblemError
from .namespaces import Namespaces
from .parsing import FORMAT_NAMES, MEDIA_TYPES, media_type_for_path, parse_description
from .settings import Settings
from .validation import ValidationReport, Validator, compact

EXIT_OK, EXIT_VIOLATIONS, EXIT_UNUSABLE = 0, 1, 2
LABELS = {"nl": {"violation": "OVERTREDING", "warning": "WAARSCHUWING", "info": "MELDING"},
          "en": {"violation": "VIOLATION", "warning": "WARNING", "info": "INFO"}}


def load_sources(settings: Settings) -> tuple[Graph, Graph, dict[str, Any]]:
    """Vocabulary, shapes and JSON-LD context from the configured directories."""
    vocabulary, shapes = Graph(), Graph()
    files = sorted(settings.ontology_dir.glob("*.ttl"))
    if not files:
        raise FileNotFoundError(f"no Turtle files in the ontology directory {settings.ontology_dir}")
    for path in files:
        vocabulary.parse(path, format="turtle")
    for path in sorted(settings.shapes_dir.glob("*.ttl")):
        shapes.parse(path, format="turtle")
    context_path = settings.ontology_dir / "context.jsonld"
    context = json.loads(context_path.read_text("utf-8")) if context_path.is_file() else {}
    return vocabulary, shapes, context


def _media_type(path: Path, fmt: str | None) -> str:
    if fmt:
        chosen = FORMAT_NAMES.get(fmt.lower(), fmt.lower())
        if chosen not in MEDIA_TYPES:
            raise ProblemError(f"unknown format '{fmt}'; use one of {', '.join(sorted(FORMAT_NAMES))} "
                               f"or a media type", status=415)
        return chosen
    return media_type_for_path(path)


def run(files: list[Path], *, fmt: str | None, lang: str, as_json: bool, settings: Settings,
        out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    try:
        vocabulary, shapes, context = load_sources(settings)
        validator = Validator(vocabulary, shapes)
    except (OSError, ValueError, SyntaxError) as exc:
        print(f"vocab-service validate: cannot load the vocabulary or shapes: {exc}", file=err)
        return EXIT_UNUSABLE
    ns = Namespaces(settings.base_iri)
    entries: list[dict[str, Any]] = []
    status = EXIT_OK
    for path in files:
        try:
            body = path.read_bytes()
            graph = parse_description(body, _media_type(path, fmt), vocabulary=vocabulary, ns=ns, context=context)
        except OSError as exc:
            entries.append({"file": str(path), "error": {"status": None, "detail": exc.strerror or str(exc)}})
            status = EXIT_UNUSABLE
            continue
        except ProblemError as exc:
            entries.append({"file": str(path), "error": {"status": exc.status, "detail": exc.detail, **exc.extra}})
            status = EXIT_UNUSABLE
            continue
        report = validator.validate(graph, lang=lang)
        entries.append({"file": str(path), "report": report})
        if report.has_violations and status == EXIT_OK:
            status = EXIT_VIOLATIONS
    if as_json:
        document = {"conforms": status == EXIT_OK, "exit_status": status, "files": [
            {"file": e["file"], "error": e["error"]} if "error" in e else
            {"file": e["file"], **e["report"].to_json()} for e in entries]}
        json.dump(document, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        for entry in entries:
            _print_entry(entry, lang, out)
    return status


def _print_entry(entry: dict[str, Any], lang: str, out: TextIO) -> None:
    name = entry["file"]
    if "error" in entry:
        error = entry["error"]
        where = ""
        if error.get("line"):
            where = f":{error['line']}" + (f":{error['column']}" if error.get("column") else "")
        word = "onbruikbaar" if lang == "nl" else "unusable"
        print(f"{name}{where}: {word}: {error['detail']}", file=out)
        return
    report: ValidationReport = entry["report"]
    counts = report.counts
    if lang == "nl":
        verdict = "voldoet" if report.conforms else "voldoet niet"
        summary = f"{counts['violation']} overtredingen, {counts['warning']} waarschuwingen, {counts['info']} meldingen"
    else:
        verdict = "conforms" if report.conforms else "does not conform"
        summary = f"{counts['violation']} violations, {counts['warning']} warnings, {counts['info']} info"
    print(f"{name}: {verdict} ({summary})", file=out)
    for r in report.results:
        print(f"  {LABELS[lang][r.severity]:<13} {compact(r.focus_node)}", file=out)
        if r.path:
            print(f"      {'pad' if lang == 'nl' else 'path'}: {compact(r.path)}", file=out)
        if r.value:
            print(f"      {'waarde' if lang == 'nl' else 'value'}: {compact(r.value)}", file=out)
        print(f"      {r.message}", file=out)
        if r.suggestions:
            shown = ", ".join(f"{s['label']} ({compact(s['iri'])})" for s in r.suggestions)
            print(f"      {'bedoelde u' if lang == 'nl' else 'did you mean'}: {shown}", file=out)
