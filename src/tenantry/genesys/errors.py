"""Typed errors: every failure a caller sees carries status, code, message and correlation id.

Callers branch on the class (NotFoundError, ConflictError, ...) instead of parsing text, and an
operator can quote the correlation id to Genesys support.
"""

from __future__ import annotations

from typing import Any

import httpx


class ConfigError(Exception):
    """Missing or unusable configuration; the message is one sentence a person can act on."""


class GenesysError(Exception):
    """An answer (or a lack of one) from Genesys Cloud that the client could not turn into success."""

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        correlation_id: str | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        body: Any = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.correlation_id = correlation_id
        self.method = method
        self.path = path
        self.body = body
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f" ({self.method} {self.path})" if self.method else ""
        cid = f" [correlation id {self.correlation_id}]" if self.correlation_id else ""
        status = self.status if self.status is not None else "no response"
        return f"{status} {self.code}: {self.message}{where}{cid}"


class BadRequestError(GenesysError):
    """400: the request itself is wrong; retrying it unchanged cannot help."""


class UnauthorizedError(GenesysError):
    """401 that survived one token refresh."""


class ForbiddenError(GenesysError):
    """403: the OAuth client lacks a permission (or the division scope) for this call."""


class NotFoundError(GenesysError):
    """404 that is not explained by eventual consistency."""


class ConflictError(GenesysError):
    """409, a 400 saying the version "does not match the current version", or SCIM invalidVers:
    the object changed underneath us; re-read and re-apply."""


class RateLimitedError(GenesysError):
    """429 still answered after every retry allowed by the policy."""


class ServerError(GenesysError):
    """5xx still answered after every retry allowed by the policy."""


class TransportError(GenesysError):
    """No HTTP answer at all (timeout, reset) after every retry allowed by the policy."""


class OutcomeUnknownError(TransportError):
    """A non-idempotent write failed in a way that leaves open whether it took effect.

    Raised instead of retrying so that the caller can look the object up by its natural key.
    """


class AuthenticationError(GenesysError):
    """The token endpoint rejected the client id or secret."""


_BY_STATUS: dict[int, type[GenesysError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    412: ConflictError,
    429: RateLimitedError,
}


VERSION_MISMATCH = "does not match the current version"


def is_version_mismatch(status: int, message: str) -> bool:
    """A stale version: 409, or the 400 form the platform also answers (Terraform's IsVersionMismatch)."""
    return status == 409 or (status == 400 and VERSION_MISMATCH in message.lower())


def error_from_response(response: httpx.Response, method: str, path: str) -> GenesysError:
    """Build the typed error for a non-2xx answer from its Genesys (or SCIM) error body."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    code = str(body.get("code") or body.get("scimType") or body.get("error") or "http.error")
    message = str(
        body.get("message")
        or body.get("detail")
        or body.get("error_description")
        or response.reason_phrase
        or "no message"
    )
    cls = _BY_STATUS.get(response.status_code)
    if body.get("scimType") == "invalidVers" or is_version_mismatch(response.status_code, message):
        cls = ConflictError
    if cls is None:
        cls = ServerError if response.status_code >= 500 else GenesysError
    return cls(
        response.status_code,
        code,
        message,
        correlation_id=response.headers.get("ININ-Correlation-Id") or body.get("contextId"),
        method=method,
        path=path,
        body=body,
    )
