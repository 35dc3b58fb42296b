"""What the chaos run checks once the org has converged, each a list of sentences (empty: fine).

* duplicates by id: two objects of one kind under one natural key (email, name);
* the timeline: no moment at which a person (BPO staff aside) could reach two tenants;
* the journal: every run finished (none left `running`), and every leaver recorded no later than
  the platform saw it deactivated (a clock started afterwards means a crash could lose it).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import create_engine, text

from genesys_emulator import RunningEmulator
from tenantry.execution.journal import normalize_url

LISTS = {
    "user": ("/api/v2/users", "email"),
    "group": ("/api/v2/groups", "name"),
    "queue": ("/api/v2/routing/queues", "name"),
    "oauth client": ("/api/v2/oauth/clients", "name"),
    "division": ("/api/v2/authorization/divisions", "name"),
}


def _all(emu: RunningEmulator, path: str, **params: Any) -> list[dict]:
    h = {"Authorization": f"Bearer {emu.token()}"}
    out, page = [], 1
    while True:
        r = emu.admin.get(path, params={"pageSize": 500, "pageNumber": page, **params}, headers=h).json()
        out += r.get("entities", [])
        if page >= r.get("pageCount", 1):
            return out
        page += 1


def duplicates(emu: RunningEmulator) -> list[str]:
    found = []
    for kind, (path, key) in LISTS.items():
        states = ("active", "inactive") if kind == "user" else (None,)
        objects = [o for s in states for o in _all(emu, path, **({"state": s} if s else {}))]
        ids: dict[str, set[str]] = defaultdict(set)
        for o in objects:
            ids[str(o.get(key, "")).lower()].add(o["id"])
        found += [f"{kind} {k!r}: {len(v)} objects" for k, v in sorted(ids.items()) if len(v) > 1]
    return found


def double_access(
    emu: RunningEmulator, since: int, tenant_divisions: set[str], allowed: set[str]
) -> list[str]:
    """Timeline moments at which someone reached two tenant divisions at once."""
    div_ids = {d["id"] for d in _all(emu, LISTS["division"][0]) if d["name"] in tenant_divisions}
    email = {
        u["id"]: u["email"].lower()
        for s in ("active", "inactive")
        for u in _all(emu, "/api/v2/users", state=s)
    }
    events = emu.admin.get("/_emulator/timeline", params={"since": since}).json()["events"]
    moments: Counter[str] = Counter()
    for e in events:
        who = email.get(e["subjectId"])
        if who is None or who in allowed or "access" not in e:
            continue
        if len(set(e["access"]) & div_ids) > 1:
            moments[who] += 1
    return [f"{who}: {n} moment(s) with two tenants' access" for who, n in sorted(moments.items())]


def deactivations(emu: RunningEmulator, since: int) -> dict[str, float]:
    """email → when the platform last made the user inactive."""
    email = {
        u["id"]: u["email"].lower()
        for s in ("active", "inactive")
        for u in _all(emu, "/api/v2/users", state=s)
    }
    out: dict[str, float] = {}
    for e in emu.admin.get("/_emulator/timeline", params={"since": since}).json()["events"]:
        if e["event"] == "user.state" and e.get("state") == "inactive" and e["subjectId"] in email:
            out[email[e["subjectId"]]] = e["ts"]
    return out


def journal(url: str, emu: RunningEmulator, since: int, leavers: set[str]) -> list[str]:
    problems = []
    engine = create_engine(normalize_url(url))
    with engine.connect() as c:
        runs = c.execute(text("SELECT id, status FROM tenantry_runs ORDER BY started_at")).fetchall()
        recorded = dict(c.execute(text("SELECT email, since FROM tenantry_leavers")).fetchall())
    engine.dispose()
    problems += [f"run {r[0]} left {r[1]!r}" for r in runs if r[1] == "running"]
    if runs and runs[-1][1] != "done":
        problems.append(f"the last run ended {runs[-1][1]!r}")
    users = {u["email"].lower(): u for u in _all(emu, "/api/v2/users", state="inactive")}
    off = deactivations(emu, since)
    for e in sorted(leavers):
        if e not in users:
            continue  # deleted, or never created
        if e not in recorded:
            problems.append(f"leaver {e} is inactive but has no retention record")
        elif e in off and recorded[e] > off[e] + 0.001:
            problems.append(f"leaver {e} was recorded {recorded[e] - off[e]:.2f} s after its deactivation")
    return problems
