"""POST /validate, the page and the CSV template, against a real server process."""

from __future__ import annotations

import re

import httpx
from conftest import EXAMPLES, ROOT
from rdflib import Graph, Literal
from rdflib.namespace import RDF, SH

SHAPES_FIXTURES = ROOT / "tests" / "shapes"
SHP = "https://w3id.org/docentondersteuning/shapes/role-"
DOV = "https://w3id.org/docentondersteuning/concept/"


def test_conforming_turtle_gives_a_json_report(client: httpx.Client) -> None:
    response = client.post("/validate", content=(EXAMPLES / "duinrand.ttl").read_bytes(),
                           headers={"Content-Type": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"conforms": True, "lang": "nl", "counts": {"violation": 0, "warning": 0, "info": 0},
                               "results": []}


def test_violations_are_a_200_report_in_the_chosen_language(client: httpx.Client) -> None:
    body = (SHAPES_FIXTURES / "invalid" / "role-mapping-unknown.ttl").read_bytes()
    report = client.post("/validate?lang=en", content=body, headers={"Content-Type": "text/turtle"}).json()
    assert report["conforms"] is False and report["lang"] == "en"
    [result] = report["results"]
    assert result["value"] == DOV + "icto-coch" and result["severity"] == "violation"
    assert result["source_shape"] == SHP + "mapping"
    assert result["message"].startswith("The role must be mapped")
    assert result["suggestions"][0]["iri"] == DOV + "icto-coach"
    dutch = client.post("/validate", content=body, headers={"Content-Type": "text/turtle",
                                                            "Accept-Language": "nl;q=0.9, en;q=0.1"}).json()
    assert dutch["results"][0]["message"].startswith("De rol moet")


def test_report_graph_by_accept(client: httpx.Client) -> None:
    body = (SHAPES_FIXTURES / "invalid" / "role-teacher-support.ttl").read_bytes()
    for accept, fmt in (("text/turtle", "turtle"), ("application/ld+json", "json-ld")):
        response = client.post("/validate", content=body, headers={"Content-Type": "text/turtle", "Accept": accept})
        assert response.status_code == 200 and response.headers["content-type"].startswith(accept)
        graph = Graph().parse(data=response.text, format=fmt)
        report = next(graph.subjects(RDF.type, SH.ValidationReport))
        assert graph.value(report, SH.conforms) == Literal(False)
        [result] = list(graph.objects(report, SH.result))
        assert str(graph.value(result, SH.sourceShape)) == SHP + "teacher-support"
    response = client.post("/validate", content=body, headers={"Content-Type": "text/turtle", "Accept": "image/png"})
    assert response.status_code == 406


def test_jsonld_and_csv_bodies(client: httpx.Client) -> None:
    response = client.post("/validate", content=(EXAMPLES / "zeehaven.jsonld").read_bytes(),
                           headers={"Content-Type": "application/ld+json"})
    assert response.status_code == 200 and response.json()["counts"]["violation"] == 0
    template = client.get("/validate/template.csv")
    assert template.status_code == 200 and template.headers["content-type"].startswith("text/csv")
    assert template.text.startswith("institution_id,institution_name,sector")
    report = client.post("/validate", content=template.content, headers={"Content-Type": "text/csv"}).json()
    assert report["conforms"] is True


def test_unparsable_input_is_a_400_problem_with_position(client: httpx.Client) -> None:
    response = client.post("/validate", content=b"@prefix ex: <http://ex/> .\nex:a ex:b ex:c ;\n  ex:d .",
                           headers={"Content-Type": "text/turtle"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert (problem["line"], problem["column"]) == (3, 8) and "Turtle" in problem["detail"]


def test_remote_context_is_a_400(client: httpx.Client) -> None:
    response = client.post("/validate", content=b'{"@context": "http://127.0.0.1:9/c.jsonld", "@id": "http://a"}',
                           headers={"Content-Type": "application/ld+json"})
    assert response.status_code == 400 and "not fetched" in response.json()["detail"]


def test_unsupported_type_is_a_415_listing_the_supported_ones(client: httpx.Client) -> None:
    response = client.post("/validate", content=b"hello", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "text/turtle" in response.json()["supported"]


def test_empty_body_is_a_400(client: httpx.Client) -> None:
    response = client.post("/validate", content=b"", headers={"Content-Type": "text/turtle"})
    assert response.status_code == 400 and "empty" in response.json()["detail"]


def test_too_large_bodies_are_refused(client: httpx.Client) -> None:
    big = b"#" * 2_100_000
    response = client.post("/validate", content=big, headers={"Content-Type": "text/turtle"})
    assert response.status_code == 413

    def chunks():  # no Content-Length: refused while streaming
        for _ in range(40):
            yield b"#" * 65536

    response = client.post("/validate", content=chunks(), headers={"Content-Type": "text/turtle"})
    assert response.status_code == 413


def test_page_form_and_report(client: httpx.Client) -> None:
    page = client.get("/validate?lang=en")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'enctype="multipart/form-data"' in page.text
    assert not re.findall(r"<script(?![^>]*\bsrc=)", page.text)  # no inline scripts (the CSP forbids them)
    text = (SHAPES_FIXTURES / "invalid" / "role-level.ttl").read_text("utf-8")
    posted = client.post("/validate?lang=en", data={"text": text, "format": "text/turtle", "lang": "en"})
    assert posted.status_code == 200 and "Does not conform" in posted.text
    assert "dov:teamniveau" in posted.text and "severity-violation" in posted.text
    upload = client.post("/validate", data={"lang": "nl", "format": ""},
                         files={"file": ("zeehaven.ttl", (EXAMPLES / "zeehaven.ttl").read_bytes(), "text/turtle")})
    assert upload.status_code == 200 and "Voldoet" in upload.text
    broken = client.post("/validate", data={"text": "<http://a> <http://b> .", "format": "text/turtle"})
    assert broken.status_code == 400 and "regel 1" in broken.text


def test_openapi_lists_the_validation_endpoints_with_examples(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    post = paths["/validate"]["post"]
    assert "example" in post["requestBody"]["content"]["text/turtle"]
    assert "example" in post["responses"]["200"]["content"]["application/json"]
    assert "get" in paths["/validate"] and "get" in paths["/validate/template.csv"]
    assert post["description"] or post["summary"]
