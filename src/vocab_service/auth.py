"""Bearer tokens for writes: one or more per institution, plus an admin token.

Only SHA-256 digests of tokens are kept (in the tokens file and in ``VOCAB_ADMIN_TOKEN_HASH``). Tokens are
minted here as 256 random bits, so a fast hash is enough: there is nothing to guess that a slow key
derivation function would protect (those exist for low-entropy passwords). Digests are compared with
``hmac.compare_digest`` against every entry, so timing says nothing about which entry, or which prefix,
matched. Tokens themselves are never logged or stored.

The tokens file is JSON::

    {"tokens": [{"institution": "zeehaven", "sha256": "<64 hex>", "revoked": false,
                 "expires": "2027-01-01T00:00:00Z"}]}

It is re-read whenever its modification time or size changes, so a revocation needs no restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request

from .errors import Forbidden, Unauthorized
from .settings import Settings

log = logging.getLogger("vocab_service.auth")

ADMIN = "admin"
_HEX64 = re.compile(r"[0-9a-f]{64}")
# RFC 6750 b64token syntax; anything else after "Bearer " is a malformed header.
_BEARER = re.compile(r"Bearer ([A-Za-z0-9\-._~+/]+=*)", re.IGNORECASE)
_SLUG = re.compile(r"[a-z0-9-]{1,64}")
INVALID = "the token is not valid"


def hash_token(token: str) -> str:
    """The SHA-256 hex digest kept in place of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def mint_token() -> str:
    """A new random token of 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Principal:
    """Who made a request: the admin, or one institution."""

    institution: str | None  # None for the admin

    @property
    def is_admin(self) -> bool:
        return self.institution is None

    @property
    def name(self) -> str:
        return ADMIN if self.institution is None else self.institution


ADMIN_PRINCIPAL = Principal(None)


@dataclass(frozen=True)
class TokenEntry:
    institution: str
    sha256: str
    revoked: bool = False
    expires: datetime | None = None


def _parse_time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"expires must be an ISO 8601 date-time, not {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_tokens(document: Any) -> list[TokenEntry]:
    """Entries of a tokens document; ValueError on anything malformed."""
    if not isinstance(document, dict) or not isinstance(document.get("tokens"), list):
        raise ValueError('a tokens file is a JSON object with a "tokens" list')
    entries = []
    for index, item in enumerate(document["tokens"]):
        if not isinstance(item, dict):
            raise ValueError(f"tokens[{index}] is not an object")
        institution, digest = item.get("institution"), item.get("sha256")
        if not isinstance(institution, str) or not _SLUG.fullmatch(institution):
            raise ValueError(f"tokens[{index}].institution is not an institution identifier")
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise ValueError(f"tokens[{index}].sha256 is not a lowercase SHA-256 hex digest")
        revoked = item.get("revoked", False)
        if not isinstance(revoked, bool):
            raise ValueError(f"tokens[{index}].revoked is not true or false")
        try:
            expires = _parse_time(item.get("expires"))
        except ValueError as exc:
            raise ValueError(f"tokens[{index}].expires: {exc}") from exc
        entries.append(TokenEntry(institution, digest, revoked, expires))
    return entries


def check_admin_hash(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip().lower()
    if not _HEX64.fullmatch(value):
        raise ValueError(
            "VOCAB_ADMIN_TOKEN_HASH must be the 64-character SHA-256 hex digest of the admin token"
        )
    return value


class TokenRegistry:
    """Answers "who holds this token?"; re-reads the tokens file when it changes."""

    def __init__(self, tokens_file: Path | None, admin_hash: str | None) -> None:
        self.tokens_file = tokens_file
        self.admin_hash = check_admin_hash(admin_hash)
        self._entries: list[TokenEntry] = []
        self._stamp: tuple[int, int, int] | None = None
        self._lock = threading.Lock()
        self._failed = False
        if tokens_file is not None and tokens_file.exists():
            # A broken file at start-up is a configuration error: refuse to start.
            self._entries = parse_tokens(json.loads(tokens_file.read_text("utf-8")))
            self._stamp = self._file_stamp()
        elif tokens_file is not None:
            log.warning("tokens file %s does not exist (yet); only the admin token is accepted", tokens_file)

    def _file_stamp(self) -> tuple[int, int, int] | None:
        """Modification time, size and inode: an atomic replace (new inode) is seen even within one tick."""
        try:
            stat = self.tokens_file.stat() if self.tokens_file else None
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino) if stat else None

    def entries(self) -> list[TokenEntry]:
        """Current entries, re-read if the file changed. A file that became unreadable accepts no token
        (fail closed: a half-written revocation must not leave the old token working)."""
        if self.tokens_file is None:
            return []
        stamp = self._file_stamp()
        with self._lock:
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._entries = (
                        [] if stamp is None else parse_tokens(json.loads(self.tokens_file.read_text("utf-8")))
                    )
                    self._failed = False
                except (OSError, ValueError) as exc:
                    log.error(
                        "tokens file %s is unusable, institution tokens refused: %s", self.tokens_file, exc
                    )
                    self._entries = []
                    self._failed = True
            return self._entries

    def authenticate(self, authorization: str | None, *, now: datetime | None = None) -> Principal:
        """The principal behind an ``Authorization`` header, or Unauthorized."""
        if not authorization:
            raise Unauthorized(
                "this request changes data and needs an 'Authorization: Bearer <token>' header"
            )
        match = _BEARER.fullmatch(authorization.strip())
        if match is None:
            raise Unauthorized("the Authorization header is malformed; expected 'Bearer <token>'")
        digest = hash_token(match.group(1))
        now = now or datetime.now(UTC)
        # Compare against every entry without stopping at the first hit.
        admin = self.admin_hash is not None and hmac.compare_digest(digest, self.admin_hash)
        found: TokenEntry | None = None
        for entry in self.entries():
            if hmac.compare_digest(digest, entry.sha256) and found is None:
                found = entry
        if admin:
            return ADMIN_PRINCIPAL
        if found is None or found.revoked:
            raise Unauthorized(INVALID)
        if found.expires is not None and found.expires <= now:
            raise Unauthorized("the token has expired")
        return Principal(found.institution)


def authorize(principal: Principal, institution: str) -> None:
    """Forbidden unless ``principal`` may write the graph of ``institution``."""
    if principal.is_admin or principal.institution == institution:
        return
    raise Forbidden(
        f"this token belongs to institution '{principal.institution}' and may not change '{institution}'"
    )


def require_writer(request: Request, institution: str) -> Principal:
    """Authenticate the request and check it may write ``institution``'s graph."""
    registry: TokenRegistry = request.app.state.tokens
    principal = registry.authenticate(request.headers.get("authorization"))
    authorize(principal, institution)
    return principal


# The tokens file, written by the CLI -------------------------------------------------------------------


def read_tokens_document(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"tokens": []}
    document = json.loads(path.read_text("utf-8"))
    parse_tokens(document)  # refuse to extend a malformed file
    return document


def write_tokens_document(path: Path, document: dict[str, Any]) -> None:
    """Replace the file atomically (readers see the old or the new file), readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tokens-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
            handle.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_token(path: Path, institution: str, *, expires: datetime | None = None) -> str:
    """Mint a token for ``institution``, keep only its digest in ``path``, return the token."""
    if not _SLUG.fullmatch(institution):
        raise ValueError("an institution identifier is 1-64 characters of a-z, 0-9 and '-'")
    document = read_tokens_document(path)
    token = mint_token()
    entry: dict[str, Any] = {
        "institution": institution,
        "sha256": hash_token(token),
        "revoked": False,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if expires is not None:
        entry["expires"] = expires.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    document["tokens"].append(entry)
    write_tokens_document(path, document)
    return token


def revoke_tokens(path: Path, institution: str) -> int:
    """Mark every token of ``institution`` revoked; the number newly revoked."""
    document = read_tokens_document(path)
    count = 0
    for item in document["tokens"]:
        if item.get("institution") == institution and not item.get("revoked", False):
            item["revoked"] = True
            count += 1
    write_tokens_document(path, document)
    return count


def install(app: FastAPI) -> None:
    """Build the token registry at start-up; bad configuration stops the start."""

    async def start(app: FastAPI) -> None:
        settings: Settings = app.state.settings
        app.state.tokens = TokenRegistry(settings.tokens_file, settings.admin_token_hash)

    app.state.starters.append(start)
