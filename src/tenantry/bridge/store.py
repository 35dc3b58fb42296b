"""The bridge's store: each source's IdP users and groups in the journal database, surviving restarts.

SQLAlchemy on the journal's URL (SQLite by default, PostgreSQL for teams); the tables are created
and upgraded by Alembic. Resources are kept as their cleaned SCIM JSON plus the indexed columns
filters need; every write bumps `version` (the ETag). A hard-deleted user keeps a tombstone so
the next reconcile treats it as a leaver. Changing SCIM requests are recorded in
`bridge_requests` (source, resource, operation, outcome) so access can be explained later.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from tenantry.bridge import mapping
from tenantry.bridge.schema import ScimError
from tenantry.bridge.tables import groups, members, requests, users
from tenantry.execution.journal import Journal
from tenantry.inputs.people import Person

MIGRATIONS = Path(__file__).parent / "migrations"


class StaleWrite(ScimError):
    """Someone wrote the resource since it was read (optimistic concurrency)."""

    def __init__(self, kind: str) -> None:
        super().__init__(412, f"the {kind} changed since it was read; retry")


@dataclass(frozen=True)
class Row:
    id: str
    version: int
    created: float
    modified: float
    data: dict[str, Any]
    deleted: bool = False


def migrate(engine: Engine) -> None:
    """Alembic upgrade to head on the store's own version table."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _user_row(r: Any) -> Row:
    return Row(r.id, r.version, r.created, r.modified, json.loads(r.data), r.deleted_at is not None)


def _group_row(r: Any) -> Row:
    return Row(r.id, r.version, r.created, r.modified, json.loads(r.data))


def _email(data: dict[str, Any]) -> str | None:
    return mapping.email_of(data) or None


class Store:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.engine: Engine = journal.engine
        migrate(self.engine)

    # ---- users ------------------------------------------------------------------------------
    def _user_conflict(self, c: Connection, source: str, name: str, own: str | None) -> None:
        q = select(users.c.id).where(
            users.c.source == source, users.c.user_name == name.lower(), users.c.deleted_at.is_(None)
        )
        if any(r.id != own for r in c.execute(q)):
            raise ScimError(409, f"a user with userName {name!r} already exists", "uniqueness")

    def create_user(self, source: str, data: dict[str, Any]) -> Row:
        now, uid = time.time(), uuid.uuid4().hex
        with self.engine.begin() as c:
            self._user_conflict(c, source, data["userName"], None)
            c.execute(insert(users).values(source=source, id=uid, version=1, created=now, **self._cols(data)))
        return Row(uid, 1, now, now, data)

    @staticmethod
    def _cols(data: dict[str, Any]) -> dict[str, Any]:
        return {
            "user_name": data["userName"].lower(),
            "external_id": data.get("externalId"),
            "email": _email(data),
            "active": bool(data.get("active", True)),
            "modified": time.time(),
            "data": json.dumps(data),
        }

    def get_user(self, source: str, uid: str, *, deleted: bool = False) -> Row | None:
        q = select(users).where(users.c.source == source, users.c.id == uid)
        if not deleted:
            q = q.where(users.c.deleted_at.is_(None))
        with self.engine.begin() as c:
            r = c.execute(q).first()
        return _user_row(r) if r else None

    def replace_user(self, source: str, uid: str, data: dict[str, Any], version: int) -> Row:
        """Optimistic: the write happens only if nobody wrote since `version` was read."""
        with self.engine.begin() as c:
            self._user_conflict(c, source, data["userName"], uid)
            res = c.execute(
                update(users)
                .where(users.c.source == source, users.c.id == uid, users.c.version == version)
                .values(version=version + 1, **self._cols(data))
            )
            if res.rowcount != 1:
                raise StaleWrite("user")
        got = self.get_user(source, uid)
        assert got is not None
        return got

    def delete_user(self, source: str, uid: str) -> None:
        """A tombstone (a leaver from now on); memberships dropped."""
        with self.engine.begin() as c:
            c.execute(
                update(users)
                .where(users.c.source == source, users.c.id == uid)
                .values(deleted_at=time.time(), active=False, version=users.c.version + 1)
            )
            c.execute(delete(members).where(members.c.source == source, members.c.user_id == uid))

    def find_users(
        self,
        source: str,
        column: str | None = None,
        value: str | None = None,
        *,
        ids: list[str] | None = None,
    ) -> list[Row]:
        """Users of a source in a stable order (creation, id), optionally by one indexed column."""
        q = select(users).where(users.c.source == source, users.c.deleted_at.is_(None))
        if column is not None and value is not None:
            col = users.c[column]
            q = q.where(col == (value.lower() if column in ("user_name", "email") else value))
        if ids is not None:
            q = q.where(users.c.id.in_(ids))
        with self.engine.begin() as c:
            return [_user_row(r) for r in c.execute(q.order_by(users.c.created, users.c.id))]

    def page_users(self, source: str, offset: int, limit: int) -> list[Row]:
        q = (
            select(users)
            .where(users.c.source == source, users.c.deleted_at.is_(None))
            .order_by(users.c.created, users.c.id)
            .offset(offset)
            .limit(limit)
        )
        with self.engine.begin() as c:
            return [_user_row(r) for r in c.execute(q)]

    def count_users(self, source: str) -> int:
        with self.engine.begin() as c:
            q = select(func.count()).where(users.c.source == source, users.c.deleted_at.is_(None))
            return int(c.execute(q).scalar_one())

    def user_by_email(self, email: str) -> tuple[str, Row] | None:
        """(source, user) of a person, tombstones included (a deleted person is a leaver)."""
        q = select(users).where(users.c.email == email.lower()).order_by(users.c.deleted_at.is_not(None))
        with self.engine.begin() as c:
            r = c.execute(q).first()
        return (r.source, _user_row(r)) if r else None

    # ---- groups -----------------------------------------------------------------------------
    def create_group(self, source: str, data: dict[str, Any], member_ids: dict[str, str | None]) -> Row:
        now, gid = time.time(), uuid.uuid4().hex
        with self.engine.begin() as c:
            self._group_conflict(c, source, data["displayName"], None)
            c.execute(
                insert(groups).values(source=source, id=gid, version=1, created=now, **self._gcols(data))
            )
            self._set_members(c, source, gid, member_ids)
        return Row(gid, 1, now, now, data)

    def _group_conflict(self, c: Connection, source: str, name: str, own: str | None) -> None:
        q = select(groups.c.id).where(groups.c.source == source, groups.c.display_name == name.lower())
        if any(r.id != own for r in c.execute(q)):
            raise ScimError(409, f"a group named {name!r} already exists", "uniqueness")

    @staticmethod
    def _gcols(data: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in data.items() if k != "members"}
        return {
            "display_name": data["displayName"].lower(),
            "external_id": data.get("externalId"),
            "modified": time.time(),
            "data": json.dumps(kept),
        }

    def get_group(self, source: str, gid: str) -> Row | None:
        with self.engine.begin() as c:
            r = c.execute(select(groups).where(groups.c.source == source, groups.c.id == gid)).first()
        return _group_row(r) if r else None

    def replace_group(
        self, source: str, gid: str, data: dict[str, Any], member_ids: dict[str, str | None], version: int
    ) -> Row:
        with self.engine.begin() as c:
            self._group_conflict(c, source, data["displayName"], gid)
            res = c.execute(
                update(groups)
                .where(groups.c.source == source, groups.c.id == gid, groups.c.version == version)
                .values(version=version + 1, **self._gcols(data))
            )
            if res.rowcount != 1:
                raise StaleWrite("group")
            self._set_members(c, source, gid, member_ids)
        got = self.get_group(source, gid)
        assert got is not None
        return got

    def member_ids(self, source: str, gid: str, among: set[str]) -> set[str]:
        """Which of `among` are members of the group (without reading the others)."""
        if not among:
            return set()
        q = select(members.c.user_id).where(
            members.c.source == source, members.c.group_id == gid, members.c.user_id.in_(among)
        )
        with self.engine.begin() as c:
            return {r.user_id for r in c.execute(q)}

    def change_members(
        self, source: str, gid: str, add: dict[str, str | None], remove: set[str], version: int
    ) -> Row:
        """Add and remove some members only (a big group's PATCH stays as cheap as a small one's)."""
        with self.engine.begin() as c:
            res = c.execute(
                update(groups)
                .where(groups.c.source == source, groups.c.id == gid, groups.c.version == version)
                .values(version=version + 1, modified=time.time())
            )
            if res.rowcount != 1:
                raise StaleWrite("group")
            if remove:
                c.execute(
                    delete(members).where(
                        members.c.source == source, members.c.group_id == gid, members.c.user_id.in_(remove)
                    )
                )
            if add:
                c.execute(
                    delete(members).where(
                        members.c.source == source,
                        members.c.group_id == gid,
                        members.c.user_id.in_(list(add)),
                    )
                )
                rows = [
                    {"source": source, "group_id": gid, "user_id": u, "display": d} for u, d in add.items()
                ]
                c.execute(insert(members), rows)
        got = self.get_group(source, gid)
        assert got is not None
        return got

    def delete_group(self, source: str, gid: str) -> None:
        with self.engine.begin() as c:
            c.execute(delete(members).where(members.c.source == source, members.c.group_id == gid))
            c.execute(delete(groups).where(groups.c.source == source, groups.c.id == gid))

    def find_groups(self, source: str, column: str | None = None, value: str | None = None) -> list[Row]:
        q = select(groups).where(groups.c.source == source)
        if column is not None and value is not None and column in ("display_name", "external_id", "id"):
            q = q.where(groups.c[column] == (value.lower() if column == "display_name" else value))
        elif column is not None:
            return []  # an indexed user column: no group has it
        with self.engine.begin() as c:
            return [_group_row(r) for r in c.execute(q.order_by(groups.c.created, groups.c.id))]

    def count_groups(self, source: str) -> int:
        with self.engine.begin() as c:
            return int(c.execute(select(func.count()).where(groups.c.source == source)).scalar_one())

    # ---- memberships ------------------------------------------------------------------------
    @staticmethod
    def _set_members(c: Connection, source: str, gid: str, member_ids: dict[str, str | None]) -> None:
        """The group's members become `member_ids` (user id → display as sent, or None)."""
        have = {
            r.user_id: r.display
            for r in c.execute(
                select(members.c.user_id, members.c.display).where(
                    members.c.source == source, members.c.group_id == gid
                )
            )
        }
        want = set(member_ids)
        gone = set(have) - want
        changed = [u for u in want & set(have) if member_ids[u] is not None and member_ids[u] != have[u]]
        for u in changed:
            c.execute(
                update(members)
                .where(members.c.source == source, members.c.group_id == gid, members.c.user_id == u)
                .values(display=member_ids[u])
            )
        if gone:
            c.execute(
                delete(members).where(
                    members.c.source == source, members.c.group_id == gid, members.c.user_id.in_(gone)
                )
            )
        new = [
            {"source": source, "group_id": gid, "user_id": u, "display": member_ids[u]}
            for u in sorted(want - set(have))
        ]
        if new:
            c.execute(insert(members), new)

    def members_of(self, source: str, gids: list[str]) -> dict[str, list[dict[str, str]]]:
        """group id → [{value, display}] (display: as the IdP sent it, else the member's userName)."""
        q = (
            select(members.c.group_id, members.c.display, users.c.id, users.c.data)
            .join(users, and_(users.c.source == members.c.source, users.c.id == members.c.user_id))
            .where(members.c.source == source, members.c.group_id.in_(gids))
            .order_by(users.c.created, users.c.id)
        )
        out: dict[str, list[dict[str, str]]] = {g: [] for g in gids}
        with self.engine.begin() as c:
            for r in c.execute(q):
                display = r.display or json.loads(r.data).get("userName", "")
                out[r.group_id].append({"value": r.id, "display": display})
        return out

    def groups_of(self, source: str, uids: list[str]) -> dict[str, list[dict[str, str]]]:
        """user id → [{value, display}] of its groups."""
        q = (
            select(members.c.user_id, groups.c.id, groups.c.data)
            .join(groups, and_(groups.c.source == members.c.source, groups.c.id == members.c.group_id))
            .where(members.c.source == source, members.c.user_id.in_(uids))
            .order_by(groups.c.created, groups.c.id)
        )
        out: dict[str, list[dict[str, str]]] = {u: [] for u in uids}
        with self.engine.begin() as c:
            for r in c.execute(q):
                name = json.loads(r.data).get("displayName", "")
                out[r.user_id].append({"value": r.id, "display": name, "type": "direct"})
        return out

    # ---- people -----------------------------------------------------------------------------
    def people(self, source: str) -> list[Person]:
        """Everyone the source knows, as Persons (tombstones as leavers)."""
        with self.engine.begin() as c:
            rows = list(c.execute(select(users).where(users.c.source == source).order_by(users.c.created)))
            names = {
                r.id: json.loads(r.data).get("displayName", "")
                for r in c.execute(select(groups).where(groups.c.source == source))
            }
            held: dict[str, set[str]] = {}
            for m in c.execute(select(members).where(members.c.source == source)):
                if m.group_id in names:
                    held.setdefault(m.user_id, set()).add(names[m.group_id])
        out, seen = [], set()
        for r in sorted(rows, key=lambda r: r.deleted_at is not None):  # a live user wins over a tombstone
            p = mapping.person(
                source,
                r.id,
                json.loads(r.data),
                frozenset(held.get(r.id, ())),
                deleted=r.deleted_at is not None,
            )
            if p is not None and p.email not in seen:
                seen.add(p.email)
                out.append(p)
        return out

    # ---- the record of changes ----------------------------------------------------------------
    def record(
        self,
        source: str,
        method: str,
        resource: str,
        rid: str | None,
        operation: str,
        status: int,
        outcome: str,
    ) -> None:
        with self.engine.begin() as c:
            c.execute(
                insert(requests).values(
                    at=time.time(),
                    source=source,
                    method=method,
                    resource=resource,
                    resource_id=rid,
                    operation=operation[:200],
                    status=status,
                    outcome=outcome[:2000],
                )
            )

    def history(self, source: str | None = None, resource_id: str | None = None) -> list[dict[str, Any]]:
        q = select(requests).order_by(requests.c.seq)
        if source is not None:
            q = q.where(requests.c.source == source)
        if resource_id is not None:
            q = q.where(requests.c.resource_id == resource_id)
        with self.engine.begin() as c:
            return [dict(r._mapping) for r in c.execute(q)]
