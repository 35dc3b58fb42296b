"""A saved plan on disk: a pydantic model, validated when loaded, because a file can be edited.

Validation covers the schema, the known ops and the shape of each op's items, the phase each
batch sits in, and each batch id (a batch's id is its content, so an edited batch shows). Whether
a batch is one tenantry would plan at all is decided later, against tenants.yaml and the org
(services.tenants.vet_saved), since this file alone cannot be trusted to say.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tenantry.errors import InputError, Problem
from tenantry.planning.batching import PHASES, batch_id
from tenantry.planning.ops import Op

FORMAT = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BatchFile(_Model):
    id: str = Field(pattern=r"^[0-9a-f]{20}$")
    op: Op
    target: str = Field(min_length=1, max_length=1000)
    items: list[Any]
    tenant: str | None = None

    @model_validator(mode="after")
    def _items_fit_op(self) -> BatchFile:
        try:
            self.items = self.op.spec.validate(self.items)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in ("items", *first["loc"]))
            raise ValueError(f"{where}: {first['msg']} (the items of a {self.op} batch)") from None
        return self


class PhaseFile(_Model):
    name: Literal[PHASES]  # type: ignore[valid-type]
    batches: list[BatchFile]

    @model_validator(mode="after")
    def _ids_match(self) -> PhaseFile:
        for i, b in enumerate(self.batches):
            if batch_id(self.name, b.op, b.target, b.items) != b.id:
                raise ValueError(f"batches.{i}: the id {b.id} does not match the batch's content (edited?)")
        return self


class SummaryFile(_Model):
    changes: int = Field(ge=0)
    managed_users: int = Field(ge=0)
    revoked_users: int = Field(ge=0)
    tenants: dict[str, dict[str, int]]


class PlanFile(_Model):
    format: Literal[1]
    fingerprint: str
    summary: SummaryFile
    warnings: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # facts shown with the plan (SSO certificates)
    unmatched: list[str] = Field(default_factory=list)  # people of the feed in no tenant, holding nothing
    errors: list[str] = Field(default_factory=list)
    leavers_started: list[str] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)  # informative only: never trusted
    reasons: dict[str, Any] = Field(default_factory=dict)
    phases: list[PhaseFile]
    signature: str | None = None

    @field_validator("phases")
    @classmethod
    def _phase_order(cls, v: list[PhaseFile]) -> list[PhaseFile]:
        order = [PHASES.index(p.name) for p in v]
        if order != sorted(set(order)):
            raise ValueError("phases must appear once each, in tenantry's order: " + ", ".join(PHASES))
        return v


def parse(text: str, source: str) -> PlanFile:
    """The plan file's model; InputError naming file, line and field otherwise."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(source, exc.lineno, "", f"not valid JSON: {exc.msg}")]) from None
    except RecursionError:
        raise InputError([Problem(source, None, "", "not valid JSON: nested too deeply")]) from None
    if not isinstance(data, dict):
        raise InputError([Problem(source, 1, "", "not a tenantry plan (a JSON object is expected)")])
    try:
        return PlanFile.model_validate(data)
    except ValidationError as exc:
        raise InputError([_problem(source, text, data, e) for e in exc.errors()[:20]]) from None


def _problem(source: str, text: str, data: dict[str, Any], err: Any) -> Problem:
    loc = tuple(err["loc"])
    field = ".".join(str(p) for p in loc)
    msg = str(err["msg"]).removeprefix("Value error, ")
    return Problem(source, _line(text, data, loc), field, msg)


def _line(text: str, data: dict[str, Any], loc: tuple[Any, ...]) -> int | None:
    """The line of a batch (found by its id) or of a top-level key; None when neither shows."""
    node: Any = data
    batch: Any = None
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and "op" in node and "id" in node:
            batch = node
    needle = f'"{batch["id"]}"' if isinstance(batch, dict) and isinstance(batch.get("id"), str) else None
    needle = needle or (f'"{loc[0]}"' if loc else None)
    if needle is None:
        return None
    m = re.search(re.escape(needle), text)
    return text.count("\n", 0, m.start()) + 1 if m else None
