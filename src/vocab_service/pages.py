"""Browsable pages: home, a page per term (concepts, scheme, collections, model terms, sources),
the hierarchy and the alphabetical index, in Dutch and English.

Pages are plain views over a ``Snapshot``: ``*_context`` functions build template data, knowing nothing
of HTTP. Term pages and the three overview pages are rendered once per data change into the prepared
table (served by the fast path); the routes here document them and serve them when it falls through.
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from .negotiation import TERM_FORMATS
from .rendering import LANGS, environment, render, request_lang, t
from .representations import Snapshot, Table, html_entry, local_name
from .terms import publisher, serve_entry

Link = dict[str, Any]

# Shown in their own sections of a concept page; everything else goes to the table of other properties.
SHOWN = {SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, SKOS.definition, SKOS.scopeNote, SKOS.example,
         RDFS.comment, SKOS.broader, SKOS.narrower, SKOS.related, DCTERMS.source, OWL.deprecated,
         DCTERMS.isReplacedBy, RDF.type, SKOS.inScheme, SKOS.topConceptOf}
PREDICATE_NAMES = {
    SKOS.prefLabel: ("voorkeursterm", "preferred label"), SKOS.altLabel: ("synoniemen", "alternative labels"),
    SKOS.definition: ("definitie", "definition"), SKOS.scopeNote: ("toelichting", "scope note"),
    SKOS.example: ("voorbeelden", "examples"), RDFS.comment: ("in gewone taal", "in plain language"),
    SKOS.broader: ("breder", "broader"), SKOS.narrower: ("smaller", "narrower"),
    SKOS.related: ("gerelateerd", "related"), SKOS.member: ("leden", "members"),
    SKOS.hasTopConcept: ("topbegrippen", "top concepts"), SKOS.inScheme: ("in schema", "in scheme"),
    SKOS.exactMatch: ("exact gelijk aan", "exact match"), SKOS.closeMatch: ("vrijwel gelijk aan", "close match"),
    SKOS.broadMatch: ("breder dan", "broad match"), SKOS.narrowMatch: ("smaller dan", "narrow match"),
    SKOS.relatedMatch: ("verwant aan", "related match"), SKOS.note: ("opmerking", "note"),
    SKOS.editorialNote: ("redactionele opmerking", "editorial note"), SKOS.historyNote: ("geschiedenis", "history"),
    DCTERMS.source: ("bron", "source"), DCTERMS.title: ("titel", "title"),
    DCTERMS.description: ("beschrijving", "description"), DCTERMS.isPartOf: ("deel van", "part of"),
    DCTERMS.hasPart: ("onderdelen", "parts"), DCTERMS.publisher: ("uitgever", "publisher"),
    DCTERMS.license: ("licentie", "license"), DCTERMS.bibliographicCitation: ("citeren als", "cite as"),
    DCTERMS.created: ("aangemaakt", "created"), DCTERMS.modified: ("gewijzigd", "modified"),
    RDF.type: ("soort", "type"), RDFS.label: ("naam", "label"), RDFS.subClassOf: ("subklasse van", "subclass of"),
    RDFS.domain: ("domein", "domain"), RDFS.range: ("bereik", "range"), OWL.versionInfo: ("versie", "version"),
}


def link(snapshot: Snapshot, node: URIRef | BNode, lang: str) -> Link:
    """A node as a link: local path for IRIs under the base, the IRI itself otherwise."""
    iri = str(node)
    path = snapshot.path_of(iri) if isinstance(node, URIRef) else None
    deprecated = snapshot.has(node, OWL.deprecated, Literal(True))
    return {"href": path or (iri if isinstance(node, URIRef) else None), "label": snapshot.label(node, lang),
            "iri": iri, "deprecated": deprecated}


def links(snapshot: Snapshot, nodes: Any, lang: str) -> list[Link]:
    return sorted((link(snapshot, n, lang) for n in set(nodes) if isinstance(n, (URIRef, BNode))),
                  key=lambda item: sort_key(item["label"]))


def sort_key(text: str) -> str:
    return fold(text).lstrip("'\"(-")


def fold(text: str) -> str:
    """Lowercase without accents: 'Één' -> 'een'."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def predicate_name(snapshot: Snapshot, predicate: URIRef, lang: str) -> str:
    if predicate in PREDICATE_NAMES:
        return t(lang, *PREDICATE_NAMES[predicate])
    label = snapshot.label(predicate, lang)
    return label if label != local_name(str(predicate)) else curie(snapshot, predicate)


def curie(snapshot: Snapshot, iri: URIRef) -> str:
    for prefix, namespace in snapshot.prefixes.items():
        if str(iri).startswith(namespace):
            return f"{prefix}:{str(iri)[len(namespace):]}"
    return str(iri)


def value(snapshot: Snapshot, obj: Any, lang: str) -> dict[str, Any]:
    if isinstance(obj, Literal):
        return {"text": str(obj), "lang": obj.language}
    return {"link": link(snapshot, obj, lang)}


def category_of(snapshot: Snapshot, iri: URIRef) -> list[URIRef]:
    """The collections that list ``iri`` as a member (its categories)."""
    return sorted(c for c in snapshot.subjects(SKOS.member, iri) if isinstance(c, URIRef))


def schema_jsonld(snapshot: Snapshot, iri: URIRef, lang: str) -> str | None:
    """schema.org DefinedTerm (or DefinedTermSet) for search engines, safe inside a <script> element."""
    if snapshot.has(iri, RDF.type, SKOS.ConceptScheme):
        data: dict[str, Any] = {"@context": "https://schema.org", "@type": "DefinedTermSet", "@id": str(iri),
                                "name": snapshot.label(iri, lang)}
    elif snapshot.objects(iri, SKOS.inScheme) or snapshot.has(iri, RDF.type, SKOS.Concept):
        data = {"@context": "https://schema.org", "@type": "DefinedTerm", "@id": str(iri),
                "name": snapshot.label(iri, lang), "termCode": local_name(str(iri)), "inLanguage": lang}
        alternates = snapshot.texts(iri, SKOS.altLabel, lang)
        if alternates:
            data["alternateName"] = alternates
        definition = snapshot.text(iri, SKOS.definition, lang)
        if definition:
            data["description"] = definition
        schemes = [str(s) for s in snapshot.objects(iri, SKOS.inScheme)]
        if schemes:
            data["inDefinedTermSet"] = schemes[0] if len(schemes) == 1 else schemes
        data["url"] = str(iri)
    else:
        return None
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def term_context(snapshot: Snapshot, iri: URIRef, lang: str) -> dict[str, Any]:
    path = snapshot.path_of(str(iri)) or "/resource?uri=" + str(iri)
    other = [lang_ for lang_ in LANGS if lang_ != lang]
    rest: dict[URIRef, list[Any]] = defaultdict(list)
    for predicate, obj in snapshot.out.get(iri, ()):
        if predicate not in SHOWN:
            rest[predicate].append(obj)
    properties = sorted(
        ({"name": predicate_name(snapshot, p, lang), "iri": str(p),
          "values": sorted((value(snapshot, o, lang) for o in objs),
                           key=lambda v: sort_key(v.get("text") or v["link"]["label"]))}
         for p, objs in rest.items()),
        key=lambda item: item["name"])
    document = path if path.startswith("/resource") else None
    formats = [{"label": f.extension.upper(), "media_type": f.media_type,
                "href": (f"{document}&format={f.extension}" if document else f"{path}.{f.extension}")}
               for f in TERM_FORMATS if f.rdflib]
    types = links(snapshot, (o for o in snapshot.objects(iri, RDF.type) if o != SKOS.Concept), lang)
    return {
        "iri": str(iri), "path": path, "label": snapshot.label(iri, lang),
        "other_labels": {o: snapshot.text(iri, SKOS.prefLabel, o) for o in other
                         if snapshot.text(iri, SKOS.prefLabel, o)},
        "alt_labels": snapshot.texts(iri, SKOS.altLabel, lang),
        "definition": snapshot.text(iri, SKOS.definition, lang),
        "scope_notes": snapshot.texts(iri, SKOS.scopeNote, lang),
        "examples": snapshot.texts(iri, SKOS.example, lang),
        "comment": snapshot.text(iri, RDFS.comment, lang),
        "types": types,
        "broader": links(snapshot, snapshot.objects(iri, SKOS.broader), lang),
        "narrower": links(snapshot, set(snapshot.objects(iri, SKOS.narrower)) | set(snapshot.subjects(SKOS.broader, iri)),
                          lang),
        "related": links(snapshot, set(snapshot.objects(iri, SKOS.related)) | set(snapshot.subjects(SKOS.related, iri)),
                         lang),
        "collections": links(snapshot, category_of(snapshot, iri), lang),
        "schemes": links(snapshot, snapshot.objects(iri, SKOS.inScheme), lang),
        "sources": [source_link(snapshot, s, lang) for s in sorted(snapshot.objects(iri, DCTERMS.source), key=str)],
        "deprecated": snapshot.has(iri, OWL.deprecated, Literal(True)),
        "replaced_by": links(snapshot, snapshot.objects(iri, DCTERMS.isReplacedBy), lang),
        "properties": properties,
        "used_by": links(snapshot, (s for s in snapshot.subjects(None, iri) if isinstance(s, URIRef)), lang)[:200],
        "formats": formats,
        "jsonld": schema_jsonld(snapshot, iri, lang),
        "crosswalk": (f"/alignment/crosswalk?role={path.rsplit('/', 1)[1]}&lang={lang}"
                      if any(str(t).endswith("/model/SupportRole") for t in snapshot.objects(iri, RDF.type))
                      else None),
    }


def source_link(snapshot: Snapshot, source: Any, lang: str) -> Link:
    item = link(snapshot, source, lang)
    paragraph = snapshot.text(source, DCTERMS.bibliographicCitation, lang)
    if paragraph and paragraph.startswith("§"):
        item["paragraph"] = paragraph
    return item


def render_term(snapshot: Snapshot, iri: URIRef, lang: str) -> str:
    return render_page("concept.html", lang, **term_context(snapshot, iri, lang))


def render_page(template: str, lang: str, **context: Any) -> str:
    return environment().get_template(template).render(lang=lang, other_lang="en" if lang == "nl" else "nl",
                                                       **context)


# Overview pages ------------------------------------------------------------------------------------
def collections(snapshot: Snapshot, lang: str) -> list[dict[str, Any]]:
    found = [c for c in snapshot.subjects(RDF.type, SKOS.Collection) if isinstance(c, URIRef)]
    items = [{**link(snapshot, c, lang), "count": len(set(snapshot.objects(c, SKOS.member))),
              "slug": local_name(str(c)), "definition": snapshot.text(c, SKOS.definition, lang)} for c in found]
    return sorted(items, key=lambda item: sort_key(item["label"]))


def home_context(snapshot: Snapshot, lang: str) -> dict[str, Any]:
    scheme = URIRef(snapshot.ns.main_scheme)
    sources = [source_link(snapshot, s, lang) for s in snapshot.objects(scheme, DCTERMS.source)]
    citations = [snapshot.text(s, DCTERMS.bibliographicCitation, lang) for s in snapshot.objects(scheme, DCTERMS.source)]
    concepts = {s for s in snapshot.subjects(SKOS.inScheme, scheme)}
    return {
        "scheme": link(snapshot, scheme, lang),
        "title": snapshot.label(scheme, lang),
        "definition": snapshot.text(scheme, SKOS.definition, lang),
        "description": snapshot.text(scheme, DCTERMS.description, lang),
        "rights": snapshot.text(scheme, DCTERMS.rights, lang),
        "version": snapshot.text(scheme, OWL.versionInfo, lang),
        "license": next((str(o) for o in snapshot.objects(scheme, DCTERMS.license)), None),
        "modified": snapshot.text(scheme, DCTERMS.modified, lang),
        "concept_count": len(concepts),
        "collections": collections(snapshot, lang),
        "sources": sources,
        "source_citations": [c for c in citations if c],
        "scheme_iri": str(scheme),
    }


def hierarchy_context(snapshot: Snapshot, lang: str) -> dict[str, Any]:

    def narrower(node: URIRef) -> set[Any]:
        return set(snapshot.objects(node, SKOS.narrower)) | set(snapshot.subjects(SKOS.broader, node))

    def tree(node: URIRef, members: set[Any], seen: frozenset[Any]) -> dict[str, Any]:
        children = [c for c in narrower(node) if c not in seen and (not members or c in members)]
        item = link(snapshot, node, lang)
        item["children"] = sorted((tree(c, members, seen | {c}) for c in children),
                                  key=lambda i: sort_key(i["label"]))
        return item

    sections = []
    for collection in collections(snapshot, lang):
        members = set(snapshot.objects(URIRef(collection["iri"]), SKOS.member))
        roots = [m for m in members if not (set(snapshot.objects(m, SKOS.broader)) & members)
                 and not any(m in narrower(o) for o in members if o != m)]
        sections.append({**collection, "roots": sorted((tree(r, members, frozenset({r})) for r in roots),
                                                       key=lambda i: sort_key(i["label"]))})
    scheme = URIRef(snapshot.ns.main_scheme)
    tops = set(snapshot.objects(scheme, SKOS.hasTopConcept)) | set(snapshot.subjects(SKOS.topConceptOf, scheme))
    top_tree = sorted((tree(c, set(), frozenset({c})) for c in tops), key=lambda i: sort_key(i["label"]))
    return {"sections": sections, "top": top_tree, "scheme": link(snapshot, scheme, lang)}


def index_context(snapshot: Snapshot, lang: str) -> dict[str, Any]:
    scheme = URIRef(snapshot.ns.main_scheme)
    entries = []
    for concept in {c for c in snapshot.subjects(SKOS.inScheme, scheme) if isinstance(c, URIRef)}:
        target = link(snapshot, concept, lang)
        entries.append({"label": target["label"], "target": target, "preferred": True})
        for alt in snapshot.texts(concept, SKOS.altLabel, lang):
            entries.append({"label": alt, "target": target, "preferred": False})
    letters: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in sorted(entries, key=lambda e: (sort_key(e["label"]), not e["preferred"])):
        first = sort_key(entry["label"])[:1].upper()
        letters[first if first.isalpha() else "#"].append(entry)
    return {"letters": sorted(letters.items()), "count": sum(1 for e in entries if e["preferred"])}


PAGES = {"/": ("home.html", home_context), "/hierarchy": ("hierarchy.html", hierarchy_context),
         "/index": ("index.html", index_context)}


def contribute(snapshot: Snapshot, table: Table, cache_max_age: int) -> None:
    for path, (template, build) in PAGES.items():
        table[path] = html_entry(path, {lang: render_page(template, lang, **build(snapshot, lang))
                                        for lang in LANGS}, cache_max_age)


def install(app: FastAPI) -> None:
    pub = publisher(app)
    max_age = app.state.settings.cache_max_age
    pub.renderer = render_term
    pub.contributors.append(lambda snapshot, table: contribute(snapshot, table, max_age))
    lang_query = Query(None, description="Language of the page (nl or en); remembered in a cookie.",
                       examples=["en"])

    def page(path: str) -> Any:
        async def serve(request: Request, lang: str | None = lang_query) -> Response:
            entry = pub.table.get(path)
            if entry is None:  # only before the first data load
                template, build = PAGES[path]
                return render(template, lang=request_lang(request), **build(pub.snapshot, request_lang(request)))
            return serve_entry(request, entry)
        return serve

    summaries = {"/": ("Home page: the vocabulary, its categories, source, citation and downloads", "home"),
                 "/hierarchy": ("Hierarchy of broader/narrower concepts from the top concepts, per category",
                                "hierarchy"),
                 "/index": ("Alphabetical index of preferred and alternative labels, per language", "index")}
    for path, (summary, name) in summaries.items():
        app.add_api_route(path, page(path), methods=["GET", "HEAD"], tags=["pages"], summary=summary,
                          response_class=Response, name=f"page_{name}",
                          responses={200: {"content": {"text/html": {}}, "description": "HTML page"}})
