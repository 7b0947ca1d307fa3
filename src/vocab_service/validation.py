"""Validation of institutions' role descriptions against the role-description SHACL shapes (pyshacl).

The validator prepares everything once: it selects the role-description shapes (IRIs starting with
``{base}shapes/role-``; the vocabulary-integrity shapes in the same graph never run on institution data), and
extracts from the vocabulary the few triples the shapes read: the ``rdf:type`` of each concept, the class
hierarchy of the model, and the ``dom:atScope``/``dom:atLevel`` of tasks. Each call copies the data, adds those
triples and runs pyshacl in place; pyshacl's own ``ont_graph`` mix-in only copies RDFS/OWL axioms, so concept
types would not be visible through it.

pyshacl evaluates a SHACL-SPARQL constraint once per focus node, re-parsing and re-checking the query text each
time (with rdflib's parser, ~25 ms a query). The validator therefore runs the core constraints with pyshacl and
each ``sh:sparql`` constraint of a property shape with a simple path once for all focus nodes, on a pyoxigraph
copy of the same graph, with ``$this`` left free and the solutions kept for the shape's focus nodes: the same
results as SHACL-SPARQL semantics for queries whose solutions for one ``$this`` do not depend on other focus
nodes (true of every query in shapes/role-description.ttl; a test compares both ways). ``engine="pyshacl"``
runs everything through pyshacl.

Two kinds of statement in the data are not believed: statements about the vocabulary's own concepts, and
``rdf:type`` statements that put a node into a category of the vocabulary (``dom:Level``, ``dom:Task``, ...).
Only the vocabulary defines its concepts. Such statements are dropped before validation and reported as
violations of ``{base}shapes/role-vocabulary-owned`` (a rule enforced here, documented in the shapes file).
"""

from __future__ import annotations

import difflib
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pyoxigraph as ox
from pyshacl import Validator as ShaclValidator
from pyshacl.graph_abstraction import DataGraph
from pyshacl.graph_abstraction import to_ox as _to_ox
from pyshacl.graph_abstraction import to_rdf as _to_rdf
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS
from rdflib.term import Node

from .namespaces import DEFAULT_BASE

log = logging.getLogger("vocab_service")

SHAPES_NS = DEFAULT_BASE + "shapes/"
ROLE_SHAPES_PREFIX = SHAPES_NS + "role-"
VOCABULARY_OWNED = URIRef(ROLE_SHAPES_PREFIX + "vocabulary-owned")
CONCEPT_NS = DEFAULT_BASE + "concept/"
MODEL_NS = DEFAULT_BASE + "model/"
DOM = Namespace(MODEL_NS)
# Values the CSV reader could not match to the vocabulary: ``urn:x-unknown-term:<percent-encoded label>``.
UNKNOWN_TERM_PREFIX = "urn:x-unknown-term:"

SEVERITIES = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
LABEL_PROPERTIES = (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
SUPPORT_PREDICATES = (DOM.atScope, DOM.atLevel, OWL.deprecated)
PREFIXES = {
    CONCEPT_NS: "dov:", MODEL_NS: "dom:", str(SKOS): "skos:", "https://schema.org/": "schema:",
    "http://purl.org/dc/terms/": "dcterms:", str(RDF): "rdf:",
}
MAX_SUGGESTIONS = 3
# The category each model property expects (docs/model.md), for suggestions where a shape has no sh:class.
EXPECTED_BY_PATH = {
    MODEL_NS + "performsTask": {MODEL_NS + "Task", MODEL_NS + "EducationSupportProcess"},
    MODEL_NS + "worksAtLevel": {MODEL_NS + "Level"},
    MODEL_NS + "servesScope": {MODEL_NS + "Scope"},
    MODEL_NS + "requiresCompetency": {MODEL_NS + "Competency"},
    MODEL_NS + "sector": {MODEL_NS + "Sector"},
    **{str(SKOS) + m: {MODEL_NS + "SupportRole"} for m in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch")},
}

_OWNED_MESSAGES = {
    "nl": "Alleen het begrippenkader beschrijft zijn begrippen; deze uitspraak over {value} telt niet mee.",
    "en": "Only the vocabulary describes its concepts; this statement about {value} is ignored.",
}


@dataclass
class ValidationResult:
    focus_node: str
    path: str | None
    value: str | None
    severity: str
    source_shape: str
    message: str
    suggestions: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"focus_node": self.focus_node, "path": self.path, "value": self.value, "severity": self.severity,
                "source_shape": self.source_shape, "message": self.message, "suggestions": self.suggestions}


@dataclass
class ValidationReport:
    conforms: bool
    counts: dict[str, int]
    results: list[ValidationResult]
    graph: Graph
    lang: str = "nl"

    @property
    def has_violations(self) -> bool:
        return self.counts.get("violation", 0) > 0

    def to_json(self) -> dict[str, Any]:
        return {"conforms": self.conforms, "lang": self.lang, "counts": dict(self.counts),
                "results": [r.to_json() for r in self.results]}


def normalise(text: str) -> str:
    """Lowercase, accents removed, every run of other characters one space: 'ICTO coach' == 'icto-coach'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


@dataclass
class _Term:
    iri: str
    slug: str
    categories: frozenset[str]
    labels: dict[str, str]  # lang -> preferred label
    keys: frozenset[str]  # normalised labels and slug


class TermIndex:
    """The vocabulary's concepts by normalised label and slug, for lookup (CSV) and suggestions."""

    def __init__(self, vocabulary: Graph) -> None:
        self.terms: dict[str, _Term] = {}
        self.by_key: dict[str, list[str]] = {}
        for concept in set(vocabulary.subjects(RDF.type, None)):
            if not isinstance(concept, URIRef) or not str(concept).startswith(CONCEPT_NS):
                continue
            categories = frozenset(str(c) for c in vocabulary.objects(concept, RDF.type)
                                   if str(c).startswith(MODEL_NS))
            labels: dict[str, str] = {}
            keys = {normalise(str(concept)[len(CONCEPT_NS):])}
            for prop in LABEL_PROPERTIES:
                for label in vocabulary.objects(concept, prop):
                    if isinstance(label, Literal):
                        keys.add(normalise(str(label)))
                        if prop == SKOS.prefLabel and label.language:
                            labels.setdefault(label.language, str(label))
            slug = str(concept)[len(CONCEPT_NS):]
            term = _Term(str(concept), slug, categories, labels, frozenset(k for k in keys if k))
            self.terms[term.iri] = term
            for key in term.keys:
                self.by_key.setdefault(key, []).append(term.iri)

    def lookup(self, text: str, categories: set[str] | None = None) -> str | None:
        """The IRI of the concept whose label, slug or IRI is ``text`` (normalised), in the given categories."""
        text = text.strip()
        if text in self.terms:
            return text
        if text.startswith("dov:") and CONCEPT_NS + text[4:] in self.terms:
            return CONCEPT_NS + text[4:]
        candidates = [iri for iri in self.by_key.get(normalise(text), [])
                      if not categories or self.terms[iri].categories & categories]
        return candidates[0] if len(candidates) == 1 else (candidates[0] if candidates else None)

    def label(self, iri: str, lang: str) -> str | None:
        term = self.terms.get(iri)
        if term is None:
            return None
        return term.labels.get(lang) or term.labels.get("nl") or term.labels.get("en") or term.slug

    def suggest(self, text: str, categories: set[str] | None = None, lang: str = "nl",
                limit: int = MAX_SUGGESTIONS) -> list[dict[str, str]]:
        """Nearest concepts by label or slug (either language), best first."""
        wanted = normalise(text)
        if not wanted:
            return []
        scored: list[tuple[float, str]] = []
        for term in self.terms.values():
            if categories and not term.categories & categories:
                continue
            best = max(difflib.SequenceMatcher(None, wanted, key).ratio() for key in term.keys)
            if best >= 0.6:
                scored.append((best, term.iri))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return [{"iri": iri, "label": self.label(iri, lang) or iri} for _, iri in scored[:limit]]


def select_shapes(shapes: Graph, prefix: str = ROLE_SHAPES_PREFIX) -> Graph:
    """The shapes whose IRIs start with ``prefix``, with every blank node and shape they reach."""
    selected = Graph()
    for p, ns in shapes.namespaces():
        selected.bind(p, ns)
    todo: list[Node] = [s for s in set(shapes.subjects()) if isinstance(s, URIRef) and str(s).startswith(prefix)]
    seen: set[Node] = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for _, p, o in shapes.triples((node, None, None)):
            selected.add((node, p, o))
            if isinstance(o, BNode) or (isinstance(o, URIRef) and str(o).startswith(prefix)):
                todo.append(o)
    return selected


def _support_graph(vocabulary: Graph) -> Graph:
    """The vocabulary triples the shapes read: concept types, the model's class hierarchy, task scopes."""
    support = Graph()
    for s, o in vocabulary.subject_objects(RDF.type):
        if isinstance(s, URIRef) and str(s).startswith(CONCEPT_NS):
            support.add((s, RDF.type, o))
    for s, o in vocabulary.subject_objects(RDFS.subClassOf):
        if str(s).startswith(MODEL_NS):
            support.add((s, RDFS.subClassOf, o))
    for predicate in SUPPORT_PREDICATES:
        for s, o in vocabulary.subject_objects(predicate):
            support.add((s, predicate, o))
    return support


def _category_classes(vocabulary: Graph) -> set[URIRef]:
    """Classes of the model whose members are concepts (dom:Level, dom:Task, ...), and skos:Concept."""
    classes = {SKOS.Concept}
    classes.update(o for s, o in vocabulary.subject_objects(RDF.type)
                   if isinstance(s, URIRef) and str(s).startswith(CONCEPT_NS) and isinstance(o, URIRef))
    classes.update(s for s in vocabulary.subjects(RDFS.subClassOf, SKOS.Concept) if isinstance(s, URIRef))
    return classes


def compact(term: str) -> str:
    """A term, or each ``<iri>`` in a SPARQL path, with the project's prefixes where one fits."""
    if "<" in term:
        return re.sub(r"<([^<>]*)>", lambda m: compact(m.group(1)) if compact(m.group(1)) != m.group(1)
                      else m.group(0), term)
    for ns, prefix in PREFIXES.items():
        if term.startswith(ns):
            return prefix + term[len(ns):]
    return term


def _path_text(graph: Graph, path: Node | None) -> str | None:
    """A property path: the IRI of a predicate, or SPARQL path syntax (``^<iri>``, ``<a>|<b>``)."""
    if path is None:
        return None
    if isinstance(path, URIRef):
        return str(path)
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        inner = f"<{inverse}>" if isinstance(inverse, URIRef) else f"({_path_text(graph, inverse)})"
        return "^" + inner
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "|".join(f"<{p}>" for p in Collection(graph, alternatives))
    return None


@dataclass(frozen=True)
class _SparqlConstraint:
    shape: URIRef
    constraint: Node
    path: URIRef
    severity: URIRef
    target: URIRef
    query: str
    messages: dict[str, str]


def _split_sparql(shapes: Graph) -> tuple[Graph, list[_SparqlConstraint]]:
    """The shapes without SPARQL-constrained property shapes that the validator can run in batch, and those."""
    batch: list[_SparqlConstraint] = []
    for shape, constraint in shapes.subject_objects(SH.sparql):
        path = shapes.value(shape, SH.path)
        owners = list(shapes.subjects(SH.property, shape))
        targets = [t for o in owners for t in shapes.objects(o, SH.targetClass)]
        other = {p for p, _ in shapes.predicate_objects(shape)} - {
            SH.path, SH.sparql, SH.severity, SH.message, RDF.type, RDFS.comment, RDFS.label, SH.name}
        select = shapes.value(constraint, SH.select)
        if not isinstance(path, URIRef) or len(targets) != 1 or other or select is None:
            continue  # not a simple case: pyshacl runs it
        messages = {m.language: str(m) for m in shapes.objects(constraint, SH.message)
                    if isinstance(m, Literal) and m.language}
        query = str(select).replace("$PATH", f"<{path}>")
        severity = shapes.value(shape, SH.severity) or SH.Violation
        batch.append(_SparqlConstraint(shape, constraint, path, severity, targets[0], query,  # type: ignore[arg-type]
                                       messages))
    core = Graph()
    batched = {c.shape for c in batch}
    for p, ns in shapes.namespaces():
        core.bind(p, ns)
    dropped = set(batched)
    for c in batch:
        dropped.update(_reachable(shapes, c.constraint))
    for s, p, o in shapes:
        if s in dropped or (p == SH.property and o in batched):
            continue
        core.add((s, p, o))
    return core, batch


def _reachable(graph: Graph, node: Node) -> set[Node]:
    """The blank nodes below ``node`` (its own description included)."""
    seen: set[Node] = set()
    todo = [node]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(o for o in graph.objects(current, None) if isinstance(o, BNode))
    return seen


class Validator:
    """Validates role descriptions; shapes and vocabulary are prepared once and reused by every call.

    ``engine="batch"`` (default) runs core constraints with pyshacl and SPARQL constraints once for all focus
    nodes; ``engine="pyshacl"`` runs every constraint through pyshacl (slower, same results).
    """

    def __init__(self, vocabulary: Graph, shapes: Graph, *, shapes_prefix: str = ROLE_SHAPES_PREFIX,
                 engine: str = "batch") -> None:
        if engine not in ("batch", "pyshacl"):
            raise ValueError("engine must be 'batch' or 'pyshacl'")
        self.shapes = select_shapes(shapes, shapes_prefix)
        if not any(True for _ in self.shapes.subjects(RDF.type, SH.NodeShape)):
            raise ValueError(f"no shapes with IRIs starting with {shapes_prefix} in the shapes graph")
        self.engine = engine
        if engine == "batch":
            self.core_shapes, self.sparql = _split_sparql(self.shapes)
        else:
            self.core_shapes, self.sparql = self.shapes, []
        self.support = _support_graph(vocabulary)
        # Per call only the support triples about terms the data mentions are added (and the class hierarchy).
        self._support_by_subject: dict[Node, list[tuple[Node, Node, Node]]] = {}
        self._always: list[tuple[Node, Node, Node]] = []
        for triple in self.support:
            if triple[1] == RDFS.subClassOf:
                self._always.append(triple)
            else:
                self._support_by_subject.setdefault(triple[0], []).append(triple)
        self.terms = TermIndex(vocabulary)
        self.category_classes = _category_classes(vocabulary)
        self.vocabulary_subjects = frozenset(s for s in vocabulary.subjects() if isinstance(s, URIRef))
        self._messages = self._collect_messages()
        self._expected = self._collect_expected_classes()
        self._options = {"inference": "none", "advanced": False, "inplace": True}
        # pyshacl adds a few system triples to the shapes graph on every run: serialise runs on shared graphs.
        self._lock = threading.Lock()

    def _collect_messages(self) -> dict[tuple[Node, Node | None], dict[str, str]]:
        """sh:message per language, by (source shape, SPARQL constraint or None)."""
        table: dict[tuple[Node, Node | None], dict[str, str]] = {}
        for shape, message in self.shapes.subject_objects(SH.message):
            if isinstance(message, Literal) and message.language:
                owners = list(self.shapes.subjects(SH.sparql, shape))
                key = (owners[0], shape) if owners else (shape, None)
                table.setdefault(key, {})[message.language] = str(message)
        return table

    def _collect_expected_classes(self) -> dict[Node, set[str]]:
        """The classes a property shape asks its values to have (sh:class, also inside sh:or)."""
        expected: dict[Node, set[str]] = {}
        for shape in set(self.shapes.subjects(SH.path, None)):
            classes = {str(c) for c in self.shapes.objects(shape, SH["class"])}
            for alternatives in self.shapes.objects(shape, SH["or"]):
                for member in Collection(self.shapes, alternatives):
                    classes.update(str(c) for c in self.shapes.objects(member, SH["class"]))
            if classes:
                expected[shape] = classes
        return expected

    def validate(self, data: Graph, lang: str = "nl") -> ValidationReport:
        """Validate one description; non-conformance is in the report, never an exception."""
        with self._lock:
            return self._validate(data, lang)

    def _validate(self, data: Graph, lang: str) -> ValidationReport:
        lang = lang if lang in ("nl", "en") else "nl"
        owned: list[tuple[Node, Node, Node]] = []
        kept: list[tuple[Node, Node, Node]] = []
        for triple in data:
            s, p, o = triple
            if s in self.vocabulary_subjects or (p == RDF.type and o in self.category_classes):
                owned.append(triple)
            else:
                kept.append(triple)
        mentioned = {o for _, _, o in kept if isinstance(o, URIRef)}
        kept.extend(self._always)
        for node in mentioned:
            kept.extend(self._support_by_subject.get(node, ()))
        work = Graph()
        for triple in kept:
            work.add(triple)
        validator = ShaclValidator(DataGraph.from_rdflib(work), shacl_graph=self.core_shapes,
                                   options=dict(self._options))
        _, report_graph, _ = validator.run()
        report_node = next(report_graph.subjects(RDF.type, SH.ValidationReport))
        results = [self._result(report_graph, node, lang)
                   for node in report_graph.objects(report_node, SH.result)]
        if self.sparql:
            results.extend(self._run_sparql(work, kept, report_graph, report_node, lang))
        results.extend(self._owned_result(report_graph, report_node, triple, lang) for triple in owned)
        order = {"violation": 0, "warning": 1, "info": 2}
        results.sort(key=lambda r: (order[r.severity], r.focus_node, r.path or "", r.value or "", r.source_shape))
        counts = {"violation": 0, "warning": 0, "info": 0}
        for result in results:
            counts[result.severity] += 1
        conforms = counts["violation"] == 0 and counts["warning"] == 0 and counts["info"] == 0
        report_graph.set((report_node, SH.conforms, Literal(conforms)))
        return ValidationReport(counts["violation"] == 0, counts, results, report_graph, lang)

    def _run_sparql(self, work: Graph, kept: list[tuple[Node, Node, Node]], graph: Graph, report_node: Node,
                    lang: str) -> list[ValidationResult]:
        store = ox.Store()
        store.extend(ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o)) for s, p, o in kept)  # type: ignore[arg-type]
        results: list[ValidationResult] = []
        for c in self.sparql:
            focus = set(work.subjects(RDF.type, c.target))
            solutions = store.query(c.query)
            assert isinstance(solutions, ox.QuerySolutions)
            names = [v.value for v in solutions.variables]
            seen: set[tuple[Node, Node | None]] = set()
            for row in solutions:
                bound = {name: _to_rdf(row[name]) for name in names if row[name] is not None}
                this = bound.get("this")
                value = bound.get("value")
                if this not in focus or (this, value) in seen:
                    continue
                seen.add((this, value))  # type: ignore[arg-type]
                results.append(self._add_sparql_result(graph, report_node, c, this, value, bound, lang))
        return results

    def _add_sparql_result(self, graph: Graph, report_node: Node, c: _SparqlConstraint, this: Node,
                           value: Node | None, bound: dict[str, Node], lang: str) -> ValidationResult:
        result = BNode()
        graph.add((report_node, SH.result, result))
        graph.add((result, RDF.type, SH.ValidationResult))
        graph.add((result, SH.focusNode, this))
        graph.add((result, SH.resultPath, c.path))
        if value is not None:
            graph.add((result, SH.value, value))
        graph.add((result, SH.resultSeverity, c.severity))
        graph.add((result, SH.sourceShape, c.shape))
        graph.add((result, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
        texts = {language: self._fill(template, bound, language) for language, template in c.messages.items()}
        for language, text in texts.items():
            graph.add((result, SH.resultMessage, Literal(text, lang=language)))
        suggestions: list[dict[str, str]] = []
        if isinstance(value, URIRef) and str(c.path) in EXPECTED_BY_PATH:
            suggestions = self._suggest(str(value), EXPECTED_BY_PATH[str(c.path)], lang)
        return ValidationResult(str(this), str(c.path), None if value is None else str(value),
                                SEVERITIES.get(c.severity, "violation"), str(c.shape),
                                texts.get(lang) or next(iter(texts.values()), ""), suggestions)

    def _fill(self, template: str, bound: dict[str, Node], lang: str) -> str:
        return re.sub(r"\{[?$](\w+)\}",
                      lambda m: self._show(bound[m.group(1)], lang) if m.group(1) in bound else m.group(0),
                      template)

    def _result(self, graph: Graph, node: Node, lang: str) -> ValidationResult:
        focus = graph.value(node, SH.focusNode)
        path = graph.value(node, SH.resultPath)
        value = graph.value(node, SH.value)
        shape = graph.value(node, SH.sourceShape)
        constraint = graph.value(node, SH.sourceConstraint)
        severity = SEVERITIES.get(graph.value(node, SH.resultSeverity), "violation")  # type: ignore[arg-type]
        message = self._message(graph, node, shape, constraint, value, lang)
        suggestions: list[dict[str, str]] = []
        expected = self._expected.get(shape) or (EXPECTED_BY_PATH.get(str(path)) if path is not None else None)
        if isinstance(value, URIRef) and expected:
            suggestions = self._suggest(str(value), expected, lang)
        # Rewrite the messages in the report graph the same way, one per language.
        for text in list(graph.objects(node, SH.resultMessage)):
            graph.remove((node, SH.resultMessage, text))
        for language in ("nl", "en"):
            graph.add((node, SH.resultMessage,
                       Literal(self._message(graph, node, shape, constraint, value, language), lang=language)))
        source = str(shape) if isinstance(shape, URIRef) else ""
        return ValidationResult(str(focus), _path_text(graph, path), None if value is None else str(value),
                                severity, source, message, suggestions)

    def _message(self, graph: Graph, node: Node, shape: Node | None, constraint: Node | None, value: Node | None,
                 lang: str) -> str:
        by_lang = self._messages.get((shape, constraint), {}) if constraint is not None else {}
        by_lang = by_lang or self._messages.get((shape, None), {})  # type: ignore[arg-type]
        template = by_lang.get(lang) or by_lang.get("nl") or next(iter(by_lang.values()), "")
        if not template:
            template = str(next(graph.objects(node, SH.resultMessage), ""))
        bound = {"value": value} if value is not None else {}
        return self._fill(template, bound, lang)  # type: ignore[arg-type]

    def _show(self, value: Node, lang: str) -> str:
        text = str(value)
        if text.startswith(UNKNOWN_TERM_PREFIX):
            return f"'{unquote(text[len(UNKNOWN_TERM_PREFIX):])}'"
        label = self.terms.label(text, lang)
        if label is not None:
            return f"{compact(text)} ('{label}')"
        return compact(text) if isinstance(value, URIRef) else f"'{text}'"

    def _suggest(self, value: str, categories: set[str], lang: str) -> list[dict[str, str]]:
        """Suggestions for a value that is not a concept of the expected category."""
        if value.startswith(UNKNOWN_TERM_PREFIX):
            text = unquote(value[len(UNKNOWN_TERM_PREFIX):])
        else:
            text = re.split(r"[/#:]", value.rstrip("/#"))[-1]
        term = self.terms.terms.get(value)
        if term is not None and term.categories & categories:
            return []
        return self.terms.suggest(text, categories, lang)

    def _owned_result(self, graph: Graph, report_node: Node, triple: tuple[Node, Node, Node],
                      lang: str) -> ValidationResult:
        s, p, o = triple
        value = o if p == RDF.type else s
        result = BNode()
        graph.add((report_node, SH.result, result))
        graph.add((result, RDF.type, SH.ValidationResult))
        graph.add((result, SH.focusNode, s))
        graph.add((result, SH.resultPath, p))
        graph.add((result, SH.value, o))
        graph.add((result, SH.resultSeverity, SH.Violation))
        graph.add((result, SH.sourceShape, VOCABULARY_OWNED))
        for language, text in _OWNED_MESSAGES.items():
            graph.add((result, SH.resultMessage, Literal(text.format(value=self._show(value, language)),
                                                         lang=language)))
        return ValidationResult(str(s), str(p), str(o), "violation", str(VOCABULARY_OWNED),
                                _OWNED_MESSAGES[lang].format(value=self._show(value, lang)))
