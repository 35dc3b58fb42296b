"""Request bodies as pydantic models, with one mapping of a validation failure to the platform's
400 error body: the shape is declared once instead of checked by hand in every handler.

Models are strict (no "300" read as 300, no 1 read as "1") and ignore fields they do not name,
as the platform does with fields it does not know.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, ValidationError

from .errors import ApiError

M = TypeVar("M", bound=BaseModel)


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must be a non-empty string")
    return value


Text = Annotated[str, AfterValidator(_non_blank)]


class Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", populate_by_name=True)


class RoleDivision(Body):
    role_id: str = Field(alias="roleId")
    division_id: str = Field(alias="divisionId")


class Grants(Body):
    """POST …/subjects/{id}/bulkadd|bulkremove|bulkreplace."""

    grants: list[RoleDivision]

    def pairs(self) -> list[tuple[str, str]]:
        return [(g.role_id, g.division_id) for g in self.grants]


class RoleDivisions(RootModel[list[RoleDivision]]):
    """An OAuth client's roleDivisions."""

    model_config = ConfigDict(strict=True)


class MemberIds(Body):
    """POST /groups/{id}/members: ids and the group's version (checked by the rules)."""

    member_ids: list[str] = Field(alias="memberIds", min_length=1)
    version: Any = None


class QueueMember(Body):
    id: str


class QueueMembers(RootModel[list[QueueMember]]):
    """POST /routing/queues/{id}/members: `[{"id": …}]`."""

    model_config = ConfigDict(strict=True)


class Policy(Body):
    domain: str = Field(min_length=1)
    entity_name: str = Field(alias="entityName", min_length=1)
    action_set: list[str] = Field(alias="actionSet")


class Policies(RootModel[list[Policy]]):
    model_config = ConfigDict(strict=True)


class CreateUser(Body):
    """POST /users (the SDK's CreateUser, the fields this emulator keeps)."""

    name: Text
    email: Text
    division_id: str | None = Field(default=None, alias="divisionId")
    title: str | None = None
    department: str | None = None
    state: str | None = None
    password: str | None = Field(default=None, min_length=8)
    employer_info: dict[str, str] | None = Field(default=None, alias="employerInfo")


Visibility = Literal["public", "members", "owners"]


class GroupBody(Body):
    """POST /groups (the platform ignores `description` here: it is set by a PUT)."""

    name: Text
    type: Literal["official", "social"] = "official"
    visibility: Visibility = "public"
    roles_enabled: bool = Field(default=False, alias="rolesEnabled")


class GroupUpdate(Body):
    """PUT /groups/{id}: the SDK's GroupUpdate, which has no `type` (a sent one is ignored)."""

    name: Text
    version: Any = None
    description: str | None = None
    visibility: Visibility | None = None
    roles_enabled: bool | None = Field(default=None, alias="rolesEnabled")


class Ref(Body):
    id: str


class MemberGroup(Body):
    id: str
    type: Literal["GROUP", "TEAM", "SKILLGROUP"] = "GROUP"


class QueueBody(Body):
    """POST and PUT /routing/queues (the fields this emulator keeps; a PUT replaces them)."""

    name: Text
    division: Ref | None = None
    member_groups: list[MemberGroup] | None = Field(default=None, alias="memberGroups")
    description: str | None = None


class OAuthClientBody(Body):
    """POST and PUT /oauth/clients (the SDK's OAuthClientRequest); roleDivisions and the token
    lifetime are checked by the rules, which know the org and the bounds."""

    name: Text
    authorized_grant_type: Literal["CLIENT-CREDENTIALS", "CODE", "TOKEN", "SAML2-BEARER", "PASSWORD"] = Field(
        default="CLIENT-CREDENTIALS", alias="authorizedGrantType"
    )
    description: str | None = None
    state: Literal["active", "disabled", "inactive"] | None = None


class DivisionBody(Body):
    """POST and PUT /authorization/divisions."""

    name: str = Field(min_length=1)
    description: str | None = None


def _where(loc: tuple[Any, ...], prefix: str) -> str:
    parts = [prefix] if prefix else []
    for p in loc:
        if isinstance(p, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{p}]"]
        else:
            parts.append(str(p))
    return ".".join(parts) or "body"


def validate(model: type[M], data: Any, *, where: str = "") -> M:
    """The body as `model`, or a 400 `invalid.value` naming the first bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _where(tuple(x for x in first["loc"] if x != "root"), where)
        raise ApiError(400, "invalid.value", f"{field}: {first['msg']}.") from None
