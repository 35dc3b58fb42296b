"""Carry out a Plan: batch by batch, phase by phase, every batch journaled before and after.

Within a phase, batches on different objects run concurrently (bounded); batches on one object
run one after another. A phase with a failed batch stops the run before the next phase: a mover
whose revocation failed is never granted its new tenant. A rerun re-plans from a fresh snapshot
and so converges; every operation here is written to be safe to repeat.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantry.domain.model import ALL_DIVISIONS, Snapshot
from tenantry.execution.journal import Journal
from tenantry.genesys import GenesysClient, GenesysError
from tenantry.genesys.api import (
    divisions,
    grants,
    groups,
    identity_providers,
    oauth_clients,
    queues,
    roles,
    users,
)
from tenantry.genesys.models import RoleDivision
from tenantry.planning.plan import Batch, Plan


class GuardError(Exception):
    """A batch that a guard rail forbids; it never reaches the API."""


@dataclass
class Guard:
    """Guard rails applied to every batch, whatever produced the plan (a saved file can be edited)."""

    org_admins: frozenset[str] = frozenset()
    protected: frozenset[str] = frozenset()

    def check(self, batch: Batch) -> None:
        target = batch.target.lower()
        if target in self.protected:
            raise GuardError(f"{batch.op} on {batch.target}: protected subjects are never changed")
        if batch.op in (
            "group.members.add",
            "group.members.remove",
            "queue.members.add",
            "queue.members.remove",
            "user.move",
        ):
            hit = sorted(e for e in batch.items if e.lower() in self.protected)
            if hit:
                raise GuardError(f"{batch.op} on {batch.target}: protected subjects {', '.join(hit)}")
        if batch.op.endswith("grants.add") or batch.op in ("client.create", "client.update"):
            pairs = batch.items[0]["grants"] if batch.op.startswith("client.") else batch.items
            if any(d == ALL_DIVISIONS for _r, d in pairs) and not (
                batch.op == "user.grants.add" and target in self.org_admins
            ):
                raise GuardError(
                    f"{batch.op} on {batch.target}: a grant on all divisions (*) is only "
                    "for the configured org admins"
                )
        if batch.op == "division.delete":
            raise GuardError("tenantry never deletes divisions")


class Resolver:
    """Natural keys → ids. Seeded from a snapshot when there is one; otherwise (a worker) it looks
    objects up through the API on first use and caches them; creates teach it new ids."""

    def __init__(self, client: GenesysClient, snap: Snapshot | None = None) -> None:
        self.client = client
        self.ids: dict[tuple[str, str], str] = {}
        self.versions: dict[str, int] = {}
        self._loaded: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        if snap is not None:
            for d in snap.divisions.values():
                self.learn("division", d.name, d.id)
            for r in snap.roles.values():
                self.learn("role", r.name, r.id)
            for g in snap.groups.values():
                self.learn("group", g.name, g.id)
            for q in snap.queues.values():
                self.learn("queue", q.name, q.id)
            for c in snap.oauth_clients.values():
                self.learn("client", c.name, c.id)
            for u in snap.users.values():
                self.learn("user", u.email, u.id)
            self._loaded = {"division", "role", "group", "queue", "client", "user"}

    def learn(self, kind: str, key: str, object_id: str) -> None:
        self.ids[(kind, key.lower())] = object_id

    async def _load(self, kind: str) -> None:
        loaders: dict[str, Callable[[], Any]] = {
            "division": lambda: divisions.list_divisions(self.client),
            "role": lambda: roles.list_roles(self.client),
            "group": lambda: groups.list_groups(self.client),
            "queue": lambda: queues.list_queues(self.client),
            "client": lambda: oauth_clients.list_oauth_clients(self.client),
        }
        for obj in await loaders[kind]():
            self.learn(kind, obj.name, obj.id)

    async def get(self, kind: str, key: str, *, required: bool = True) -> str | None:
        found = self.ids.get((kind, key.lower()))
        if found is not None:
            return found
        async with self._locks[kind]:
            found = self.ids.get((kind, key.lower()))
            if found is None and kind == "user":
                u = await users.find_user_by_email(self.client, key)
                if u is not None:
                    self.learn("user", key, u.id)
            elif found is None:
                await self._load(kind)
        found = self.ids.get((kind, key.lower()))
        if found is None and required:
            raise LookupError(f"{kind} {key!r} does not exist in the org")
        return found

    async def pairs(self, items: list[list[str]], *, removing: bool = False) -> list[RoleDivision]:
        """Role and division names → ids. When `removing`, a name the org no longer knows is the
        id the plan read from a grant whose role or division was deleted (an orphan): kept as is."""
        out = []
        for role, division in items:
            div = division
            if division != ALL_DIVISIONS:
                div = await self.get("division", division, required=not removing) or division
            role_id = await self.get("role", role, required=not removing) or role
            out.append(RoleDivision(role_id=role_id, division_id=div))
        return out

    async def user_ids(self, emails: list[str], *, required: bool) -> list[str]:
        found = [await self.get("user", e, required=required) for e in emails]
        return [f for f in found if f]


@dataclass
class Context:
    client: GenesysClient
    resolver: Resolver
    journal: Journal
    guard: Guard
    secrets_dir: Path | None = None
    created_secrets: list[str] = field(default_factory=list)
    events: Any = None  # an events.sink.EventSink: told of every batch done or failed (local writes only)


def _save_secret(ctx: Context, name: str, client_id: str, secret: str) -> str | None:
    """A new OAuth client's secret is shown once: it goes to a 0600 file, never to a log or journal."""
    if ctx.secrets_dir is None:
        return None
    ctx.secrets_dir.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    path = ctx.secrets_dir / f"{safe}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"client_id": client_id, "client_secret": secret}, fh)
    ctx.created_secrets.append(str(path))
    return str(path)


# membership ops: the kind of object the batch targets and the bulk call that changes it
MEMBERSHIP: dict[str, tuple[str, Callable[..., Any]]] = {
    "group.members.add": ("group", groups.add_group_members),
    "group.members.remove": ("group", groups.remove_group_members),
    "queue.members.add": ("queue", queues.add_queue_members),
    "queue.members.remove": ("queue", queues.remove_queue_members),
}


async def run_batch(ctx: Context, b: Batch) -> dict[str, Any]:
    """One batch: one API write in the normal case. Returns what the journal keeps (ids, no secrets)."""
    ctx.guard.check(b)
    c, r = ctx.client, ctx.resolver
    op, items = b.op, b.items
    if op == "division.create":
        d = await divisions.find_division(c, b.target) or await divisions.create_division(c, b.target)
        r.learn("division", b.target, d.id)
        return {"id": d.id}
    if op == "group.create":
        g = await groups.create_group(c, b.target, description=items[0].get("description") or None)
        r.learn("group", b.target, g.id)
        return {"id": g.id}
    if op == "group.update":
        await groups.update_group(c, await r.get("group", b.target), roles_enabled=True)
        return {}
    if op in ("group.grants.add", "group.grants.remove", "user.grants.add", "user.grants.remove"):
        kind = op.split(".", 1)[0]
        adding = op.endswith("add")
        sid = await r.get(kind, b.target, required=adding or kind == "group")
        if sid is None:
            return {}  # revoking from a user that is gone: nothing left to revoke
        pairs = await r.pairs(items, removing=not adding)
        if adding:
            await grants.bulk_add(c, sid, pairs, "PC_GROUP" if kind == "group" else "PC_USER")
        else:
            await grants.bulk_remove(c, sid, pairs)
        return {}
    if op == "queue.create":
        spec = items[0]
        gids = [await r.get("group", g) for g in spec["groups"]]
        q = await queues.create_queue(
            c,
            b.target,
            await r.get("division", spec["division"]),
            member_group_ids=gids,
            description=spec.get("description") or None,
        )
        r.learn("queue", b.target, q.id)
        return {"id": q.id}
    if op == "queue.update":
        gids = [await r.get("group", g) for g in items[0]["groups"]]
        await queues.update_queue(c, await r.get("queue", b.target), member_group_ids=gids)
        return {}
    if op == "queue.move":
        ids = [await r.get("queue", q) for q in items]
        await divisions.move_objects(c, await r.get("division", b.target), "QUEUE", ids)
        return {}
    if op in ("client.create", "client.update"):
        spec = items[0]
        pairs = await r.pairs(spec["grants"])
        if op == "client.create":
            made = await oauth_clients.create_oauth_client(
                c, b.target, pairs, description=spec.get("description") or None, token_seconds=spec["ttl"]
            )
            r.learn("client", b.target, made.id)
            secret = made.secret.get_secret_value() if made.secret else ""
            return {
                "id": made.id,
                "secret_file": _save_secret(ctx, b.target, made.id, secret) if secret else None,
            }
        await oauth_clients.update_oauth_client(
            c,
            await r.get("client", b.target),
            role_divisions=pairs,
            access_token_validity_seconds=spec["ttl"],
        )
        return {}
    if op == "sso.put":
        current = await identity_providers.get_identity_provider(c, b.target)
        body = (current.to_api() if current else {}) | items[0]  # keep what tenantry does not manage
        body.pop("id", None)
        await identity_providers.put_identity_provider(c, b.target, body)
        return {}
    if op in MEMBERSHIP:
        kind, change = MEMBERSHIP[op]
        adding = op.endswith("add")
        ids = await r.user_ids(items, required=adding)
        if ids:
            await change(c, await r.get(kind, b.target), ids)
        return {"count": len(ids)}
    if op == "user.deactivate":
        uid = await r.get("user", b.target, required=False)
        if uid is not None:
            await users.set_user_state(c, uid, "inactive")
        ctx.journal.mark_leaver(b.target)
        return {}
    if op == "user.create":
        spec = items[0]
        u = await users.create_user(
            c,
            name=spec["name"],
            email=b.target,
            division_id=await r.get("division", spec["division"]),
            title=spec.get("title") or None,
            department=spec.get("department") or None,
            hr_id=spec.get("hr_id") or None,
        )
        r.learn("user", b.target, u.id)
        ctx.journal.forget_leaver(b.target)
        return {"id": u.id}
    if op == "user.update":
        uid = await r.get("user", b.target)
        await users.update_user(c, uid, **items[0])
        if items[0].get("email"):  # an HR-anchored email change: later batches name the new email
            r.learn("user", items[0]["email"], uid)
        if items[0].get("state") == "active":
            ctx.journal.forget_leaver(b.target)
        return {}
    if op == "user.move":
        ids = await r.user_ids(items, required=True)
        await divisions.move_objects(c, await r.get("division", b.target), "USER", ids)
        return {}
    if op == "user.delete":
        uid = await r.get("user", b.target, required=False)
        if uid is not None:
            await users.delete_user(c, uid)
        ctx.journal.mark_deleted(b.target)
        return {}
    raise GuardError(f"unknown operation {op!r}")


def plan_id(plan: Plan) -> str:
    h = hashlib.sha256(plan.fingerprint.encode())
    for b in plan.batches:
        h.update(b.id.encode())
    return h.hexdigest()[:32]


@dataclass
class ApplyResult:
    run_id: str
    done: int = 0
    skipped: int = 0
    failed: list[tuple[Batch, str]] = field(default_factory=list)
    stopped_after: str | None = None
    seconds: float = 0.0
    secret_files: list[str] = field(default_factory=list)
    client: dict[str, int] = field(default_factory=dict)  # the client's counters: calls, retries, 429s

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "ok": self.ok,
            "done": self.done,
            "skipped": self.skipped,
            "failed": [{"batch": b.id, "op": b.op, "target": b.target, "error": e} for b, e in self.failed],
            "stopped_after_phase": self.stopped_after,
            "seconds": round(self.seconds, 3),
            "secret_files": self.secret_files,
            "client": self.client,
        }


PhaseProgress = Callable[[str, int], Callable[[], None]]  # (phase, total) -> advance()


async def execute(
    plan: Plan,
    ctx: Context,
    *,
    run_id: str | None = None,
    concurrency: int = 8,
    progress: PhaseProgress | None = None,
    worker: str = "local",
) -> ApplyResult:
    """Run the plan in-process. `run_id` resumes a journaled run, skipping its done batches."""
    journal = ctx.journal
    if run_id is None:
        run_id = journal.start_run(
            plan_id(plan), plan.fingerprint, [(b.id, b.phase, b.op, b.target, b.tenant) for b in plan.batches]
        )
    statuses = journal.batch_statuses(run_id)
    result = ApplyResult(run_id)
    start = time.perf_counter()
    sem = asyncio.Semaphore(concurrency)
    for phase, phase_batches in plan.phases():
        todo = [b for b in phase_batches if statuses.get(b.id) != "done"]
        result.skipped += len(phase_batches) - len(todo)
        advance = progress(phase, len(phase_batches)) if progress else (lambda: None)
        for _ in range(len(phase_batches) - len(todo)):
            advance()
        lanes: dict[str, list[Batch]] = defaultdict(list)
        for b in todo:
            lanes[b.locks[0]].append(b)

        async def lane(batches: list[Batch], advance: Callable[[], None] = advance) -> None:
            for b in batches:
                async with sem:
                    journal.batch_started(run_id, b.id, worker)
                    try:
                        out = await run_batch(ctx, b)
                    except (GenesysError, GuardError, LookupError) as exc:
                        journal.batch_failed(run_id, b.id, str(exc))
                        result.failed.append((b, str(exc)))
                        if ctx.events is not None:
                            ctx.events.batch_failed(run_id, b, str(exc))
                    else:
                        journal.batch_done(run_id, b.id, out)
                        result.done += 1
                        if ctx.events is not None:
                            ctx.events.batch_applied(run_id, b, out, ctx.resolver)
                advance()

        await asyncio.gather(*(lane(bs) for bs in lanes.values()))
        if result.failed:
            result.stopped_after = phase
            break
    result.seconds = time.perf_counter() - start
    result.secret_files = list(ctx.created_secrets)
    journal.finish_run(run_id, "done" if result.ok else "failed", result.to_json())
    return result
