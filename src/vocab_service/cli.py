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
