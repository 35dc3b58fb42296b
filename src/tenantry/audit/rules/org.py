"""Org-level rules: settings of the org as a whole that expose one tenant to another."""

from __future__ import annotations

from tenantry.audit.context import AuditContext
from tenantry.audit.model import Ref


def r12_open_directory(a: AuditContext) -> None:
    """An open directory exposes every tenant's people to every tenant client (and tenant person).

    Reported once for the org, then once per tenant OAuth client, naming the tenants whose people it
    can read, so a per-tenant report shows each client what its own clients could read."""
    if a.s.directory_open is not True:
        return
    people: dict[str | None, int] = {}
    for uid, u in a.s.users.items():
        if u.state == "active":
            key = a.t.of_user.get(uid)
            people[key] = people.get(key, 0) + 1
    tenants = sorted(k for k in people if k is not None)
    exposed = ", ".join(f"{a.tenant_label(k)} ({people[k]})" for k in tenants) or "no tenant"
    org = Ref("org", "", "the org's directory")
    a.report(
        "R12",
        org,
        None,
        None,
        "GET /api/v2/users",
        f"Directory search is not restricted by division: every authenticated caller reads the names "
        f"and emails of the people of {exposed}.",
    )
    for cid, key in sorted(a.t.of_client.items(), key=lambda kv: a.client(kv[0]).name.casefold()):
        others = [k for k in tenants if k != key]
        if not others:
            continue
        a.report(
            "R12",
            a.client(cid),
            key,
            None,
            "GET /api/v2/users",
            f"OAuth client {a.client(cid).name!r} of {a.tenant_label(key)} can read the names and emails "
            f"of {sum(people[k] for k in others)} people of {len(others)} other tenant(s).",
        )
