"""The project's IRIs: one persistent base, separate paths per kind of resource.

Pattern (slash IRIs, lowercase ASCII slugs that never change once published)::

    {base}concept/{slug}        a concept of the vocabulary
    {base}scheme/{slug}         a concept scheme
    {base}collection/{slug}     a collection (category) of concepts
    {base}model/{Name}          a class or property of the role-description model
    {base}source/{slug}         the source document and its sections
    {base}graph/...             named graphs in the store
"""

from __future__ import annotations

DEFAULT_BASE = "https://w3id.org/docentondersteuning/"


class Namespaces:
    """IRIs derived from one base IRI; every component asks here instead of pasting strings."""

    def __init__(self, base: str = DEFAULT_BASE) -> None:
        if not base.endswith("/"):
            raise ValueError("the base IRI must end with '/'")
        self.base = base
        self.concept = base + "concept/"
        self.scheme = base + "scheme/"
        self.collection = base + "collection/"
        self.model = base + "model/"
        self.source = base + "source/"
        self.graph = base + "graph/"
        self.vocabulary_graph = self.graph + "vocabulary"
        self.shapes_graph = self.graph + "shapes"
        self.changes_graph = self.graph + "changes"
        self.meta_graph = self.graph + "meta"
        self.main_scheme = self.scheme + "docentondersteuning"
        self.context_url = base + "context.jsonld"

    def institution_graph(self, institution_id: str) -> str:
        return self.graph + "institution/" + institution_id
