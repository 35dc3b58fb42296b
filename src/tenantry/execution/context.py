"""What a batch handler works with: the client, the resolver, the journal and the guard rails."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantry.execution.guard import Guard
from tenantry.execution.journal import Journal
from tenantry.execution.resolver import Resolver
from tenantry.execution.secrets import write_secret_file
from tenantry.genesys import GenesysClient


@dataclass
class Context:
    client: GenesysClient
    resolver: Resolver
    journal: Journal
    guard: Guard
    secrets_dir: Path | None = None
    created_secrets: list[str] = field(default_factory=list)
    events: Any = None  # an events.sink.EventSink: told of every batch done or failed (local writes only)

    def save_secret(self, name: str, client_id: str, secret: str) -> str | None:
        if self.secrets_dir is None:
            return None
        path = str(write_secret_file(self.secrets_dir, name, client_id, secret))
        self.created_secrets.append(path)
        return path
