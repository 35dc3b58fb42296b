"""The base of every tenants.yaml model: unknown keys are errors (a misspelt key must never be
silently ignored), and a loaded config cannot change under the code that reads it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
