"""A report for one client account: its findings and access, and nothing of any other tenant.

`tenantry audit --tenant acme` must be safe to hand to Acme. It keeps the findings that concern
Acme (its subjects, or anything reaching its division) and the access rows of its subjects and
into its division. Every object of another tenant — its people, groups, queues, clients,
division, key and display name — is replaced by a neutral label in references and in sentences.
BPO staff and org-level objects (no tenant) stay named: they are the BPO's own.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from tenantry.audit.matrix import access_matrix
from tenantry.audit.model import AuditResult, Finding, Ref
from tenantry.domain.access import AccessRow
from tenantry.domain.model import ALL_DIVISIONS

LABEL = {
    "user": "(a person of another tenant)",
    "group": "(a group of another tenant)",
    "queue": "(a queue of another tenant)",
    "oauth_client": "(an OAuth client of another tenant)",
    "division": "(another tenant's division)",
    "tenant": "(another tenant)",
}


class Redactor:
    """Knows every name that belongs to another tenant, and replaces it."""

    def __init__(self, result: AuditResult, key: str) -> None:
        t, s = result.tenancy, result.snapshot
        self.key = key
        self.foreign_ids: dict[str, str] = {}  # object id -> kind
        for uid, k in t.of_user.items():
            if k != key:
                self.foreign_ids[uid] = "user"
        for kind, of in (("group", t.of_group), ("queue", t.of_queue), ("oauth_client", t.of_client)):
            for oid, k in of.items():
                if k != key:
                    self.foreign_ids[oid] = kind
        for did, k in t.of_division.items():
            if k != key:
                self.foreign_ids[did] = "division"
        names: dict[str, str] = {}
        stores: dict[str, dict[str, Any]] = {
            "user": s.users,
            "group": s.groups,
            "queue": s.queues,
            "oauth_client": s.oauth_clients,
            "division": s.divisions,
        }
        for oid, kind in self.foreign_ids.items():
            obj = stores[kind].get(oid)
            if obj is None:
                continue
            names[getattr(obj, "email", None) or obj.name] = LABEL[kind]
            if kind == "user" and obj.name:
                names[obj.name] = LABEL[kind]
        for k, tenant in t.tenants.items():
            if k != key:
                names[tenant.name] = LABEL["tenant"]
                names[k] = LABEL["tenant"]
        ordered = sorted((n for n in names if n.strip()), key=len, reverse=True)
        self.names = names
        self.pattern = (
            re.compile("|".join(rf"(?<![\w.@-]){re.escape(n)}(?![\w@-])" for n in ordered), re.I)
            if ordered
            else None
        )
        lower = {n.casefold(): v for n, v in names.items()}
        self._sub = lambda m: lower[m.group(0).casefold()]

    def text(self, value: str) -> str:
        return self.pattern.sub(self._sub, value) if self.pattern else value

    def ref(self, r: Ref | None) -> Ref | None:
        if r is None:
            return None
        kind = self.foreign_ids.get(r.id)
        if kind is None:
            return Ref(r.type, r.id, self.text(r.name))
        return Ref(r.type, "", LABEL[kind])

    def finding(self, f: Finding) -> Finding:
        subject = self.ref(f.subject)
        assert subject is not None
        return replace(
            f,
            subject=subject,
            tenant=f.tenant if f.tenant in (None, self.key) else LABEL["tenant"],
            division=self.ref(f.division),
            path=self.text(f.path),
            why=self.text(f.why),
            role=f.role,
            via=self.ref(f.via),
            member=self.ref(f.member),
        )

    def row(self, row: AccessRow) -> AccessRow:
        foreign_subject = row.subject_id in self.foreign_ids
        foreign_division = row.division_id in self.foreign_ids
        return row._replace(
            subject_id="" if foreign_subject else row.subject_id,
            subject_name=LABEL[row.subject_type] if foreign_subject else row.subject_name,
            tenant=LABEL["tenant"] if foreign_subject else row.tenant,
            division_id="" if foreign_division else row.division_id,
            division_name=LABEL["division"] if foreign_division else row.division_name,
            division_tenant=LABEL["tenant"] if foreign_division else row.division_tenant,
            path=self.text(row.path),
            via_id=None if row.via_id in self.foreign_ids else row.via_id,
        )


def _concerns(result: AuditResult, f: Finding, key: str) -> bool:
    t = result.tenancy
    own_div = t.division_of(key)
    refs = [f.subject, f.via, f.member]
    return (
        f.tenant == key
        or (f.division is not None and f.division.id == own_div)
        or any(r is not None and key in (t.of_user.get(r.id), t.of_group.get(r.id)) for r in refs)
        or (f.subject.type == "org")
    )


def for_tenant(result: AuditResult, key: str) -> AuditResult:
    """The result as tenant `key` may see it. Raises KeyError for an unknown tenant."""
    if key not in result.tenancy.tenants:
        raise KeyError(key)
    red = Redactor(result, key)
    own_div = result.tenancy.division_of(key)
    findings = [red.finding(f) for f in result.findings if _concerns(result, f, key)]
    access = [
        red.row(r) for r in result.access if r.tenant == key or r.division_id in (own_div, ALL_DIVISIONS)
    ]
    matrix = access_matrix(result, scope=key)
    return replace(result, findings=findings, access=access, scope=key, matrix=matrix)
