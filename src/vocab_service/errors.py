"""One error hierarchy and one handler: every refusal is an RFC 9457 problem+json document."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("vocab_service")

PROBLEM_JSON = "application/problem+json"


class ProblemError(Exception):
    """An error the client can act on. Subclasses fix the status and the problem type."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, status: int | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        self.extra = extra
        self.headers: dict[str, str] = {}


class BadRequest(ProblemError):
    status = 400
    title = "Bad request"


class Unauthorized(ProblemError):
    status = 401
    title = "Unauthorized"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers = {"WWW-Authenticate": 'Bearer realm="vocab-service"'}


class Forbidden(ProblemError):
    status = 403
    title = "Forbidden"


class NotFound(ProblemError):
    status = 404
    title = "Not found"


class NotAcceptable(ProblemError):
    status = 406
    title = "Not acceptable"


class PayloadTooLarge(ProblemError):
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(ProblemError):
    status = 415
    title = "Unsupported media type"


class Unprocessable(ProblemError):
    status = 422
    title = "Unprocessable content"


class ServiceUnavailable(ProblemError):
    status = 503
    title = "Service unavailable"


class InputError(BadRequest):
    """Unusable input (a parse failure); ``line`` and ``column`` when the parser knows them."""

    def __init__(self, detail: str, *, line: int | None = None, column: int | None = None, **extra: Any):
        super().__init__(detail, **extra)
        self.line = line
        self.column = column
        if line is not None:
            self.extra["line"] = line
        if column is not None:
            self.extra["column"] = column


def problem_response(status: int, title: str, detail: str, headers: dict[str, str] | None = None,
                     **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"}},
}


def document_problems(app: FastAPI) -> None:
    """Say in the OpenAPI description what every operation may answer: a problem document on any error.

    FastAPI documents a 422 "Validation Error" that this service never sends (bad parameters are a 400
    problem); it is replaced by a ``default`` problem+json response.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                responses = operation["responses"]
                if responses.get("422", {}).get("description") == "Validation Error":
                    del responses["422"]
                responses.setdefault("default", {
                    "description": "An error, as an RFC 9457 problem document.",
                    "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.detail, exc.headers or None, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), str(exc.detail),
                                dict(exc.headers) if exc.headers else None)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        return problem_response(400, "Invalid request parameters", detail, errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "Internal server error", "The server could not answer this request.")
