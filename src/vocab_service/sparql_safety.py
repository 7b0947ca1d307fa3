"""Checks on untrusted SPARQL text before it reaches an engine, without executing or fully parsing it.

A small tokenizer skips comments, strings and IRIs and looks at the keywords that remain. It errs on the
side of refusing: anything that looks like ``SERVICE`` outside the allowlist, or like an update
operation, is refused. Measured cost: tens of microseconds for a typical query (an rdflib algebra parse
of the same query takes milliseconds).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# SPARQL 1.1 §19.2: \u and \U escapes are replaced before the query is parsed, so a keyword may be
# spelled with them. Undo them first so the tokenizer sees what the engine would.
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<long>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\")
    | (?P<string>'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
    | (?P<word>(?:[A-Za-z_\u00c0-\uffff](?:[\w\-.\u00b7\u00c0-\uffff]*[\w\-\u00b7\u00c0-\uffff])?)?:[\w\-.:%\\\u00b7\u00c0-\uffff]*
               |[A-Za-z_\u00c0-\uffff][\w\u00c0-\uffff]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY",
                             "WITH", "USING"})


@dataclass
class QueryFeatures:
    """What the keyword scan found in a query."""

    services: list[str] = field(default_factory=list)  # IRIs after SERVICE; "" for a variable or name
    update_keywords: list[str] = field(default_factory=list)
    has_from: bool = False  # FROM or FROM NAMED: the query names its own dataset
    depth: int = 0  # deepest nesting of { ( [ (the engine's parser recurses; a few thousand levels crash it)


def tokens(query: str) -> list[tuple[str, str]]:
    """(kind, text) of the significant tokens: comments and whitespace are dropped."""
    text = _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), query)
    out: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        out.append((kind, match.group()))
    return out


def token_spans(query: str) -> list[tuple[str, int, str]]:
    """(kind, offset, text) of the significant tokens of the text as written (escapes not undone)."""
    return [(m.lastgroup or "other", m.start(), m.group()) for m in _TOKEN.finditer(query)
            if m.lastgroup not in ("ws", "comment")]


def scan(query: str) -> QueryFeatures:
    features = QueryFeatures()
    toks = tokens(query)
    depth = 0
    for index, (kind, text) in enumerate(toks):
        if kind == "other":
            if text in "{([":
                depth += 1
                features.depth = max(features.depth, depth)
            elif text in "})]":
                depth -= 1
        if kind != "word":
            continue
        upper = text.upper()
        if upper == "SERVICE":
            rest = [t for t in toks[index + 1:index + 3]]
            if rest and rest[0][0] == "word" and rest[0][1].upper() == "SILENT":
                rest = rest[1:]
            target = rest[0][1] if rest else ""
            features.services.append(target[1:-1] if target.startswith("<") else "")
        elif upper in UPDATE_KEYWORDS:
            features.update_keywords.append(upper)
        elif upper == "FROM":
            features.has_from = True
    return features


def refused_services(features: QueryFeatures, allowlist: Iterable[str]) -> list[str]:
    """The SERVICE targets not on the allowlist (a variable or prefixed name is never allowed)."""
    allowed = {a.rstrip("/") for a in allowlist}
    return [s or "(not a full IRI)" for s in features.services if not s or s.rstrip("/") not in allowed]
