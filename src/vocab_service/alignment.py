"""Aligning the roles of institutions: crosswalks, similar roles, comparisons, gaps, overlaps, sectors.

Every view starts from a SPARQL query in ``queries/alignment-*.rq`` run through ``Store.select`` with
IRIs bound by VALUES. Results are cached per store generation: any write empties the cache, so pages
never show stale data and repeated loads cost a dictionary look-up.

The similarity of two local roles is a weighted Jaccard index over five feature sets (see
docs/alignment.md)::

    score = 0.4 J(tasks) + 0.2 J(mapped vocabulary roles) + 0.15 J(competencies)
          + 0.15 J(scopes) + 0.1 J(levels)

where J(A, B) = |A ∩ B| / |A ∪ B|, and J = 0 when both sets are empty (sharing nothing is no evidence
of likeness). Scores are rounded to 4 decimals; ties go to the institution identifier, then the role IRI.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .errors import BadRequest, NotFound
from .namespaces import DEFAULT_BASE, Namespaces
from .store import Store

QUERIES = Path(__file__).parent / "queries"
WEIGHTS: dict[str, float] = {"tasks": 0.4, "roles": 0.2, "competencies": 0.15, "scopes": 0.15, "levels": 0.1}
KIND_TO_FEATURE = {
    "task": "tasks",
    "scope": "scopes",
    "level": "levels",
    "competency": "competencies",
    "exact": "roles",
    "close": "roles",
    "broad": "roles",
    "narrow": "roles",
}
MAPPING_KINDS = ("exact", "close", "broad", "narrow")
SCOPE_ORDER = ("individueel-niveau", "teamniveau", "organisatieniveau")
LEVEL_ORDER = ("operationeel-niveau", "tactisch-niveau", "strategisch-niveau")
SECTOR_ORDER = ("mbo", "hbo", "wo")
MAX_LIMIT = 100


@cache
def _query_text(name: str) -> str:
    path = QUERIES / f"{name}.rq"
    if not path.is_file() or not name.startswith("alignment-"):
        raise KeyError(name)
    return path.read_text("utf-8")


def load_query(name: str, ns: Namespaces) -> str:
    """The text of ``queries/{name}.rq``, its model IRIs moved to the configured base IRI."""
    text = _query_text(name)
    return text if ns.base == DEFAULT_BASE else text.replace(DEFAULT_BASE, ns.base)


@dataclass
class _Cache:
    generation: int = -1
    entries: dict[Any, Any] = field(default_factory=dict)
    running: dict[Any, threading.Event] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    size: int = 256


@dataclass(frozen=True)
class RoleFeatures:
    """What one local role is: its institution, units and the five feature sets."""

    role: str
    institution: str  # identifier
    institution_iri: str
    sector: str | None
    units: frozenset[str]
    features: dict[str, frozenset[str]]
    mappings: dict[str, frozenset[str]]  # kind -> vocabulary roles


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def similarity(a: RoleFeatures, b: RoleFeatures) -> float:
    score = sum(weight * jaccard(a.features[name], b.features[name]) for name, weight in WEIGHTS.items())
    return round(score, 4)


def comparison(a: RoleFeatures, b: RoleFeatures) -> dict[str, Any]:
    """The score of two roles with what they share and what only each has, per feature."""
    return {
        "score": similarity(a, b),
        "shared": {n: sorted(a.features[n] & b.features[n]) for n in WEIGHTS},
        "only_a": {n: sorted(a.features[n] - b.features[n]) for n in WEIGHTS},
        "only_b": {n: sorted(b.features[n] - a.features[n]) for n in WEIGHTS},
    }


def local_name(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _rank(order: tuple[str, ...], iri: str | None) -> tuple[int, str]:
    name = local_name(iri) if iri else ""
    return (order.index(name) if name in order else len(order), iri or "")


class Alignment:
    """The alignment services over one store; results are cached per store generation."""

    def __init__(self, store: Store, ns: Namespaces) -> None:
        self.store = store
        self.ns = ns
        self._cache = _Cache()
        self._warm_lock = threading.Lock()
        self._warm_again = False
        self.institution_prefix = ns.institution_graph("")

    # Queries and caching --------------------------------------------------------------------------
    def cached(self, key: Any, compute: Any, generation: int | None = None) -> Any:
        """``compute()``, remembered until the store changes (errors are not remembered).

        One computation per key and generation: a second caller waits for the first (so a page load
        right after a write shares the background preparation instead of repeating it).
        ``generation``: the store generation the caller's inputs were read at; if the store has changed
        since, the result is computed but not remembered.
        """
        current = self.store.generation
        if generation is not None and generation != current:
            return compute()
        generation = current
        cache_ = self._cache
        with cache_.lock:
            if cache_.generation != generation:
                cache_.generation, cache_.entries, cache_.running = generation, {}, {}
            if key in cache_.entries:
                return cache_.entries[key]
            running = cache_.running.get(key)
            mine = None
            if running is None:
                mine = cache_.running[key] = threading.Event()
        if running is not None:
            running.wait(timeout=120)
            with cache_.lock:
                if cache_.generation == generation and key in cache_.entries:
                    return cache_.entries[key]
            return compute()
        try:
            value = compute()
            with cache_.lock:
                if cache_.generation == generation:
                    if len(cache_.entries) >= cache_.size:
                        cache_.entries.clear()
                    cache_.entries[key] = value
        finally:
            with cache_.lock:
                if cache_.running.get(key) is mine:
                    del cache_.running[key]
            mine.set()  # type: ignore[union-attr]
        return value

    def select(self, name: str, bindings: dict[str, str] | None = None) -> list[dict[str, str]]:
        """Rows of an alignment query; ``?vocab`` is bound to the vocabulary graph where the query uses it.

        Every bound variable is in the query's projection: engines that bind by substitution require it.
        """
        text = load_query(name, self.ns)
        values = {**({"vocab": self.ns.vocabulary_graph} if "?vocab" in text else {}), **(bindings or {})}
        key = ("select", name, tuple(sorted(values.items())))
        return self.cached(key, lambda: self.store.select(text, values))  # type: ignore[no-any-return]

    def _is_institution_graph(self, row: dict[str, str]) -> bool:
        graph = row.get("graph", "")
        return graph.startswith(self.institution_prefix) and graph[len(self.institution_prefix) :] == row.get(
            "id"
        )

    def graph_of(self, institution_id: str) -> str:
        return self.ns.institution_graph(institution_id)

    def warm(self) -> None:
        """Compute the inputs every view shares for the current store generation.

        Called in a background thread after each write, so the first page load after a change finds
        them ready. Runs one at a time; a write during a run triggers one more run.
        """
        if not self._warm_lock.acquire(blocking=False):
            self._warm_again = True
            return
        try:
            while True:
                self._warm_again = False
                self.institutions()
                self.labels()
                self.features()
                self.tasks()
                self.coverage(None)
                if not self._warm_again:
                    break
        finally:
            self._warm_lock.release()

    def warm_in_background(self, _store: Any = None) -> None:
        threading.Thread(target=self.warm, name="alignment-warm", daemon=True).start()

    # Shared data ----------------------------------------------------------------------------------
    def labels(self) -> dict[str, dict[str, str]]:
        """``{IRI: {language: label}}`` for institutions, units, roles and vocabulary concepts."""

        def compute() -> dict[str, dict[str, str]]:
            result: dict[str, dict[str, str]] = {}
            for row in self.select("alignment-labels"):
                result.setdefault(row["resource"], {}).setdefault(row.get("lang", ""), row["label"])
            return result

        return self.cached("labels", compute)  # type: ignore[no-any-return]

    def label(self, iri: str | None, lang: str) -> str:
        if not iri:
            return ""
        names = self.labels().get(iri, {})
        return names.get(lang) or names.get("") or next(iter(names.values()), None) or local_name(iri)

    def institutions(self) -> list[dict[str, Any]]:
        rows = self.select("alignment-institutions", {"changes": self.ns.changes_graph})
        return [
            {
                "id": r["id"],
                "iri": r["institution"],
                "graph": r["graph"],
                "sector": r.get("sector"),
                "homepage": r.get("homepage"),
                "roles": int(r.get("roles", 0)),
                "modified": r.get("modified"),
            }
            for r in rows
            if self._is_institution_graph(r)
        ]

    def institution_ids(self) -> list[str]:
        return [i["id"] for i in self.institutions()]

    def require_institution(self, institution_id: str) -> str:
        if institution_id not in self.institution_ids():
            raise NotFound(f"no institution '{institution_id}'")
        return institution_id

    def features(self) -> dict[str, RoleFeatures]:
        """Every local role of every institution with its feature sets, by role IRI.

        The query returns one row per (role, kind, value) and names the institution by its graph only
        (a graph is named after the identifier it holds, see ``institutions.identify``): few columns and
        no joins keep it fast on thousands of roles.
        """

        def compute() -> dict[str, RoleFeatures]:
            known = {i["id"]: i for i in self.institutions()}
            raw: dict[str, dict[str, Any]] = {}
            prefix = len(self.institution_prefix)
            for row in self.select("alignment-features"):
                institution = (
                    known.get(row["graph"][prefix:])
                    if row["graph"].startswith(self.institution_prefix)
                    else None
                )
                if institution is None:
                    continue
                entry = raw.get(row["role"])
                if entry is None:
                    entry = raw[row["role"]] = {
                        "institution": institution,
                        "units": set(),
                        "features": {n: set() for n in WEIGHTS},
                        "mappings": {k: set() for k in MAPPING_KINDS},
                    }
                kind = row["kind"]
                if kind == "unit":
                    entry["units"].add(row["value"])
                elif kind != "role":
                    entry["features"][KIND_TO_FEATURE[kind]].add(row["value"])
                    if kind in MAPPING_KINDS:
                        entry["mappings"][kind].add(row["value"])
            return {
                role: RoleFeatures(
                    role,
                    e["institution"]["id"],
                    e["institution"]["iri"],
                    e["institution"]["sector"],
                    frozenset(e["units"]),
                    {n: frozenset(v) for n, v in e["features"].items()},
                    {k: frozenset(v) for k, v in e["mappings"].items()},
                )
                for role, e in raw.items()
            }

        return self.cached("features", compute)  # type: ignore[no-any-return]

    def roles(self, institution_id: str, task: str | None = None) -> list[RoleFeatures]:
        """The roles of an institution (performing ``task`` if given), by IRI."""
        self.require_institution(institution_id)
        return sorted(
            (
                f
                for f in self.features().values()
                if f.institution == institution_id and (task is None or task in f.features["tasks"])
            ),
            key=lambda f: f.role,
        )

    def tasks(self) -> list[dict[str, str | None]]:
        """The vocabulary's tasks with scope and level, ordered by scope, level, IRI."""

        def compute() -> list[dict[str, str | None]]:
            found: dict[str, dict[str, str | None]] = {}
            for row in self.select("alignment-tasks"):
                found[row["task"]] = {
                    "task": row["task"],
                    "scope": row.get("scope"),
                    "level": row.get("level"),
                }
            return sorted(
                found.values(),
                key=lambda t: (_rank(SCOPE_ORDER, t["scope"]), _rank(LEVEL_ORDER, t["level"]), t["task"]),
            )

        return self.cached("tasks", compute)  # type: ignore[no-any-return]

    def support_roles(self) -> list[str]:
        return [row["role"] for row in self.select("alignment-support-roles")]

    def resolve_concept(self, value: str) -> str:
        """A vocabulary concept IRI from a slug or an IRI."""
        value = value.strip()
        if not value:
            raise BadRequest("a concept slug or IRI is required")
        if value.startswith(("http://", "https://")):
            return value
        if not all(c.isalnum() or c == "-" for c in value) or not value.isascii():
            raise BadRequest(f"'{value}' is neither a concept slug nor an IRI")
        return self.ns.concept + value.lower()

    # Views ------------------------------------------------------------------------------------------
    def crosswalk(self, role: str) -> dict[str, Any]:
        target = self.resolve_concept(role)
        if target not in self.support_roles():
            raise NotFound(f"{target} is not a role (dom:SupportRole) of the vocabulary")
        mappings: dict[tuple[str, str, str], dict[str, Any]] = {}
        for row in self.select("alignment-crosswalk", {"target": target}):
            if not self._is_institution_graph(row):
                continue
            key = (row["id"], row["role"], row["kind"])
            entry = mappings.setdefault(
                key,
                {
                    "institution": row["id"],
                    "sector": row.get("sector"),
                    "role": row["role"],
                    "kind": row["kind"],
                    "levels": [],
                },
            )
            if "level" in row and row["level"] not in entry["levels"]:
                entry["levels"].append(row["level"])
        items = sorted(
            mappings.values(), key=lambda m: (m["institution"], m["role"], MAPPING_KINDS.index(m["kind"]))
        )
        mapped = {m["institution"] for m in items}
        return {
            "role": target,
            "mappings": items,
            "institutions_without": [i for i in self.institution_ids() if i not in mapped],
        }

    def similar(self, role: str, limit: int = 10) -> dict[str, Any]:
        if not 1 <= limit <= MAX_LIMIT:
            raise BadRequest(f"limit is between 1 and {MAX_LIMIT}")
        features = self.features()
        if role not in features:
            raise NotFound(f"{role} is not a local role of any institution")
        return self.cached(("similar", role, limit), lambda: self._similar(features, role, limit))  # type: ignore

    def _similar(self, features: dict[str, RoleFeatures], role: str, limit: int) -> dict[str, Any]:
        source = features[role]
        ranked = []
        for other in features.values():
            if other.institution == source.institution:
                continue
            score = similarity(source, other)
            if score > 0:
                ranked.append((-score, other.institution, other.role, other))
        ranked.sort(key=lambda item: item[:3])
        results = [
            {"institution": o.institution, "role": o.role, "sector": o.sector, **comparison(source, o)}
            for _, _, _, o in ranked[:limit]
        ]
        return {"role": role, "institution": source.institution, "results": results}

    def compare(self, a: str, b: str) -> dict[str, Any]:
        """Two institutions role by role: greedy pairing by best similarity, then the unmatched roles."""
        if a == b:
            raise BadRequest("compare two different institutions")
        roles_a, roles_b = self.roles(a), self.roles(b)

        def compute() -> dict[str, Any]:
            candidates = sorted(
                ((-similarity(x, y), x.role, y.role, x, y) for x in roles_a for y in roles_b),
                key=lambda c: c[:3],
            )
            used_a: set[str] = set()
            used_b: set[str] = set()
            pairs = []
            for negative, _, _, x, y in candidates:
                if negative == 0 or x.role in used_a or y.role in used_b:
                    continue
                used_a.add(x.role)
                used_b.add(y.role)
                pairs.append({"a": x.role, "b": y.role, **comparison(x, y)})
            return {
                "a": a,
                "b": b,
                "pairs": pairs,
                "unmatched_a": [r.role for r in roles_a if r.role not in used_a],
                "unmatched_b": [r.role for r in roles_b if r.role not in used_b],
            }

        return self.cached(("compare", a, b), compute)  # type: ignore[no-any-return]

    def missing(self, institution_id: str | None = None) -> list[dict[str, Any]]:
        """Per institution, the tasks no role covers, grouped by scope and level."""
        ids = [self.require_institution(institution_id)] if institution_id else self.institution_ids()
        bindings = {"graph": self.graph_of(institution_id)} if institution_id else {}
        per: dict[str, list[dict[str, str | None]]] = {i: [] for i in ids}
        for row in self.select("alignment-missing", bindings):
            if self._is_institution_graph(row) and row["id"] in per:
                per[row["id"]].append(
                    {"task": row["task"], "scope": row.get("scope"), "level": row.get("level")}
                )
        result = []
        for inst in ids:
            groups: dict[tuple[str | None, str | None], list[str]] = {}
            for item in per[inst]:
                groups.setdefault((item["scope"], item["level"]), []).append(item["task"])  # type: ignore
            ordered = sorted(
                groups.items(), key=lambda g: (_rank(SCOPE_ORDER, g[0][0]), _rank(LEVEL_ORDER, g[0][1]))
            )
            result.append(
                {
                    "institution": inst,
                    "count": len(per[inst]),
                    "groups": [{"scope": s, "level": lv, "tasks": sorted(ts)} for (s, lv), ts in ordered],
                }
            )
        return result

    def duplicates(self, institution_id: str | None = None) -> list[dict[str, Any]]:
        """Per institution, tasks performed by several roles in different units (a role without a unit
        is a unit of its own)."""
        ids = [self.require_institution(institution_id)] if institution_id else self.institution_ids()
        bindings = {"graph": self.graph_of(institution_id)} if institution_id else {}
        per: dict[str, dict[str, dict[str, list[str]]]] = {i: {} for i in ids}
        prefix = len(self.institution_prefix)
        for row in self.select("alignment-duplicates", bindings):
            institution = row["graph"][prefix:] if row["graph"].startswith(self.institution_prefix) else None
            if institution not in per:
                continue
            units = per[institution].setdefault(row["task"], {}).setdefault(row["role"], [])
            if "unit" in row:
                units.append(row["unit"])
        return [
            {
                "institution": inst,
                "count": len(tasks),
                "tasks": [
                    {
                        "task": task,
                        "roles": [{"role": r, "units": sorted(u)} for r, u in sorted(roles.items())],
                    }
                    for task, roles in sorted(tasks.items())
                ],
            }
            for inst, tasks in per.items()
        ]

    def sectors(self) -> list[dict[str, Any]]:
        """Per sector, how many institutions cover each task and each level, and the percentage."""
        sectors: dict[str, dict[str, Any]] = {}
        for row in self.select("alignment-sectors"):
            total = int(row.get("total", 0))
            entry = sectors.setdefault(
                row["sector"], {"sector": row["sector"], "institutions": total, "tasks": [], "levels": []}
            )
            covered = int(row.get("covered", 0))
            entry["tasks" if row["dimension"] == "task" else "levels"].append(
                {
                    "concept": row["concept"],
                    "covered": covered,
                    "percentage": round(100.0 * covered / total, 1) if total else 0.0,
                }
            )
        task_rank = {t["task"]: i for i, t in enumerate(self.tasks())}
        for entry in sectors.values():
            entry["tasks"].sort(key=lambda t: (task_rank.get(t["concept"], len(task_rank)), t["concept"]))
            entry["levels"].sort(key=lambda lv: _rank(LEVEL_ORDER, lv["concept"]))
        return sorted(sectors.values(), key=lambda s: _rank(SECTOR_ORDER, s["sector"]))

    def sector_iris(self) -> list[str]:
        return [s["sector"] for s in self.sectors()]

    def coverage(self, sector: str | None = None) -> dict[str, Any]:
        """The dashboard's matrix: institutions x tasks, number of roles and of distinct units per cell."""
        bindings = {"sector": self.resolve_concept(sector)} if sector else {}
        if sector and bindings["sector"] not in self.sector_iris():
            raise BadRequest(
                f"unknown sector '{sector}'; use one of "
                + ", ".join(local_name(s) for s in self.sector_iris())
            )

        def compute() -> dict[str, Any]:
            cells: dict[str, dict[str, dict[str, int]]] = {}
            sectors: dict[str, str] = {}
            for row in self.select("alignment-coverage", bindings):
                if not self._is_institution_graph(row):
                    continue
                sectors[row["id"]] = row["sector"]
                cells.setdefault(row["id"], {})[row["task"]] = {
                    "roles": int(row["roles"]),
                    "units": int(row["units"]),
                }
            return {
                "sector": bindings.get("sector"),
                "tasks": self.tasks(),
                "institutions": [
                    {"institution": i, "sector": sectors[i], "cells": cells[i]} for i in sorted(cells)
                ],
            }

        return self.cached(("coverage", sector), compute)  # type: ignore[no-any-return]


def cell_state(cell: dict[str, int]) -> str:
    """'gap' (no role), 'overlap' (roles in two or more units) or 'covered'."""
    if cell["roles"] == 0:
        return "gap"
    return "overlap" if cell["units"] >= 2 and cell["roles"] >= 2 else "covered"
