"""SCIM errors (RFC 7644 §3.12): the SCIM error body and the SCIM media type."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from .urns import ERROR, MEDIA_TYPE


class ScimError(ApiError):
    """Answered in the SCIM error shape (RFC 7644 §3.12) with the SCIM media type."""

    def __init__(
        self,
        status: int,
        detail: str,
        scim_type: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, scim_type or "scim.error", detail, headers=headers)
        self.headers.setdefault("Content-Type", MEDIA_TYPE)
        self.scim_type = scim_type

    def body(self, correlation_id: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"schemas": [ERROR], "status": str(self.status)}
        if self.scim_type:
            out["scimType"] = self.scim_type
        out["detail"] = self.message
        return out


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidSyntax")


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


def invalid_path(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidPath")


def mutability(detail: str) -> ScimError:
    return ScimError(400, detail, "mutability")


def not_found(kind: str, ident: str) -> ScimError:
    return ScimError(404, f"{kind} {ident} not found.")


def from_api_error(err: ApiError) -> ScimError:
    """A platform error raised by shared code, re-shaped for a SCIM caller."""
    if isinstance(err, ScimError):
        return err
    scim_type = {400: "invalidValue", 409: "uniqueness"}.get(err.status)
    headers = {k: v for k, v in err.headers.items() if k.lower() != "content-type"}
    return ScimError(err.status, err.message, scim_type, headers=headers)
