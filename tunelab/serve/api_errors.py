"""The server's errors as OpenAI's API shapes them: `{"error": {"message", "type", "param",
"code"}}`, for a client's mistake (ApiError), a path or method not served, and a crash (whose
traceback goes to the server's log, never to the client)."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi import Request as HttpRequest
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from tunelab.web import openai_error

log = logging.getLogger(__name__)
# What a client of OpenAI's other APIs (embeddings, images, audio) is told.
ENDPOINTS = (
    "tunelab serve answers GET /v1/models, POST /v1/chat/completions, /v1/completions and "
    "/v1/responses"
)


class ApiError(Exception):
    """A client mistake, answered with an OpenAI-style error body."""

    def __init__(
        self, status: int, message: str, code: str | None = None, param: str | None = None
    ):
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param


def answer_errors(app: FastAPI) -> None:
    """Have `app` answer every error in OpenAI's shape."""

    @app.exception_handler(ApiError)
    async def _api_error(_, err: ApiError) -> JSONResponse:
        kind = "server_error" if err.status >= 500 else "invalid_request_error"
        return _error(err.status, err.message, err.code, err.param, kind)

    @app.exception_handler(HTTPException)
    async def _http_error(http: HttpRequest, err: HTTPException) -> JSONResponse:
        message = str(err.detail)
        if err.status_code == 404:  # as OpenAI words it; "Not Found" named no path served
            message = f"Invalid URL ({http.method} {http.url.path}): {ENDPOINTS}"
        elif err.status_code == 405:  # a chat URL opened in a browser: a bare "Method Not Allowed"
            message = f"{message} ({http.method} {http.url.path}): {ENDPOINTS}"
        # The headers starlette's own answer carries: a 405's Allow, the methods the path takes.
        return _error(err.status_code, message, None, None, headers=err.headers)

    @app.exception_handler(Exception)
    async def _crash(_, err: Exception) -> JSONResponse:
        log.exception("request failed")  # the traceback goes to the server log, never to the client
        return _error(500, f"internal error ({type(err).__name__})", None, None, "server_error")


def validation_code(error: dict) -> str | None:
    """OpenAI's code for a body field pydantic refused (one of `ValidationError.errors()`):
    "missing_required_parameter", "invalid_type" ("temperature": "0"), "invalid_value" (a value
    not among those taken), "empty_array" ("messages": []), "decimal_above_max_value" and the
    like; null for the rest, as OpenAI leaves most of its 400s."""
    kind = error["type"]
    if kind == "missing":
        return "missing_required_parameter"
    if kind == "too_short" and error.get("input") == []:
        return "empty_array"
    if kind.endswith("_type") or kind == "int_from_float":
        return "invalid_type"
    if kind in ("literal_error", "enum"):
        return "invalid_value"
    side = {"greater_than_equal": "below_min", "greater_than": "below_min"}.get(kind)
    side = side or {"less_than_equal": "above_max", "less_than": "above_max"}.get(kind)
    if side is None:
        return None
    bound = next(iter(error.get("ctx", {}).values()), 0)  # an int bound: an integer field
    return f"{'integer' if isinstance(bound, int) else 'decimal'}_{side}_value"


def _error(
    status: int,
    message: str,
    code: str | None,
    param: str | None,
    kind: str = "invalid_request_error",
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        openai_error(message, code, param, kind), status_code=status, headers=headers
    )
