"""`tenantry validate`: everything that can be checked without the org, all at once.

tenants.yaml (schema, rules, regular expressions, unique names, certificate files that parse
as valid X.509 certificates), the people feed (columns, emails, duplicates), the rules against the feed
(every attribute a rule tests is a column; nobody matches two tenants), and, only when an org's
role names are given, that every role tenants.yaml names exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tenantry.config import tenants as config_mod
from tenantry.errors import InputError, Problem
from tenantry.inputs import people as people_mod
from tenantry.inputs.people import REQUIRED, Person
from tenantry.planning.desired import assign


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    config: config_mod.Config | None = None
    people: list[Person] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "problems": [
                {"file": p.file, "line": p.line, "field": p.field, "message": p.message}
                for p in self.problems
            ],
            "notes": self.notes,
        }


def _rule_columns(cfg: config_mod.Config, columns: set[str], feed: str) -> list[Problem]:
    """Every attribute a rule tests must be a column of the feed (a misspelt column matches nobody)."""
    known = columns | set(REQUIRED)
    out = []
    for key, t in cfg.tenants.items():
        places = [(f"tenants.{key}.members.{i}", r) for i, r in enumerate(t.members)]
        for gkey, g in t.groups.items():
            if g.members != "all":
                places += [(f"tenants.{key}.groups.{gkey}.members.{i}", r) for i, r in enumerate(g.members)]
        for where, rule in places:
            for attr in rule.attributes:
                if attr not in known:
                    out.append(cfg.problem(f"{where}.{attr}", f"{attr!r} is not a column of {feed}"))
    return out


def validate(config: Path, people: Path | None = None, roles: set[str] | None = None) -> Report:
    """Check tenants.yaml, and the feed against it when given; `roles`: the org's role names, if known."""
    report = Report()
    try:
        report.config = cfg = config_mod.load(config, certificates=False)
    except InputError as exc:
        report.problems += exc.problems
        return report
    report.problems += config_mod.load_certificates(cfg)  # parsed as X.509 (config/certs.py)
    if people is not None:
        try:
            report.people = persons = people_mod.load(people)
        except InputError as exc:
            report.problems += exc.problems
            persons = None
        if persons is not None:
            columns = {k for p in persons for k in p.attributes} | {"idp_groups"}
            report.problems += _rule_columns(cfg, columns, str(people))
            tenant_of, errors = assign(cfg, persons, str(people))
            report.problems += errors
            unmatched = sum(1 for p in persons if p.active and tenant_of.get(p.email) is None)
            report.notes.append(
                f"{len(persons)} people: {len(persons) - unmatched} active in a tenant or leavers, "
                f"{unmatched} active matching no tenant"
            )
    if roles is None:
        report.notes.append("role names not checked against the org (no credentials given)")
    else:
        have = {r.lower() for r in roles}
        for key, t in cfg.tenants.items():
            where = [(f"groups.{g}", s.roles) for g, s in t.groups.items()]
            where += [(f"oauth_clients.{i}", c.roles) for i, c in enumerate(t.oauth_clients)]
            where += [(f"staff.{i}", s.roles) for i, s in enumerate(t.staff)]
            for path, names in where:
                for i, r in enumerate(names):
                    if r.lower() not in have:
                        report.problems.append(
                            cfg.problem(
                                f"tenants.{key}.{path}.roles.{i}", f"role {r!r} does not exist in the org"
                            )
                        )
        report.notes.append(f"role names checked against the org's {len(roles)} roles")
    return report
