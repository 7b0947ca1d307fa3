"""Typed settings, read from environment variables prefixed ``VOCAB_`` and from CLI flags."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .namespaces import DEFAULT_BASE

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Every knob of the service. Bad values are refused at start-up."""

    model_config = SettingsConfigDict(env_prefix="VOCAB_", extra="forbid")

    base_iri: str = Field(DEFAULT_BASE, description="Persistent base IRI of the vocabulary (ends with '/').")
    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port to listen on.")
    data_dir: Path = Field(Path("data"), description="Directory of the embedded store and its snapshots.")
    store: str = Field(
        "embedded",
        description="'embedded' for the on-disk Oxigraph store, or the base URL of a SPARQL 1.1 server "
        "(e.g. http://host:7878) for the remote mode.",
    )
    store_query_path: str = Field("/query", description="Remote store: path of the SPARQL query endpoint.")
    store_update_path: str = Field("/update", description="Remote store: path of the SPARQL update endpoint.")
    store_graph_path: str = Field("/store", description="Remote store: path of the Graph Store Protocol endpoint.")
    store_union_param: str = Field(
        "union-default-graph",
        description="Remote store: query parameter that makes the default graph the union of the named graphs "
        "(Oxigraph); empty when the server is configured with a union default graph itself.",
    )
    ontology_dir: Path = Field(PROJECT_ROOT / "ontology", description="Directory of the vocabulary sources.")
    shapes_dir: Path = Field(PROJECT_ROOT / "shapes", description="Directory of the SHACL shapes.")
    default_lang: Literal["nl", "en"] = Field("nl", description="Language of pages and messages by default.")
    max_body_bytes: int = Field(2_000_000, ge=1024, description="Largest accepted request body.")
    query_timeout_s: float = Field(10.0, gt=0, le=600, description="Time limit of one SPARQL query.")
    query_memory_mb: int = Field(1024, ge=64, description="Memory limit of one SPARQL worker process.")
    query_workers: int = Field(2, ge=1, le=64, description="Number of SPARQL worker processes.")
    query_queue: int = Field(
        64, ge=0, le=10_000,
        description="Queries that may wait for a free worker (each up to the time limit); beyond this, 503.",
    )
    max_query_length: int = Field(20_000, ge=100, description="Longest accepted SPARQL query, in characters.")
    max_result_rows: int = Field(10_000, ge=1, description="Most rows a SELECT result returns.")
    service_allowlist: list[str] = Field(
        default_factory=list, description="SPARQL endpoints that SERVICE clauses may call (none by default)."
    )
    tokens_file: Path | None = Field(None, description="File of hashed institution tokens (JSON).")
    admin_token_hash: str | None = Field(None, description="SHA-256 hex digest of the admin token.")
    cache_max_age: int = Field(3600, ge=0, description="Cache-Control max-age of term representations, seconds.")
    log_level: str = Field("info", description="Log level of the service.")
    access_log: bool = Field(True, description="Write one JSON line per request to stderr (access log).")

    @field_validator("base_iri")
    @classmethod
    def _base_ends_with_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or not value.endswith("/"):
            raise ValueError("base_iri must be an http(s) IRI ending with '/'")
        return value

    @field_validator("store")
    @classmethod
    def _store_kind(cls, value: str) -> str:
        if value != "embedded" and not value.startswith(("http://", "https://")):
            raise ValueError("store must be 'embedded' or the http(s) URL of a SPARQL 1.1 server")
        return value.rstrip("/") if value != "embedded" else value
