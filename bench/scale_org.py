"""A large org in memory, shaped like the emulator's `scale:` seed: N users over M tenant
divisions, a role-enabled group and a queue per tenant, `grants` direct grants per user.

Used by the core benchmarks (plan, audit) that run from a snapshot, without a server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tenantry.config.tenants import Config
from tenantry.domain.model import Division, Grant, Group, Queue, Role, Snapshot, User
from tenantry.inputs.people import Person

ROLES = ("employee", "Agent", "Reporting Viewer", "Supervisor")


def tenant_name(t: int) -> str:
    return f"Tenant {t + 1:03d}"


def snapshot(users: int, tenants: int, grants: int = 4) -> Snapshot:
    s = Snapshot()
    s.divisions["home"] = Division("home", "Home", True)
    for name in ROLES:
        s.roles[name] = Role(name, name)
    members: list[set[str]] = [set() for _ in range(tenants)]
    for t in range(tenants):
        s.divisions[f"d{t}"] = Division(f"d{t}", tenant_name(t))
    for i in range(users):
        t = i % tenants
        uid = f"u{i}"
        s.users[uid] = User(
            uid, f"User {i:06d}", f"user{i:06d}@scale.example", f"d{t}", title="Agent", hr_id=f"H{i}"
        )
        s.user_grants[uid] = frozenset(Grant(r, f"d{t}") for r in ROLES[:grants])
        members[t].add(uid)
    for t in range(tenants):
        s.groups[f"g{t}"] = Group(f"g{t}", f"{tenant_name(t)} Agents", True, 1, frozenset(members[t]))
        s.group_grants[f"g{t}"] = frozenset({Grant("Agent", f"d{t}")})
        s.queues[f"q{t}"] = Queue(f"q{t}", f"{tenant_name(t)} Support", f"d{t}", (f"g{t}",))
    return s


def config_text(tenants: int) -> str:
    lines = ["org:", "  mass_revoke_threshold: 1.0", "tenants:"]
    for t in range(tenants):
        lines += [
            f"  t{t + 1:03d}:",
            f"    division: {tenant_name(t)}",
            f"    members: [{{client: T{t + 1:03d}}}]",
            "    groups:",
            "      Agents: {roles: [Agent]}",
            f"    queues: [{{name: {tenant_name(t)} Support, groups: [Agents]}}]",
        ]
    return "\n".join(lines) + "\n"


def config(tenants: int, tmp: Path) -> Config:
    from tenantry.config.tenants import load

    p = tmp / "tenants.yaml"
    p.write_text(config_text(tenants))
    return load(p)


def people(users: int, tenants: int, movers: int = 0) -> list[Person]:
    """The feed that matches the snapshot; the first `movers` people switch to the next tenant."""
    out = []
    for i in range(users):
        t = (i % tenants + (1 if i < movers else 0)) % tenants
        out.append(
            Person(
                f"H{i}",
                f"user{i:06d}@scale.example",
                "User",
                f"{i:06d}",
                "active",
                {"client": f"T{t + 1:03d}", "title": "Agent"},
                line=i + 2,
            )
        )
    return out


def in_fresh_process(module: str, users: int) -> dict:
    """Run `python -m <module> <users>` and read the JSON line it prints: each size in its own
    process, so its peak memory is its own."""
    done = subprocess.run(
        [sys.executable, "-m", module, str(users)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[1],
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
