"""The vocabulary sources in ontology/: they parse, and they say what the definition note says."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology"
BASE = "https://w3id.org/docentondersteuning/"
DOV = Namespace(BASE + "concept/")
DOM = Namespace(BASE + "model/")
DOC = Namespace(BASE + "collection/")
DOSEC = Namespace(BASE + "source/definitienotitie-v1/")
DOCUMENT = URIRef(BASE + "source/definitienotitie-v1")
SCHEME = URIRef(BASE + "scheme/docentondersteuning")
MODEL = URIRef(BASE + "model")
SCHEMA = Namespace("https://schema.org/")
VANN = Namespace("http://purl.org/vocab/vann/")
ORG = Namespace("http://www.w3.org/ns/org#")

TTL_FILES = sorted(ONTOLOGY.glob("*.ttl"))

CATEGORY_COUNTS = {
    DOM.CoreNotion: (DOC.kernbegrippen, 21),
    DOM.Level: (DOC.niveaus, 3),
    DOM.Scope: (DOC.reikwijdtes, 3),
    DOM.SupportRole: (DOC.rollen, 6),
    DOM.Task: (DOC.taken, 16),
    DOM.EducationSupportProcess: (DOC["onderwijsondersteunende-processen"], 3),
    DOM.Competency: (DOC.competenties, 6),
    DOM.Problem: (DOC.problemen, 4),
    DOM.Benefit: (DOC.opbrengsten, 3),
    DOM.Sector: (DOC.sectoren, 3),
}

# slug -> (section, scope, level or None); the same table is in docs/model.md.
TASKS = {
    "inspelen-op-ontwikkelingen": ("sectie-4-1", "individueel-niveau", "operationeel-niveau"),
    "integreren-van-technologie-en-didactiek": ("sectie-4-1", "individueel-niveau", "operationeel-niveau"),
    "trainen-van-docenten": ("sectie-4-1", "individueel-niveau", "operationeel-niveau"),
    "coachen-van-docenten": ("sectie-4-1", "individueel-niveau", "operationeel-niveau"),
    "versterken-van-samenwerking-in-teams": ("sectie-4-2", "teamniveau", "operationeel-niveau"),
    "begeleiden-van-onderwijsvernieuwing-in-teams": ("sectie-4-2", "teamniveau", "operationeel-niveau"),
    "faciliteren-van-professionele-leergemeenschappen": ("sectie-4-2", "teamniveau", "operationeel-niveau"),
    "ondersteunen-van-teams-bij-implementatie": ("sectie-4-2", "teamniveau", "operationeel-niveau"),
    "formuleren-van-gezamenlijke-doelen-en-visie": ("sectie-4-2", "teamniveau", "operationeel-niveau"),
    "samenwerken-aan-onderwijsinnovaties": ("sectie-4-2", "teamniveau", "operationeel-niveau"),
    "leren-van-en-met-elkaar": ("sectie-4-2", "teamniveau", "operationeel-niveau"),
    "adviseren-over-implementatie-van-onderwijsinnovaties": ("sectie-4-3", "organisatieniveau", "strategisch-niveau"),
    "vertalen-van-beleid-naar-praktijk": ("sectie-4-3", "organisatieniveau", "tactisch-niveau"),
    "monitoren-en-evalueren-van-innovatieprocessen": ("sectie-4-3", "organisatieniveau", None),
    "creeren-van-een-lerende-cultuur": ("sectie-4-3", "organisatieniveau", None),
    "ontwikkelen-van-beleid-en-strategie": ("sectie-4-3", "organisatieniveau", "strategisch-niveau"),
}

SECTIONS = {
    "sectie-1": "§1", "sectie-2": "§2", "sectie-2-1": "§2.1", "sectie-2-2": "§2.2", "sectie-2-3": "§2.3",
    "sectie-3": "§3", "sectie-4": "§4", "sectie-4-1": "§4.1", "sectie-4-2": "§4.2", "sectie-4-3": "§4.3",
    "sectie-5": "§5", "afsluiting": "Afsluiting", "colofon": "Colofon",
}

DEFINITION_SECTION_3 = (
    "Docentondersteuning richt zich op het begeleiden en versterken van docenten, teams en management bij "
    "het realiseren van doorlopend het beste onderwijs. Docentondersteuners vervullen met hun veelzijdige "
    "rollen zowel inhoudelijke als procesmatige ondersteuning. Ze schakelen flexibel tussen verschillende "
    "niveaus en contexten en dragen zo bij aan onderwijsinnovatie, beleidsontwikkeling en de inzet van "
    "technologie in het onderwijs."
)


@pytest.fixture(scope="module")
def vocab() -> Graph:
    graph = Graph()
    for path in TTL_FILES:
        graph.parse(path, format="turtle")
    return graph


def concepts(vocab: Graph) -> list[URIRef]:
    return sorted(c for c in vocab.subjects(RDF.type, SKOS.Concept) if isinstance(c, URIRef))


def texts(vocab: Graph, subject: URIRef, predicate: URIRef, lang: str) -> list[Literal]:
    return [o for o in vocab.objects(subject, predicate) if isinstance(o, Literal) and o.language == lang]


# --- Files --------------------------------------------------------------------------------------------

def test_expected_files_exist() -> None:
    names = {p.name for p in TTL_FILES}
    assert {"scheme.ttl", "model.ttl", "source.ttl", "mappings.ttl"} <= names
    assert any(n.startswith("concepts-") for n in names)
    assert (ONTOLOGY / "context.jsonld").is_file()


@pytest.mark.parametrize("path", TTL_FILES, ids=lambda p: p.name)
def test_file_parses_with_rdflib_and_oxigraph(path: Path) -> None:
    graph = Graph().parse(path, format="turtle")
    assert len(graph) > 0
    quads = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    assert len(quads) == len(graph)


@pytest.mark.parametrize("path", TTL_FILES, ids=lambda p: p.name)
def test_file_starts_with_a_header_comment(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"# ontology/{path.name}"
    assert lines[1].startswith("# ") and len(lines[1]) > 10


def test_no_subject_has_its_labels_in_two_files() -> None:
    owner: dict[URIRef, str] = {}
    for path in TTL_FILES:
        graph = Graph().parse(path, format="turtle")
        for subject in set(graph.subjects(SKOS.prefLabel, None)):
            assert subject not in owner, f"{subject} has prefLabels in {owner.get(subject)} and {path.name}"
            owner[subject] = path.name


# --- Concept scheme, categories and collections -------------------------------------------------------

def test_category_counts_and_collections(vocab: Graph) -> None:
    for category, (collection, count) in CATEGORY_COUNTS.items():
        members = set(vocab.subjects(RDF.type, category))
        assert len(members) == count, category
        assert set(vocab.objects(collection, SKOS.member)) == members, collection
        assert (collection, RDF.type, SKOS.Collection) in vocab
        assert texts(vocab, collection, SKOS.prefLabel, "nl") and texts(vocab, collection, SKOS.prefLabel, "en")
    assert len(concepts(vocab)) == sum(count for _, count in CATEGORY_COUNTS.values())


def test_every_concept_has_exactly_one_category(vocab: Graph) -> None:
    for concept in concepts(vocab):
        categories = [c for c in vocab.objects(concept, RDF.type) if c in CATEGORY_COUNTS]
        assert len(categories) == 1, concept
        assert (categories[0], RDFS.subClassOf, SKOS.Concept) in vocab


def test_every_concept_is_documented_in_dutch_and_english(vocab: Graph) -> None:
    for concept in concepts(vocab):
        for lang in ("nl", "en"):
            assert len(texts(vocab, concept, SKOS.prefLabel, lang)) == 1, (concept, lang)
            assert len(texts(vocab, concept, SKOS.definition, lang)) >= 1, (concept, lang)
            assert len(texts(vocab, concept, RDFS.comment, lang)) >= 1, (concept, lang)
        assert (concept, SKOS.inScheme, SCHEME) in vocab, concept


def test_preferred_labels_are_unique_per_language_ignoring_case(vocab: Graph) -> None:
    seen = Counter((str(label).casefold(), label.language)
                   for concept in concepts(vocab) for label in vocab.objects(concept, SKOS.prefLabel))
    assert [key for key, count in seen.items() if count > 1] == []


def test_alternative_and_hidden_labels_do_not_clash(vocab: Graph) -> None:
    preferred = {(str(label).casefold(), label.language): concept
                 for concept in concepts(vocab) for label in vocab.objects(concept, SKOS.prefLabel)}
    for concept in concepts(vocab):
        own = set(vocab.objects(concept, SKOS.prefLabel))
        alt = set(vocab.objects(concept, SKOS.altLabel))
        hidden = set(vocab.objects(concept, SKOS.hiddenLabel))
        assert not (own & alt) and not (own & hidden) and not (alt & hidden), concept
        for label in alt | hidden:
            other = preferred.get((str(label).casefold(), label.language))
            assert other in (None, concept), (concept, label, other)


def test_every_source_is_a_section_of_the_document(vocab: Graph) -> None:
    for concept in concepts(vocab):
        sources = list(vocab.objects(concept, DCTERMS.source))
        assert sources, concept
        for source in sources:
            assert isinstance(source, URIRef), concept
            assert (source, DCTERMS.isPartOf, DOCUMENT) in vocab, (concept, source)


def test_sections_exist_and_every_numbered_section_is_used(vocab: Graph) -> None:
    used = set(vocab.objects(None, DCTERMS.source))
    for slug, citation in SECTIONS.items():
        section = DOSEC[slug]
        assert (section, DCTERMS.isPartOf, DOCUMENT) in vocab, slug
        assert (section, DCTERMS.bibliographicCitation, Literal(citation)) in vocab, slug
        assert texts(vocab, section, DCTERMS.title, "nl"), slug
        if citation.startswith("§"):
            assert section in used, f"no concept has {citation} as its source"


def test_source_document_metadata(vocab: Graph) -> None:
    assert (DOCUMENT, DCTERMS.title, Literal("Definitienotitie docentondersteuning", lang="nl")) in vocab
    assert (DOCUMENT, OWL.versionInfo, Literal("1")) in vocab
    assert (DOCUMENT, SCHEMA.version, Literal("1")) in vocab
    assert (DOCUMENT, DCTERMS.issued, Literal("2025-02", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYearMonth"))) in vocab
    publisher = vocab.value(DOCUMENT, DCTERMS.publisher)
    assert publisher is not None and (publisher, SCHEMA.name, Literal("Npuls")) in vocab
    assert (publisher, RDF.type, SCHEMA.Organization) in vocab
    assert "info@npuls.nl" in vocab.serialize(format="nt")


def test_section_3_definition_is_verbatim(vocab: Graph) -> None:
    assert texts(vocab, DOV.docentondersteuning, SKOS.definition, "nl") == [Literal(DEFINITION_SECTION_3, lang="nl")]
    assert DOSEC["sectie-3"] in set(vocab.objects(DOV.docentondersteuning, DCTERMS.source))


def test_gezamenlijke_betekenisgeving_definition_is_verbatim(vocab: Graph) -> None:
    expected = ("Het proces waarbij docenten, managers en andere betrokkenen samen kennis en ervaringen "
                "interpreteren, zodat deze breed gedragen en toepasbaar zijn.")
    assert texts(vocab, DOV["gezamenlijke-betekenisgeving"], SKOS.definition, "nl") == [Literal(expected, lang="nl")]


def test_roles(vocab: Graph) -> None:
    specific = ["icto-coach", "onderwijsontwerper", "onderwijsadviseur", "i-coach", "onderwijskundig-ict-professional"]
    assert set(vocab.subjects(RDF.type, DOM.SupportRole)) == {DOV.docentondersteuner, *(DOV[s] for s in specific)}
    assert set(vocab.objects(DOV.docentondersteuner, SKOS.narrower)) == {DOV[s] for s in specific}
    for slug in specific:
        assert list(vocab.objects(DOV[slug], SKOS.broader)) == [DOV.docentondersteuner]
    assert Literal("onderwijskundig ontwerper", lang="nl") in set(vocab.objects(DOV.onderwijsontwerper, SKOS.altLabel))
    hidden = {str(h) for h in vocab.objects(DOV["icto-coach"], SKOS.hiddenLabel)}
    assert {"ICTO coach", "ict-o-coach"} <= hidden


@pytest.mark.parametrize("slug", sorted(TASKS))
def test_task(vocab: Graph, slug: str) -> None:
    section, scope, level = TASKS[slug]
    task = DOV[slug]
    assert (task, RDF.type, DOM.Task) in vocab
    assert list(vocab.objects(task, DOM.atScope)) == [DOV[scope]]
    assert list(vocab.objects(task, DOM.atLevel)) == ([DOV[level]] if level else [])
    assert DOSEC[section] in set(vocab.objects(task, DCTERMS.source))
    assert (task, SKOS.broader, DOV["taak-van-docentondersteuning"]) in vocab


def test_tasks_are_exactly_the_listed_ones(vocab: Graph) -> None:
    assert set(vocab.subjects(RDF.type, DOM.Task)) == {DOV[s] for s in TASKS}


def test_levels_and_scopes(vocab: Graph) -> None:
    assert set(vocab.subjects(RDF.type, DOM.Level)) == {
        DOV["strategisch-niveau"], DOV["tactisch-niveau"], DOV["operationeel-niveau"]}
    assert set(vocab.subjects(RDF.type, DOM.Scope)) == {
        DOV["individueel-niveau"], DOV.teamniveau, DOV.organisatieniveau}


def test_education_support_processes_are_not_teacher_support(vocab: Graph) -> None:
    for slug in ("roostering", "onderwijslogistiek", "administratie"):
        process = DOV[slug]
        assert (process, RDF.type, DOM.EducationSupportProcess) in vocab
        assert (process, RDF.type, DOM.Task) not in vocab
        assert (process, SKOS.broader, DOV.onderwijsondersteuning) in vocab
    assert (DOV.docentondersteuning, SKOS.broader, DOV.onderwijsondersteuning) in vocab


def test_examples_of_section_4_2(vocab: Graph) -> None:
    examples = " ".join(str(e) for e in vocab.objects(DOV["faciliteren-van-professionele-leergemeenschappen"], SKOS.example))
    assert "Edu Digi Hub" in examples and "AI-community" in examples


def test_competencies_problems_benefits_sectors(vocab: Graph) -> None:
    expected = {
        DOM.Competency: {"flexibiliteit", "kennis-van-onderwijskunde", "kennis-van-technologie",
                         "kennis-van-veranderkunde", "coachende-en-faciliterende-houding", "bruggen-slaan"},
        DOM.Problem: {"ontbrekende-schakels", "dubbel-werk", "uitdagingen-in-samenwerking", "ad-hoc-ondersteuning"},
        DOM.Benefit: {"van-beleid-naar-praktijk", "eenduidige-communicatie", "duidelijkheid-in-taken-en-rollen"},
        DOM.Sector: {"mbo", "hbo", "wo"},
    }
    for category, slugs in expected.items():
        assert set(vocab.subjects(RDF.type, category)) == {DOV[s] for s in slugs}, category


# --- Hierarchy ----------------------------------------------------------------------------------------

def test_hierarchy_is_written_in_both_directions(vocab: Graph) -> None:
    for narrower, broader in vocab.subject_objects(SKOS.broader):
        assert (broader, SKOS.narrower, narrower) in vocab
    for broader, narrower in vocab.subject_objects(SKOS.narrower):
        assert (narrower, SKOS.broader, broader) in vocab
    for a, b in vocab.subject_objects(SKOS.related):
        assert (b, SKOS.related, a) in vocab


def test_top_concepts(vocab: Graph) -> None:
    tops = set(vocab.subjects(SKOS.topConceptOf, SCHEME))
    assert tops == set(vocab.objects(SCHEME, SKOS.hasTopConcept))
    assert {DOV.onderwijsondersteuning, DOV.docentondersteuner} <= tops
    # Exactly the concepts without a broader concept are top concepts.
    assert tops == {c for c in concepts(vocab) if vocab.value(c, SKOS.broader) is None}


def test_every_concept_reference_resolves(vocab: Graph) -> None:
    known = set(concepts(vocab))
    for s, p, o in vocab:
        for term in (s, o):
            if isinstance(term, URIRef) and str(term).startswith(str(DOV)):
                assert term in known, (s, p, o)


def test_mappings_point_from_concepts(vocab: Graph) -> None:
    mapping = [SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch]
    known = set(concepts(vocab))
    pairs = [(s, o) for p in mapping for s, o in vocab.subject_objects(p)]
    assert pairs
    for subject, target in pairs:
        assert subject in known and not str(target).startswith(BASE)


# --- Scheme and model metadata ------------------------------------------------------------------------

def test_scheme_metadata(vocab: Graph) -> None:
    assert (SCHEME, RDF.type, SKOS.ConceptScheme) in vocab
    assert (SCHEME, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")) in vocab
    assert (SCHEME, DCTERMS.source, DOCUMENT) in vocab
    assert (SCHEME, VANN.preferredNamespacePrefix, Literal("dov")) in vocab
    assert (SCHEME, VANN.preferredNamespaceUri, Literal(str(DOV))) in vocab
    assert (SCHEME, OWL.versionInfo, Literal("1.0.0")) in vocab
    assert any("Npuls" in str(r) for r in vocab.objects(SCHEME, DCTERMS.rights))


def test_model_header(vocab: Graph) -> None:
    assert (MODEL, RDF.type, OWL.Ontology) in vocab
    assert (MODEL, OWL.versionInfo, Literal("1.0.0")) in vocab
    assert (MODEL, OWL.versionIRI, URIRef(BASE + "model/1.0.0")) in vocab
    assert (MODEL, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")) in vocab
    assert (MODEL, DCTERMS.source, DOCUMENT) in vocab
    assert (MODEL, VANN.preferredNamespacePrefix, Literal("dom")) in vocab
    assert (MODEL, VANN.preferredNamespaceUri, Literal(str(DOM))) in vocab
    for predicate in (DCTERMS.created, DCTERMS.modified, DCTERMS.rights):
        assert vocab.value(MODEL, predicate) is not None, predicate


MODEL_PROPERTIES = {
    "sector": (DOM.Institution, DOM.Sector),
    "hasLocalRole": (DOM.Institution, DOM.LocalRole),
    "inUnit": (DOM.LocalRole, ORG.OrganizationalUnit),
    "worksAtLevel": (DOM.LocalRole, DOM.Level),
    "servesScope": (DOM.LocalRole, DOM.Scope),
    "performsTask": (DOM.LocalRole, DOM.Task),
    "requiresCompetency": (DOM.LocalRole, DOM.Competency),
    "atScope": (DOM.Task, DOM.Scope),
    "atLevel": (DOM.Task, DOM.Level),
}


def test_model_terms(vocab: Graph) -> None:
    assert {ORG.FormalOrganization, SCHEMA.EducationalOrganization} <= set(vocab.objects(DOM.Institution, RDFS.subClassOf))
    assert (DOM.LocalRole, RDFS.subClassOf, ORG.Role) in vocab
    terms = [DOM.Institution, DOM.LocalRole, *CATEGORY_COUNTS, *(DOM[p] for p in MODEL_PROPERTIES)]
    for term in terms:
        for lang in ("nl", "en"):
            assert texts(vocab, term, RDFS.label, lang) and texts(vocab, term, RDFS.comment, lang), (term, lang)
        assert (term, RDFS.isDefinedBy, MODEL) in vocab
    for name, (domain, range_) in MODEL_PROPERTIES.items():
        assert (DOM[name], RDF.type, OWL.ObjectProperty) in vocab
        assert (DOM[name], RDFS.domain, domain) in vocab and (DOM[name], RDFS.range, range_) in vocab


# --- JSON-LD context ----------------------------------------------------------------------------------

def test_context_parses_and_expands() -> None:
    context = json.loads((ONTOLOGY / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    for key in ("name", "sector", "homepage", "units", "roles", "title", "description", "unit", "exactMatch",
                "closeMatch", "broadMatch", "narrowMatch", "levels", "scopes", "tasks", "competencies"):
        assert key in context, key
    document = {
        "@context": context, "id": "https://example.org/instelling/t", "type": "Institution", "name": "T",
        "sector": "dov:hbo", "homepage": "https://t.example.nl/",
        "roles": [{"id": "https://example.org/instelling/t/rol/a", "type": "LocalRole", "title": "A",
                   "closeMatch": ["dov:icto-coach"], "tasks": ["dov:coachen-van-docenten"]}],
    }
    graph = Graph().parse(data=json.dumps(document), format="json-ld")
    institution = URIRef("https://example.org/instelling/t")
    role = URIRef("https://example.org/instelling/t/rol/a")
    assert (institution, RDF.type, DOM.Institution) in graph
    assert (institution, DOM.sector, DOV.hbo) in graph
    assert (institution, SCHEMA.name, Literal("T", lang="nl")) in graph
    assert (institution, SCHEMA.url, URIRef("https://t.example.nl/")) in graph
    assert (institution, DOM.hasLocalRole, role) in graph
    assert (role, SKOS.closeMatch, DOV["icto-coach"]) in graph
    assert (role, DOM.performsTask, DOV["coachen-van-docenten"]) in graph
    # pyoxigraph (which never fetches contexts) reads the same graph from the inline context.
    assert len(list(ox.parse(json.dumps(document).encode(), format=ox.RdfFormat.JSON_LD))) == len(graph)
