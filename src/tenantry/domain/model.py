"""Domain types shared by the pure core (desired state, diff, plan, audit).

Plain frozen dataclasses with slots: a 50,000-user snapshot with 200,000 grants must fit in a
few hundred MB and be indexed in well under a second. Grants are (role id, division id) pairs;
`ALL_DIVISIONS` is the platform's `*`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from tenantry.domain.permissions import ADMIN_PERMISSIONS

ALL_DIVISIONS = "*"


class Grant(NamedTuple):
    role_id: str
    division_id: str


@dataclass(frozen=True, slots=True)
class Division:
    id: str
    name: str
    home: bool = False


@dataclass(frozen=True, slots=True)
class Policy:
    domain: str
    entity: str
    actions: tuple[str, ...]

    def allows(self, permission: str) -> bool:
        domain, entity, action = permission.split(":", 2)
        return (
            self.domain in (domain, "*")
            and self.entity in (entity, "*")
            and (action in self.actions or "*" in self.actions)
        )


DEFAULT_ROLE_NAMES = ("employee",)
"""Granted by the platform to every new user in its home division, by flag or (older snapshots) name."""


@dataclass(frozen=True, slots=True)
class Role:
    id: str
    name: str
    policies: tuple[Policy, ...] = ()
    default: bool = False  # the platform grants it to every new user in their home division

    def allows(self, permission: str) -> bool:
        return any(p.allows(permission) for p in self.policies)

    @property
    def admin_permissions(self) -> tuple[str, ...]:
        return tuple(p for p in ADMIN_PERMISSIONS if self.allows(p))


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    email: str
    division_id: str
    state: str = "active"  # active | inactive
    title: str = ""
    department: str = ""
    version: int = 1
    hr_id: str = ""  # employerInfo.employeeId: the person's anchor, whatever its email becomes


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    name: str
    roles_enabled: bool
    version: int
    member_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Queue:
    id: str
    name: str
    division_id: str
    member_group_ids: tuple[str, ...] = ()
    member_ids: frozenset[str] = frozenset()  # direct members only


@dataclass(frozen=True, slots=True)
class OAuthClient:
    id: str
    name: str
    role_divisions: frozenset[Grant] = frozenset()
    state: str = "active"  # inactive: it can mint no token (a retired tenant's client)


@dataclass(slots=True)
class Snapshot:
    """What tenantry read of an org. Built by `snapshot.read`, or by tests directly."""

    divisions: dict[str, Division] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    user_grants: dict[str, frozenset[Grant]] = field(default_factory=dict)  # direct grants
    groups: dict[str, Group] = field(default_factory=dict)
    group_grants: dict[str, frozenset[Grant]] = field(default_factory=dict)
    queues: dict[str, Queue] = field(default_factory=dict)
    oauth_clients: dict[str, OAuthClient] = field(default_factory=dict)
    identity_providers: dict[str, dict] = field(default_factory=dict)  # type (generic, okta…) -> settings
    inactive_unread: int = 0  # inactive users past the platform's paging cap
    self_client_id: str = ""  # the OAuth client tenantry runs as: always protected
    directory_open: bool | None = None  # any caller reads every user (the platform's default); None: unknown
    directory_probe: str = ""  # the tenant OAuth client whose reading of /users decided directory_open
    org: dict[str, str] = field(default_factory=dict)  # id and name, when the org says
    pool_client_ids: frozenset[str] = frozenset()  # every client of tenantry's own pool: protected too

    @property
    def home_division_id(self) -> str:
        return next((d.id for d in self.divisions.values() if d.home), "")

    def division_by_name(self) -> dict[str, Division]:
        return {d.name.lower(): d for d in self.divisions.values()}

    def role_by_name(self) -> dict[str, Role]:
        return {r.name.lower(): r for r in self.roles.values()}

    def user_by_email(self) -> dict[str, User]:
        return {u.email.lower(): u for u in self.users.values()}

    def user_by_hr_id(self) -> dict[str, User]:
        """Users anchored to an HR id (employerInfo.employeeId); deleted ones are never read."""
        return {u.hr_id: u for u in self.users.values() if u.hr_id}

    def is_platform_default(self, grant: Grant) -> bool:
        """The org's default role in the home division: the platform gives it to every new user
        and it cannot be removed, so tenantry neither revokes it nor counts it as a leak."""
        role = self.roles.get(grant.role_id)
        if role is None or not (role.default or role.name.casefold() in DEFAULT_ROLE_NAMES):
            return False
        home = self.home_division_id
        return not home or grant.division_id == home

    def managed_user_grants(self, user_id: str) -> frozenset[Grant]:
        """A user's direct grants without the platform's default one (see is_platform_default)."""
        return frozenset(g for g in self.user_grants.get(user_id, ()) if not self.is_platform_default(g))

    def groups_of_user(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for g in self.groups.values():
            for uid in g.member_ids:
                out.setdefault(uid, []).append(g.id)
        return out
