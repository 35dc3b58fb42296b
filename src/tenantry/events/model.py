"""Applied batches and audit findings → CloudEvents 1.0 (structured JSON). Pure.

An event says what changed, for whom (hr_id, email, Genesys user id), in which tenant, why
(the feed row, the IdP request, the rule) and in which run. It is built from an allow-list of
fields: a batch's result may name a secret's file, an OAuth client's create answer holds its
secret, and none of that is ever copied.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tenantry.events.redact import scrub
from tenantry.events.types import ce_type

SOURCE = "urn:tenantry"


@dataclass(frozen=True, slots=True)
class Who:
    """What the caller knows about a person beyond the email: HR id, and why it is in this run."""

    hr_id: str | None = None
    reason: str | None = None


UserIds = Callable[[str], str | None]  # email -> Genesys user id, when known


def cloud_event(
    short: str,
    subject: str,
    data: dict[str, Any],
    *,
    source: str = SOURCE,
    when: float | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    t = datetime.fromtimestamp(when if when is not None else time.time(), UTC)
    return {
        "specversion": "1.0",
        "id": event_id or uuid.uuid4().hex,
        "source": source,
        "type": ce_type(short),
        "subject": subject,
        "time": t.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": scrub(data),
    }


def _person(email: str, people: Mapping[str, Who], user_ids: UserIds, uid: str | None = None) -> dict:
    who = people.get(email.lower(), Who())
    return {"email": email.lower(), "hr_id": who.hr_id, "genesys_user_id": uid or user_ids(email)}


def _reason(email: str, people: Mapping[str, Who], default: str) -> str:
    who = people.get(email.lower())
    return who.reason if who and who.reason else default


PERSON_OPS = {
    "user.deactivate": ("leaver", "deactivated"),
    "user.delete": ("deleted", "deleted after the leaver retention"),
}
MEMBER_OPS = {
    "group.members.add": ("group", "added"),
    "group.members.remove": ("group", "removed"),
    "queue.members.add": ("queue", "added"),
    "queue.members.remove": ("queue", "removed"),
}


@dataclass(frozen=True, slots=True)
class BatchFacts:
    """One applied batch as the events see it (names, not the executor's objects)."""

    run_id: str
    batch_id: str
    phase: str
    op: str
    target: str
    items: list[Any]
    tenant: str | None
    result: Mapping[str, Any]


def batch_events(
    b: BatchFacts, people: Mapping[str, Who], user_ids: UserIds, source: str = SOURCE
) -> list[dict[str, Any]]:
    """The events of one applied batch: one per person or object it changed."""
    base = {"tenant": b.tenant, "run_id": b.run_id, "batch_id": b.batch_id, "operation": b.op}

    def ev(short: str, subject: str, **data: Any) -> dict[str, Any]:
        return cloud_event(short, subject, base | data, source=source)

    op, target = b.op, b.target
    if op == "user.create":
        person = _person(target, people, user_ids, b.result.get("id"))
        spec = b.items[0] if b.items else {}
        return [
            ev(
                "joiner",
                target,
                person=person,
                division=spec.get("division"),
                reason=_reason(target, people, "in the people feed, not yet in the org"),
            )
        ]
    if op == "user.update":
        patch = b.items[0] if b.items else {}
        kind = "rejoiner" if patch.get("state") == "active" else "object_changed"
        fields = sorted(k for k in patch if k != "state")
        return [
            ev(
                kind,
                target,
                person=_person(target, people, user_ids),
                fields=fields,
                reason=_reason(target, people, "profile differs from the people feed"),
            )
        ]
    if op == "user.move":
        return [
            ev(
                "mover",
                e,
                person=_person(e, people, user_ids),
                division=target,
                reason=_reason(e, people, "the tenant rules place this person in another tenant"),
            )
            for e in b.items
        ]
    if op in PERSON_OPS:
        kind, what = PERSON_OPS[op]
        return [
            ev(
                kind,
                target,
                person=_person(target, people, user_ids),
                action=what,
                reason=_reason(target, people, "no longer in any tenant"),
            )
        ]
    if op in MEMBER_OPS:
        kind, action = MEMBER_OPS[op]
        return [
            ev(
                "membership",
                e,
                person=_person(e, people, user_ids),
                action=action,
                **{kind: target},
                reason=_reason(e, people, f"tenant membership rules for {kind} {target}"),
            )
            for e in b.items
        ]
    if op.endswith(".grants.add") or op.endswith(".grants.remove"):
        kind = "grant" if op.endswith("add") else "revoke"
        subject_kind = op.split(".", 1)[0]
        grants = [{"role": r, "division": d} for r, d in b.items]
        who = {"person": _person(target, people, user_ids)} if subject_kind == "user" else {"group": target}
        return [
            ev(
                kind,
                target,
                subject_type=subject_kind,
                grants=grants,
                **who,
                reason=_reason(target, people, "declared roles of the tenant")
                if subject_kind == "user"
                else "declared roles of the tenant's group",
            )
        ]
    if op == "client.create":
        spec = b.items[0] if b.items else {}
        return [
            ev(
                "oauth_client_created",
                target,
                client_name=target,
                client_id=b.result.get("id"),
                grants=[{"role": r, "division": d} for r, d in spec.get("grants", [])],
                reason="declared in tenants.yaml",
            )
        ]
    if op == "client.update":
        return [ev("oauth_client_changed", target, client_name=target, reason="declared in tenants.yaml")]
    if op == "sso.put":
        return [
            ev(
                "sso_changed",
                target,
                provider=target,
                fields=sorted(k for k in (b.items[0] if b.items else {}) if k != "certificate"),
                reason="org.sso in tenants.yaml",
            )
        ]
    return [
        ev(
            "object_changed",
            target,
            object=op.split(".", 1)[0],
            action=op.split(".", 1)[1],
            id=b.result.get("id"),
            reason="declared in tenants.yaml",
        )
    ]


def finding_events(findings: Iterable[Any], run_id: str, source: str = SOURCE) -> list[dict[str, Any]]:
    """A leak found by the audit, one event per finding (audit.engine.Finding)."""
    out = []
    for f in findings:
        data = {
            "tenant": f.tenant,
            "run_id": run_id,
            "rule": f.rule,
            "severity": f.severity,
            "subject_type": f.subject.type,
            "subject_id": f.subject.id,
            "subject_name": f.subject.name,
            "division": f.division.name if f.division else None,
            "role": f.role.name if f.role else None,
            "path": f.path,
            "reason": f"audit rule {f.rule}: {f.why}",
            "fix": f.fix,
        }
        out.append(cloud_event("leak_found", f.subject.name, data, source=source))
    return out
