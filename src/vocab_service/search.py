"""Label search over preferred, alternative and hidden labels in both languages.

Matching ignores case, accents and punctuation. Ranking: exact > prefix of a preferred label > prefix
of an alternative/hidden label > prefix of a word > substring; within a kind, labels in the requested
language first, then shorter labels. The index is built once per vocabulary snapshot.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from rdflib import Literal as RdfLiteral
from rdflib import URIRef
from rdflib.namespace import OWL, RDF, SKOS

from .negotiation import HTML, choose
from .pages import collections
from .rendering import LANGS, pick_lang, render, request_lang
from .representations import Snapshot, local_name
from .terms import publisher

KINDS = ("exact", "prefix", "alt-prefix", "word-prefix", "substring")
LABEL_KINDS = ((SKOS.prefLabel, "pref"), (SKOS.altLabel, "alt"), (SKOS.hiddenLabel, "hidden"))
_NON_WORD = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """'ICT&O-coach' -> 'ict o coach': casefolded, without accents, punctuation as single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", plain).strip()


@dataclass(frozen=True)
class Label:
    iri: str
    text: str
    normalized: str
    words: tuple[str, ...]
    kind: str  # pref, alt, hidden
    lang: str | None


@dataclass(frozen=True)
class Hit:
    iri: str
    href: str | None
    label: str
    matched: str
    matched_kind: str
    match: str
    lang: str | None
    categories: list[str]
    types: list[str]
    deprecated: bool

    def as_json(self) -> dict[str, Any]:
        return {"iri": self.iri, "href": self.href, "label": self.label, "matched_label": self.matched,
                "label_kind": self.matched_kind, "match": self.match, "matched_lang": self.lang,
                "category": self.categories[0] if self.categories else None, "categories": self.categories,
                "types": self.types, "deprecated": self.deprecated}


class SearchIndex:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        concepts = {s for s in snapshot.subjects(SKOS.inScheme, None) if isinstance(s, URIRef)}
        concepts |= {s for s in snapshot.subjects(RDF.type, SKOS.Concept) if isinstance(s, URIRef)}
        self.labels: list[Label] = []
        self.categories: dict[str, list[str]] = {}
        self.types: dict[str, list[str]] = {}
        self.deprecated: set[str] = set()
        for concept in concepts:
            iri = str(concept)
            for predicate, kind in LABEL_KINDS:
                for literal in snapshot.objects(concept, predicate):
                    if isinstance(literal, RdfLiteral):
                        normalized = normalize(str(literal))
                        self.labels.append(Label(iri, str(literal), normalized, tuple(normalized.split()), kind,
                                                 literal.language))
            self.categories[iri] = sorted(local_name(str(c)) for c in snapshot.subjects(SKOS.member, concept))
            self.types[iri] = sorted(local_name(str(c)) for c in snapshot.objects(concept, RDF.type)
                                     if c != SKOS.Concept)
            if snapshot.has(concept, OWL.deprecated, RdfLiteral(True)):
                self.deprecated.add(iri)

    def in_category(self, iri: str, category: str) -> bool:
        wanted = category.casefold()
        return any(c.casefold() == wanted for c in self.categories.get(iri, []) + self.types.get(iri, []))

    def search(self, q: str, lang: str, category: str | None = None, limit: int = 10) -> list[Hit]:
        query = normalize(q)
        if not query:
            return []
        best: dict[str, tuple[tuple[int, int, int, str], Label, int]] = {}
        for label in self.labels:
            rank = match_rank(query, label)
            if rank is None or (category and not self.in_category(label.iri, category)):
                continue
            key = (rank, 0 if label.lang == lang else 1, len(label.text), label.normalized)
            if label.iri not in best or key < best[label.iri][0]:
                best[label.iri] = (key, label, rank)
        ranked = sorted(best.values(), key=lambda item: (item[0], item[1].iri))[:limit]
        return [self.hit(label, rank, lang) for _, label, rank in ranked]

    def hit(self, label: Label, rank: int, lang: str) -> Hit:
        node = URIRef(label.iri)
        return Hit(label.iri, self.snapshot.path_of(label.iri), self.snapshot.label(node, lang), label.text,
                   label.kind, KINDS[rank], label.lang, self.categories.get(label.iri, []),
                   self.types.get(label.iri, []), label.iri in self.deprecated)


def match_rank(query: str, label: Label) -> int | None:
    if label.normalized == query:
        return 0
    if label.normalized.startswith(query):
        return 1 if label.kind == "pref" else 2
    if any(word.startswith(query) for word in label.words) or (" " in query and f" {query}" in f" {label.normalized}"):
        return 3
    if query in label.normalized:
        return 4
    return None


def search_index(snapshot: Snapshot) -> SearchIndex:
    index: SearchIndex = snapshot.derived("search", SearchIndex)
    return index


RESULT_EXAMPLE = {"query": "icto", "lang": "nl", "results": [{
    "iri": "https://w3id.org/docentondersteuning/concept/icto-coach", "href": "/concept/icto-coach",
    "label": "ICTO-coach", "matched_label": "ICTO-coach", "label_kind": "pref", "match": "prefix",
    "matched_lang": "nl", "category": "rollen", "categories": ["rollen"], "types": ["SupportRole"],
    "deprecated": False}]}


def install(app: FastAPI) -> None:
    pub = publisher(app)
    pub.contributors.append(lambda snapshot, _table: search_index(snapshot))  # build with each snapshot

    @app.get("/search", tags=["pages"], response_class=Response,
             responses={200: {"description": "Matches as JSON (or an HTML page for browsers).",
                              "content": {"application/json": {"example": RESULT_EXAMPLE}, HTML: {}}}})
    async def search(
        request: Request,
        q: str = Query("", max_length=200, description="Text to find in labels (any case, with or without accents).",
                       examples=["icto"]),
        lang: Literal["nl", "en"] | None = Query(None, description="Language of the returned labels and of "
                                                 "the preferred matches; default from Accept-Language."),
        category: str | None = Query(None, max_length=100, description="Collection slug (e.g. `rollen`) or "
                                     "category class name (e.g. `SupportRole`).", examples=["rollen"]),
        limit: int = Query(10, ge=1, le=50, description="Most results to return."),
    ) -> Response:
        """Search concepts by label: exact, then prefix, then word-prefix, then substring matches."""
        chosen_lang = lang or pick_lang(None, request.cookies.get("lang"), request.headers.get("accept-language"),
                                        app.state.settings.default_lang)
        index = search_index(pub.snapshot)
        hits = index.search(q, chosen_lang, category, limit)
        wants = choose(request.headers.get("accept"), ("application/json", HTML))
        if wants == HTML:
            page_lang = lang or request_lang(request)
            return render("search.html", lang=page_lang, q=q, category=category or "", hits=hits,
                          collections=collections(pub.snapshot, page_lang), langs=LANGS)
        return JSONResponse({"query": q, "lang": chosen_lang, "category": category,
                             "results": [hit.as_json() for hit in hits]},
                            headers={"Access-Control-Allow-Origin": "*", "Vary": "Accept, Accept-Language, Cookie",
                                     "Cache-Control": "public, max-age=60"})
