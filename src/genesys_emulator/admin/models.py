"""A normalized view of the org by natural keys (names, emails), so two runs can be compared."""

from __future__ import annotations

from ..org import Org


def summary(org: Org) -> dict:
    """Ids differ between runs; names and emails do not. Deleted users are left out."""
    div = {d["id"]: d["name"] for d in org.divisions.values()}
    div["*"] = "*"
    role = {r["id"]: r["name"] for r in org.roles.values()}
    users = {u["id"]: u for u in org.users.values() if u["state"] != "deleted"}
    email = {uid: u["email"].lower() for uid, u in users.items()}
    group = {g["id"]: g["name"] for g in org.groups.values()}

    def grants_of(sid: str) -> list[str]:
        return sorted(f"{role.get(r, r)}@{div.get(d, d)}" for r, d in org.grants.get(sid, {}))

    return {
        "divisions": sorted(div[d] for d in div if d != "*"),
        "users": {
            email[uid]: {
                "name": u["name"],
                "division": div.get(u["divisionId"]),
                "state": u["state"],
                "title": u.get("title", ""),
                "grants": grants_of(uid),
            }
            for uid, u in users.items()
        },
        "groups": {
            g["name"]: {
                "rolesEnabled": g["rolesEnabled"],
                "grants": grants_of(gid),
                "members": sorted(email[m] for m in org.group_members.get(gid, ()) if m in email),
            }
            for gid, g in org.groups.items()
        },
        "queues": {
            q["name"]: {
                "division": div.get(q["divisionId"]),
                "memberGroups": sorted(group.get(g, g) for g in q["memberGroups"]),
                "members": sorted(email[m] for m in org.queue_members.get(qid, ()) if m in email),
            }
            for qid, q in org.queues.items()
        },
        "oauthClients": {
            c["name"]: sorted(
                f"{role.get(rd['roleId'])}@{div.get(rd['divisionId'])}" for rd in c["roleDivisions"]
            )
            for c in org.oauth_clients.values()
        },
        "identityProviders": sorted(org.identity_providers),
    }
