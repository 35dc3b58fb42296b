"""Output fits an 80-column terminal or CI log: no column squeezed to a letter a line, no cut headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from genesys_emulator import RunningEmulator

from .conftest import DAY1, TENANTS, Run, subprocess_run

CELL = re.compile(r"[│┃|]")
CUT = re.compile(r"\w…")  # a word cut short by an ellipsis ("ten…", "joi…")


def squeezed(text: str) -> list[str]:
    """Lines holding a table cell that is one letter: a wrapped column."""
    return [
        line
        for line in text.splitlines()
        if any(re.fullmatch(r"[^\W\d_]", c.strip()) for c in CELL.split(line))
    ]


def test_the_checker_catches_a_squeezed_table() -> None:
    assert squeezed("│ critical │ R01 │ S │\n│          │     │ u │")
    assert CUT.search("┃ ten… ┃ joi… ┃")
    assert not squeezed("│ acme │ 120 │ 0 │")


def _cross_tenant_grant(emu: RunningEmulator) -> None:
    """One agent of Globex also gets Agent in Acme's division: a finding for the audit table."""
    token = emu.token()
    headers = {"Authorization": f"Bearer {token}"}
    api = emu.admin
    divs = {
        d["name"]: d["id"]
        for d in api.get("/api/v2/authorization/divisions", headers=headers).json()["entities"]
    }
    roles = api.get("/api/v2/authorization/roles", params={"pageSize": 100}, headers=headers).json()[
        "entities"
    ]
    agent = next(r["id"] for r in roles if r["name"] == "Agent")
    users = api.get("/api/v2/users", params={"pageSize": 500}, headers=headers).json()["entities"]
    who = next(u for u in users if u["division"]["id"] == divs["Globex Telecom"])
    api.post(
        f"/api/v2/authorization/subjects/{who['id']}/bulkadd",
        json={"grants": [{"roleId": agent, "divisionId": divs["Acme Insurance"]}]},
        headers=headers,
    ).raise_for_status()


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "-c", str(TENANTS), "--people", str(DAY1), "--summary"),
        ("plan", "-c", str(TENANTS), "--people", str(DAY1), "--full"),
        ("audit", "-c", str(TENANTS)),
        ("tenants", "-c", str(TENANTS)),
        ("doctor",),
    ],
    ids=["plan-summary", "plan", "audit", "tenants", "doctor"],
)
def test_80_columns(applied: Run, emu: RunningEmulator, tmp_path: Path, args: tuple[str, ...]) -> None:
    _cross_tenant_grant(emu)
    extra = ("--journal", f"sqlite:///{tmp_path / 'j.db'}") if args[0] in ("plan", "tenants") else ()
    if args[0] == "plan":  # a feed with changes against the applied org: movers, leavers
        rows = DAY1.read_text().splitlines()
        (tmp_path / "feed.csv").write_text("\n".join([rows[0], *rows[20:]]) + "\n")
        args = (*args[:4], str(tmp_path / "feed.csv"), *args[5:])
    r = subprocess_run(emu, *args, *extra, cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    text = r.stdout
    assert len(text.splitlines()) > 3, text
    assert not squeezed(text), "\n".join(squeezed(text))
    assert not CUT.search(text), CUT.search(text)
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    if args[0] == "audit":
        assert "R02 cross-tenant-direct-grant" in text and "holds Agent in the division" in text
    if args[0] in ("audit", "tenants"):
        wide = subprocess_run(emu, *args, *extra, "--wide", cwd=tmp_path)
        assert "┃ tenant" in wide.stdout or "┃ severity" in wide.stdout  # the table, when there is room
