"""Effective access (every subject's roles × divisions, with paths) and who belongs to which tenant."""

from __future__ import annotations

from dataclasses import replace

from audit_org import (
    ACME,
    ACME_AGENTS,
    DANA,
    GLOBEX,
    HOME,
    ROOT,
    TENANTS_YAML,
    UserSpec,
    clean_org,
    config,
    to_snapshot,
)

from tenantry.audit.engine import (
    NO_TENANT,
    access_matrix,
    audit,
    capabilities,
    effective_access,
    reach,
)
from tenantry.config.tenants import load
from tenantry.domain.model import ALL_DIVISIONS, Policy, Role
from tenantry.domain.tenancy import resolve


def test_rows_name_each_path(tmp_path):
    snap = to_snapshot(clean_org())
    rows = effective_access(snap, resolve(snap, config(tmp_path)))
    agent = {
        (r.role_name, r.division_name, r.path) for r in rows if r.subject_name == "agent1@acme.bpo.example"
    }
    assert agent == {
        ("employee", ACME, "direct"),
        ("Agent", ACME, f"via group {ACME_AGENTS}"),
        ("employee", ACME, f"via group {ACME_AGENTS}"),
    }
    client = [r for r in rows if r.subject_type == "oauth_client" and r.subject_name == "Acme Reporting"]
    assert [(r.role_name, r.division_name, r.path, r.tenant) for r in client] == [
        ("Reporting Viewer", ACME, "via OAuth client roleDivisions", "acme")
    ]
    group = [r for r in rows if r.subject_type == "group" and r.subject_name == ACME_AGENTS]
    assert {(r.role_name, r.path, r.division_tenant) for r in group} == {
        ("Agent", "direct", "acme"),
        ("employee", "direct", "acme"),
    }
    via = next(r for r in rows if r.path == f"via group {ACME_AGENTS}")
    assert via.via_id == f"group:{ACME_AGENTS}"
    root = [r for r in rows if r.subject_name == ROOT and r.division_id == ALL_DIVISIONS]
    assert root and root[0].division_tenant is None and root[0].change


def test_row_count_is_grants_plus_memberships_times_group_grants():
    snap = to_snapshot(clean_org())
    rows = effective_access(snap, resolve(snap, None))
    direct = sum(len(g) for g in snap.user_grants.values())
    groups = sum(len(snap.group_grants[g]) * (1 + len(x.member_ids)) for g, x in snap.groups.items())
    clients = sum(len(c.role_divisions) for c in snap.oauth_clients.values())
    assert len(rows) == direct + groups + clients


def test_view_and_change_come_from_policy_actions():
    assert capabilities(Role("r", "viewer", (Policy("routing", "queue", ("view",)),))) == (True, False)
    assert capabilities(Role("r", "mgr", (Policy("routing", "queueMember", ("manage",)),))) == (False, True)
    assert capabilities(Role("r", "all", (Policy("*", "*", ("*",)),))) == (True, True)
    assert capabilities(Role("r", "agent", (Policy("conversation", "call", ("accept",)),))) == (False, False)
    assert capabilities(None) == (False, False)


def test_reach_per_subject(tmp_path):
    snap = to_snapshot(clean_org())
    seen = reach(effective_access(snap, resolve(snap, config(tmp_path))))
    view, change = seen[("user", "user:sup1@acme.bpo.example")]
    assert view == change == {f"division:{ACME}"}  # Supervisor views and edits queues in Acme only
    view, change = seen[("user", f"user:{DANA}")]
    assert view == {f"division:{HOME}", f"division:{ACME}", f"division:{GLOBEX}"}


def test_heat_map_counts_own_and_org_level_access(tmp_path):
    result = audit(to_snapshot(clean_org()), config(tmp_path))
    m = access_matrix(result)
    assert m.rows == ["acme", "globex", NO_TENANT]
    assert [c.name for c in m.columns] == [ACME, GLOBEX, HOME]
    own = m.cells[("acme", f"division:{ACME}")]
    # 5 users (4 agents, 1 supervisor), 2 groups, 1 client can view Acme; nobody reaches Globex.
    assert (own.view, own.kind) == (8, "own")
    assert m.cells[("acme", f"division:{GLOBEX}")].view == 0
    assert m.cells[("acme", f"division:{GLOBEX}")].kind == "foreign"
    # Root (`*`), Dana (staff) and the emulator's admin client reach every tenant from outside.
    assert m.cells[(NO_TENANT, f"division:{GLOBEX}")].view == 3


def test_tenant_of_users_with_config(tmp_path):
    o = clean_org()
    o.users["floater@bpo.example"] = UserSpec("Floater", HOME)
    o.groups[ACME_AGENTS].members.append("floater@bpo.example")
    o.groups["Globex Telecom Agents"].members.append("floater@bpo.example")
    o.users["lost@acme.bpo.example"] = UserSpec("Lost", HOME)
    o.groups[ACME_AGENTS].members.append("lost@acme.bpo.example")
    t = resolve(to_snapshot(o), config(tmp_path))
    assert (t.of_user["user:agent1@acme.bpo.example"], t.user_basis["user:agent1@acme.bpo.example"]) == (
        "acme",
        "home division",
    )
    assert (t.of_user["user:lost@acme.bpo.example"], t.user_basis["user:lost@acme.bpo.example"]) == (
        "acme",
        "tenant groups",
    )
    assert "user:floater@bpo.example" not in t.of_user  # groups of two tenants: no silent choice
    assert f"user:{DANA}" not in t.of_user and f"user:{ROOT}" not in t.of_user
    assert t.staff[f"user:{DANA}"] == {
        "acme": frozenset({"role:Supervisor"}),
        "globex": frozenset({"role:Supervisor"}),
    }
    assert t.org_admins == {f"user:{ROOT}", "client:tenantry-emulator-admin"}


def test_tenant_by_membership_rules_over_what_the_org_knows(tmp_path):
    """A user outside tenant divisions and groups still belongs to the tenant whose rules match it."""
    o = clean_org()
    o.users["newbie@acme.bpo.example"] = UserSpec("Newbie", HOME)
    snap = to_snapshot(o)
    uid = "user:newbie@acme.bpo.example"
    snap.users[uid] = replace(snap.users[uid], department="ACME")
    path = tmp_path / "tenants.yaml"
    path.write_text(TENANTS_YAML.replace("members: [{client: ACME}]", "members: [{department: ACME}]"))
    cfg = load(path)
    t = resolve(snap, cfg)
    assert (t.of_user[uid], t.user_basis[uid]) == ("acme", "membership rules")
    assert [(f.rule, f.subject.name) for f in audit(snap, cfg).findings] == [
        ("R06", "newbie@acme.bpo.example")
    ]


def test_tenancy_without_config():
    o = clean_org(org_level=False)
    o.groups["Home Helpers"] = o.groups.pop("BPO Staff")
    o.groups["Home Helpers"].members = ["agent1@globex.bpo.example"]
    t = resolve(to_snapshot(o), None)
    assert list(t.tenants) == [ACME, GLOBEX]
    assert t.of_group[f"group:{ACME_AGENTS}"] == ACME  # by its grants
    assert t.of_group["group:Home Helpers"] == GLOBEX  # no tenant grants: by its members
    assert t.of_client["client:Acme Reporting"] == ACME
    assert t.of_queue["queue:Globex Support"] == GLOBEX
    assert t.org_admins == {"client:tenantry-emulator-admin"}
