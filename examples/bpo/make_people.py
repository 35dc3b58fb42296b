"""Regenerate the demo feeds: ~300 people in three tenants, then a second feed with movers and leavers.

`python examples/bpo/make_people.py` writes people.csv and people-day2.csv next to this file.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

HERE = Path(__file__).parent
FIELDS = ["hr_id", "email", "given_name", "family_name", "status", "client", "site", "title"]
GIVEN = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lin", "Mo", "Nia"]
FAMILY = ["Reyes", "Santos", "Cruz", "Bautista", "Garcia", "Mendoza", "Torres", "Flores", "Ramos", "Lim"]
CLIENTS = [("ACME", "MNL", 120), ("GLOBEX", "CEB", 100), ("INITECH", "MNL", 80)]


def day1(rng: random.Random) -> list[dict[str, str]]:
    rows = []
    n = 0
    for client, site, count in CLIENTS:
        for i in range(count):
            n += 1
            title = "Team Supervisor" if i % 15 == 0 else "Agent"
            g, f = rng.choice(GIVEN), rng.choice(FAMILY)
            rows.append({"hr_id": f"E{n:05d}", "email": f"{g}.{f}.{n}@bpo.example".lower(), "given_name": g,
                         "family_name": f, "status": "active", "client": client, "site": site, "title": title})
    # agents the demo org already has: adopted, not recreated
    for client, domain in (("ACME", "acme"), ("GLOBEX", "globex")):
        for i in range(1, 5):
            rows.append({"hr_id": f"L{domain[0].upper()}{i:04d}", "email": f"agent{i}@{domain}.bpo.example",
                         "given_name": client.title(), "family_name": f"Agent {i}", "status": "active",
                         "client": client, "site": "MNL", "title": "Agent"})
    # BPO staff outside every tenant (a staff grant lets Lee into two of them)
    rows.append({"hr_id": "S00001", "email": "lee.wfm@bpo.example", "given_name": "Lee", "family_name": "Workforce",
                 "status": "active", "client": "BPO", "site": "MNL", "title": "Workforce Manager"})
    return rows


def day2(rows: list[dict[str, str]], rng: random.Random) -> list[dict[str, str]]:
    """20 movers between tenants, 10 leavers, 5 joiners."""
    out = [dict(r) for r in rows]
    agents = [r for r in out if r["client"] in ("ACME", "GLOBEX") and r["title"] == "Agent"]
    for r in rng.sample(agents, 30)[:20]:
        r["client"] = "GLOBEX" if r["client"] == "ACME" else "ACME"
    for r in rng.sample([r for r in out if r["client"] == "INITECH"], 10):
        r["status"] = "leaver"
    for i in range(5):
        out.append({"hr_id": f"N{i:05d}", "email": f"new.joiner.{i}@bpo.example", "given_name": "New",
                     "family_name": f"Joiner{i}", "status": "active", "client": "INITECH", "site": "CEB",
                     "title": "Agent"})
    return out


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, FIELDS)
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    rng = random.Random(2026)
    first = day1(rng)
    write(HERE / "people.csv", first)
    write(HERE / "people-day2.csv", day2(first, rng))
