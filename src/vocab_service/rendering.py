"""Server-rendered pages: one Jinja2 environment, language choice, security headers for HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from . import __version__

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
LANGS = ("nl", "en")

# Pages load scripts and styles only from the service itself; inline JSON-LD is data, not script.
HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def pick_lang(query: str | None, cookie: str | None, accept_language: str | None, default: str) -> str:
    """``?lang=`` wins, then the remembered choice, then the browser's Accept-Language, then the default."""
    for candidate in (query, cookie):
        if candidate in LANGS:
            return candidate  # type: ignore[return-value]
    if accept_language:
        ranked: list[tuple[float, int, str]] = []
        for index, part in enumerate(accept_language.split(",")):
            pieces = part.strip().split(";")
            tag = pieces[0].strip().lower()
            q = 1.0
            for param in pieces[1:]:
                name, _, value = param.strip().partition("=")
                if name.strip() == "q":
                    try:
                        q = float(value)
                    except ValueError:
                        q = 0.0
            primary = tag.split("-")[0]
            if primary in LANGS and q > 0:
                ranked.append((-q, index, primary))
        if ranked:
            return min(ranked)[2]
    return default


def request_lang(request: Request) -> str:
    return pick_lang(request.query_params.get("lang"), request.cookies.get("lang"),
                     request.headers.get("accept-language"), request.app.state.settings.default_lang)


_env: Environment | None = None


def environment() -> Environment:
    global _env  # the template environment is immutable configuration, shared like a module constant
    if _env is None:
        _env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                           trim_blocks=True, lstrip_blocks=True)
        _env.globals["version"] = __version__
    return _env


def render(template: str, *, lang: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page; the chosen language is remembered in a cookie so the switch keeps it."""
    html = environment().get_template(template).render(lang=lang, other_lang="en" if lang == "nl" else "nl",
                                                       **context)
    response = HTMLResponse(html, status_code=status, headers={**HTML_HEADERS, "Content-Language": lang,
                                                               "Vary": "Accept, Accept-Language, Cookie"})
    response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def t(lang: str, nl: str, en: str) -> str:
    """Pick the Dutch or English text."""
    return nl if lang == "nl" else en
