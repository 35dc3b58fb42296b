"""Errors answered with the platform's error body, so clients parse them as they would in production."""

from __future__ import annotations

import uuid
from typing import Any


class ApiError(Exception):
    """An answer other than success; the handler raises, the app renders."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.params = params or {}

    def body(self, correlation_id: str | None = None) -> dict[str, Any]:
        return {
            "message": self.message,
            "code": self.code,
            "status": self.status,
            "messageParams": self.params,
            "contextId": correlation_id or str(uuid.uuid4()),
            "details": [],
            "errors": [],
        }


def bad_request(message: str, code: str = "bad.request") -> ApiError:
    return ApiError(400, code, message)


def not_found(kind: str, ident: str) -> ApiError:
    return ApiError(404, "not.found", f"The requested {kind} {ident} was not found.")


def conflict(message: str, code: str = "conflict") -> ApiError:
    return ApiError(409, code, message)


def forbidden(permission: str, division: str | None = None) -> ApiError:
    where = f" in division {division}" if division else ""
    return ApiError(
        403,
        "missing.division.permission" if division else "missing.any.permissions",
        f"You are missing the following permission: {permission}{where}",
        params={"permission": permission},
    )
