"""Alignment views on the eight example institutions, loaded through PUT on a real server.

Every expected value below was worked out by hand from the files in examples/ (see examples/README.md
for the tables) and the score of docs/alignment.md; none is computed by the code under test.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import EXAMPLES, Server

from vocab_service.auth import hash_token, mint_token

DOV = "https://w3id.org/docentondersteuning/concept/"
INST = "https://example.org/instelling/"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)")
IDS = [
    "dijkzicht",
    "duinrand",
    "heuvelrand",
    "lindenhout",
    "lindeveld",
    "rivierland",
    "veldhoven-noord",
    "zeehaven",
]


def role(institution: str, slug: str) -> str:
    return f"{INST}{institution}/rol/{slug}"


def unit(institution: str, slug: str) -> str:
    return f"{INST}{institution}/eenheid/{slug}"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """One server with every example institution published by the admin."""
    admin = mint_token()
    server = Server(
        tmp_path_factory.mktemp("alignment") / "data", env={"VOCAB_ADMIN_TOKEN_HASH": hash_token(admin)}
    ).start()
    try:
        with httpx.Client(base_url=server.url, timeout=60.0) as client:
            for institution in IDS:
                response = client.put(
                    f"/institutions/{institution}",
                    content=(EXAMPLES / f"{institution}.ttl").read_bytes(),
                    headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {admin}"},
                )
                assert response.status_code == 201, response.text
        yield server, admin
    finally:
        server.stop()


@pytest.fixture
def api(loaded: tuple[Server, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=loaded[0].url, timeout=60.0) as client:
        yield client


# Crosswalk -------------------------------------------------------------------------------------------


def _mappings(body: dict) -> list[tuple[str, str, str, list[str]]]:  # type: ignore[type-arg]
    return [(m["institution"], m["role"], m["kind"], sorted(m["levels"])) for m in body["mappings"]]


def test_crosswalk_icto_coach(api: httpx.Client) -> None:
    body = api.get("/alignment/crosswalk", params={"role": "icto-coach"}).json()
    assert body["role"] == DOV + "icto-coach"
    oper, tact = DOV + "operationeel-niveau", DOV + "tactisch-niveau"
    assert _mappings(body) == [
        ("duinrand", role("duinrand", "expert-onderwijs-en-digitalisering"), "narrow", [oper, tact]),
        ("heuvelrand", role("heuvelrand", "adviseur-ict-en-onderwijs"), "narrow", [oper, tact]),
        ("veldhoven-noord", role("veldhoven-noord", "blended-learning-specialist"), "close", [oper]),
        ("veldhoven-noord", role("veldhoven-noord", "icto-coach"), "exact", [oper]),
        ("zeehaven", role("zeehaven", "ict-coach"), "exact", [oper]),
    ]
    assert body["institutions_without"] == ["dijkzicht", "lindenhout", "lindeveld", "rivierland"]
    assert {m["sector"] for m in body["mappings"]} == {DOV + "mbo", DOV + "hbo", DOV + "wo"}


def test_crosswalk_by_iri_and_csv(api: httpx.Client) -> None:
    body = api.get("/alignment/crosswalk", params={"role": DOV + "i-coach"}).json()
    assert [(i, r, k) for i, r, k, _ in _mappings(body)] == [
        ("duinrand", role("duinrand", "i-coach"), "exact"),
        ("lindenhout", role("lindenhout", "digicoach"), "close"),
        ("zeehaven", role("zeehaven", "i-coach-techniek"), "exact"),
    ]
    response = api.get("/alignment/crosswalk", params={"role": "i-coach"}, headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["institution", "sector", "role", "title", "kind", "levels"]
    assert [r[0] for r in rows[1:]] == ["duinrand", "lindenhout", "zeehaven"]
    assert {m["title"] for m in body["mappings"]} == {r[3] for r in rows[1:]}
    assert rows[3][3] == "i-coach College Techniek"  # the institution's own title (examples/zeehaven.ttl)


@pytest.mark.parametrize(
    "value, status", [("dov-bestaat-niet", 404), ("coachen-van-docenten", 404), ("../etc", 400), ("", 400)]
)
def test_crosswalk_refuses_non_roles(api: httpx.Client, value: str, status: int) -> None:
    assert api.get("/alignment/crosswalk", params={"role": value}).status_code == status


# Similar roles -----------------------------------------------------------------------------------------


def test_similar_to_zeehaven_ict_coach(api: httpx.Client) -> None:
    source = role("zeehaven", "ict-coach")
    body = api.get("/alignment/similar", params={"role": source, "limit": 12}).json()
    ranked = [(r["institution"], r["role"].rsplit("/", 1)[1], r["score"]) for r in body["results"]]
    assert ranked == [
        ("veldhoven-noord", "icto-coach", 0.8),
        ("veldhoven-noord", "blended-learning-specialist", 0.6917),
        ("duinrand", "expert-onderwijs-en-digitalisering", 0.65),
        ("heuvelrand", "adviseur-docentprofessionalisering", 0.4917),
        # a three-way tie at 0.45, broken by institution identifier
        ("dijkzicht", "docentondersteuner", 0.45),
        ("heuvelrand", "adviseur-ict-en-onderwijs", 0.45),
        ("lindeveld", "onderwijskundige-ctl", 0.45),
        ("duinrand", "i-coach", 0.425),
        ("lindeveld", "e-learning-developer", 0.35),
        # identical features, so a tie at 0.33
        ("lindenhout", "onderwijsontwerper", 0.33),
        ("rivierland", "onderwijsontwerper-digitaal-leren", 0.33),
        ("lindenhout", "digicoach", 0.325),
    ]
    assert all(r["institution"] != "zeehaven" for r in body["results"])
    top = body["results"][0]
    assert top["shared"]["tasks"] == [
        DOV + "integreren-van-technologie-en-didactiek",
        DOV + "trainen-van-docenten",
    ]
    assert top["only_a"]["tasks"] == [DOV + "coachen-van-docenten"]
    assert top["only_b"]["tasks"] == [DOV + "faciliteren-van-professionele-leergemeenschappen"]
    assert top["shared"]["roles"] == [DOV + "icto-coach"]
    assert top["shared"]["competencies"] == [
        DOV + "coachende-en-faciliterende-houding",
        DOV + "kennis-van-technologie",
    ]


def test_similar_limit_and_errors(api: httpx.Client) -> None:
    source = role("zeehaven", "ict-coach")
    assert len(api.get("/alignment/similar", params={"role": source, "limit": 3}).json()["results"]) == 3
    assert api.get("/alignment/similar", params={"role": source, "limit": 0}).status_code == 400
    assert api.get("/alignment/similar", params={"role": source, "limit": "x"}).status_code == 400
    assert api.get("/alignment/similar", params={"role": role("zeehaven", "bestaat-niet")}).status_code == 404
    assert api.get("/alignment/similar").status_code == 400


# Compare -----------------------------------------------------------------------------------------------


def test_compare_zeehaven_lindenhout(api: httpx.Client) -> None:
    body = api.get("/alignment/compare", params={"a": "zeehaven", "b": "lindenhout"}).json()
    assert [(p["a"].rsplit("/", 1)[1], p["b"].rsplit("/", 1)[1], p["score"]) for p in body["pairs"]] == [
        ("i-coach-techniek", "digicoach", 0.6),
        ("onderwijskundige", "adviseur-kwaliteit", 0.4),
        ("ict-coach", "onderwijsontwerper", 0.33),
        # ict-coach x digicoach (0.325) and i-coach-techniek x onderwijsontwerper (0.275) come next,
        # but each has a role already paired
        ("beleidsadviseur-onderwijs", "teamcoach", 0.25),
    ]
    assert body["unmatched_a"] == [] and body["unmatched_b"] == []


def test_compare_zeehaven_duinrand_leaves_one_unmatched(api: httpx.Client) -> None:
    body = api.get("/alignment/compare", params={"a": "zeehaven", "b": "duinrand"}).json()
    assert [(p["a"].rsplit("/", 1)[1], p["b"].rsplit("/", 1)[1], p["score"]) for p in body["pairs"]] == [
        # a tie at 0.65, broken by the first role's IRI
        ("ict-coach", "expert-onderwijs-en-digitalisering", 0.65),
        ("onderwijskundige", "coordinator-onderwijsinnovatie", 0.65),
        ("i-coach-techniek", "i-coach", 0.6333),
    ]
    assert body["unmatched_a"] == [role("zeehaven", "beleidsadviseur-onderwijs")]
    assert body["unmatched_b"] == []


@pytest.mark.parametrize(
    "params, status",
    [
        ({"a": "zeehaven", "b": "zeehaven"}, 400),
        ({"a": "zeehaven", "b": "nergens"}, 404),
        ({"a": "zeehaven", "b": "Zee/../x"}, 400),
        ({"a": "zeehaven"}, 400),
    ],
)
def test_compare_errors(api: httpx.Client, params: dict[str, str], status: int) -> None:
    assert api.get("/alignment/compare", params=params).status_code == status


# Missing links -------------------------------------------------------------------------------------------

UNCOVERED = {
    "zeehaven": [
        "inspelen-op-ontwikkelingen",
        "versterken-van-samenwerking-in-teams",
        "faciliteren-van-professionele-leergemeenschappen",
        "ondersteunen-van-teams-bij-implementatie",
        "samenwerken-aan-onderwijsinnovaties",
        "leren-van-en-met-elkaar",
        "monitoren-en-evalueren-van-innovatieprocessen",
        "creeren-van-een-lerende-cultuur",
    ],
    "lindenhout": [
        "coachen-van-docenten",
        "begeleiden-van-onderwijsvernieuwing-in-teams",
        "adviseren-over-implementatie-van-onderwijsinnovaties",
        "vertalen-van-beleid-naar-praktijk",
        "ontwikkelen-van-beleid-en-strategie",
    ],
    "duinrand": [
        "versterken-van-samenwerking-in-teams",
        "faciliteren-van-professionele-leergemeenschappen",
        "formuleren-van-gezamenlijke-doelen-en-visie",
        "samenwerken-aan-onderwijsinnovaties",
        "leren-van-en-met-elkaar",
        "monitoren-en-evalueren-van-innovatieprocessen",
        "creeren-van-een-lerende-cultuur",
        "ontwikkelen-van-beleid-en-strategie",
    ],
    "veldhoven-noord": [
        "inspelen-op-ontwikkelingen",
        "coachen-van-docenten",
        "versterken-van-samenwerking-in-teams",
        "formuleren-van-gezamenlijke-doelen-en-visie",
        "leren-van-en-met-elkaar",
        "creeren-van-een-lerende-cultuur",
    ],
    "dijkzicht": [
        "inspelen-op-ontwikkelingen",
        "versterken-van-samenwerking-in-teams",
        "begeleiden-van-onderwijsvernieuwing-in-teams",
        "formuleren-van-gezamenlijke-doelen-en-visie",
        "samenwerken-aan-onderwijsinnovaties",
        "vertalen-van-beleid-naar-praktijk",
        "monitoren-en-evalueren-van-innovatieprocessen",
        "creeren-van-een-lerende-cultuur",
        "ontwikkelen-van-beleid-en-strategie",
    ],
    "rivierland": [
        "inspelen-op-ontwikkelingen",
        "trainen-van-docenten",
        "coachen-van-docenten",
        "versterken-van-samenwerking-in-teams",
        "begeleiden-van-onderwijsvernieuwing-in-teams",
        "faciliteren-van-professionele-leergemeenschappen",
        "leren-van-en-met-elkaar",
        "vertalen-van-beleid-naar-praktijk",
    ],
    "lindeveld": [
        "versterken-van-samenwerking-in-teams",
        "faciliteren-van-professionele-leergemeenschappen",
        "ondersteunen-van-teams-bij-implementatie",
        "formuleren-van-gezamenlijke-doelen-en-visie",
        "samenwerken-aan-onderwijsinnovaties",
        "leren-van-en-met-elkaar",
        "monitoren-en-evalueren-van-innovatieprocessen",
        "creeren-van-een-lerende-cultuur",
    ],
    "heuvelrand": [
        "inspelen-op-ontwikkelingen",
        "begeleiden-van-onderwijsvernieuwing-in-teams",
        "ondersteunen-van-teams-bij-implementatie",
        "formuleren-van-gezamenlijke-doelen-en-visie",
        "samenwerken-aan-onderwijsinnovaties",
        "vertalen-van-beleid-naar-praktijk",
        "creeren-van-een-lerende-cultuur",
        "ontwikkelen-van-beleid-en-strategie",
    ],
}


def test_missing_links_of_every_institution(api: httpx.Client) -> None:
    body = api.get("/alignment/missing").json()
    assert [i["institution"] for i in body["institutions"]] == IDS
    for item in body["institutions"]:
        found = sorted(t.removeprefix(DOV) for g in item["groups"] for t in g["tasks"])
        assert found == sorted(UNCOVERED[item["institution"]]), item["institution"]
        assert item["count"] == len(UNCOVERED[item["institution"]])


def test_missing_links_grouped_by_scope_and_level(api: httpx.Client) -> None:
    body = api.get("/alignment/missing", params={"institution": "zeehaven"}).json()
    assert [i["institution"] for i in body["institutions"]] == ["zeehaven"]
    groups = [
        (
            g["scope"].removeprefix(DOV),
            (g["level"] or "").removeprefix(DOV),
            [t.removeprefix(DOV) for t in g["tasks"]],
        )
        for g in body["institutions"][0]["groups"]
    ]
    assert groups == [
        ("individueel-niveau", "operationeel-niveau", ["inspelen-op-ontwikkelingen"]),
        (
            "teamniveau",
            "operationeel-niveau",
            [
                "faciliteren-van-professionele-leergemeenschappen",
                "leren-van-en-met-elkaar",
                "ondersteunen-van-teams-bij-implementatie",
                "samenwerken-aan-onderwijsinnovaties",
                "versterken-van-samenwerking-in-teams",
            ],
        ),
        (
            "organisatieniveau",
            "",
            ["creeren-van-een-lerende-cultuur", "monitoren-en-evalueren-van-innovatieprocessen"],
        ),
    ]
    rows = list(csv.reader(io.StringIO(api.get("/alignment/missing?institution=zeehaven&format=csv").text)))
    assert rows[0] == ["institution", "scope", "level", "task"] and len(rows) == 1 + 8
    assert api.get("/alignment/missing", params={"institution": "nergens"}).status_code == 404


# Duplicated work -----------------------------------------------------------------------------------------


def test_duplicated_work(api: httpx.Client) -> None:
    body = api.get("/alignment/duplicates").json()
    found = {
        i["institution"]: [
            (
                d["task"].removeprefix(DOV),
                [
                    (r["role"].rsplit("/", 1)[1], [u.rsplit("/", 1)[1] for u in r["units"]])
                    for r in d["roles"]
                ],
            )
            for d in i["tasks"]
        ]
        for i in body["institutions"]
    }
    assert found == {
        "dijkzicht": [],
        "duinrand": [],
        "heuvelrand": [],
        "lindenhout": [],
        "lindeveld": [
            (
                "begeleiden-van-onderwijsvernieuwing-in-teams",
                [
                    ("facultair-onderwijsadviseur", ["faculteit-geesteswetenschappen"]),
                    ("onderwijskundige-ctl", ["ctl"]),
                ],
            ),
            (
                "coachen-van-docenten",
                [
                    ("facultair-onderwijsadviseur", ["faculteit-geesteswetenschappen"]),
                    ("onderwijskundige-ctl", ["ctl"]),
                ],
            ),
        ],
        "rivierland": [
            (
                "ondersteunen-van-teams-bij-implementatie",
                [
                    ("curriculumontwerper", ["faculteit-bedrijfskunde"]),
                    ("onderwijsontwerper-digitaal-leren", ["ctl"]),
                ],
            ),
            (
                "samenwerken-aan-onderwijsinnovaties",
                [
                    ("curriculumontwerper", ["faculteit-bedrijfskunde"]),
                    ("onderwijsontwerper-digitaal-leren", ["ctl"]),
                ],
            ),
        ],
        "veldhoven-noord": [
            (
                "integreren-van-technologie-en-didactiek",
                [("blended-learning-specialist", ["academie-techniek"]), ("icto-coach", ["ctl"])],
            ),
            (
                "trainen-van-docenten",
                [("blended-learning-specialist", ["academie-techniek"]), ("icto-coach", ["ctl"])],
            ),
        ],
        "zeehaven": [
            (
                "coachen-van-docenten",
                [("i-coach-techniek", ["college-techniek"]), ("ict-coach", ["onderwijs-en-innovatie"])],
            ),
            (
                "integreren-van-technologie-en-didactiek",
                [("i-coach-techniek", ["college-techniek"]), ("ict-coach", ["onderwijs-en-innovatie"])],
            ),
        ],
    }
    one = api.get("/alignment/duplicates", params={"institution": "lindenhout"}).json()
    assert one["institutions"] == [{"institution": "lindenhout", "count": 0, "tasks": []}]


# Sectors -----------------------------------------------------------------------------------------------


def test_sector_view(api: httpx.Client) -> None:
    body = api.get("/alignment/sectors").json()
    sectors = {s["sector"].removeprefix(DOV): s for s in body["sectors"]}
    assert [s["sector"].removeprefix(DOV) for s in body["sectors"]] == ["mbo", "hbo", "wo"]
    assert {k: s["institutions"] for k, s in sectors.items()} == {"mbo": 3, "hbo": 3, "wo": 2}

    def task(sector: str, slug: str) -> tuple[int, float]:
        item = next(t for t in sectors[sector]["tasks"] if t["concept"] == DOV + slug)
        return item["covered"], item["percentage"]

    def level(sector: str, slug: str) -> tuple[int, float]:
        item = next(t for t in sectors[sector]["levels"] if t["concept"] == DOV + slug)
        return item["covered"], item["percentage"]

    assert task("mbo", "coachen-van-docenten") == (2, 66.7)
    assert task("mbo", "creeren-van-een-lerende-cultuur") == (1, 33.3)
    assert task("mbo", "inspelen-op-ontwikkelingen") == (2, 66.7)
    assert task("hbo", "versterken-van-samenwerking-in-teams") == (0, 0.0)
    assert task("hbo", "coachen-van-docenten") == (1, 33.3)
    assert task("hbo", "creeren-van-een-lerende-cultuur") == (1, 33.3)
    assert task("wo", "coachen-van-docenten") == (2, 100.0)
    assert task("wo", "creeren-van-een-lerende-cultuur") == (0, 0.0)
    assert task("wo", "versterken-van-samenwerking-in-teams") == (1, 50.0)
    assert level("mbo", "strategisch-niveau") == (1, 33.3)
    assert level("hbo", "strategisch-niveau") == (2, 66.7)
    assert level("wo", "strategisch-niveau") == (1, 50.0)
    assert level("wo", "operationeel-niveau") == (2, 100.0)
    assert all(len(s["tasks"]) == 16 and len(s["levels"]) == 3 for s in body["sectors"])


# Dashboard --------------------------------------------------------------------------------------------


def test_dashboard_json_and_cells(api: httpx.Client) -> None:
    body = api.get("/alignment/dashboard", params={"format": "json"}).json()
    assert len(body["tasks"]) == 16
    rows = {r["institution"]: r for r in body["institutions"]}
    assert sorted(rows) == IDS

    def cell(institution: str, slug: str) -> tuple[int, str]:
        item = next(c for c in rows[institution]["cells"] if c["task"] == DOV + slug)
        return item["roles"], item["state"]

    assert cell("zeehaven", "coachen-van-docenten") == (2, "overlap")
    assert cell("zeehaven", "trainen-van-docenten") == (1, "covered")
    assert cell("zeehaven", "inspelen-op-ontwikkelingen") == (0, "gap")
    assert {i: (r["gaps"], r["overlaps"]) for i, r in rows.items()} == {
        "dijkzicht": (9, 0),
        "duinrand": (8, 0),
        "heuvelrand": (8, 0),
        "lindenhout": (5, 0),
        "lindeveld": (8, 2),
        "rivierland": (8, 2),
        "veldhoven-noord": (6, 2),
        "zeehaven": (8, 2),
    }


def test_dashboard_page_filters_by_sector(api: httpx.Client) -> None:
    page = api.get("/alignment", params={"sector": "mbo", "lang": "en"}, headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in page.headers
    html = page.text
    for institution in ("zeehaven", "lindenhout", "duinrand"):
        assert f"/institutions/{institution}?" in html
    for institution in ("dijkzicht", "lindeveld", "veldhoven-noord"):
        assert f'href="/institutions/{institution}?' not in html
    assert "/alignment/roles?institution=zeehaven&amp;task=coachen-van-docenten" in html
    assert 'class="cell overlap' in html and 'class="cell gap' in html
    assert not INLINE_SCRIPT.search(html) and " style=" not in html
    assert api.get("/alignment", params={"sector": "basisschool"}).status_code == 400


def test_cell_link_lists_the_roles(api: httpx.Client) -> None:
    body = api.get(
        "/alignment/roles",
        params={"institution": "zeehaven", "task": "coachen-van-docenten", "format": "json"},
    ).json()
    assert [r["role"] for r in body["roles"]] == [
        role("zeehaven", "i-coach-techniek"),
        role("zeehaven", "ict-coach"),
    ]
    empty = api.get(
        "/alignment/roles",
        params={"institution": "zeehaven", "task": "leren-van-en-met-elkaar", "format": "json"},
    ).json()
    assert empty["roles"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/alignment",
        "/alignment/crosswalk?role=icto-coach",
        f"/alignment/similar?role={role('zeehaven', 'ict-coach')}",
        "/alignment/compare?a=zeehaven&b=duinrand",
        "/alignment/missing",
        "/alignment/duplicates",
        "/alignment/sectors",
        "/institutions",
        "/institutions/zeehaven",
        "/alignment/roles?institution=zeehaven",
    ],
)
def test_every_view_has_a_page(api: httpx.Client, path: str) -> None:
    response = api.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert not INLINE_SCRIPT.search(response.text) and " style=" not in response.text


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("text/csv", "text/csv"),
        ("text/html", "text/html"),
        ("text/csv;q=0.5, application/json", "application/json"),
    ],
)
def test_negotiation(api: httpx.Client, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = api.get("/alignment/sectors", headers=headers)
    assert response.headers["content-type"].startswith(expected)


def test_unacceptable_and_unknown_formats(api: httpx.Client) -> None:
    assert api.get("/alignment/sectors", headers={"Accept": "image/png"}).status_code == 406
    assert api.get("/alignment/sectors", params={"format": "xlsx"}).status_code == 400


def test_every_query_file_is_described() -> None:
    folder = Path(__file__).resolve().parents[1] / "src" / "vocab_service" / "queries"
    files = sorted(folder.glob("alignment-*.rq"))
    assert files
    for path in files:
        lines = path.read_text("utf-8").splitlines()
        keys = [line.split(":", 1)[0] for line in lines[:4]]
        assert keys == ["# title", "# title@en", "# description", "# description@en"], path.name
        # VALUES are bound after the first WHERE; a comment must not contain that word.
        assert not any(line.startswith("#") and "where" in line.lower() for line in lines), path.name


def _proef() -> bytes:
    """A made-up institution: two roles share a unit, three roles have none."""
    base = f"{INST}proef"

    def role_ttl(slug: str, tasks: list[str], in_unit: bool) -> str:
        unit_line = f"dom:inUnit <{base}/eenheid/u1> ;" if in_unit else ""
        task_list = ", ".join(f"dov:{t}" for t in tasks)
        return (
            f'<{base}/rol/{slug}> a dom:LocalRole ; schema:name "{slug}"@nl ; {unit_line}\n'
            f"  skos:exactMatch dov:docentondersteuner ; dom:worksAtLevel dov:operationeel-niveau ;\n"
            f"  dom:servesScope dov:individueel-niveau ; dom:performsTask {task_list} ;\n"
            f"  dom:requiresCompetency dov:flexibiliteit .\n"
        )

    roles = {
        "r-a": (["coachen-van-docenten", "trainen-van-docenten"], True),
        "r-b": (["coachen-van-docenten"], True),
        "r-c": (["trainen-van-docenten"], False),
        "r-d": (["inspelen-op-ontwikkelingen"], False),
        "r-e": (["inspelen-op-ontwikkelingen"], False),
    }
    return (
        "@prefix dom: <https://w3id.org/docentondersteuning/model/> .\n"
        "@prefix dov: <https://w3id.org/docentondersteuning/concept/> .\n"
        "@prefix schema: <https://schema.org/> .\n@prefix dcterms: <http://purl.org/dc/terms/> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n@prefix org: <http://www.w3.org/ns/org#> .\n"
        f'<{base}> a dom:Institution ; schema:name "Proef"@nl ; dcterms:identifier "proef" ;\n'
        f"  dom:sector dov:hbo ; dom:hasLocalRole {', '.join(f'<{base}/rol/{r}>' for r in roles)} .\n"
        f'<{base}/eenheid/u1> a org:OrganizationalUnit ; schema:name "Eenheid 1"@nl ; org:unitOf <{base}> .\n'
        + "".join(role_ttl(slug, tasks, in_unit) for slug, (tasks, in_unit) in roles.items())
    ).encode()


def test_units_decide_duplicated_work_and_views_follow_writes(make_server) -> None:  # type: ignore[no-untyped-def]
    admin = mint_token()
    server = make_server(env={"VOCAB_ADMIN_TOKEN_HASH": hash_token(admin)})
    headers = {"Content-Type": "text/turtle", "Authorization": f"Bearer {admin}"}
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        empty = client.get("/alignment/crosswalk", params={"role": "onderwijskundig-ict-professional"}).json()
        assert empty == {
            "role": DOV + "onderwijskundig-ict-professional",
            "mappings": [],
            "institutions_without": [],
        }
        assert client.get("/alignment/duplicates").json()["institutions"] == []

        assert client.put("/institutions/proef", content=_proef(), headers=headers).status_code == 201
        body = client.get("/alignment/duplicates", params={"institution": "proef"}).json()
        found = [
            (
                d["task"].removeprefix(DOV),
                [(r["role"].rsplit("/", 1)[1], len(r["units"])) for r in d["roles"]],
            )
            for d in body["institutions"][0]["tasks"]
        ]
        # coachen: r-a and r-b share unit u1, so not duplicated; a role without a unit is a unit of its own.
        assert found == [
            ("inspelen-op-ontwikkelingen", [("r-d", 0), ("r-e", 0)]),
            ("trainen-van-docenten", [("r-a", 1), ("r-c", 0)]),
        ]
        crosswalk = client.get(
            "/alignment/crosswalk", params={"role": "onderwijskundig-ict-professional"}
        ).json()
        assert crosswalk["mappings"] == [] and crosswalk["institutions_without"] == ["proef"]

        # The cached views follow every write.
        assert (
            client.put(
                "/institutions/zeehaven", content=(EXAMPLES / "zeehaven.ttl").read_bytes(), headers=headers
            ).status_code
            == 201
        )
        ids = [
            r["institution"] for r in client.get("/alignment/dashboard?format=json").json()["institutions"]
        ]
        assert ids == ["proef", "zeehaven"]
        assert client.delete("/institutions/proef", headers=headers).status_code == 204
        ids = [
            r["institution"] for r in client.get("/alignment/dashboard?format=json").json()["institutions"]
        ]
        assert ids == ["zeehaven"]
        similar = client.get("/alignment/similar", params={"role": role("zeehaven", "ict-coach")}).json()
        assert similar["results"] == []  # no other institution left
