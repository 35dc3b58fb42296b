"""Pydantic models of the Genesys Cloud objects tenantry uses.

Field names follow the official SDK's `attribute_map` (camelCase on the wire, snake_case here).
Unknown fields are kept (`extra="allow"`) so that an object read and written back (a queue PUT)
loses nothing tenantry does not model.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic.alias_generators import to_camel


class GenesysModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    def to_api(self) -> dict[str, Any]:
        """The JSON body for a write: wire names, unset fields left out."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class EntityRef(GenesysModel):
    id: str
    name: str | None = None
    self_uri: str | None = None


class Division(GenesysModel):
    id: str
    name: str
    description: str | None = None
    home_division: bool | None = None
    object_counts: dict[str, int] | None = None


class EmployerInfo(GenesysModel):
    employee_id: str | None = None


class User(GenesysModel):
    id: str
    name: str | None = None
    email: str | None = None
    state: str | None = None
    version: int | None = None
    division: EntityRef | None = None
    department: str | None = None
    title: str | None = None
    username: str | None = None
    employer_info: EmployerInfo | None = None


class PermissionPolicy(GenesysModel):
    domain: str
    entity_name: str
    action_set: list[str] = Field(default_factory=list)


class Role(GenesysModel):
    id: str
    name: str
    description: str | None = None
    permissions: list[str] = Field(default_factory=list)
    permission_policies: list[PermissionPolicy] = Field(default_factory=list)
    default: bool | None = None
    base: bool | None = None


class RoleDivision(GenesysModel):
    """One grant in a bulk request, and one entry of an OAuth client's roleDivisions."""

    role_id: str
    division_id: str


class Grant(GenesysModel):
    subject_id: str | None = None
    role: EntityRef
    division: EntityRef
    grant_made_at: str | None = None

    @property
    def pair(self) -> RoleDivision:
        return RoleDivision(role_id=self.role.id, division_id=self.division.id)


class Subject(GenesysModel):
    """A user, group or OAuth client with the grants it holds (AuthzSubject)."""

    id: str
    name: str | None = None
    grants: list[Grant] = Field(default_factory=list)
    version: int | None = None

    @property
    def direct_grants(self) -> list[Grant]:
        """The grants the subject holds itself. A user's view also lists those it inherits from
        its groups, each with the group's id as subjectId: they are the group's, not the user's."""
        return [g for g in self.grants if g.subject_id in (None, self.id)]


class SubjectDivisionGrants(GenesysModel):
    """One subject holding a role, from GET /roles/{id}/subjectgrants."""

    id: str
    name: str | None = None
    type: str | None = None
    divisions: list[EntityRef] = Field(default_factory=list)


class Group(GenesysModel):
    id: str
    name: str
    description: str | None = None
    state: str | None = None
    version: int | None = None
    type: str | None = None
    visibility: str | None = None
    roles_enabled: bool | None = None
    member_count: int | None = None


class MemberGroup(GenesysModel):
    id: str
    type: str = "GROUP"
    name: str | None = None


class Queue(GenesysModel):
    id: str
    name: str
    division: EntityRef | None = None
    description: str | None = None
    member_count: int | None = None
    member_groups: list[MemberGroup] = Field(default_factory=list)


class QueueMember(GenesysModel):
    id: str
    name: str | None = None
    member_by: str | None = None
    joined: bool | None = None


class OAuthClient(GenesysModel):
    id: str
    name: str
    description: str | None = None
    authorized_grant_type: str | None = None
    role_divisions: list[RoleDivision] = Field(default_factory=list)
    access_token_validity_seconds: int | None = None
    state: str | None = None
    secret: SecretStr | None = None
    """Returned once, on create (or on regenerating the secret); never printed."""


class IdentityProvider(GenesysModel):
    id: str | None = None
    name: str | None = None
    disabled: bool | None = None
    issuer_uri: str | None = Field(default=None, alias="issuerURI")
    sso_target_uri: str | None = Field(default=None, alias="ssoTargetURI")
    slo_uri: str | None = Field(default=None, alias="sloURI")
    relying_party_identifier: str | None = None
    certificate: str | None = None
    certificates: list[str] | None = None
    name_identifier_format: str | None = None


class ConversationDetail(GenesysModel):
    conversation_id: str
    conversation_start: str | None = None
    conversation_end: str | None = None
    division_ids: list[str] = Field(default_factory=list)
    participants: list[dict[str, Any]] = Field(default_factory=list)


SCIM_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCIM_GENESYS = "urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User"
SCIM_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class ScimMeta(GenesysModel):
    resource_type: str | None = None
    last_modified: str | None = None
    location: str | None = None
    version: str | None = None


class ScimUser(GenesysModel):
    id: str | None = None
    schemas: list[str] = Field(default_factory=lambda: [SCIM_USER_SCHEMA])
    active: bool | None = None
    user_name: str | None = None
    display_name: str | None = None
    title: str | None = None
    emails: list[dict[str, Any]] | None = None
    external_id: str | None = None
    groups: list[dict[str, Any]] | None = None
    roles: list[dict[str, Any]] | None = None
    enterprise: dict[str, Any] | None = Field(default=None, alias=SCIM_ENTERPRISE)
    genesys: dict[str, Any] | None = Field(default=None, alias=SCIM_GENESYS)
    meta: ScimMeta | None = None

    @property
    def division_name(self) -> str | None:
        return (self.enterprise or {}).get("division")


class ScimGroup(GenesysModel):
    id: str
    display_name: str | None = None
    external_id: str | None = None
    members: list[dict[str, Any]] | None = None
    meta: ScimMeta | None = None
