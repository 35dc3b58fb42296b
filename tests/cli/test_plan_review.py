"""A plan a person can approve: who changes, how, and why; the same from a saved plan; the prompt."""

from __future__ import annotations

import json
from pathlib import Path

from genesys_emulator import RunningEmulator
from tenantry.inputs import people

from .conftest import DAY1, DAY2, TENANTS, Run, writes


def _saved(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "plan.json").read_text())


def test_day2_plan_names_movers_leavers_and_joiners_with_reasons(
    applied: Run, journal: str, tmp_path: Path
) -> None:
    r = applied(
        "plan", "-c", str(TENANTS), "--people", str(DAY2), "--full", "--journal", journal, "-o", "plan.json"
    )
    assert r.exit_code == 0, r.output
    data = _saved(tmp_path)
    batches = [b for p in data["phases"] for b in p["batches"]]
    movers = {e: b["target"] for b in batches if b["op"] == "user.move" for e in b["items"]}
    leavers = [b["target"] for b in batches if b["op"] == "user.deactivate"]
    joiners = [b["target"] for b in batches if b["op"] == "user.create"]
    assert movers and leavers and joiners
    lines = r.stdout.replace("\n    ", " ").splitlines()  # undo the hanging wrap of long reasons
    before = {p.email: p for p in people.load(DAY1)}
    after = {p.email: p for p in people.load(DAY2)}
    for email, division in movers.items():
        line = next(x for x in lines if f"~ {email} — mover" in x)
        assert f"{DAY2.name}:{after[email].line}, rule client=" in line
        old = {"ACME": "Acme Insurance", "GLOBEX": "Globex Telecom", "INITECH": "Initech Bank"}
        assert f"mover {old[before[email].attributes['client']]} → {division}" in line
    for email in leavers:
        assert any(
            x.strip().startswith(f"- {email} — leaver: {DAY2.name}:{after[email].line} says status leaver")
            for x in lines
        )
    for email in joiners:
        line = next(x for x in lines if x.strip().startswith(f"+ {email} — joiner"))
        assert f"joiner: {DAY2.name}:{after[email].line}, rule client=" in line
    # memberships read `group NAME`
    assert any("- group " in x for x in lines) and any("+ group " in x for x in lines)
    # every person the plan touches has a reason in the saved plan
    assert set(movers) | set(leavers) | set(joiners) <= set(data["reasons"])


def test_show_renders_a_saved_plan_exactly_as_plan_did(applied: Run, journal: str) -> None:
    r = applied("plan", "-c", str(TENANTS), "--people", str(DAY2), "--journal", journal, "-o", "plan.json")
    shown = applied("show", "plan.json")
    assert shown.exit_code == 0
    assert shown.stdout == r.stdout.split("Plan saved to")[0]
    summary = applied("show", "plan.json", "--summary")
    assert "Plan per tenant" in summary.stdout and "joiners" in summary.stdout
    assert "— mover" not in summary.stdout
    bad = applied("show", "nothing.json", "--json")
    assert bad.exit_code == 1 and "not a tenantry plan" in json.loads(bad.stdout)["error"]


def test_long_lists_collapse_with_a_count_and_full_lists_everyone(
    run: Run, journal: str, tmp_path: Path
) -> None:
    short = run("plan", "-c", str(TENANTS), "--people", str(DAY1), "--journal", journal, "-o", "plan.json")
    full = run("plan", "-c", str(TENANTS), "--people", str(DAY1), "--journal", journal, "--full")
    everyone = list(_saved(tmp_path)["reasons"])
    assert len(everyone) > 250
    assert "more people (--full lists them)" in short.stdout
    # grants read `role @ division`
    assert "+ Supervisor @ Acme Insurance to group Acme Insurance Supervisors" in short.stdout
    assert sum(e in short.stdout for e in everyone) < len(everyone)
    assert all(e in full.stdout for e in everyone)


def test_warnings_of_one_kind_become_one_line_and_v_names_them(
    applied: Run, journal: str, tmp_path: Path
) -> None:
    rows = DAY1.read_text().splitlines()
    dropped = [r.split(",")[1] for r in rows[1:13]]
    (tmp_path / "partial.csv").write_text("\n".join([rows[0], *rows[13:]]) + "\n")
    r = applied("plan", "-c", str(TENANTS), "--people", "partial.csv", "--journal", journal)
    assert r.exit_code == 0, r.output
    summary = [x for x in r.stdout.splitlines() if "not in the feed" in x]
    assert len(summary) == 1 and summary[0].startswith("warning: 12 people:")
    warned = [x for x in r.stdout.splitlines() if x.startswith("warning:")]
    assert not any(e in x for x in warned for e in dropped)
    v = applied("plan", "-c", str(TENANTS), "--people", "partial.csv", "--journal", journal, "-v")
    assert all(f"warning: {e} is in tenant" in v.stdout for e in dropped)


def test_declining_the_prompt_exits_1_nothing_applied_and_shows_the_blast_radius(
    run: Run, journal: str, emu: RunningEmulator
) -> None:
    emu.admin.delete("/_emulator/stats")
    r = run("apply", "-c", str(TENANTS), "--people", str(DAY1), "--journal", journal, input="n\n")
    assert r.exit_code == 1
    assert "nothing applied" in r.stderr
    assert "people affected per tenant: acme 121, globex 101, initech 80" in r.stderr
    assert writes(emu.stats()) == 0
