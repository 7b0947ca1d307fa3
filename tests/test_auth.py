"""Write tokens: hashing, the tokens file and its reloading, and every refusal on a real server."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from vocab_service.auth import (
    ADMIN_PRINCIPAL,
    INVALID,
    Principal,
    TokenRegistry,
    add_token,
    authorize,
    check_admin_hash,
    hash_token,
    mint_token,
    parse_tokens,
    revoke_tokens,
)
from vocab_service.errors import Forbidden, Unauthorized

CLI = Path(sys.executable).with_name("vocab-service")


def description(institution: str, *, role: str = "coach", name: str = "Instelling") -> bytes:
    """A small valid description of one institution with one role."""
    base = f"https://example.org/instelling/{institution}"
    return f"""
@prefix dom: <https://w3id.org/docentondersteuning/model/> .
@prefix dov: <https://w3id.org/docentondersteuning/concept/> .
@prefix schema: <https://schema.org/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix org: <http://www.w3.org/ns/org#> .
<{base}> a dom:Institution ; schema:name "{name}"@nl ; dcterms:identifier "{institution}" ;
    dom:sector dov:mbo ; dom:hasLocalRole <{base}/rol/{role}> .
<{base}/rol/{role}> a dom:LocalRole ; schema:name "Coach {role}"@nl ;
    skos:exactMatch dov:icto-coach ; dom:worksAtLevel dov:operationeel-niveau ;
    dom:servesScope dov:individueel-niveau ; dom:performsTask dov:coachen-van-docenten ;
    dom:requiresCompetency dov:kennis-van-technologie .
""".encode()


def write_tokens(path: Path, entries: list[dict[str, object]]) -> None:
    path.write_text(json.dumps({"tokens": entries}), "utf-8")


# Unit: hashing and the tokens document ---------------------------------------------------------------


def test_minted_tokens_are_random_and_long() -> None:
    tokens = {mint_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(token) >= 43 for token in tokens)  # 32 bytes, URL-safe base64


def test_hash_is_sha256_hex() -> None:
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"tokens": {}},
        {"tokens": ["x"]},
        {"tokens": [{"institution": "Zee", "sha256": "0" * 64}]},
        {"tokens": [{"institution": "zee", "sha256": "0" * 63}]},
        {"tokens": [{"institution": "zee", "sha256": "A" * 64}]},
        {"tokens": [{"institution": "zee", "sha256": "0" * 64, "revoked": "no"}]},
        {"tokens": [{"institution": "zee", "sha256": "0" * 64, "expires": "tomorrow"}]},
    ],
)
def test_malformed_tokens_documents_are_refused(document: object) -> None:
    with pytest.raises(ValueError):
        parse_tokens(document)


@pytest.mark.parametrize("value", ["abc", "0" * 63, "g" * 64])
def test_admin_hash_must_be_a_digest(value: str) -> None:
    with pytest.raises(ValueError):
        check_admin_hash(value)


def test_admin_hash_is_normalised() -> None:
    assert check_admin_hash(("AB" * 32) + "\n") == "ab" * 32
    assert check_admin_hash(None) is None and check_admin_hash("") is None


def test_add_token_keeps_only_the_hash(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    token = add_token(path, "zeehaven")
    text = path.read_text()
    assert token not in text
    assert hash_token(token) in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert parse_tokens(json.loads(text))[0].institution == "zeehaven"


# Unit: authentication and authorisation ----------------------------------------------------------


@pytest.fixture
def registry(tmp_path: Path) -> tuple[TokenRegistry, dict[str, str], Path]:
    tokens = {name: mint_token() for name in ("admin", "zee", "berg", "expired", "revoked", "future")}
    path = tmp_path / "tokens.json"
    later = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_tokens(
        path,
        [
            {"institution": "zeehaven", "sha256": hash_token(tokens["zee"])},
            {"institution": "bergland", "sha256": hash_token(tokens["berg"]), "revoked": False},
            {
                "institution": "zeehaven",
                "sha256": hash_token(tokens["expired"]),
                "expires": "2020-01-01T00:00:00Z",
            },
            {"institution": "zeehaven", "sha256": hash_token(tokens["revoked"]), "revoked": True},
            {"institution": "zeehaven", "sha256": hash_token(tokens["future"]), "expires": later},
        ],
    )
    return TokenRegistry(path, hash_token(tokens["admin"])), tokens, path


def detail(registry: TokenRegistry, header: str | None) -> str:
    with pytest.raises(Unauthorized) as info:
        registry.authenticate(header)
    assert info.value.headers["WWW-Authenticate"].startswith("Bearer")
    return info.value.detail


def test_authenticate_each_kind_of_token(registry: tuple[TokenRegistry, dict[str, str], Path]) -> None:
    reg, tokens, _ = registry
    assert reg.authenticate(f"Bearer {tokens['admin']}") == ADMIN_PRINCIPAL
    assert reg.authenticate(f"Bearer {tokens['zee']}") == Principal("zeehaven")
    assert reg.authenticate(f"bearer {tokens['berg']}") == Principal("bergland")
    assert reg.authenticate(f"Bearer {tokens['future']}") == Principal("zeehaven")
    assert "Authorization" in detail(reg, None)
    assert "malformed" in detail(reg, "Basic dXNlcjpwYXNz")
    assert "malformed" in detail(reg, "Bearer")
    assert "malformed" in detail(reg, "Bearer two words")
    assert detail(reg, f"Bearer {mint_token()}") == INVALID
    # A revoked token gets exactly the message of an unknown one.
    assert detail(reg, f"Bearer {tokens['revoked']}") == INVALID
    assert "expired" in detail(reg, f"Bearer {tokens['expired']}")


def test_authorize() -> None:
    authorize(ADMIN_PRINCIPAL, "zeehaven")
    authorize(Principal("zeehaven"), "zeehaven")
    with pytest.raises(Forbidden):
        authorize(Principal("bergland"), "zeehaven")


def test_file_is_reread_when_it_changes(registry: tuple[TokenRegistry, dict[str, str], Path]) -> None:
    reg, tokens, path = registry
    assert reg.authenticate(f"Bearer {tokens['zee']}") == Principal("zeehaven")
    assert revoke_tokens(path, "zeehaven") == 3  # zee, expired and future; "revoked" already was
    assert detail(reg, f"Bearer {tokens['zee']}") == INVALID
    assert reg.authenticate(f"Bearer {tokens['berg']}") == Principal("bergland")


def test_unusable_file_refuses_institution_tokens(
    registry: tuple[TokenRegistry, dict[str, str], Path],
) -> None:
    reg, tokens, path = registry
    path.write_text("{not json")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert detail(reg, f"Bearer {tokens['berg']}") == INVALID
    assert reg.authenticate(f"Bearer {tokens['admin']}") == ADMIN_PRINCIPAL  # the admin is not in the file


def test_broken_file_at_start_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"tokens": [{"institution": "x"}]}')
    with pytest.raises(ValueError):
        TokenRegistry(path, None)


def test_missing_file_accepts_only_the_admin(tmp_path: Path) -> None:
    admin = mint_token()
    reg = TokenRegistry(tmp_path / "absent.json", hash_token(admin))
    assert reg.authenticate(f"Bearer {admin}") == ADMIN_PRINCIPAL
    assert detail(reg, f"Bearer {mint_token()}") == INVALID


# On a real server ---------------------------------------------------------------------------------


@pytest.fixture
def secured(make_server, tmp_path: Path):  # type: ignore[no-untyped-def]
    tokens = {name: mint_token() for name in ("admin", "zee", "berg", "expired", "revoked")}
    path = tmp_path / "tokens.json"
    write_tokens(
        path,
        [
            {"institution": "zeehaven", "sha256": hash_token(tokens["zee"])},
            {"institution": "bergland", "sha256": hash_token(tokens["berg"])},
            {
                "institution": "zeehaven",
                "sha256": hash_token(tokens["expired"]),
                "expires": "2020-01-01T00:00:00Z",
            },
            {"institution": "zeehaven", "sha256": hash_token(tokens["revoked"]), "revoked": True},
        ],
    )
    server = make_server(
        env={"VOCAB_ADMIN_TOKEN_HASH": hash_token(tokens["admin"]), "VOCAB_TOKENS_FILE": str(path)}
    )
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        yield server, client, tokens, path


def _write(client: httpx.Client, method: str, institution: str, headers: dict[str, str]) -> httpx.Response:
    if method == "PUT":
        return client.put(
            f"/institutions/{institution}",
            content=description(institution),
            headers={"Content-Type": "text/turtle", **headers},
        )
    return client.delete(f"/institutions/{institution}", headers=headers)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_refusals_on_every_write_path(secured, method: str) -> None:  # type: ignore[no-untyped-def]
    server, client, tokens, _ = secured
    # The graph exists, so a DELETE that gets through would succeed.
    assert (
        _write(client, "PUT", "zeehaven", {"Authorization": f"Bearer {tokens['admin']}"}).status_code == 201
    )
    cases = [
        ({}, 401, None),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401, "malformed"),
        ({"Authorization": "Bearer"}, 401, "malformed"),
        ({"Authorization": f"Bearer {mint_token()}"}, 401, INVALID),
        ({"Authorization": f"Bearer {tokens['revoked']}"}, 401, INVALID),
        ({"Authorization": f"Bearer {tokens['expired']}"}, 401, "expired"),
        ({"Authorization": f"Bearer {tokens['berg']}"}, 403, "bergland"),
    ]
    for headers, status, text in cases:
        response = _write(client, method, "zeehaven", headers)
        assert response.status_code == status, (headers, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Bearer")
        if text:
            assert text in response.json()["detail"]
    # Nothing above changed the graph: one change, by the admin.
    history = client.get("/institutions/zeehaven/history").json()["changes"]
    assert [(h["action"], h["by"]) for h in history] == [("replace", "admin")]
    # The institution's own token may write its own graph.
    own = _write(client, method, "zeehaven", {"Authorization": f"Bearer {tokens['zee']}"})
    assert own.status_code == (200 if method == "PUT" else 204), own.text
    # ... and the admin any graph.
    other = _write(client, "PUT", "bergland", {"Authorization": f"Bearer {tokens['admin']}"})
    assert other.status_code == 201
    log = server.flushed_log()
    assert all(token not in log for token in tokens.values())


def test_revocation_needs_no_restart(secured) -> None:  # type: ignore[no-untyped-def]
    _, client, tokens, path = secured
    auth = {"Authorization": f"Bearer {tokens['zee']}"}
    assert _write(client, "PUT", "zeehaven", auth).status_code == 201
    result = subprocess.run(
        [str(CLI), "token", "zeehaven", "--tokens-file", str(path), "--revoke"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "revoked 2" in result.stdout  # zee and the expired one; the revoked one already was
    response = _write(client, "PUT", "zeehaven", auth)
    assert response.status_code == 401 and response.json()["detail"] == INVALID
    # A newly minted token works at once.
    minted = subprocess.run(
        [str(CLI), "token", "zeehaven", "--tokens-file", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    token = minted.stdout.strip().splitlines()[-1]
    assert token not in path.read_text()
    assert _write(client, "PUT", "zeehaven", {"Authorization": f"Bearer {token}"}).status_code == 200


def test_reads_are_public(secured) -> None:  # type: ignore[no-untyped-def]
    _, client, tokens, _ = secured
    _write(client, "PUT", "zeehaven", {"Authorization": f"Bearer {tokens['admin']}"})
    for path in ("/institutions", "/institutions/zeehaven", "/institutions/zeehaven/history", "/alignment"):
        assert client.get(path).status_code == 200, path
