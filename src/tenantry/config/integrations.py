"""The parts of tenants.yaml that connect tenantry to other systems: event subscribers (webhooks,
the audit log) and the IdP sources that push SCIM to `tenantry serve`."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from tenantry.config.base import Strict

__all__ = ["SOURCE_NAME", "EventsSettings", "SourceSpec", "WebhookSpec"]


class WebhookSpec(Strict):
    """A subscriber: where events go, which types, and the environment variable holding its secret."""

    url: str
    events: Annotated[list[str], Field(min_length=1)] = ["*"]
    secret_env: str

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://[^\s/]+", v):
            raise ValueError("must be an http:// or https:// URL")
        return v

    @field_validator("events")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        from tenantry.events.types import EVENT_TYPES

        bad = [t for t in v if t != "*" and t not in EVENT_TYPES]
        if bad:
            raise ValueError(f"unknown event type {bad[0]!r}; one of *, {', '.join(EVENT_TYPES)}")
        return v

    @field_validator("secret_env")
    @classmethod
    def _env_name(cls, v: str) -> str:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", v):
            raise ValueError("must name an environment variable (letters, digits, _), not hold the secret")
        return v


class EventsSettings(Strict):
    """Where events go besides the journal: a JSON-lines audit log and webhook subscribers."""

    audit_log: str | None = None
    webhooks: list[WebhookSpec] = Field(default_factory=list)


SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class SourceSpec(Strict):
    """An IdP pushing SCIM to `tenantry serve` at /scim/v2/<name>: its bearer token comes from an
    environment variable or a file (never from tenants.yaml itself), and it may feed only `tenants`."""

    kind: Literal["entra", "okta", "generic"] = "generic"
    token_env: str | None = None
    token_file: str | None = None
    tenants: Annotated[list[str], Field(min_length=1)]
    rate_limit: str = Field("50/1s", pattern=r"^\d+/\d+(\.\d+)?s$")

    @model_validator(mode="after")
    def _one_token(self) -> SourceSpec:
        if (self.token_env is None) == (self.token_file is None):
            raise ValueError("give exactly one of token_env, token_file")
        return self

    def token(self, base: Path) -> str | None:
        """The bearer token, or None when its variable or file is missing or empty."""
        if self.token_env is not None:
            return os.environ.get(self.token_env) or None
        path = base / str(self.token_file)
        try:
            return path.read_text().strip() or None
        except OSError:
            return None
