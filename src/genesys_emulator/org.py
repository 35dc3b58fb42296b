"""The whole emulated organization: plain dicts, so it persists as JSON and seeds at scale fast.

Area modules (`divisions/models.py`, `users/models.py`, …) hold the rules; this module holds the
state they share, the effective-access computation, and the timeline of access changes that
tests use to prove nobody held two tenants' access at once.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import ApiError, not_found

HOME_NAME = "Home"


def new_id() -> str:
    return str(uuid.uuid4())


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Org:
    """State of one org. Every field but the volatile ones is saved by `--state`."""

    name: str = "tenantry-emulator"
    division_limit: int = 1000
    home_division_id: str = ""
    divisions: dict[str, dict] = field(default_factory=dict)
    roles: dict[str, dict] = field(default_factory=dict)
    users: dict[str, dict] = field(default_factory=dict)
    # subject id -> {(role_id, division_id): grantMadeAt}
    grants: dict[str, dict[tuple[str, str], str]] = field(default_factory=lambda: defaultdict(dict))
    subject_types: dict[str, str] = field(default_factory=dict)
    groups: dict[str, dict] = field(default_factory=dict)
    group_members: dict[str, dict[str, None]] = field(default_factory=lambda: defaultdict(dict))
    queues: dict[str, dict] = field(default_factory=dict)
    queue_members: dict[str, dict[str, None]] = field(default_factory=lambda: defaultdict(dict))
    oauth_clients: dict[str, dict] = field(default_factory=dict)
    identity_providers: dict[str, dict] = field(default_factory=dict)
    conversations: list[dict] = field(default_factory=list)
    # org setting: directory search restricted by division (off on the platform by default)
    directory_restricted: bool = False
    # names of deleted roles and divisions: the grants they leave behind still render them
    deleted_names: dict[str, str] = field(default_factory=dict)
    # volatile (never saved)
    grant_versions: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    born: dict[str, float] = field(default_factory=dict)
    consistency_delay: float = 0.0
    # the platform's harsher habits, off by default so runs stay deterministic (see Quirks)
    stale_version_400: float = 0.0  # share of stale-version answers given as 400, not 409
    index_lag: float = 0.0  # seconds a new object stays out of listings and search
    index_lag_share: float = 1.0  # share of new objects that lag
    quirk_rng: random.Random = field(default_factory=lambda: random.Random(0))
    unindexed: dict[str, float] = field(default_factory=dict)  # object id -> when listings show it
    timeline: list[dict] = field(default_factory=list)
    record_timeline: bool = True
    epoch: int = 0  # bumped on every change that can alter a caller's permissions
    rev: int = 0  # bumped on every change; keys listing caches
    dirty: bool = False
    _email_index: dict[str, str] = field(default_factory=dict)
    _user_groups: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    # ---- identity helpers -------------------------------------------------------------
    def touch(self, authz: bool = False) -> None:
        self.dirty = True
        self.rev += 1
        if authz:
            self.epoch += 1

    def mark_born(self, object_id: str) -> None:
        if self.consistency_delay > 0:
            self.born[object_id] = time.monotonic()

    def settled(self, object_id: str) -> bool:
        """Eventual consistency: an object younger than the delay is not yet referable."""
        t = self.born.get(object_id)
        if t is None:
            return True
        if time.monotonic() - t >= self.consistency_delay:
            del self.born[object_id]
            return True
        return False

    def mark_indexed_later(self, object_id: str) -> None:
        """Listings and search lag behind a create (the platform's search index); GET by id does not."""
        if self.index_lag > 0 and self.quirk_rng.random() < self.index_lag_share:
            self.unindexed[object_id] = time.monotonic() + self.index_lag

    def indexed(self, object_id: str) -> bool:
        due = self.unindexed.get(object_id)
        if due is None:
            return True
        if time.monotonic() >= due:
            del self.unindexed[object_id]
            return True
        return False

    def version_mismatch(self, supplied: object, current: int) -> ApiError:
        """A stale version: 409, or (a seeded share of the time) the platform's 400 form."""
        message = f"The version supplied ({supplied}) does not match the current version ({current})."
        if self.stale_version_400 > 0 and self.quirk_rng.random() < self.stale_version_400:
            return ApiError(400, "bad.request", message)
        return ApiError(409, "general.conflict", message)

    def default_role_id(self) -> str | None:
        return next((r["id"] for r in self.roles.values() if r.get("default")), None)

    def name_of_role(self, role_id: str) -> str:
        role = self.roles.get(role_id)
        return role["name"] if role else self.deleted_names.get(role_id, "")

    def name_of_division(self, division_id: str) -> str:
        d = self.divisions.get(division_id)
        return d["name"] if d else self.deleted_names.get(division_id, "")

    def division(self, division_id: str, *, ref: bool = False) -> dict:
        d = self.divisions.get(division_id)
        if d is None or (ref and not self.settled(division_id)):
            raise not_found("division", division_id)
        return d

    def role(self, role_id: str, *, ref: bool = False) -> dict:
        r = self.roles.get(role_id)
        if r is None or (ref and not self.settled(role_id)):
            raise not_found("role", role_id)
        return r

    def group(self, group_id: str, *, ref: bool = False) -> dict:
        g = self.groups.get(group_id)
        if g is None or (ref and not self.settled(group_id)):
            raise not_found("group", group_id)
        return g

    def user(self, user_id: str, *, include_deleted: bool = False) -> dict:
        u = self.users.get(user_id)
        if u is None or (u["state"] == "deleted" and not include_deleted):
            raise not_found("user", user_id)
        return u

    def user_by_email(self, email: str) -> dict | None:
        uid = self._email_index.get(email.lower())
        return self.users.get(uid) if uid else None

    def index_user(self, user: dict) -> None:
        """Deleted users keep their email: it stays taken until the user is restored or purged."""
        self._email_index[user["email"].lower()] = user["id"]

    def user_groups(self, user_id: str) -> set[str]:
        return self._user_groups.get(user_id, set())

    def set_group_member(self, group_id: str, user_id: str, present: bool) -> None:
        members = self.group_members[group_id]
        if present:
            members[user_id] = None
            self._user_groups[user_id].add(group_id)
        else:
            members.pop(user_id, None)
            self._user_groups[user_id].discard(group_id)

    # ---- effective access -------------------------------------------------------------
    def queue_memberships(self, user_id: str) -> dict[str, str]:
        """queue id -> 'user' or 'group' for every queue the user is a member of."""
        out: dict[str, str] = {}
        groups = self.user_groups(user_id)
        for qid, q in self.queues.items():
            if user_id in self.queue_members.get(qid, ()):
                out[qid] = "user"
            elif groups and any(g in groups for g in q["memberGroups"]):
                out[qid] = "group"
        return out

    def user_grants(self, user_id: str) -> dict[tuple[str, str], str]:
        """Direct grants plus those inherited from role-enabled groups."""
        out = dict(self.grants.get(user_id, {}))
        for gid in self.user_groups(user_id):
            g = self.groups.get(gid)
            if g and g.get("rolesEnabled"):
                for key, made in self.grants.get(gid, {}).items():
                    out.setdefault(key, made)
        return out

    def access_divisions(self, user_id: str) -> list[str]:
        """Divisions a user can reach: by any grant of a role that still exists (a deleted role's
        grants linger but carry no permission), or by being a member of a queue there."""
        divs = {d for (r, d) in self.user_grants(user_id) if r in self.roles}
        for qid in self.queue_memberships(user_id):
            divs.add(self.queues[qid]["divisionId"])
        return sorted(divs)

    # ---- timeline ---------------------------------------------------------------------
    def record(self, subject_id: str, event: str, **detail: Any) -> None:
        if not self.record_timeline:
            return
        entry = {"seq": len(self.timeline), "ts": time.time(), "subjectId": subject_id, "event": event}
        entry.update(detail)
        if subject_id in self.users:
            entry["access"] = self.access_divisions(subject_id)
        self.timeline.append(entry)

    def record_group_change(self, group_id: str, event: str, **detail: Any) -> None:
        """A group's grants changed: every member's access changed with them."""
        self.record(group_id, event, **detail)
        for uid in list(self.group_members.get(group_id, ())):
            self.record(uid, event, viaGroup=group_id, **detail)

    # ---- persistence ------------------------------------------------------------------
    _SAVED = (
        "name",
        "division_limit",
        "home_division_id",
        "divisions",
        "roles",
        "users",
        "subject_types",
        "groups",
        "queues",
        "oauth_clients",
        "identity_providers",
        "conversations",
        "directory_restricted",
        "deleted_names",
    )

    def to_json(self) -> dict:
        data: dict[str, Any] = {k: getattr(self, k) for k in self._SAVED}
        data["grants"] = {
            s: [[r, d, made] for (r, d), made in g.items()] for s, g in self.grants.items() if g
        }
        data["group_members"] = {g: list(m) for g, m in self.group_members.items() if m}
        data["queue_members"] = {q: list(m) for q, m in self.queue_members.items() if m}
        return data

    @classmethod
    def from_json(cls, data: dict) -> Org:
        org = cls(**{k: data[k] for k in cls._SAVED if k in data})
        for s, rows in data.get("grants", {}).items():
            org.grants[s] = {(r, d): made for r, d, made in rows}
        for gid, members in data.get("group_members", {}).items():
            for uid in members:
                org.set_group_member(gid, uid, True)
        for qid, members in data.get("queue_members", {}).items():
            org.queue_members[qid] = dict.fromkeys(members)
        for u in org.users.values():
            org.index_user(u)
        return org

    def save(self, path: str | os.PathLike) -> None:
        tmp = Path(f"{path}.tmp")
        tmp.write_text(json.dumps(self.to_json()))
        os.replace(tmp, path)
        self.dirty = False

    @classmethod
    def load(cls, path: str | os.PathLike) -> Org:
        return cls.from_json(json.loads(Path(path).read_text()))
