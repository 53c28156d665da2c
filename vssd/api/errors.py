"""The API's one error format (SPEC "Compatibility with the seeds"):
`{"error": true, "code": "...", "message": "..."}`, plus `details` (`[{"loc": [...], "msg": "..."}]`) for
validation errors. Handlers raise `ApiError`; the middleware renders it and everything else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, TypeVar

from aiohttp import web

from vssd.api.respond import json_response

# The code used for an aiohttp HTTP exception of a given status when nothing more specific applies.
STATUS_CODES = {
    400: "INVALID_PARAMS", 401: "AUTH_FAIL", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE", 415: "INVALID_PARAMS",
    422: "INVALID_PARAMS", 429: "RATE_LIMITED", 503: "SERVICE_UNAVAILABLE",
}


class ApiError(Exception):
    """An answer in the error format; `extra` adds fields beside code/message (e.g. readiness checks)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = list(details) if details else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": True, "code": self.code, "message": self.message}
        if self.details is not None:
            out["details"] = self.details
        out.update(self.extra)
        return out

    def response(self) -> web.Response:
        return json_response(self.body(), status=self.status, headers=self.headers)


def detail(loc: Sequence[str | int], msg: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg}


def invalid(details: Sequence[Mapping[str, Any]], message: str = "request validation failed") -> ApiError:
    """422 INVALID_PARAMS with the failing fields."""
    return ApiError(422, "INVALID_PARAMS", message, details=details)


def auth_fail(message: str = "authentication required", code: str = "AUTH_FAIL") -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": 'Bearer realm="vssd"'})


def not_found(message: str = "not found") -> ApiError:
    return ApiError(404, "NOT_FOUND", message)


def from_http_exception(exc: web.HTTPException) -> ApiError:
    """aiohttp's own answers (no route, wrong method, body too large …) in the error format."""
    status = exc.status
    code = STATUS_CODES.get(status, "INVALID_PARAMS" if status < 500 else "INTERNAL_ERROR")
    headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After", "WWW-Authenticate")}
    message = exc.reason if status != 404 else "no such route"
    if status == 405 and isinstance(exc, web.HTTPMethodNotAllowed):
        message = f"method {exc.method} not allowed; allowed: {', '.join(sorted(exc.allowed_methods))}"
    return ApiError(status, code, message, headers=headers)


T = TypeVar("T")
# A port's ValueError codes answered 409 (the rest 422).
CONFLICTS = frozenset({"SLOT_BUSY", "SLOT_STATE", "SLOT_001", "SLOT_002", "TRUNK_001", "TRUNK_002", "NO_DEVICE",
                       "CONFLICT", "OPERATOR_NO_EXTENSION", "PIPELINE_BUSY"})


def port_or_503(port: T | None, what: str) -> T:
    if port is None:
        raise ApiError(503, "SERVICE_UNAVAILABLE", f"{what} is not available in this process")
    return port


async def port_call(call: Awaitable[T], what: str) -> T:
    """Await a port call and turn its documented errors into API errors."""
    try:
        return await call
    except LookupError:
        raise not_found(f"{what} not found") from None
    except ValueError as err:
        code, message = (err.args[0], err.args[1]) if len(err.args) >= 2 else ("INVALID_PARAMS", str(err))
        status = 409 if code in CONFLICTS else 422
        raise ApiError(status, str(code), str(message)) from None
    except TimeoutError:
        raise ApiError(503, "DEVICE_TIMEOUT", f"{what}: the device did not answer in time") from None
    except ConnectionError as err:  # a device, the database or the broker; adapters name their code
        raise ApiError(503, getattr(err, "api_code", "DEVICE_UNAVAILABLE"), str(err) or f"{what} is unreachable") \
            from None
