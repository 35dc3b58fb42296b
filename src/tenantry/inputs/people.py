"""People feeds (an HR export as CSV or JSON lines) → validated Person records.

Every problem is reported with its file and line, all at once, before anything is planned.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from tenantry.errors import InputError, Problem

REQUIRED = ("hr_id", "email", "given_name", "family_name", "status")
STATUSES = ("active", "leaver")
EMAIL = re.compile(r"^[^@\s\"<>(),;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
MAX_PROBLEMS = 50


@dataclass(frozen=True, slots=True)
class Person:
    hr_id: str
    email: str  # lower-cased: the platform treats emails case-insensitively
    given_name: str
    family_name: str
    status: str  # active | leaver
    attributes: dict[str, str] = field(default_factory=dict, compare=False)
    idp_groups: frozenset[str] = frozenset()
    line: int = 0

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def active(self) -> bool:
        return self.status == "active"

    def attrs(self) -> dict[str, str]:
        """Rule attributes: the feed's columns, the core fields included."""
        return {
            "hr_id": self.hr_id,
            "email": self.email,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "status": self.status,
            **self.attributes,
        }


def _groups(value: object) -> frozenset[str]:
    if value is None or value == "":
        return frozenset()
    if isinstance(value, list):
        return frozenset(str(v).strip() for v in value if str(v).strip())
    return frozenset(x.strip() for x in str(value).split(";") if x.strip())


def _rows(path: Path) -> list[tuple[int, dict[str, object]]]:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError([Problem(name, None, "", f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem(name, None, "", "not UTF-8 text")]) from None
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        rows, problems = [], []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                problems.append(Problem(name, n, "", f"not valid JSON: {getattr(exc, 'msg', exc)}"))
                continue
            except RecursionError:
                problems.append(Problem(name, n, "", "not valid JSON: nested too deeply"))
                continue
            if not isinstance(obj, dict):
                problems.append(Problem(name, n, "", "each line must be a JSON object"))
                continue
            rows.append((n, obj))
        if problems:
            raise InputError(problems[:MAX_PROBLEMS])
        return rows
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError([Problem(name, 1, ", ".join(missing), "required column missing from the header")])
    out = []
    try:
        for row in reader:
            if None in row:
                raise InputError([Problem(name, reader.line_num, "", "more values than header columns")])
            out.append((reader.line_num, dict(row)))
    except csv.Error as exc:  # a field over csv's limit (128 KiB), a NUL byte, …
        raise InputError([Problem(name, reader.line_num + 1, "", f"not valid CSV: {exc}")]) from None
    return out


def load(path: str | Path) -> list[Person]:
    """Read and validate a feed; raise InputError listing every problem with its line."""
    p = Path(path)
    name = str(path)
    problems: list[Problem] = []
    people: list[Person] = []
    by_id: dict[str, int] = {}
    by_email: dict[str, int] = {}
    for line, row in _rows(p):
        values = {k: ("" if v is None else str(v).strip()) for k, v in row.items() if k != "idp_groups"}
        bad = False
        for f in REQUIRED:
            if not values.get(f):
                problems.append(Problem(name, line, f, "is required"))
                bad = True
        email = values.get("email", "").lower()
        if email and not EMAIL.match(email):
            problems.append(Problem(name, line, "email", f"{values['email']!r} is not a valid email address"))
            bad = True
        status = values.get("status", "").lower()
        if status and status not in STATUSES:
            problems.append(
                Problem(name, line, "status", f"{values['status']!r} is not one of {', '.join(STATUSES)}")
            )
            bad = True
        hr_id = values.get("hr_id", "")
        if hr_id in by_id:
            problems.append(Problem(name, line, "hr_id", f"{hr_id!r} already appears on line {by_id[hr_id]}"))
            bad = True
        if email in by_email:
            problems.append(
                Problem(name, line, "email", f"{email!r} already appears on line {by_email[email]}")
            )
            bad = True
        if hr_id:
            by_id.setdefault(hr_id, line)
        if email:
            by_email.setdefault(email, line)
        if bad:
            continue
        extra = {k: v for k, v in values.items() if k not in REQUIRED}
        people.append(
            Person(
                hr_id,
                email,
                values["given_name"],
                values["family_name"],
                status,
                extra,
                _groups(row.get("idp_groups")),
                line,
            )
        )
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    return people
