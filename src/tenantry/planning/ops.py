"""Typed operations: every change a plan can hold, its resource kind and the shape of its items.

`Op` values are the strings plans have always used, so `batch.op == "user.move"` still holds and
saved plans keep their format. Each op names a pydantic model for its items: a saved plan (which
is untrusted input) is validated against them before anything runs. Pure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class Op(StrEnum):
    DIVISION_CREATE = "division.create"
    GROUP_CREATE = "group.create"
    GROUP_UPDATE = "group.update"
    GROUP_GRANTS_ADD = "group.grants.add"
    GROUP_GRANTS_REMOVE = "group.grants.remove"
    GROUP_MEMBERS_ADD = "group.members.add"
    GROUP_MEMBERS_REMOVE = "group.members.remove"
    QUEUE_CREATE = "queue.create"
    QUEUE_UPDATE = "queue.update"
    QUEUE_MOVE = "queue.move"
    QUEUE_MEMBERS_ADD = "queue.members.add"
    QUEUE_MEMBERS_REMOVE = "queue.members.remove"
    CLIENT_CREATE = "client.create"
    CLIENT_UPDATE = "client.update"
    SSO_PUT = "sso.put"
    USER_CREATE = "user.create"
    USER_UPDATE = "user.update"
    USER_MOVE = "user.move"
    USER_DEACTIVATE = "user.deactivate"
    USER_DELETE = "user.delete"
    USER_GRANTS_ADD = "user.grants.add"
    USER_GRANTS_REMOVE = "user.grants.remove"

    @property
    def kind(self) -> str:
        """The resource kind: division, group, queue, client, sso or user."""
        return self.value.split(".", 1)[0]

    @property
    def spec(self) -> OpSpec:
        return SPECS[self]


# ---- payloads: one model per shape of items --------------------------------------------------
class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupCreate(_Payload):
    description: str | None = ""


class GroupUpdate(_Payload):
    rolesEnabled: bool = True


class QueueCreate(_Payload):
    division: str = Field(min_length=1)
    groups: list[str] = Field(default_factory=list)
    description: str | None = ""


class QueueUpdate(_Payload):
    groups: list[str]


class ClientSpec(_Payload):
    grants: list[tuple[str, str]]
    ttl: int = Field(ge=300, le=172_800)
    description: str | None = ""
    state: Literal["active", "inactive"] | None = None  # None: left as it is


class UserCreate(_Payload):
    name: str = Field(min_length=1)
    division: str = Field(min_length=1)
    title: str | None = ""
    department: str | None = ""
    hr_id: str | None = ""  # written on the user as employerInfo.employeeId


class EmployerInfo(_Payload):
    employeeId: str = Field(min_length=1)


class UserPatch(_Payload):
    state: str | None = Field(default=None, pattern="^active$")
    name: str | None = None
    title: str | None = None
    department: str | None = None
    # the identity phase (planning.identity): an HR-anchored email change, an adopted user's HR id
    email: str | None = Field(default=None, min_length=3, max_length=320)
    employer_info: EmployerInfo | None = None


class SsoBody(BaseModel):
    """The SAML provider fields tenantry manages, by their API names."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    issuerURI: str
    ssoTargetURI: str
    certificate: str
    nameIdentifierFormat: str
    disabled: bool = False
    name: str | None = None
    relyingPartyIdentifier: str | None = None


Email = str
RolePair = tuple[str, str]  # (role name, division name)


@dataclass(frozen=True)
class OpSpec:
    """What every part of tenantry needs to know about one op."""

    items: TypeAdapter[Any]
    people_items: bool = False  # items are emails (memberships, moves): they are locked too
    person_target: bool = False  # the target is one person's email

    def validate(self, items: Any) -> list[Any]:
        """Items as plain JSON values, after checking their shape; raises pydantic's ValidationError."""
        value = self.items.validate_python(items)
        return json.loads(self.items.dump_json(value, exclude_unset=True))


_NONE = TypeAdapter(list[None])
_EMAILS = TypeAdapter(list[Email])
_PAIRS = TypeAdapter(list[RolePair])
_NAMES = TypeAdapter(list[str])


def _single(model: type[BaseModel]) -> TypeAdapter[Any]:
    """Ops whose items are exactly one payload object."""
    return TypeAdapter(Annotated[list[model], Field(min_length=1, max_length=1)])  # type: ignore[valid-type,arg-type]


SPECS: dict[Op, OpSpec] = {
    Op.DIVISION_CREATE: OpSpec(_NONE),
    Op.GROUP_CREATE: OpSpec(_single(GroupCreate)),
    Op.GROUP_UPDATE: OpSpec(_single(GroupUpdate)),
    Op.GROUP_GRANTS_ADD: OpSpec(_PAIRS),
    Op.GROUP_GRANTS_REMOVE: OpSpec(_PAIRS),
    Op.GROUP_MEMBERS_ADD: OpSpec(_EMAILS, people_items=True),
    Op.GROUP_MEMBERS_REMOVE: OpSpec(_EMAILS, people_items=True),
    Op.QUEUE_CREATE: OpSpec(_single(QueueCreate)),
    Op.QUEUE_UPDATE: OpSpec(_single(QueueUpdate)),
    Op.QUEUE_MOVE: OpSpec(_NAMES),
    Op.QUEUE_MEMBERS_ADD: OpSpec(_EMAILS, people_items=True),
    Op.QUEUE_MEMBERS_REMOVE: OpSpec(_EMAILS, people_items=True),
    Op.CLIENT_CREATE: OpSpec(_single(ClientSpec)),
    Op.CLIENT_UPDATE: OpSpec(_single(ClientSpec)),
    Op.SSO_PUT: OpSpec(_single(SsoBody)),
    Op.USER_CREATE: OpSpec(_single(UserCreate), person_target=True),
    Op.USER_UPDATE: OpSpec(_single(UserPatch), person_target=True),
    Op.USER_MOVE: OpSpec(_EMAILS, people_items=True),
    Op.USER_DEACTIVATE: OpSpec(_NONE, person_target=True),
    Op.USER_DELETE: OpSpec(_NONE, person_target=True),
    Op.USER_GRANTS_ADD: OpSpec(_PAIRS, person_target=True),
    Op.USER_GRANTS_REMOVE: OpSpec(_PAIRS, person_target=True),
}

PEOPLE_ITEM_OPS = frozenset(op for op, s in SPECS.items() if s.people_items)
KNOWN_OPS = frozenset(op.value for op in Op)


def is_op(value: object) -> bool:
    """A known op (works for plain strings on every Python version)."""
    return isinstance(value, str) and value in KNOWN_OPS
