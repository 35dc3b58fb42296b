"""tenants.yaml and people feeds: every error names file, line and field; good input loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantry.config import tenants as config
from tenantry.errors import InputError
from tenantry.inputs import people

EXAMPLE = Path(__file__).parents[2] / "examples" / "bpo"

GOOD = """\
org:
  org_admins: [admin@bpo.example]
tenants:
  acme:
    division: Acme Insurance
    members:
      - client: ACME
    groups:
      Agents:
        roles: [Agent]
"""


def write(tmp_path: Path, text: str, name: str = "tenants.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def problems(fn, path: Path) -> list[str]:
    with pytest.raises(InputError) as exc:
        fn(path)
    return [str(p) for p in exc.value.problems]


def test_example_loads_and_defaults_group_names() -> None:
    cfg = config.load(EXAMPLE / "tenants.yaml")
    assert set(cfg.tenants) == {"acme", "globex", "initech"}
    assert cfg.tenants["acme"].group_name("Agents") == "Acme Insurance Agents"
    assert cfg.org.mass_revoke_threshold == 0.25


def test_unknown_field_names_file_line_and_field(tmp_path: Path) -> None:
    p = write(tmp_path, GOOD.replace("        roles: [Agent]", "        roles: [Agent]\n        rols: [x]"))
    assert problems(config.load, p) == [
        f"{p}:11: tenants.acme.groups.Agents.rols: unknown field 'rols'; did you mean 'roles'?"
    ]


def test_bad_regex_and_empty_roles_reported_together(tmp_path: Path) -> None:
    text = GOOD.replace("      - client: ACME", "      - client: {pattern: '(['}").replace("[Agent]", "[]")
    found = problems(config.load, write(tmp_path, text))
    assert len(found) == 2
    assert ":7: tenants.acme.members.0.client.pattern: invalid regular expression '(['" in found[0]
    assert ":10: tenants.acme.groups.Agents.roles:" in found[1]


def test_cross_field_errors_point_at_their_line(tmp_path: Path) -> None:
    text = GOOD + "    queues:\n      - name: Q\n        groups: [Nope]\n"
    found = problems(config.load, write(tmp_path, text))
    assert found == [
        f"{tmp_path / 'tenants.yaml'}:13: tenants.acme.queues.0.groups: 'Nope' is not a group of tenant acme"
    ]


def test_home_division_cannot_be_a_tenant(tmp_path: Path) -> None:
    found = problems(config.load, write(tmp_path, GOOD.replace("Acme Insurance", "Home")))
    assert "home division" in found[0]


def test_invalid_yaml_names_its_line(tmp_path: Path) -> None:
    found = problems(config.load, write(tmp_path, "org:\n  x: [1\n"))
    assert found[0].startswith(f"{tmp_path / 'tenants.yaml'}:3: not valid YAML")


def test_rules_match_equals_one_of_pattern_contains_and_idp_groups(tmp_path: Path) -> None:
    text = GOOD.replace(
        "      - client: ACME",
        "      - client: ACME\n        site: [MNL, CEB]\n"
        "        title: {contains: lead}\n      - idp_group: ACME-Agents",
    )
    rules = config.load(write(tmp_path, text)).tenants["acme"].members
    assert config.matches(rules, {"client": "acme", "site": "CEB", "title": "Team Lead"}, frozenset())
    assert not config.matches(rules, {"client": "ACME", "site": "DVO", "title": "Team Lead"}, frozenset())
    assert config.matches(rules, {}, frozenset({"ACME-Agents"}))


CSV_HEAD = "hr_id,email,given_name,family_name,status,client\n"


def test_people_csv_errors_carry_row_numbers(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        CSV_HEAD + "1,a@x.com,A,B,active,ACME\n2,not-an-email,C,D,active,ACME\n"
        "1,c@x.com,E,F,gone,ACME\n3,A@X.com,,F,active,ACME\n",
        "people.csv",
    )
    assert problems(people.load, p) == [
        f"{p}:3: email: 'not-an-email' is not a valid email address",
        f"{p}:4: status: 'gone' is not one of active, leaver",
        f"{p}:4: hr_id: '1' already appears on line 2",
        f"{p}:5: given_name: is required",
        f"{p}:5: email: 'a@x.com' already appears on line 2",
    ]


def test_people_csv_missing_column(tmp_path: Path) -> None:
    p = write(tmp_path, "hr_id,email\n1,a@x.com\n", "people.csv")
    assert problems(people.load, p) == [
        f"{p}:1: given_name, family_name, status: required column missing from the header"
    ]


def test_people_jsonl_with_idp_groups_and_bad_line(tmp_path: Path) -> None:
    good = (
        '{"hr_id": "1", "email": "A@x.com", "given_name": "A", "family_name": "B", "status": "active", '
        '"idp_groups": ["G1", "G2"], "client": "ACME"}\n'
    )
    loaded = people.load(write(tmp_path, good, "people.jsonl"))
    assert loaded[0].email == "a@x.com" and loaded[0].idp_groups == frozenset({"G1", "G2"})
    assert loaded[0].attributes == {"client": "ACME"}
    p = write(tmp_path, good + "{oops\n", "bad.jsonl")
    assert problems(people.load, p)[0].startswith(f"{p}:2: not valid JSON")


def test_example_feeds_load() -> None:
    day1 = people.load(EXAMPLE / "people.csv")
    day2 = people.load(EXAMPLE / "people-day2.csv")
    assert len(day1) == 309 and sum(not p.active for p in day2) == 10


def test_sso_certificate_file_must_exist(tmp_path: Path) -> None:
    text = GOOD.replace(
        "  org_admins: [admin@bpo.example]\n",
        "  org_admins: [admin@bpo.example]\n  sso:\n"
        "    generic:\n      issuer_uri: https://idp/x\n      sso_target_uri: https://idp/sso\n"
        "      certificate_file: missing.pem\n",
    )
    p = write(tmp_path, text)
    assert problems(config.load, p) == [f"{p}:7: org.sso.generic.certificate_file: cannot read 'missing.pem'"]
