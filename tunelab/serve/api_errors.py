"""The server's errors as OpenAI's API shapes them: `{"error": {"message", "type", "param",
"code"}}`, for a client's mistake (ApiError), a path or method not served, and a crash (whose
traceback goes to the server's log, never to the client)."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi import Request as HttpRequest
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

log = logging.getLogger(__name__)
# What a client of OpenAI's other APIs (the Responses API of its quickstart, embeddings) is told.
ENDPOINTS = "tunelab serve answers GET /v1/models, POST /v1/chat/completions and /v1/completions"


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
        message = str(err.detail)  # a wrong method: "Method Not Allowed"
        if err.status_code == 404:  # as OpenAI words it; "Not Found" named no path served
            message = f"Invalid URL ({http.method} {http.url.path}): {ENDPOINTS}"
        return _error(err.status_code, message, None, None)

    @app.exception_handler(Exception)
    async def _crash(_, err: Exception) -> JSONResponse:
        log.exception("request failed")  # the traceback goes to the server log, never to the client
        return _error(500, f"internal error ({type(err).__name__})", None, None, "server_error")


def _error(
    status: int,
    message: str,
    code: str | None,
    param: str | None,
    kind: str = "invalid_request_error",
) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status)
