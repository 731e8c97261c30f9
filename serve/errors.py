"""The API's error format: ``{"error": {"code": ..., "message": ...}}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
         406: "not_acceptable", 422: "invalid_parameter", 500: "internal_error", 503: "not_ready"}


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, headers: dict | None = None):
        self.status, self.message = status, message
        self.code = code or CODES.get(status, "error")
        self.headers = headers


def error_response(status: int, message: str, code: str | None = None, headers: dict | None = None) -> JSONResponse:
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error_response(exc.status, exc.message, exc.code, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        parts = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "header"))
            parts.append(f"{loc}: {err.get('msg')}")
        return error_response(422, "; ".join(parts) or "invalid request")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        # Never a stack trace or a secret in a response; the log has the details.
        import logging

        logging.getLogger("devlens.api").exception("unhandled error on %s", request.url.path)
        return error_response(500, "internal error; see the server log")


ERROR_RESPONSES = {
    400: {"model": ErrorResponse, "description": "Well-formed but wrong (e.g. a period_start that is not a period boundary, from after to, a cursor not from a previous page)"},
    401: {"model": ErrorResponse, "description": "No or bad API key"},
    404: {"model": ErrorResponse, "description": "Unknown workspace or developer, or a period not computed yet"},
    422: {"model": ErrorResponse, "description": "A parameter of the wrong type, enum or range"},
    503: {"model": ErrorResponse, "description": "No data version has been published yet"},
}
