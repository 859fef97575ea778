"""One error shape for every 4xx: ``{"error": {"code", "message", "field"}}``.

Use cases raise :class:`AppError` subclasses; the handlers below turn them,
FastAPI's validation errors and anything unexpected into that shape, so a
client never sees a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("fireline.errors")


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class InvalidInput(AppError):
    status = 422
    code = "invalid"


class NotAuthenticated(AppError):
    status = 401
    code = "not_authenticated"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class TooLarge(AppError):
    status = 413
    code = "too_large"


class TooManyRequests(AppError):
    status = 429
    code = "too_many_requests"


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


_LOCATIONS = ("body", "query", "path", "header", "cookie")


def _field_from_loc(loc: Sequence[Any]) -> str | None:
    """("body", "severity") -> "severity". Only the leading location goes: a
    field may itself be called "body"."""
    parts = list(loc[1:] if loc and loc[0] in _LOCATIONS else loc)
    return ".".join(str(p) for p in parts) or None


def describe_validation_error(err: dict[str, Any]) -> str:
    message = str(err.get("msg", "invalid value"))
    if err.get("type") == "missing":
        return "this field is required"
    if err.get("type") == "json_invalid":
        return "the body is not valid JSON"
    return message


_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
}


HtmlRenderer = Callable[[Request, int, str], Response]


def wants_html(request: Request) -> bool:
    """A browser asking for a page (not the API) gets errors as pages."""
    path = request.url.path
    return not path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def install_error_handlers(app: FastAPI, render_html: HtmlRenderer | None = None) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        if render_html and wants_html(request):
            return render_html(request, exc.status, exc.message)
        return JSONResponse(error_body(exc.code, exc.message, exc.field), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        first = errors[0] if errors else {}
        field = _field_from_loc(first.get("loc", ()))
        message = describe_validation_error(first)
        if render_html and wants_html(request):
            return render_html(request, 422, f"{field}: {message}" if field else message)
        body = error_body("invalid", f"{field}: {message}" if field else message, field)
        body["error"]["details"] = [
            {"field": _field_from_loc(e.get("loc", ())), "message": describe_validation_error(e)}
            for e in errors
        ]
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if render_html and wants_html(request):
            return render_html(request, exc.status_code, message)
        return JSONResponse(
            error_body(code, message), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        # The database refused a value a client sent (a NUL byte, a number out of
        # range): the client's mistake, so a 4xx, and the transaction was not committed.
        log.info(
            "database refused a value on %s %s: %s", request.method, request.url.path, exc.orig
        )
        message = "a value in this request cannot be stored (for example a NUL character or a number out of range)"
        if render_html and wants_html(request):
            return render_html(request, 422, message)
        return JSONResponse(error_body("invalid", message), status_code=422)

    def unexpected(request: Request) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("internal", "fireline hit an unexpected error; it has been logged"),
            status_code=500,
        )

    def out_of_range(request: Request, exc: BaseException) -> Response:
        # A value at the edge of its type: an id past 2**63 that SQLite cannot
        # bind, or a date that leaves the years 1-9999 once turned into UTC
        # (0001-01-01T00:00+14:00). Raised before any commit.
        log.info("value out of range on %s %s: %s", request.method, request.url.path, exc)
        message = "a date or a number in this request is out of range"
        if render_html and wants_html(request):
            return render_html(request, 422, message)
        return JSONResponse(error_body("invalid", message), status_code=422)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Response:
        return out_of_range(request, exc)

    @app.exception_handler(StatementError)
    async def _statement(request: Request, exc: StatementError) -> Response:
        # SQLAlchemy wraps what a column type raises while binding a value.
        if isinstance(exc.orig, OverflowError):
            return out_of_range(request, exc.orig)
        return unexpected(request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected(request)
