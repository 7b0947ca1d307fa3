"""The ``vocab-service`` command: serve, validate, load, export, token."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .settings import Settings

Command = Callable[[argparse.Namespace], int]


def _settings(args: argparse.Namespace, **overrides: Any) -> Settings:
    """Settings from the environment, overridden by the flags the user gave."""
    values = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**values)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app

    settings = _settings(args, host=args.host, port=args.port, data_dir=args.data_dir, base_iri=args.base_iri,
                         store=args.store, default_lang=args.lang)
    app = create_app(settings)
    print(f"vocab-service listening on http://{settings.host}:{settings.port}/ "
          f"(store: {settings.store}, base IRI: {settings.base_iri})", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level,
                access_log=False, lifespan="on")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    """Publish institutions' files straight into the store, validated like PUT /institutions/{id}."""
    from .auth import ADMIN_PRINCIPAL
    from .errors import ProblemError
    from .institutions import StoreBusy, description_files, load_file, offline_service

    settings = _settings(args, data_dir=args.data_dir, store=args.store, base_iri=args.base_iri)
    files = description_files(args.paths)
    if not files:
        print("no description files found", file=sys.stderr)
        return 1
    try:
        service = offline_service(settings)
    except StoreBusy as exc:
        print(f"vocab-service load: {exc}", file=sys.stderr)
        return 2
    failed = 0
    try:
        for path in files:
            try:
                result = load_file(service, path, ADMIN_PRINCIPAL)
            except (ProblemError, OSError) as exc:
                failed += 1
                print(f"FAILED {path}: {getattr(exc, 'detail', exc)}", file=sys.stderr)
                for item in getattr(exc, "extra", {}).get("report", {}).get("results", []):
                    if item.get("severity") == "violation":
                        print(f"  - {item.get('focus_node')}: {item.get('message')}", file=sys.stderr)
                continue
            warnings = result.report.counts.get("warning", 0)
            print(f"{'created' if result.created else 'replaced'} {result.institution} from {path} "
                  f"({result.triples} triples, {warnings} warnings)")
    finally:
        service.store.close()
    return 1 if failed else 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write every named graph (vocabulary, shapes, institutions, changes) as N-Quads or TriG."""
    import pyoxigraph as ox

    from .institutions import StoreBusy
    from .store import open_store

    settings = _settings(args, data_dir=args.data_dir, store=args.store)
    try:
        store = open_store(settings)
    except OSError as exc:
        if "lock" in str(exc).lower():
            print(f"vocab-service export: {StoreBusy(settings.data_dir)}", file=sys.stderr)
            return 2
        raise
    try:
        data = store.dump_nquads()
    finally:
        store.close()
    if args.format == "trig":
        data = ox.serialize(ox.parse(data, format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.TRIG)
    if args.output:
        args.output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    """Mint (or revoke) a write token; the token is printed once, only its SHA-256 is kept."""
    from datetime import datetime

    from .auth import add_token, hash_token, mint_token, revoke_tokens

    if args.admin:
        token = mint_token()
        print(f"admin token (shown once): {token}")
        print(f"VOCAB_ADMIN_TOKEN_HASH={hash_token(token)}")
        return 0
    if not args.institution:
        print("vocab-service token: give an institution identifier or --admin", file=sys.stderr)
        return 2
    tokens_file = args.tokens_file or _settings(args).tokens_file
    if tokens_file is None:
        print("vocab-service token: give --tokens-file or set VOCAB_TOKENS_FILE", file=sys.stderr)
        return 2
    try:
        if args.revoke:
            count = revoke_tokens(tokens_file, args.institution)
            print(f"revoked {count} token(s) of {args.institution} in {tokens_file}")
            return 0
        expires = datetime.fromisoformat(args.expires) if args.expires else None
        token = add_token(tokens_file, args.institution, expires=expires)
    except ValueError as exc:
        print(f"vocab-service token: {exc}", file=sys.stderr)
        return 2
    print(f"token for {args.institution} (shown once, only its hash is kept in {tokens_file}):", file=sys.stderr)
    print(token)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate description files against the shapes; no server, no store (see docs/validation.md)."""
    from .validate_cli import run

    return run(args.files, fmt=args.format, lang=args.lang, as_json=args.json, settings=_settings(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vocab-service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="load ontology/ and shapes/ and serve them over HTTP")
    serve.add_argument("--host", help="interface to listen on (VOCAB_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (VOCAB_PORT)")
    serve.add_argument("--data-dir", type=Path, help="directory of the embedded store (VOCAB_DATA_DIR)")
    serve.add_argument("--base-iri", help="persistent base IRI (VOCAB_BASE_IRI)")
    serve.add_argument("--store", help="'embedded' or the URL of a SPARQL 1.1 server (VOCAB_STORE)")
    serve.add_argument("--lang", choices=["nl", "en"], help="default language (VOCAB_DEFAULT_LANG)")
    serve.set_defaults(func=cmd_serve)

    load = sub.add_parser("load", help="validate and publish institutions' files (or folders) into the store")
    load.add_argument("paths", nargs="+", type=Path, help="description files or folders of them")
    load.add_argument("--data-dir", type=Path, help="directory of the embedded store (VOCAB_DATA_DIR)")
    load.add_argument("--store", help="'embedded' or the URL of a SPARQL 1.1 server (VOCAB_STORE)")
    load.add_argument("--base-iri", help="persistent base IRI (VOCAB_BASE_IRI)")
    load.set_defaults(func=cmd_load)

    export = sub.add_parser("export", help="write all named graphs, for backup or another store")
    export.add_argument("--format", choices=["nquads", "trig"], default="nquads", help="output format")
    export.add_argument("-o", "--output", type=Path, help="file to write (standard output if absent)")
    export.add_argument("--data-dir", type=Path, help="directory of the embedded store (VOCAB_DATA_DIR)")
    export.add_argument("--store", help="'embedded' or the URL of a SPARQL 1.1 server (VOCAB_STORE)")
    export.set_defaults(func=cmd_export)

    token = sub.add_parser("token", help="mint or revoke a write token (only its hash is kept)")
    token.add_argument("institution", nargs="?", help="identifier of the institution")
    token.add_argument("--tokens-file", type=Path, help="JSON file of token hashes (VOCAB_TOKENS_FILE)")
    token.add_argument("--revoke", action="store_true", help="revoke every token of the institution")
    token.add_argument("--expires", help="expiry as an ISO 8601 date-time, e.g. 2027-01-01T00:00:00Z")
    token.add_argument("--admin", action="store_true", help="mint an admin token and print its hash")
    token.set_defaults(func=cmd_token)

    validate = sub.add_parser("validate", help="validate role-description files against the SHACL shapes")
    validate.add_argument("files", nargs="+", type=Path, help="description files (.ttl .jsonld .json .rdf .nt .csv)")
    validate.add_argument("--format", help="format of every file (turtle, json-ld, rdf-xml, n-triples, csv or "
                          "a media type) instead of guessing from the extension")
    validate.add_argument("--lang", choices=["nl", "en"], default="nl", help="language of the messages")
    validate.add_argument("--json", action="store_true", help="print the reports as JSON")
    validate.set_defaults(func=cmd_validate)

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
