"""The chaos org: a tenants.yaml with every kind of object tenantry manages, and three days of feeds.

Every tenant has a role group for all its people, a rule-based group (team leads, by a title
pattern), a queue bound to both groups and four OAuth clients; the org has SAML SSO, a protected
admin and one BPO staff person allowed into two tenants. Day 2 brings movers, leavers and title
changes (so rule-based memberships change), day 3 more movers and re-joiners.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import httpx

STAFF = "staff.wfm@bpo.example"
PROTECTED = "ops.admin@bpo.example"
CERT = Path(__file__).parents[2] / "examples" / "bpo" / "certs" / "idp.pem"


def tenant(t: int) -> str:
    return f"Tenant {t + 1:02d}"


def config_text(tenants: int) -> str:
    lines = [
        "org:",
        "  mass_revoke_threshold: 1.0",
        f"  protected: [{PROTECTED}]",
        "  leaver_retention_days: 30",
        "  sso:",
        "    generic:",
        "      name: Chaos IdP",
        "      issuer_uri: https://idp.chaos.example/saml",
        "      sso_target_uri: https://idp.chaos.example/sso",
        "      certificate_file: idp.pem",
        "tenants:",
    ]
    for t in range(tenants):
        key = f"t{t + 1:02d}"
        lines += [
            f"  {key}:",
            f"    division: {tenant(t)}",
            f"    members: [{{client: T{t + 1:02d}}}]",
            "    groups:",
            "      Agents: {roles: [Agent, employee]}",
            "      Leads:",
            "        roles: [Supervisor]",
            "        members: [{title: {pattern: '(?i)lead'}}]",
            f"    queues: [{{name: {tenant(t)} Support, groups: [Agents, Leads]}}]",
            "    oauth_clients:",
            f"      - {{name: {key}-reporting, roles: [Reporting Viewer], token_ttl_seconds: 3600}}",
            f"      - {{name: {key}-wfm, roles: [Reporting Viewer]}}",
            f"      - {{name: {key}-qa, roles: [Reporting Viewer], token_ttl_seconds: 7200}}",
            f"      - {{name: {key}-bi, roles: [Reporting Viewer], token_ttl_seconds: 14400}}",
        ]
        if t < 2:
            lines += ["    staff:", f"      - {{email: {STAFF}, roles: [Reporting Viewer]}}"]
    return "\n".join(lines) + "\n"


def feed_rows(people: int, tenants: int, day: int) -> list[tuple[str, str, str, str, str]]:
    """(hr_id, email, status, client, title) for one day."""
    rows = [("S1", STAFF, "active", "BPO", "WFM Analyst"), ("S2", PROTECTED, "active", "BPO", "Admin")]
    movers = max(2, people // 10)
    leavers = max(2, people // 20)
    for i in range(people):
        t = i % tenants
        status, title = "active", ("Team Lead" if i % 8 == 0 else "Agent")
        if day >= 2 and i < movers:
            t = (t + 1) % tenants
        if day >= 2 and people - leavers <= i:
            status = "leaver"
        if day >= 2 and i % 8 == 1:
            title = "Team Lead"  # promoted: joins the rule-based group
        if day >= 3 and movers <= i < 2 * movers:
            t = (t + 2) % tenants
        if day >= 3 and people - leavers <= i < people - leavers // 2:
            status = "active"  # re-joiners
        rows.append((f"H{i:05d}", f"p{i:05d}@chaos.example", status, f"T{t + 1:02d}", title))
    return rows


def write_org(tmp: Path, people: int, tenants: int) -> tuple[Path, list[Path]]:
    shutil.copy(CERT, tmp / "idp.pem")
    cfg = tmp / "tenants.yaml"
    cfg.write_text(config_text(tenants))
    feeds = []
    for day in (1, 2, 3):
        lines = ["hr_id,email,given_name,family_name,status,client,title"]
        lines += [
            f"{h},{e},Given,{h},{s},{c},{title}" for h, e, s, c, title in feed_rows(people, tenants, day)
        ]
        path = tmp / f"day{day}.csv"
        path.write_text("\n".join(lines) + "\n")
        feeds.append(path)
    return cfg, feeds


def tenant_divisions(tenants: int) -> set[str]:
    return {tenant(t) for t in range(tenants)}


def plant_orphans(emu: Any, people: int, tenants: int) -> dict[str, int]:
    """Orphaned grants, as a platform admin leaves them (issue 12, 4): a division that held grants
    of tenant people is deleted, and the grants stay behind.

    Day 2's movers get, besides their access through groups, two direct grants tenantry's plan
    revokes: the Agent role in their tenant's division and the Agent role in the division since
    deleted. The revoke names both, so its bulkremove fails whole and the client falls back to
    one DELETE per grant. Ten more people hold only the orphan. (A grant of a deleted *role* is
    not planted: the org's per-role grant listings, which the snapshot reads, no longer show it.)"""
    h = {"Authorization": f"Bearer {emu.token()}"}
    with httpx.Client(base_url=emu.base_url, headers=h, timeout=30.0) as api:
        roles = {r["name"]: r["id"] for r in api.get("/api/v2/authorization/roles").json()["entities"]}
        divs = {
            d["name"]: d["id"]
            for d in api.get("/api/v2/authorization/divisions", params={"pageSize": 500}).json()["entities"]
        }
        users: dict[str, str] = {}
        page = 1
        while True:
            listed = api.get("/api/v2/users", params={"pageSize": 500, "pageNumber": page}).json()
            users |= {u["email"].lower(): u["id"] for u in listed["entities"]}
            if page >= listed.get("pageCount", 1):
                break
            page += 1
        gone = api.post("/api/v2/authorization/divisions", json={"name": "Chaos gone division"}).json()["id"]
        time.sleep(0.5)  # the platform's consistency delay: a division just made is not yet grantable
        movers, planted = max(2, people // 10), {"with a live grant": 0, "alone": 0}
        for i in range(min(people, movers + 10)):
            grants = [(roles["Agent"], gone)]
            if i < movers:
                grants.append((roles["Agent"], divs[tenant(i % tenants)]))
            planted["with a live grant" if i < movers else "alone"] += 1
            body = {"grants": [{"roleId": r, "divisionId": d} for r, d in grants]}
            uid = users[f"p{i:05d}@chaos.example"]
            api.post(f"/api/v2/authorization/subjects/{uid}/bulkadd", json=body).raise_for_status()
        api.delete(f"/api/v2/authorization/divisions/{gone}").raise_for_status()
    return planted
