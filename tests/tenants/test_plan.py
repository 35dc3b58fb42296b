"""The pure core: desired state and diff, on hand-built snapshots (no server)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tenantry.config import tenants as config
from tenantry.domain.model import Division, Grant, Group, Queue, Role, Snapshot, User
from tenantry.inputs.people import Person
from tenantry.planning.desired import build
from tenantry.planning.plan import PHASES, Plan, diff

CFG = """\
org:
  org_admins: [boss@bpo.example]
  protected: [vip@bpo.example]
  leaver_retention_days: 30
tenants:
  acme:
    division: Acme
    members: [{client: ACME}]
    groups:
      Agents: {roles: [Agent]}
      Supervisors: {roles: [Supervisor], members: [{title: {contains: Supervisor}}]}
    queues: [{name: Acme Q, groups: [Agents]}]
  globex:
    division: Globex
    members: [{client: GLOBEX}]
    groups:
      Agents: {roles: [Agent]}
    staff: [{email: lee@bpo.example, roles: [Supervisor]}]
"""


@pytest.fixture
def cfg(tmp_path: Path) -> config.Config:
    p = tmp_path / "tenants.yaml"
    p.write_text(CFG)
    return config.load(p)


def person(n: int, client: str, status: str = "active", title: str = "Agent") -> Person:
    return Person(
        f"H{n}", f"p{n}@bpo.example", "P", str(n), status, {"client": client, "title": title}, line=n + 1
    )


# The org's users carry their HR ids (employerInfo.employeeId), as after tenantry's first apply.
HR = {"lee@bpo.example": "S1"} | {f"p{n}@bpo.example": f"H{n}" for n in range(200)}


def org(
    users: list[User] = (),
    members: dict[str, set[str]] | None = None,
    user_grants: dict[str, set[Grant]] | None = None,
    queues: bool = True,
) -> Snapshot:
    """Home, Acme, Globex; roles; the tenants' groups with their grants, Acme's queue bound."""
    s = Snapshot()
    for d in (Division("home", "Home", True), Division("acme", "Acme"), Division("globex", "Globex")):
        s.divisions[d.id] = d
    for r in (Role("agent", "Agent"), Role("sup", "Supervisor")):
        s.roles[r.id] = r
    members = members or {}
    for gid, name in (("ga", "Acme Agents"), ("gs", "Acme Supervisors"), ("gg", "Globex Agents")):
        s.groups[gid] = Group(gid, name, True, 3, frozenset(members.get(gid, ())))
    s.group_grants = {
        "ga": frozenset({Grant("agent", "acme")}),
        "gs": frozenset({Grant("sup", "acme")}),
        "gg": frozenset({Grant("agent", "globex")}),
    }
    if queues:
        s.queues["qa"] = Queue("qa", "Acme Q", "acme", ("ga",))
    for u in [*users, User("lee", "Lee W", "lee@bpo.example", "home")]:
        s.users.setdefault(u.id, replace(u, hr_id=u.hr_id or HR.get(u.email, "")))
    user_grants = {"lee": {Grant("sup", "globex")}} | (user_grants or {})
    s.user_grants = {k: frozenset(v) for k, v in user_grants.items()}
    return s


def plan_for(cfg: config.Config, people: list[Person], snap: Snapshot, **kw) -> Plan:
    return diff(cfg, build(cfg, people, "people.csv"), snap, **kw)


def ops(plan: Plan) -> list[tuple[str, str, str]]:
    return [(b.phase, b.op, b.target) for b in plan.batches]


def test_joiners_are_created_then_added_in_bulk(cfg: config.Config) -> None:
    people = [person(i, "ACME", title="Supervisor" if i == 0 else "Agent") for i in range(120)]
    plan = plan_for(cfg, people, org())
    creates = [b for b in plan.batches if b.op == "user.create"]
    adds = [b for b in plan.batches if b.op == "group.members.add"]
    assert len(creates) == 120
    assert [len(b.items) for b in adds if b.target == "Acme Agents"] == [50, 50, 20]
    assert [b.items for b in adds if b.target == "Acme Supervisors"] == [["p0@bpo.example"]]
    order = [PHASES.index(b.phase) for b in plan.batches]
    assert order == sorted(order)
    assert plan.tenants["acme"].joiners == 120 and plan.errors == []


def test_converged_org_plans_nothing(cfg: config.Config) -> None:
    users = [
        User("u1", "P 1", "p1@bpo.example", "acme", title="Agent"),
        User("u2", "P 2", "p2@bpo.example", "globex", title="Agent"),
    ]
    snap = org(users, {"ga": {"u1"}, "gg": {"u2"}}, {"lee": {Grant("sup", "globex"), Grant("agent", "home")}})
    people = [
        person(1, "ACME"),
        person(2, "GLOBEX"),
        Person("S1", "lee@bpo.example", "Lee", "W", "active", {"client": "BPO"}),
    ]
    plan = plan_for(cfg, people, snap)
    assert plan.changes == 0, ops(plan)


def test_mover_is_revoked_before_moved_before_granted(cfg: config.Config) -> None:
    snap = org(
        [User("u1", "P 1", "p1@bpo.example", "acme", title="Agent")],
        {"ga": {"u1"}},
        {"u1": {Grant("agent", "acme")}},
        queues=True,
    )
    snap.queues["qa"] = Queue("qa", "Acme Q", "acme", ("ga",), frozenset({"u1"}))
    plan = plan_for(cfg, [person(1, "GLOBEX")], snap)
    assert ops(plan) == [
        ("revoke", "group.members.remove", "Acme Agents"),
        ("revoke", "queue.members.remove", "Acme Q"),
        ("revoke", "user.grants.remove", "p1@bpo.example"),
        ("people", "user.move", "Globex"),
        ("grant", "group.members.add", "Globex Agents"),
    ]
    assert plan.tenants["acme"].movers_out == 1 and plan.tenants["globex"].movers_in == 1
    assert plan.revoked_users == 1  # a mover loses its old tenant: it counts (issue 11 #3)


def test_leaver_loses_everything_at_once_then_is_deleted_after_retention(cfg: config.Config) -> None:
    snap = org(
        [User("u1", "P 1", "p1@bpo.example", "acme", title="Agent")],
        {"ga": {"u1"}},
        {"u1": {Grant("agent", "home")}},
    )
    plan = plan_for(cfg, [person(1, "ACME", status="leaver")], snap)
    assert sorted(ops(plan)) == sorted(
        [
            ("revoke", "group.members.remove", "Acme Agents"),
            ("revoke", "user.grants.remove", "p1@bpo.example"),
            ("revoke", "user.deactivate", "p1@bpo.example"),
        ]
    )
    assert plan.leavers_started == ["p1@bpo.example"]
    gone = org([User("u1", "P 1", "p1@bpo.example", "acme", state="inactive")])
    day = 86_400
    early = plan_for(
        cfg, [person(1, "ACME", status="leaver")], gone, leaver_since={"p1@bpo.example": 0}, now=29 * day
    )
    late = plan_for(
        cfg, [person(1, "ACME", status="leaver")], gone, leaver_since={"p1@bpo.example": 0}, now=31 * day
    )
    assert early.changes == 0
    assert ops(late) == [("delete", "user.delete", "p1@bpo.example")]


def test_rejoiner_gets_exactly_its_current_tenant(cfg: config.Config) -> None:
    snap = org(
        [User("u1", "P 1", "p1@bpo.example", "acme", state="inactive", title="Agent")],
        user_grants={"u1": {Grant("sup", "globex")}},
    )
    plan = plan_for(cfg, [person(1, "ACME")], snap)
    assert ("people", "user.update", "p1@bpo.example") in ops(plan)
    assert [b.items for b in plan.batches if b.op == "user.update"] == [[{"state": "active"}]]
    assert ("revoke", "user.grants.remove", "p1@bpo.example") in ops(plan)
    assert ("grant", "group.members.add", "Acme Agents") in ops(plan)
    assert plan.tenants["acme"].rejoiners == 1


def test_person_matching_two_tenants_is_an_error(cfg: config.Config, tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text(CFG.replace("members: [{client: GLOBEX}]", "members: [{client: GLOBEX}, {title: Agent}]"))
    both = config.load(p)
    plan = plan_for(both, [person(1, "ACME")], org())
    assert [str(e) for e in plan.errors] == [
        "people.csv:2: tenant: p1@bpo.example matches the rules of tenants acme, globex; "
        "a person belongs to at most one tenant"
    ]


def test_unknown_role_is_a_plan_error_with_its_line(tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text(
        CFG.replace(
            "Agents: {roles: [Agent]}\n      Supervisors", "Agents: {roles: [Agnet]}\n      Supervisors"
        )
    )
    plan = plan_for(config.load(p), [], org())
    assert [str(e) for e in plan.errors] == [
        f"{p}:10: tenants.acme.groups.Agents.roles.0: role 'Agnet' does not exist in the org"
    ]


def test_protected_user_is_left_alone(cfg: config.Config) -> None:
    snap = org([User("v", "V", "vip@bpo.example", "globex")], {"gg": {"v"}}, {"v": {Grant("sup", "globex")}})
    plan = plan_for(cfg, [Person("V", "vip@bpo.example", "V", "I", "active", {"client": "ACME"})], snap)
    assert plan.changes == 0
    assert "user vip@bpo.example is protected; left unchanged" in plan.warnings


def test_unassigned_person_with_tenant_access_is_reported_and_revoked(cfg: config.Config) -> None:
    snap = org([User("u9", "X", "p9@bpo.example", "home")], user_grants={"u9": {Grant("agent", "acme")}})
    plan = plan_for(cfg, [person(9, "NOBODY")], snap)
    assert any("p9@bpo.example matches no tenant but holds tenant access" in w for w in plan.warnings)
    assert ops(plan) == [("revoke", "user.grants.remove", "p9@bpo.example")]


def test_staff_grants_only_in_tenant_divisions(cfg: config.Config) -> None:
    snap = org(user_grants={"lee": {Grant("agent", "home")}})
    plan = plan_for(cfg, [], snap)
    assert ops(plan) == [("grant", "user.grants.add", "lee@bpo.example")]
    assert plan.batches[0].items == [["Supervisor", "Globex"]]


def test_mass_revoke_share(cfg: config.Config) -> None:
    users = [User(f"u{i}", f"P {i}", f"p{i}@bpo.example", "acme", title="Agent") for i in range(10)]
    snap = org(users, {"ga": {u.id for u in users}})
    people = [person(i, "ACME", status="leaver" if i < 4 else "active") for i in range(10)]
    plan = plan_for(cfg, people, snap)
    assert plan.revoked_users == 4 and plan.managed_users == 10
    assert plan.revoke_share() == pytest.approx(0.4)


def test_plan_json_round_trip(cfg: config.Config) -> None:
    plan = plan_for(cfg, [person(i, "ACME") for i in range(3)], org())
    again = Plan.from_json(plan.to_json())
    assert [(b.id, b.op, b.items) for b in again.batches] == [(b.id, b.op, b.items) for b in plan.batches]
    assert again.settings["org_admins"] == ["boss@bpo.example"]


def test_users_moved_per_call_agree_in_plan_client_and_readme() -> None:
    """One user.move batch is one division-move call, and the README says how many users it holds."""
    from pathlib import Path

    from tenantry.genesys.api.divisions import MOVE_BATCH
    from tenantry.planning.plan import USERS_MOVED_PER_CALL

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert USERS_MOVED_PER_CALL == MOVE_BATCH
    assert f"{MOVE_BATCH} users moved per call" in " ".join(readme.split())


def test_the_platform_default_role_is_never_revoked(cfg: config.Config) -> None:
    """Every user holds `employee` in Home (the platform's default, which cannot be removed):
    a tenant person, a mover and a leaver keep it; nothing plans to revoke it, ever."""
    users = [
        User("u1", "P 1", "p1@bpo.example", "acme", title="Agent"),
        User("u2", "P 2", "p2@bpo.example", "acme", title="Agent"),
        User("u3", "P 3", "p3@bpo.example", "acme", title="Agent"),
    ]
    snap = org(users, {"ga": {"u1", "u2", "u3"}})
    snap.roles["emp"] = Role("emp", "employee", default=True)
    snap.user_grants = {
        **snap.user_grants,
        **{u.id: frozenset({Grant("emp", "home")}) for u in users},
        "lee": snap.user_grants["lee"] | {Grant("emp", "home")},
    }
    feed = [person(1, "ACME"), person(2, "GLOBEX"), person(3, "ACME", status="leaver")]
    plan = plan_for(cfg, feed, snap)
    revoked = [i for b in plan.batches if b.op == "user.grants.remove" for i in b.items]
    assert ["employee", "Home"] not in revoked
    assert ["Agent", "Acme"] not in revoked  # the leaver's group grant goes with the group, not here
    assert plan.batches and all(b.target != "p1@bpo.example" for b in plan.batches)  # nothing to do
